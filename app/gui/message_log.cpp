#include "message_log.h"

#include <iostream>

namespace latentlab::gui {

void MessageLog::info(const std::string& msg) { m_lines.push(msg); }

void MessageLog::error(const std::string& msg) {
  m_lastError = msg;
  m_errors.push(msg);
  info("error: " + msg);
  std::cerr << "latentlab: error: " << msg << "\n";
  m_dialog = msg;
  m_openDialog = true;
}

bool MessageLog::takeDialog() {
  const bool open = m_openDialog;
  m_openDialog = false;
  return open;
}

}  // namespace latentlab::gui
