#include "pipeline/sql_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/diagnostic.h"
#include "engine/database.h"

namespace quanta::pipeline {
namespace {

std::string Upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return result;
}

enum class TokenKind { kWord, kQuotedIdentifier, kString, kPunctuation };

struct Token {
  TokenKind kind;
  std::string text;    // as written
  std::size_t offset;  // in the whole input
  std::size_t end;
  int line;
  int column;

  bool Is(std::string_view word) const { return kind == TokenKind::kWord && Upper(text) == word; }
  bool IsPunctuation(char c) const {
    return kind == TokenKind::kPunctuation && text.size() == 1 && text[0] == c;
  }
};

struct Statement {
  std::vector<Token> tokens;
};

Status SqlError(const std::string& file, int line, int column, const std::string& message,
                const std::string& hint = "") {
  Diagnostic diagnostic;
  diagnostic.rule = "import-sql";
  diagnostic.location.file = file;
  diagnostic.location.line = line;
  diagnostic.location.column = column;
  diagnostic.message = message;
  diagnostic.hint = hint;
  return Status::Invalid("{}", FormatDiagnostic(diagnostic));
}

// Splits SQL text into statements of tokens, skipping comments; quotes ('...', "...",
// $tag$...$tag$) are single tokens. Fails on an unterminated quote or comment.
Result<std::vector<Statement>> Tokenize(std::string_view sql, const std::string& file) {
  std::vector<Statement> statements;
  Statement current;
  std::size_t i = 0;
  int line = 1;
  std::size_t line_start = 0;
  auto advance_to = [&](std::size_t target) {
    for (; i < target && i < sql.size(); ++i) {
      if (sql[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      advance_to(i + 1);
      continue;
    }
    int token_line = line;
    int token_column = static_cast<int>(i - line_start) + 1;
    std::size_t start = i;
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      std::size_t end = sql.find('\n', i);
      advance_to(end == std::string_view::npos ? sql.size() : end);
      continue;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      std::size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) {
        return SqlError(file, token_line, token_column, "comment is never closed with */");
      }
      advance_to(end + 2);
      continue;
    }
    if (c == '\\' && current.tokens.empty()) {
      // A psql meta-command (pg_dump writes \restrict): the rest of the line, a statement alone.
      std::size_t end = sql.find('\n', i);
      advance_to(end == std::string_view::npos ? sql.size() : end);
      Statement meta;
      meta.tokens.push_back(Token{TokenKind::kPunctuation,
                                  std::string(sql.substr(start, i - start)), start, i, token_line,
                                  token_column});
      statements.push_back(std::move(meta));
      continue;
    }
    TokenKind kind;
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (true) {
        j = sql.find(c, j);
        if (j == std::string_view::npos) {
          return SqlError(file, token_line, token_column,
                          fmt::format("{} is never closed", c == '\'' ? "string" : "identifier"));
        }
        if (j + 1 < sql.size() && sql[j + 1] == c) {
          j += 2;
          continue;
        }
        break;
      }
      kind = c == '\'' ? TokenKind::kString : TokenKind::kQuotedIdentifier;
      advance_to(j + 1);
    } else if (c == '$') {
      std::size_t close = sql.find('$', i + 1);
      std::string_view tag = close == std::string_view::npos ? "" : sql.substr(i, close - i + 1);
      bool is_tag = !tag.empty() && std::all_of(tag.begin() + 1, tag.end() - 1, [](char t) {
        return std::isalnum(static_cast<unsigned char>(t)) || t == '_';
      });
      if (!is_tag) {
        advance_to(i + 1);
        kind = TokenKind::kPunctuation;
      } else {
        std::size_t end = sql.find(tag, close + 1);
        if (end == std::string_view::npos) {
          return SqlError(file, token_line, token_column,
                          fmt::format("{} string is never closed", tag));
        }
        advance_to(end + tag.size());
        kind = TokenKind::kString;
      }
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80) {
      std::size_t j = i;
      while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' ||
                                static_cast<unsigned char>(sql[j]) >= 0x80)) {
        ++j;
      }
      advance_to(j);
      kind = TokenKind::kWord;
    } else {
      advance_to(i + 1);
      kind = TokenKind::kPunctuation;
    }
    Token token{kind,        std::string(sql.substr(start, i - start)), start, i, token_line,
                token_column};
    if (token.IsPunctuation(';')) {
      if (!current.tokens.empty()) statements.push_back(std::move(current));
      current = Statement();
      continue;
    }
    current.tokens.push_back(std::move(token));
  }
  if (!current.tokens.empty()) statements.push_back(std::move(current));
  return statements;
}

// Index just past a qualified name (a, "a", a.b, "a"."b") starting at `index`.
std::size_t SkipName(const std::vector<Token>& tokens, std::size_t index) {
  while (index < tokens.size() && (tokens[index].kind == TokenKind::kWord ||
                                   tokens[index].kind == TokenKind::kQuotedIdentifier)) {
    ++index;
    if (index < tokens.size() && tokens[index].IsPunctuation('.')) {
      ++index;
    } else {
      break;
    }
  }
  return index;
}

// A UNIQUE constraint added by ALTER TABLE: table and column names as DuckDB stores them.
struct UniqueMark {
  std::string table;
  std::vector<std::string> columns;
};

// The name an identifier token stands for, without quotes (a doubled quote is one quote).
std::string Unquoted(const Token& token) {
  if (token.kind != TokenKind::kQuotedIdentifier) return token.text;
  std::string name;
  for (std::size_t i = 1; i + 1 < token.text.size(); ++i) {
    name += token.text[i];
    if (token.text[i] == '"') ++i;
  }
  return name;
}

// How tables are matched between the statements and DuckDB's catalog: "SCHEMA.TABLE", upper
// case, since DuckDB matches identifiers without regard to case.
std::string TableKey(const std::string& schema, const std::string& table) {
  return Upper(schema) + "." + Upper(table);
}

// PostgreSQL types DuckDB does not know, written as the DuckDB type that holds the same values.
const std::map<std::string, std::string> kPostgresTypes = {
    {"JSONB", "JSON"},       {"SERIAL", "INTEGER"}, {"SERIAL4", "INTEGER"},
    {"BIGSERIAL", "BIGINT"}, {"SERIAL8", "BIGINT"}, {"SMALLSERIAL", "SMALLINT"},
    {"SERIAL2", "SMALLINT"},
};

// Checks that a CREATE TABLE has a column list (not AS SELECT) and returns the replacements for
// PostgreSQL-only column types, as (token index, DuckDB type).
Result<std::vector<std::pair<std::size_t, std::string>>> CheckCreateTable(
    const std::vector<Token>& tokens, std::size_t index, const std::string& file,
    std::string* table_key) {
  const Token& first = tokens.front();
  if (index + 2 < tokens.size() && tokens[index].Is("IF") && tokens[index + 1].Is("NOT") &&
      tokens[index + 2].Is("EXISTS")) {
    index += 3;
  }
  std::size_t name_start = index;
  index = SkipName(tokens, index);
  std::vector<std::string> parts;
  for (std::size_t i = name_start; i < index; ++i) {
    if (!tokens[i].IsPunctuation('.')) parts.push_back(Unquoted(tokens[i]));
  }
  if (!parts.empty()) {
    *table_key = TableKey(parts.size() >= 2 ? parts[parts.size() - 2] : "main", parts.back());
  }
  if (index >= tokens.size() || !tokens[index].IsPunctuation('(')) {
    const Token& where = index < tokens.size() ? tokens[index] : first;
    return SqlError(file, where.line, where.column,
                    "CREATE TABLE needs a column list: '(name type, ...)'",
                    "CREATE TABLE ... AS SELECT runs a query and is not read by import");
  }
  std::vector<std::pair<std::size_t, std::string>> replacements;
  int depth = 0;
  std::size_t element_position = 0;
  for (; index < tokens.size(); ++index) {
    const Token& token = tokens[index];
    if (token.IsPunctuation('(')) {
      ++depth;
      if (depth == 1) element_position = 0;
      continue;
    }
    if (token.IsPunctuation(')')) {
      if (--depth == 0) break;
      continue;
    }
    if (depth == 1 && token.IsPunctuation(',')) {
      element_position = 0;
      continue;
    }
    if (depth == 1) {
      // The second token of a column definition is its type.
      if (element_position == 1 && token.kind == TokenKind::kWord) {
        auto it = kPostgresTypes.find(Upper(token.text));
        if (it != kPostgresTypes.end()) replacements.push_back({index, it->second});
      }
      ++element_position;
    }
  }
  if (index + 1 < tokens.size() && tokens[index + 1].Is("AS")) {
    return SqlError(file, tokens[index + 1].line, tokens[index + 1].column,
                    "CREATE TABLE ... AS runs a query and is not read by import");
  }
  return replacements;
}

// Checks that a statement is one import reads and returns its text with PostgreSQL-only types
// replaced (empty when there is nothing to run: `unique_marks` took it); nullopt for a
// statement that is not a table definition.
Result<std::optional<std::string>> AcceptedStatement(std::string_view sql,
                                                     const Statement& statement,
                                                     const std::string& file,
                                                     std::vector<UniqueMark>* unique_marks,
                                                     std::string* created_table) {
  const std::vector<Token>& tokens = statement.tokens;
  const Token& first = tokens.front();
  std::vector<std::pair<std::size_t, std::string>> replacements;
  bool accepted = false;
  if (first.Is("CREATE")) {
    std::size_t index = 1;
    if (index + 1 < tokens.size() && tokens[index].Is("OR") && tokens[index + 1].Is("REPLACE")) {
      index += 2;
    }
    while (index < tokens.size() && (tokens[index].Is("TEMP") || tokens[index].Is("TEMPORARY") ||
                                     tokens[index].Is("UNLOGGED"))) {
      ++index;
    }
    if (index < tokens.size() && tokens[index].Is("TABLE")) {
      QUANTA_ASSIGN_OR_RETURN(replacements,
                              CheckCreateTable(tokens, index + 1, file, created_table));
      accepted = true;
    } else if (index < tokens.size() && tokens[index].Is("SCHEMA")) {
      accepted = true;
    } else if (index < tokens.size() && tokens[index].Is("TYPE")) {
      std::size_t after = SkipName(tokens, index + 1);
      accepted =
          after + 1 < tokens.size() && tokens[after].Is("AS") && tokens[after + 1].Is("ENUM");
    }
  } else if (first.Is("COMMENT")) {
    accepted = tokens.size() > 1 && tokens[1].Is("ON");
  } else if (first.Is("ALTER")) {
    std::size_t index = 1;
    if (index < tokens.size() && tokens[index].Is("TABLE")) {
      ++index;
      while (index < tokens.size() &&
             (tokens[index].Is("ONLY") || tokens[index].Is("IF") || tokens[index].Is("EXISTS"))) {
        ++index;
      }
      index = SkipName(tokens, index);
      std::size_t table_end = index;
      if (index < tokens.size() && tokens[index].Is("ADD")) {
        ++index;
        if (index < tokens.size() && tokens[index].Is("CONSTRAINT")) {
          index = SkipName(tokens, index + 1);
        }
        accepted =
            index + 1 < tokens.size() && tokens[index].Is("PRIMARY") && tokens[index + 1].Is("KEY");
        if (index + 1 < tokens.size() && tokens[index].Is("UNIQUE") &&
            tokens[index + 1].IsPunctuation('(')) {
          // DuckDB cannot add a UNIQUE constraint to a table; pg_dump writes them this way, so
          // they are read here and applied to the imported properties.
          UniqueMark mark;
          mark.table = Unquoted(tokens[table_end - 1]);
          for (std::size_t i = index + 2; i < tokens.size() && !tokens[i].IsPunctuation(')'); ++i) {
            if (!tokens[i].IsPunctuation(',')) mark.columns.push_back(Unquoted(tokens[i]));
          }
          unique_marks->push_back(std::move(mark));
          return std::optional<std::string>("");
        }
      }
    }
  }
  if (!accepted) return std::optional<std::string>();
  std::size_t begin = first.offset;
  std::string text;
  std::size_t cursor = begin;
  for (const auto& [index, type] : replacements) {
    text += std::string(sql.substr(cursor, tokens[index].offset - cursor)) + type;
    cursor = tokens[index].end;
  }
  text += std::string(sql.substr(cursor, tokens.back().end - cursor));
  return std::optional<std::string>(std::move(text));
}

// The start of a statement as written, for messages: its first line, shortened.
std::string Opening(std::string_view sql, const Statement& statement) {
  std::size_t begin = statement.tokens.front().offset;
  std::string text;
  for (char c : sql.substr(begin, statement.tokens.back().end - begin)) {
    bool space = std::isspace(static_cast<unsigned char>(c));
    if (space && (text.empty() || text.back() == ' ')) continue;
    text += space ? ' ' : c;
  }
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string Value(const engine::QueryResult& result, std::size_t row, const char* column) {
  int index = result.ColumnIndex(column);
  if (index < 0) return "";
  const auto& value = result.rows[row][static_cast<std::size_t>(index)];
  return value.value_or("");
}

bool IsNull(const engine::QueryResult& result, std::size_t row, const char* column) {
  int index = result.ColumnIndex(column);
  return index < 0 || !result.rows[row][static_cast<std::size_t>(index)].has_value();
}

}  // namespace

Result<model::Contract> ImportSql(std::string_view sql, const std::string& file,
                                  const model::ImportOptions& options,
                                  std::vector<Diagnostic>* skipped) {
  QUANTA_ASSIGN_OR_RETURN(std::vector<Statement> statements, Tokenize(sql, file));
  struct Runnable {
    const Statement* statement;
    std::string text;
    std::string created_table;  // TableKey of a CREATE TABLE, else empty
  };
  std::vector<Runnable> accepted;
  std::string created;
  std::vector<UniqueMark> unique_marks;
  for (const Statement& statement : statements) {
    QUANTA_ASSIGN_OR_RETURN(std::optional<std::string> text,
                            AcceptedStatement(sql, statement, file, &unique_marks, &created));
    if (text) {
      if (!text->empty()) accepted.push_back({&statement, std::move(*text), std::move(created)});
      created.clear();
      continue;
    }
    const Token& first = statement.tokens.front();
    if (skipped == nullptr) {
      return SqlError(file, first.line, first.column,
                      fmt::format("'{}' is not a table definition; import reads only CREATE "
                                  "TABLE, CREATE SCHEMA, CREATE TYPE ... AS ENUM, COMMENT ON and "
                                  "ALTER TABLE ... ADD PRIMARY KEY",
                                  Opening(sql, statement)),
                      "remove it, or let import skip such statements (they are never run): "
                      "quanta import --from sql --skip-other-statements");
    }
    Diagnostic diagnostic;
    diagnostic.severity = Severity::kWarning;
    diagnostic.rule = "import-sql";
    diagnostic.location.file = file;
    diagnostic.location.line = first.line;
    diagnostic.location.column = first.column;
    diagnostic.message =
        fmt::format("skipped '{}': not a table definition", Opening(sql, statement));
    skipped->push_back(std::move(diagnostic));
  }

  engine::DatabaseOptions database_options;
  database_options.settings = {{"enable_external_access", "false"}, {"threads", "1"}};
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> database,
                          engine::Database::Open(database_options));
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, database->Connect());
  // PostgreSQL dumps name their tables public.x.
  QUANTA_RETURN_IF_ERROR(connection->Execute("CREATE SCHEMA IF NOT EXISTS public"));
  // Tables are listed in the order the text creates them (ALTER TABLE renumbers table oids).
  std::vector<std::string> table_order;
  std::unordered_set<std::string> ordered;
  for (const Runnable& runnable : accepted) {
    Status status = connection->Execute(runnable.text);
    if (!status.ok()) {
      const Token& first = runnable.statement->tokens.front();
      return SqlError(file, first.line, first.column, status.message());
    }
    if (!runnable.created_table.empty() && ordered.insert(runnable.created_table).second) {
      table_order.push_back(runnable.created_table);
    }
  }
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult tables,
      connection->Query("SELECT schema_name, table_name, comment FROM duckdb_tables() "
                        "WHERE NOT internal ORDER BY table_oid"));
  if (tables.rows.empty()) {
    return SqlError(
        file, 1, 1, "found no CREATE TABLE statement",
        "import --from sql reads table definitions: CREATE TABLE name (column type, ...)");
  }
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult columns,
      connection->Query("SELECT schema_name, table_name, column_name, data_type, is_nullable, "
                        "comment FROM duckdb_columns() WHERE NOT internal "
                        "ORDER BY table_oid, column_index"));
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult keys,
      connection->Query("SELECT schema_name, table_name, constraint_type, "
                        "len(constraint_column_names) AS size, "
                        "unnest(constraint_column_names) AS column_name, "
                        "generate_subscripts(constraint_column_names, 1) AS position "
                        "FROM duckdb_constraints() "
                        "WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"));
  auto key_of = [](const engine::QueryResult& result, std::size_t row) {
    return TableKey(Value(result, row, "schema_name"), Value(result, row, "table_name"));
  };
  std::unordered_map<std::string, std::vector<std::size_t>> columns_of, keys_of;
  for (std::size_t row = 0; row < columns.rows.size(); ++row) {
    columns_of[key_of(columns, row)].push_back(row);
  }
  for (std::size_t row = 0; row < keys.rows.size(); ++row) {
    keys_of[key_of(keys, row) + "\n" + Upper(Value(keys, row, "column_name"))].push_back(row);
  }
  std::unordered_set<std::string> unique_columns;
  for (const UniqueMark& mark : unique_marks) {
    if (mark.columns.size() == 1) {
      unique_columns.insert(Upper(mark.table) + "\n" + Upper(mark.columns[0]));
    }
  }

  model::Contract contract = model::NewDraftContract(options);
  std::map<std::string, int> name_count;
  std::unordered_map<std::string, std::size_t> row_of;
  for (std::size_t row = 0; row < tables.rows.size(); ++row) {
    row_of[key_of(tables, row)] = row;
    name_count[Value(tables, row, "table_name")]++;
  }
  // In the order of the text; anything the statements did not name (none expected) after.
  std::vector<std::size_t> rows;
  std::unordered_set<std::size_t> placed;
  for (const std::string& key : table_order) {
    auto it = row_of.find(key);
    if (it != row_of.end() && placed.insert(it->second).second) rows.push_back(it->second);
  }
  for (std::size_t row = 0; row < tables.rows.size(); ++row) {
    if (placed.insert(row).second) rows.push_back(row);
  }
  for (std::size_t row : rows) {
    std::string table_key = key_of(tables, row);
    std::string schema_name = Value(tables, row, "schema_name");
    std::string table_name = Value(tables, row, "table_name");
    model::SchemaObject object;
    bool qualified = schema_name != "main" && schema_name != "public";
    object.name =
        name_count[table_name] > 1 && qualified ? schema_name + "_" + table_name : table_name;
    if (qualified) object.physical_name = schema_name + "." + table_name;
    object.physical_type = "table";
    if (!IsNull(tables, row, "comment") && !Value(tables, row, "comment").empty()) {
      object.description = Value(tables, row, "comment");
    }
    object.key_order = {"name", "physicalName", "physicalType", "description", "properties"};
    for (std::size_t c : columns_of[table_key]) {
      std::string column_name = Value(columns, c, "column_name");
      model::Property property =
          model::PropertyFromDuckdbType(column_name, Value(columns, c, "data_type"), true);
      if (Value(columns, c, "is_nullable") == "false") property.required = true;
      if (!IsNull(columns, c, "comment") && !Value(columns, c, "comment").empty()) {
        property.description = Value(columns, c, "comment");
      }
      for (std::size_t k : keys_of[table_key + "\n" + Upper(column_name)]) {
        if (Value(keys, k, "constraint_type") == "PRIMARY KEY") {
          property.primary_key = true;
          if (Value(keys, k, "size") != "1") {
            property.primary_key_position = std::stoll(Value(keys, k, "position"));
          }
        } else if (Value(keys, k, "size") == "1") {
          property.unique = true;
        }
      }
      if (unique_columns.count(Upper(Value(tables, row, "table_name")) + "\n" +
                               Upper(column_name))) {
        property.unique = true;
      }
      object.properties.push_back(std::move(property));
    }
    object.had_properties = true;
    contract.schema.push_back(std::move(object));
  }
  contract.had_schema = true;
  return contract;
}

}  // namespace quanta::pipeline
