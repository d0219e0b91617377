#include "query/consumer_sql.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>

#include "base/ascii.h"
#include "engine/refused_functions.h"

namespace quanta::query {
namespace {

using Json = nlohmann::json;

// Answers of json_serialize_sql and json_deserialize_sql by their input. Both give the same
// answer for the same text every time, and each costs a DuckDB statement of its own: without
// the cache, a client sending the same statements over and over (pgbench, a dashboard, a
// driver's keep-alive query) spent most of each statement's time on them. Only the text
// translation is kept; tables are still resolved for every statement. Bounded by bytes: when
// full it starts over. Thread-safe: every session shares it.
class TranslationCache {
 public:
  std::optional<std::string> Find(const std::string& input) {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(input);
    if (found == entries_.end()) return std::nullopt;
    return found->second;
  }

  void Insert(const std::string& input, const std::string& output) {
    const std::size_t size = input.size() + output.size();
    if (size > kMaxBytes / 16) return;  // a huge statement would push out everything else
    std::lock_guard lock(mutex_);
    if (bytes_ + size > kMaxBytes) {
      entries_.clear();
      bytes_ = 0;
    }
    if (entries_.emplace(input, output).second) bytes_ += size;
  }

 private:
  static constexpr std::size_t kMaxBytes = 8 * 1024 * 1024;
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> entries_;
  std::size_t bytes_ = 0;
};

TranslationCache& ParseCache() {
  static TranslationCache cache;
  return cache;
}

TranslationCache& RenderCache() {
  static TranslationCache cache;
  return cache;
}

// How DuckDB's messages name the class of an error that json_serialize_sql reports by its
// type ("conversion" -> "Conversion"), so that the SQL port maps it as it maps the others.
// Classes of one word are capitalised; those of several are spelled as DuckDB spells them.
std::string ErrorClassOf(std::string_view type) {
  static constexpr std::pair<std::string_view, std::string_view> kClasses[] = {
      {"invalid input", "Invalid Input"}, {"out of range", "Out of Range"}};
  std::string lower = AsciiLower(type);
  for (const auto& [name, spelled] : kClasses) {
    if (lower == name) return std::string(spelled);
  }
  if (lower.empty()) return "Query";
  lower[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(lower[0])));
  return lower;
}

// DuckDB marks "no position" with the largest unsigned 64-bit number.
constexpr std::uint64_t kNoLocation = 18446744073709551615ull;

// Table functions a consumer may call: they make rows from their arguments and reach nothing.
constexpr std::array<std::string_view, 3> kAllowedTableFunctions = {"range", "generate_series",
                                                                    "unnest"};

// PostgreSQL functions that clients call in catalog queries and DuckDB lacks or answers from
// its own catalog, each replaced by an expression over the catalog tables the resolver gives
// (pg_catalog.pg_description, ...); $1, $2 stand for the call's arguments.
constexpr std::pair<std::string_view, std::string_view> kPostgresFunctions[] = {
    {"pg_get_userbyid", "'quanta'"},
    {"pg_encoding_to_char", "'UTF8'"},
    {"getdatabaseencoding", "'UTF8'"},
    {"pg_table_is_visible", "true"},
    {"pg_type_is_visible", "true"},
    {"pg_function_is_visible", "true"},
    {"pg_operator_is_visible", "true"},
    {"pg_opclass_is_visible", "true"},
    {"pg_opfamily_is_visible", "true"},
    {"pg_conversion_is_visible", "true"},
    {"pg_collation_is_visible", "true"},
    {"pg_statistics_obj_is_visible", "true"},
    {"pg_ts_config_is_visible", "true"},
    {"pg_ts_dict_is_visible", "true"},
    {"pg_ts_parser_is_visible", "true"},
    {"pg_ts_template_is_visible", "true"},
    {"pg_char_to_encoding",
     "CASE WHEN upper($1) IN ('UTF8', 'UTF-8', 'UNICODE') THEN 6 ELSE -1 END"},
    {"pg_get_function_result", "CAST(NULL AS VARCHAR)"},
    {"pg_get_function_arguments", "CAST(NULL AS VARCHAR)"},
    {"pg_get_function_identity_arguments", "CAST(NULL AS VARCHAR)"},
    {"pg_get_functiondef", "CAST(NULL AS VARCHAR)"},
    {"pg_get_function_sqlbody", "CAST(NULL AS VARCHAR)"},
    {"pg_tablespace_size", "CAST(NULL AS BIGINT)"},
    {"shobj_description", "CAST(NULL AS VARCHAR)"},
    // The bounds of an array's one dimension: 1 and its length, NULL when empty (PostgreSQL's
    // arrays start at 1 unless told otherwise; DuckDB's lists always do).
    {"array_lower", "CASE WHEN $2 = 1 AND len($1) > 0 THEN 1 END"},
    {"array_upper", "CASE WHEN $2 = 1 AND len($1) > 0 THEN CAST(len($1) AS INTEGER) END"},
    // The size of the database as the catalogs give it (pg_database.datsize), by name or OID.
    {"pg_database_size",
     "(SELECT quanta_db.datsize FROM pg_catalog.pg_database quanta_db "
     "WHERE quanta_db.datname = CAST($1 AS VARCHAR) OR CAST(quanta_db.oid AS VARCHAR) = "
     "CAST($1 AS VARCHAR))"},
    // PostgreSQL's rounding and units (bytes, kB, MB, GB, TB, PB), not DuckDB's (KiB, MiB).
    {"pg_size_pretty",
     "CASE WHEN abs(CAST($1 AS BIGINT)) < 10240 THEN CAST($1 AS BIGINT) || ' bytes' "
     "WHEN abs(CAST($1 AS BIGINT) >> 9) < 20479 THEN "
     "((CAST($1 AS BIGINT) >> 9) + 1) // 2 || ' kB' "
     "WHEN abs(CAST($1 AS BIGINT) >> 19) < 20479 THEN "
     "((CAST($1 AS BIGINT) >> 19) + 1) // 2 || ' MB' "
     "WHEN abs(CAST($1 AS BIGINT) >> 29) < 20479 THEN "
     "((CAST($1 AS BIGINT) >> 29) + 1) // 2 || ' GB' "
     "WHEN abs(CAST($1 AS BIGINT) >> 39) < 20479 THEN "
     "((CAST($1 AS BIGINT) >> 39) + 1) // 2 || ' TB' "
     "ELSE ((CAST($1 AS BIGINT) >> 49) + 1) // 2 || ' PB' END"},
    // The OID of a relation named as text, NULL when there is none; 'name'::regclass comes here
    // too (pg_dialect). Unquoted names fold to lower case; an unqualified one is looked up in
    // pg_catalog, then in the session's search path, in order: $2 is that list of schemas,
    // which ReplacePostgresFunction supplies.
    {"to_regclass",
     "(SELECT quanta_c.oid FROM pg_catalog.pg_class quanta_c JOIN pg_catalog.pg_namespace "
     "quanta_n ON quanta_n.oid = quanta_c.relnamespace WHERE (CASE WHEN contains(CAST($1 AS "
     "VARCHAR), '\"') THEN replace(CAST($1 AS VARCHAR), '\"', '') ELSE lower(CAST($1 AS "
     "VARCHAR)) END) IN (quanta_n.nspname || '.' || quanta_c.relname, CASE WHEN "
     "list_contains($2, quanta_n.nspname) THEN quanta_c.relname END) ORDER BY "
     "list_position($2, quanta_n.nspname) LIMIT 1)"},
    {"array_remove", "list_filter($1, lambda quanta_x: quanta_x IS DISTINCT FROM $2)"},
    {"pg_get_indexdef", "CAST(NULL AS VARCHAR)"},
    {"pg_get_constraintdef", "CAST(NULL AS VARCHAR)"},
    {"pg_get_triggerdef", "CAST(NULL AS VARCHAR)"},
    {"pg_get_ruledef", "CAST(NULL AS VARCHAR)"},
    {"pg_get_partkeydef", "CAST(NULL AS VARCHAR)"},
    {"pg_get_statisticsobjdef_columns", "CAST(NULL AS VARCHAR)"},
    {"pg_get_expr", "CAST(NULL AS VARCHAR)"},
    {"pg_get_viewdef", "CAST(NULL AS VARCHAR)"},
    {"pg_relation_size", "CAST(0 AS BIGINT)"},
    {"pg_total_relation_size", "CAST(0 AS BIGINT)"},
    {"pg_table_size", "CAST(0 AS BIGINT)"},
    {"pg_indexes_size", "CAST(0 AS BIGINT)"},
    {"pg_tablespace_location", "''"},
    {"pg_is_in_recovery", "false"},
    {"pg_relation_is_publishable", "false"},
    {"array_upper", "len($1)"},
    {"pg_get_serial_sequence", "CAST(NULL AS VARCHAR)"},
    {"array_lower", "CASE WHEN len($1) > 0 THEN 1 END"},
    {"has_table_privilege", "true"},
    {"has_schema_privilege", "true"},
    {"has_database_privilege", "true"},
    {"version", "'PostgreSQL 15.0 (Quanta, a data mesh node; DuckDB engine)'"},
    {"obj_description",
     "(SELECT quanta_d.description FROM pg_catalog.pg_description quanta_d "
     "WHERE quanta_d.objoid = $1 AND quanta_d.objsubid = 0)"},
    {"col_description",
     "(SELECT quanta_d.description FROM pg_catalog.pg_description quanta_d "
     "WHERE quanta_d.objoid = $1 AND quanta_d.objsubid = $2)"},
    {"format_type",
     "CASE $1 WHEN 16 THEN 'boolean' WHEN 17 THEN 'bytea' WHEN 20 THEN 'bigint' "
     "WHEN 21 THEN 'smallint' WHEN 23 THEN 'integer' WHEN 25 THEN 'text' WHEN 114 THEN 'json' "
     "WHEN 700 THEN 'real' WHEN 701 THEN 'double precision' WHEN 1043 THEN 'character varying' "
     "WHEN 1082 THEN 'date' WHEN 1083 THEN 'time without time zone' "
     "WHEN 1114 THEN 'timestamp without time zone' WHEN 1184 THEN 'timestamp with time zone' "
     "WHEN 1186 THEN 'interval' WHEN 2950 THEN 'uuid' WHEN 3802 THEN 'jsonb' "
     "WHEN 1700 THEN CASE WHEN $2 >= 4 THEN 'numeric(' || (($2 - 4) >> 16) || ',' || "
     "(($2 - 4) & 65535) || ')' ELSE 'numeric' END "
     "WHEN 1000 THEN 'boolean[]' WHEN 1005 THEN 'smallint[]' WHEN 1007 THEN 'integer[]' "
     "WHEN 1009 THEN 'text[]' WHEN 1015 THEN 'character varying[]' WHEN 1016 THEN 'bigint[]' "
     "WHEN 1021 THEN 'real[]' WHEN 1022 THEN 'double precision[]' WHEN 1182 THEN 'date[]' "
     "WHEN 1115 THEN 'timestamp without time zone[]' "
     "WHEN 1185 THEN 'timestamp with time zone[]' WHEN 1231 THEN 'numeric[]' "
     "WHEN 2951 THEN 'uuid[]' ELSE 'text' END"},
};

// PostgreSQL's functions that name the session, which PostgreSQL also takes without
// parentheses (SQL's keywords: DuckDB reads them as column names). Each is answered from the
// SessionNames of the statement.
enum class SessionValue { kUser, kDatabase, kSchema, kSchemas };
constexpr std::pair<std::string_view, SessionValue> kSessionFunctions[] = {
    {"current_user", SessionValue::kUser},
    {"session_user", SessionValue::kUser},
    {"user", SessionValue::kUser},
    {"current_role", SessionValue::kUser},
    {"current_catalog", SessionValue::kDatabase},
    {"current_database", SessionValue::kDatabase},
    {"current_schema", SessionValue::kSchema},
    {"current_schemas", SessionValue::kSchemas},
};

// The kSessionFunctions entry called `name` (lower case), if any.
const SessionValue* FindSessionFunction(std::string_view name) {
  for (const auto& [function, value] : kSessionFunctions) {
    if (function == name) return &value;
  }
  return nullptr;
}

// True when `node` is an unquoted one-part column reference to a kSessionFunctions keyword,
// `SELECT current_user`; a quoted "user" stays a column, as in PostgreSQL.
bool IsSessionKeyword(const Json& node, std::string_view text);

// PostgreSQL functions that DuckDB has under another name, with the same arguments.
constexpr std::pair<std::string_view, std::string_view> kPostgresRenamedFunctions[] = {
    {"json_build_object", "json_object"},
    {"jsonb_build_object", "json_object"},
    {"json_agg", "json_group_array"},
};

// Where the quoted text, dollar-quoted text or comment that starts at `sql[i]` ends; `i` when
// none starts there. An unclosed one runs to the end.
std::size_t SkipLiteralOrComment(std::string_view sql, std::size_t i) {
  char c = sql[i];
  if (c == '\'' || c == '"') {
    for (std::size_t k = i + 1; k < sql.size(); ++k) {
      if (sql[k] != c) continue;
      if (k + 1 < sql.size() && sql[k + 1] == c) {
        ++k;  // a doubled quote stands for itself
        continue;
      }
      return k + 1;
    }
    return sql.size();
  }
  if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
    std::size_t end = sql.find('\n', i);
    return end == std::string_view::npos ? sql.size() : end;
  }
  if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
    std::size_t end = sql.find("*/", i + 2);
    return end == std::string_view::npos ? sql.size() : end + 2;
  }
  if (c == '$') {
    // $tag$ ... $tag$ (PostgreSQL and DuckDB dollar quoting); $1 is a parameter.
    std::size_t close = sql.find('$', i + 1);
    bool is_tag = close != std::string_view::npos;
    for (std::size_t k = i + 1; is_tag && k < close; ++k) {
      is_tag = std::isalnum(static_cast<unsigned char>(sql[k])) || sql[k] == '_';
    }
    if (is_tag && close > i + 1 && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      is_tag = false;
    }
    if (is_tag) {
      std::string_view tag = sql.substr(i, close - i + 1);
      std::size_t end = sql.find(tag, close + 1);
      return end == std::string_view::npos ? sql.size() : end + tag.size();
    }
  }
  return i;
}

// Splits `sql` at top-level semicolons, keeping quoted text, dollar quotes and comments
// whole. Each piece carries its byte offset in `sql`.
struct Piece {
  std::size_t offset;
  std::string_view text;
};

std::vector<Piece> SplitStatements(std::string_view sql) {
  std::vector<Piece> pieces;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (std::size_t end = SkipLiteralOrComment(sql, i); end != i) {
      i = end;
    } else if (sql[i] == ';') {
      pieces.push_back({start, sql.substr(start, i - start)});
      start = ++i;
    } else {
      ++i;
    }
  }
  pieces.push_back({start, sql.substr(start)});
  return pieces;
}

bool IsWordCharacter(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Calls `visit(start, end)` for each run of characters that `is_word` takes in `sql`, outside
// quoted text, dollar quotes and comments, in order, until a visit returns false.
template <typename IsWord, typename Visit>
void ForEachWord(std::string_view sql, IsWord is_word, Visit visit) {
  std::size_t i = 0;
  while (i < sql.size()) {
    if (std::size_t end = SkipLiteralOrComment(sql, i); end != i) {
      i = end;
      continue;
    }
    if (!is_word(sql[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < sql.size() && is_word(sql[end])) ++end;
    if (!visit(i, end)) return;
    i = end;
  }
}

// How many `name AS (...)` definitions (common table expressions, named windows) `statement`
// holds, counted from its words before it is parsed: DuckDB's parser and binder take time
// and memory that grow with the square of their number, and do not stop for a cancel.
std::size_t CountNamedDefinitions(std::string_view statement) {
  auto word_at = [&](std::size_t i) {
    std::size_t end = i;
    while (end < statement.size() && IsWordCharacter(statement[end])) ++end;
    return statement.substr(i, end - i);
  };
  auto skip_space = [&](std::size_t i) {
    while (i < statement.size()) {
      std::size_t end = SkipLiteralOrComment(statement, i);
      if (end != i && statement[i] != '\'' && statement[i] != '"' && statement[i] != '$') {
        i = end;  // a comment
      } else if (std::isspace(static_cast<unsigned char>(statement[i]))) {
        ++i;
      } else {
        break;
      }
    }
    return i;
  };
  std::size_t count = 0;
  ForEachWord(statement, IsWordCharacter, [&](std::size_t start, std::size_t end) {
    if (AsciiUpper(statement.substr(start, end - start)) != "AS") return true;
    std::size_t next = skip_space(end);
    std::string_view modifier = word_at(next);
    if (AsciiUpper(modifier) == "NOT") next = skip_space(next + 3);
    modifier = word_at(next);
    if (AsciiUpper(modifier) == "MATERIALIZED") next = skip_space(next + modifier.size());
    if (next < statement.size() && statement[next] == '(') ++count;
    return true;
  });
  return count;
}

// Where the first character after white space and comments (and opening parentheses, with
// `parentheses`) from `i` on is; statement.size() when there is none.
std::size_t SkipBlanks(std::string_view statement, std::size_t i, bool parentheses) {
  while (i < statement.size()) {
    char c = statement[i];
    if (std::isspace(static_cast<unsigned char>(c)) || (parentheses && c == '(')) {
      ++i;
    } else if (statement.substr(i, 2) == "--") {
      while (i < statement.size() && statement[i] != '\n') ++i;
    } else if (statement.substr(i, 2) == "/*") {
      std::size_t end = statement.find("*/", i + 2);
      i = end == std::string_view::npos ? statement.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

// True when `statement` holds only white space and comments.
bool IsBlank(std::string_view statement) {
  return SkipBlanks(statement, 0, false) == statement.size();
}

// What the sandbox found wrong, and where (0-based byte offset in the statement, or npos).
struct Finding {
  Status status;
  std::size_t location = std::string::npos;
};

std::size_t LocationOf(const Json& node) {
  auto found = node.find("query_location");
  if (found == node.end() || !found->is_number_unsigned()) return std::string::npos;
  std::uint64_t location = found->get<std::uint64_t>();
  return location == kNoLocation ? std::string::npos : static_cast<std::size_t>(location);
}

std::string StringField(const Json& node, const char* name) {
  auto found = node.find(name);
  return found != node.end() && found->is_string() ? found->get<std::string>() : std::string();
}

bool IsSessionKeyword(const Json& node, std::string_view text) {
  if (StringField(node, "class") != "COLUMN_REF") return false;
  const Json& parts = node.value("column_names", Json::array());
  if (parts.size() != 1 || !parts[0].is_string()) return false;
  if (!FindSessionFunction(AsciiLower(parts[0].get<std::string>()))) return false;
  std::size_t location = LocationOf(node);
  return location < text.size() && text[location] != '"';
}

// The parse tree of `sql` as json_serialize_sql gives it, through the parse cache.
Result<Json> ParseSql(engine::Connection& connection, std::string_view sql) {
  const std::string text(sql);
  std::optional<std::string> serialized = ParseCache().Find(text);
  if (!serialized) {
    Result<engine::QueryResult> result =
        connection.Query(fmt::format("SELECT json_serialize_sql({})", engine::QuoteLiteral(sql)));
    if (!result.ok()) {
      return Status::Internal("the SQL parser failed: {}", result.status().message());
    }
    if (result->rows.empty() || !result->rows[0][0]) {
      return Status::Internal("the SQL parser returned nothing");
    }
    serialized = *result->rows[0][0];
    ParseCache().Insert(text, *serialized);
  }
  Json tree = Json::parse(*serialized, nullptr, /*allow_exceptions=*/false);
  if (tree.is_discarded()) return Status::Internal("the SQL parser returned malformed JSON");
  return tree;
}

// Walks a parsed statement, checking every node and replacing each dataset reference by a
// subquery of the SQL the resolver gives for it.
class Rewriter {
 public:
  Rewriter(engine::Connection& connection, TableResolver& resolver, std::string_view text,
           const SessionNames& session)
      : connection_(connection), resolver_(resolver), text_(text), session_(session) {}

  std::optional<Finding> Visit(Json& node) {
    if (node.is_array()) {
      for (Json& item : node) {
        if (auto finding = Visit(item)) return finding;
      }
      return std::nullopt;
    }
    if (!node.is_object()) return std::nullopt;

    // A query node's common table expressions are in scope for its whole subtree, their own
    // bodies included (recursive CTEs, later CTEs reading earlier ones).
    std::size_t scope_size = cte_names_.size();
    if (auto map = node.find("cte_map"); map != node.end() && map->is_object()) {
      if (auto entries = map->find("map"); entries != map->end() && entries->is_array()) {
        for (const Json& entry : *entries) {
          cte_names_.push_back(AsciiLower(StringField(entry, "key")));
        }
      }
    }
    std::optional<Finding> finding = VisitObject(node);
    cte_names_.resize(scope_size);
    return finding;
  }

 private:
  std::optional<Finding> VisitObject(Json& node) {
    std::string type = StringField(node, "type");
    if (type == "BASE_TABLE" && node.contains("table_name")) return ReplaceTable(node);
    if (type == "TABLE_FUNCTION") {
      if (auto finding = CheckTableFunction(node)) return finding;
    } else if (type == "EXPRESSION_LIST") {
      NameValuesColumns(node);
    } else if (type == "SHOW_REF") {
      return Finding{Status(ErrorCode::kNotSupported,
                            "DESCRIBE, SHOW and SUMMARIZE are not available on the SQL port; "
                            "the columns of every dataset are in information_schema.columns"),
                     LocationOf(node)};
    }
    if (StringField(node, "type") == "OPERATOR_NOT") {
      // a !~ b is NOT (a ~ b): the location of the NOT is that of the operator.
      std::size_t location = LocationOf(node);
      Json& children = node["children"];
      if (location < text_.size() && text_.substr(location, 2) == "!~" && children.is_array() &&
          children.size() == 1 &&
          StringField(children[0], "function_name") == "regexp_full_match") {
        children[0]["function_name"] = "regexp_matches";
      }
    }
    if (StringField(node, "class") == "COLUMN_REF") NoteColumnReference(node);
    if (IsSessionKeyword(node, text_)) {
      return ReplaceSessionFunction(node, AsciiLower(node["column_names"][0].get<std::string>()));
    }
    if (StringField(node, "class") == "CAST") {
      if (auto finding = CheckRegprocCast(node)) return finding;
    }
    if (StringField(node, "class") == "FUNCTION") {
      if (std::size_t location = LocationOf(node); location != std::string::npos) {
        name_locations_.emplace_back("function:" + AsciiLower(StringField(node, "function_name")),
                                     location);
      }
      std::string schema = AsciiLower(StringField(node, "schema"));
      std::string name = AsciiLower(StringField(node, "function_name"));
      bool plain =
          StringField(node, "catalog").empty() && (schema.empty() || schema == "pg_catalog");
      if (plain && FindSessionFunction(name)) return ReplaceSessionFunction(node, name);
      if (plain && name == "current_setting" && !session_.settings.empty()) {
        if (auto finding = ReplaceCurrentSetting(node)) return finding;
        if (StringField(node, "class") != "FUNCTION") return Visit(node);  // replaced
      }
      if (auto finding = ReplacePostgresFunction(node)) return finding;
      if (StringField(node, "class") != "FUNCTION") return Visit(node);  // replaced
      if (auto finding = CheckFunction(node)) return finding;
    }
    for (auto& [key, value] : node.items()) {
      if (value.is_structured()) {
        if (auto finding = Visit(value)) return finding;
      }
    }
    return std::nullopt;
  }

  // A VALUES list's columns are column1, column2, ... in PostgreSQL (DuckDB says col0, col1),
  // which `SELECT * FROM (VALUES ...) v` and a bare VALUES show to the client.
  static void NameValuesColumns(Json& node) {
    Json& names = node["expected_names"];
    const Json& rows = node.value("values", Json::array());
    if (!names.is_array() || !names.empty() || !rows.is_array() || rows.empty() ||
        !rows[0].is_array()) {
      return;
    }
    for (std::size_t i = 1; i <= rows[0].size(); ++i) names.push_back(fmt::format("column{}", i));
  }

  // Replaces a kSessionFunctions call or keyword by its answer for this session.
  std::optional<Finding> ReplaceSessionFunction(Json& node, std::string_view name) {
    std::string expression;
    switch (*FindSessionFunction(name)) {
      case SessionValue::kUser:
        expression = engine::QuoteLiteral(session_.user);
        break;
      case SessionValue::kDatabase:
        expression = engine::QuoteLiteral(session_.database);
        break;
      case SessionValue::kSchema:
        expression = "'public'";
        break;
      case SessionValue::kSchemas:
        expression = "CASE WHEN $1 THEN ['pg_catalog', 'public'] ELSE ['public'] END";
        break;
    }
    Result<Json> parsed = Parse(fmt::format("SELECT {}", expression));
    if (!parsed.ok()) return Finding{parsed.status(), LocationOf(node)};
    Json replacement = (*parsed)["statements"][0]["node"]["select_list"][0];
    SubstituteArguments(replacement, node.value("children", Json::array()));
    replacement["alias"] = node.value("alias", std::string());
    node = std::move(replacement);
    return std::nullopt;
  }

  // 'name'::regproc and 'name(types)'::regprocedure look a function up by name, as psql's \sf
  // and \ef do: the catalogs list none (consumers cannot create functions), so there is none
  // to find, which PostgreSQL reports as 42883 (the Catalog Error of an unknown function).
  std::optional<Finding> CheckRegprocCast(const Json& node) {
    const Json& type = node.value("cast_type", Json::object());
    if (StringField(type, "id") != "USER") return std::nullopt;
    std::string name =
        AsciiLower(StringField(type.value("type_info", Json::object()), "user_type_name"));
    if (name != "regproc" && name != "regprocedure") return std::nullopt;
    const Json& child = node.value("child", Json::object());
    const Json& value = child.value("value", Json::object());
    std::string function = value.value("value", Json()).is_string()
                               ? value["value"].get<std::string>()
                               : std::string("?");
    return Finding{Status(ErrorCode::kQueryFailed,
                          fmt::format("Catalog Error: Function \"{}\" does not exist: this port "
                                      "lists no functions in pg_proc (consumers cannot "
                                      "create any), so '{}'::{} finds none; call DuckDB's "
                                      "built-in functions by name",
                                      function, function, name)),
                   LocationOf(node)};
  }

  // Replaces current_setting(name [, missing_ok]) by the session's value of `name` when it is
  // one of the session's settings; a constant name that is not is refused. A name computed by
  // the query (\dconfig's, from pg_settings) picks among the session's settings only.
  std::optional<Finding> ReplaceCurrentSetting(Json& node) {
    const Json arguments = node.value("children", Json::array());
    if (arguments.empty() || arguments.size() > 2) return std::nullopt;  // DuckDB says why
    auto value_of = [&](std::string_view name) -> const std::string* {
      for (const auto& [setting, value] : session_.settings) {
        if (AsciiLower(setting) == AsciiLower(name)) return &value;
      }
      return nullptr;
    };
    std::string names;
    for (const auto& [setting, value] : session_.settings)
      names += (names.empty() ? "" : ", ") + setting;
    std::string expression;
    const Json& first = arguments[0];
    const Json& constant = first.value("value", Json::object());
    if (StringField(first, "class") == "CONSTANT" && constant.value("value", Json()).is_string()) {
      std::string name = constant["value"].get<std::string>();
      if (const std::string* value = value_of(name)) {
        expression = engine::QuoteLiteral(*value);
      } else if (arguments.size() == 2) {
        expression = "CASE WHEN $2 THEN CAST(NULL AS VARCHAR) ELSE error(" +
                     engine::QuoteLiteral(fmt::format("unrecognized configuration parameter "
                                                      "\"{}\"; the session's are: {}",
                                                      name, names)) +
                     ") END";
      } else {
        return Finding{Status(ErrorCode::kPermissionDenied,
                              fmt::format("current_setting('{}') is not available to consumer "
                                          "queries: only the session's settings can be read "
                                          "({}); the node's configuration cannot",
                                          name, names)),
                       LocationOf(node)};
      }
    } else {
      expression = "CASE lower(CAST($1 AS VARCHAR))";
      for (const auto& [setting, value] : session_.settings) {
        expression += fmt::format(" WHEN {} THEN {}", engine::QuoteLiteral(AsciiLower(setting)),
                                  engine::QuoteLiteral(value));
      }
      std::string refusal = fmt::format(
          "unrecognized configuration parameter: current_setting() reads the session's settings "
          "only ({})",
          names);
      expression +=
          arguments.size() == 2
              ? fmt::format(" ELSE CASE WHEN $2 THEN CAST(NULL AS VARCHAR) ELSE error({}) END END",
                            engine::QuoteLiteral(refusal))
              : fmt::format(" ELSE error({}) END", engine::QuoteLiteral(refusal));
    }
    Result<Json> parsed = Parse(fmt::format("SELECT {}", expression));
    if (!parsed.ok()) return Finding{parsed.status(), LocationOf(node)};
    Json replacement = (*parsed)["statements"][0]["node"]["select_list"][0];
    SubstituteArguments(replacement, arguments);
    replacement["alias"] = node.value("alias", std::string());
    node = std::move(replacement);
    return std::nullopt;
  }

  // Replaces a call of kPostgresFunctions by its expression, with the call's arguments in
  // place of $1, $2.
  std::optional<Finding> ReplacePostgresFunction(Json& node) {
    std::string name = AsciiLower(StringField(node, "function_name"));
    std::string schema = AsciiLower(StringField(node, "schema"));
    if (!schema.empty() && schema != "pg_catalog") return std::nullopt;
    // DuckDB finds pg_catalog's functions and its own by their plain names.
    if (schema == "pg_catalog") node["schema"] = "";
    // PostgreSQL's ~ matches anywhere in the text; DuckDB's parser reads it as a full match.
    std::size_t location = LocationOf(node);
    if (name == "regexp_full_match" && location < text_.size() &&
        (text_.substr(location, 1) == "~" || text_.substr(location, 2) == "!~")) {
      node["function_name"] = "regexp_matches";
      return std::nullopt;
    }
    for (const auto& [function, renamed] : kPostgresRenamedFunctions) {
      if (function == name) {
        node["function_name"] = std::string(renamed);
        return std::nullopt;
      }
    }
    for (const auto& [function, expression] : kPostgresFunctions) {
      if (function != name) continue;
      Json arguments = node.value("children", Json::array());
      std::string select = fmt::format("SELECT {}", expression);
      if (name == "to_regclass") {
        // pg_catalog first, as PostgreSQL searches it first unless the path names it.
        std::string schemas = "'pg_catalog'";
        for (const std::string& schema : session_.search_path) {
          schemas += ", " + engine::QuoteLiteral(schema);
        }
        select += fmt::format(", [{}]", schemas);
      }
      Result<Json> parsed = Parse(select);
      if (!parsed.ok()) return Finding{parsed.status(), LocationOf(node)};
      Json& list = (*parsed)["statements"][0]["node"]["select_list"];
      Json replacement = list[0];
      if (list.size() > 1 && arguments.size() == 1) arguments.push_back(list[1]);
      SubstituteArguments(replacement, arguments);
      replacement["alias"] = node.value("alias", std::string());
      node = std::move(replacement);
      return std::nullopt;
    }
    return std::nullopt;
  }

  static void SubstituteArguments(Json& node, const Json& arguments) {
    if (node.is_array()) {
      for (Json& item : node) SubstituteArguments(item, arguments);
      return;
    }
    if (!node.is_object()) return;
    if (StringField(node, "class") == "PARAMETER") {
      std::string identifier = StringField(node, "identifier");
      std::size_t index = identifier.empty() ? 0 : std::stoul(identifier);
      if (index >= 1 && index <= arguments.size()) {
        node = arguments[index - 1];
      } else {
        node = {{"class", "CONSTANT"},
                {"type", "VALUE_CONSTANT"},
                {"alias", ""},
                {"query_location", kNoLocation},
                {"value", {{"type", {{"id", "NULL"}, {"type_info", nullptr}}}, {"is_null", true}}}};
      }
      return;
    }
    for (auto& [key, value] : node.items()) SubstituteArguments(value, arguments);
  }

  std::optional<Finding> CheckFunction(const Json& node) {
    std::string name = AsciiLower(StringField(node, "function_name"));
    std::string schema = AsciiLower(StringField(node, "schema"));
    std::string catalog = StringField(node, "catalog");
    if (!catalog.empty() || (!schema.empty() && schema != "main" && schema != "pg_catalog")) {
      return Finding{Status(ErrorCode::kPermissionDenied,
                            fmt::format("function {}.{} is not available: call functions by "
                                        "their plain name",
                                        catalog.empty() ? schema : catalog + "." + schema, name)),
                     LocationOf(node)};
    }
    if (std::optional<std::string_view> why = engine::WhyFunctionIsRefused(name)) {
      return Finding{
          Status(ErrorCode::kPermissionDenied,
                 fmt::format("function {}() is not available to consumer queries: {}", name, *why)),
          LocationOf(node)};
    }
    return std::nullopt;
  }

  std::optional<Finding> CheckTableFunction(Json& node) {
    auto function = node.find("function");
    std::string name = function != node.end() && function->is_object()
                           ? AsciiLower(StringField(*function, "function_name"))
                           : std::string();
    if (std::find(kAllowedTableFunctions.begin(), kAllowedTableFunctions.end(), name) !=
        kAllowedTableFunctions.end()) {
      // PostgreSQL names the one column of `generate_series(...) AS s` s, as queries expect.
      Json& columns = node["column_name_alias"];
      std::string alias = StringField(node, "alias");
      if (!alias.empty() && (!columns.is_array() || columns.empty())) {
        columns = Json::array({alias});
      }
      return std::nullopt;
    }
    return Finding{
        Status(ErrorCode::kPermissionDenied,
               fmt::format("table function {}() is not available to consumer queries: read "
                           "data products by name (schema.dataset); files, other databases "
                           "and the node's internals cannot be reached",
                           name.empty() ? "?" : name)),
        LocationOf(node)};
  }

  Result<TableTime> ReadAtClause(Json& at) {
    TableTime time;
    std::string unit = AsciiUpper(StringField(at, "unit"));
    auto expression = at.find("expr");
    if (expression == at.end() || !expression->is_object()) {
      return Status::Usage("AT (...) needs VERSION => n or TIMESTAMP => t");
    }
    if (auto finding = Visit(*expression)) return finding->status;
    // The clause's expression is evaluated on its own, as a one-column SELECT.
    QUANTA_ASSIGN_OR_RETURN(Json statement, Parse("SELECT NULL"));
    statement["statements"][0]["node"]["select_list"] = Json::array({*expression});
    QUANTA_ASSIGN_OR_RETURN(std::string select, Deserialize(statement));
    if (unit == "VERSION") {
      time.kind = TableTime::Kind::kVersion;
      // A cast alone would round 1.5 to 2 and read a version nobody asked for.
      Result<engine::QueryResult> value = connection_.Query(
          fmt::format("SELECT CAST(v AS BIGINT), CAST(v AS VARCHAR), CAST(v AS BIGINT) = v "
                      "FROM (SELECT ({}) AS v)",
                      StripSelect(select)));
      if (!value.ok() || value->rows.empty() || !value->rows[0][0]) {
        return Status::Usage("AT (VERSION => ...) needs a whole number: {}",
                             value.ok() ? "it is NULL" : FirstLine(value.status().message()));
      }
      if (value->rows[0][2] != "true") {
        return Status::Usage(
            "AT (VERSION => {}) needs a whole number: versions are the dataset's commit "
            "numbers (1, 2, 3, ...)",
            value->rows[0][1].value_or("?"));
      }
      time.version = std::stoll(*value->rows[0][0]);
    } else if (unit == "TIMESTAMP") {
      time.kind = TableTime::Kind::kTimestamp;
      Result<engine::QueryResult> value = connection_.Query(
          fmt::format("SELECT epoch_us(CAST(({}) AS TIMESTAMPTZ))", StripSelect(select)));
      if (!value.ok() || value->rows.empty() || !value->rows[0][0]) {
        return Status::Usage("AT (TIMESTAMP => ...) needs a time: {}",
                             value.ok() ? "it is NULL" : FirstLine(value.status().message()));
      }
      time.epoch_micros = std::stoll(*value->rows[0][0]);
    } else {
      return Status::Usage("AT ({} => ...) is not a time-travel clause; use VERSION or TIMESTAMP",
                           unit);
    }
    return time;
  }

  std::optional<Finding> ReplaceTable(Json& node) {
    std::string catalog = StringField(node, "catalog_name");
    std::string schema = StringField(node, "schema_name");
    std::string table = StringField(node, "table_name");
    std::size_t location = LocationOf(node);
    bool has_at = node.contains("at_clause") && node["at_clause"].is_object();
    if (catalog.empty() && schema.empty() &&
        std::find(cte_names_.begin(), cte_names_.end(), AsciiLower(table)) != cte_names_.end()) {
      if (!has_at) return std::nullopt;  // a common table expression of this query
      return Finding{Status(ErrorCode::kNotSupported,
                            fmt::format("AT (...) applies to datasets, and \"{}\" is a common "
                                        "table expression of this query, which has no history; "
                                        "put AT on the datasets it reads",
                                        table)),
                     location};
    }
    if (!catalog.empty()) {
      return Finding{Status(ErrorCode::kPermissionDenied,
                            fmt::format("{}.{}.{}: a consumer query reads data products as "
                                        "schema.dataset; other databases cannot be named",
                                        catalog, schema, table)),
                     location};
    }
    // PostgreSQL searches pg_catalog first, so clients name its tables without a schema.
    if (schema.empty() && AsciiLower(table).starts_with("pg_")) schema = "pg_catalog";
    if (schema.empty() && table.find_first_of("/\\") != std::string::npos) {
      return Finding{Status(ErrorCode::kPermissionDenied,
                            fmt::format("'{}' looks like a file: consumer queries cannot read "
                                        "files, only data products by name (schema.dataset)",
                                        table)),
                     location};
    }
    TableTime time;
    if (has_at) {
      Result<TableTime> read = ReadAtClause(node["at_clause"]);
      if (!read.ok()) return Finding{read.status(), location};
      time = *read;
    }
    Result<std::string> resolved = Status::NotFound("");
    if (!schema.empty()) {
      resolved = resolver_.Resolve(schema, table, time);
    } else {
      // PostgreSQL's search_path: the first schema that has a table of that name.
      for (const std::string& candidate : session_.search_path) {
        resolved = resolver_.Resolve(candidate, table, time);
        if (!resolved.ok() && resolved.status().code() == ErrorCode::kNotFound) continue;
        schema = candidate;
        break;
      }
      if (schema.empty()) {
        return Finding{
            Status(ErrorCode::kNotFound,
                   fmt::format("relation \"{}\" does not exist; name a dataset with its "
                               "product's schema, as product.dataset, or put the product on the "
                               "search_path (SET search_path = product){}",
                               table,
                               session_.search_path.empty()
                                   ? std::string()
                                   : fmt::format(", which is now {}",
                                                 fmt::join(session_.search_path, ", ")))),
            location};
      }
    }
    if (!resolved.ok()) return Finding{resolved.status(), location};
    resolved_.push_back({schema, table, time, *resolved});
    Result<Json> subquery = Serialize(*resolved);
    if (!subquery.ok()) return Finding{subquery.status(), location};
    std::string alias = StringField(node, "alias");
    Json replacement = {{"type", "SUBQUERY"},
                        {"alias", alias.empty() ? table : alias},
                        {"sample", node.value("sample", Json(nullptr))},
                        {"query_location", kNoLocation},
                        {"subquery", *subquery},
                        {"column_name_alias", node.value("column_name_alias", Json::array())}};
    node = std::move(replacement);
    return std::nullopt;
  }

  void NoteColumnReference(const Json& node) {
    std::size_t location = LocationOf(node);
    const Json& parts = node.value("column_names", Json::array());
    if (location == std::string::npos || !parts.is_array() || parts.empty()) return;
    if (parts.back().is_string()) {
      name_locations_.emplace_back("column:" + AsciiLower(parts.back().get<std::string>()),
                                   location);
    }
    if (parts.size() > 1 && parts[0].is_string()) {
      name_locations_.emplace_back("table:" + AsciiLower(parts[0].get<std::string>()), location);
    }
  }

 public:
  // The tables replaced so far, with the resolver's answers.
  std::vector<ResolvedTable>& resolved() { return resolved_; }
  // Where names were seen, relative to the statement's text.
  std::vector<std::pair<std::string, std::size_t>>& name_locations() { return name_locations_; }

  // The parse tree of one SELECT as json_serialize_sql gives it.
  Result<Json> Serialize(std::string_view select) {
    QUANTA_ASSIGN_OR_RETURN(Json tree, Parse(select));
    return tree["statements"][0];
  }

  Result<Json> Parse(std::string_view sql) { return ParseSql(connection_, sql); }

  Result<std::string> Deserialize(const Json& tree) {
    const std::string serialized = tree.dump();
    if (std::optional<std::string> sql = RenderCache().Find(serialized)) return *sql;
    Result<engine::QueryResult> result = connection_.Query(
        fmt::format("SELECT json_deserialize_sql({}::JSON)", engine::QuoteLiteral(serialized)));
    if (!result.ok() || result->rows.empty() || !result->rows[0][0]) {
      return Status::Internal("the rewritten query could not be rendered as SQL: {}",
                              result.ok() ? "no result" : result.status().message());
    }
    RenderCache().Insert(serialized, *result->rows[0][0]);
    return *result->rows[0][0];
  }

 private:
  static std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }
  static std::string StripSelect(const std::string& select) {
    return select.starts_with("SELECT ") ? select.substr(7) : select;
  }

  engine::Connection& connection_;
  TableResolver& resolver_;
  std::string_view text_;  // the statement, for what the tree does not keep
  const SessionNames& session_;
  std::vector<std::pair<std::string, std::size_t>> name_locations_;
  std::vector<std::string> cte_names_;  // in scope, lower case
  std::vector<ResolvedTable> resolved_;
};

// Names the unaliased columns of a query's select list as PostgreSQL does, since clients and
// reports use them: a function call by its name (count(*) is "count"), a cast of a column by
// the column, CASE "case", EXISTS "exists", other expressions "?column?". Column references
// and stars keep DuckDB's names, which are PostgreSQL's.
// The name PostgreSQL gives an unaliased cast to `cast_type` (DuckDB's serialized type) of
// something without a name of its own: its type's internal name. Empty for types it would
// spell otherwise, which keep DuckDB's name.
std::string PostgresCastColumnName(const Json& cast_type) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"BOOLEAN", "bool"},
      {"SMALLINT", "int2"},
      {"INTEGER", "int4"},
      {"BIGINT", "int8"},
      {"FLOAT", "float4"},
      {"DOUBLE", "float8"},
      {"DECIMAL", "numeric"},
      {"VARCHAR", "text"},
      {"DATE", "date"},
      {"TIME", "time"},
      {"TIMESTAMP", "timestamp"},
      {"TIMESTAMP WITH TIME ZONE", "timestamptz"},
      {"TIMESTAMP_TZ", "timestamptz"},
      {"INTERVAL", "interval"},
      {"UUID", "uuid"},
      {"BLOB", "bytea"},
  };
  std::string id = StringField(cast_type, "id");
  if (id == "USER") {
    return AsciiLower(StringField(cast_type.value("type_info", Json::object()), "user_type_name"));
  }
  for (const auto& [duckdb, postgres] : kNames) {
    if (id == duckdb) return std::string(postgres);
  }
  return {};
}

// PostgreSQL's name for a subquery in a select list: EXISTS "exists", ARRAY(...) "array", a
// scalar subquery the name of its one column where that is a column or has an alias, and
// "?column?" for the rest (x = ANY (...), x IN (SELECT ...), (SELECT 1)).
std::string SubqueryColumnName(const Json& column, std::string_view text) {
  std::string subquery_type = StringField(column, "subquery_type");
  if (subquery_type == "EXISTS") return "exists";
  if (subquery_type != "SCALAR") return "?column?";
  std::size_t location = LocationOf(column);
  // DuckDB places ARRAY (SELECT ...) at its parenthesis.
  if (location < text.size()) {
    std::size_t end = text.find_last_not_of(" \t\r\n", location == 0 ? 0 : location - 1);
    if (location > 0 && end != std::string_view::npos && end >= 4 &&
        AsciiLower(text.substr(end - 4, 5)) == "array") {
      return "array";
    }
  }
  const Json& inner = column.value("subquery", Json::object())
                          .value("node", Json::object())
                          .value("select_list", Json::array());
  if (!inner.is_array() || inner.size() != 1 || !inner[0].is_object()) return "?column?";
  if (std::string alias = StringField(inner[0], "alias"); !alias.empty()) return alias;
  const Json& parts = inner[0].value("column_names", Json::array());
  if (StringField(inner[0], "class") == "COLUMN_REF" && !parts.empty() &&
      parts.back().is_string()) {
    return parts.back().get<std::string>();
  }
  return "?column?";
}

void NameColumnsAsPostgres(Json& node, std::string_view text) {
  if (!node.is_object()) return;
  std::string type = StringField(node, "type");
  if (type == "SET_OPERATION_NODE") {
    if (auto left = node.find("left"); left != node.end()) NameColumnsAsPostgres(*left, text);
    return;
  }
  if (type != "SELECT_NODE") return;
  auto list = node.find("select_list");
  if (list == node.end() || !list->is_array()) return;
  for (Json& column : *list) {
    if (!column.is_object() || !StringField(column, "alias").empty()) continue;
    std::string kind = StringField(column, "class");
    std::string name;
    if (IsSessionKeyword(column, text)) {
      column["alias"] = AsciiLower(column["column_names"][0].get<std::string>());
      continue;
    }
    if (kind == "COLUMN_REF" || kind == "STAR") continue;
    std::size_t location = LocationOf(column);
    bool operator_text =
        location < text.size() && !std::isalpha(static_cast<unsigned char>(text[location]));
    if (kind == "FUNCTION" && !column.value("is_operator", false) && !operator_text) {
      name = AsciiLower(StringField(column, "function_name"));
      if (name == "count_star") name = "count";
    } else if (kind == "CAST") {
      // PostgreSQL names a cast after what it casts when that has a name (a column, a
      // function), else after the type: 1::int is int4, (a + b)::bigint int8.
      const Json& child = column.value("child", Json::object());
      std::string child_kind = StringField(child, "class");
      const Json& parts = child.value("column_names", Json::array());
      if (child_kind == "COLUMN_REF" && !parts.empty() && parts.back().is_string()) {
        name = parts.back().get<std::string>();
      } else if (child_kind == "FUNCTION" && !child.value("is_operator", false)) {
        name = AsciiLower(StringField(child, "function_name"));
      } else {
        name = PostgresCastColumnName(column.value("cast_type", Json::object()));
        if (name.empty()) continue;
      }
    } else if (kind == "CASE") {
      name = "case";
    } else if (kind == "OPERATOR" && StringField(column, "type") == "OPERATOR_NOT") {
      name = "?column?";
    } else if (kind == "SUBQUERY") {
      name = SubqueryColumnName(column, text);
    } else {
      name = "?column?";
    }
    column["alias"] = name;
  }
}

}  // namespace

std::vector<SqlPiece> SplitSql(std::string_view sql) {
  std::vector<SqlPiece> pieces;
  for (const Piece& piece : SplitStatements(sql)) {
    if (!IsBlank(piece.text)) pieces.push_back({piece.offset, std::string(piece.text)});
  }
  return pieces;
}

std::string LeadingKeyword(std::string_view statement) {
  std::size_t i = SkipBlanks(statement, 0, true);
  std::size_t end = i;
  while (end < statement.size() && std::isalpha(static_cast<unsigned char>(statement[end]))) ++end;
  return AsciiUpper(statement.substr(i, end - i));
}

Result<bool> HasSyntaxError(engine::Connection& connection, std::string_view statement) {
  if (IsBlank(statement) || CountNamedDefinitions(statement) > kMaxNamedDefinitions) return false;
  QUANTA_ASSIGN_OR_RETURN(Json tree, ParseSql(connection, statement));
  return tree.value("error", false) && tree.value("error_type", "") == "parser";
}

namespace {

// A statement with each small integer literal replaced by a marker: statements that differ
// only in such literals (a lookup by id, a LIMIT) have the same skeleton, so they share the
// parse and render caches. Parsing and rendering a statement costs DuckDB more than planning
// and running a point lookup, and pgbench or a dashboard sends a new id every time.
//
// Each marker is an INTEGER like the literal it stands for (2086400000 up to 2086499999), so
// the parse tree and every check of the sandbox see the same shapes; FillIn then puts the
// literals back where their markers ended up in the rewritten SQL.
class LiteralSkeleton {
 public:
  std::string text;

  // Replaces the markers in `statement`'s SQL with their literals and moves its name locations
  // back to the original text. False when a marker is not in the SQL exactly once (a rewrite
  // copied or dropped it): the caller then sandboxes the original text.
  bool FillIn(SandboxedStatement& statement) const {
    std::vector<std::pair<std::size_t, const Hole*>> found;
    for (const Hole& hole : holes_) {
      std::size_t at = FindMarker(statement.sql, hole.marker, 0);
      if (at == std::string::npos ||
          FindMarker(statement.sql, hole.marker, at + 1) != std::string::npos) {
        return false;
      }
      found.emplace_back(at, &hole);
    }
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [at, hole] : found) {
      statement.sql.replace(at, hole->marker.size(), hole->literal);
    }
    if (PointLookup* lookup = statement.point_lookup ? &*statement.point_lookup : nullptr;
        lookup && !lookup->literal_is_text) {
      for (std::size_t i = 0; i < holes_.size(); ++i) {
        if (lookup->literal == holes_[i].marker) {
          lookup->literal = std::string(holes_[i].literal);
          lookup->skeleton_literal = static_cast<int>(i);
        }
      }
    }
    for (auto& [name, location] : statement.name_locations) location = OriginalOffset(location);
    return true;
  }

 private:
  friend std::optional<LiteralSkeleton> SkeletonOf(std::string_view original);
  friend std::optional<StatementSkeleton> query::SkeletonOfStatement(std::string_view statement);
  struct Hole {
    std::size_t at;            // where the marker starts in `text`
    std::string marker;        // ten digits
    std::string_view literal;  // the original's digits
  };
  std::vector<Hole> holes_;  // in the order of the text

  // Where `marker` stands as a whole number in `sql` from `from` on; npos when nowhere.
  static std::size_t FindMarker(const std::string& sql, const std::string& marker,
                                std::size_t from) {
    for (std::size_t at = sql.find(marker, from); at != std::string::npos;
         at = sql.find(marker, at + 1)) {
      bool digit_before = at > 0 && std::isdigit(static_cast<unsigned char>(sql[at - 1]));
      std::size_t end = at + marker.size();
      bool digit_after = end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]));
      if (!digit_before && !digit_after) return at;
    }
    return std::string::npos;
  }

  // The offset in the original text of `offset` in `text` (a marker's start for one inside it).
  std::size_t OriginalOffset(std::size_t offset) const {
    std::ptrdiff_t shift = 0;
    for (const Hole& hole : holes_) {
      if (offset < hole.at) break;
      if (offset < hole.at + hole.marker.size()) return hole.at + shift;
      shift += static_cast<std::ptrdiff_t>(hole.literal.size()) -
               static_cast<std::ptrdiff_t>(hole.marker.size());
    }
    return offset + shift;
  }
};

constexpr std::string_view kMarkerPrefix = "20864";
constexpr std::size_t kMaxMarkers = 100000;

// The skeleton of `original`, or nullopt when it has no literal to replace or must be
// sandboxed as written: it holds the marker prefix already, a backslash (an E'...' string,
// whose escapes SkipLiteralOrComment does not follow, could hide where a literal is), or a
// named argument (AT (VERSION => 2 + 1) is resolved by its value).
std::optional<LiteralSkeleton> SkeletonOf(std::string_view original) {
  if (original.find(kMarkerPrefix) != std::string_view::npos ||
      original.find('\\') != std::string_view::npos ||
      original.find("=>") != std::string_view::npos) {
    return std::nullopt;
  }
  auto is_word_byte = [](char c) {
    return IsWordCharacter(c) || static_cast<unsigned char>(c) >= 0x80;  // UTF-8 letters too
  };
  LiteralSkeleton skeleton;
  std::size_t copied = 0;
  bool too_many = false;
  ForEachWord(original, is_word_byte, [&](std::size_t start, std::size_t end) {
    std::string_view word = original.substr(start, end - start);
    // Digits alone, not a parameter ($1), not part of a decimal (1.5, .5) and small enough
    // to be an INTEGER.
    bool integer = word.size() <= 9 && std::all_of(word.begin(), word.end(), [](char c) {
                     return std::isdigit(static_cast<unsigned char>(c));
                   });
    if (start > 0 && (original[start - 1] == '$' || original[start - 1] == '.')) integer = false;
    if (end < original.size() && original[end] == '.') integer = false;
    if (!integer) return true;
    if (skeleton.holes_.size() == kMaxMarkers) {
      too_many = true;
      return false;
    }
    skeleton.text.append(original.substr(copied, start - copied));
    std::string marker = fmt::format("{}{:05}", kMarkerPrefix, skeleton.holes_.size());
    skeleton.holes_.push_back({skeleton.text.size(), marker, word});
    skeleton.text += marker;
    copied = end;
    return true;
  });
  if (too_many) return std::nullopt;
  if (skeleton.holes_.empty()) return std::nullopt;
  skeleton.text.append(original.substr(copied));
  return skeleton;
}

// The point lookup `statement` (one parsed statement, before its tables are replaced) is, if
// it is one: see PointLookup.
std::optional<PointLookup> PointLookupOf(const Json& statement) {
  // A field of an object without copying it; null when absent.
  auto field = [](const Json& object, const char* name) -> const Json& {
    static const Json kNull;
    if (!object.is_object()) return kNull;
    auto found = object.find(name);
    return found == object.end() ? kNull : *found;
  };
  const Json& node = field(statement, "node");
  auto empty = [&](const char* name) {
    const Json& found = field(node, name);
    return found.is_null() || (found.is_array() && found.empty());
  };
  if (StringField(node, "type") != "SELECT_NODE" || !empty("modifiers") ||
      !empty("group_expressions") || !empty("group_sets") || !empty("having") || !empty("sample") ||
      !empty("qualify") || StringField(node, "aggregate_handling") != "STANDARD_HANDLING") {
    return std::nullopt;
  }
  if (const Json& ctes = field(field(node, "cte_map"), "map");
      !ctes.is_null() && (!ctes.is_array() || !ctes.empty())) {
    return std::nullopt;
  }
  const Json& from = field(node, "from_table");
  if (StringField(from, "type") != "BASE_TABLE" || !StringField(from, "catalog_name").empty() ||
      !field(from, "at_clause").is_null() || !field(from, "sample").is_null() ||
      !field(from, "column_name_alias").empty()) {
    return std::nullopt;
  }
  // A column of the table: `name`, or qualified by the table's alias or, without one, its name.
  std::string qualifier = AsciiLower(StringField(from, "alias"));
  if (qualifier.empty()) qualifier = AsciiLower(StringField(from, "table_name"));
  auto column_of = [&](const Json& expression) -> std::optional<std::string> {
    if (StringField(expression, "class") != "COLUMN_REF") return std::nullopt;
    const Json& parts = field(expression, "column_names");
    if (!parts.is_array() || parts.empty() || parts.size() > 2) return std::nullopt;
    for (const Json& part : parts) {
      if (!part.is_string()) return std::nullopt;
    }
    if (parts.size() == 2 && AsciiLower(parts[0].get<std::string>()) != qualifier) {
      return std::nullopt;
    }
    return parts.back().get<std::string>();
  };
  PointLookup lookup;
  const Json& columns = field(node, "select_list");
  if (!columns.is_array() || columns.empty()) return std::nullopt;
  for (const Json& column : columns) {
    if (StringField(column, "class") == "STAR" && columns.size() == 1) {
      std::string relation = AsciiLower(StringField(column, "relation_name"));
      if ((!relation.empty() && relation != qualifier) || field(column, "columns") == true ||
          !field(column, "expr").is_null()) {
        return std::nullopt;
      }
      for (const char* list :
           {"exclude_list", "replace_list", "qualified_exclude_list", "rename_list"}) {
        if (!field(column, list).empty()) return std::nullopt;
      }
      break;
    }
    std::optional<std::string> name = column_of(column);
    if (!name) return std::nullopt;
    lookup.columns.push_back(*name);
  }
  const Json& where = field(node, "where_clause");
  if (StringField(where, "type") != "COMPARE_EQUAL") return std::nullopt;
  const Json* key = &field(where, "left");
  const Json* value = &field(where, "right");
  if (!column_of(*key)) std::swap(key, value);
  std::optional<std::string> key_column = column_of(*key);
  if (!key_column) return std::nullopt;
  lookup.key_column = *key_column;
  if (StringField(*value, "class") == "PARAMETER") {
    std::string identifier = StringField(*value, "identifier");
    if (identifier.empty() || identifier.size() > 5 ||
        !std::all_of(identifier.begin(), identifier.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return std::nullopt;
    }
    lookup.parameter = std::stoi(identifier);
    return lookup;
  }
  if (StringField(*value, "class") != "CONSTANT") return std::nullopt;
  const Json& constant = field(*value, "value");
  if (field(constant, "is_null") != false) return std::nullopt;
  std::string type = StringField(field(constant, "type"), "id");
  const Json& literal = field(constant, "value");
  if ((type == "INTEGER" || type == "BIGINT") && literal.is_number_integer()) {
    lookup.literal = std::to_string(literal.get<std::int64_t>());
  } else if (type == "VARCHAR" && literal.is_string()) {
    lookup.literal = literal.get<std::string>();
    lookup.literal_is_text = true;
  } else {
    return std::nullopt;
  }
  return lookup;
}

// Whether `statement` (one parsed statement) selects literals only: see
// SandboxedStatement::constant.
bool IsConstantSelect(const Json& statement) {
  auto found = statement.find("node");
  if (found == statement.end() || !found->is_object()) return false;
  const Json& node = *found;
  for (const char* clause : {"modifiers", "group_expressions", "group_sets"}) {
    auto list = node.find(clause);
    if (list == node.end() || !list->is_array() || !list->empty()) return false;
  }
  for (const char* clause : {"where_clause", "having", "sample", "qualify"}) {
    auto value = node.find(clause);
    if (value != node.end() && !value->is_null()) return false;
  }
  auto from = node.find("from_table");
  auto columns = node.find("select_list");
  auto ctes = node.find("cte_map");
  if (StringField(node, "type") != "SELECT_NODE" || from == node.end() ||
      StringField(*from, "type") != "EMPTY" || columns == node.end() || !columns->is_array() ||
      columns->empty() || StringField(node, "aggregate_handling") != "STANDARD_HANDLING" ||
      (ctes != node.end() && ctes->is_object() && ctes->contains("map") &&
       !(*ctes)["map"].empty())) {
    return false;
  }
  return std::all_of(columns->begin(), columns->end(),
                     [](const Json& column) { return StringField(column, "class") == "CONSTANT"; });
}

// Sandboxes one statement (no semicolon); on a refusal `*refusal_offset` is where in `text` it
// points (npos: nowhere).
Result<SandboxedStatement> SandboxStatement(engine::Connection& connection, std::string_view text,
                                            TableResolver& resolver, const SessionNames& session,
                                            std::size_t* refusal_offset) {
  auto refuse = [&](Status status, std::size_t offset) -> Status {
    *refusal_offset = offset;
    return status;
  };
  if (std::size_t definitions = CountNamedDefinitions(text); definitions > kMaxNamedDefinitions) {
    return refuse(Status(ErrorCode::kTooLarge,
                         fmt::format("the statement defines {} common table expressions or "
                                     "named windows (name AS (...)), more than the {} one "
                                     "statement may: planning grows with the square of their "
                                     "number; split the statement",
                                     definitions, kMaxNamedDefinitions)),
                  SkipBlanks(text, 0, false));
  }
  Rewriter rewriter(connection, resolver, text, session);
  Result<Json> tree = rewriter.Parse(text);
  if (!tree.ok()) return tree.status();
  if (tree->value("error", false)) {
    std::string type = tree->value("error_type", "");
    std::string message = tree->value("error_message", "");
    if (message.find("Max expression depth limit") != std::string::npos) {
      // DuckDB's advice to SET max_expression_depth cannot be followed on the locked instance.
      return refuse(Status(ErrorCode::kTooLarge,
                           fmt::format("{}: expressions and subqueries nest deeper than the "
                                       "SQL port allows; write the statement flatter",
                                       message.substr(0, message.find(". Use")))),
                    SkipBlanks(text, 0, false));
    }
    if (type == "parser") {
      std::size_t position = std::string::npos;
      if (auto found = tree->find("position"); found != tree->end() && found->is_string()) {
        position = std::stoull(found->get<std::string>());
      }
      // DuckDB's parser mostly says "syntax error at or near ..." itself, as PostgreSQL does.
      return refuse(message.starts_with("syntax error")
                        ? Status::Usage("{}", message)
                        : Status::Usage("syntax error: {}", message),
                    position);
    }
    std::string keyword = LeadingKeyword(text);
    if (keyword == "SELECT" || keyword == "WITH" || keyword == "VALUES" || keyword == "FROM" ||
        keyword == "TABLE") {
      // A query that DuckDB could not turn into a tree for another reason than its syntax
      // (a constant it could not read, say): DuckDB's own words say what.
      return refuse(
          Status(ErrorCode::kQueryFailed, fmt::format("{} Error: {}", ErrorClassOf(type), message)),
          std::string::npos);
    }
    return refuse(
        Status(ErrorCode::kNotSupported,
               fmt::format("{} is not allowed: the SQL port is read-only and takes SELECT "
                           "queries only (WITH, VALUES, set operations and subqueries "
                           "included)",
                           keyword.empty() ? std::string("this statement") : keyword)),
        0);
  }
  Json& parsed = (*tree)["statements"];
  if (!parsed.is_array() || parsed.size() != 1) {
    return refuse(Status::Internal("the SQL parser split one statement in {}", parsed.size()), 0);
  }
  NameColumnsAsPostgres(parsed[0]["node"], text);
  std::optional<PointLookup> point_lookup = PointLookupOf(parsed[0]);
  const bool constant = IsConstantSelect(parsed[0]);
  if (std::optional<Finding> finding = rewriter.Visit(parsed)) {
    return refuse(finding->status, finding->location);
  }
  QUANTA_ASSIGN_OR_RETURN(std::string rewritten, rewriter.Deserialize(*tree));
  if (rewriter.resolved().size() != 1 ||
      rewriter.resolved()[0].time.kind != TableTime::Kind::kCurrent) {
    point_lookup.reset();
  }
  return SandboxedStatement{std::move(rewritten), std::move(rewriter.resolved()),
                            std::move(rewriter.name_locations()), std::move(point_lookup),
                            constant && rewriter.resolved().empty()};
}

}  // namespace

std::optional<StatementSkeleton> SkeletonOfStatement(std::string_view statement) {
  std::optional<LiteralSkeleton> skeleton = SkeletonOf(statement);
  if (!skeleton) return std::nullopt;
  StatementSkeleton out{std::move(skeleton->text), {}};
  for (const LiteralSkeleton::Hole& hole : skeleton->holes_) {
    out.literals.emplace_back(hole.literal);
  }
  return out;
}

Result<std::vector<SandboxedStatement>> SandboxConsumerSql(engine::Connection& connection,
                                                           std::string_view sql,
                                                           TableResolver& resolver,
                                                           SandboxRefusal* refusal,
                                                           const SessionNames& session) {
  std::vector<SandboxedStatement> statements;
  for (const Piece& piece : SplitStatements(sql)) {
    if (IsBlank(piece.text)) continue;
    std::size_t refusal_offset = std::string::npos;
    Result<SandboxedStatement> statement = Status::Internal("not sandboxed");
    // The statement with its integer literals as markers shares the caches with every
    // statement that differs from it only in them; anything unusual sandboxes the text itself.
    if (std::optional<LiteralSkeleton> skeleton = SkeletonOf(piece.text)) {
      statement = SandboxStatement(connection, skeleton->text, resolver, session, &refusal_offset);
      if (statement.ok() && !skeleton->FillIn(*statement)) {
        statement = Status::Internal("a literal's marker was not found once in the rewrite");
      }
    }
    if (!statement.ok()) {
      refusal_offset = std::string::npos;
      statement = SandboxStatement(connection, piece.text, resolver, session, &refusal_offset);
    }
    if (!statement.ok()) {
      if (refusal) {
        refusal->position =
            refusal_offset == std::string::npos ? 0 : piece.offset + refusal_offset + 1;
      }
      return statement.status();
    }
    for (auto& [name, location] : statement->name_locations) location += piece.offset;
    statements.push_back(std::move(statement).value());
  }
  return statements;
}

bool ResolvesAsBefore(const SandboxedStatement& statement, TableResolver& resolver) {
  for (const ResolvedTable& table : statement.tables) {
    Result<std::string> now = resolver.Resolve(table.schema, table.table, table.time);
    if (!now.ok() || *now != table.sql) return false;
  }
  return true;
}

}  // namespace quanta::query
