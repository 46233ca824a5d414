#pragma once
// Typed errors thrown by latentlab_core. Core never asserts on user data: every bad file, value or
// model surfaces as one of these, with a message of the form "[where] what is wrong (path)".
#include <atomic>
#include <stdexcept>
#include <string>

namespace latentlab {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A data file or value supplied by the user is missing, truncated or malformed.
struct InputError : Error {
  using Error::Error;
};
// A TorchScript file cannot be loaded or fails its dry run (shapes, dtypes, missing methods).
struct ModelLoadError : Error {
  using Error::Error;
};
// A bundle directory or its manifest is missing, malformed, newer than we read, or would be
// overwritten without --force.
struct BundleError : Error {
  using Error::Error;
};
// A requested torch::Device is not available on this machine.
struct DeviceError : Error {
  using Error::Error;
};
// A long job was cancelled through its cancel token; nothing it was writing has been kept.
struct CancelledError : Error {
  using Error::Error;
};

// The check every long loop makes: throws CancelledError("[where] cancelled") once the flag is set.
inline void checkCancel(const std::atomic<bool>* cancel, const char* where) {
  if (cancel && cancel->load()) throw CancelledError(std::string("[") + where + "] cancelled");
}

// `text` as an error message may quote it: at most `max` bytes (then "..."), so that a huge cell or
// line in a user's file cannot make a message of megabytes.
inline std::string clipForMessage(const std::string& text, size_t max = 120) {
  return text.size() <= max ? text : text.substr(0, max) + "...";
}

// One readable line from any exception, LibTorch's included: the TorchScript interpreter's
// "RuntimeError: ..." line when there is one, otherwise the first line, without the C++ backtrace.
std::string torchErrorSummary(const std::exception& e);

}  // namespace latentlab
