#include "ports/pg_cursor.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <vector>

#include "base/ascii.h"

namespace quanta::ports {
namespace {

// One word of a cursor statement: a keyword, a name (quoted or not), a signed number or ';'.
struct Token {
  std::string text;  // a quoted name without its quotes; an unquoted word as written
  std::size_t offset = 0;
  bool quoted = false;
};

// Reads tokens of `statement` from `at` on. Stops after `stop_after` (a keyword, without case)
// so that the rest, a query, is left unread; `*rest` then gets where it starts.
Result<std::vector<Token>> Tokens(std::string_view statement, std::string_view stop_after,
                                  std::size_t* rest) {
  std::vector<Token> tokens;
  std::size_t at = 0;
  const std::size_t size = statement.size();
  while (at < size) {
    char c = statement[at];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++at;
    } else if (c == '-' && at + 1 < size && statement[at + 1] == '-') {
      while (at < size && statement[at] != '\n') ++at;
    } else if (c == '/' && at + 1 < size && statement[at + 1] == '*') {
      std::size_t end = statement.find("*/", at + 2);
      if (end == std::string_view::npos) return Status::Usage("unterminated /* comment");
      at = end + 2;
    } else if (c == '"') {
      Token token{"", at, true};
      ++at;
      while (true) {
        if (at >= size) return Status::Usage("unterminated quoted identifier");
        if (statement[at] == '"') {
          if (at + 1 < size && statement[at + 1] == '"') {
            token.text += '"';
            at += 2;
            continue;
          }
          ++at;
          break;
        }
        token.text += statement[at++];
      }
      if (token.text.empty()) return Status::Usage("zero-length delimited identifier");
      tokens.push_back(std::move(token));
    } else if (c == ';') {
      tokens.push_back({";", at, false});
      ++at;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
               static_cast<unsigned char>(c) >= 0x80) {
      Token token{"", at, false};
      if (c == '-' || c == '+') token.text += statement[at++];
      while (at < size) {
        unsigned char d = static_cast<unsigned char>(statement[at]);
        if (!std::isalnum(d) && d != '_' && d != '$' && d < 0x80) break;
        token.text += statement[at++];
      }
      bool stop = !stop_after.empty() && AsciiUpper(token.text) == stop_after;
      tokens.push_back(std::move(token));
      if (stop) {
        *rest = at;
        return tokens;
      }
    } else {
      return Status::Usage("syntax error at or near \"{}\"", std::string(1, c));
    }
  }
  if (rest) *rest = size;
  return tokens;
}

// Reads tokens one at a time, keywords without case.
class TokenReader {
 public:
  explicit TokenReader(std::vector<Token> tokens) : tokens_(std::move(tokens)) {
    // A trailing semicolon ends the statement; it is not a word of it.
    if (!tokens_.empty() && tokens_.back().text == ";" && !tokens_.back().quoted) {
      tokens_.pop_back();
    }
  }

  bool done() const { return at_ >= tokens_.size(); }
  // True and moves on when the next token is the unquoted keyword `word`.
  bool Take(std::string_view word) {
    if (done() || tokens_[at_].quoted || AsciiUpper(tokens_[at_].text) != word) return false;
    ++at_;
    return true;
  }
  // The next token as a signed count, when it is one (moving on).
  std::optional<std::int64_t> TakeCount() {
    if (done() || tokens_[at_].quoted) return std::nullopt;
    const std::string& text = tokens_[at_].text;
    std::size_t start = text[0] == '+' ? 1 : 0;
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data() + start, text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || start == text.size()) {
      return std::nullopt;
    }
    ++at_;
    return value;
  }
  // The next token as a name: a quoted one as written, an unquoted one in lower case.
  Result<std::string> TakeName(std::string_view what) {
    if (done()) return Status::Usage("{} needs a cursor name", what);
    const Token& token = tokens_[at_++];
    if (token.quoted) return token.text;
    unsigned char first = static_cast<unsigned char>(token.text[0]);
    if (!std::isalpha(first) && first != '_' && first < 0x80) {
      return Status::Usage("syntax error at or near \"{}\": {} needs a cursor name", token.text,
                           what);
    }
    return AsciiLower(token.text);
  }
  Status ExpectEnd(std::string_view what) const {
    if (done()) return Status::Ok();
    return Status::Usage("syntax error at or near \"{}\" in {}", tokens_[at_].text, what);
  }
  // What comes next, for an error message.
  std::string Next() const { return done() ? "end of input" : "\"" + tokens_[at_].text + "\""; }

 private:
  std::vector<Token> tokens_;
  std::size_t at_ = 0;
};

}  // namespace

Result<PgDeclareCursor> ParsePgDeclare(std::string_view statement) {
  std::size_t rest = statement.size();
  QUANTA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokens(statement, "FOR", &rest));
  const bool has_for =
      !tokens.empty() && !tokens.back().quoted && AsciiUpper(tokens.back().text) == "FOR";
  TokenReader reader(std::move(tokens));
  if (!reader.Take("DECLARE")) return Status::Usage("expected DECLARE");
  PgDeclareCursor declare;
  QUANTA_ASSIGN_OR_RETURN(declare.name, reader.TakeName("DECLARE"));
  // The options before CURSOR come in any order, as PostgreSQL's grammar takes them.
  while (!reader.done()) {
    if (reader.Take("BINARY")) {
      declare.binary = true;
    } else if (reader.Take("ASENSITIVE") || reader.Take("INSENSITIVE")) {
      // Quanta's cursors read a snapshot: insensitive to later changes, as PostgreSQL's are.
    } else if (reader.Take("SCROLL")) {
      declare.scroll = true;
    } else if (reader.Take("NO")) {
      if (!reader.Take("SCROLL")) {
        return Status::Usage("syntax error at or near {}: expected NO SCROLL", reader.Next());
      }
      declare.no_scroll = true;
    } else {
      break;
    }
  }
  if (!reader.Take("CURSOR")) {
    return Status::Usage(
        "syntax error at or near {}: DECLARE name [BINARY] [NO SCROLL] CURSOR "
        "[WITH HOLD | WITHOUT HOLD] FOR query",
        reader.Next());
  }
  if (declare.scroll && declare.no_scroll) {
    return Status::Usage("cannot specify both SCROLL and NO SCROLL");
  }
  if (reader.Take("WITH")) {
    if (!reader.Take("HOLD")) return Status::Usage("syntax error at or near {}", reader.Next());
    declare.hold = true;
  } else if (reader.Take("WITHOUT")) {
    if (!reader.Take("HOLD")) return Status::Usage("syntax error at or near {}", reader.Next());
  }
  if (!has_for || !reader.Take("FOR")) {
    return Status::Usage("syntax error at or near {}: DECLARE ... CURSOR needs FOR and a query",
                         reader.Next());
  }
  QUANTA_RETURN_IF_ERROR(reader.ExpectEnd("DECLARE"));
  declare.query_offset = rest;
  declare.query = std::string(statement.substr(rest));
  // The query is whatever follows; a blank one is no query.
  bool blank = true;
  for (char c : declare.query) {
    if (!std::isspace(static_cast<unsigned char>(c)) && c != ';') blank = false;
  }
  if (blank) return Status::Usage("DECLARE CURSOR needs a query after FOR");
  return declare;
}

Result<PgFetchCursor> ParsePgFetch(std::string_view statement) {
  QUANTA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokens(statement, "", nullptr));
  TokenReader reader(std::move(tokens));
  PgFetchCursor fetch;
  if (reader.Take("MOVE")) {
    fetch.move = true;
  } else if (!reader.Take("FETCH")) {
    return Status::Usage("expected FETCH or MOVE");
  }
  const char* what = fetch.move ? "MOVE" : "FETCH";
  using Direction = PgFetchCursor::Direction;
  auto count_or = [&](std::int64_t otherwise) -> std::optional<std::int64_t> {
    if (std::optional<std::int64_t> count = reader.TakeCount()) return count;
    return otherwise;
  };
  if (reader.Take("NEXT")) {
    fetch.count = 1;
  } else if (reader.Take("PRIOR")) {
    fetch.direction = Direction::kBackward;
  } else if (reader.Take("FIRST")) {
    fetch.direction = Direction::kAbsolute;
  } else if (reader.Take("LAST")) {
    fetch.direction = Direction::kAbsolute;
    fetch.count = -1;
  } else if (bool absolute = reader.Take("ABSOLUTE"); absolute || reader.Take("RELATIVE")) {
    fetch.direction = absolute ? Direction::kAbsolute : Direction::kRelative;
    std::optional<std::int64_t> count = reader.TakeCount();
    if (!count) {
      return Status::Usage("syntax error at or near {}: {} needs a row count", reader.Next(),
                           absolute ? "ABSOLUTE" : "RELATIVE");
    }
    fetch.count = *count;
  } else if (reader.Take("ALL")) {
    fetch.all = true;
  } else if (reader.Take("FORWARD")) {
    if (reader.Take("ALL")) {
      fetch.all = true;
    } else {
      fetch.count = *count_or(1);
    }
  } else if (reader.Take("BACKWARD")) {
    fetch.direction = Direction::kBackward;
    if (reader.Take("ALL")) {
      fetch.all = true;
    } else {
      fetch.count = *count_or(1);
    }
  } else if (std::optional<std::int64_t> count = reader.TakeCount()) {
    fetch.count = *count;
  }
  // A negative count turns the direction round, as in PostgreSQL.
  if (!fetch.all && fetch.count < 0 &&
      (fetch.direction == Direction::kForward || fetch.direction == Direction::kBackward)) {
    fetch.direction =
        fetch.direction == Direction::kForward ? Direction::kBackward : Direction::kForward;
    // The most negative count has no positive twin; it asks for every row all the same.
    fetch.count = fetch.count == std::numeric_limits<std::int64_t>::min()
                      ? std::numeric_limits<std::int64_t>::max()
                      : -fetch.count;
  }
  if (!reader.Take("FROM")) reader.Take("IN");
  QUANTA_ASSIGN_OR_RETURN(fetch.name, reader.TakeName(what));
  QUANTA_RETURN_IF_ERROR(reader.ExpectEnd(what));
  return fetch;
}

Result<PgCloseCursor> ParsePgClose(std::string_view statement) {
  QUANTA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokens(statement, "", nullptr));
  TokenReader reader(std::move(tokens));
  if (!reader.Take("CLOSE")) return Status::Usage("expected CLOSE");
  PgCloseCursor close;
  if (reader.Take("ALL")) {
    close.all = true;
  } else {
    QUANTA_ASSIGN_OR_RETURN(close.name, reader.TakeName("CLOSE"));
  }
  QUANTA_RETURN_IF_ERROR(reader.ExpectEnd("CLOSE"));
  return close;
}

Result<PgForwardFetch> PlanForwardFetch(const PgFetchCursor& fetch, std::int64_t position) {
  auto backward = [&](std::string_view why) {
    return Status::NotSupported(
        "cursor can only scan forward: {} needs a row the cursor has passed; Quanta's cursors "
        "read forward only (FETCH NEXT, FORWARD n, FORWARD ALL, or ABSOLUTE and RELATIVE to a "
        "later row)",
        why);
  };
  using Direction = PgFetchCursor::Direction;
  PgForwardFetch plan;
  switch (fetch.direction) {
    case Direction::kForward:
      if (fetch.all) {
        plan.all = true;
      } else if (fetch.count == 0) {
        return backward("FORWARD 0 (the current row again)");
      } else {
        plan.rows = fetch.count;
      }
      return plan;
    case Direction::kBackward:
      return backward("BACKWARD or PRIOR");
    case Direction::kRelative:
      if (fetch.count <= 0) return backward(fmt::format("RELATIVE {}", fetch.count));
      plan.skip = fetch.count - 1;
      plan.rows = 1;
      return plan;
    case Direction::kAbsolute:
      if (fetch.count < 0)
        return backward(fmt::format("{}", fetch.count == -1 ? "LAST" : "ABSOLUTE from the end"));
      if (fetch.count <= position) {
        return backward(
            fmt::format("ABSOLUTE {} (the cursor is at row {})", fetch.count, position));
      }
      plan.skip = fetch.count - position - 1;
      plan.rows = 1;
      return plan;
  }
  return plan;
}

}  // namespace quanta::ports
