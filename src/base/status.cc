#include "base/status.h"

#include <array>

namespace quanta {
namespace {

// One row per ErrorCode, in enum order. Exit codes follow compilers and linters:
// 1 means "your input has problems", 2 means "the tool could not do its job as asked".
constexpr std::array<ErrorCodeInfo, 15> kErrorTable = {{
    {ErrorCode::kOk, "ok", "00000", 200, 0, false},
    {ErrorCode::kUsage, "usage", "42601", 400, 2, true},
    {ErrorCode::kInvalidDocument, "invalid_document", "22023", 422, 1, true},
    {ErrorCode::kNotFound, "not_found", "42P01", 404, 2, true},
    {ErrorCode::kIoError, "io_error", "58030", 500, 2, false},
    {ErrorCode::kPermissionDenied, "permission_denied", "42501", 403, 1, true},
    {ErrorCode::kNotSupported, "not_supported", "0A000", 501, 2, true},
    {ErrorCode::kIncompatible, "incompatible", "2F000", 409, 1, true},
    {ErrorCode::kQueryFailed, "query_failed", "XX000", 400, 1, true},
    {ErrorCode::kProtocolViolation, "protocol_violation", "08P01", 400, 1, true},
    {ErrorCode::kTooLarge, "too_large", "54000", 413, 1, true},
    {ErrorCode::kAuthFailed, "auth_failed", "28P01", 401, 1, true},
    // Not the statement's fault alone: the node's limits are shared by every query and commit,
    // so the same statement may pass later or on a node configured for more. PostgreSQL's
    // out_of_memory; HTTP's "try again later or elsewhere".
    {ErrorCode::kOutOfMemory, "out_of_memory", "53200", 503, 2, false},
    // DuckDB refuses every statement on an instance it stopped after a fatal error (a failed
    // checkpoint, an internal error) until it is opened again. PostgreSQL's crash_shutdown: the
    // server must restart before it serves again, and clients reconnect after it.
    {ErrorCode::kUnavailable, "unavailable", "57P02", 503, 2, false},
    {ErrorCode::kInternal, "internal", "XX000", 500, 3, false},
}};

}  // namespace

const ErrorCodeInfo& InfoFor(ErrorCode code) { return kErrorTable[static_cast<std::size_t>(code)]; }

std::string Status::ToString() const {
  if (ok()) return "ok";
  return fmt::format("{}: {}", InfoFor(code_).name, message_);
}

}  // namespace quanta
