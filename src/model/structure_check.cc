#include "model/structure_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "model/embedded_files.h"
#include "model/json_schema.h"

namespace quanta::model {
namespace {

constexpr const char* kOdcs31 = "odcs-json-schema-v3.1.0.json";
constexpr const char* kOdcs302 = "odcs-json-schema-v3.0.2.json";
constexpr const char* kOdps100 = "odps-json-schema-v1.0.0.json";
constexpr const char* kPipelineSchema = "quanta-pipeline-v1.json";

// The four embedded schemas, compiled on first use (a function-local static: thread-safe).
struct CompiledSchemas {
  struct Entry {
    std::string name;
    std::optional<JsonSchema> schema;
    Status status;
  };
  std::vector<Entry> entries;

  CompiledSchemas() {
    for (const char* name : {kOdcs31, kOdcs302, kOdps100, kPipelineSchema}) {
      Entry entry{name, std::nullopt, Status::Ok()};
      std::string_view text = FindEmbeddedFile(name);
      if (text.empty()) {
        entry.status = Status::Internal("the schema {} is not embedded in this build", name);
      } else {
        Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_discarded()) {
          entry.status = Status::Internal("the embedded schema {} is not valid JSON", name);
        } else {
          Result<JsonSchema> compiled = JsonSchema::Compile(parsed);
          if (compiled.ok()) {
            entry.schema.emplace(std::move(compiled).value());
          } else {
            entry.status = compiled.status();
          }
        }
      }
      entries.push_back(std::move(entry));
    }
  }

  const Entry& Find(std::string_view name) const {
    for (const Entry& entry : entries) {
      if (entry.name == name) return entry;
    }
    return entries.front();  // not reached: every name above is compiled
  }
};

const CompiledSchemas& Schemas() {
  static const CompiledSchemas schemas;
  return schemas;
}

Diagnostic MakeDiagnostic(const Document& document, std::string_view pointer, bool at_key,
                          std::string rule, std::string message, std::string hint = "",
                          Severity severity = Severity::kError) {
  Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.rule = std::move(rule);
  diagnostic.location = at_key ? document.LocateKey(pointer) : document.Locate(pointer);
  diagnostic.message = std::move(message);
  diagnostic.hint = std::move(hint);
  return diagnostic;
}

// "minItems" -> "min-items".
std::string KebabCase(std::string_view keyword) {
  std::string text;
  for (char c : keyword) {
    if (c == '$') continue;
    if (std::isupper(static_cast<unsigned char>(c))) {
      text += '-';
      text += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      text += c;
    }
  }
  return text;
}

std::string RuleFor(const SchemaViolation& violation) {
  // A field that should not be there is one kind of mistake for the user, whichever keyword
  // of the schema forbids it.
  if (violation.keyword == "additionalProperties" || violation.keyword == "unevaluatedProperties" ||
      (violation.keyword == "false" && violation.names_field)) {
    return "schema/additional-properties";
  }
  return "schema/" + KebabCase(violation.keyword);
}

std::string HintFor(const SchemaViolation& violation) {
  if (violation.names_field && !violation.choices.empty()) {
    std::string closest = ClosestName(violation.found, violation.choices);
    if (!closest.empty()) return fmt::format("did you mean '{}'?", closest);
    if (std::find(violation.choices.begin(), violation.choices.end(), "customProperties") !=
        violation.choices.end()) {
      return "fields of your own go in customProperties, as {property: ..., value: ...} entries";
    }
    return "";
  }
  if (violation.keyword == "enum" || violation.keyword == "const") {
    std::string closest = ClosestName(violation.found, violation.choices);
    if (!closest.empty() && closest != violation.found) {
      return fmt::format("did you mean '{}'?", closest);
    }
  }
  return "";
}

Diagnostic UnknownKind(const Document& document) {
  static const std::vector<std::string> kKinds = {"DataContract", "DataProduct", "Pipeline"};
  const Json& root = document.root();
  std::string kinds =
      "DataContract (an ODCS contract), DataProduct (an ODPS product) or Pipeline "
      "(a Quanta pipeline.yaml)";
  if (!root.is_object()) {
    return MakeDiagnostic(document, "", false, "schema/kind",
                          fmt::format("the document must be a map of fields starting with "
                                      "`kind:`, not {}",
                                      root.is_array() ? "a list" : "a single value"),
                          fmt::format("a document's kind is {}", kinds));
  }
  auto kind = root.find("kind");
  if (kind == root.end()) {
    return MakeDiagnostic(document, "", false, "schema/kind",
                          "the document has no `kind`, so it cannot be checked",
                          fmt::format("add `kind:` with one of {}", kinds));
  }
  std::string found = kind->is_string() ? kind->get<std::string>() : kind->dump();
  std::string closest = ClosestName(found, kKinds);
  return MakeDiagnostic(document, "/kind", false, "schema/kind",
                        fmt::format("unknown kind '{}': a document's kind is {}", found, kinds),
                        closest.empty() ? "" : fmt::format("did you mean '{}'?", closest));
}

}  // namespace

std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates) {
  auto lower = [](std::string_view text) {
    std::string result(text);
    for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return result;
  };
  std::string target = lower(word);
  if (target.empty() || target.size() > 200) return "";
  std::string best;
  std::size_t best_distance = std::string::npos;
  std::vector<std::size_t> previous, current;
  for (const std::string& candidate : candidates) {
    std::string other = lower(candidate);
    if (other.size() > 200) continue;
    // Levenshtein distance, two rows.
    previous.resize(other.size() + 1);
    current.resize(other.size() + 1);
    for (std::size_t j = 0; j <= other.size(); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= target.size(); ++i) {
      current[0] = i;
      for (std::size_t j = 1; j <= other.size(); ++j) {
        std::size_t substitution = previous[j - 1] + (target[i - 1] == other[j - 1] ? 0 : 1);
        current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      }
      std::swap(previous, current);
    }
    std::size_t distance = previous[other.size()];
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  std::size_t allowed = target.size() < 5 ? 1 : target.size() < 12 ? 2 : 3;
  if (best_distance > allowed || best_distance >= target.size()) return "";
  return best;
}

std::vector<Diagnostic> CheckStructure(const Document& document, DocumentKind kind) {
  std::vector<Diagnostic> diagnostics;
  const Json& root = document.root();
  if (kind == DocumentKind::kUnknown) {
    diagnostics.push_back(UnknownKind(document));
    return diagnostics;
  }
  std::optional<std::string> api_version;
  if (root.is_object()) {
    auto found = root.find("apiVersion");
    if (found != root.end() && found->is_string()) api_version = found->get<std::string>();
  }

  // Pick the schema. A missing or non-string apiVersion is left to the schema to report.
  const char* schema_name = kPipelineSchema;
  if (kind == DocumentKind::kContract) {
    schema_name = kOdcs31;
    if (api_version &&
        (*api_version == "v3.0.0" || *api_version == "v3.0.1" || *api_version == "v3.0.2")) {
      schema_name = kOdcs302;
    } else if (api_version && *api_version != "v3.1.0") {
      diagnostics.push_back(MakeDiagnostic(
          document, "/apiVersion", false, "schema/api-version",
          fmt::format("apiVersion '{}' is not supported: Quanta reads ODCS contracts of "
                      "apiVersion v3.1.0, v3.0.2, v3.0.1 or v3.0.0",
                      *api_version),
          "write the contract for ODCS v3.1.0 and set `apiVersion: v3.1.0`"));
      return diagnostics;
    }
  } else if (kind == DocumentKind::kProduct) {
    schema_name = kOdps100;
    if (api_version && *api_version == "v0.9.0") {
      diagnostics.push_back(MakeDiagnostic(
          document, "/apiVersion", false, "schema/api-version",
          "apiVersion v0.9.0 is an earlier ODPS version; Quanta targets v1.0.0 and checks the "
          "document against it",
          "set `apiVersion: v1.0.0`", Severity::kWarning));
    } else if (api_version && *api_version != "v1.0.0") {
      diagnostics.push_back(MakeDiagnostic(
          document, "/apiVersion", false, "schema/api-version",
          fmt::format("apiVersion '{}' is not supported: Quanta reads ODPS products of "
                      "apiVersion v1.0.0 (or v0.9.0)",
                      *api_version),
          "set `apiVersion: v1.0.0`"));
      return diagnostics;
    }
  }

  const CompiledSchemas::Entry& entry = Schemas().Find(schema_name);
  if (!entry.schema) {
    diagnostics.push_back(
        MakeDiagnostic(document, "", false, "schema/internal", entry.status.message()));
    return diagnostics;
  }
  std::size_t first = diagnostics.size();
  for (const SchemaViolation& violation : entry.schema->Validate(root)) {
    diagnostics.push_back(MakeDiagnostic(document, violation.pointer, violation.names_field,
                                         RuleFor(violation), violation.message,
                                         HintFor(violation)));
  }
  std::stable_sort(diagnostics.begin() + static_cast<std::ptrdiff_t>(first), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.location.line, a.location.column) <
                            std::tie(b.location.line, b.location.column);
                   });
  return diagnostics;
}

}  // namespace quanta::model
