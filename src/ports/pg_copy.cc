#include "ports/pg_copy.h"

#include <fmt/format.h>

#include <cctype>
#include <optional>
#include <set>

#include "base/ascii.h"

namespace quanta::ports {
namespace {

// One token of a COPY statement after its source: a word (keyword, number, identifier, quoted
// identifier), a string literal, or one of ( ) , *.
struct Token {
  enum class Kind { kWord, kString, kPunctuation };
  Kind kind;
  std::string text;  // a string's value; a word as written, quotes of "identifiers" kept
  bool Is(std::string_view word) const {
    return kind == Kind::kWord && AsciiUpper(text) == AsciiUpper(word);
  }
  bool IsPunctuation(char c) const { return kind == Kind::kPunctuation && text[0] == c; }
};

Result<std::vector<Token>> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')' || c == ',' || c == '*') {
      tokens.push_back({Token::Kind::kPunctuation, std::string(1, c)});
      ++i;
    } else if (c == '\'' ||
               ((c == 'E' || c == 'e') && i + 1 < text.size() && text[i + 1] == '\'')) {
      // 'text' with '' for a quote; E'text' also with backslash escapes (E'\t').
      bool escapes = c != '\'';
      i += escapes ? 2 : 1;
      std::string value;
      bool closed = false;
      while (i < text.size()) {
        char ch = text[i++];
        if (ch == '\'') {
          if (i < text.size() && text[i] == '\'') {
            value += '\'';
            ++i;
            continue;
          }
          closed = true;
          break;
        }
        if (escapes && ch == '\\' && i < text.size()) {
          char next = text[i++];
          switch (next) {
            case 't':
              value += '\t';
              break;
            case 'n':
              value += '\n';
              break;
            case 'r':
              value += '\r';
              break;
            default:
              value += next;
          }
          continue;
        }
        value += ch;
      }
      if (!closed) return Status::Usage("COPY: a string literal is not closed");
      tokens.push_back({Token::Kind::kString, std::move(value)});
    } else if (c == '"') {
      std::size_t end = text.find('"', i + 1);
      if (end == std::string_view::npos) {
        return Status::Usage("COPY: a quoted identifier is not closed");
      }
      tokens.push_back({Token::Kind::kWord, std::string(text.substr(i, end - i + 1))});
      i = end + 1;
    } else {
      std::size_t end = i;
      while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
             std::string_view("(),*'\"").find(text[end]) == std::string_view::npos) {
        ++end;
      }
      tokens.push_back({Token::Kind::kWord, std::string(text.substr(i, end - i))});
      i = end;
    }
  }
  return tokens;
}

// A column name of a column list: a plain identifier or a "quoted" one.
bool IsColumnName(const Token& token) {
  if (token.kind != Token::Kind::kWord || token.text.empty()) return false;
  if (token.text.front() == '"') return token.text.size() > 2;
  if (!std::isalpha(static_cast<unsigned char>(token.text[0])) && token.text[0] != '_') {
    return false;
  }
  for (char c : token.text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '$') return false;
  }
  return true;
}

// Reads `( column, ... )` from tokens[*at] on.
Result<std::vector<std::string>> ReadColumnList(const std::vector<Token>& tokens, std::size_t* at,
                                                std::string_view what) {
  std::vector<std::string> columns;
  if (*at >= tokens.size() || !tokens[*at].IsPunctuation('(')) {
    return Status::Usage("COPY: {} needs a list of column names in parentheses", what);
  }
  ++*at;
  while (true) {
    if (*at >= tokens.size() || !IsColumnName(tokens[*at])) {
      return Status::Usage("COPY: {} takes column names separated by commas{}", what,
                           *at < tokens.size() ? fmt::format(", not {}", tokens[*at].text) : "");
    }
    columns.push_back(tokens[(*at)++].text);
    if (*at < tokens.size() && tokens[*at].IsPunctuation(',')) {
      ++*at;
      continue;
    }
    if (*at < tokens.size() && tokens[*at].IsPunctuation(')')) {
      ++*at;
      return columns;
    }
    if (*at < tokens.size()) {
      return Status::Usage("COPY: {} takes column names separated by commas, not {}", what,
                           tokens[*at].text);
    }
    return Status::Usage("COPY: {} is not closed", what);
  }
}

// One option as given, in either spelling: its name in lower case and its value.
struct Option {
  std::string name;
  std::optional<Token> value;
  std::vector<std::string> columns;  // FORCE_QUOTE (columns)
  bool all = false;                  // FORCE_QUOTE *
};

Result<char> SingleByte(const Option& option) {
  if (!option.value || option.value->text.size() != 1) {
    return Status::NotSupported("COPY {} must be a single one-byte character", option.name);
  }
  return option.value->text[0];
}

Status Apply(const Option& option, PgCopyOptions& options, std::optional<bool>& header,
             std::optional<char>& delimiter, std::optional<std::string>& null,
             std::optional<char>& quote, std::optional<char>& escape, bool& force_quote) {
  const std::string& name = option.name;
  std::string value = option.value ? option.value->text : std::string();
  std::string lower = AsciiLower(value);
  if (name == "format") {
    if (lower == "text") {
      options.format = PgCopyOptions::Format::kText;
    } else if (lower == "csv") {
      options.format = PgCopyOptions::Format::kCsv;
    } else if (lower == "binary") {
      options.format = PgCopyOptions::Format::kBinary;
    } else {
      return Status::Invalid(
          "COPY format \"{}\" not recognized: the SQL port writes text, csv "
          "or binary",
          value);
    }
  } else if (name == "header") {
    if (!option.value || lower == "true" || lower == "on" || lower == "1") {
      header = true;
    } else if (lower == "false" || lower == "off" || lower == "0") {
      header = false;
    } else if (lower == "match") {
      return Status::NotSupported("COPY HEADER MATCH applies to COPY FROM only");
    } else {
      return Status::Invalid("COPY header takes a Boolean value, not \"{}\"", value);
    }
  } else if (name == "delimiter") {
    QUANTA_ASSIGN_OR_RETURN(delimiter, SingleByte(option));
  } else if (name == "null") {
    if (!option.value || option.value->kind != Token::Kind::kString) {
      return Status::Usage("COPY NULL needs a string, as NULL 'NULL'");
    }
    null = value;
  } else if (name == "quote") {
    QUANTA_ASSIGN_OR_RETURN(quote, SingleByte(option));
  } else if (name == "escape") {
    QUANTA_ASSIGN_OR_RETURN(escape, SingleByte(option));
  } else if (name == "force_quote") {
    if (!option.all && option.columns.empty()) {
      return Status::Usage("COPY FORCE_QUOTE needs * or a list of columns in parentheses");
    }
    force_quote = true;
    options.force_quote_all = option.all;
    options.force_quote = option.columns;
  } else if (name == "encoding") {
    if (lower != "utf8" && lower != "utf-8" && lower != "unicode") {
      return Status::Invalid("COPY encoding \"{}\" is not supported: the SQL port writes UTF8",
                             value);
    }
  } else if (name == "freeze" || name == "force_not_null" || name == "force_null" ||
             name == "default" || name == "on_error" || name == "log_verbosity") {
    return Status::NotSupported("COPY option \"{}\" applies to COPY FROM only", name);
  } else {
    return Status::Usage(
        "COPY option \"{}\" not recognized: the SQL port takes FORMAT, HEADER, "
        "DELIMITER, NULL, QUOTE, ESCAPE, FORCE_QUOTE and ENCODING",
        name);
  }
  return Status::Ok();
}

}  // namespace

Result<PgCopyCommand> ParsePgCopy(std::string_view text) {
  PgCopyCommand command;
  std::size_t at = AsciiUpper(text).find("COPY");
  at = at == std::string_view::npos ? 0 : at + 4;
  while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  std::string source_table;
  if (at < text.size() && text[at] == '(') {
    int depth = 0;
    std::size_t end = at;
    char quote = 0;
    for (; end < text.size(); ++end) {
      char c = text[end];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '\'' || c == '"') quote = c;
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) break;
    }
    if (end >= text.size()) return Status::Usage("COPY: the query in parentheses is not closed");
    command.select = std::string(text.substr(at + 1, end - at - 1));
    at = end + 1;
  } else {
    std::size_t end = at;
    char quote = 0;
    while (end < text.size() &&
           (quote || (!std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '('))) {
      if (text[end] == '"') quote = quote ? 0 : '"';
      ++end;
    }
    source_table = std::string(text.substr(at, end - at));
    if (source_table.empty()) return Status::Usage("COPY needs a table or a (query)");
    at = end;
  }
  QUANTA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text.substr(at)));
  std::size_t i = 0;
  if (!source_table.empty()) {
    std::vector<std::string> columns;
    if (i < tokens.size() && tokens[i].IsPunctuation('(')) {
      QUANTA_ASSIGN_OR_RETURN(columns, ReadColumnList(tokens, &i, "a table's column list"));
    }
    std::string list;
    for (const std::string& column : columns) list += (list.empty() ? "" : ", ") + column;
    command.select = fmt::format("SELECT {} FROM {}", list.empty() ? "*" : list, source_table);
  }
  if (i < tokens.size() && tokens[i].Is("FROM")) {
    return Status::NotSupported(
        "COPY ... FROM is not allowed: the SQL port is read-only and loads no rows (send data "
        "to a product's input port; COPY ... TO STDOUT reads)");
  }
  if (i >= tokens.size() || !tokens[i].Is("TO")) {
    return Status::Usage("COPY: expected TO STDOUT after the {}",
                         source_table.empty() ? "query" : "table");
  }
  ++i;
  if (i >= tokens.size() || !tokens[i].Is("STDOUT")) {
    return Status::NotSupported(
        "COPY ... TO a file or program is not allowed: the SQL port writes nothing on the node; "
        "use COPY ... TO STDOUT (psql's \\copy ... TO 'file' saves it on the client)");
  }
  ++i;
  if (i < tokens.size() && tokens[i].Is("WITH")) ++i;

  std::vector<Option> given;
  if (i < tokens.size() && tokens[i].IsPunctuation('(')) {
    // ( name [value], ... )
    ++i;
    while (true) {
      if (i >= tokens.size() || tokens[i].kind != Token::Kind::kWord) {
        return Status::Usage("COPY: expected an option name in the option list");
      }
      Option option{AsciiLower(tokens[i++].text), std::nullopt, {}, false};
      if (option.name == "force_quote" && i < tokens.size() && tokens[i].IsPunctuation('*')) {
        option.all = true;
        ++i;
      } else if (i < tokens.size() && tokens[i].IsPunctuation('(')) {
        // FORCE_QUOTE (a, b), and the list of COPY FROM's FORCE_NULL, refused below
        QUANTA_ASSIGN_OR_RETURN(option.columns,
                                ReadColumnList(tokens, &i, AsciiUpper(option.name)));
      } else if (i < tokens.size() && !tokens[i].IsPunctuation(',') &&
                 !tokens[i].IsPunctuation(')')) {
        if (tokens[i].kind == Token::Kind::kPunctuation) {
          return Status::Usage("COPY option \"{}\": unexpected {}", option.name, tokens[i].text);
        }
        option.value = tokens[i++];
      }
      given.push_back(std::move(option));
      if (i < tokens.size() && tokens[i].IsPunctuation(',')) {
        ++i;
        continue;
      }
      if (i < tokens.size() && tokens[i].IsPunctuation(')')) {
        ++i;
        break;
      }
      return Status::Usage("COPY: the option list is not closed");
    }
  } else {
    // The spelling before PostgreSQL 9.0, which psql and old drivers still send.
    while (i < tokens.size()) {
      const Token& word = tokens[i++];
      std::string name = AsciiLower(word.text);
      if (word.Is("BINARY") || word.Is("CSV")) {
        given.push_back({"format", Token{Token::Kind::kWord, name}, {}, false});
      } else if (word.Is("HEADER")) {
        given.push_back({"header", std::nullopt, {}, false});
      } else if (word.Is("DELIMITER") || word.Is("NULL") || word.Is("QUOTE") || word.Is("ESCAPE") ||
                 word.Is("ENCODING")) {
        if (i < tokens.size() && tokens[i].Is("AS")) ++i;
        if (i >= tokens.size() || tokens[i].kind != Token::Kind::kString) {
          return Status::Usage("COPY {} needs a string, as {} ','", word.text, word.text);
        }
        given.push_back({name, tokens[i++], {}, false});
      } else if (word.Is("FORCE") && i < tokens.size() && tokens[i].Is("QUOTE")) {
        ++i;
        Option option{"force_quote", std::nullopt, {}, false};
        if (i < tokens.size() && tokens[i].IsPunctuation('*')) {
          option.all = true;
          ++i;
        } else {
          // FORCE QUOTE a, b: the list without parentheses.
          while (i < tokens.size() && IsColumnName(tokens[i])) {
            option.columns.push_back(tokens[i++].text);
            if (i < tokens.size() && tokens[i].IsPunctuation(',')) ++i;
          }
          if (option.columns.empty()) {
            return Status::Usage("COPY FORCE QUOTE needs * or column names");
          }
        }
        given.push_back(std::move(option));
      } else if (word.kind == Token::Kind::kWord) {
        given.push_back({name, std::nullopt, {}, false});  // refused below, named
      } else {
        return Status::Usage("COPY: unexpected {} after TO STDOUT", word.text);
      }
    }
  }

  PgCopyOptions& options = command.options;
  std::optional<bool> header;
  std::optional<char> delimiter;
  std::optional<std::string> null;
  std::optional<char> quote;
  std::optional<char> escape;
  bool force_quote = false;
  std::set<std::string> seen;
  for (const Option& option : given) {
    if (!seen.insert(option.name).second) {
      return Status::Usage("COPY: conflicting or redundant options: {} is given twice",
                           option.name);
    }
    Status applied = Apply(option, options, header, delimiter, null, quote, escape, force_quote);
    if (!applied.ok()) return applied;
  }
  using Format = PgCopyOptions::Format;
  const bool csv = options.format == Format::kCsv;
  if (options.format == Format::kBinary) {
    for (const auto& [set, name] :
         {std::pair{delimiter.has_value(), "DELIMITER"}, std::pair{null.has_value(), "NULL"},
          std::pair{header.value_or(false), "HEADER"}}) {
      if (set) return Status::Usage("COPY: cannot specify {} in BINARY mode", name);
    }
  }
  for (const auto& [set, name] :
       {std::pair{quote.has_value(), "quote"}, std::pair{escape.has_value(), "escape"},
        std::pair{force_quote, "force quote"}}) {
    if (set && !csv) return Status::NotSupported("COPY {} available only in CSV mode", name);
  }
  options.header = header.value_or(false);
  options.delimiter = delimiter.value_or(csv ? ',' : '\t');
  options.null = null.value_or(csv ? "" : "\\N");
  options.quote = quote.value_or('"');
  options.escape = escape.value_or(options.quote);
  if (options.delimiter == '\n' || options.delimiter == '\r' ||
      (!csv && options.delimiter == '\\')) {
    return Status::Usage("COPY delimiter cannot be newline, carriage return{}",
                         csv ? "" : " or backslash");
  }
  if (csv && options.delimiter == options.quote) {
    return Status::Usage("COPY delimiter and quote must be different");
  }
  if (options.format != Format::kBinary &&
      options.null.find(options.delimiter) != std::string::npos) {
    return Status::Usage("COPY delimiter must not appear in the NULL specification");
  }
  return command;
}

}  // namespace quanta::ports
