#include "ports/http_fields.h"

#include "base/ascii.h"

namespace quanta::ports {
namespace {

constexpr std::string_view kWhitespace = " \t";

std::string_view TrimWhitespace(std::string_view text) {
  std::size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  std::size_t end = text.find_last_not_of(kWhitespace);
  return text.substr(begin, end - begin + 1);
}

}  // namespace

std::vector<std::string_view> SplitFieldList(std::string_view value) {
  std::vector<std::string_view> elements;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view element = TrimWhitespace(value.substr(start, end - start));
    if (!element.empty()) elements.push_back(element);
    start = end + 1;
  }
  return elements;
}

std::string MediaTypeOf(std::string_view value) {
  return AsciiLower(TrimWhitespace(value.substr(0, value.find(';'))));
}

}  // namespace quanta::ports
