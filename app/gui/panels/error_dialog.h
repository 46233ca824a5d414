#pragma once
// The modal error dialog: opens with each new error the log reports (OK or Enter closes it).
namespace latentlab::gui {

struct Context;

void drawErrorDialog(Context& ctx);

}  // namespace latentlab::gui
