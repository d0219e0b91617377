#include "base/json_syntax.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace quanta {
namespace {

// Reads a text's events without keeping them, and notes the first syntax error.
class ErrorFinder : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& error) override {
    found_ = JsonSyntaxError{position > 0 ? position - 1 : 0, Reason(error.what())};
    return false;
  }
  const std::optional<JsonSyntaxError>& found() const { return found_; }

 private:
  // nlohmann-json's message without its exception id, its line and column (the offset says
  // where), its parsing context and the token it last read (the sender's bytes, which may not
  // be UTF-8).
  static std::string Reason(std::string_view message) {
    if (message.substr(0, 1) == "[") {
      std::size_t id_end = message.find("] ");
      if (id_end != std::string_view::npos) message.remove_prefix(id_end + 2);
    }
    if (std::size_t at = message.find(": syntax error while parsing "); at != message.npos) {
      message.remove_prefix(at + 2);
      std::size_t dash = message.find(" - ");
      if (dash != std::string_view::npos) message.remove_prefix(dash + 3);
    }
    std::string reason(message);
    if (std::size_t read = reason.find("; last read: '"); read != std::string::npos) {
      std::size_t expected = reason.find("'; expected ", read);
      reason.erase(read, expected == std::string::npos ? std::string::npos : expected + 1 - read);
    }
    if (reason.size() > 200) reason = reason.substr(0, 197) + "...";
    return reason;
  }

  std::optional<JsonSyntaxError> found_;
};

}  // namespace

std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text) {
  ErrorFinder finder;
  bool read = nlohmann::json::sax_parse(text, &finder, nlohmann::json::input_format_t::json,
                                        /*strict=*/true, /*ignore_comments=*/false);
  if (read) return std::nullopt;
  if (finder.found()) return finder.found();
  return JsonSyntaxError{text.size(), "not one JSON value"};
}

std::string DescribeInvalidJson(std::string_view text) {
  std::optional<JsonSyntaxError> error = FindJsonSyntaxError(text);
  if (!error) return "not valid JSON";
  if (error->offset >= text.size()) {
    return fmt::format("not valid JSON at its end (byte {}): {}", text.size(), error->reason);
  }
  return fmt::format("not valid JSON at byte {}: {}", error->offset, error->reason);
}

}  // namespace quanta
