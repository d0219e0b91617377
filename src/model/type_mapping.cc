#include "model/type_mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <vector>

#include "base/ascii.h"

namespace quanta::model {
namespace {

struct Alias {
  const char* name;
  const char* duckdb;
};

// SQL, PostgreSQL, Avro and JSON spellings of column types, and the DuckDB type of each.
constexpr Alias kAliases[] = {
    {"VARCHAR", "VARCHAR"},
    {"CHAR", "VARCHAR"},
    {"CHARACTER", "VARCHAR"},
    {"CHARACTER VARYING", "VARCHAR"},
    {"NVARCHAR", "VARCHAR"},
    {"NCHAR", "VARCHAR"},
    {"TEXT", "VARCHAR"},
    {"STRING", "VARCHAR"},
    {"BPCHAR", "VARCHAR"},
    {"TINYINT", "TINYINT"},
    {"INT1", "TINYINT"},
    {"SMALLINT", "SMALLINT"},
    {"INT2", "SMALLINT"},
    {"INT", "INTEGER"},
    {"INTEGER", "INTEGER"},
    {"INT4", "INTEGER"},
    {"BIGINT", "BIGINT"},
    {"INT8", "BIGINT"},
    {"LONG", "BIGINT"},
    {"HUGEINT", "HUGEINT"},
    {"UBIGINT", "UBIGINT"},
    {"UINTEGER", "UINTEGER"},
    {"USMALLINT", "USMALLINT"},
    {"UTINYINT", "UTINYINT"},
    {"DECIMAL", "DECIMAL(18,3)"},
    {"NUMERIC", "DECIMAL(18,3)"},
    {"NUMBER", "DOUBLE"},
    {"REAL", "FLOAT"},
    {"FLOAT", "FLOAT"},
    {"FLOAT4", "FLOAT"},
    {"DOUBLE", "DOUBLE"},
    {"DOUBLE PRECISION", "DOUBLE"},
    {"FLOAT8", "DOUBLE"},
    {"BOOLEAN", "BOOLEAN"},
    {"BOOL", "BOOLEAN"},
    {"DATE", "DATE"},
    {"TIME", "TIME"},
    {"TIMESTAMP", "TIMESTAMP"},
    {"DATETIME", "TIMESTAMP"},
    {"TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP"},
    {"TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"},
    {"TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"},
    {"TIMESTAMP_NTZ", "TIMESTAMP"},
    {"TIMESTAMP_LTZ", "TIMESTAMP WITH TIME ZONE"},
    {"TIMESTAMP_TZ", "TIMESTAMP WITH TIME ZONE"},
    {"INTERVAL", "INTERVAL"},
    {"UUID", "UUID"},
    {"JSON", "JSON"},
    {"JSONB", "JSON"},
    {"BLOB", "BLOB"},
    {"BYTEA", "BLOB"},
    {"BYTES", "BLOB"},
    {"BINARY", "BLOB"},
    {"VARBINARY", "BLOB"},
};

}  // namespace

std::optional<std::string> DuckdbTypeFromPhysical(std::string_view physical_type) {
  std::string text = AsciiUpper(TrimBlanks(physical_type));
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
  static const std::regex kDecimal(
      "^(DECIMAL|NUMERIC|NUMBER)\\s*\\(\\s*(\\d+)\\s*(,\\s*(\\d+)\\s*)?\\)$");
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
  std::string type = AsciiUpper(TrimBlanks(duckdb_type));
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
  std::string from = AsciiUpper(TrimBlanks(from_text));
  std::string to = AsciiUpper(TrimBlanks(to_text));
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

bool IsNestedDuckdbType(std::string_view duckdb_type) {
  std::string type = AsciiUpper(TrimBlanks(duckdb_type));
  return (type.size() > 2 && type.substr(type.size() - 2) == "[]") ||
         type.rfind("STRUCT", 0) == 0 || type.rfind("MAP", 0) == 0 || type.rfind("UNION", 0) == 0;
}

namespace {

struct ScalarMapping {
  const char* duckdb;
  const char* postgres;
  const char* avro;          // an Avro primitive name
  const char* avro_logical;  // Avro logicalType on top of it, or ""
  const char* json_type;     // JSON Schema type, or "" for any value
  const char* json_format;   // JSON Schema format, or ""
};

// One row per DuckDB scalar type; docs/type-mapping.md shows the same table.
constexpr ScalarMapping kScalars[] = {
    {"BOOLEAN", "BOOLEAN", "boolean", "", "boolean", ""},
    {"TINYINT", "SMALLINT", "int", "", "integer", "int8"},
    {"SMALLINT", "SMALLINT", "int", "", "integer", "int16"},
    {"INTEGER", "INTEGER", "int", "", "integer", "int32"},
    {"BIGINT", "BIGINT", "long", "", "integer", "int64"},
    {"UTINYINT", "SMALLINT", "int", "", "integer", "uint8"},
    {"USMALLINT", "INTEGER", "int", "", "integer", "uint16"},
    {"UINTEGER", "BIGINT", "long", "", "integer", "uint32"},
    {"FLOAT", "REAL", "float", "", "number", "float"},
    {"DOUBLE", "DOUBLE PRECISION", "double", "", "number", "double"},
    {"VARCHAR", "TEXT", "string", "", "string", ""},
    {"UUID", "UUID", "string", "uuid", "string", "uuid"},
    {"DATE", "DATE", "int", "date", "string", "date"},
    {"TIME", "TIME", "long", "time-micros", "string", "time"},
    {"TIMESTAMP", "TIMESTAMP", "long", "local-timestamp-micros", "string", "date-time"},
    {"TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "long", "timestamp-micros", "string",
     "date-time"},
    {"INTERVAL", "INTERVAL", "string", "", "string", "duration"},
    {"BLOB", "BYTEA", "bytes", "", "string", ""},
    {"JSON", "JSONB", "string", "json", "", ""},
};

const ScalarMapping* FindScalar(const std::string& duckdb_type) {
  for (const ScalarMapping& row : kScalars) {
    if (duckdb_type == row.duckdb) return &row;
  }
  return nullptr;
}

// The mapping rows for the integer types wider than any Avro or PostgreSQL integer.
std::optional<int> WideIntegerDigits(const std::string& type) {
  if (type == "HUGEINT" || type == "UHUGEINT") return 38;
  if (type == "UBIGINT") return 20;
  return std::nullopt;
}

Json AvroDecimal(int precision, int scale) {
  return Json{
      {"type", "bytes"}, {"logicalType", "decimal"}, {"precision", precision}, {"scale", scale}};
}

}  // namespace

std::string PostgresTypeForDuckdb(std::string_view duckdb_type) {
  std::string type = AsciiUpper(TrimBlanks(duckdb_type));
  if (type.size() > 2 && type.substr(type.size() - 2) == "[]") {
    std::string inner = type.substr(0, type.size() - 2);
    if (IsNestedDuckdbType(inner) || inner == "JSON") return "JSONB";
    return PostgresTypeForDuckdb(inner) + "[]";
  }
  if (IsNestedDuckdbType(type)) return "JSONB";
  int precision, scale;
  if (ParseDecimal(type, &precision, &scale))
    return fmt::format("NUMERIC({},{})", precision, scale);
  if (auto digits = WideIntegerDigits(type)) return fmt::format("NUMERIC({},0)", *digits);
  if (const ScalarMapping* row = FindScalar(type)) return row->postgres;
  return "TEXT";
}

std::optional<Json> AvroTypeForDuckdb(std::string_view duckdb_type) {
  std::string type = AsciiUpper(TrimBlanks(duckdb_type));
  if (IsNestedDuckdbType(type)) return std::nullopt;
  int precision, scale;
  if (ParseDecimal(type, &precision, &scale)) return AvroDecimal(precision, scale);
  if (auto digits = WideIntegerDigits(type)) return AvroDecimal(*digits, 0);
  const ScalarMapping* row = FindScalar(type);
  if (row == nullptr) return Json("string");
  if (*row->avro_logical == '\0') return Json(row->avro);
  return Json{{"type", row->avro}, {"logicalType", row->avro_logical}};
}

std::optional<std::string> DuckdbTypeForAvro(const Json& avro_type) {
  if (avro_type.is_string()) {
    const std::string& name = avro_type.get_ref<const std::string&>();
    if (name == "null") return std::nullopt;
    if (name == "boolean") return "BOOLEAN";
    if (name == "int") return "INTEGER";
    if (name == "long") return "BIGINT";
    if (name == "float") return "FLOAT";
    if (name == "double") return "DOUBLE";
    if (name == "bytes") return "BLOB";
    if (name == "string") return "VARCHAR";
    return std::nullopt;  // a named type defined elsewhere in the schema
  }
  if (!avro_type.is_object()) return std::nullopt;
  auto type_it = avro_type.find("type");
  if (type_it == avro_type.end() || !type_it->is_string()) return std::nullopt;
  const std::string& base = type_it->get_ref<const std::string&>();
  std::string logical;
  auto logical_it = avro_type.find("logicalType");
  if (logical_it != avro_type.end() && logical_it->is_string()) {
    logical = logical_it->get<std::string>();
  }
  if (logical == "decimal" && (base == "bytes" || base == "fixed")) {
    auto precision_it = avro_type.find("precision");
    if (precision_it == avro_type.end() || !precision_it->is_number_integer()) return std::nullopt;
    int precision = precision_it->get<int>();
    int scale = 0;
    auto scale_it = avro_type.find("scale");
    if (scale_it != avro_type.end()) {
      if (!scale_it->is_number_integer()) return std::nullopt;
      scale = scale_it->get<int>();
    }
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) return std::nullopt;
    return fmt::format("DECIMAL({},{})", precision, scale);
  }
  if (logical == "uuid" && (base == "string" || base == "fixed")) return "UUID";
  if (logical == "date" && base == "int") return "DATE";
  if ((logical == "time-millis" && base == "int") || (logical == "time-micros" && base == "long")) {
    return "TIME";
  }
  if (base == "long" && (logical == "timestamp-millis" || logical == "timestamp-micros" ||
                         logical == "timestamp-nanos")) {
    return "TIMESTAMP WITH TIME ZONE";
  }
  if (base == "long" &&
      (logical == "local-timestamp-millis" || logical == "local-timestamp-micros" ||
       logical == "local-timestamp-nanos")) {
    return "TIMESTAMP";
  }
  if (logical == "duration" && base == "fixed") return "INTERVAL";
  if (logical == "json" && base == "string") return "JSON";
  if (base == "fixed") return "BLOB";
  // An unknown logical type is ignored, as the Avro specification says readers must do.
  return DuckdbTypeForAvro(Json(base));
}

std::optional<Json> JsonSchemaForDuckdb(std::string_view duckdb_type) {
  std::string type = AsciiUpper(TrimBlanks(duckdb_type));
  if (IsNestedDuckdbType(type)) return std::nullopt;
  int precision, scale;
  if (ParseDecimal(type, &precision, &scale)) return Json{{"type", "number"}};
  if (WideIntegerDigits(type)) {
    return Json{{"type", "integer"}, {"format", type == "UBIGINT" ? "uint64" : "int128"}};
  }
  const ScalarMapping* row = FindScalar(type);
  if (row == nullptr) return Json{{"type", "string"}};
  Json schema = Json::object();
  if (*row->json_type != '\0') schema["type"] = row->json_type;
  if (*row->json_format != '\0') schema["format"] = row->json_format;
  if (type == "BLOB") schema["contentEncoding"] = "base64";
  return schema;
}

std::optional<std::string> DuckdbTypeForJsonSchema(std::string_view type, std::string_view format,
                                                   std::string_view content_encoding) {
  if (type == "boolean") return "BOOLEAN";
  if (type == "integer") {
    if (format == "int128") return "HUGEINT";
    if (format == "uint64") return "UBIGINT";
    for (const ScalarMapping& row : kScalars) {
      if (std::string_view(row.json_type) == "integer" && format == row.json_format) {
        return std::string(row.duckdb);
      }
    }
    return "BIGINT";
  }
  if (type == "number") return format == "float" ? "FLOAT" : "DOUBLE";
  if (type == "string") {
    if (content_encoding == "base64") return "BLOB";
    if (format == "uuid") return "UUID";
    if (format == "date") return "DATE";
    if (format == "time") return "TIME";
    if (format == "date-time") return "TIMESTAMP WITH TIME ZONE";
    if (format == "duration") return "INTERVAL";
    return "VARCHAR";
  }
  return std::nullopt;
}

}  // namespace quanta::model
