#include "ports/ingest_port.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "base/ascii.h"
#include "base/json_nesting.h"
#include "base/json_syntax.h"
#include "ports/http_error.h"
#include "ports/http_fields.h"
#include "store/clock.h"

namespace quanta::ports {
namespace {

constexpr std::size_t kMaxIdempotencyKey = 200;

constexpr std::string_view kSendAnArray =
    "send an array, or NDJSON (one record per line) with Content-Type: application/x-ndjson";

Status NotAnArray() {
  return Status::Usage("the body is not a JSON array of records; {}", kSendAnArray);
}

// The body's array, `trimmed` of its blanks, is not JSON: where (in the body) and why.
Status NotJson(std::string_view body, std::string_view trimmed) {
  std::optional<JsonSyntaxError> error = FindJsonSyntaxError(trimmed);
  if (!error) return NotAnArray();
  std::size_t offset = static_cast<std::size_t>(trimmed.data() - body.data()) + error->offset;
  return Status::Usage("the body is not a JSON array of records: not valid JSON {}: {}; {}",
                       error->offset >= trimmed.size() ? fmt::format("at its end (byte {})", offset)
                                                       : fmt::format("at byte {}", offset),
                       error->reason, kSendAnArray);
}

// The elements of `array`, a JSON array that a parser read as valid, each as the text it was
// sent as, without the blanks between its tokens (so on one line: a JSON string holds no raw
// line break). The text, not a parser's reading of it: a number keeps every digit it was
// written with (1.0000000000000001 is no integer, though a double reads it as 1).
std::vector<std::string> ArrayElements(std::string_view array) {
  std::string minified(array.size(), '\0');
  std::size_t length = 0;
  if (simdjson::minify(array.data(), array.size(), minified.data(), length) != simdjson::SUCCESS) {
    minified.assign(array);
    length = array.size();
  }
  minified.resize(length);
  std::vector<std::string> elements;
  std::size_t depth = 0, start = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < minified.size(); ++i) {
    char c = minified[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (depth++ == 0) start = i + 1;
        break;
      case ']':
      case '}':
        if (--depth == 0 && i > start) elements.emplace_back(minified, start, i - start);
        break;
      case ',':
        if (depth == 1) {
          elements.emplace_back(minified, start, i - start);
          start = i + 1;
        }
        break;
      default:
        break;
    }
  }
  return elements;
}

}  // namespace

Result<std::vector<std::string>> SplitRecords(std::string_view body,
                                              std::string_view content_type) {
  std::vector<std::string> records;
  std::string_view trimmed = TrimBlanks(body);
  bool is_array = (!trimmed.empty() && trimmed.front() == '[') ||
                  MediaTypeOf(content_type) == "application/json";
  if (is_array) {
    simdjson::dom::parser parser;
    simdjson::dom::element parsed;
    simdjson::dom::array array;
    if (parser.parse(trimmed.data(), trimmed.size()).get(parsed) == simdjson::SUCCESS) {
      if (parsed.get_array().get(array) != simdjson::SUCCESS) return NotAnArray();
      return ArrayElements(trimmed);
    }
    // simdjson refuses some JSON that nlohmann-json reads (integers beyond 64 bits): then
    // nlohmann-json decides. Nesting deeper than simdjson's 1024 levels is refused here, since
    // writing such an element back out would recurse once per level.
    if (std::size_t depth = JsonNestingDepth(trimmed); depth > kMaxJsonNesting) {
      return Status::Invalid(
          "the body nests arrays or objects {} levels deep; a batch may nest at most {}", depth,
          kMaxJsonNesting);
    }
    nlohmann::json fallback = nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
    if (fallback.is_discarded()) return NotJson(body, trimmed);
    if (!fallback.is_array()) return NotAnArray();
    return ArrayElements(trimmed);
  }
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!TrimBlanks(line).empty()) records.emplace_back(line);
    start = end + 1;
  }
  return records;
}

Result<std::optional<std::string>> IngestIdempotencyKey(const HttpRequest& request) {
  constexpr std::string_view kSingleValued[] = {"Idempotency-Key", "Content-Type"};
  QUANTA_RETURN_IF_ERROR(request.CheckHeaderOnce(kSingleValued));
  std::optional<std::string> key = request.Header("Idempotency-Key");
  if (key && (key->empty() || key->size() > kMaxIdempotencyKey)) {
    return Status::Usage("Idempotency-Key must have 1 to {} characters", kMaxIdempotencyKey);
  }
  return key;
}

std::optional<HttpResponse> RefuseIngestMediaType(const HttpRequest& request) {
  std::optional<std::string> content_type = request.Header("Content-Type");
  std::string media_type = MediaTypeOf(content_type.value_or(""));
  if (media_type.empty()) return std::nullopt;
  for (std::string_view accepted : kIngestMediaTypes) {
    if (media_type == accepted) return std::nullopt;
  }
  return ErrorResponse(
      HttpFault::kUnsupportedMediaType,
      fmt::format("Content-Type '{}' is not one an ingest port reads; it reads {} or none: NDJSON "
                  "(one record per line), or a JSON array with application/json or a body "
                  "starting with '['; `quanta ingest` sends CSV and Parquet files as NDJSON",
                  *content_type, fmt::join(kIngestMediaTypes, ", ")));
}

nlohmann::json IngestOutcomeToJson(const pipeline::IngestOutcome& outcome) {
  nlohmann::json rejections = nlohmann::json::array();
  for (const pipeline::IngestRejection& rejection : outcome.rejections) {
    rejections.push_back(
        {{"index", rejection.index}, {"offset", rejection.offset}, {"reason", rejection.reason}});
  }
  return {{"version", outcome.commit.version},
          {"committedAt", store::FormatTimestamp(outcome.commit.committed_at)},
          {"received", outcome.received},
          {"accepted", outcome.accepted},
          {"rejected", outcome.rejected},
          {"replayed", outcome.replayed},
          {"rejections", rejections}};
}

HttpResponse ServeIngest(const HttpRequest& request, pipeline::ProductRunner& runner,
                         std::string_view port, const IngestObserver& observe) {
  // An unknown port is the first thing wrong with a batch, whatever its body.
  if (!runner.InputObject(port)) {
    return ErrorResponse(Status::NotFound("product has no input port '{}' (its input ports: {})",
                                          port, fmt::join(runner.InputPorts(), ", ")));
  }
  Result<std::optional<std::string>> key = IngestIdempotencyKey(request);
  if (!key.ok()) return ErrorResponse(key.status());
  if (std::optional<HttpResponse> refused = RefuseIngestMediaType(request)) return *refused;
  Result<std::vector<std::string>> records =
      SplitRecords(request.body, request.Header("Content-Type").value_or(""));
  if (!records.ok()) return ErrorResponse(records.status());
  if (records->empty()) {
    return ErrorResponse(Status::Usage("the body holds no records"));
  }
  Result<pipeline::IngestOutcome> outcome = runner.Ingest(port, *records, *key);
  if (observe) observe(outcome);
  if (!outcome.ok()) return ErrorResponse(outcome.status());
  return HttpResponse::Json(200, IngestOutcomeToJson(*outcome));
}

}  // namespace quanta::ports
