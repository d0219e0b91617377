#include "ports/pg_dialect.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <utility>

#include "base/ascii.h"
#include "engine/database.h"
#include "ports/pg_types.h"

namespace quanta::ports {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Case-insensitive match of `word` at `at`, not followed by another word character.
bool WordAt(std::string_view sql, std::size_t at, std::string_view word) {
  if (at + word.size() > sql.size()) return false;
  if (AsciiLower(sql.substr(at, word.size())) != word) return false;
  return at + word.size() == sql.size() || !IsWordChar(sql[at + word.size()]);
}

std::size_t SkipBlanks(std::string_view sql, std::size_t at) {
  while (at < sql.size() && std::isspace(static_cast<unsigned char>(sql[at]))) ++at;
  return at;
}

// Types Quanta does not have, read as their text.
constexpr std::array<std::string_view, 11> kRegTypes = {
    "regtype", "regclass",    "regproc",   "regprocedure",  "regnamespace", "regrole",
    "regoper", "regoperator", "regconfig", "regdictionary", "regcollation"};

// The OIDs of the catalog relations that clients name as 'pg_class'::regclass (pgjdbc's
// metadata queries compare pg_description.classoid with it).
constexpr std::pair<std::string_view, int> kCatalogRelationOids[] = {
    {"pg_class", 1259},    {"pg_type", 1247},       {"pg_attribute", 1249},
    {"pg_proc", 1255},     {"pg_namespace", 2615},  {"pg_constraint", 2606},
    {"pg_database", 1262}, {"pg_description", 2609}};

// When `out` ends with a string literal naming a catalog relation, replaces the literal by the
// relation's OID and returns true.
bool ReplaceCatalogRelationLiteral(std::string& out) {
  std::size_t end = out.size();
  while (end > 0 && std::isspace(static_cast<unsigned char>(out[end - 1]))) --end;
  if (end < 2 || out[end - 1] != '\'') return false;
  std::size_t start = out.rfind('\'', end - 2);
  if (start == std::string::npos) return false;
  std::string name = AsciiLower(std::string_view(out).substr(start + 1, end - start - 2));
  if (name.starts_with("pg_catalog.")) name = name.substr(11);
  for (const auto& [relation, oid] : kCatalogRelationOids) {
    if (relation == name) {
      out.resize(start);
      out += std::to_string(oid);
      return true;
    }
  }
  return false;
}

// True when `out` ends with a string literal, white space aside.
bool EndsWithStringLiteral(const std::string& out) {
  std::size_t end = out.size();
  while (end > 0 && std::isspace(static_cast<unsigned char>(out[end - 1]))) --end;
  return end >= 2 && out[end - 1] == '\'';
}

// Where the string literal that `out` ends with (white space aside) opens, its doubled quotes
// included; npos when `out` does not end with one.
std::size_t TrailingLiteralStart(const std::string& out) {
  if (!EndsWithStringLiteral(out)) return std::string::npos;
  std::size_t close = out.find_last_not_of(" \t\r\n");
  std::size_t open = out.rfind('\'', close - 1);
  while (open != std::string::npos && open > 0 && out[open - 1] == '\'') {
    open = out.rfind('\'', open - 2);  // a doubled quote inside the literal
  }
  return open;
}

// A bytea literal of PostgreSQL's as DuckDB reads it, one \xHH escape per byte that DuckDB
// would read otherwise:
//   hex format     '\x0102ff' -> '\x01\x02\xFF' (DuckDB reads \x01 as a byte, "02" as text;
//                  PostgreSQL allows white space between digit pairs)
//   escape format  'a\000\\'  -> 'a\x00\x5C'    (a backslash and three octal digits, or two
//                  backslashes)
// A literal that is neither is PostgreSQL's error (RaisePgError). Nothing when `literal`
// (quotes included) has no backslash: it then means the same in both.
std::optional<std::string> ByteaLiteralForDuckdb(std::string_view literal) {
  std::string_view text = literal.substr(1, literal.size() - 2);
  if (text.find('\\') == std::string_view::npos) return std::nullopt;
  std::string escaped = "'";
  auto add_byte = [&](unsigned value) { escaped += fmt::format("\\x{:02X}", value); };
  if (text.size() >= 2 && text[0] == '\\' && (text[1] == 'x' || text[1] == 'X')) {
    std::string digits;
    for (char c : text.substr(2)) {
      if (std::isspace(static_cast<unsigned char>(c))) continue;
      if (!std::isxdigit(static_cast<unsigned char>(c))) {
        // The digit is shown only when it is plain ASCII, so that it cannot end the literal.
        bool shown = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        return RaisePgError("22023", shown ? fmt::format("invalid hexadecimal digit: \"{}\"", c)
                                           : std::string("invalid hexadecimal digit"));
      }
      digits += c;
    }
    if (digits.size() % 2 != 0) {
      return RaisePgError("22023", "invalid hexadecimal data: odd number of digits");
    }
    // The digit pairs are DuckDB's \xHH escapes as they stand.
    for (std::size_t i = 0; i < digits.size(); i += 2) {
      escaped += "\\x";
      escaped += static_cast<char>(std::toupper(static_cast<unsigned char>(digits[i])));
      escaped += static_cast<char>(std::toupper(static_cast<unsigned char>(digits[i + 1])));
    }
    return escaped + "'";
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      escaped += text[i];  // doubled quotes stay doubled
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\\') {
      add_byte('\\');
      ++i;
      continue;
    }
    auto octal = [&](std::size_t at) {
      return at < text.size() && text[at] >= '0' && text[at] <= '7';
    };
    if (octal(i + 1) && octal(i + 2) && octal(i + 3) && text[i + 1] <= '3') {
      add_byte(static_cast<unsigned>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                     (text[i + 3] - '0')));
      i += 3;
      continue;
    }
    return RaisePgError("22P02", "invalid input syntax for type bytea");
  }
  return escaped + "'";
}

// A PostgreSQL array literal cast to a list type, '{1,NULL,"a b"}'::int[], as DuckDB's list of
// the same texts, ['1', NULL, 'a b'], which the cast reads element by element (DuckDB reads
// '[...]' text only). Nothing when `literal` (quotes included) does not start with a brace; a
// malformed one is PostgreSQL's 22P02, one of more than one dimension 0A000.
std::optional<std::string> ArrayLiteralForDuckdb(std::string_view literal) {
  std::string text;
  for (std::size_t k = 1; k + 1 < literal.size(); ++k) {
    text += literal[k];
    if (literal[k] == '\'') ++k;  // a doubled quote
  }
  if (!TrimBlanks(text).starts_with('{')) return std::nullopt;
  Result<std::vector<std::optional<std::string>>> elements = DecodeArrayText(text);
  if (!elements.ok()) {  // the message quotes the text, cut short
    if (elements.status().code() == ErrorCode::kNotSupported) {
      return RaisePgError("0A000", elements.status().message());
    }
    return RaisePgError("22P02",
                        fmt::format("malformed array literal: {}", elements.status().message()));
  }
  std::string list = "[";
  for (std::size_t k = 0; k < elements->size(); ++k) {
    if (k > 0) list += ", ";
    const std::optional<std::string>& element = (*elements)[k];
    if (!element) {
      list += "NULL";
      continue;
    }
    list += engine::QuoteLiteral(*element);
  }
  return list + "]";
}

// Where the quoted string or identifier that opens at `sql[at]` ends (one past its closing
// quote, or the end of `sql`): a doubled quote stands for itself, and in an escape string
// (E'...') so does a quote after a backslash.
std::size_t QuotedEnd(std::string_view sql, std::size_t at) {
  char quote = sql[at];
  bool escapes = quote == '\'' && at > 0 && (sql[at - 1] == 'E' || sql[at - 1] == 'e');
  std::size_t end = at + 1;
  while (end < sql.size()) {
    if (sql[end] == quote) {
      if (end + 1 < sql.size() && sql[end + 1] == quote) {
        end += 2;
        continue;
      }
      break;
    }
    if (escapes && sql[end] == '\\') ++end;
    ++end;
  }
  return std::min(end + 1, sql.size());
}

}  // namespace

std::string RaisePgErrorOf(std::string_view sqlstate, std::string_view message_sql) {
  return fmt::format("error('{}{}:' || {})", kRaisedPgErrorMark, sqlstate, message_sql);
}

std::string RaisePgError(std::string_view sqlstate, std::string_view message) {
  std::string quoted = "'";
  for (char c : message) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return RaisePgErrorOf(sqlstate, quoted + "'");
}

std::optional<RaisedPgError> FindRaisedPgError(std::string_view message) {
  // Only error() itself: another error's message may quote a text holding the mark.
  constexpr std::string_view kRaised = "Invalid Input Error: ";
  if (!message.starts_with(kRaised) ||
      !message.substr(kRaised.size()).starts_with(kRaisedPgErrorMark)) {
    return std::nullopt;
  }
  std::string_view rest = message.substr(kRaised.size() + kRaisedPgErrorMark.size());
  if (rest.size() < 6 || rest[5] != ':') return std::nullopt;
  return RaisedPgError{std::string(rest.substr(0, 5)), std::string(rest.substr(6))};
}

namespace {

// DuckDB's error classes as they lead its messages: "Binder Error: ", "Out of Range Error: ",
// "INTERRUPT Error: ". Letters and spaces, then " Error: ".
std::size_t DuckdbClassLength(std::string_view message) {
  constexpr std::string_view kClassEnd = " Error: ";
  std::size_t end = message.find(kClassEnd);
  if (end == std::string_view::npos || end == 0 || end > 32) return 0;
  for (char c : message.substr(0, end)) {
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != ' ') return 0;
  }
  return end + kClassEnd.size();
}

bool IsAdvice(std::string_view line) {
  constexpr std::string_view kAdvice[] = {"Did you mean", "Candidate bindings", "Either add"};
  for (std::string_view advice : kAdvice) {
    if (line.starts_with(advice)) return true;
  }
  return false;
}

void AppendLine(std::string& to, std::string_view line) {
  if (!to.empty()) to += '\n';
  to += line;
}

}  // namespace

std::optional<RaisedPgError> PostgresConversionError(std::string_view message) {
  constexpr std::string_view kPrefix = "Conversion Error: Could not convert string ";
  if (!message.starts_with(kPrefix) || message.size() <= kPrefix.size()) return std::nullopt;
  message.remove_prefix(kPrefix.size());
  message = message.substr(0, message.find('\n'));
  const char quote = message.front();
  if (quote != '\'' && quote != '"') return std::nullopt;
  // The text may hold quotes itself: it ends at the last quote before " to ".
  std::size_t close = message.rfind(std::string(1, quote) + " to ");
  if (close == std::string_view::npos || close == 0) return std::nullopt;
  std::string_view value = message.substr(1, close - 1);
  std::string_view duckdb_type = message.substr(close + 5);
  duckdb_type = duckdb_type.substr(0, duckdb_type.find_first_of(" ("));
  constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"INT16", "smallint"},  {"INT32", "integer"},           {"INT64", "bigint"},
      {"FLOAT", "real"},      {"DOUBLE", "double precision"}, {"BOOL", "boolean"},
      {"DECIMAL", "numeric"},
  };
  std::string_view type;
  for (const auto& [duckdb, postgres] : kTypes) {
    if (duckdb_type == duckdb) type = postgres;
  }
  if (type.empty()) return std::nullopt;
  std::string_view digits = TrimBlanks(value);
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
  bool whole_number = !digits.empty() && type.find("int") != std::string_view::npos;
  for (char c : digits) whole_number = whole_number && std::isdigit(static_cast<unsigned char>(c));
  if (whole_number) {
    return RaisedPgError{"22003",
                         fmt::format("value \"{}\" is out of range for type {}", value, type)};
  }
  return RaisedPgError{"22P02",
                       fmt::format("invalid input syntax for type {}: \"{}\"", type, value)};
}

PgErrorText SplitDuckdbError(std::string_view message) {
  if (std::size_t excerpt = message.find("\n\nLINE "); excerpt != std::string_view::npos) {
    message = message.substr(0, excerpt);
  }
  std::size_t class_length = DuckdbClassLength(message);
  if (class_length == 0) return PgErrorText{std::string(message), {}, {}};
  message.remove_prefix(class_length);
  PgErrorText text;
  std::size_t line_end = message.find('\n');
  text.message = std::string(message.substr(0, line_end));
  while (line_end != std::string_view::npos) {
    message.remove_prefix(line_end + 1);
    line_end = message.find('\n');
    std::string_view line = message.substr(0, line_end);
    line = TrimBlanks(line);
    if (line.empty()) continue;
    AppendLine(IsAdvice(line) ? text.hint : text.detail, line);
  }
  return text;
}

std::size_t DialectPositions::Original(std::size_t rewritten) const {
  auto next = std::upper_bound(
      anchors_.begin(), anchors_.end(), rewritten,
      [](std::size_t offset, const auto& anchor) { return offset < anchor.first; });
  const auto& [from, original] = *std::prev(next);  // anchors_ starts at (0, 0)
  std::size_t mapped = original + (rewritten - from);
  return next == anchors_.end() ? mapped : std::min(mapped, next->second);
}

int DialectPositions::OriginalPosition(int rewritten) const {
  if (rewritten <= 0) return rewritten;
  return static_cast<int>(Original(static_cast<std::size_t>(rewritten) - 1)) + 1;
}

std::string NormalizePostgresDialect(std::string_view sql) {
  return NormalizePostgresDialect(sql, nullptr);
}

std::string NormalizePostgresDialect(std::string_view sql, DialectPositions* positions) {
  std::string out;
  out.reserve(sql.size());
  // Rewrites a literal already written (from `open` to the end of `out`): positions after
  // `open` start over from where it was.
  auto rewrite_written = [&](std::size_t open, std::size_t count, const std::string& with) {
    if (positions != nullptr) {
      std::size_t original = positions->Original(open);
      auto& anchors = positions->anchors_;
      while (anchors.size() > 1 && anchors.back().first > open) anchors.pop_back();
      anchors.emplace_back(open, original);
    }
    out.replace(open, count, with);
  };
  std::size_t i = 0;
  while (i < sql.size()) {
    // A rewrite changed the length: from here on the texts run alike again.
    if (positions != nullptr) {
      const auto& [from, original] = positions->anchors_.back();
      if (out.size() - from != i - original) positions->anchors_.emplace_back(out.size(), i);
    }
    char c = sql[i];
    // Quoted text and comments are copied whole.
    if (c == '\'' || c == '"') {
      std::size_t end = QuotedEnd(sql, i);
      out.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      std::size_t end = sql.find('\n', i);
      end = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      std::size_t end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
      out.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    bool word_start = i == 0 || !IsWordChar(sql[i - 1]);
    // bytea '\x0102' -> '\x01\x02'::BLOB (see ByteaLiteralForDuckdb)
    if (word_start && WordAt(sql, i, "bytea")) {
      std::size_t open = SkipBlanks(sql, i + 5);
      if (open < sql.size() && sql[open] == '\'') {
        std::size_t close = QuotedEnd(sql, open);
        if (auto hex = ByteaLiteralForDuckdb(sql.substr(open, close - open))) {
          out += *hex + "::BLOB";
          i = close;
          continue;
        }
      }
    }
    // OPERATOR(pg_catalog.~) -> ~
    if (word_start && WordAt(sql, i, "operator")) {
      std::size_t open = SkipBlanks(sql, i + 8);
      std::size_t close =
          open < sql.size() && sql[open] == '(' ? sql.find(')', open) : std::string_view::npos;
      if (close != std::string_view::npos) {
        std::string_view inside = sql.substr(open + 1, close - open - 1);
        std::size_t dot = inside.rfind('.');
        std::string_view op = dot == std::string_view::npos ? inside : inside.substr(dot + 1);
        out += ' ';
        out.append(op);
        out += ' ';
        i = close + 1;
        continue;
      }
    }
    // COLLATE pg_catalog.default / COLLATE "default" -> nothing
    if (word_start && WordAt(sql, i, "collate")) {
      std::size_t name = SkipBlanks(sql, i + 7);
      std::size_t end = name;
      while (end < sql.size() && (IsWordChar(sql[end]) || sql[end] == '.' || sql[end] == '"')) {
        ++end;
      }
      std::string collation = AsciiLower(sql.substr(name, end - name));
      if (collation == "pg_catalog.default" || collation == "\"default\"" ||
          collation == "pg_catalog.\"default\"" || collation == "\"c\"" ||
          collation == "pg_catalog.\"c\"") {
        i = end;
        continue;
      }
    }
    // CAST(x AS pg_catalog.name) -> CAST(x AS name), and AS regtype and friends -> AS VARCHAR:
    // an alias has no schema, so AS followed by pg_catalog. names a type.
    if (word_start && WordAt(sql, i, "as")) {
      std::size_t at = SkipBlanks(sql, i + 2);
      if (at > i + 2 && WordAt(sql, at, "pg_catalog") && at + 10 < sql.size() &&
          sql[at + 10] == '.') {
        std::size_t start = at + 11;
        std::size_t end = start;
        while (end < sql.size() && IsWordChar(sql[end])) ++end;
        std::string type = AsciiLower(sql.substr(start, end - start));
        bool reg = false;
        for (std::string_view name : kRegTypes) reg = reg || type == name;
        out += "AS ";
        out += reg ? std::string("VARCHAR") : std::string(sql.substr(start, end - start));
        i = end;
        continue;
      }
    }
    // ::pg_catalog.name -> ::name, and ::regtype and friends -> ::VARCHAR
    if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {
      std::size_t at = SkipBlanks(sql, i + 2);
      if (WordAt(sql, at, "pg_catalog") && at + 10 < sql.size() && sql[at + 10] == '.') {
        at += 11;
      }
      std::size_t end = at;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      std::string type = AsciiLower(sql.substr(at, end - at));
      bool reg = false;
      for (std::string_view name : kRegTypes) reg = reg || type == name;
      if (type == "regclass" && ReplaceCatalogRelationLiteral(out)) {
        i = end;
        continue;
      }
      // 'schema.table'::regclass looks the relation up: PostgreSQL's to_regclass, which the
      // sandbox answers from the catalogs. A name that finds nothing is an error, as the cast
      // is in PostgreSQL (42P01, SqlStateFor), where to_regclass itself gives NULL.
      if (std::size_t open = TrailingLiteralStart(out);
          type == "regclass" && open != std::string::npos) {
        std::size_t close = out.find_last_not_of(" \t\r\n");
        std::string literal = out.substr(open, close + 1 - open);
        rewrite_written(
            open, close + 1 - open,
            "COALESCE(to_regclass(" + literal + "), " +
                RaisePgErrorOf("42P01", "'relation \"' || " + literal + " || '\" does not exist'") +
                ")");
        i = end;
        continue;
      }
      if (std::size_t open = TrailingLiteralStart(out);
          type == "bytea" && open != std::string::npos &&
          (open == 0 || (out[open - 1] != 'E' && out[open - 1] != 'e'))) {
        // (An escape string E'...' has escapes of its own: it is left to DuckDB.)
        std::size_t close = out.find_last_not_of(" \t\r\n");
        if (auto hex =
                ByteaLiteralForDuckdb(std::string_view(out).substr(open, close + 1 - open))) {
          rewrite_written(open, close + 1 - open, *hex);
        }
      }
      // '{1,2}'::int[] -> ['1', '2']::int[] (see ArrayLiteralForDuckdb)
      if (std::size_t open = TrailingLiteralStart(out), after = SkipBlanks(sql, end);
          open != std::string::npos &&
          (open == 0 || (out[open - 1] != 'E' && out[open - 1] != 'e')) &&
          sql.substr(after, 2) == "[]") {
        std::size_t close = out.find_last_not_of(" \t\r\n");
        if (auto list =
                ArrayLiteralForDuckdb(std::string_view(out).substr(open, close + 1 - open))) {
          rewrite_written(open, close + 1 - open, *list);
        }
      }
      // 'name'::regproc looks a function up by its name: the sandbox answers it.
      if ((type == "regproc" || type == "regprocedure") && EndsWithStringLiteral(out)) {
        out += "::" + type;
        i = end;
        continue;
      }
      out += "::";
      out += reg ? std::string("VARCHAR") : std::string(sql.substr(at, end - at));
      i = end;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

namespace {

// Writes `sql` with each parameter $n outside quotes replaced by what `replace` gives for n
// (1-based) and the parameter's own text.
template <typename Replace>
std::string RewriteParameters(std::string_view sql, Replace replace) {
  std::string out;
  out.reserve(sql.size());
  std::size_t at = 0;
  while (at < sql.size()) {
    char c = sql[at];
    if (c == '\'' || c == '"') {
      std::size_t end = QuotedEnd(sql, at);
      out.append(sql, at, end - at);
      at = end;
      continue;
    }
    if (c == '$' && (at == 0 || !IsWordChar(sql[at - 1])) && at + 1 < sql.size() &&
        std::isdigit(static_cast<unsigned char>(sql[at + 1]))) {
      std::size_t end = at + 1;
      std::size_t number = 0;
      while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) {
        number = std::min<std::size_t>(number * 10 + (sql[end] - '0'), 1u << 20);
        ++end;
      }
      out += replace(number, sql.substr(at, end - at));
      at = end;
      continue;
    }
    out += c;
    ++at;
  }
  return out;
}

}  // namespace

std::string CastParameters(std::string_view sql, const std::vector<std::string_view>& types) {
  return RewriteParameters(sql, [&](std::size_t number, std::string_view parameter) {
    if (number < 1 || number > types.size() || types[number - 1].empty()) {
      return std::string(parameter);
    }
    return fmt::format("CAST({} AS {})", parameter, types[number - 1]);
  });
}

std::string ParametersAsNulls(std::string_view sql, const std::vector<std::string>& types) {
  return RewriteParameters(sql, [&](std::size_t number, std::string_view parameter) {
    if (number < 1 || number > types.size()) return std::string(parameter);
    return fmt::format("CAST(NULL AS {})", types[number - 1]);
  });
}

std::string_view DuckdbTypeForParameter(std::uint32_t oid) {
  switch (oid) {
    case pg_oid::kBool:
      return "BOOLEAN";
    case pg_oid::kBytea:
      return "BLOB";
    case pg_oid::kInt8:
      return "BIGINT";
    case pg_oid::kInt2:
      return "SMALLINT";
    case pg_oid::kInt4:
      return "INTEGER";
    case pg_oid::kJson:
    case pg_oid::kJsonb:
      return "JSON";
    case pg_oid::kFloat4:
      return "FLOAT";
    case pg_oid::kFloat8:
      return "DOUBLE";
    case pg_oid::kDate:
      return "DATE";
    case pg_oid::kTime:
      return "TIME";
    case pg_oid::kTimestamp:
      return "TIMESTAMP";
    case pg_oid::kTimestampTz:
      return "TIMESTAMPTZ";
    case pg_oid::kInterval:
      return "INTERVAL";
    case pg_oid::kUuid:
      return "UUID";
    // Arrays as lists, so that `$1::int[]`, `= ANY($1)` and `SELECT $1` see one.
    case pg_oid::kBoolArray:
      return "BOOLEAN[]";
    case pg_oid::kInt2Array:
      return "SMALLINT[]";
    case pg_oid::kInt4Array:
      return "INTEGER[]";
    case pg_oid::kInt8Array:
      return "BIGINT[]";
    case pg_oid::kFloat4Array:
      return "FLOAT[]";
    case pg_oid::kFloat8Array:
      return "DOUBLE[]";
    case pg_oid::kDateArray:
      return "DATE[]";
    case pg_oid::kTimeArray:
      return "TIME[]";
    case pg_oid::kTimestampArray:
      return "TIMESTAMP[]";
    case pg_oid::kTimestampTzArray:
      return "TIMESTAMPTZ[]";
    case pg_oid::kIntervalArray:
      return "INTERVAL[]";
    case pg_oid::kUuidArray:
      return "UUID[]";
    case pg_oid::kJsonArray:
    case pg_oid::kJsonbArray:
      return "JSON[]";
    case pg_oid::kTextArray:
    case pg_oid::kVarcharArray:
    case pg_oid::kNumericArray:
      return "VARCHAR[]";
    default:
      // text, varchar, unknown and unspecified; numeric too, since DuckDB's DECIMAL has a
      // fixed scale where PostgreSQL's numeric keeps the value's own.
      return "VARCHAR";
  }
}

}  // namespace quanta::ports
