#include "governance/policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "base/ascii.h"
#include "engine/select_check.h"

namespace quanta::governance {
namespace {

constexpr std::string_view kPolicyErrorRule = "policy-error";
constexpr std::string_view kPolicyErrorHint =
    "a policy is one SELECT over the metadata tables (docs/policies.md) returning a `message` "
    "column; try it with `quanta sqllogictest`";

Diagnostic PolicyError(const std::string& file, int line, std::string message,
                       std::string hint = std::string(kPolicyErrorHint)) {
  Diagnostic diagnostic;
  diagnostic.severity = Severity::kError;
  diagnostic.rule = std::string(kPolicyErrorRule);
  diagnostic.location.file = file;
  diagnostic.location.line = line;
  diagnostic.location.column = line > 0 ? 1 : 0;
  diagnostic.message = std::move(message);
  diagnostic.hint = std::move(hint);
  return diagnostic;
}

// "id: owner-required" -> {"id", "owner-required"}; nullopt when the comment is free text
// rather than a `key: value` header line.
std::optional<std::pair<std::string, std::string>> HeaderField(std::string_view comment) {
  std::size_t colon = comment.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view key = comment.substr(0, colon);
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return std::nullopt;
    }
  }
  return std::make_pair(std::string(key), std::string(TrimBlanks(comment.substr(colon + 1))));
}

bool IsValidId(std::string_view id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

int FindColumn(const engine::QueryResult& result, std::string_view name) {
  for (std::size_t i = 0; i < result.columns.size(); ++i) {
    if (AsciiLower(result.columns[i].name) == name) return static_cast<int>(i);
  }
  return -1;
}

std::string CellText(const std::vector<std::optional<std::string>>& row, int column) {
  if (column < 0 || !row[column]) return std::string();
  return *row[column];
}

// Runs `sql` in a READ ONLY transaction and rolls it back, whatever happens.
Result<engine::QueryResult> QueryReadOnly(engine::Connection& connection, const std::string& sql) {
  QUANTA_RETURN_IF_ERROR(connection.Execute("BEGIN TRANSACTION READ ONLY"));
  Result<engine::QueryResult> result = connection.Query(sql);
  Status rollback = connection.Execute("ROLLBACK");
  if (!result.ok()) return result.status();
  if (!rollback.ok()) return rollback;
  return result;
}

void RunPolicy(engine::Connection& connection, const Policy& policy,
               const ProductMetadata& metadata, std::vector<Diagnostic>* diagnostics) {
  // Refuses anything but one SELECT before any of it runs: INSERT, COPY, ATTACH, SET, PRAGMA
  // and a second statement after a semicolon.
  if (std::optional<std::string> problem = engine::NotOneSelect(connection, policy.sql)) {
    diagnostics->push_back(PolicyError(
        policy.file, policy.sql_line,
        fmt::format("policy '{}' is refused: {}; a policy is one SELECT, which only reads",
                    policy.id, *problem)));
    return;
  }
  Result<engine::QueryResult> result = QueryReadOnly(connection, policy.sql);
  if (!result.ok()) {
    // DuckDB adds "LINE n:" and a caret under the first line of its message; keep the first
    // line and turn n into the line of the policy file.
    const std::string& error = result.status().message();
    int line = policy.sql_line;
    std::size_t marker = error.find("LINE ");
    if (marker != std::string::npos) {
      int body_line = std::atoi(error.c_str() + marker + 5);
      if (body_line > 0) line = policy.sql_line + body_line - 1;
    }
    diagnostics->push_back(PolicyError(policy.file, line,
                                       fmt::format("policy '{}' failed to run: {}", policy.id,
                                                   error.substr(0, error.find('\n')))));
    return;
  }
  int message_column = FindColumn(*result, "message");
  if (message_column < 0) {
    std::vector<std::string> names;
    for (const engine::Column& column : result->columns) names.push_back(column.name);
    diagnostics->push_back(PolicyError(
        policy.file, policy.sql_line,
        fmt::format("policy '{}' returns no `message` column (its columns: {})", policy.id,
                    names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")))));
    return;
  }
  int file_column = FindColumn(*result, "file");
  int pointer_column = FindColumn(*result, "pointer");
  int hint_column = FindColumn(*result, "hint");
  for (const auto& row : result->rows) {
    Diagnostic diagnostic;
    diagnostic.severity =
        policy.severity == PolicySeverity::kBlocking ? Severity::kError : Severity::kWarning;
    diagnostic.rule = "policy/" + policy.id;
    diagnostic.location =
        metadata.Locate(CellText(row, file_column), CellText(row, pointer_column));
    diagnostic.message = CellText(row, message_column);
    if (diagnostic.message.empty()) {
      diagnostic.message = policy.description.empty()
                               ? fmt::format("violates policy '{}'", policy.id)
                               : policy.description;
    }
    std::string row_hint = CellText(row, hint_column);
    diagnostic.hint = row_hint.empty() ? policy.hint : row_hint;
    diagnostics->push_back(std::move(diagnostic));
  }
}

}  // namespace

ParsedPolicy ParsePolicy(std::string_view text, const std::string& file) {
  ParsedPolicy parsed;
  Policy policy;
  policy.file = file;
  std::optional<std::string> severity;
  int severity_line = 0;
  int line_number = 0;
  std::size_t position = 0;
  std::size_t body_start = text.size();
  bool in_header = true;
  while (in_header && position < text.size()) {
    std::size_t end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = TrimBlanks(text.substr(position, end - position));
    ++line_number;
    if (!line.empty() && !line.starts_with("--")) {
      body_start = position;
      policy.sql_line = line_number;
      in_header = false;
      break;
    }
    if (line.starts_with("--")) {
      if (auto field = HeaderField(TrimBlanks(line.substr(2)))) {
        const auto& [key, value] = *field;
        if (key == "id") {
          policy.id = value;
        } else if (key == "severity") {
          severity = value;
          severity_line = line_number;
        } else if (key == "description") {
          policy.description = value;
        } else if (key == "hint") {
          policy.hint = value;
        } else {
          parsed.error = PolicyError(
              file, line_number, fmt::format("unknown policy header '{}'", key),
              "a header line is `-- key: value` with key id, severity, description or hint; "
              "write other comments without a colon after their first word");
          return parsed;
        }
      }
    }
    position = end + 1;
  }
  if (policy.id.empty()) policy.id = std::filesystem::path(file).stem().string();
  if (!IsValidId(policy.id)) {
    parsed.error = PolicyError(file, 1, fmt::format("invalid policy id '{}'", policy.id),
                               "an id uses letters, digits, '-', '_' and '.', e.g. "
                               "`-- id: owner-required`");
    return parsed;
  }
  if (!severity) {
    parsed.error = PolicyError(file, 1, fmt::format("policy '{}' has no severity", policy.id),
                               "add a header line `-- severity: blocking` or "
                               "`-- severity: warning`");
    return parsed;
  }
  if (*severity == "blocking") {
    policy.severity = PolicySeverity::kBlocking;
  } else if (*severity == "warning") {
    policy.severity = PolicySeverity::kWarning;
  } else {
    parsed.error =
        PolicyError(file, severity_line,
                    fmt::format("unknown severity '{}' in policy '{}'", *severity, policy.id),
                    "write `-- severity: blocking` or `-- severity: warning`");
    return parsed;
  }
  policy.sql = std::string(TrimBlanks(text.substr(std::min(body_start, text.size()))));
  if (policy.sql.empty()) {
    parsed.error = PolicyError(file, line_number,
                               fmt::format("policy '{}' has no query after its header", policy.id));
    return parsed;
  }
  parsed.policy = std::move(policy);
  return parsed;
}

void PolicySet::Put(Policy policy) {
  for (Policy& existing : policies) {
    if (existing.id == policy.id) {
      existing = std::move(policy);
      return;
    }
  }
  policies.push_back(std::move(policy));
}

Result<PolicySet> LoadPolicyFolder(const std::filesystem::path& folder) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    return Status::IoError("{}: the policy folder does not exist or is not a folder",
                           folder.string());
  }
  std::vector<std::filesystem::path> files;
  std::filesystem::recursive_directory_iterator it(folder, error);
  if (error)
    return Status::IoError("{}: cannot read the policy folder: {}", folder.string(),
                           error.message());
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    if (it->is_regular_file(error) && it->path().extension() == ".sql") {
      files.push_back(it->path());
    }
  }
  if (error) {
    return Status::IoError("{}: cannot read the policy folder: {}", folder.string(),
                           error.message());
  }
  std::sort(files.begin(), files.end());

  PolicySet set;
  for (const std::filesystem::path& path : files) {
    std::ifstream stream(path, std::ios::binary);
    std::stringstream text;
    if (stream.is_open()) text << stream.rdbuf();
    if (!stream.is_open() || stream.bad()) {
      set.errors.push_back(PolicyError(path.string(), 0, "cannot read the policy file"));
      continue;
    }
    ParsedPolicy parsed = ParsePolicy(text.str(), path.string());
    if (parsed.error) {
      set.errors.push_back(std::move(*parsed.error));
      continue;
    }
    auto same_id = std::find_if(set.policies.begin(), set.policies.end(),
                                [&](const Policy& p) { return p.id == parsed.policy->id; });
    if (same_id != set.policies.end()) {
      set.errors.push_back(PolicyError(
          path.string(), 1,
          fmt::format("policy id '{}' is already used by {}", parsed.policy->id, same_id->file),
          "give each policy of a folder its own `-- id:`"));
      continue;
    }
    set.policies.push_back(std::move(*parsed.policy));
  }
  return set;
}

std::vector<Diagnostic> RunPolicies(engine::Connection& connection,
                                    const std::vector<Policy>& policies,
                                    const ProductMetadata& metadata) {
  std::vector<Diagnostic> diagnostics;
  for (const Policy& policy : policies) RunPolicy(connection, policy, metadata, &diagnostics);
  return diagnostics;
}

}  // namespace quanta::governance
