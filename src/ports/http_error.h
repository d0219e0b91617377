#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "ports/http_message.h"

namespace quanta::ports {

/// Failures of the HTTP exchange itself, found before any handler runs. Each has a stable
/// code for the JSON error body; failures of the work a handler does are Status codes and use
/// the shared error table instead (see ErrorResponse(const Status&)).
enum class HttpFault {
  kMalformedRequest,    ///< 400: bad request line, header, Content-Length or chunked encoding
  kBadTarget,           ///< 400: the request target is not a valid origin-form URL
  kHeaderTooLarge,      ///< 431
  kBodyTooLarge,        ///< 413
  kRequestTimeout,      ///< 408: the request did not arrive in time
  kTooManyConnections,  ///< 503
  kRouteNotFound,       ///< 404
  kMethodNotAllowed,    ///< 405
  kShuttingDown,        ///< 503: the server is draining
  /// 501: a Transfer-Encoding other than "chunked" alone, whose body length the server cannot
  /// tell (RFC 9112 section 6.1); answered before the body and the connection is closed
  kUnsupportedTransferCoding,
  /// 415: a body in a content coding (Content-Encoding) or media type (Content-Type) that the
  /// route does not read
  kUnsupportedMediaType,
};

/// The HTTP status and stable code of a fault, e.g. {413, "body_too_large"}.
struct HttpFaultInfo {
  int status;
  std::string_view code;
};
HttpFaultInfo InfoFor(HttpFault fault);

/// The JSON error body every Quanta HTTP error uses:
/// {"error": {"code": "...", "message": "...", "status": N}} followed by a newline.
std::string ErrorBody(std::string_view code, std::string_view message, int status);

/// A JSON error response for a failed Status: the code's name and HTTP status come from the
/// shared error table (base/status.h), so HTTP reports a failure as every other port does.
HttpResponse ErrorResponse(const Status& status);

/// A JSON error response for a fault of the HTTP exchange.
HttpResponse ErrorResponse(HttpFault fault, std::string_view message);

}  // namespace quanta::ports
