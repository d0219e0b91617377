#include "model/contract_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "base/ascii.h"
#include "model/property_constraints.h"
#include "model/type_mapping.h"

namespace quanta::model {
namespace {

std::string ObjectPath(const SchemaObject& object) { return "schema[" + *object.name + "]"; }

std::string ChildPath(const std::string& parent, const Property& property) {
  return parent + ".properties[" + property.name.value_or("?") + "]";
}

// The logical type a property is exported as: its own, else the one of its stored type.
std::string LogicalOf(const Property& property) {
  if (property.logical_type) return *property.logical_type;
  return LogicalTypeForDuckdb(DuckdbTypeFor(property));
}

const Json* Option(const Property& property, const char* key) {
  const Json& options = property.logical_type_options;
  if (!options.is_object()) return nullptr;
  auto it = options.find(key);
  return it == options.end() ? nullptr : &*it;
}

class Exporter {
 public:
  Exporter(const Contract& contract, const ExportOptions& options)
      : contract_(contract), options_(options) {}

  Result<ExportedContract> Run() {
    if (options_.format == ExportFormat::kOdcs) {
      // ContractToJson keeps every field; EmitYaml writes YAML that reads back to the same data.
      result_.text = EmitYaml(ContractToJson(contract_));
      return std::move(result_);
    }
    QUANTA_RETURN_IF_ERROR(SelectObjects());
    switch (options_.format) {
      case ExportFormat::kJsonSchema:
        result_.text = JsonSchema().dump(2) + "\n";
        break;
      case ExportFormat::kAvro:
        result_.text = Avro().dump(2) + "\n";
        break;
      case ExportFormat::kSql:
        result_.text = Sql();
        break;
      case ExportFormat::kOdcs:
        break;
    }
    return std::move(result_);
  }

 private:
  Status SelectObjects() {
    std::string names;
    for (const SchemaObject& object : contract_.schema) {
      if (!object.name || object.name->empty()) continue;
      if (!names.empty()) names += ", ";
      names += *object.name;
      if (options_.object.empty() || *object.name == options_.object) objects_.push_back(&object);
    }
    std::string contract_name = contract_.id.value_or(contract_.name.value_or("(no id)"));
    if (!options_.object.empty() && objects_.empty()) {
      return Status::NotFound("contract '{}' has no schema object '{}'; it has: {}", contract_name,
                              options_.object, names.empty() ? "none" : names);
    }
    if (objects_.empty()) {
      return Status::Invalid("contract '{}' has no named schema objects to export", contract_name);
    }
    return Status::Ok();
  }

  void Warn(const std::string& path, const std::string& message) {
    result_.warnings.push_back(path + ": " + message);
  }

  // ---- JSON Schema ----------------------------------------------------------------------

  Json JsonSchema() {
    constexpr const char* kDialect = "https://json-schema.org/draft/2020-12/schema";
    if (objects_.size() == 1) {
      Json schema = Json::object();
      schema["$schema"] = kDialect;
      Json object_schema = ObjectSchema(*objects_.front());
      for (auto& [key, value] : object_schema.items()) schema[key] = value;
      return schema;
    }
    Json schema = Json::object();
    schema["$schema"] = kDialect;
    schema["title"] = contract_.name.value_or(contract_.id.value_or("contract"));
    if (contract_.description.is_object() && contract_.description.contains("purpose") &&
        contract_.description["purpose"].is_string()) {
      schema["description"] = contract_.description["purpose"];
    }
    Json defs = Json::object();
    for (const SchemaObject* object : objects_) defs[*object->name] = ObjectSchema(*object);
    schema["$defs"] = std::move(defs);
    return schema;
  }

  Json ObjectSchema(const SchemaObject& object) {
    Json schema = Json::object();
    schema["title"] = *object.name;
    if (object.description) schema["description"] = *object.description;
    schema["type"] = "object";
    FillJsonProperties(object.properties, ObjectPath(object), schema, Json());
    return schema;
  }

  // Sets "properties" and "required" of `schema` from `properties`; `extra_required` is an
  // object's logicalTypeOptions.required.
  void FillJsonProperties(const std::vector<Property>& properties, const std::string& path,
                          Json& schema, const Json& extra_required) {
    Json fields = Json::object();
    Json required = Json::array();
    for (const Property& property : properties) {
      if (!property.name) continue;
      fields[*property.name] = PropertySchema(property, ChildPath(path, property));
      if (property.IsRequired() || property.IsPrimaryKey()) required.push_back(*property.name);
    }
    if (extra_required.is_array()) {
      for (const Json& name : extra_required) {
        if (name.is_string() && std::find(required.begin(), required.end(), name) == required.end())
          required.push_back(name);
      }
    }
    schema["properties"] = std::move(fields);
    if (!required.empty()) schema["required"] = std::move(required);
  }

  // `is_item`: the element of an array, which is never null (as in Avro).
  Json PropertySchema(const Property& property, const std::string& path, bool is_item = false) {
    Json schema = Json::object();
    if (property.business_name) schema["title"] = *property.business_name;
    if (property.description) schema["description"] = *property.description;
    std::string logical = LogicalOf(property);
    std::string duckdb_type = DuckdbTypeFor(property);
    if (logical == "object") {
      schema["type"] = "object";
      const Json* required = Option(property, "required");
      if (!property.properties.empty()) {
        FillJsonProperties(property.properties, path, schema, required ? *required : Json());
      }
      CopyOptions(property, {"minProperties", "maxProperties"}, schema);
    } else if (logical == "array") {
      schema["type"] = "array";
      if (!property.items.empty()) {
        schema["items"] = PropertySchema(property.items.front(), path + ".items", true);
      }
      CopyOptions(property, {"minItems", "maxItems", "uniqueItems"}, schema);
    } else {
      Json scalar = JsonSchemaForDuckdb(duckdb_type).value_or(Json::object());
      for (auto& [key, value] : scalar.items()) schema[key] = value;
      if (logical == "string" && !schema.contains("format")) {
        const Json* format = Option(property, "format");
        if (format && format->is_string()) schema["format"] = *format;
      }
      if (logical == "string") CopyOptions(property, {"minLength", "maxLength", "pattern"}, schema);
      if (logical == "integer" || logical == "number") {
        CopyOptions(property,
                    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
                    schema, /*numbers_only=*/true);
      }
      if (duckdb_type.rfind("DECIMAL", 0) == 0) {
        Warn(path, "JSON Schema has no decimal type; " + duckdb_type + " is written as number");
      }
      if (duckdb_type == "TIMESTAMP") {
        Warn(path,
             "JSON Schema's date-time needs a UTC offset; the timestamp without time zone is "
             "written as date-time");
      }
      if (auto values = ValidValuesOf(property)) {
        Json list = Json::array();
        for (const Json& value : *values) list.push_back(value);
        schema["enum"] = std::move(list);
      }
    }
    if (property.rest.contains("examples") && property.rest["examples"].is_array()) {
      schema["examples"] = property.rest["examples"];
    }
    if (!is_item && !property.IsRequired() && !property.IsPrimaryKey()) MakeNullable(schema);
    return schema;
  }

  static void CopyOptions(const Property& property, std::initializer_list<const char*> keys,
                          Json& schema, bool numbers_only = false) {
    for (const char* key : keys) {
      const Json* value = Option(property, key);
      if (value == nullptr || (numbers_only && !value->is_number())) continue;
      schema[key] = *value;
    }
  }

  // A property that may be null: its type also allows null (and so does its enum).
  static void MakeNullable(Json& schema) {
    if (!schema.contains("type")) return;  // any value already includes null
    Json type = schema["type"];
    schema["type"] = Json::array({type, "null"});
    if (schema.contains("enum")) schema["enum"].push_back(nullptr);
  }

  // ---- Avro -----------------------------------------------------------------------------

  Json Avro() {
    if (objects_.size() == 1) return AvroRecord(*objects_.front());
    Json records = Json::array();
    for (const SchemaObject* object : objects_) records.push_back(AvroRecord(*object));
    return records;
  }

  static bool IsAvroName(const std::string& name) {
    static const std::regex kName("^[A-Za-z_][A-Za-z0-9_]*$");
    return std::regex_match(name, kName);
  }

  std::string AvroName(const std::string& name, const std::string& path) {
    if (IsAvroName(name)) return name;
    std::string fixed;
    for (char c : name) fixed += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (fixed.empty() || std::isdigit(static_cast<unsigned char>(fixed[0]))) fixed = "_" + fixed;
    Warn(path, fmt::format("'{}' is not an Avro name (letters, digits and _); written as '{}'",
                           name, fixed));
    return fixed;
  }

  // Record and enum names must be unique within one Avro schema.
  std::string UniqueTypeName(std::string name) {
    std::string candidate = name;
    for (int suffix = 2; used_type_names_.count(candidate); ++suffix) {
      candidate = name + "_" + std::to_string(suffix);
    }
    used_type_names_.insert(candidate);
    return candidate;
  }

  std::string AvroNamespace() {
    if (!contract_.domain || contract_.domain->empty()) return "";
    std::string result;
    std::string part;
    auto flush = [&] {
      if (!result.empty()) result += ".";
      result += AvroName(part, "domain");
      part.clear();
    };
    for (char c : *contract_.domain) {
      if (c == '.')
        flush();
      else
        part += c;
    }
    flush();
    return result;
  }

  Json AvroRecord(const SchemaObject& object) {
    std::string path = ObjectPath(object);
    Json record = Json::object();
    record["type"] = "record";
    record["name"] = UniqueTypeName(AvroName(*object.name, path));
    std::string name_space = AvroNamespace();
    if (!name_space.empty()) record["namespace"] = name_space;
    if (object.description) record["doc"] = *object.description;
    record["fields"] = AvroFields(object.properties, path);
    return record;
  }

  Json AvroFields(const std::vector<Property>& properties, const std::string& path) {
    Json fields = Json::array();
    std::set<std::string> used;  // field names must be unique within a record
    for (const Property& property : properties) {
      if (!property.name) continue;
      std::string field_path = ChildPath(path, property);
      Json field = Json::object();
      std::string name = AvroName(*property.name, field_path);
      std::string unique = name;
      for (int suffix = 2; used.count(unique); ++suffix)
        unique = name + "_" + std::to_string(suffix);
      if (unique != name) {
        Warn(field_path, fmt::format("'{}' would repeat the field name '{}'; written as '{}'",
                                     *property.name, name, unique));
      }
      used.insert(unique);
      field["name"] = unique;
      if (property.description) field["doc"] = *property.description;
      Json type = AvroType(property, field_path);
      if (property.IsRequired() || property.IsPrimaryKey()) {
        field["type"] = std::move(type);
      } else {
        field["type"] = Json::array({"null", std::move(type)});
        field["default"] = nullptr;
      }
      fields.push_back(std::move(field));
    }
    return fields;
  }

  Json AvroType(const Property& property, const std::string& path) {
    std::string logical = LogicalOf(property);
    std::string base_name = property.name.value_or("item");
    if (logical == "object" && !property.properties.empty()) {
      Json record = Json::object();
      record["type"] = "record";
      record["name"] = UniqueTypeName(AvroName(base_name, path));
      if (property.description) record["doc"] = *property.description;
      record["fields"] = AvroFields(property.properties, path);
      return record;
    }
    if (logical == "array") {
      Json items = property.items.empty() ? *AvroTypeForDuckdb("JSON")
                                          : AvroType(property.items.front(), path + ".items");
      return Json{{"type", "array"}, {"items", std::move(items)}};
    }
    std::string duckdb_type = DuckdbTypeFor(property);
    if (auto values = ValidValuesOf(property); values && duckdb_type == "VARCHAR") {
      bool all_names = !values->empty();
      for (const Json& value : *values) {
        if (!value.is_string() || !IsAvroName(value.get<std::string>())) all_names = false;
      }
      if (all_names) {
        Json symbols = Json::array();
        for (const Json& value : *values) symbols.push_back(value);
        return Json{{"type", "enum"},
                    {"name", UniqueTypeName(AvroName(base_name, path))},
                    {"symbols", std::move(symbols)}};
      }
      Warn(path, "valid values are not all Avro names; written as a plain string");
    }
    if (duckdb_type == "INTERVAL") Warn(path, "Avro has no interval type; written as string");
    if (duckdb_type == "HUGEINT" || duckdb_type == "UBIGINT") {
      Warn(path, duckdb_type + " is wider than Avro's long; written as a decimal");
    }
    return AvroTypeForDuckdb(duckdb_type).value_or(Json("string"));
  }

  // ---- SQL ------------------------------------------------------------------------------

  bool Postgres() const { return options_.dialect == SqlDialect::kPostgres; }

  static std::string QuoteIdentifier(const std::string& name) {
    // Keywords that cannot name a column or table unquoted in PostgreSQL or DuckDB.
    static const std::set<std::string> kReserved = {"all",
                                                    "analyse",
                                                    "analyze",
                                                    "and",
                                                    "any",
                                                    "array",
                                                    "as",
                                                    "asc",
                                                    "asymmetric",
                                                    "both",
                                                    "case",
                                                    "cast",
                                                    "check",
                                                    "collate",
                                                    "column",
                                                    "constraint",
                                                    "create",
                                                    "current_date",
                                                    "current_role",
                                                    "current_time",
                                                    "current_timestamp",
                                                    "current_user",
                                                    "default",
                                                    "deferrable",
                                                    "desc",
                                                    "distinct",
                                                    "do",
                                                    "else",
                                                    "end",
                                                    "except",
                                                    "false",
                                                    "fetch",
                                                    "for",
                                                    "foreign",
                                                    "from",
                                                    "grant",
                                                    "group",
                                                    "having",
                                                    "in",
                                                    "initially",
                                                    "intersect",
                                                    "into",
                                                    "lateral",
                                                    "leading",
                                                    "limit",
                                                    "localtime",
                                                    "localtimestamp",
                                                    "not",
                                                    "null",
                                                    "offset",
                                                    "on",
                                                    "only",
                                                    "or",
                                                    "order",
                                                    "placing",
                                                    "primary",
                                                    "references",
                                                    "returning",
                                                    "select",
                                                    "session_user",
                                                    "some",
                                                    "symmetric",
                                                    "table",
                                                    "then",
                                                    "to",
                                                    "trailing",
                                                    "true",
                                                    "union",
                                                    "unique",
                                                    "user",
                                                    "using",
                                                    "variadic",
                                                    "when",
                                                    "where",
                                                    "window",
                                                    "with",
                                                    "pivot",
                                                    "unpivot",
                                                    "qualify",
                                                    "describe",
                                                    "show",
                                                    "summarize",
                                                    "lambda"};
    static const std::regex kPlain("^[a-z_][a-z0-9_]*$");
    if (std::regex_match(name, kPlain) && !kReserved.count(name)) return name;
    std::string quoted = "\"";
    for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }

  static std::string QuoteLiteral(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'";
  }

  std::string SqlType(const Property& property, const std::string& path) {
    std::string duckdb_type = DuckdbTypeFor(property);
    if (!Postgres()) return duckdb_type;
    if (duckdb_type == "VARCHAR") {
      const Json* max_length = Option(property, "maxLength");
      if (max_length && max_length->is_number_integer() && max_length->get<int64_t>() > 0) {
        return fmt::format("VARCHAR({})", max_length->get<int64_t>());
      }
      static const std::regex kSized(
          "^\\s*(varchar|char|character varying|character)\\s*\\(\\s*(\\d+)\\s*\\)\\s*$",
          std::regex::icase);
      std::smatch match;
      std::string physical = property.physical_type.value_or("");
      if (std::regex_match(physical, match, kSized)) {
        std::string kind = AsciiLower(match[1].str());
        bool fixed = kind == "char" || kind == "character";
        return fmt::format("{}({})", fixed ? "CHAR" : "VARCHAR", match[2].str());
      }
    }
    std::string postgres = PostgresTypeForDuckdb(duckdb_type);
    if (postgres == "JSONB" && duckdb_type != "JSON") {
      Warn(path, "PostgreSQL has no inline " + duckdb_type + "; written as JSONB");
    }
    return postgres;
  }

  std::string Sql() {
    std::string sql =
        fmt::format("-- Contract {} {}, exported for {}\n", contract_.id.value_or("(no id)"),
                    contract_.version.value_or(""), Postgres() ? "PostgreSQL" : "DuckDB");
    for (const SchemaObject* object : objects_) {
      std::string path = ObjectPath(*object);
      std::string table = QuoteIdentifier(*object->name);
      std::vector<std::string> lines;
      std::string comments;
      for (const Property& property : object->properties) {
        if (!property.name) continue;
        std::string column = QuoteIdentifier(*property.name);
        std::string line = "  " + column + " " + SqlType(property, ChildPath(path, property));
        if (property.IsRequired() || property.IsPrimaryKey()) line += " NOT NULL";
        if (property.unique.value_or(false)) line += " UNIQUE";
        lines.push_back(line);
        if (property.description) {
          comments += fmt::format("COMMENT ON COLUMN {}.{} IS {};\n", table, column,
                                  QuoteLiteral(*property.description));
        }
      }
      std::vector<std::string> key = PrimaryKeyOf(*object);
      if (!key.empty()) {
        std::string columns;
        for (const std::string& name : key) {
          if (!columns.empty()) columns += ", ";
          columns += QuoteIdentifier(name);
        }
        lines.push_back("  PRIMARY KEY (" + columns + ")");
      }
      if (lines.empty()) {
        Warn(path, "has no properties; a table needs at least one column, so it is left out");
        continue;
      }
      sql += "\nCREATE TABLE " + table + " (\n";
      for (std::size_t i = 0; i < lines.size(); ++i) {
        sql += lines[i] + (i + 1 < lines.size() ? ",\n" : "\n");
      }
      sql += ");\n";
      if (object->description) {
        sql +=
            fmt::format("COMMENT ON TABLE {} IS {};\n", table, QuoteLiteral(*object->description));
      }
      sql += comments;
    }
    return sql;
  }

  const Contract& contract_;
  const ExportOptions& options_;
  std::vector<const SchemaObject*> objects_;
  std::set<std::string> used_type_names_;
  ExportedContract result_;
};

}  // namespace

Result<ExportFormat> ParseExportFormat(std::string_view text) {
  std::string name = AsciiLower(text);
  if (name == "jsonschema" || name == "json-schema") return ExportFormat::kJsonSchema;
  if (name == "avro") return ExportFormat::kAvro;
  if (name == "sql") return ExportFormat::kSql;
  if (name == "odcs" || name == "yaml") return ExportFormat::kOdcs;
  return Status::Usage("unknown format '{}'; use jsonschema, avro, sql or odcs", text);
}

Result<SqlDialect> ParseSqlDialect(std::string_view text) {
  std::string name = AsciiLower(text);
  if (name == "postgres" || name == "postgresql") return SqlDialect::kPostgres;
  if (name == "duckdb") return SqlDialect::kDuckdb;
  return Status::Usage("unknown SQL dialect '{}'; use postgres or duckdb", text);
}

Result<ExportedContract> ExportContract(const Contract& contract, const ExportOptions& options) {
  return Exporter(contract, options).Run();
}

}  // namespace quanta::model
