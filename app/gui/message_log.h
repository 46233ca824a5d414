#pragma once
// The explorer's messages: the Log tab's lines, the errors (also on stderr, in the error dialog and
// in the state JSON), both bounded. GL-free; UI thread only.
#include <string>

#include "app_state.h"

namespace latentlab::gui {

inline constexpr size_t kMaxMessage = 2000;  // characters of one message that are kept

class MessageLog {
 public:
  static constexpr size_t kMaxLines = 500, kMaxErrors = 200;

  void info(const std::string& msg);
  // Logged, printed on stderr as "latentlab: error: ...", kept as the last error, and shown in
  // the error dialog (unless !dialog: a drag's evaluations, which would open it on every move).
  void error(const std::string& msg, bool dialog = true);

  const std::deque<std::string>& lines() const { return m_lines.items(); }
  const std::deque<std::string>& errors() const { return m_errors.items(); }
  const std::string& lastError() const { return m_lastError; }
  // Put before every error until it is cleared (the script line that is running).
  void setPrefix(std::string prefix) { m_prefix = std::move(prefix); }
  const std::string& prefix() const { return m_prefix; }
  size_t errorCount() const { return m_errorCount; }  // all errors so far (errors() keeps the newest)
  // True once after each new error: the error dialog opens then, showing dialogText().
  bool takeDialog();
  const std::string& dialogText() const { return m_dialog; }

 private:
  Recent<std::string> m_lines{kMaxLines}, m_errors{kMaxErrors};
  std::string m_lastError, m_dialog, m_prefix;
  bool m_openDialog = false;
  size_t m_errorCount = 0;
};

}  // namespace latentlab::gui
