#include "model/type_mapping.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <vector>

#include <fmt/format.h>

namespace quanta::model {
namespace {

std::string Upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return result;
}

std::string Trim(std::string_view text) {
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  std::size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

struct Alias {
  const char* name;
  const char* duckdb;
};

// SQL, PostgreSQL, Avro and JSON spellings of column types, and the DuckDB type of each.
constexpr Alias kAliases[] = {
    {"VARCHAR", "VARCHAR"},       {"CHAR", "VARCHAR"},           {"CHARACTER", "VARCHAR"},
    {"CHARACTER VARYING", "VARCHAR"}, {"NVARCHAR", "VARCHAR"},   {"NCHAR", "VARCHAR"},
    {"TEXT", "VARCHAR"},          {"STRING", "VARCHAR"},         {"BPCHAR", "VARCHAR"},
    {"TINYINT", "TINYINT"},       {"INT1", "TINYINT"},           {"SMALLINT", "SMALLINT"},
    {"INT2", "SMALLINT"},         {"INT", "INTEGER"},            {"INTEGER", "INTEGER"},
    {"INT4", "INTEGER"},          {"BIGINT", "BIGINT"},          {"INT8", "BIGINT"},
    {"LONG", "BIGINT"},           {"HUGEINT", "HUGEINT"},        {"UBIGINT", "UBIGINT"},
    {"UINTEGER", "UINTEGER"},     {"USMALLINT", "USMALLINT"},    {"UTINYINT", "UTINYINT"},
    {"DECIMAL", "DECIMAL(18,3)"}, {"NUMERIC", "DECIMAL(18,3)"},  {"NUMBER", "DOUBLE"},
    {"REAL", "FLOAT"},            {"FLOAT", "FLOAT"},            {"FLOAT4", "FLOAT"},
    {"DOUBLE", "DOUBLE"},         {"DOUBLE PRECISION", "DOUBLE"}, {"FLOAT8", "DOUBLE"},
    {"BOOLEAN", "BOOLEAN"},       {"BOOL", "BOOLEAN"},           {"DATE", "DATE"},
    {"TIME", "TIME"},             {"TIMESTAMP", "TIMESTAMP"},    {"DATETIME", "TIMESTAMP"},
    {"TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP"},
    {"TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"},
    {"TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"},
    {"TIMESTAMP_NTZ", "TIMESTAMP"}, {"TIMESTAMP_LTZ", "TIMESTAMP WITH TIME ZONE"},
    {"TIMESTAMP_TZ", "TIMESTAMP WITH TIME ZONE"},
    {"INTERVAL", "INTERVAL"},     {"UUID", "UUID"},              {"JSON", "JSON"},
    {"JSONB", "JSON"},            {"BLOB", "BLOB"},              {"BYTEA", "BLOB"},
    {"BYTES", "BLOB"},            {"BINARY", "BLOB"},            {"VARBINARY", "BLOB"},
};

}  // namespace

std::optional<std::string> DuckdbTypeFromPhysical(std::string_view physical_type) {
  std::string text = Upper(Trim(physical_type));
  if (text.empty()) return std::nullopt;
  // Arrays: "INT[]", "ARRAY<INT>".
  if (text.size() > 2 && text.substr(text.size() - 2) == "[]") {
    auto inner = DuckdbTypeFromPhysical(text.substr(0, text.size() - 2));
    if (!inner) return std::nullopt;
    return *inner + "[]";
  }
  static const std::regex kArray("^ARRAY<(.+)>$");
  std::smatch match;
  if (std::regex_match(text, match, kArray)) {
    auto inner = DuckdbTypeFromPhysical(match[1].str());
    if (!inner) return std::nullopt;
    return *inner + "[]";
  }
  static const std::regex kDecimal("^(DECIMAL|NUMERIC|NUMBER)\\s*\\(\\s*(\\d+)\\s*(,\\s*(\\d+)\\s*)?\\)$");
  if (std::regex_match(text, match, kDecimal)) {
    int precision = std::stoi(match[2].str());
    int scale = match[4].matched ? std::stoi(match[4].str()) : 0;
    if (precision < 1 || precision > 38 || scale > precision) return std::nullopt;
    return fmt::format("DECIMAL({},{})", precision, scale);
  }
  // Length or precision arguments that DuckDB ignores: VARCHAR(18), CHAR(2), TIMESTAMP(3).
  static const std::regex kSized("^([A-Z ]+?)\\s*\\(\\s*\\d+\\s*\\)$");
  if (std::regex_match(text, match, kSized)) text = match[1].str();
  for (const Alias& alias : kAliases) {
    if (text == alias.name) return std::string(alias.duckdb);
  }
  return std::nullopt;
}

std::optional<std::string> DuckdbTypeFromLogical(const Property& property) {
  std::string logical = property.logical_type.value_or("");
  const Json& options = property.logical_type_options;
  if (logical == "string") {
    if (options.is_object() && options.value("format", "") == "uuid") return "UUID";
    return "VARCHAR";
  }
  if (logical == "integer") return "BIGINT";
  if (logical == "number") {
    if (options.is_object() && options.contains("precision") &&
        options["precision"].is_number_integer()) {
      int precision = options["precision"].get<int>();
      int scale = options.contains("scale") && options["scale"].is_number_integer()
                      ? options["scale"].get<int>()
                      : 0;
      if (precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision) {
        return fmt::format("DECIMAL({},{})", precision, scale);
      }
    }
    return "DOUBLE";
  }
  if (logical == "boolean") return "BOOLEAN";
  if (logical == "date") return "DATE";
  if (logical == "time") return "TIME";
  if (logical == "timestamp") {
    if (options.is_object() && options.value("timezone", true) == false) return "TIMESTAMP";
    return "TIMESTAMP WITH TIME ZONE";
  }
  if (logical == "object") {
    if (property.properties.empty()) return "JSON";
    std::string fields;
    for (const Property& field : property.properties) {
      if (!fields.empty()) fields += ", ";
      std::string name = field.name.value_or("field");
      std::string quoted = "\"";
      for (char c : name) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
      fields += quoted + "\" " + DuckdbTypeFor(field);
    }
    return "STRUCT(" + fields + ")";
  }
  if (logical == "array") {
    if (property.items.empty()) return "JSON[]";
    return DuckdbTypeFor(property.items.front()) + "[]";
  }
  return std::nullopt;
}

std::string DuckdbTypeFor(const Property& property) {
  // For objects and arrays the nested properties say more than a physical type name.
  std::string logical = property.logical_type.value_or("");
  bool nested = logical == "object" || logical == "array";
  if (!nested && property.physical_type) {
    if (auto physical = DuckdbTypeFromPhysical(*property.physical_type)) return *physical;
  }
  if (auto from_logical = DuckdbTypeFromLogical(property)) return *from_logical;
  return "VARCHAR";
}

std::string LogicalTypeForDuckdb(std::string_view duckdb_type) {
  std::string type = Upper(Trim(duckdb_type));
  if (type.size() > 2 && type.substr(type.size() - 2) == "[]") return "array";
  if (type.rfind("STRUCT", 0) == 0 || type.rfind("MAP", 0) == 0 || type == "JSON") return "object";
  if (type == "BOOLEAN") return "boolean";
  if (type == "DATE") return "date";
  if (type.rfind("TIME", 0) == 0 && type.rfind("TIMESTAMP", 0) != 0) return "time";
  if (type.rfind("TIMESTAMP", 0) == 0) return "timestamp";
  for (const char* integer : {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                              "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}) {
    if (type == integer) return "integer";
  }
  if (type.rfind("DECIMAL", 0) == 0 || type == "FLOAT" || type == "DOUBLE") return "number";
  return "string";
}

namespace {

int IntegerRank(const std::string& type) {
  static const std::vector<std::string> kOrder = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT",
                                                  "HUGEINT"};
  auto it = std::find(kOrder.begin(), kOrder.end(), type);
  return it == kOrder.end() ? -1 : static_cast<int>(it - kOrder.begin());
}

bool ParseDecimal(const std::string& type, int* precision, int* scale) {
  static const std::regex kDecimal("^DECIMAL\\((\\d+),\\s*(\\d+)\\)$");
  std::smatch match;
  if (!std::regex_match(type, match, kDecimal)) return false;
  *precision = std::stoi(match[1].str());
  *scale = std::stoi(match[2].str());
  return true;
}

}  // namespace

bool IsSafeWidening(std::string_view from_text, std::string_view to_text) {
  std::string from = Upper(Trim(from_text));
  std::string to = Upper(Trim(to_text));
  if (from == to) return true;
  int from_rank = IntegerRank(from);
  int to_rank = IntegerRank(to);
  if (from_rank >= 0 && to_rank >= 0) return from_rank <= to_rank;
  if (from_rank >= 0 && from_rank <= 2 && to == "DOUBLE") return true;  // exact in 53 bits
  if (from == "FLOAT" && to == "DOUBLE") return true;
  int from_precision, from_scale, to_precision, to_scale;
  bool from_decimal = ParseDecimal(from, &from_precision, &from_scale);
  bool to_decimal = ParseDecimal(to, &to_precision, &to_scale);
  if (from_decimal && to_decimal) {
    return to_scale >= from_scale && (to_precision - to_scale) >= (from_precision - from_scale);
  }
  if (from_rank >= 0 && to_decimal) {
    static const int kDigits[] = {3, 5, 10, 19, 39};
    return to_precision - to_scale >= kDigits[from_rank];
  }
  if (from == "DATE" && (to == "TIMESTAMP" || to == "TIMESTAMP WITH TIME ZONE")) return false;
  if (to == "VARCHAR" && from != "BLOB") return false;  // a type change, though text can hold it
  return false;
}

}  // namespace quanta::model
