#pragma once
// A minimal file browser drawn inline (a child window): directories to walk into, and either
// bundle directories (those with a manifest.json) or files to pick. ImGui; UI thread only.
#include <string>

namespace latentlab::gui {

class FileBrowser {
 public:
  enum class Pick { Bundle, File };
  // Opens the browser at `dir` to fill `*target` (or closes it when it is open already).
  void toggle(const std::string& dir, Pick what, std::string* target);
  bool isOpen() const { return m_target != nullptr; }
  // Draws it when open; a pick sets *target and closes it.
  void draw();

 private:
  std::string m_dir;
  Pick m_pick = Pick::Bundle;
  std::string* m_target = nullptr;
};

}  // namespace latentlab::gui
