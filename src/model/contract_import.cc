#include "model/contract_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <vector>

#include "base/ascii.h"
#include "model/property_constraints.h"
#include "model/type_mapping.h"

namespace quanta::model {
namespace {

// Splits "a INTEGER, b STRUCT(c INTEGER, d VARCHAR)" at the commas outside parentheses and
// quotes.
std::vector<std::string> SplitTopLevel(std::string_view text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      current += c;
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(std::string(TrimBlanks(current)));
      current.clear();
      continue;
    }
    current += c;
  }
  if (!TrimBlanks(current).empty()) parts.push_back(std::string(TrimBlanks(current)));
  return parts;
}

// Reads a quoted token ('it''s' or "a ""b""") at the start of `text`; returns the unquoted
// value and sets *rest to what follows.
std::string Unquote(std::string_view text, std::string_view* rest) {
  char quote = text[0];
  std::string value;
  std::size_t i = 1;
  for (; i < text.size(); ++i) {
    if (text[i] == quote) {
      if (i + 1 < text.size() && text[i + 1] == quote) {
        value += quote;
        ++i;
        continue;
      }
      ++i;
      break;
    }
    value += text[i];
  }
  *rest = text.substr(i);
  return value;
}

// The text between "NAME(" and the final ")".
std::string Inside(const std::string& type) {
  std::size_t open = type.find('(');
  std::size_t close = type.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return type.substr(open + 1, close - open - 1);
}

const std::vector<std::string> kPropertyKeyOrder = {
    "name",         "logicalType",        "physicalType", "description",
    "businessName", "required",           "primaryKey",   "primaryKeyPosition",
    "unique",       "logicalTypeOptions", "quality",      "properties",
    "items"};

Status ImportError(const Document& document, const std::string& pointer, const std::string& rule,
                   const std::string& message, const std::string& hint = "") {
  Diagnostic diagnostic;
  diagnostic.rule = rule;
  diagnostic.location = document.Locate(pointer);
  diagnostic.location.field = pointer.empty() ? "/" : pointer;
  diagnostic.message = message;
  diagnostic.hint = hint;
  return Status::Invalid("{}", FormatDiagnostic(diagnostic));
}

// A schema whose named types refer to each other over and over expands without bound (two
// fields of type B in A, two of C in B, ...); import stops at this many types read.
constexpr std::size_t kMaxTypesRead = 20000;

Status TooLarge(const Document& document, const std::string& pointer, const std::string& rule) {
  return ImportError(document, pointer, rule,
                     fmt::format("the schema expands to more than {} types: named types are used "
                                 "inside each other over and over",
                                 kMaxTypesRead),
                     "a contract needs each record once; split it into several contracts");
}

std::string StableName(const std::string& text) {
  std::string result;
  for (char c : text) {
    result += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '-';
  }
  return result.empty() ? "imported" : result;
}

void SetOption(Property& property, const char* key, const Json& value) {
  if (!property.logical_type_options.is_object()) property.logical_type_options = Json::object();
  property.logical_type_options[key] = value;
}

// ---- Avro ---------------------------------------------------------------------------------

class AvroReader {
 public:
  AvroReader(const Document& document, const ImportOptions& options)
      : document_(document), options_(options) {}

  Result<Contract> Run() {
    const Json& root = document_.root();
    std::vector<std::pair<const Json*, std::string>> records;
    if (root.is_array()) {
      for (std::size_t i = 0; i < root.size(); ++i) {
        records.push_back({&root[i], AppendPointer("", i)});
      }
    } else {
      records.push_back({&root, ""});
    }
    Contract contract = NewDraftContract(options_);
    for (auto& [record, pointer] : records) {
      if (!record->is_object() || record->value("type", Json()) != "record") {
        return ImportError(document_, pointer, "import-avro",
                           "expected an Avro record: a contract's schema objects are records",
                           "write {\"type\": \"record\", \"name\": ..., \"fields\": [...]}");
      }
      QUANTA_ASSIGN_OR_RETURN(SchemaObject object, ReadTopRecord(*record, pointer));
      contract.schema.push_back(std::move(object));
    }
    contract.had_schema = true;
    if (!namespace_.empty()) contract.domain = namespace_;
    if (options_.id.empty() && options_.fallback_name.empty() && !contract.schema.empty()) {
      contract.id = StableName(*contract.schema.front().name);
      contract.name = *contract.schema.front().name;
    }
    return contract;
  }

 private:
  Result<std::string> RequiredString(const Json& object, const char* key,
                                     const std::string& pointer) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string() || it->get<std::string>().empty()) {
      return ImportError(document_, AppendPointer(pointer, key), "import-avro",
                         fmt::format("'{}' must be a non-empty string", key));
    }
    return it->get<std::string>();
  }

  std::string FullName(const std::string& name, const Json& schema, const std::string& space) {
    if (name.find('.') != std::string::npos) return name;
    std::string own = schema.value("namespace", space);
    return own.empty() ? name : own + "." + name;
  }

  Result<SchemaObject> ReadTopRecord(const Json& record, const std::string& pointer) {
    QUANTA_ASSIGN_OR_RETURN(std::string name, RequiredString(record, "name", pointer));
    std::string space = record.value("namespace", "");
    if (namespace_.empty()) namespace_ = space;
    std::string full_name = FullName(name, record, space);
    named_[full_name] = {&record, pointer, space};
    SchemaObject object;
    object.pointer = pointer;
    object.name = name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
    if (record.contains("doc") && record["doc"].is_string()) object.description = record["doc"];
    object.key_order = {"name", "physicalType", "description", "properties"};
    expanding_.insert(full_name);
    QUANTA_ASSIGN_OR_RETURN(object.properties, ReadFields(record, pointer, space));
    expanding_.erase(full_name);
    object.had_properties = true;
    return object;
  }

  Result<std::vector<Property>> ReadFields(const Json& record, const std::string& pointer,
                                           const std::string& space) {
    auto fields = record.find("fields");
    if (fields == record.end() || !fields->is_array()) {
      return ImportError(document_, AppendPointer(pointer, "fields"), "import-avro",
                         "a record needs a 'fields' array");
    }
    std::vector<Property> properties;
    std::string fields_pointer = AppendPointer(pointer, "fields");
    for (std::size_t i = 0; i < fields->size(); ++i) {
      const Json& field = (*fields)[i];
      std::string field_pointer = AppendPointer(fields_pointer, i);
      if (!field.is_object()) {
        return ImportError(document_, field_pointer, "import-avro", "a field must be an object");
      }
      QUANTA_ASSIGN_OR_RETURN(std::string name, RequiredString(field, "name", field_pointer));
      if (std::any_of(properties.begin(), properties.end(),
                      [&](const Property& seen) { return seen.name == name; })) {
        return ImportError(document_, AppendPointer(field_pointer, "name"), "import-avro",
                           fmt::format("field '{}' is declared twice in this record; Avro names "
                                       "each field once",
                                       name));
      }
      if (!field.contains("type")) {
        return ImportError(document_, field_pointer, "import-avro",
                           fmt::format("field '{}' has no type", name));
      }
      bool nullable = false;
      QUANTA_ASSIGN_OR_RETURN(
          Property property,
          ReadType(field["type"], AppendPointer(field_pointer, "type"), name, space, &nullable));
      if (field.contains("doc") && field["doc"].is_string()) property.description = field["doc"];
      if (!nullable) property.required = true;
      property.key_order = kPropertyKeyOrder;
      properties.push_back(std::move(property));
    }
    return properties;
  }

  Result<Property> ReadType(const Json& type, const std::string& pointer, const std::string& name,
                            const std::string& space, bool* nullable) {
    if (++types_read_ > kMaxTypesRead) return TooLarge(document_, pointer, "import-avro");
    if (type.is_array()) {
      std::vector<std::size_t> others;
      for (std::size_t i = 0; i < type.size(); ++i) {
        if (type[i] == "null") {
          *nullable = true;
        } else {
          others.push_back(i);
        }
      }
      if (others.size() != 1) {
        return ImportError(
            document_, pointer, "import-avro",
            fmt::format("field '{}' is a union of {} types; an ODCS property has one type", name,
                        others.size()),
            "use one type, or [\"null\", T] for an optional field");
      }
      return ReadType(type[others[0]], AppendPointer(pointer, others[0]), name, space, nullable);
    }
    if (auto scalar = DuckdbTypeForAvro(type)) {
      if (type.is_object() && type.value("type", "") == "fixed") Register(type, pointer, space);
      return PropertyFromDuckdbType(name, *scalar, false);
    }
    if (type.is_string()) return ReadNamed(type.get<std::string>(), pointer, name, space);
    if (!type.is_object() || !type.contains("type") || !type["type"].is_string()) {
      return ImportError(document_, pointer, "import-avro",
                         "expected an Avro type: a name, an object with 'type', or a union");
    }
    std::string kind = type["type"].get<std::string>();
    Property property;
    property.name = name;
    if (kind == "record") {
      QUANTA_ASSIGN_OR_RETURN(std::string record_name, RequiredString(type, "name", pointer));
      std::string full_name = FullName(record_name, type, space);
      Register(type, pointer, space);
      std::string inner_space = type.value("namespace", space);
      if (record_name.find('.') != std::string::npos) {
        inner_space = record_name.substr(0, record_name.rfind('.'));
      }
      expanding_.insert(full_name);
      property.logical_type = "object";
      QUANTA_ASSIGN_OR_RETURN(property.properties, ReadFields(type, pointer, inner_space));
      expanding_.erase(full_name);
      property.had_properties = true;
      return property;
    }
    if (kind == "enum") {
      Register(type, pointer, space);
      auto symbols = type.find("symbols");
      if (symbols == type.end() || !symbols->is_array()) {
        return ImportError(document_, AppendPointer(pointer, "symbols"), "import-avro",
                           "an enum needs a 'symbols' array");
      }
      property.logical_type = "string";
      std::vector<Json> values(symbols->begin(), symbols->end());
      property.quality.push_back(ValidValuesRule(values));
      return property;
    }
    if (kind == "array") {
      if (!type.contains("items")) {
        return ImportError(document_, pointer, "import-avro", "an array needs 'items'");
      }
      bool items_nullable = false;
      QUANTA_ASSIGN_OR_RETURN(
          Property items,
          ReadType(type["items"], AppendPointer(pointer, "items"), "", space, &items_nullable));
      items.name.reset();
      items.key_order = kPropertyKeyOrder;
      property.logical_type = "array";
      property.items.push_back(std::move(items));
      return property;
    }
    if (kind == "map") {
      property.logical_type = "object";  // keys are data, not names: a free-form object
      return property;
    }
    if (type.value("logicalType", "") == "decimal") {
      return ImportError(document_, pointer, "import-avro",
                         "decimal needs an integer precision from 1 to 38 (DuckDB's limit) and a "
                         "scale from 0 to the precision");
    }
    return ImportError(document_, AppendPointer(pointer, "type"), "import-avro",
                       fmt::format("unknown Avro type '{}'", kind));
  }

  Result<Property> ReadNamed(const std::string& type_name, const std::string& pointer,
                             const std::string& name, const std::string& space) {
    std::string full_name = type_name.find('.') == std::string::npos && !space.empty()
                                ? space + "." + type_name
                                : type_name;
    auto it = named_.find(full_name);
    if (it == named_.end()) it = named_.find(type_name);
    if (it == named_.end()) {
      return ImportError(document_, pointer, "import-avro",
                         fmt::format("unknown type '{}': not a primitive type and not defined "
                                     "earlier in the schema",
                                     type_name));
    }
    if (expanding_.count(it->first)) {
      return ImportError(document_, pointer, "import-avro",
                         fmt::format("record '{}' refers to itself; ODCS properties cannot nest "
                                     "without end",
                                     type_name),
                         "replace the self-reference with a key (for example the parent's id)");
    }
    const NamedType& named = it->second;
    bool ignored = false;
    return ReadType(*named.schema, named.pointer, name, named.space, &ignored);
  }

  struct NamedType {
    const Json* schema;
    std::string pointer;
    std::string space;
  };

  void Register(const Json& type, const std::string& pointer, const std::string& space) {
    if (!type.contains("name") || !type["name"].is_string()) return;
    named_[FullName(type["name"].get<std::string>(), type, space)] = {&type, pointer, space};
  }

  const Document& document_;
  const ImportOptions& options_;
  std::string namespace_;
  std::map<std::string, NamedType> named_;
  std::set<std::string> expanding_;
  std::size_t types_read_ = 0;
};

// ---- JSON Schema --------------------------------------------------------------------------

class JsonSchemaReader {
 public:
  JsonSchemaReader(const Document& document, const ImportOptions& options)
      : document_(document), options_(options) {}

  Result<Contract> Run() {
    const Json& root = document_.root();
    if (!root.is_object()) {
      return ImportError(document_, "", "import-jsonschema", "a JSON Schema must be an object");
    }
    Contract contract = NewDraftContract(options_);
    if (root.contains("properties")) {
      std::string name = root.value("title", options_.fallback_name);
      if (name.empty()) name = "record";
      QUANTA_ASSIGN_OR_RETURN(SchemaObject object, ReadObject(root, "", name));
      contract.schema.push_back(std::move(object));
    } else {
      for (const char* key : {"$defs", "definitions"}) {
        if (!root.contains(key) || !root[key].is_object()) continue;
        std::string defs_pointer = AppendPointer("", key);
        for (auto it = root[key].begin(); it != root[key].end(); ++it) {
          if (!it->is_object() || !it->contains("properties")) continue;
          QUANTA_ASSIGN_OR_RETURN(SchemaObject object,
                                  ReadObject(*it, AppendPointer(defs_pointer, it.key()), it.key()));
          contract.schema.push_back(std::move(object));
        }
      }
      if (contract.schema.empty()) {
        return ImportError(document_, "", "import-jsonschema",
                           "found no object schema: the root needs 'properties', or '$defs' "
                           "holding object schemas with 'properties'");
      }
    }
    contract.had_schema = true;
    if (root.contains("description") && root["description"].is_string() &&
        !root.contains("properties")) {
      contract.description = Json{{"purpose", root["description"]}};
    }
    return contract;
  }

 private:
  Result<SchemaObject> ReadObject(const Json& schema, const std::string& pointer,
                                  const std::string& name) {
    SchemaObject object;
    object.pointer = pointer;
    object.name = name;
    if (schema.contains("description") && schema["description"].is_string()) {
      object.description = schema["description"];
    }
    object.key_order = {"name", "physicalType", "description", "properties"};
    QUANTA_ASSIGN_OR_RETURN(object.properties, ReadProperties(schema, pointer));
    object.had_properties = true;
    return object;
  }

  Result<std::vector<Property>> ReadProperties(const Json& schema, const std::string& pointer) {
    std::vector<Property> properties;
    const Json& fields = schema["properties"];
    std::string fields_pointer = AppendPointer(pointer, "properties");
    if (!fields.is_object()) {
      return ImportError(document_, fields_pointer, "import-jsonschema",
                         "'properties' must be an object");
    }
    std::set<std::string> required;
    if (schema.contains("required") && schema["required"].is_array()) {
      for (const Json& name : schema["required"]) {
        if (name.is_string()) required.insert(name.get<std::string>());
      }
    }
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      bool nullable = false;
      QUANTA_ASSIGN_OR_RETURN(
          Property property,
          ReadSchema(*it, AppendPointer(fields_pointer, it.key()), it.key(), &nullable));
      if (required.count(it.key()) && !nullable) property.required = true;
      properties.push_back(std::move(property));
    }
    return properties;
  }

  // Follows a local $ref; fails for remote ones and for cycles.
  Result<std::pair<const Json*, std::string>> Resolve(const Json& schema,
                                                      const std::string& pointer) {
    const Json* current = &schema;
    std::string current_pointer = pointer;
    for (int hops = 0; current->is_object() && current->contains("$ref"); ++hops) {
      const Json& ref = (*current)["$ref"];
      std::string ref_pointer = AppendPointer(current_pointer, "$ref");
      if (!ref.is_string() || ref.get<std::string>().rfind("#/", 0) != 0) {
        return ImportError(document_, ref_pointer, "import-jsonschema",
                           "only local references ('#/$defs/Name') can be imported",
                           "copy the referenced schema into $defs");
      }
      std::string target = ref.get<std::string>().substr(1);
      if (expanding_.count(target) || hops > 64) {
        return ImportError(document_, ref_pointer, "import-jsonschema",
                           fmt::format("'{}' refers to itself; ODCS properties cannot nest "
                                       "without end",
                                       ref.get<std::string>()),
                           "replace the self-reference with a key (for example the parent's id)");
      }
      const Json* found = nullptr;
      try {
        found = &document_.root().at(Json::json_pointer(target));
      } catch (const std::exception&) {
        found = nullptr;
      }
      if (found == nullptr) {
        return ImportError(document_, ref_pointer, "import-jsonschema",
                           fmt::format("'{}' points at nothing", ref.get<std::string>()));
      }
      current = found;
      current_pointer = target;
    }
    return std::make_pair(current, current_pointer);
  }

  Result<Property> ReadSchema(const Json& original, const std::string& original_pointer,
                              const std::string& name, bool* nullable) {
    if (++types_read_ > kMaxTypesRead) {
      return TooLarge(document_, original_pointer, "import-jsonschema");
    }
    QUANTA_ASSIGN_OR_RETURN(auto resolved, Resolve(original, original_pointer));
    const Json& schema = *resolved.first;
    const std::string& pointer = resolved.second;
    bool followed = pointer != original_pointer;
    if (followed) expanding_.insert(pointer);
    Result<Property> property = ReadResolved(schema, pointer, name, nullable);
    if (followed) expanding_.erase(pointer);
    if (!property.ok()) return property;
    // Annotations beside a $ref describe this use of it.
    if (original.is_object() && followed) ReadAnnotations(original, *property);
    return property;
  }

  void ReadAnnotations(const Json& schema, Property& property) {
    if (schema.contains("description") && schema["description"].is_string()) {
      property.description = schema["description"];
    }
    if (schema.contains("title") && schema["title"].is_string()) {
      property.business_name = schema["title"];
    }
    if (schema.contains("examples") && schema["examples"].is_array()) {
      property.rest["examples"] = schema["examples"];
    }
  }

  Result<Property> ReadResolved(const Json& schema, const std::string& pointer,
                                const std::string& name, bool* nullable) {
    if (schema.is_boolean() || (schema.is_object() && schema.empty())) {
      // `true` and `{}` accept any JSON value.
      Property property = PropertyFromDuckdbType(name, "JSON", false);
      *nullable = true;
      return property;
    }
    if (!schema.is_object()) {
      return ImportError(document_, pointer, "import-jsonschema",
                         "a schema must be an object or a boolean");
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (!schema.contains(key)) continue;
      const Json& options = schema[key];
      std::vector<std::size_t> others;
      if (options.is_array()) {
        for (std::size_t i = 0; i < options.size(); ++i) {
          if (options[i].is_object() && options[i].value("type", Json()) == "null") {
            *nullable = true;
          } else {
            others.push_back(i);
          }
        }
      }
      if (others.size() != 1) {
        return ImportError(document_, AppendPointer(pointer, key), "import-jsonschema",
                           fmt::format("'{}' with {} alternatives: an ODCS property has one type",
                                       key, others.size()),
                           "use one type, or [T, {\"type\": \"null\"}] for an optional value");
      }
      std::string inner_pointer = AppendPointer(AppendPointer(pointer, key), others[0]);
      QUANTA_ASSIGN_OR_RETURN(Property property,
                              ReadSchema(options[others[0]], inner_pointer, name, nullable));
      ReadAnnotations(schema, property);
      return property;
    }

    // The type: a name, or a list of names of which "null" makes the value optional.
    std::vector<std::string> types;
    if (schema.contains("type")) {
      const Json& type = schema["type"];
      if (type.is_string()) {
        types.push_back(type.get<std::string>());
      } else if (type.is_array()) {
        for (const Json& item : type) {
          if (item.is_string()) types.push_back(item.get<std::string>());
        }
      }
    }
    Json values = Json();
    if (schema.contains("enum") && schema["enum"].is_array()) values = schema["enum"];
    if (schema.contains("const")) values = Json::array({schema["const"]});
    if (values.is_array()) {
      for (const Json& value : values) {
        if (value.is_null()) *nullable = true;
      }
      if (types.empty()) types.push_back(TypeOfValues(values));
    }
    if (std::find(types.begin(), types.end(), "null") != types.end()) {
      *nullable = true;
      types.erase(std::remove(types.begin(), types.end(), "null"), types.end());
    }
    if (types.empty()) {
      if (schema.contains("properties"))
        types.push_back("object");
      else if (schema.contains("items"))
        types.push_back("array");
    }
    if (types.size() > 1) {
      return ImportError(document_, AppendPointer(pointer, "type"), "import-jsonschema",
                         fmt::format("property '{}' allows {} types; an ODCS property has one",
                                     name, types.size()),
                         "use one type, or [T, \"null\"] for an optional value");
    }
    std::string type = types.empty() ? "" : types.front();
    Property property;
    if (type == "object") {
      property.name = name;
      property.logical_type = "object";
      if (schema.contains("properties")) {
        QUANTA_ASSIGN_OR_RETURN(property.properties, ReadProperties(schema, pointer));
        property.had_properties = true;
      }
      CopyOptions(schema, {"minProperties", "maxProperties"}, property);
    } else if (type == "array") {
      property.name = name;
      property.logical_type = "array";
      if (schema.contains("items") && !schema["items"].is_boolean()) {
        bool items_nullable = false;
        QUANTA_ASSIGN_OR_RETURN(
            Property items,
            ReadSchema(schema["items"], AppendPointer(pointer, "items"), "", &items_nullable));
        items.name.reset();
        property.items.push_back(std::move(items));
      }
      CopyOptions(schema, {"minItems", "maxItems", "uniqueItems"}, property);
    } else if (type.empty()) {
      property = PropertyFromDuckdbType(name, "JSON", false);  // no type: any JSON value
    } else {
      std::string format = schema.value("format", "");
      std::string encoding = schema.value("contentEncoding", "");
      std::optional<std::string> duckdb_type = DuckdbTypeForJsonSchema(type, format, encoding);
      if (!duckdb_type) {
        return ImportError(document_, AppendPointer(pointer, "type"), "import-jsonschema",
                           fmt::format("unknown type '{}'", type),
                           "use string, integer, number, boolean, object or array");
      }
      property = PropertyFromDuckdbType(name, *duckdb_type, false);
      if (*duckdb_type == "VARCHAR" && !format.empty()) SetOption(property, "format", format);
      if (type == "string") CopyOptions(schema, {"minLength", "maxLength", "pattern"}, property);
      if (type == "integer" || type == "number") {
        CopyOptions(schema,
                    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
                    property, /*numbers_only=*/true);
      }
      if (values.is_array()) {
        std::vector<Json> list;
        for (const Json& value : values) {
          if (!value.is_null()) list.push_back(value);
        }
        property.quality.push_back(ValidValuesRule(list));
      }
    }
    ReadAnnotations(schema, property);
    property.key_order = kPropertyKeyOrder;
    return property;
  }

  static std::string TypeOfValues(const Json& values) {
    bool all_integers = true, all_numbers = true, all_booleans = true, all_strings = true;
    for (const Json& value : values) {
      if (value.is_null()) continue;
      all_integers = all_integers && value.is_number_integer();
      all_numbers = all_numbers && value.is_number();
      all_booleans = all_booleans && value.is_boolean();
      all_strings = all_strings && value.is_string();
    }
    if (all_strings) return "string";
    if (all_integers) return "integer";
    if (all_numbers) return "number";
    if (all_booleans) return "boolean";
    return "";
  }

  static void CopyOptions(const Json& schema, std::initializer_list<const char*> keys,
                          Property& property, bool numbers_only = false) {
    for (const char* key : keys) {
      if (!schema.contains(key)) continue;
      const Json& value = schema[key];
      if (numbers_only && !value.is_number()) continue;  // draft-04 boolean exclusive bounds
      SetOption(property, key, value);
    }
  }

  const Document& document_;
  const ImportOptions& options_;
  std::set<std::string> expanding_;
  std::size_t types_read_ = 0;
};

}  // namespace

Contract NewDraftContract(const ImportOptions& options) {
  Contract contract;
  contract.api_version = "v3.1.0";
  contract.kind = "DataContract";
  std::string name = options.fallback_name.empty() ? "imported" : options.fallback_name;
  contract.id = options.id.empty() ? StableName(name) : options.id;
  contract.name = name;
  contract.version = "1.0.0";
  contract.status = "draft";
  contract.had_schema = true;
  return contract;
}

Property PropertyFromDuckdbType(const std::string& name, std::string_view duckdb_type,
                                bool keep_physical_type) {
  Property property;
  if (!name.empty()) property.name = name;
  property.key_order = kPropertyKeyOrder;
  std::string type = std::string(TrimBlanks(duckdb_type));
  std::string upper = AsciiUpper(type);
  if (upper.size() > 2 && upper.substr(upper.size() - 2) == "[]") {
    property.logical_type = "array";
    Property items =
        PropertyFromDuckdbType("", type.substr(0, type.size() - 2), keep_physical_type);
    property.items.push_back(std::move(items));
    return property;
  }
  if (upper.rfind("STRUCT", 0) == 0) {
    property.logical_type = "object";
    for (const std::string& field : SplitTopLevel(Inside(type))) {
      std::string field_name;
      std::string_view rest = field;
      if (!field.empty() && field[0] == '"') {
        field_name = Unquote(field, &rest);
      } else {
        std::size_t space = field.find_first_of(" \t");
        field_name = field.substr(0, space);
        rest = space == std::string::npos ? std::string_view() : rest.substr(space);
      }
      property.properties.push_back(
          PropertyFromDuckdbType(field_name, std::string(TrimBlanks(rest)), keep_physical_type));
    }
    property.had_properties = !property.properties.empty();
    return property;
  }
  if (upper.rfind("MAP", 0) == 0 || upper == "JSON" || upper.rfind("UNION", 0) == 0) {
    property.logical_type = "object";
    if (keep_physical_type) property.physical_type = type;
    return property;
  }
  if (upper.rfind("ENUM", 0) == 0) {
    property.logical_type = "string";
    if (keep_physical_type) property.physical_type = "VARCHAR";
    std::vector<Json> values;
    for (const std::string& item : SplitTopLevel(Inside(type))) {
      if (item.empty() || item[0] != '\'') continue;
      std::string_view rest;
      values.push_back(Unquote(item, &rest));
    }
    property.quality.push_back(ValidValuesRule(values));
    return property;
  }
  property.logical_type = LogicalTypeForDuckdb(upper);
  if (upper == "UUID") SetOption(property, "format", "uuid");
  if (upper == "TIMESTAMP") SetOption(property, "timezone", false);
  std::optional<std::string> physical = DuckdbTypeFromPhysical(upper);
  bool logical_says_it = DuckdbTypeFromLogical(property) == std::optional<std::string>(upper);
  if (physical && (keep_physical_type || !logical_says_it)) property.physical_type = upper;
  return property;
}

Result<Contract> ImportAvro(const Document& document, const ImportOptions& options) {
  return AvroReader(document, options).Run();
}

Result<Contract> ImportJsonSchema(const Document& document, const ImportOptions& options) {
  return JsonSchemaReader(document, options).Run();
}

}  // namespace quanta::model
