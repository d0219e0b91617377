#include "ports/http_target.h"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>

namespace quanta::ports {
namespace {

// An absolute-form target ("http://host:7070/v1/node?x=1", RFC 9112 section 3.2.2), which a
// server must accept: what a proxy sends, and what some clients send to a proxy they were not
// told is one. Only its path and query address the resource here; the authority is the Host.
Result<boost::urls::url_view> ParseAbsoluteForm(std::string_view target) {
  auto parsed = boost::urls::parse_absolute_uri(target);
  if (!parsed) {
    return Status::Usage(
        "the request target '{}' is neither a path and query (/...) nor an absolute http URL "
        "({}); escape special characters with %XX",
        target, parsed.error().message());
  }
  const boost::urls::url_view& url = *parsed;
  if (url.scheme_id() != boost::urls::scheme::http &&
      url.scheme_id() != boost::urls::scheme::https) {
    return Status::Usage(
        "the request target '{}' is an absolute URL of scheme '{}'; send a path (/...) or an "
        "http or https URL",
        target, std::string(url.scheme()));
  }
  if (!url.has_authority() || url.encoded_host().empty()) {
    return Status::Usage(
        "the request target '{}' is an http URL without a host (RFC 9110 "
        "section 4.2.1); send a path (/...) or http://HOST/PATH",
        target);
  }
  return url;
}

}  // namespace

Result<HttpTarget> ParseHttpTarget(std::string_view target) {
  boost::urls::url_view url;
  if (!target.empty() && target.front() != '/') {
    QUANTA_ASSIGN_OR_RETURN(url, ParseAbsoluteForm(target));
  } else {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
      return Status::Usage(
          "the request target is not a valid path and query ({}); escape special "
          "characters with %XX",
          parsed.error().message());
    }
    url = *parsed;
  }
  HttpTarget result;
  result.path = std::string(url.path());
  result.encoded_path = std::string(url.encoded_path());
  if (result.path.empty()) result.path.push_back('/');  // "http://host" asks for the root
  if (result.encoded_path.empty()) result.encoded_path.push_back('/');
  for (auto segment : url.segments()) result.segments.push_back(std::string(segment));
  boost::urls::encoding_opts query_options;
  query_options.space_as_plus = true;
  for (auto param : url.params(query_options)) {
    result.query.emplace_back(std::string(param.key), std::string(param.value));
  }
  return result;
}

}  // namespace quanta::ports
