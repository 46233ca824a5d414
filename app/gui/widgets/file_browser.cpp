#include "widgets/file_browser.h"

#include <imgui.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace latentlab::gui {

void FileBrowser::toggle(const std::string& dir, Pick what, std::string* target) {
  if (m_target) {
    m_target = nullptr;
    return;
  }
  m_dir = dir.empty() ? "." : dir;
  m_pick = what;
  m_target = target;
}

void FileBrowser::draw() {
  if (!m_target) return;
  ImGui::BeginChild("browser", ImVec2(0, 180), true);
  ImGui::TextDisabled("%s", m_dir.c_str());
  std::error_code ec;
  if (ImGui::Selectable("..")) m_dir = fs::path(m_dir).parent_path().string();
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(m_dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
  std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name[0] == '.') continue;
    const bool dir = e.is_directory(ec);
    const bool bundle = dir && fs::exists(e.path() / "manifest.json", ec);
    const std::string label = (dir ? "[" + name + "]" : name) + (bundle ? "  (bundle)" : "");
    if (!ImGui::Selectable(label.c_str(), false, ImGuiSelectableFlags_AllowDoubleClick)) continue;
    if (m_pick == Pick::Bundle && bundle) {
      *m_target = e.path().string();
      m_target = nullptr;
      break;
    } else if (dir) {
      m_dir = e.path().string();
    } else if (m_pick == Pick::File) {
      *m_target = e.path().string();
      m_target = nullptr;
      break;
    }
  }
  ImGui::EndChild();
}

}  // namespace latentlab::gui
