#include "ports/http_target.h"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace quanta::ports {

Result<HttpTarget> ParseHttpTarget(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    return Status::Usage(
        "the request target is not a valid path and query ({}); escape special "
        "characters with %XX",
        parsed.error().message());
  }
  const boost::urls::url_view& url = *parsed;
  HttpTarget result;
  result.path = std::string(url.path());
  for (auto segment : url.segments()) result.segments.push_back(std::string(segment));
  boost::urls::encoding_opts query_options;
  query_options.space_as_plus = true;
  for (auto param : url.params(query_options)) {
    result.query.emplace_back(std::string(param.key), std::string(param.value));
  }
  return result;
}

}  // namespace quanta::ports
