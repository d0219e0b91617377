#include "query/sqllogictest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <system_error>

#include "engine/database.h"
#include "governance/default_policies.h"
#include "governance/policy.h"
#include "governance/product_metadata.h"
#include "model/product_folder.h"

namespace quanta::query {
namespace {

// Requirements that every Quanta build meets: DuckDB's extensions compiled into libduckdb.
constexpr std::string_view kBuiltInRequirements[] = {"json", "parquet", "icu"};
// Engines that `skipif` and `onlyif` name for this runner.
constexpr std::string_view kThisEngine[] = {"duckdb", "quanta"};

enum class RecordKind {
  kStatement,
  kQuery,
  kRequire,
  kMode,
  kHalt,
  kLoop,
  kForeach,
  kEndLoop,
  kSkipIf,
  kOnlyIf,
  kLoadProduct,
  kLoadPolicies,
};

// One record of a test file: its directive line, and for statements and queries the SQL and
// what follows `----`.
struct Record {
  RecordKind kind;
  int line = 0;
  std::vector<std::string> tokens;
  std::string sql;
  std::vector<std::string> expected;
  bool has_expected = false;
  std::size_t matching = 0;  // loop <-> endloop partner
};

struct ParsedFile {
  std::vector<Record> records;
  std::optional<std::string> error;  // "line N: reason"
};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string> SplitWhitespace(std::string_view text) {
  std::vector<std::string> tokens;
  std::istringstream stream{std::string(text)};
  std::string token;
  while (stream >> token) tokens.push_back(token);
  return tokens;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> values;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    if (tab == std::string::npos) {
      values.push_back(line.substr(start));
      return values;
    }
    values.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

const std::map<std::string, RecordKind>& Directives() {
  static const auto* directives = new std::map<std::string, RecordKind>{
      {"statement", RecordKind::kStatement},
      {"query", RecordKind::kQuery},
      {"require", RecordKind::kRequire},
      {"mode", RecordKind::kMode},
      {"halt", RecordKind::kHalt},
      {"loop", RecordKind::kLoop},
      {"foreach", RecordKind::kForeach},
      {"endloop", RecordKind::kEndLoop},
      {"skipif", RecordKind::kSkipIf},
      {"onlyif", RecordKind::kOnlyIf},
      {"load-product", RecordKind::kLoadProduct},
      {"load-policies", RecordKind::kLoadPolicies},
  };
  return *directives;
}

ParsedFile ParseTestFile(const std::string& text) {
  ParsedFile parsed;
  std::vector<std::string> lines = SplitLines(text);
  std::vector<std::size_t> open_loops;
  auto fail = [&parsed](int line, std::string reason) {
    parsed.error = fmt::format("line {}: {}", line, reason);
    return parsed;
  };
  std::size_t i = 0;
  while (i < lines.size()) {
    std::string_view trimmed = Trim(lines[i]);
    if (trimmed.empty() || trimmed.front() == '#') {
      ++i;
      continue;
    }
    Record record;
    record.line = static_cast<int>(i) + 1;
    record.tokens = SplitWhitespace(trimmed);
    auto directive = Directives().find(record.tokens[0]);
    if (directive == Directives().end()) {
      return fail(record.line, fmt::format("unknown directive '{}'", record.tokens[0]));
    }
    record.kind = directive->second;
    ++i;
    switch (record.kind) {
      case RecordKind::kStatement:
      case RecordKind::kQuery: {
        const char* what = record.kind == RecordKind::kQuery ? "query" : "statement";
        if (record.tokens.size() < 2) {
          return fail(record.line, record.kind == RecordKind::kQuery
                                       ? "`query` needs its column types, e.g. `query IT`"
                                       : "`statement` needs ok, error or maybe");
        }
        if (record.kind == RecordKind::kStatement && record.tokens[1] != "ok" &&
            record.tokens[1] != "error" && record.tokens[1] != "maybe") {
          return fail(record.line, fmt::format("unknown statement kind '{}' (ok, error, maybe)",
                                               record.tokens[1]));
        }
        if (record.kind == RecordKind::kQuery && record.tokens.size() > 2 &&
            record.tokens[2] != "nosort" && record.tokens[2] != "rowsort" &&
            record.tokens[2] != "valuesort") {
          return fail(
              record.line,
              fmt::format("unknown sort mode '{}' (nosort, rowsort, valuesort)", record.tokens[2]));
        }
        while (i < lines.size() && !Trim(lines[i]).empty() && Trim(lines[i]) != "----") {
          if (Trim(lines[i]).front() != '#') record.sql += lines[i] + "\n";
          ++i;
        }
        if (Trim(record.sql).empty()) return fail(record.line, fmt::format("{} without SQL", what));
        if (i < lines.size() && Trim(lines[i]) == "----") {
          record.has_expected = true;
          ++i;
          while (i < lines.size() && !Trim(lines[i]).empty()) record.expected.push_back(lines[i++]);
        }
        if (record.kind == RecordKind::kQuery && !record.has_expected) {
          return fail(record.line, "query without `----` and its expected rows");
        }
        break;
      }
      case RecordKind::kLoop:
        if (record.tokens.size() != 4) return fail(record.line, "write `loop VAR FROM TO`");
        open_loops.push_back(parsed.records.size());
        break;
      case RecordKind::kForeach:
        if (record.tokens.size() < 3) return fail(record.line, "write `foreach VAR VALUE...`");
        open_loops.push_back(parsed.records.size());
        break;
      case RecordKind::kEndLoop:
        if (open_loops.empty()) return fail(record.line, "`endloop` without `loop`");
        record.matching = open_loops.back();
        parsed.records[open_loops.back()].matching = parsed.records.size();
        open_loops.pop_back();
        break;
      case RecordKind::kHalt:
        break;
      default:
        if (record.tokens.size() != 2) {
          return fail(record.line, fmt::format("`{}` takes one argument", record.tokens[0]));
        }
        break;
    }
    parsed.records.push_back(std::move(record));
  }
  if (!open_loops.empty()) {
    return fail(parsed.records[open_loops.back()].line, "`loop` without `endloop`");
  }
  return parsed;
}

std::string Indent(std::string_view text, std::string_view prefix = "    ") {
  std::string indented;
  for (const std::string& line : SplitLines(std::string(Trim(text)))) {
    indented += std::string(prefix) + line + "\n";
  }
  return indented;
}

std::string FormatRows(const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  for (const auto& row : rows) text += fmt::format("    {}\n", fmt::join(row, "\t"));
  if (rows.empty()) text = "    (no rows)\n";
  return text;
}

// True when the two texts are the same number (for columns of type R).
bool SameNumber(const std::string& expected, const std::string& actual) {
  char* expected_end = nullptr;
  char* actual_end = nullptr;
  double a = std::strtod(expected.c_str(), &expected_end);
  double b = std::strtod(actual.c_str(), &actual_end);
  if (expected.empty() || actual.empty() || *expected_end != '\0' || *actual_end != '\0') {
    return false;
  }
  return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

std::filesystem::path FindRepositoryRoot(const std::filesystem::path& file) {
  std::error_code error;
  std::filesystem::path folder = std::filesystem::absolute(file, error).parent_path();
  while (!folder.empty()) {
    if (std::filesystem::exists(folder / ".git", error)) return folder;
    std::filesystem::path parent = folder.parent_path();
    if (parent == folder) break;
    folder = parent;
  }
  return std::filesystem::current_path(error);
}

// `path` relative to `base` when it lies inside it, else as it is.
std::string RelativeInside(const std::filesystem::path& path, const std::filesystem::path& base) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error).lexically_normal();
  std::filesystem::path relative =
      absolute.lexically_relative(std::filesystem::absolute(base, error).lexically_normal());
  if (error || relative.empty() || *relative.begin() == "..") return path.string();
  return relative.generic_string();
}

// Runs the records of one file against its own in-memory database.
class FileRun {
 public:
  FileRun(std::filesystem::path file, std::string display_name, std::filesystem::path root)
      : file_(std::move(file)),
        display_name_(std::move(display_name)),
        root_(std::move(root)),
        metadata_(root_) {}

  TestFileResult Run() {
    result_.file = file_;
    std::ifstream stream(file_, std::ios::binary);
    if (!stream.is_open()) return Fail(0, "cannot read the test file");
    std::stringstream text;
    text << stream.rdbuf();
    ParsedFile parsed = ParseTestFile(text.str());
    if (parsed.error) return Fail(0, "malformed test file: " + *parsed.error);

    Result<std::unique_ptr<engine::Database>> database = engine::Database::Open();
    if (!database.ok()) return Fail(0, "cannot open DuckDB: " + database.status().message());
    database_ = std::move(*database);
    Result<std::unique_ptr<engine::Connection>> connection = database_->Connect();
    if (!connection.ok()) return Fail(0, "cannot connect: " + connection.status().message());
    connection_ = std::move(*connection);

    records_ = &parsed.records;
    std::size_t pc = 0;
    while (pc < records_->size() && !finished_) {
      pc = Execute(pc);
    }
    return result_;
  }

 private:
  struct LoopFrame {
    std::string variable;
    std::vector<std::string> values;
    std::size_t position = 0;
    std::size_t begin = 0;  // index of the loop record
  };

  TestFileResult& Fail(int line, std::string detail) {
    result_.outcome = TestOutcome::kFailed;
    result_.detail = line > 0 ? fmt::format("{}:{}: {}", display_name_, line, detail)
                              : fmt::format("{}: {}", display_name_, detail);
    finished_ = true;
    return result_;
  }

  std::string Substitute(std::string text) const {
    for (const LoopFrame& frame : loops_) {
      std::string placeholder = "${" + frame.variable + "}";
      const std::string& value = frame.values[frame.position];
      for (std::size_t at = text.find(placeholder); at != std::string::npos;
           at = text.find(placeholder, at + value.size())) {
        text.replace(at, placeholder.size(), value);
      }
    }
    return text;
  }

  // Runs the record at `pc`; returns the index of the next one.
  std::size_t Execute(std::size_t pc) {
    const Record& record = (*records_)[pc];
    switch (record.kind) {
      case RecordKind::kStatement:
      case RecordKind::kQuery: {
        bool skip = skipping_ || skip_next_;
        skip_next_ = false;
        if (skip) return pc + 1;
        ++result_.records_run;
        if (record.kind == RecordKind::kStatement) {
          RunStatement(record);
        } else {
          RunQuery(record);
        }
        return pc + 1;
      }
      case RecordKind::kRequire: {
        const std::string& name = record.tokens[1];
        if (std::find(std::begin(kBuiltInRequirements), std::end(kBuiltInRequirements), name) ==
            std::end(kBuiltInRequirements)) {
          result_.outcome = TestOutcome::kSkipped;
          result_.detail = fmt::format("requires '{}', which this build does not provide", name);
          finished_ = true;
        }
        return pc + 1;
      }
      case RecordKind::kMode: {
        const std::string& mode = record.tokens[1];
        if (mode == "skip") {
          skipping_ = true;
        } else if (mode == "unskip") {
          skipping_ = false;
        } else {
          Fail(record.line, fmt::format("unsupported mode '{}' (skip, unskip)", mode));
        }
        return pc + 1;
      }
      case RecordKind::kHalt:
        if (!skipping_) finished_ = true;
        return pc + 1;
      case RecordKind::kSkipIf:
      case RecordKind::kOnlyIf: {
        bool names_us = std::find(std::begin(kThisEngine), std::end(kThisEngine),
                                  record.tokens[1]) != std::end(kThisEngine);
        skip_next_ = record.kind == RecordKind::kSkipIf ? names_us : !names_us;
        return pc + 1;
      }
      case RecordKind::kLoop:
      case RecordKind::kForeach:
        return StartLoop(record, pc);
      case RecordKind::kEndLoop: {
        LoopFrame& frame = loops_.back();
        if (++frame.position < frame.values.size()) return frame.begin + 1;
        loops_.pop_back();
        return pc + 1;
      }
      case RecordKind::kLoadProduct:
        if (!skipping_) LoadProduct(record);
        return pc + 1;
      case RecordKind::kLoadPolicies:
        if (!skipping_) LoadPolicies(record);
        return pc + 1;
    }
    return pc + 1;
  }

  std::size_t StartLoop(const Record& record, std::size_t pc) {
    LoopFrame frame;
    frame.variable = record.tokens[1];
    frame.begin = pc;
    if (record.kind == RecordKind::kLoop) {
      char* end_from = nullptr;
      char* end_to = nullptr;
      long from = std::strtol(record.tokens[2].c_str(), &end_from, 10);
      long to = std::strtol(record.tokens[3].c_str(), &end_to, 10);
      if (*end_from != '\0' || *end_to != '\0') {
        Fail(record.line, "loop bounds must be integers: `loop VAR FROM TO`");
        return pc + 1;
      }
      for (long value = from; value < to; ++value) frame.values.push_back(std::to_string(value));
    } else {
      frame.values.assign(record.tokens.begin() + 2, record.tokens.end());
    }
    if (frame.values.empty()) return record.matching + 1;
    loops_.push_back(std::move(frame));
    return pc + 1;
  }

  void RunStatement(const Record& record) {
    std::string sql = Substitute(record.sql);
    Status status = connection_->Execute(sql);
    const std::string& expectation = record.tokens[1];
    if (expectation == "maybe") return;
    if (expectation == "ok") {
      if (!status.ok()) {
        Fail(record.line, fmt::format("statement failed\n  sql:\n{}  error:\n{}", Indent(sql),
                                      Indent(status.message())));
      }
      return;
    }
    if (status.ok()) {
      Fail(record.line,
           fmt::format("statement succeeded, but an error was expected\n  sql:\n{}", Indent(sql)));
      return;
    }
    if (!record.has_expected || record.expected.empty()) return;
    std::string expected;
    for (std::size_t i = 0; i < record.expected.size(); ++i) {
      if (i > 0) expected += "\n";
      expected += Substitute(record.expected[i]);
    }
    bool matches;
    constexpr std::string_view kRegexPrefix = "<REGEX>:";
    if (expected.starts_with(kRegexPrefix)) {
      try {
        matches =
            std::regex_search(status.message(), std::regex(expected.substr(kRegexPrefix.size())));
      } catch (const std::regex_error& error) {
        Fail(record.line, fmt::format("invalid expected-error regex: {}", error.what()));
        return;
      }
    } else {
      matches = status.message().find(expected) != std::string::npos;
    }
    if (!matches) {
      Fail(record.line, fmt::format("statement failed with another error\n  sql:\n{}  expected "
                                    "error containing:\n{}  actual error:\n{}",
                                    Indent(sql), Indent(expected), Indent(status.message())));
    }
  }

  void RunQuery(const Record& record) {
    std::string sql = Substitute(record.sql);
    const std::string& types = record.tokens[1];
    std::string sort_mode = record.tokens.size() > 2 ? record.tokens[2] : "nosort";
    Result<engine::QueryResult> result = connection_->Query(sql);
    if (!result.ok()) {
      Fail(record.line, fmt::format("query failed\n  sql:\n{}  error:\n{}", Indent(sql),
                                    Indent(result.status().message())));
      return;
    }
    std::size_t columns = types.size();
    if (result->columns.size() != columns) {
      Fail(record.line,
           fmt::format("the query returns {} columns but `query {}` declares {}\n  sql:\n{}",
                       result->columns.size(), types, columns, Indent(sql)));
      return;
    }
    std::vector<std::vector<std::string>> actual;
    for (const auto& row : result->rows) {
      std::vector<std::string> values;
      for (std::size_t c = 0; c < row.size(); ++c) {
        const std::optional<std::string>& cell = row[c];
        if (!cell) {
          values.push_back("NULL");
          continue;
        }
        values.push_back(cell->empty() ? "(empty)" : *cell);
      }
      actual.push_back(std::move(values));
    }

    std::vector<std::vector<std::string>> expected;
    bool row_wise = std::all_of(
        record.expected.begin(), record.expected.end(),
        [&](const std::string& line) { return SplitTabs(Substitute(line)).size() == columns; });
    if (row_wise) {
      for (const std::string& line : record.expected) {
        expected.push_back(SplitTabs(Substitute(line)));
      }
    } else if (columns > 1 && record.expected.size() % columns == 0 &&
               std::all_of(
                   record.expected.begin(), record.expected.end(),
                   [](const std::string& line) { return line.find('\t') == std::string::npos; })) {
      // One value per line, as sqllogictest also writes results.
      for (std::size_t i = 0; i < record.expected.size(); i += columns) {
        std::vector<std::string> row;
        for (std::size_t c = 0; c < columns; ++c) row.push_back(Substitute(record.expected[i + c]));
        expected.push_back(std::move(row));
      }
    } else {
      Fail(record.line,
           fmt::format("the expected rows do not have {} tab-separated values each\n  sql:\n{}",
                       columns, Indent(sql)));
      return;
    }

    if (sort_mode == "rowsort") {
      std::sort(actual.begin(), actual.end());
      std::sort(expected.begin(), expected.end());
    } else if (sort_mode == "valuesort") {
      auto flatten = [columns](std::vector<std::vector<std::string>>* rows) {
        std::vector<std::string> values;
        for (const auto& row : *rows) values.insert(values.end(), row.begin(), row.end());
        std::sort(values.begin(), values.end());
        rows->clear();
        for (std::size_t i = 0; i < values.size(); i += columns) {
          rows->emplace_back(values.begin() + i,
                             values.begin() + std::min(values.size(), i + columns));
        }
      };
      flatten(&actual);
      flatten(&expected);
    }

    std::optional<std::size_t> first_difference;
    for (std::size_t r = 0; r < std::max(actual.size(), expected.size()); ++r) {
      if (r >= actual.size() || r >= expected.size()) {
        first_difference = r;
        break;
      }
      bool same = true;
      for (std::size_t c = 0; c < columns; ++c) {
        const std::string& want = expected[r][c];
        const std::string& got = actual[r][c];
        if (want != got && !(types[c] == 'R' && SameNumber(want, got))) same = false;
      }
      if (!same) {
        first_difference = r;
        break;
      }
    }
    if (first_difference) {
      Fail(record.line,
           fmt::format("query result differs (first at row {})\n  sql:\n{}  expected ({} rows):\n"
                       "{}  actual ({} rows):\n{}",
                       *first_difference + 1, Indent(sql), expected.size(), FormatRows(expected),
                       actual.size(), FormatRows(actual)));
    }
  }

  void LoadProduct(const Record& record) {
    std::filesystem::path path = root_ / Substitute(record.tokens[1]);
    std::vector<Diagnostic> diagnostics;
    governance::ProductMetadata added(root_);
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      Result<model::ProductFolder> folder = model::LoadProductFolder(path, &diagnostics);
      if (!folder.ok()) {
        Fail(record.line, "load-product: " + folder.status().message());
        return;
      }
      folders_.push_back(std::make_unique<model::ProductFolder>(std::move(*folder)));
      added.AddFolder(*folders_.back());
      metadata_.AddFolder(*folders_.back());
    } else {
      Result<std::optional<model::Document>> document = model::LoadDocument(path, &diagnostics);
      if (!document.ok()) {
        Fail(record.line, "load-product: " + document.status().message());
        return;
      }
      if (*document) {
        model::DocumentKind kind = model::DetectKind((*document)->root());
        if (kind == model::DocumentKind::kProduct) {
          model::Product product = model::ProductFromJson((*document)->root());
          products_.push_back(std::make_unique<model::ProductFile>(
              model::ProductFile{std::move(**document), std::move(product)}));
          added.AddProduct(*products_.back());
          metadata_.AddProduct(*products_.back());
        } else if (kind == model::DocumentKind::kContract) {
          model::Contract contract = model::ContractFromJson((*document)->root());
          contracts_.push_back(std::make_unique<model::ContractFile>(
              model::ContractFile{std::move(**document), std::move(contract)}));
          added.AddContract(*contracts_.back());
          metadata_.AddContract(*contracts_.back());
        } else {
          Fail(record.line, fmt::format("load-product: {} is neither a product folder nor a "
                                        "product or contract document",
                                        record.tokens[1]));
          return;
        }
      }
    }
    if (HasErrors(diagnostics)) {
      std::string messages;
      for (const Diagnostic& diagnostic : diagnostics) {
        messages += "    " + FormatDiagnostic(diagnostic) + "\n";
      }
      Fail(record.line, "load-product: the documents do not load\n" + messages);
      return;
    }
    Status status = added.LoadInto(*connection_);
    if (!status.ok()) Fail(record.line, "load-product: " + status.message());
  }

  void LoadPolicies(const Record& record) {
    std::string which = Substitute(record.tokens[1]);
    governance::PolicySet policies;
    if (which == "default") {
      policies = governance::DefaultPolicies();
    } else {
      Result<governance::PolicySet> folder = governance::LoadPolicyFolder(root_ / which);
      if (!folder.ok()) {
        Fail(record.line, "load-policies: " + folder.status().message());
        return;
      }
      policies = std::move(*folder);
    }
    Status status = connection_->Execute(governance::MetadataTablesSql());
    if (!status.ok()) {
      Fail(record.line, "load-policies: " + status.message());
      return;
    }
    std::vector<Diagnostic> diagnostics = std::move(policies.errors);
    for (Diagnostic& diagnostic :
         governance::RunPolicies(*connection_, policies.policies, metadata_)) {
      diagnostics.push_back(std::move(diagnostic));
    }
    std::string sql =
        "CREATE OR REPLACE TABLE policy_results (rule VARCHAR, policy VARCHAR, severity VARCHAR, "
        "file VARCHAR, line INTEGER, \"column\" INTEGER, field VARCHAR, message VARCHAR, "
        "hint VARCHAR);\n";
    for (const Diagnostic& diagnostic : diagnostics) {
      constexpr std::string_view kPolicyPrefix = "policy/";
      std::string policy = diagnostic.rule.starts_with(kPolicyPrefix)
                               ? engine::QuoteLiteral(diagnostic.rule.substr(kPolicyPrefix.size()))
                               : "NULL";
      sql += fmt::format(
          "INSERT INTO policy_results VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {});\n",
          engine::QuoteLiteral(diagnostic.rule), policy,
          engine::QuoteLiteral(diagnostic.severity == Severity::kError ? "error" : "warning"),
          engine::QuoteLiteral(RelativeInside(diagnostic.location.file, root_)),
          diagnostic.location.line, diagnostic.location.column,
          engine::QuoteLiteral(diagnostic.location.field), engine::QuoteLiteral(diagnostic.message),
          engine::QuoteLiteral(diagnostic.hint));
    }
    status = connection_->Execute(sql);
    if (!status.ok()) Fail(record.line, "load-policies: " + status.message());
  }

  std::filesystem::path file_;
  std::string display_name_;
  std::filesystem::path root_;
  TestFileResult result_;
  bool finished_ = false;
  bool skipping_ = false;
  bool skip_next_ = false;
  const std::vector<Record>* records_ = nullptr;
  std::vector<LoopFrame> loops_;
  std::unique_ptr<engine::Database> database_;
  std::unique_ptr<engine::Connection> connection_;
  // Documents loaded by load-product; the metadata points into them.
  std::vector<std::unique_ptr<model::ProductFolder>> folders_;
  std::vector<std::unique_ptr<model::ProductFile>> products_;
  std::vector<std::unique_ptr<model::ContractFile>> contracts_;
  governance::ProductMetadata metadata_;
};

std::string DisplayName(const std::filesystem::path& file) {
  std::error_code error;
  return RelativeInside(file, std::filesystem::current_path(error));
}

}  // namespace

TestFileResult RunSqlLogicTestFile(const std::filesystem::path& file,
                                   const SqlLogicTestOptions& options) {
  std::filesystem::path root =
      options.repository_root.empty() ? FindRepositoryRoot(file) : options.repository_root;
  FileRun run(file, DisplayName(file), root);
  return run.Run();
}

Result<std::vector<std::filesystem::path>> CollectTestFiles(
    const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::filesystem::path& path : paths) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      std::vector<std::filesystem::path> found;
      std::filesystem::recursive_directory_iterator it(path, error);
      for (; !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
        if (it->is_regular_file(error) && it->path().extension() == ".test") {
          found.push_back(it->path());
        }
      }
      if (error)
        return Status::IoError("{}: cannot read the folder: {}", path.string(), error.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(path, error)) {
      files.push_back(path);
    } else {
      return Status::IoError("{}: no such file or folder", path.string());
    }
  }
  return files;
}

int RunSqlLogicTests(const std::vector<std::filesystem::path>& paths,
                     const SqlLogicTestOptions& options, std::ostream& out, std::ostream& err) {
  Result<std::vector<std::filesystem::path>> files = CollectTestFiles(paths);
  if (!files.ok()) {
    err << "quanta sqllogictest: " << files.status().message() << "\n";
    return 2;
  }
  int passed = 0, failed = 0, skipped = 0;
  for (const std::filesystem::path& file : *files) {
    TestFileResult result = RunSqlLogicTestFile(file, options);
    std::string name = DisplayName(file);
    switch (result.outcome) {
      case TestOutcome::kPassed:
        ++passed;
        out << "ok   " << name << "\n";
        break;
      case TestOutcome::kSkipped:
        ++skipped;
        out << "skip " << name << ": " << result.detail << "\n";
        break;
      case TestOutcome::kFailed:
        ++failed;
        out << "FAIL " << name << "\n" << Indent(result.detail, "  ");
        break;
    }
  }
  if (skipped > 0) out << skipped << " skipped\n";
  out << passed << " passed, " << failed << " failed\n";
  out.flush();
  return failed > 0 ? 1 : 0;
}

}  // namespace quanta::query
