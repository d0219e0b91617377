#include "model/contract.h"

namespace quanta::model {
namespace {

template <typename T>
void Finish(T& element, FieldReader& reader, std::string pointer) {
  element.pointer = std::move(pointer);
  element.rest = reader.TakeRest();
  element.key_order = reader.TakeKeyOrder();
}

std::vector<std::string> ReadStrings(FieldReader& reader, const char* key, bool* had) {
  // Tags are strings; anything else in the list is kept so the validator can point at it.
  Json raw = reader.Any(key);
  std::vector<std::string> values;
  *had = false;
  if (!raw.is_array()) return values;
  for (const Json& item : raw) {
    if (!item.is_string()) return {};  // leave the whole list to `rest` below
  }
  for (const Json& item : raw) values.push_back(item.get<std::string>());
  *had = true;
  return values;
}

// Tags that were not all strings must survive in rest; ReadStrings took them out, so put back.
void KeepRawStrings(const Json& original, const char* key, bool had, Json& rest) {
  if (!had && original.is_object() && original.contains(key) && !original[key].is_null()) {
    rest[key] = original[key];
  }
}

Relationship RelationshipFromJson(const Json& json, const std::string& pointer) {
  Relationship relationship;
  FieldReader reader(json);
  relationship.type = reader.String("type");
  relationship.from = reader.Any("from");
  relationship.to = reader.Any("to");
  Finish(relationship, reader, pointer);
  return relationship;
}

Json RelationshipToJson(const Relationship& relationship) {
  FieldWriter writer;
  writer.Set("type", relationship.type);
  writer.Set("from", relationship.from);
  writer.Set("to", relationship.to);
  return writer.Finish(relationship.rest, relationship.key_order);
}

SlaProperty SlaFromJson(const Json& json, const std::string& pointer) {
  SlaProperty sla;
  FieldReader reader(json);
  sla.id = reader.String("id");
  sla.property = reader.String("property");
  sla.value = reader.Any("value");
  sla.value_ext = reader.Any("valueExt");
  sla.unit = reader.String("unit");
  sla.element = reader.String("element");
  sla.driver = reader.String("driver");
  sla.description = reader.String("description");
  Finish(sla, reader, pointer);
  return sla;
}

Json SlaToJson(const SlaProperty& sla) {
  FieldWriter writer;
  writer.Set("id", sla.id);
  writer.Set("property", sla.property);
  writer.Set("value", sla.value);
  writer.Set("valueExt", sla.value_ext);
  writer.Set("unit", sla.unit);
  writer.Set("element", sla.element);
  writer.Set("driver", sla.driver);
  writer.Set("description", sla.description);
  return writer.Finish(sla.rest, sla.key_order);
}

TeamMember MemberFromJson(const Json& json, const std::string& pointer) {
  TeamMember member;
  FieldReader reader(json);
  member.id = reader.String("id");
  member.username = reader.String("username");
  member.name = reader.String("name");
  member.description = reader.String("description");
  member.role = reader.String("role");
  member.date_in = reader.String("dateIn");
  member.date_out = reader.String("dateOut");
  member.replaced_by_username = reader.String("replacedByUsername");
  Finish(member, reader, pointer);
  return member;
}

Json MemberToJson(const TeamMember& member) {
  FieldWriter writer;
  writer.Set("id", member.id);
  writer.Set("username", member.username);
  writer.Set("name", member.name);
  writer.Set("description", member.description);
  writer.Set("role", member.role);
  writer.Set("dateIn", member.date_in);
  writer.Set("dateOut", member.date_out);
  writer.Set("replacedByUsername", member.replaced_by_username);
  return writer.Finish(member.rest, member.key_order);
}

template <typename T, typename FromJson>
auto Reader(std::string base, FromJson from_json) {
  return [base, from_json](const Json& item, std::size_t index) -> T {
    return from_json(item, AppendPointer(base, index));
  };
}

Role RoleFromJson(const Json& json, const std::string& pointer) {
  Role role;
  FieldReader reader(json);
  role.id = reader.String("id");
  role.role = reader.String("role");
  role.description = reader.String("description");
  role.access = reader.String("access");
  role.first_level_approvers = reader.String("firstLevelApprovers");
  role.second_level_approvers = reader.String("secondLevelApprovers");
  role.custom_properties = reader.Array<CustomProperty>(
      "customProperties",
      Reader<CustomProperty>(AppendPointer(pointer, "customProperties"), CustomPropertyFromJson));
  role.had_custom_properties = reader.HadArray("customProperties");
  Finish(role, reader, pointer);
  return role;
}

Json RoleToJson(const Role& role) {
  FieldWriter writer;
  writer.Set("id", role.id);
  writer.Set("role", role.role);
  writer.Set("description", role.description);
  writer.Set("access", role.access);
  writer.Set("firstLevelApprovers", role.first_level_approvers);
  writer.Set("secondLevelApprovers", role.second_level_approvers);
  writer.SetArray("customProperties", role.custom_properties, role.had_custom_properties,
                  CustomPropertyToJson);
  return writer.Finish(role.rest, role.key_order);
}

Server ServerFromJson(const Json& json, const std::string& pointer) {
  Server server;
  FieldReader reader(json);
  server.id = reader.String("id");
  server.server = reader.String("server");
  server.type = reader.String("type");
  server.description = reader.String("description");
  server.environment = reader.String("environment");
  Finish(server, reader, pointer);
  return server;
}

Json ServerToJson(const Server& server) {
  FieldWriter writer;
  writer.Set("id", server.id);
  writer.Set("server", server.server);
  writer.Set("type", server.type);
  writer.Set("description", server.description);
  writer.Set("environment", server.environment);
  return writer.Finish(server.rest, server.key_order);
}

}  // namespace

CustomProperty CustomPropertyFromJson(const Json& json, const std::string& pointer) {
  CustomProperty custom;
  FieldReader reader(json);
  custom.property = reader.String("property");
  custom.value = reader.Any("value");
  Finish(custom, reader, pointer);
  return custom;
}

Json CustomPropertyToJson(const CustomProperty& custom) {
  FieldWriter writer;
  writer.Set("property", custom.property);
  writer.Set("value", custom.value);
  return writer.Finish(custom.rest, custom.key_order);
}

QualityRule QualityRuleFromJson(const Json& json, const std::string& pointer) {
  QualityRule rule;
  FieldReader reader(json);
  rule.id = reader.String("id");
  rule.name = reader.String("name");
  rule.description = reader.String("description");
  rule.type = reader.String("type");
  rule.metric = reader.String("metric");
  rule.rule = reader.String("rule");
  rule.query = reader.String("query");
  rule.engine = reader.String("engine");
  rule.unit = reader.String("unit");
  rule.severity = reader.String("severity");
  rule.dimension = reader.String("dimension");
  rule.arguments = reader.Any("arguments");
  rule.valid_values = reader.Any("validValues");
  rule.must_be = reader.Any("mustBe");
  rule.must_not_be = reader.Any("mustNotBe");
  rule.must_be_greater_than = reader.Any("mustBeGreaterThan");
  rule.must_be_greater_or_equal_to = reader.Any("mustBeGreaterOrEqualTo");
  rule.must_be_less_than = reader.Any("mustBeLessThan");
  rule.must_be_less_or_equal_to = reader.Any("mustBeLessOrEqualTo");
  rule.must_be_between = reader.Any("mustBeBetween");
  rule.must_not_be_between = reader.Any("mustNotBeBetween");
  Finish(rule, reader, pointer);
  return rule;
}

Json QualityRuleToJson(const QualityRule& rule) {
  FieldWriter writer;
  writer.Set("id", rule.id);
  writer.Set("name", rule.name);
  writer.Set("description", rule.description);
  writer.Set("type", rule.type);
  writer.Set("metric", rule.metric);
  writer.Set("rule", rule.rule);
  writer.Set("query", rule.query);
  writer.Set("engine", rule.engine);
  writer.Set("unit", rule.unit);
  writer.Set("severity", rule.severity);
  writer.Set("dimension", rule.dimension);
  writer.Set("arguments", rule.arguments);
  writer.Set("validValues", rule.valid_values);
  writer.Set("mustBe", rule.must_be);
  writer.Set("mustNotBe", rule.must_not_be);
  writer.Set("mustBeGreaterThan", rule.must_be_greater_than);
  writer.Set("mustBeGreaterOrEqualTo", rule.must_be_greater_or_equal_to);
  writer.Set("mustBeLessThan", rule.must_be_less_than);
  writer.Set("mustBeLessOrEqualTo", rule.must_be_less_or_equal_to);
  writer.Set("mustBeBetween", rule.must_be_between);
  writer.Set("mustNotBeBetween", rule.must_not_be_between);
  return writer.Finish(rule.rest, rule.key_order);
}

Property PropertyFromJson(const Json& json, const std::string& pointer) {
  Property property;
  FieldReader reader(json);
  property.id = reader.String("id");
  property.name = reader.String("name");
  property.physical_name = reader.String("physicalName");
  property.physical_type = reader.String("physicalType");
  property.logical_type = reader.String("logicalType");
  property.description = reader.String("description");
  property.business_name = reader.String("businessName");
  property.classification = reader.String("classification");
  property.required = reader.Bool("required");
  property.unique = reader.Bool("unique");
  property.primary_key = reader.Bool("primaryKey");
  property.partitioned = reader.Bool("partitioned");
  property.critical_data_element = reader.Bool("criticalDataElement");
  property.primary_key_position = reader.Integer("primaryKeyPosition");
  property.partition_key_position = reader.Integer("partitionKeyPosition");
  property.logical_type_options = reader.Any("logicalTypeOptions");
  property.tags = ReadStrings(reader, "tags", &property.had_tags);
  property.quality = reader.Array<QualityRule>(
      "quality", Reader<QualityRule>(AppendPointer(pointer, "quality"), QualityRuleFromJson));
  property.had_quality = reader.HadArray("quality");
  property.relationships = reader.Array<Relationship>(
      "relationships",
      Reader<Relationship>(AppendPointer(pointer, "relationships"), RelationshipFromJson));
  property.had_relationships = reader.HadArray("relationships");
  property.properties = reader.Array<Property>(
      "properties", Reader<Property>(AppendPointer(pointer, "properties"), PropertyFromJson));
  property.had_properties = reader.HadArray("properties");
  Json items = reader.Any("items");
  if (items.is_object()) {
    property.items.push_back(PropertyFromJson(items, AppendPointer(pointer, "items")));
  }
  property.custom_properties = reader.Array<CustomProperty>(
      "customProperties",
      Reader<CustomProperty>(AppendPointer(pointer, "customProperties"), CustomPropertyFromJson));
  property.had_custom_properties = reader.HadArray("customProperties");
  Finish(property, reader, pointer);
  KeepRawStrings(json, "tags", property.had_tags, property.rest);
  if (!items.is_null() && !items.is_object()) property.rest["items"] = items;
  return property;
}

Json PropertyToJson(const Property& property) {
  FieldWriter writer;
  writer.Set("id", property.id);
  writer.Set("name", property.name);
  writer.Set("physicalName", property.physical_name);
  writer.Set("physicalType", property.physical_type);
  writer.Set("logicalType", property.logical_type);
  writer.Set("description", property.description);
  writer.Set("businessName", property.business_name);
  writer.Set("classification", property.classification);
  writer.Set("required", property.required);
  writer.Set("unique", property.unique);
  writer.Set("primaryKey", property.primary_key);
  writer.Set("partitioned", property.partitioned);
  writer.Set("criticalDataElement", property.critical_data_element);
  writer.Set("primaryKeyPosition", property.primary_key_position);
  writer.Set("partitionKeyPosition", property.partition_key_position);
  writer.Set("logicalTypeOptions", property.logical_type_options);
  writer.SetArray("tags", property.tags, property.had_tags,
                  [](const std::string& s) { return Json(s); });
  writer.SetArray("quality", property.quality, property.had_quality, QualityRuleToJson);
  writer.SetArray("relationships", property.relationships, property.had_relationships,
                  RelationshipToJson);
  writer.SetArray("properties", property.properties, property.had_properties, PropertyToJson);
  if (!property.items.empty()) writer.Set("items", PropertyToJson(property.items.front()));
  writer.SetArray("customProperties", property.custom_properties, property.had_custom_properties,
                  CustomPropertyToJson);
  return writer.Finish(property.rest, property.key_order);
}

Team TeamFromJson(const Json& json, const std::string& pointer) {
  Team team;
  team.pointer = pointer;
  if (json.is_null()) return team;
  team.present = true;
  if (json.is_array()) {
    team.is_member_list = true;
    team.had_members = true;
    std::size_t index = 0;
    for (const Json& item : json) {
      team.members.push_back(MemberFromJson(item, AppendPointer(pointer, index++)));
    }
    team.rest = nullptr;
    return team;
  }
  FieldReader reader(json);
  team.id = reader.String("id");
  team.name = reader.String("name");
  team.description = reader.String("description");
  team.members = reader.Array<TeamMember>(
      "members", Reader<TeamMember>(AppendPointer(pointer, "members"), MemberFromJson));
  team.had_members = reader.HadArray("members");
  Finish(team, reader, pointer);
  return team;
}

Json TeamToJson(const Team& team) {
  if (!team.present) return nullptr;
  if (team.is_member_list) {
    Json list = Json::array();
    for (const TeamMember& member : team.members) list.push_back(MemberToJson(member));
    return list;
  }
  FieldWriter writer;
  writer.Set("id", team.id);
  writer.Set("name", team.name);
  writer.Set("description", team.description);
  writer.SetArray("members", team.members, team.had_members, MemberToJson);
  return writer.Finish(team.rest, team.key_order);
}

namespace {

SchemaObject ObjectFromJson(const Json& json, const std::string& pointer) {
  SchemaObject object;
  FieldReader reader(json);
  object.id = reader.String("id");
  object.name = reader.String("name");
  object.physical_name = reader.String("physicalName");
  object.physical_type = reader.String("physicalType");
  object.logical_type = reader.String("logicalType");
  object.description = reader.String("description");
  object.business_name = reader.String("businessName");
  object.data_granularity_description = reader.String("dataGranularityDescription");
  object.tags = ReadStrings(reader, "tags", &object.had_tags);
  object.properties = reader.Array<Property>(
      "properties", Reader<Property>(AppendPointer(pointer, "properties"), PropertyFromJson));
  object.had_properties = reader.HadArray("properties");
  object.quality = reader.Array<QualityRule>(
      "quality", Reader<QualityRule>(AppendPointer(pointer, "quality"), QualityRuleFromJson));
  object.had_quality = reader.HadArray("quality");
  object.relationships = reader.Array<Relationship>(
      "relationships",
      Reader<Relationship>(AppendPointer(pointer, "relationships"), RelationshipFromJson));
  object.had_relationships = reader.HadArray("relationships");
  object.custom_properties = reader.Array<CustomProperty>(
      "customProperties",
      Reader<CustomProperty>(AppendPointer(pointer, "customProperties"), CustomPropertyFromJson));
  object.had_custom_properties = reader.HadArray("customProperties");
  Finish(object, reader, pointer);
  KeepRawStrings(json, "tags", object.had_tags, object.rest);
  return object;
}

Json ObjectToJson(const SchemaObject& object) {
  FieldWriter writer;
  writer.Set("id", object.id);
  writer.Set("name", object.name);
  writer.Set("physicalName", object.physical_name);
  writer.Set("physicalType", object.physical_type);
  writer.Set("logicalType", object.logical_type);
  writer.Set("description", object.description);
  writer.Set("businessName", object.business_name);
  writer.Set("dataGranularityDescription", object.data_granularity_description);
  writer.SetArray("tags", object.tags, object.had_tags,
                  [](const std::string& s) { return Json(s); });
  writer.SetArray("properties", object.properties, object.had_properties, PropertyToJson);
  writer.SetArray("quality", object.quality, object.had_quality, QualityRuleToJson);
  writer.SetArray("relationships", object.relationships, object.had_relationships,
                  RelationshipToJson);
  writer.SetArray("customProperties", object.custom_properties, object.had_custom_properties,
                  CustomPropertyToJson);
  return writer.Finish(object.rest, object.key_order);
}

}  // namespace

const Property* SchemaObject::FindProperty(std::string_view property_name) const {
  for (const Property& property : properties) {
    if (property.name && *property.name == property_name) return &property;
  }
  return nullptr;
}

const SchemaObject* Contract::FindObject(std::string_view object_name) const {
  for (const SchemaObject& object : schema) {
    if (object.name && *object.name == object_name) return &object;
  }
  return nullptr;
}

const SlaProperty* Contract::FindSla(std::string_view property_name) const {
  for (const SlaProperty& sla : sla_properties) {
    if (sla.property && *sla.property == property_name) return &sla;
  }
  return nullptr;
}

Contract ContractFromJson(const Json& json) {
  Contract contract;
  FieldReader reader(json);
  contract.api_version = reader.String("apiVersion");
  contract.kind = reader.String("kind");
  contract.id = reader.String("id");
  contract.name = reader.String("name");
  contract.version = reader.String("version");
  contract.status = reader.String("status");
  contract.domain = reader.String("domain");
  contract.data_product = reader.String("dataProduct");
  contract.tenant = reader.String("tenant");
  contract.contract_created_ts = reader.String("contractCreatedTs");
  contract.sla_default_element = reader.String("slaDefaultElement");
  contract.description = reader.Any("description");
  contract.tags = ReadStrings(reader, "tags", &contract.had_tags);
  contract.servers = reader.Array<Server>("servers", Reader<Server>("/servers", ServerFromJson));
  contract.had_servers = reader.HadArray("servers");
  contract.schema =
      reader.Array<SchemaObject>("schema", Reader<SchemaObject>("/schema", ObjectFromJson));
  contract.had_schema = reader.HadArray("schema");
  contract.sla_properties = reader.Array<SlaProperty>(
      "slaProperties", Reader<SlaProperty>("/slaProperties", SlaFromJson));
  contract.had_sla_properties = reader.HadArray("slaProperties");
  Json team = reader.Any("team");
  contract.team = TeamFromJson(team, "/team");
  contract.roles = reader.Array<Role>("roles", Reader<Role>("/roles", RoleFromJson));
  contract.had_roles = reader.HadArray("roles");
  contract.custom_properties = reader.Array<CustomProperty>(
      "customProperties", Reader<CustomProperty>("/customProperties", CustomPropertyFromJson));
  contract.had_custom_properties = reader.HadArray("customProperties");
  Finish(contract, reader, "");
  KeepRawStrings(json, "tags", contract.had_tags, contract.rest);
  if (!team.is_null() && !team.is_object() && !team.is_array()) {
    contract.team.present = false;
    contract.rest["team"] = team;
  }
  if (team.is_null() && contract.rest.contains("team")) contract.team.present = false;
  return contract;
}

Json ContractToJson(const Contract& contract) {
  FieldWriter writer;
  writer.Set("apiVersion", contract.api_version);
  writer.Set("kind", contract.kind);
  writer.Set("id", contract.id);
  writer.Set("name", contract.name);
  writer.Set("version", contract.version);
  writer.Set("status", contract.status);
  writer.Set("domain", contract.domain);
  writer.Set("dataProduct", contract.data_product);
  writer.Set("tenant", contract.tenant);
  writer.Set("contractCreatedTs", contract.contract_created_ts);
  writer.Set("slaDefaultElement", contract.sla_default_element);
  writer.Set("description", contract.description);
  writer.SetArray("tags", contract.tags, contract.had_tags,
                  [](const std::string& s) { return Json(s); });
  writer.SetArray("servers", contract.servers, contract.had_servers, ServerToJson);
  writer.SetArray("schema", contract.schema, contract.had_schema, ObjectToJson);
  writer.SetArray("slaProperties", contract.sla_properties, contract.had_sla_properties, SlaToJson);
  writer.Set("team", TeamToJson(contract.team));
  writer.SetArray("roles", contract.roles, contract.had_roles, RoleToJson);
  writer.SetArray("customProperties", contract.custom_properties, contract.had_custom_properties,
                  CustomPropertyToJson);
  return writer.Finish(contract.rest, contract.key_order);
}

}  // namespace quanta::model
