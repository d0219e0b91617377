#include "ports/http_fields.h"

#include <charconv>

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

// One element of an Accept value: "application/*;q=0.5" -> {"application", "*", 0.5}.
struct MediaRange {
  std::string type;
  std::string subtype;
  double q = 1;
};

std::optional<MediaRange> ParseMediaRange(std::string_view element) {
  std::size_t semicolon = element.find(';');
  std::string range = AsciiLower(TrimWhitespace(element.substr(0, semicolon)));
  std::size_t slash = range.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == range.size()) return std::nullopt;
  MediaRange parsed{range.substr(0, slash), range.substr(slash + 1)};
  if (parsed.type == "*" && parsed.subtype != "*") return std::nullopt;
  while (semicolon != std::string_view::npos) {
    std::size_t next = element.find(';', semicolon + 1);
    std::string_view parameter =
        element.substr(semicolon + 1, next == std::string_view::npos ? next : next - semicolon - 1);
    semicolon = next;
    std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) continue;
    if (AsciiLower(TrimWhitespace(parameter.substr(0, equals))) != "q") continue;
    std::string_view value = TrimWhitespace(parameter.substr(equals + 1));
    double q = -1;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (error != std::errc() || end != value.data() + value.size() || q < 0 || q > 1) {
      return std::nullopt;
    }
    parsed.q = q;
    break;  // what follows q are accept extensions
  }
  return parsed;
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

std::optional<std::size_t> NegotiateMediaType(const std::optional<std::string>& accept,
                                              std::span<const std::string_view> offers) {
  if (offers.empty()) return std::nullopt;
  if (!accept || TrimWhitespace(*accept).empty()) return 0;
  std::vector<MediaRange> ranges;
  for (std::string_view element : SplitFieldList(*accept)) {
    if (std::optional<MediaRange> range = ParseMediaRange(element)) ranges.push_back(*range);
  }
  std::optional<std::size_t> chosen;
  double chosen_q = 0;
  std::size_t chosen_position = 0;
  for (std::size_t offer = 0; offer < offers.size(); ++offer) {
    std::string_view type = offers[offer].substr(0, offers[offer].find('/'));
    std::string_view subtype =
        offers[offer].substr(std::min(type.size() + 1, offers[offer].size()));
    int best_specificity = -1;
    double q = 0;
    std::size_t position = 0;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const MediaRange& range = ranges[i];
      int specificity = -1;
      if (range.type == "*") {
        specificity = 0;
      } else if (range.type == type && range.subtype == "*") {
        specificity = 1;
      } else if (range.type == type && range.subtype == subtype) {
        specificity = 2;
      }
      if (specificity > best_specificity) {
        best_specificity = specificity;
        q = range.q;
        position = i;
      }
    }
    if (best_specificity < 0 || q <= 0) continue;
    if (!chosen || q > chosen_q || (q == chosen_q && position < chosen_position)) {
      chosen = offer;
      chosen_q = q;
      chosen_position = position;
    }
  }
  return chosen;
}

}  // namespace quanta::ports
