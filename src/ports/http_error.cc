#include "ports/http_error.h"

#include <nlohmann/json.hpp>

namespace quanta::ports {

HttpFaultInfo InfoFor(HttpFault fault) {
  switch (fault) {
    case HttpFault::kMalformedRequest:
      return {400, "malformed_request"};
    case HttpFault::kBadTarget:
      return {400, "bad_target"};
    case HttpFault::kHeaderTooLarge:
      return {431, "header_too_large"};
    case HttpFault::kBodyTooLarge:
      return {413, "body_too_large"};
    case HttpFault::kRequestTimeout:
      return {408, "request_timeout"};
    case HttpFault::kTooManyConnections:
      return {503, "too_many_connections"};
    case HttpFault::kRouteNotFound:
      return {404, quanta::InfoFor(ErrorCode::kNotFound).name};
    case HttpFault::kMethodNotAllowed:
      return {405, "method_not_allowed"};
    case HttpFault::kShuttingDown:
      return {503, "shutting_down"};
    case HttpFault::kUnsupportedTransferCoding:
      return {501, quanta::InfoFor(ErrorCode::kNotSupported).name};
    case HttpFault::kUnsupportedMediaType:
      return {415, "unsupported_media_type"};
  }
  return {500, quanta::InfoFor(ErrorCode::kInternal).name};
}

std::string ErrorBody(std::string_view code, std::string_view message, int status) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}, {"status", status}}}};
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  return text;
}

HttpResponse ErrorResponse(const Status& status) {
  const ErrorCodeInfo& info = quanta::InfoFor(status.code());
  int http_status = status.ok() ? 500 : info.http_status;
  std::string_view code = status.ok() ? std::string_view("internal") : info.name;
  std::string_view message = status.ok()
                                 ? std::string_view("an error response was made from a success")
                                 : status.message();
  return HttpResponse::Text(http_status, ErrorBody(code, message, http_status), "application/json");
}

HttpResponse ErrorResponse(HttpFault fault, std::string_view message) {
  HttpFaultInfo info = InfoFor(fault);
  return HttpResponse::Text(info.status, ErrorBody(info.code, message, info.status),
                            "application/json");
}

}  // namespace quanta::ports
