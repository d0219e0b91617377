#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/json_fields.h"
#include "model/yaml_document.h"

namespace quanta::model {

/// Every typed element keeps `pointer` (its JSON pointer in the source document, for error
/// messages), `rest` (fields Quanta does not model, written back unchanged) and `key_order`.
struct Element {
  std::string pointer;
  Json rest = Json::object();
  std::vector<std::string> key_order;
};

/// An ODCS `customProperties` entry.
struct CustomProperty : Element {
  std::optional<std::string> property;
  Json value;
};

/// An ODCS data quality rule (`quality[]` of a schema object or property). ODCS v3.0 wrote the
/// library metric as `rule`; both spellings are read, and written back as they came.
struct QualityRule : Element {
  std::optional<std::string> id, name, description, type, metric, rule, query, engine, unit,
      severity, dimension;
  Json arguments;     ///< library metric arguments, e.g. {validValues: [...]} or {pattern: ...}
  Json valid_values;  ///< ODCS v3.0 `validValues` next to the rule
  // The eight comparison operators; each holds a number, or for the between forms two numbers.
  Json must_be, must_not_be, must_be_greater_than, must_be_greater_or_equal_to, must_be_less_than,
      must_be_less_or_equal_to, must_be_between, must_not_be_between;

  /// `metric`, or `rule` for ODCS v3.0 documents.
  std::string MetricName() const { return metric.value_or(rule.value_or("")); }
  /// "library" when no type is given (the standard's default).
  std::string TypeName() const { return type.value_or("library"); }
};

/// A relationship between properties (foreign key). At object level `from` is given; at
/// property level it is implied by the property.
struct Relationship : Element {
  std::optional<std::string> type;
  Json from;  ///< string or array of "object.property"
  Json to;    ///< string or array of "object.property"
};

/// A property (column, field) of a schema object; object and array properties nest.
struct Property : Element {
  std::optional<std::string> id, name, physical_name, physical_type, logical_type, description,
      business_name, classification;
  std::optional<bool> required, unique, primary_key, partitioned, critical_data_element;
  std::optional<std::int64_t> primary_key_position, partition_key_position;
  Json logical_type_options;
  std::vector<std::string> tags;
  std::vector<QualityRule> quality;
  std::vector<Relationship> relationships;
  std::vector<Property> properties;  ///< fields, when logicalType is object
  std::vector<Property> items;       ///< zero or one: the element type, when logicalType is array
  std::vector<CustomProperty> custom_properties;
  bool had_tags = false, had_quality = false, had_relationships = false, had_properties = false,
       had_custom_properties = false;

  bool IsRequired() const { return required.value_or(false); }
  bool IsPrimaryKey() const { return primary_key.value_or(false); }
};

/// A schema object (table, topic, file) with its properties.
struct SchemaObject : Element {
  std::optional<std::string> id, name, physical_name, physical_type, logical_type, description,
      business_name, data_granularity_description;
  std::vector<std::string> tags;
  std::vector<Property> properties;
  std::vector<QualityRule> quality;
  std::vector<Relationship> relationships;
  std::vector<CustomProperty> custom_properties;
  bool had_tags = false, had_properties = false, had_quality = false, had_relationships = false,
       had_custom_properties = false;

  /// The property called `name` at the top level, or nullptr.
  const Property* FindProperty(std::string_view property_name) const;
};

/// An SLA property such as latency, retention or frequency.
struct SlaProperty : Element {
  std::optional<std::string> id, property, unit, element, driver, description;
  Json value, value_ext;
};

struct TeamMember : Element {
  std::optional<std::string> id, username, name, description, role, date_in, date_out,
      replaced_by_username;
};

/// The team owning a contract or product. ODCS v3.1 writes an object with `members`; ODCS v3.0
/// a bare list of members (`is_member_list`).
struct Team : Element {
  bool present = false;
  bool is_member_list = false;
  std::optional<std::string> id, name, description;
  std::vector<TeamMember> members;
  bool had_members = false;
};

struct Role : Element {
  std::optional<std::string> id, role, description, access, first_level_approvers,
      second_level_approvers;
  std::vector<CustomProperty> custom_properties;  ///< e.g. Quanta's `rowFilter`
  bool had_custom_properties = false;
};

struct Server : Element {
  std::optional<std::string> id, server, type, description, environment;
};

/// An ODCS v3.x data contract. Load with LoadContract; write back with ContractToJson.
struct Contract : Element {
  std::optional<std::string> api_version, kind, id, name, version, status, domain, data_product,
      tenant, contract_created_ts, sla_default_element;
  Json description;  ///< object with purpose, limitations, usage, ...
  std::vector<std::string> tags;
  std::vector<Server> servers;
  std::vector<SchemaObject> schema;
  std::vector<SlaProperty> sla_properties;
  Team team;
  std::vector<Role> roles;
  std::vector<CustomProperty> custom_properties;
  bool had_tags = false, had_servers = false, had_schema = false, had_sla_properties = false,
       had_roles = false, had_custom_properties = false;

  /// The schema object called `name`, or nullptr.
  const SchemaObject* FindObject(std::string_view object_name) const;
  /// The SLA property called `name` (e.g. "retention"), or nullptr.
  const SlaProperty* FindSla(std::string_view property_name) const;
};

/// Reads a contract from JSON values. Never fails: fields of the wrong type stay in `rest` for
/// the schema validator to report.
Contract ContractFromJson(const Json& json);
/// Writes the contract back; ContractToJson(ContractFromJson(x)) == x as data.
Json ContractToJson(const Contract& contract);

Property PropertyFromJson(const Json& json, const std::string& pointer);
Json PropertyToJson(const Property& property);
QualityRule QualityRuleFromJson(const Json& json, const std::string& pointer);
Json QualityRuleToJson(const QualityRule& rule);
CustomProperty CustomPropertyFromJson(const Json& json, const std::string& pointer);
Json CustomPropertyToJson(const CustomProperty& property);
Team TeamFromJson(const Json& json, const std::string& pointer);
Json TeamToJson(const Team& team);

}  // namespace quanta::model
