#include "message_log.h"

#include <iostream>

#include "latentlab/util/errors.h"

namespace latentlab::gui {

namespace {
// Messages can quote what a user's file holds; a few thousand characters are all a panel can show
// (ImGui draws at most 65,536 vertices in one list: a 20,000-character text aborted the app).
std::string clipped(const std::string& msg) { return clipForMessage(msg, kMaxMessage); }
}  // namespace

void MessageLog::info(const std::string& msg) { m_lines.push(clipped(msg)); }

void MessageLog::error(const std::string& full, bool dialog) {
  const std::string msg = clipped(m_prefix + full);
  m_lastError = msg;
  ++m_errorCount;
  m_errors.push(msg);
  info("error: " + msg);
  std::cerr << "latentlab: error: " << msg << "\n";
  if (!dialog) return;
  m_dialog = msg;
  m_openDialog = true;
}

bool MessageLog::takeDialog() {
  const bool open = m_openDialog;
  m_openDialog = false;
  return open;
}

}  // namespace latentlab::gui
