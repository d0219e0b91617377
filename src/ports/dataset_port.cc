#include "ports/dataset_port.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fnv1a.h"
#include "engine/database.h"
#include "engine/prepared_query.h"
#include "ports/http_error.h"
#include "ports/http_fields.h"
#include "store/clock.h"

namespace quanta::ports {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

constexpr std::string_view kNdjsonType = "application/x-ndjson";
constexpr std::string_view kVersionHeader = "Quanta-Version";
constexpr std::string_view kNextCursorHeader = "Quanta-Next-Cursor";
constexpr std::size_t kMaxFilters = 64;
constexpr std::size_t kMaxInValues = 1000;
// Far beyond any dataset a node serves, and small enough that offset + limit cannot overflow.
constexpr std::int64_t kMaxOffset = std::int64_t{1} << 50;

constexpr std::string_view kOperators = "eq, neq, gt, gte, lt, lte, like, ilike, in, is";

// One column a read can select, filter and order by.
struct ReadColumn {
  std::string name;        // as clients write it: in columns=, filters, order= and JSON keys
  std::string expression;  // SQL over the pinned rows, which the read calls "s"
  std::string type;        // DuckDB type, to bind filter values
};

// What can be read: its columns and how its rows are ordered when the request does not say.
struct ReadShape {
  std::string kind;   // "dataset" or "deadletters"; a cursor of one is refused by the other
  std::string name;   // "dataset orders", for messages
  std::string label;  // the envelope's "dataset" value; empty: none
  std::vector<ReadColumn> columns;
  std::vector<std::string> key;  // default order; empty: insertion order
  std::vector<std::string_view> reserved;
  // Pages in the default order start after the previous page's last key (the cursor carries
  // it) rather than at an offset, so a deep page costs what the first one does: for a key that
  // is unique, never null, shown in clear and of text or integer columns.
  bool keyset = false;
};

// One parsed filter: its SQL and the literals whose type must be checked before it runs.
struct Filter {
  std::string parameter;
  std::string sql;
  std::string type;
  std::vector<std::string> literals;  // quoted
};

// A request's parameters, checked against the shape.
struct ReadRequest {
  std::vector<const ReadColumn*> selected;
  std::vector<Filter> filters;
  std::vector<std::string> order;  // SQL terms; empty: insertion order
  std::int64_t limit = kDefaultReadLimit;
  std::int64_t offset = 0;
  std::optional<std::int64_t> cursor_version;
  std::string fingerprint;
  bool ndjson = false;
  bool keyset = false;                      // pages by key (ReadShape::keyset, default order)
  std::optional<nlohmann::json> after_key;  // keyset: the previous page's last key, an array
};

// ---------------------------------------------------------------------------------------------
// Cursor encoding

constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view bytes) {
  std::string text;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      text += kBase64UrlAlphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) text += kBase64UrlAlphabet[(buffer << (6 - bits)) & 0x3F];
  return text;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string bytes;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    std::size_t value = kBase64UrlAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return bytes;
}

// FNV-1a: a stable digest of the read's filters and order, so a cursor is refused by a read
// whose rows or order differ from the one that made it.
std::string Fingerprint(const ReadShape& shape, const std::vector<Filter>& filters,
                        const std::vector<std::string>& order) {
  Fnv1a64 hash;
  hash.AddField(shape.kind);
  hash.AddField(shape.name);
  for (const Filter& filter : filters) hash.AddField(filter.sql);
  hash.AddField("order");
  for (const std::string& term : order) hash.AddField(term);
  return fmt::format("{:016x}", hash.value());
}

std::string EncodeCursor(std::int64_t version, std::int64_t offset,
                         const std::string& fingerprint) {
  nlohmann::json cursor = {{"v", version}, {"o", offset}, {"f", fingerprint}};
  return Base64UrlEncode(cursor.dump());
}

// A keyset read's cursor: the version and the last key of the page (an array of its values).
std::string EncodeKeyCursor(std::int64_t version, const nlohmann::json& after_key,
                            const std::string& fingerprint) {
  nlohmann::json cursor = {{"v", version}, {"k", after_key}, {"f", fingerprint}};
  return Base64UrlEncode(cursor.dump());
}

bool IsIntegerType(std::string_view type) {
  return type == "BIGINT" || type == "INTEGER" || type == "SMALLINT" || type == "TINYINT" ||
         type == "UBIGINT" || type == "UINTEGER" || type == "USMALLINT" || type == "UTINYINT";
}

Status BadCursor(std::string_view reason) {
  return Status::Usage(
      "query parameter cursor: {}; pass the nextCursor of the previous page unchanged, with the "
      "same filters and order as the request that returned it",
      reason);
}

const ReadColumn* FindColumn(const ReadShape& shape, std::string_view name);

// The cursor's key, checked against the shape's key columns: an array of one string per text
// column and one integer per integer column.
bool IsKeyOf(const ReadShape& shape, const nlohmann::json& key) {
  if (!key.is_array() || key.size() != shape.key.size()) return false;
  for (std::size_t i = 0; i < shape.key.size(); ++i) {
    const ReadColumn* column = FindColumn(shape, shape.key[i]);
    if (!column) return false;
    bool text = column->type == "VARCHAR";
    if (text ? !key[i].is_string() : !key[i].is_number_integer()) return false;
  }
  return true;
}

Status DecodeCursor(std::string_view text, const ReadShape& shape, const std::string& fingerprint,
                    ReadRequest& read) {
  // Long enough for a key cursor with a few hundred bytes of key.
  if (text.empty() || text.size() > 4096) return BadCursor("not a cursor this node made");
  std::optional<std::string> bytes = Base64UrlDecode(text);
  // Only the exact text EncodeCursor makes is accepted: no stray bits, no bytes after the JSON.
  if (!bytes || Base64UrlEncode(*bytes) != text) {
    return BadCursor("not a cursor this node made (not its base64url)");
  }
  nlohmann::json cursor = nlohmann::json::parse(*bytes, nullptr, false);
  if (cursor.is_discarded() || !cursor.is_object() || cursor.dump() != *bytes ||
      cursor.size() != 3 || !cursor.contains("v") || !cursor.contains("f") ||
      !cursor["v"].is_number_integer() || !cursor["f"].is_string()) {
    return BadCursor("not a cursor this node made");
  }
  if (read.keyset) {
    if (!cursor.contains("k") || !IsKeyOf(shape, cursor["k"])) {
      return BadCursor("not a cursor this node made for this read");
    }
    if (cursor["f"].get<std::string>() != fingerprint) {
      return BadCursor("it was made by a read with other filters or another order");
    }
    if (cursor["v"].get<std::int64_t>() < 0) return BadCursor("its version is out of range");
    read.cursor_version = cursor["v"].get<std::int64_t>();
    read.after_key = cursor["k"];
    return Status::Ok();
  }
  if (!cursor.contains("o") || !cursor["o"].is_number_integer()) {
    return BadCursor("not a cursor this node made for this read");
  }
  std::int64_t version = cursor["v"].get<std::int64_t>();
  std::int64_t offset = cursor["o"].get<std::int64_t>();
  if (version < 0 || offset < 0 || offset > kMaxOffset) {
    return BadCursor("its version or position is out of range");
  }
  if (cursor["f"].get<std::string>() != fingerprint) {
    return BadCursor("it was made by a read with other filters or another order");
  }
  read.cursor_version = version;
  read.offset = offset;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Parameters

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::string ColumnNames(const ReadShape& shape) {
  std::vector<std::string> names;
  for (const ReadColumn& column : shape.columns) names.push_back(column.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

const ReadColumn* FindColumn(const ReadShape& shape, std::string_view name) {
  for (const ReadColumn& column : shape.columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

Result<const ReadColumn*> LookUpColumn(const ReadShape& shape, std::string_view parameter,
                                       std::string_view name) {
  if (const ReadColumn* column = FindColumn(shape, name)) return column;
  return Status::Usage("query parameter {}: {} has no column '{}'; its columns are: {}", parameter,
                       shape.name, name, ColumnNames(shape));
}

bool IsReserved(const ReadShape& shape, std::string_view name) {
  return std::find(shape.reserved.begin(), shape.reserved.end(), name) != shape.reserved.end();
}

Result<std::vector<const ReadColumn*>> ParseColumns(const ReadShape& shape,
                                                    const std::optional<std::string>& text) {
  std::vector<const ReadColumn*> selected;
  if (!text) {
    for (const ReadColumn& column : shape.columns) selected.push_back(&column);
    return selected;
  }
  for (const std::string& name : Split(*text, ',')) {
    if (name.empty()) {
      return Status::Usage(
          "query parameter columns: '{}' has an empty column name; give names separated by "
          "commas, e.g. columns={}",
          *text, shape.columns.front().name);
    }
    QUANTA_ASSIGN_OR_RETURN(const ReadColumn* column, LookUpColumn(shape, "columns", name));
    if (std::find(selected.begin(), selected.end(), column) != selected.end()) {
      return Status::Usage("query parameter columns: column '{}' is named twice", name);
    }
    selected.push_back(column);
  }
  return selected;
}

Result<std::int64_t> ParseLimit(const std::optional<std::string>& text) {
  if (!text) return kDefaultReadLimit;
  std::int64_t limit = 0;
  const char* end = text->data() + text->size();
  auto [stop, error] = std::from_chars(text->data(), end, limit);
  bool digits_only = !text->empty() && std::all_of(text->begin(), text->end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  if (digits_only && (error == std::errc::result_out_of_range || limit > kMaxReadLimit)) {
    return Status::Usage(
        "query parameter limit: {} is above the maximum page of {} rows; read larger results "
        "page by page with the cursor",
        *text, kMaxReadLimit);
  }
  if (!digits_only || error != std::errc() || stop != end || limit < 1) {
    return Status::Usage("query parameter limit: '{}' is not a whole number from 1 to {}", *text,
                         kMaxReadLimit);
  }
  return limit;
}

// The items of an in.(a,b,"c,d") list; a double-quoted item may hold commas, \" and \\.
Result<std::vector<std::string>> ParseInList(std::string_view parameter, std::string_view text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    return Status::Usage(
        "query parameter {}: in. needs a list in parentheses, e.g. {}=in.(a,b); got in.{}",
        parameter, parameter, text);
  }
  std::string_view inside = text.substr(1, text.size() - 2);
  std::vector<std::string> items;
  if (inside.empty()) return items;
  std::size_t pos = 0;
  while (true) {
    std::string item;
    if (pos < inside.size() && inside[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < inside.size()) {
        char c = inside[pos++];
        if (c == '\\' && pos < inside.size()) {
          item += inside[pos++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          item += c;
        }
      }
      if (!closed || (pos < inside.size() && inside[pos] != ',')) {
        return Status::Usage("query parameter {}: in.{} has a badly quoted item", parameter, text);
      }
    } else {
      std::size_t end = inside.find(',', pos);
      if (end == std::string_view::npos) end = inside.size();
      item = std::string(inside.substr(pos, end - pos));
      pos = end;
    }
    items.push_back(std::move(item));
    if (items.size() > kMaxInValues) {
      return Status::Usage("query parameter {}: in. takes at most {} values", parameter,
                           kMaxInValues);
    }
    if (pos >= inside.size()) break;
    ++pos;  // the comma
  }
  return items;
}

std::string CastLiteral(std::string_view value, std::string_view type) {
  return fmt::format("CAST({} AS {})", QuoteLiteral(value), type);
}

Result<Filter> ParseFilter(const ReadColumn& column, std::string_view parameter,
                           std::string_view text) {
  static const std::map<std::string, std::string, std::less<>> kComparisons = {
      {"eq", "="}, {"neq", "<>"}, {"gt", ">"}, {"gte", ">="}, {"lt", "<"}, {"lte", "<="}};
  std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) {
    return Status::Usage(
        "query parameter {}: '{}' is not a filter; write <operator>.<value>, e.g. {}=eq.{}, with "
        "an operator among {}",
        parameter, text, parameter, text, kOperators);
  }
  std::string_view op = text.substr(0, dot);
  std::string_view value = text.substr(dot + 1);
  Filter filter{std::string(parameter), "", column.type, {}};
  const std::string& expression = column.expression;
  if (auto comparison = kComparisons.find(op); comparison != kComparisons.end()) {
    filter.literals.push_back(CastLiteral(value, column.type));
    filter.sql = fmt::format("{} {} {}", expression, comparison->second, filter.literals.back());
  } else if (op == "like" || op == "ilike") {
    std::string pattern(value);
    std::replace(pattern.begin(), pattern.end(), '*', '%');
    filter.sql = fmt::format("CAST({} AS VARCHAR) {} {}", expression,
                             op == "like" ? "LIKE" : "ILIKE", QuoteLiteral(pattern));
  } else if (op == "in") {
    QUANTA_ASSIGN_OR_RETURN(std::vector<std::string> items, ParseInList(parameter, value));
    if (items.empty()) {
      filter.sql = "FALSE";
    } else {
      for (const std::string& item : items)
        filter.literals.push_back(CastLiteral(item, column.type));
      filter.sql = fmt::format("{} IN ({})", expression, fmt::join(filter.literals, ", "));
    }
  } else if (op == "is") {
    if (value == "null") {
      filter.sql = fmt::format("{} IS NULL", expression);
    } else if (value == "notnull") {
      filter.sql = fmt::format("{} IS NOT NULL", expression);
    } else if ((value == "true" || value == "false") && column.type == "BOOLEAN") {
      filter.sql = fmt::format("{} IS {}", expression, value == "true" ? "TRUE" : "FALSE");
    } else {
      return Status::Usage(
          "query parameter {}: is.{} is not a test; use is.null or is.notnull (is.true and "
          "is.false for BOOLEAN columns)",
          parameter, value);
    }
  } else {
    return Status::Usage("query parameter {}: '{}' is not an operator; use one of {}", parameter,
                         op, kOperators);
  }
  return filter;
}

constexpr std::string_view kOrderWords = "asc, desc, nullsfirst, nullslast";

// `name`, what is left of the order term `term` once its known words are taken off the end, is
// no column: when it is a column followed by a word that is not a direction ("amount.sideways",
// "amount:desc"), a Usage error naming the word and the accepted ones; else Ok, and the caller
// reports the unknown column.
Status CheckOrderWords(const ReadShape& shape, std::string_view term, std::string_view name) {
  std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos) {
    // What comes before the word, itself without known words: "amount.desc" of
    // "amount.desc.sideways".
    std::string_view before = name.substr(0, dot);
    while (!FindColumn(shape, before)) {
      std::size_t inner = before.rfind('.');
      if (inner == std::string_view::npos) break;
      std::string_view word = before.substr(inner + 1);
      if (word != "asc" && word != "desc" && word != "nullsfirst" && word != "nullslast") break;
      before = before.substr(0, inner);
    }
    if (const ReadColumn* column = FindColumn(shape, before)) {
      return Status::Usage(
          "query parameter order: '{}' is not an order word in '{}'; after a column come "
          "{}, e.g. order={}.desc or order={}.asc.nullsfirst",
          name.substr(dot + 1), term, kOrderWords, column->name, column->name);
    }
  }
  std::size_t separator = name.find_first_of(": ");
  if (separator != std::string_view::npos) {
    if (const ReadColumn* column = FindColumn(shape, name.substr(0, separator))) {
      return Status::Usage(
          "query parameter order: '{}' is not a column; put a dot between a column and its "
          "order words ({}), e.g. order={}.desc",
          term, kOrderWords, column->name);
    }
  }
  return Status::Ok();
}

// order=a,b.desc,c.asc.nullsfirst
Result<std::vector<std::string>> ParseOrder(const ReadShape& shape, std::string_view text) {
  std::vector<std::string> terms;
  for (const std::string& term : Split(text, ',')) {
    std::string_view name = term;
    std::string direction = "ASC";
    std::string nulls;
    // A column whose name ends in ".desc" is still found: the whole term is tried first.
    while (!FindColumn(shape, name)) {
      std::size_t dot = name.rfind('.');
      if (dot == std::string_view::npos) break;
      std::string_view suffix = name.substr(dot + 1);
      if (suffix == "asc" || suffix == "desc") {
        direction = suffix == "asc" ? "ASC" : "DESC";
      } else if (suffix == "nullsfirst" || suffix == "nullslast") {
        nulls = suffix == "nullsfirst" ? " NULLS FIRST" : " NULLS LAST";
      } else {
        break;
      }
      name = name.substr(0, dot);
    }
    if (name.empty()) {
      return Status::Usage(
          "query parameter order: '{}' has an empty term; write column[.asc|.desc],..., e.g. "
          "order={}.desc",
          text, shape.columns.front().name);
    }
    if (!FindColumn(shape, name)) {
      QUANTA_RETURN_IF_ERROR(CheckOrderWords(shape, term, name));
    }
    QUANTA_ASSIGN_OR_RETURN(const ReadColumn* column, LookUpColumn(shape, "order", name));
    terms.push_back(fmt::format("{} {}{}", column->expression, direction, nulls));
  }
  return terms;
}

Result<ReadRequest> ParseReadRequest(const HttpRequest& request, const ReadShape& shape) {
  QUANTA_RETURN_IF_ERROR(request.CheckQueryOnce(shape.reserved));
  ReadRequest read;
  QUANTA_ASSIGN_OR_RETURN(read.selected, ParseColumns(shape, request.Query("columns")));
  QUANTA_ASSIGN_OR_RETURN(read.limit, ParseLimit(request.Query("limit")));
  for (const auto& [name, value] : request.query) {
    if (IsReserved(shape, name)) continue;
    if (!FindColumn(shape, name)) {
      return Status::Usage(
          "query parameter {}: {} has no column '{}' to filter on; its columns are: {}; the "
          "other parameters are {}",
          name, shape.name, name, ColumnNames(shape), fmt::join(shape.reserved, ", "));
    }
    if (read.filters.size() == kMaxFilters) {
      return Status::Usage("a read takes at most {} filters", kMaxFilters);
    }
    QUANTA_ASSIGN_OR_RETURN(Filter filter, ParseFilter(*FindColumn(shape, name), name, value));
    read.filters.push_back(std::move(filter));
  }
  if (std::optional<std::string> order = request.Query("order")) {
    QUANTA_ASSIGN_OR_RETURN(read.order, ParseOrder(shape, *order));
    // Rows equal in the requested order are ordered by every column, so that pages never
    // overlap or skip rows; rows equal in every column are interchangeable.
    for (const ReadColumn& column : shape.columns) {
      read.order.push_back(fmt::format("{} ASC", column.expression));
    }
  } else {
    for (const std::string& key : shape.key) {
      read.order.push_back(fmt::format("{} ASC", FindColumn(shape, key)->expression));
    }
    read.keyset = shape.keyset;
  }
  read.fingerprint = Fingerprint(shape, read.filters, read.order);
  if (std::optional<std::string> cursor = request.Query("cursor")) {
    QUANTA_RETURN_IF_ERROR(DecodeCursor(*cursor, shape, read.fingerprint, read));
  }
  // JSON unless Accept prefers NDJSON; also when it accepts neither, as before negotiation.
  constexpr std::string_view kOffers[] = {"application/json", kNdjsonType};
  read.ndjson = NegotiateMediaType(request.Header("Accept"), kOffers) == 1;
  return read;
}

// as_of or version, as the request gives them (a cursor aside).
Result<store::AsOf> ParseAsOf(const HttpRequest& request) {
  std::optional<std::string> as_of = request.Query("as_of");
  std::optional<std::string> version = request.Query("version");
  if (as_of && version) {
    return Status::Usage("query parameters as_of and version: give one of them, not both");
  }
  if (as_of) {
    std::optional<store::Timestamp> time = store::ParseTimestamp(*as_of);
    if (!time && as_of->size() > 10) {
      // An unescaped '+' of a time zone offset arrives as a space.
      std::string repaired = *as_of;
      std::replace(repaired.begin() + 10, repaired.end(), ' ', '+');
      time = store::ParseTimestamp(repaired);
    }
    if (!time) {
      return Status::Usage(
          "query parameter as_of: '{}' is not an RFC 3339 time; write e.g. "
          "as_of=2026-01-01T10:00:00Z (escape a '+' offset as %2B)",
          *as_of);
    }
    return store::AsOf::Time(*time);
  }
  if (version) {
    std::int64_t number = 0;
    const char* end = version->data() + version->size();
    auto [stop, error] = std::from_chars(version->data(), end, number);
    if (version->empty() || error != std::errc() || stop != end || number < 0) {
      return Status::Usage("query parameter version: '{}' is not a version number (0, 1, 2, ...)",
                           *version);
    }
    return store::AsOf::Version(number);
  }
  return store::AsOf::Current();
}

// The version a read is of: the cursor's, when it has one, else what as_of or version ask for.
// A cursor with a version or as_of of another version is refused: the two disagree on which
// version the page is of, and neither may silently win.
Result<store::AsOf> ReadVersion(const HttpRequest& request, const ReadRequest& read,
                                store::ProductStore& store, std::string_view dataset) {
  QUANTA_ASSIGN_OR_RETURN(store::AsOf requested, ParseAsOf(request));
  if (!read.cursor_version) return requested;
  std::int64_t pinned = *read.cursor_version;
  if (requested.kind == store::AsOf::Kind::kVersion && requested.version != pinned) {
    return Status::Usage(
        "query parameters version and cursor disagree: version={}, but the cursor was made at "
        "version {} (a cursor pins the version of the read that made it); give the cursor with "
        "the first page's version, or without version",
        requested.version, pinned);
  }
  if (requested.kind == store::AsOf::Kind::kTime) {
    QUANTA_ASSIGN_OR_RETURN(store::Snapshot at_time, store.SnapshotOf(dataset, requested));
    if (at_time.version != pinned) {
      return Status::Usage(
          "query parameters as_of and cursor disagree: as_of={} is version {}, but the cursor "
          "was made at version {} (a cursor pins the version of the read that made it); give "
          "the cursor with the first page's as_of, or without as_of",
          *request.Query("as_of"), at_time.version, pinned);
    }
  }
  return store::AsOf::Version(pinned);
}

// ---------------------------------------------------------------------------------------------
// Running a read

std::string JsonValueSql(const ReadColumn& column) {
  return ports::JsonValueSql(column.expression, column.type);
}

// Checks that every literal of every filter converts to its column's type, so that a bad value
// is a 400 naming its parameter rather than a failure of the whole query.
Status CheckFilterValues(engine::Connection& connection, const std::vector<Filter>& filters) {
  for (const Filter& filter : filters) {
    if (filter.literals.empty()) continue;
    Result<engine::QueryResult> checked =
        connection.Query(fmt::format("SELECT {}", fmt::join(filter.literals, ", ")));
    if (!checked.ok()) {
      return Status::Usage("query parameter {}: a value is not a valid {}: {}", filter.parameter,
                           filter.type, checked.status().message());
    }
  }
  return Status::Ok();
}

// Streams the pages after the first one, one store page per query.
// How much of a streamed read is written to the client at a time.
constexpr std::size_t kStreamWriteBytes = 256 * 1024;

// A read's rows as SQL, in parts, so that its pages can be cut (PageSql).
struct PageQuery {
  std::string select_list;  // one JSON text per row
  std::string from;         // FROM the pinned rows AS s WHERE the filters
  std::string order;        // " ORDER BY ..." or empty
};

// Rows [offset, offset + limit) of the read. The rows are chosen (filtered, ordered, cut)
// before their JSON is made, so that only the page's rows pay for it: DuckDB evaluates a
// select list for every row under an ORDER BY ... LIMIT, which made a page of 1000 rows of a
// keyed dataset cost its whole dataset's JSON.
std::string PageSql(const PageQuery& read, std::int64_t limit, std::int64_t offset) {
  return fmt::format("SELECT {} FROM (SELECT * {}{} LIMIT {} OFFSET {}) AS s{}", read.select_list,
                     read.from, read.order, limit, offset, read.order);
}

struct PageStream {
  std::unique_ptr<engine::Connection> connection;
  PageQuery query;
  std::int64_t next_offset = 0;
  std::int64_t remaining = 0;
  std::vector<std::string> first_rows;
  bool ndjson = false;
  std::string prefix;
  std::string suffix;
};

void AppendRows(const std::vector<std::string>& rows, bool ndjson, bool& first, std::string& out) {
  for (const std::string& row : rows) {
    if (ndjson) {
      out += row;
      out += '\n';
    } else {
      if (!first) out += ',';
      out += row;
    }
    first = false;
  }
}

std::vector<std::string> RowsOf(engine::QueryResult& result) {
  std::vector<std::string> rows;
  rows.reserve(result.rows.size());
  for (auto& row : result.rows) {
    rows.push_back(row.empty() || !row[0] ? std::string("null") : std::move(*row[0]));
  }
  return rows;
}

Status ProducePages(PageStream& stream, BodyWriter& writer) {
  bool first = true;
  std::string chunk = stream.prefix;
  AppendRows(stream.first_rows, stream.ndjson, first, chunk);
  stream.first_rows.clear();
  if (stream.remaining > 0) {
    if (!writer.Write(std::move(chunk))) return Status::Ok();  // the client went away
    chunk.clear();
    // The rest in one statement whose rows DuckDB streams chunk by chunk: one scan (and one
    // sort) for the whole page, never the whole page in memory. Pages of their own statement
    // each (LIMIT/OFFSET) scanned and sorted the dataset again for every 2000 rows.
    QUANTA_ASSIGN_OR_RETURN(
        std::unique_ptr<engine::PreparedQuery> rest,
        engine::PreparedQuery::Prepare(
            *stream.connection, PageSql(stream.query, stream.remaining, stream.next_offset)));
    if (rest->column_types().size() != 1 ||
        rest->column_types()[0].id != engine::TypeId::kVarchar) {
      return Status::Internal("a dataset read's rows must be one JSON text column");
    }
    QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::ResultStream> rows, rest->Execute());
    while (true) {
      QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::ResultChunk> part, rows->Next());
      if (!part) break;
      const engine::ColumnView& column = part->Column(0);
      for (std::size_t row = 0; row < part->row_count(); ++row) {
        if (!stream.ndjson && !first) chunk += ',';
        chunk += column.IsNull(row) ? std::string_view("null") : column.Text(row);
        if (stream.ndjson) chunk += '\n';
        first = false;
      }
      if (chunk.size() >= kStreamWriteBytes) {
        if (!writer.Write(std::move(chunk))) return Status::Ok();
        chunk.clear();
      }
    }
  }
  chunk += stream.suffix;
  writer.Write(std::move(chunk));
  return Status::Ok();
}

// SQL that holds for the rows after `after_key` (IsKeyOf) in the ascending order of the
// shape's key: (k1 > a1) OR (k1 = a1 AND k2 > a2) OR ...
std::string AfterKeySql(const ReadShape& shape, const nlohmann::json& after_key) {
  std::vector<std::string> alternatives;
  std::vector<std::string> equal_before;
  for (std::size_t i = 0; i < shape.key.size(); ++i) {
    const std::string& expression = FindColumn(shape, shape.key[i])->expression;
    // Strings are quoted; integers are JSON integers (IsKeyOf), digits with an optional sign.
    std::string literal = after_key[i].is_string() ? QuoteLiteral(after_key[i].get<std::string>())
                                                   : after_key[i].dump();
    std::vector<std::string> terms = equal_before;
    terms.push_back(fmt::format("{} > {}", expression, literal));
    alternatives.push_back(fmt::format("({})", fmt::join(terms, " AND ")));
    equal_before.push_back(fmt::format("{} = {}", expression, literal));
  }
  return fmt::format("({})", fmt::join(alternatives, " OR "));
}

// A keyset read's next cursor: the key of the page's last row, when rows follow it. One
// statement reads that row and the one after it.
Result<std::optional<std::string>> NextKeyCursor(engine::Connection& connection,
                                                 const ReadShape& shape, const ReadRequest& read,
                                                 std::string_view from, std::int64_t version) {
  // Each key as JSON: text comes back whole, also with a NUL inside, which the engine's plain
  // text of a value would end at.
  std::vector<std::string> keys;
  for (const std::string& key : shape.key) {
    keys.push_back(fmt::format("to_json({})", FindColumn(shape, key)->expression));
  }
  QUANTA_ASSIGN_OR_RETURN(engine::QueryResult last,
                          connection.Query(fmt::format(
                              "SELECT {} {} ORDER BY {} LIMIT 2 OFFSET {}", fmt::join(keys, ", "),
                              from, fmt::join(read.order, ", "), read.limit - 1)));
  if (last.rows.size() < 2) return std::optional<std::string>();  // the page ends the read
  nlohmann::json after_key = nlohmann::json::array();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::optional<std::string>& value = last.rows[0][i];
    if (!value) return Status::Internal("a null key in {}", shape.name);
    after_key.push_back(nlohmann::json::parse(*value, nullptr, false));
    bool text = FindColumn(shape, shape.key[i])->type == "VARCHAR";
    if (text ? !after_key.back().is_string() : !after_key.back().is_number_integer()) {
      return Status::Internal("key {} of {} is not {}: {}", shape.key[i], shape.name,
                              text ? "a string" : "an integer", *value);
    }
  }
  return std::optional<std::string>(EncodeKeyCursor(version, after_key, read.fingerprint));
}

Result<HttpResponse> RunRead(store::ProductStore& store, const ReadShape& shape,
                             const ReadRequest& read, std::string_view rows_sql,
                             std::int64_t version) {
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, store.Connect());
  QUANTA_RETURN_IF_ERROR(CheckFilterValues(*connection, read.filters));

  std::vector<std::string> where;
  for (const Filter& filter : read.filters) where.push_back("(" + filter.sql + ")");
  if (read.after_key) where.push_back(AfterKeySql(shape, *read.after_key));
  std::string where_sql = where.empty() ? "TRUE" : fmt::format("{}", fmt::join(where, " AND "));
  std::string from = fmt::format("FROM ({}) AS s WHERE {}", rows_sql, where_sql);

  std::vector<std::string> members;
  for (const ReadColumn* column : read.selected) {
    members.push_back(QuoteLiteral(column->name));
    members.push_back(JsonValueSql(*column));
  }
  PageQuery query{fmt::format("json_object({})", fmt::join(members, ", ")), from, ""};
  if (!read.order.empty()) query.order = fmt::format(" ORDER BY {}", fmt::join(read.order, ", "));

  std::optional<std::string> next_cursor;
  if (read.keyset) {
    QUANTA_ASSIGN_OR_RETURN(next_cursor, NextKeyCursor(*connection, shape, read, from, version));
  } else {
    std::int64_t end = read.offset + read.limit;
    QUANTA_ASSIGN_OR_RETURN(
        engine::QueryResult probe,
        connection->Query(
            fmt::format("SELECT count(*) FROM (SELECT 1 {} LIMIT 1 OFFSET {})", from, end)));
    bool more = !probe.rows.empty() && probe.rows[0][0] && *probe.rows[0][0] != "0";
    if (more) next_cursor = EncodeCursor(version, end, read.fingerprint);
  }

  std::int64_t first_count = std::min(read.limit, kStorePageRows);
  QUANTA_ASSIGN_OR_RETURN(engine::QueryResult first_page,
                          connection->Query(PageSql(query, first_count, read.offset)));
  std::vector<std::string> first_rows = RowsOf(first_page);
  std::int64_t first_read = static_cast<std::int64_t>(first_rows.size());

  std::string prefix;
  std::string suffix;
  if (!read.ndjson) {
    nlohmann::json head = nlohmann::json::object();
    if (!shape.label.empty()) head["dataset"] = shape.label;
    head["version"] = version;
    std::string text = head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.pop_back();  // the closing brace
    prefix = text + (head.size() > 0 ? "," : "") + "\"rows\":[";
    suffix = fmt::format("],\"nextCursor\":{}}}\n",
                         next_cursor ? nlohmann::json(*next_cursor).dump() : "null");
  }
  std::string content_type = read.ndjson ? std::string(kNdjsonType) : "application/json";

  HttpResponse response;
  if (first_read < first_count || read.limit <= first_count) {
    bool first = true;
    std::string body = prefix;
    AppendRows(first_rows, read.ndjson, first, body);
    body += suffix;
    response = HttpResponse::Text(200, std::move(body), content_type);
  } else {
    auto stream = std::make_shared<PageStream>();
    stream->connection = std::move(connection);
    stream->query = std::move(query);
    stream->next_offset = read.offset + first_read;
    stream->remaining = read.limit - first_read;
    stream->first_rows = std::move(first_rows);
    stream->ndjson = read.ndjson;
    stream->prefix = std::move(prefix);
    stream->suffix = std::move(suffix);
    response = HttpResponse::Stream(
        content_type, [stream](BodyWriter& writer) { return ProducePages(*stream, writer); });
  }
  response.headers.emplace_back(kVersionHeader, std::to_string(version));
  if (next_cursor) response.headers.emplace_back(kNextCursorHeader, *next_cursor);
  return response;
}

ReadShape DatasetShape(const store::DatasetLayout& dataset,
                       const governance::DatasetAccess& access) {
  ReadShape shape{"dataset",    fmt::format("dataset {}", dataset.name),
                  dataset.name, {},
                  dataset.key,  {"columns", "order", "limit", "cursor", "as_of", "version"}};
  for (const engine::Column& column : dataset.columns) {
    shape.columns.push_back({column.name, "s." + QuoteIdentifier(column.name), column.type});
  }
  // A masked key no longer tells rows apart: pages are ordered by every column after it, and
  // rows equal in every column read the same.
  bool masked_key = std::any_of(dataset.key.begin(), dataset.key.end(),
                                [&](const std::string& key) { return access.Masks(key); });
  if (masked_key) {
    for (const engine::Column& column : dataset.columns) shape.key.push_back(column.name);
  }
  // An upsert dataset holds one row per key at any version, and never a null key.
  shape.keyset = !masked_key && !dataset.key.empty() && dataset.mode == store::WriteMode::kUpsert &&
                 std::all_of(dataset.key.begin(), dataset.key.end(), [&](const std::string& key) {
                   const ReadColumn* column = FindColumn(shape, key);
                   return column && (column->type == "VARCHAR" || IsIntegerType(column->type));
                 });
  return shape;
}

ReadShape DeadLetterShape() {
  ReadShape shape{
      "deadletters", "the dead letters", "", {}, {}, {"columns", "order", "limit", "cursor"}};
  shape.columns = {
      {"version", "s.\"version\"", "BIGINT"},
      {"port", "s.\"port\"", "VARCHAR"},
      {"offset", "s.\"offset\"", "BIGINT"},
      {"reason", "s.\"reason\"", "VARCHAR"},
      {"payload", "s.\"payload\"", "VARCHAR"},
      {"payloadBase64", "CASE WHEN s.\"payload\" IS NULL THEN base64(s.\"payload_bytes\") END",
       "VARCHAR"},
      {"receivedAt", "s.\"received_at\"", "TIMESTAMP WITH TIME ZONE"},
  };
  return shape;
}

Result<HttpResponse> ReadDataset(const HttpRequest& request, store::ProductStore& store,
                                 std::string_view name, const governance::DatasetAccess& access) {
  if (!access.readable) return access.refusal;
  const store::DatasetLayout* dataset = store.layout().FindDataset(name);
  if (!dataset) return NoSuchDataset(store.layout(), name);
  ReadShape shape = DatasetShape(*dataset, access);
  QUANTA_ASSIGN_OR_RETURN(ReadRequest read, ParseReadRequest(request, shape));
  QUANTA_ASSIGN_OR_RETURN(store::AsOf as_of, ReadVersion(request, read, store, name));
  QUANTA_ASSIGN_OR_RETURN(store::Snapshot snapshot, store.SnapshotOf(name, as_of));
  return RunRead(store, shape, read,
                 governance::ReadableRowsSql(snapshot.sql, dataset->columns, access),
                 snapshot.version);
}

Result<HttpResponse> ReadDeadLetters(const HttpRequest& request, store::ProductStore& store) {
  ReadShape shape = DeadLetterShape();
  QUANTA_ASSIGN_OR_RETURN(ReadRequest read, ParseReadRequest(request, shape));
  std::int64_t head = store.Head().version;
  std::int64_t version = read.cursor_version.value_or(head);
  if (version > head) {
    return BadCursor(fmt::format("its version {} is beyond the latest version {}", version, head));
  }
  std::string rows_sql = fmt::format("SELECT * FROM ({}) WHERE version <= {}",
                                     store::ProductStore::DeadLettersSql(), version);
  return RunRead(store, shape, read, rows_sql, version);
}

HttpResponse Answer(Result<HttpResponse> response) {
  if (!response.ok()) return ErrorResponse(response.status());
  return std::move(response).value();
}

}  // namespace

std::string JsonValueSql(std::string_view expression, std::string_view type) {
  if (type == "TIMESTAMP WITH TIME ZONE" || type == "TIMESTAMPTZ") {
    return fmt::format(
        "CASE WHEN isfinite({0}) THEN strftime(timezone('UTC', {0}), '%Y-%m-%dT%H:%M:%S.%fZ') "
        "ELSE CAST({0} AS VARCHAR) END",
        expression);
  }
  if (type == "TIMESTAMP") {
    return fmt::format(
        "CASE WHEN isfinite({0}) THEN strftime({0}, '%Y-%m-%dT%H:%M:%S.%f') "
        "ELSE CAST({0} AS VARCHAR) END",
        expression);
  }
  return std::string(expression);
}

Status NoSuchDataset(const store::StoreLayout& layout, std::string_view dataset) {
  std::vector<std::string> names;
  for (const store::DatasetLayout& known : layout.datasets) names.push_back(known.name);
  if (names.empty()) return Status::NotFound("no dataset '{}': the product has none", dataset);
  return Status::NotFound("the product has no dataset '{}'; its datasets are: {}", dataset,
                          fmt::join(names, ", "));
}

HttpResponse ServeDatasetRead(const HttpRequest& request, store::ProductStore& store,
                              std::string_view dataset, const governance::DatasetAccess& access) {
  return Answer(ReadDataset(request, store, dataset, access));
}

HttpResponse ServeDeadLetters(const HttpRequest& request, store::ProductStore& store) {
  return Answer(ReadDeadLetters(request, store));
}

}  // namespace quanta::ports
