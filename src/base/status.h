#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

namespace quanta {

/// Every failure Quanta reports falls into one of these codes. The table in error_code.cc
/// maps each to the PostgreSQL SQLSTATE, HTTP status and CLI exit code that every port uses,
/// so the same failure looks the same everywhere.
enum class ErrorCode {
  kOk,
  kUsage,              ///< the command line or request is malformed (user error)
  kInvalidDocument,    ///< a document, event or query is not valid (user error)
  kNotFound,           ///< a named thing does not exist (user error)
  kIoError,            ///< a file or socket could not be read or written
  kPermissionDenied,   ///< the principal may not do this (user error)
  kNotSupported,       ///< valid, but Quanta does not do this (user error)
  kIncompatible,       ///< a change is breaking, a check failed (user error)
  kQueryFailed,        ///< a query failed while running (user error)
  kProtocolViolation,  ///< a client broke a wire protocol (user error)
  kTooLarge,           ///< a message or value exceeds a configured limit (user error)
  kAuthFailed,         ///< a password or proof did not match (user error)
  kOutOfMemory,        ///< a statement needed more memory and spill space than configured
  kUnavailable,        ///< the engine stopped after a fatal error; the node must be restarted
  kInternal,           ///< a bug in Quanta
};

/// What each ErrorCode means at the edges of the system.
struct ErrorCodeInfo {
  ErrorCode code;
  std::string_view name;      ///< short stable identifier, e.g. "invalid_document"
  std::string_view sqlstate;  ///< PostgreSQL SQLSTATE
  int http_status;
  int exit_code;  ///< process exit code of the CLI
  bool user_error;
};

/// Looks up the row of the error table for `code`. Never fails.
const ErrorCodeInfo& InfoFor(ErrorCode code);

/// The outcome of an operation that returns nothing: ok, or a code and a message that names
/// the place and the reason. Cheap to copy when ok.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  template <typename... Args>
  static Status Usage(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kUsage, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status Invalid(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kInvalidDocument, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status NotFound(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kNotFound, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status IoError(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kIoError, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status NotSupported(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kNotSupported, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status QueryFailed(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kQueryFailed, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status ProtocolViolation(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kProtocolViolation, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status TooLarge(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kTooLarge, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status AuthFailed(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kAuthFailed, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status OutOfMemory(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kOutOfMemory, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status Internal(fmt::format_string<Args...> format, Args&&... args) {
    return Status(ErrorCode::kInternal, fmt::format(format, std::forward<Args>(args)...));
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "invalid_document: <message>", for logs.
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

}  // namespace quanta

/// Returns the Status of `expr` from the enclosing function when it is not ok.
#define QUANTA_RETURN_IF_ERROR(expr)   \
  do {                                 \
    ::quanta::Status _status = (expr); \
    if (!_status.ok()) return _status; \
  } while (false)
