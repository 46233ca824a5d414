#pragma once
// Sessions (view, colours, selection, edited points as JSON) and the selection's CSV export, from
// the File menu, Ctrl+S and the script commands. Every file is written atomically; a bad file is
// reported by name and changes nothing. UI thread only.
#include <string>

#include "latentlab/explorer/session.h"

namespace latentlab::gui {

struct Context;

SessionState sessionState(const Context& ctx);
// Every writer here checks the path first (latentlab/util/fsutil.h's checkOutputFile): an existing file
// is replaced only when `replace` (the user confirmed, or a script named it).
void saveSessionTo(Context& ctx, const std::string& path, bool replace);
// Applies the session; when it names another bundle, that bundle is loaded first.
void loadSessionFrom(Context& ctx, const std::string& path);
// The multi-selection (or else the selected point) as CSV: index,label,prediction,total,aleatoric,
// epistemic,x,y,z0..z{d-1}.
void exportSelectionCsv(Context& ctx, const std::string& path, bool replace);

}  // namespace latentlab::gui
