#include "ports/http_message.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace quanta::ports {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::optional<std::string> HttpRequest::Query(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Status HttpRequest::CheckQueryOnce(std::span<const std::string_view> names) const {
  for (std::string_view name : names) {
    std::vector<std::string_view> values;
    for (const auto& [key, value] : query) {
      if (key == name) values.push_back(value);
    }
    if (values.size() == 2) {
      return Status::Usage("query parameter {} given twice ('{}' and '{}'); give it once", name,
                           values[0], values[1]);
    }
    if (values.size() > 2) {
      return Status::Usage("query parameter {} given {} times ('{}'); give it once", name,
                           values.size(), fmt::join(values, "', '"));
    }
  }
  return Status::Ok();
}

Status HttpRequest::CheckQueryKnown(std::span<const std::string_view> known,
                                    std::string_view what) const {
  for (const auto& [name, value] : query) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    if (known.empty()) {
      return Status::Usage("query parameter {}: {} takes no query parameters", name, what);
    }
    return Status::Usage("query parameter {}: {} takes no such parameter; it takes {}", name, what,
                         fmt::join(known, ", "));
  }
  return Status::Ok();
}

Status HttpRequest::CheckHeaderOnce(std::span<const std::string_view> names) const {
  for (std::string_view name : names) {
    std::vector<std::string_view> values;
    for (const auto& [key, value] : headers) {
      if (EqualsIgnoringCase(key, name)) values.push_back(value);
    }
    if (values.size() == 2) {
      return Status::Usage("header {} given twice ('{}' and '{}'); give it once", name, values[0],
                           values[1]);
    }
    if (values.size() > 2) {
      return Status::Usage("header {} given {} times ('{}'); give it once", name, values.size(),
                           fmt::join(values, "', '"));
    }
  }
  return Status::Ok();
}

std::optional<std::string> HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoringCase(key, name)) return value;
  }
  return std::nullopt;
}

std::string HttpRequest::PathParam(std::string_view name) const {
  auto found = path_params.find(name);
  return found == path_params.end() ? std::string() : found->second;
}

HttpResponse HttpResponse::Json(int status, const nlohmann::json& value) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  // Replace invalid UTF-8 (a client's bytes echoed in a message) rather than throwing.
  response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.body += '\n';
  return response;
}

HttpResponse HttpResponse::Text(int status, std::string body, std::string content_type) {
  HttpResponse response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

HttpResponse HttpResponse::Stream(std::string content_type, BodyProducer producer, int status) {
  HttpResponse response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.producer = std::move(producer);
  return response;
}

}  // namespace quanta::ports
