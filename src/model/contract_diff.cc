#include "model/contract_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/ascii.h"
#include "model/property_constraints.h"
#include "model/type_mapping.h"

namespace quanta::model {
namespace {

// Compares JSON values as data: the order of object keys does not matter.
bool SameData(const Json& a, const Json& b) {
  return nlohmann::json::parse(a.dump()) == nlohmann::json::parse(b.dump());
}

Json OptionalJson(const std::optional<std::string>& value) { return value ? Json(*value) : Json(); }

// A value for messages: strings bare, everything else as JSON.
std::string Show(const Json& value) {
  if (value.is_null()) return "(none)";
  if (value.is_string()) return "'" + value.get<std::string>() + "'";
  return value.dump();
}

std::string ShowList(const std::vector<Json>& values) {
  std::string text;
  for (const Json& value : values) {
    if (!text.empty()) text += ", ";
    text += Show(value);
  }
  return text;
}

// Why a change breaks each audience; an empty string means it does not break them.
struct Breaks {
  std::string consumer;
  std::string backward;  // readers of the new version reading data of the old one
  std::string forward;   // readers of the old version reading data of the new one
};

// What a property looks like for comparison.
bool IsObjectWithFields(const Property& property) {
  return property.logical_type.value_or("") == "object" && !property.properties.empty();
}
bool IsArray(const Property& property) { return property.logical_type.value_or("") == "array"; }

// Values in `a` that are not in `b`.
std::vector<Json> Missing(const std::vector<Json>& a, const std::vector<Json>& b) {
  std::set<std::string> in_b;
  for (const Json& value : b) in_b.insert(value.dump());
  std::vector<Json> missing;
  for (const Json& value : a) {
    if (!in_b.count(value.dump())) missing.push_back(value);
  }
  return missing;
}

// A quality rule as data, without the fields that say which values are valid (those are
// compared as enum values).
Json RuleWithoutValidValues(const QualityRule& rule) {
  Json json = QualityRuleToJson(rule);
  json.erase("validValues");
  if (json.contains("arguments") && json["arguments"].is_object()) {
    json["arguments"].erase("validValues");
    if (json["arguments"].empty()) json.erase("arguments");
  }
  return json;
}

// Names a quality rule for matching across versions and for messages.
std::string RuleLabel(const QualityRule& rule) {
  if (rule.id) return *rule.id;
  if (rule.name) return *rule.name;
  std::string type = rule.TypeName();
  if (type == "library") return rule.MetricName().empty() ? "library" : rule.MetricName();
  if (type == "sql" && rule.query) return "sql: " + *rule.query;
  if (rule.description) return type + ": " + *rule.description;
  return type;
}

Json StringsToJson(const std::vector<std::string>& values) {
  Json array = Json::array();
  for (const std::string& value : values) array.push_back(value);
  return array;
}

class Differ {
 public:
  explicit Differ(CompatibilityMode mode) : mode_(mode) {}

  std::vector<ContractChange> Run(const Contract& old_contract, const Contract& new_contract) {
    CompareContractFields(old_contract, new_contract);
    CompareObjects(old_contract, new_contract);
    CompareSla(old_contract, new_contract);
    return std::move(changes_);
  }

 private:
  bool IsBreaking(const Breaks& breaks, std::string* reason) const {
    switch (mode_) {
      case CompatibilityMode::kConsumer:
        *reason = breaks.consumer;
        break;
      case CompatibilityMode::kBackward:
      case CompatibilityMode::kBackwardTransitive:
        *reason = breaks.backward;
        break;
      case CompatibilityMode::kForward:
      case CompatibilityMode::kForwardTransitive:
        *reason = breaks.forward;
        break;
      case CompatibilityMode::kFull:
      case CompatibilityMode::kFullTransitive:
        *reason = breaks.backward.empty() ? breaks.forward : breaks.backward;
        break;
      case CompatibilityMode::kNone:
        reason->clear();
        break;
    }
    return !reason->empty();
  }

  void Add(ChangeKind kind, std::string path, Json old_value, Json new_value, std::string what,
           const Breaks& breaks, std::string old_pointer, std::string new_pointer) {
    ContractChange change;
    change.kind = kind;
    change.path = std::move(path);
    change.old_value = std::move(old_value);
    change.new_value = std::move(new_value);
    std::string reason;
    change.breaking = IsBreaking(breaks, &reason);
    change.explanation = change.breaking ? what + ": " + reason : std::move(what);
    change.old_pointer = std::move(old_pointer);
    change.new_pointer = std::move(new_pointer);
    changes_.push_back(std::move(change));
  }

  // Fields of two JSON objects not in `handled`, reported as metadata changes under `path`.
  void CompareRemainingFields(const Json& old_json, const Json& new_json,
                              const std::set<std::string>& handled, const std::string& path,
                              const std::string& old_pointer, const std::string& new_pointer) {
    std::vector<std::string> keys;
    std::unordered_set<std::string> seen;
    for (const Json* json : {&old_json, &new_json}) {
      if (!json->is_object()) continue;
      for (auto it = json->begin(); it != json->end(); ++it) {
        if (handled.count(it.key())) continue;
        if (seen.insert(it.key()).second) keys.push_back(it.key());
      }
    }
    for (const std::string& key : keys) {
      Json old_value = old_json.is_object() && old_json.contains(key) ? old_json[key] : Json();
      Json new_value = new_json.is_object() && new_json.contains(key) ? new_json[key] : Json();
      if (SameData(old_value, new_value)) continue;
      std::string field_path = path.empty() ? key : path + "." + key;
      std::string what = old_value.is_null()   ? key + " added"
                         : new_value.is_null() ? key + " removed"
                                               : key + " changed";
      if (old_value.is_primitive() && new_value.is_primitive() && !old_value.is_null() &&
          !new_value.is_null()) {
        what += fmt::format(" from {} to {}", Show(old_value), Show(new_value));
      }
      Add(ChangeKind::kMetadataChanged, field_path, old_value, new_value, what, {},
          old_value.is_null() ? "" : AppendPointer(old_pointer, key),
          new_value.is_null() ? "" : AppendPointer(new_pointer, key));
    }
  }

  void CompareContractFields(const Contract& old_contract, const Contract& new_contract) {
    if (old_contract.version != new_contract.version) {
      Add(ChangeKind::kVersionChanged, "version", OptionalJson(old_contract.version),
          OptionalJson(new_contract.version),
          fmt::format("version changed from {} to {}", Show(OptionalJson(old_contract.version)),
                      Show(OptionalJson(new_contract.version))),
          {}, "/version", "/version");
    }
    if (old_contract.status != new_contract.status) {
      Add(ChangeKind::kStatusChanged, "status", OptionalJson(old_contract.status),
          OptionalJson(new_contract.status),
          fmt::format("status changed from {} to {}", Show(OptionalJson(old_contract.status)),
                      Show(OptionalJson(new_contract.status))),
          {}, "/status", "/status");
    }
    if (!SameData(old_contract.description, new_contract.description)) {
      Add(ChangeKind::kDescriptionChanged, "description", old_contract.description,
          new_contract.description, "description changed", {}, "/description", "/description");
    }
    CompareRemainingFields(ContractToJson(old_contract), ContractToJson(new_contract),
                           {"version", "status", "description", "schema", "slaProperties"}, "", "",
                           "");
  }

  // The property names of an object, sorted: two objects with the same are likely a rename.
  static std::string FieldSignature(const SchemaObject& object) {
    std::vector<std::string> names;
    for (const Property& property : object.properties) {
      if (property.name) names.push_back(*property.name);
    }
    std::sort(names.begin(), names.end());
    std::string signature;
    for (const std::string& name : names) signature += name + '\n';
    return signature;
  }

  void CompareObjects(const Contract& old_contract, const Contract& new_contract) {
    std::unordered_map<std::string, const SchemaObject*> old_by_name, new_by_name;
    for (const SchemaObject& object : old_contract.schema) {
      if (object.name) old_by_name.emplace(*object.name, &object);
    }
    for (const SchemaObject& object : new_contract.schema) {
      if (object.name) new_by_name.emplace(*object.name, &object);
    }
    std::unordered_map<std::string, std::deque<const SchemaObject*>> added_by_signature;
    for (const SchemaObject& object : new_contract.schema) {
      if (object.name && !old_by_name.count(*object.name)) {
        added_by_signature[FieldSignature(object)].push_back(&object);
      }
    }
    // Removed objects first, each with a guess at a rename.
    for (const SchemaObject& old_object : old_contract.schema) {
      if (!old_object.name || new_by_name.count(*old_object.name)) continue;
      std::string what = fmt::format("schema object '{}' removed", *old_object.name);
      auto candidates = added_by_signature.find(FieldSignature(old_object));
      if (candidates != added_by_signature.end() && !candidates->second.empty()) {
        what += fmt::format(" (renamed to '{}'?)", *candidates->second.front()->name);
        candidates->second.pop_front();
      }
      Breaks breaks;
      breaks.consumer = "consumers reading it fail";
      breaks.forward = "readers of the old version expect its records";
      Add(ChangeKind::kObjectRemoved, ObjectPath(*old_object.name), Json(*old_object.name), Json(),
          what, breaks, old_object.pointer, "");
    }
    for (const SchemaObject& new_object : new_contract.schema) {
      if (!new_object.name || new_by_name[*new_object.name] != &new_object) continue;
      auto old_object = old_by_name.find(*new_object.name);
      if (old_object == old_by_name.end()) {
        Add(ChangeKind::kObjectAdded, ObjectPath(*new_object.name), Json(), Json(*new_object.name),
            fmt::format("schema object '{}' added", *new_object.name), {}, "", new_object.pointer);
        continue;
      }
      CompareObject(*old_object->second, new_object);
    }
  }

  static std::string ObjectPath(const std::string& name) { return "schema[" + name + "]"; }

  void CompareObject(const SchemaObject& old_object, const SchemaObject& new_object) {
    std::string path = ObjectPath(*new_object.name);
    if (old_object.description != new_object.description) {
      Add(ChangeKind::kDescriptionChanged, path + ".description",
          OptionalJson(old_object.description), OptionalJson(new_object.description),
          "description changed", {}, old_object.pointer, new_object.pointer);
    }
    std::vector<std::string> old_key = PrimaryKeyOf(old_object);
    std::vector<std::string> new_key = PrimaryKeyOf(new_object);
    if (old_key != new_key) {
      auto show = [](const std::vector<std::string>& key) {
        if (key.empty()) return std::string("(none)");
        std::string text = "(";
        for (std::size_t i = 0; i < key.size(); ++i) text += (i ? ", " : "") + key[i];
        return text + ")";
      };
      Breaks breaks;
      breaks.consumer = "consumers that look up, join or deduplicate rows by key get other rows";
      Add(ChangeKind::kPrimaryKeyChanged, path + ".primaryKey", StringsToJson(old_key),
          StringsToJson(new_key),
          fmt::format("primary key changed from {} to {}", show(old_key), show(new_key)), breaks,
          old_object.pointer, new_object.pointer);
    }
    ComparePropertyLists(old_object.properties, new_object.properties, path);
    CompareQuality(old_object.quality, new_object.quality, path);
    Json old_json = ObjectFieldsOf(old_object);
    Json new_json = ObjectFieldsOf(new_object);
    CompareRemainingFields(old_json, new_json, {"name", "description", "properties", "quality"},
                           path, old_object.pointer, new_object.pointer);
  }

  // A schema object's own fields, as JSON.
  static Json ObjectFieldsOf(const SchemaObject& object) {
    Contract holder;
    holder.schema.push_back(object);
    Json json = ContractToJson(holder);
    return json.contains("schema") ? json["schema"][0] : Json::object();
  }

  void ComparePropertyLists(const std::vector<Property>& old_list,
                            const std::vector<Property>& new_list, const std::string& parent_path) {
    // Indexes by name (the first property of a name wins, as everywhere in the model).
    auto index = [](const std::vector<Property>& list) {
      std::unordered_map<std::string, const Property*> by_name;
      for (const Property& property : list) {
        if (property.name) by_name.emplace(*property.name, &property);
      }
      return by_name;
    };
    std::unordered_map<std::string, const Property*> old_by_name = index(old_list);
    std::unordered_map<std::string, const Property*> new_by_name = index(new_list);
    // Properties that only one side has; a removed and an added one of the same type may be a
    // rename, which users should see named as such.
    std::vector<const Property*> removed, added;
    for (const Property& property : old_list) {
      if (property.name && !new_by_name.count(*property.name)) removed.push_back(&property);
    }
    std::unordered_map<std::string, std::deque<const Property*>> added_by_type;
    for (const Property& property : new_list) {
      if (property.name && !old_by_name.count(*property.name)) {
        added.push_back(&property);
        added_by_type[DuckdbTypeFor(property)].push_back(&property);
      }
    }
    std::unordered_map<const Property*, const Property*> rename_of_removed, rename_of_added;
    for (const Property* gone : removed) {
      auto candidates = added_by_type.find(DuckdbTypeFor(*gone));
      if (candidates == added_by_type.end() || candidates->second.empty()) continue;
      const Property* candidate = candidates->second.front();
      candidates->second.pop_front();
      rename_of_removed[gone] = candidate;
      rename_of_added[candidate] = gone;
    }
    for (const Property* gone : removed) {
      std::string what = fmt::format("property '{}' removed", *gone->name);
      auto renamed = rename_of_removed.find(gone);
      if (renamed != rename_of_removed.end()) {
        what += fmt::format(" (renamed to '{}'?)", *renamed->second->name);
      }
      Breaks breaks;
      breaks.consumer = "consumers that read it fail";
      if (gone->IsRequired()) {
        breaks.forward =
            "readers of the old version need it in every record (it is required and has no "
            "default)";
      }
      Add(ChangeKind::kPropertyRemoved, PropertyPath(parent_path, *gone->name), Json(*gone->name),
          Json(), what, breaks, gone->pointer, "");
    }
    for (const Property& new_property : new_list) {
      if (!new_property.name) continue;
      auto old_property = old_by_name.find(*new_property.name);
      if (old_property == old_by_name.end() || new_by_name[*new_property.name] != &new_property) {
        continue;
      }
      CompareProperty(*old_property->second, new_property,
                      PropertyPath(parent_path, *new_property.name));
    }
    for (const Property* fresh : added) {
      std::string what = fmt::format("property '{}' added", *fresh->name);
      auto renamed = rename_of_added.find(fresh);
      if (renamed != rename_of_added.end()) {
        what += fmt::format(" (renamed from '{}'?)", *renamed->second->name);
      }
      Breaks breaks;
      if (fresh->IsRequired()) {
        breaks.backward =
            "readers of the new version need it, but data written with the old version lacks it "
            "(make it optional with required: false)";
      }
      Add(ChangeKind::kPropertyAdded, PropertyPath(parent_path, *fresh->name), Json(),
          Json(*fresh->name), what, breaks, "", fresh->pointer);
    }
  }

  static std::string PropertyPath(const std::string& parent, const std::string& name) {
    return parent + ".properties[" + name + "]";
  }

  void CompareType(const Property& old_property, const Property& new_property,
                   const std::string& path) {
    // Nested values are compared field by field, so that the change is named where it is.
    if (IsObjectWithFields(old_property) && IsObjectWithFields(new_property)) {
      ComparePropertyLists(old_property.properties, new_property.properties, path);
      return;
    }
    if (IsArray(old_property) && IsArray(new_property) && !old_property.items.empty() &&
        !new_property.items.empty()) {
      CompareProperty(old_property.items.front(), new_property.items.front(), path + ".items");
      return;
    }
    std::string old_type = DuckdbTypeFor(old_property);
    std::string new_type = DuckdbTypeFor(new_property);
    if (old_type != new_type) {
      Breaks breaks;
      if (!IsSafeWidening(old_type, new_type)) {
        breaks.consumer =
            fmt::format("{} cannot hold every {} value consumers rely on", new_type, old_type);
        breaks.backward = fmt::format(
            "readers of the new version cannot read the old {} values as {}", old_type, new_type);
      }
      if (!IsSafeWidening(new_type, old_type)) {
        breaks.forward = fmt::format("readers of the old version cannot read {} values as {}",
                                     new_type, old_type);
      }
      Add(ChangeKind::kTypeChanged, path, Json(old_type), Json(new_type),
          fmt::format("type changed from {} to {}{}", old_type, new_type,
                      IsSafeWidening(old_type, new_type) ? ", a safe widening" : ""),
          breaks, old_property.pointer, new_property.pointer);
      return;
    }
    if (old_property.logical_type != new_property.logical_type) {
      Add(ChangeKind::kTypeChanged, path + ".logicalType", OptionalJson(old_property.logical_type),
          OptionalJson(new_property.logical_type),
          fmt::format("logicalType changed from {} to {}; the stored type stays {}",
                      Show(OptionalJson(old_property.logical_type)),
                      Show(OptionalJson(new_property.logical_type)), new_type),
          {}, old_property.pointer, new_property.pointer);
    }
    std::string old_physical = AsciiUpper(old_property.physical_type.value_or(""));
    std::string new_physical = AsciiUpper(new_property.physical_type.value_or(""));
    if (old_physical != new_physical) {
      Add(ChangeKind::kPhysicalTypeChanged, path + ".physicalType",
          OptionalJson(old_property.physical_type), OptionalJson(new_property.physical_type),
          fmt::format("physicalType changed from {} to {}; the stored type stays {}",
                      Show(OptionalJson(old_property.physical_type)),
                      Show(OptionalJson(new_property.physical_type)), new_type),
          {}, old_property.pointer, new_property.pointer);
    }
  }

  void CompareProperty(const Property& old_property, const Property& new_property,
                       const std::string& path) {
    const std::string& old_pointer = old_property.pointer;
    const std::string& new_pointer = new_property.pointer;
    CompareType(old_property, new_property, path);

    if (old_property.IsRequired() && !new_property.IsRequired()) {
      Breaks breaks;
      breaks.consumer = "consumers may now receive nulls";
      breaks.forward = "readers of the old version expect a value in every record";
      Add(ChangeKind::kRequiredRemoved, path + ".required", Json(true), Json(false),
          "property became optional", breaks, old_pointer, new_pointer);
    } else if (!old_property.IsRequired() && new_property.IsRequired()) {
      Breaks breaks;
      breaks.backward =
          "data written with the old version may hold nulls, which readers of the new version "
          "refuse";
      Add(ChangeKind::kRequiredAdded, path + ".required", Json(false), Json(true),
          "property became required", breaks, old_pointer, new_pointer);
    }

    CompareEnums(old_property, new_property, path);

    if (old_property.unique.value_or(false) != new_property.unique.value_or(false)) {
      bool now = new_property.unique.value_or(false);
      Add(ChangeKind::kUniqueChanged, path + ".unique", Json(!now), Json(now),
          now ? "values became unique" : "values are no longer promised to be unique", {},
          old_pointer, new_pointer);
    }
    if (old_property.description != new_property.description) {
      Add(ChangeKind::kDescriptionChanged, path + ".description",
          OptionalJson(old_property.description), OptionalJson(new_property.description),
          "description changed", {}, old_pointer, new_pointer);
    }
    if (old_property.classification != new_property.classification) {
      Add(ChangeKind::kClassificationChanged, path + ".classification",
          OptionalJson(old_property.classification), OptionalJson(new_property.classification),
          fmt::format("classification changed from {} to {}",
                      Show(OptionalJson(old_property.classification)),
                      Show(OptionalJson(new_property.classification))),
          {}, old_pointer, new_pointer);
    }
    CompareOptions(old_property, new_property, path);
    CompareQuality(old_property.quality, new_property.quality, path);

    Json old_json = PropertyToJson(old_property);
    Json new_json = PropertyToJson(new_property);
    CompareRemainingFields(old_json, new_json,
                           {"name", "logicalType", "physicalType", "logicalTypeOptions", "required",
                            "unique", "primaryKey", "primaryKeyPosition", "description",
                            "classification", "quality", "properties", "items"},
                           path, old_pointer, new_pointer);
  }

  void CompareEnums(const Property& old_property, const Property& new_property,
                    const std::string& path) {
    std::optional<std::vector<Json>> old_values = ValidValuesOf(old_property);
    std::optional<std::vector<Json>> new_values = ValidValuesOf(new_property);
    if (!old_values && !new_values) return;
    const std::string& old_pointer = old_property.pointer;
    const std::string& new_pointer = new_property.pointer;
    auto to_json = [](const std::vector<Json>& values) {
      Json array = Json::array();
      for (const Json& value : values) array.push_back(value);
      return array;
    };
    if (old_values && !new_values) {
      Breaks breaks;
      breaks.forward = "readers of the old version accept only the listed values";
      Add(ChangeKind::kEnumConstraintRemoved, path + ".validValues", to_json(*old_values), Json(),
          "values are no longer limited to a fixed list", breaks, old_pointer, new_pointer);
      return;
    }
    if (!old_values && new_values) {
      Breaks breaks;
      breaks.consumer = "values consumers could see before are no longer allowed";
      breaks.backward = "data written with the old version may hold values outside the list";
      Add(ChangeKind::kEnumConstraintAdded, path + ".validValues", Json(), to_json(*new_values),
          fmt::format("values limited to {}", ShowList(*new_values)), breaks, old_pointer,
          new_pointer);
      return;
    }
    std::vector<Json> removed = Missing(*old_values, *new_values);
    std::vector<Json> added = Missing(*new_values, *old_values);
    if (!removed.empty()) {
      Breaks breaks;
      breaks.consumer = "consumers that handle these values lose them";
      breaks.backward = "data written with the old version may hold them";
      Add(ChangeKind::kEnumValuesRemoved, path + ".validValues", to_json(removed), Json(),
          fmt::format("allowed values removed: {}", ShowList(removed)), breaks, old_pointer,
          new_pointer);
    }
    if (!added.empty()) {
      Breaks breaks;
      breaks.forward = "readers of the old version do not know them";
      Add(ChangeKind::kEnumValuesAdded, path + ".validValues", Json(), to_json(added),
          fmt::format("allowed values added: {}", ShowList(added)), breaks, old_pointer,
          new_pointer);
    }
  }

  void CompareOptions(const Property& old_property, const Property& new_property,
                      const std::string& path) {
    const Json& old_options = old_property.logical_type_options;
    const Json& new_options = new_property.logical_type_options;
    std::vector<std::string> keys;
    std::unordered_set<std::string> seen;
    for (const Json* options : {&old_options, &new_options}) {
      if (!options->is_object()) continue;
      for (auto it = options->begin(); it != options->end(); ++it) {
        if (it.key() == "enum") continue;  // compared as enum values
        if (seen.insert(it.key()).second) keys.push_back(it.key());
      }
    }
    for (const std::string& key : keys) {
      Json old_value =
          old_options.is_object() && old_options.contains(key) ? old_options[key] : Json();
      Json new_value =
          new_options.is_object() && new_options.contains(key) ? new_options[key] : Json();
      if (SameData(old_value, new_value)) continue;
      Add(ChangeKind::kConstraintChanged, path + ".logicalTypeOptions." + key, old_value, new_value,
          fmt::format("{} changed from {} to {}", key, Show(old_value), Show(new_value)), {},
          old_property.pointer, new_property.pointer);
    }
  }

  void CompareQuality(const std::vector<QualityRule>& old_rules,
                      const std::vector<QualityRule>& new_rules, const std::string& path) {
    // Rules are matched by id, else name, else what they measure; repeated labels by order.
    auto keyed = [](const std::vector<QualityRule>& rules) {
      std::vector<std::pair<std::string, const QualityRule*>> result;
      std::map<std::string, int> seen;
      for (const QualityRule& rule : rules) {
        std::string label = RuleLabel(rule);
        int count = seen[label]++;
        result.push_back({count ? label + "#" + std::to_string(count + 1) : label, &rule});
      }
      return result;
    };
    auto old_keyed = keyed(old_rules);
    auto new_keyed = keyed(new_rules);
    auto index = [](const auto& list) {
      std::unordered_map<std::string, const QualityRule*> by_label;
      for (const auto& [label, rule] : list) by_label.emplace(label, rule);
      return by_label;
    };
    auto old_by_label = index(old_keyed);
    auto new_by_label = index(new_keyed);
    auto find = [](const auto& by_label, const std::string& key) -> const QualityRule* {
      auto it = by_label.find(key);
      return it == by_label.end() ? nullptr : it->second;
    };
    for (const auto& [label, rule] : old_keyed) {
      if (find(new_by_label, label)) continue;
      Add(ChangeKind::kQualityRuleRemoved, path + ".quality[" + label + "]",
          QualityRuleToJson(*rule), Json(), fmt::format("quality rule '{}' removed", label), {},
          rule->pointer, "");
    }
    for (const auto& [label, rule] : new_keyed) {
      const QualityRule* old_rule = find(old_by_label, label);
      if (old_rule == nullptr) {
        Add(ChangeKind::kQualityRuleAdded, path + ".quality[" + label + "]", Json(),
            QualityRuleToJson(*rule), fmt::format("quality rule '{}' added", label), {}, "",
            rule->pointer);
        continue;
      }
      if (!SameData(RuleWithoutValidValues(*old_rule), RuleWithoutValidValues(*rule))) {
        Add(ChangeKind::kQualityRuleChanged, path + ".quality[" + label + "]",
            QualityRuleToJson(*old_rule), QualityRuleToJson(*rule),
            fmt::format("quality rule '{}' changed", label), {}, old_rule->pointer, rule->pointer);
      }
    }
  }

  // SLA properties are matched by property name, element and driver.
  static std::string SlaKey(const SlaProperty& sla) {
    std::string key = sla.property.value_or("?");
    if (sla.element) key += "@" + *sla.element;
    if (sla.driver) key += "#" + *sla.driver;
    return key;
  }

  static bool SameSla(const SlaProperty& a, const SlaProperty& b) {
    return SameData(a.value, b.value) && SameData(a.value_ext, b.value_ext) && a.unit == b.unit &&
           a.description == b.description && SameData(a.rest, b.rest) && a.id == b.id;
  }

  static Json SlaValue(const SlaProperty& sla) {
    Json value = Json::object();
    value["value"] = sla.value;
    if (sla.unit) value["unit"] = *sla.unit;
    return value;
  }

  static std::string ShowSla(const SlaProperty& sla) {
    std::string text = sla.value.is_string() ? sla.value.get<std::string>() : sla.value.dump();
    if (sla.unit) text += " " + *sla.unit;
    return text;
  }

  void CompareSla(const Contract& old_contract, const Contract& new_contract) {
    auto index = [](const Contract& contract) {
      std::unordered_map<std::string, const SlaProperty*> by_key;
      for (const SlaProperty& sla : contract.sla_properties) by_key.emplace(SlaKey(sla), &sla);
      return by_key;
    };
    auto old_by_key = index(old_contract);
    auto new_by_key = index(new_contract);
    auto find = [](const auto& by_key, const std::string& key) -> const SlaProperty* {
      auto it = by_key.find(key);
      return it == by_key.end() ? nullptr : it->second;
    };
    for (const SlaProperty& old_sla : old_contract.sla_properties) {
      std::string key = SlaKey(old_sla);
      if (find(new_by_key, key)) continue;
      std::string name = AsciiLower(old_sla.property.value_or(""));
      Breaks breaks;
      if (name == "retention") breaks.consumer = "consumers are no longer promised any history";
      if (name == "latency") breaks.consumer = "consumers are no longer promised fresh data";
      Add(ChangeKind::kSlaRemoved, "slaProperties[" + key + "]", SlaValue(old_sla), Json(),
          fmt::format("SLA property '{}' ({}) removed", old_sla.property.value_or("?"),
                      ShowSla(old_sla)),
          breaks, old_sla.pointer, "");
    }
    for (const SlaProperty& new_sla : new_contract.sla_properties) {
      std::string key = SlaKey(new_sla);
      std::string path = "slaProperties[" + key + "]";
      const SlaProperty* old_sla = find(old_by_key, key);
      if (old_sla == nullptr) {
        Add(ChangeKind::kSlaAdded, path, Json(), SlaValue(new_sla),
            fmt::format("SLA property '{}' ({}) added", new_sla.property.value_or("?"),
                        ShowSla(new_sla)),
            {}, "", new_sla.pointer);
        continue;
      }
      if (SameSla(*old_sla, new_sla)) continue;
      std::string name = AsciiLower(new_sla.property.value_or(""));
      if (name == "retention" || name == "latency") {
        DurationScale scale =
            name == "retention" ? DurationScale::kRetention : DurationScale::kLatency;
        std::optional<double> before = SlaDurationSeconds(old_sla->value, old_sla->unit, scale);
        std::optional<double> after = SlaDurationSeconds(new_sla.value, new_sla.unit, scale);
        if (before && after) {
          double tolerance = 1e-9 * std::max(std::fabs(*before), std::fabs(*after));
          std::string from_to = fmt::format("from {} to {}", ShowSla(*old_sla), ShowSla(new_sla));
          if (std::fabs(*before - *after) > tolerance) {
            bool longer = *after > *before;
            Breaks breaks;
            ChangeKind kind;
            std::string what;
            if (name == "retention") {
              kind = longer ? ChangeKind::kRetentionLengthened : ChangeKind::kRetentionShortened;
              what = (longer ? "retention lengthened " : "retention shortened ") + from_to;
              if (!longer) breaks.consumer = "consumers can read and replay less history";
            } else {
              kind = longer ? ChangeKind::kLatencyRaised : ChangeKind::kLatencyLowered;
              what = (longer ? "latency raised " : "latency lowered ") + from_to;
              if (longer) breaks.consumer = "data reaches consumers later than promised";
            }
            Add(kind, path, SlaValue(*old_sla), SlaValue(new_sla), what, breaks, old_sla->pointer,
                new_sla.pointer);
            continue;
          }
          if (SameData(old_sla->value_ext, new_sla.value_ext) &&
              old_sla->description == new_sla.description &&
              SameData(old_sla->rest, new_sla.rest)) {
            continue;  // the same duration written in other units
          }
        } else {
          Add(ChangeKind::kSlaChanged, path, SlaValue(*old_sla), SlaValue(new_sla),
              fmt::format("{} changed from {} to {}; the durations cannot be compared (units: "
                          "ms, s, min, h, d, w, mo, y, or an ISO 8601 duration such as P3Y)",
                          name, ShowSla(*old_sla), ShowSla(new_sla)),
              {}, old_sla->pointer, new_sla.pointer);
          continue;
        }
      }
      Add(ChangeKind::kSlaChanged, path, SlaValue(*old_sla), SlaValue(new_sla),
          fmt::format("SLA property '{}' changed from {} to {}", new_sla.property.value_or("?"),
                      ShowSla(*old_sla), ShowSla(new_sla)),
          {}, old_sla->pointer, new_sla.pointer);
    }
  }

  CompatibilityMode mode_;
  std::vector<ContractChange> changes_;
};

struct ModeName {
  CompatibilityMode mode;
  std::string_view name;
};

constexpr ModeName kModeNames[] = {
    {CompatibilityMode::kConsumer, "CONSUMER"},
    {CompatibilityMode::kBackward, "BACKWARD"},
    {CompatibilityMode::kBackwardTransitive, "BACKWARD_TRANSITIVE"},
    {CompatibilityMode::kForward, "FORWARD"},
    {CompatibilityMode::kForwardTransitive, "FORWARD_TRANSITIVE"},
    {CompatibilityMode::kFull, "FULL"},
    {CompatibilityMode::kFullTransitive, "FULL_TRANSITIVE"},
    {CompatibilityMode::kNone, "NONE"},
};

// Parses ISO 8601 durations such as "P3Y6M", "P2W", "PT15M", "P1DT12H" into seconds.
std::optional<double> IsoDurationSeconds(std::string_view text) {
  if (text.size() < 2 || (text[0] != 'P' && text[0] != 'p')) return std::nullopt;
  constexpr double kDay = 86400.0;
  double total = 0;
  bool in_time = false;
  bool any = false;
  std::size_t i = 1;
  while (i < text.size()) {
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    if (c == 'T') {
      in_time = true;
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) ||
                               text[i] == '.' || text[i] == ',')) {
      ++i;
    }
    if (start == i || i >= text.size()) return std::nullopt;
    std::string number(text.substr(start, i - start));
    std::replace(number.begin(), number.end(), ',', '.');
    double amount = std::strtod(number.c_str(), nullptr);
    char designator = static_cast<char>(std::toupper(static_cast<unsigned char>(text[i++])));
    double unit = 0;
    if (!in_time && designator == 'Y')
      unit = 365 * kDay;
    else if (!in_time && designator == 'M')
      unit = 365 * kDay / 12;
    else if (!in_time && designator == 'W')
      unit = 7 * kDay;
    else if (!in_time && designator == 'D')
      unit = kDay;
    else if (in_time && designator == 'H')
      unit = 3600;
    else if (in_time && designator == 'M')
      unit = 60;
    else if (in_time && designator == 'S')
      unit = 1;
    else
      return std::nullopt;
    total += amount * unit;
    any = true;
  }
  if (!any) return std::nullopt;
  return total;
}

}  // namespace

Result<CompatibilityMode> ParseCompatibilityMode(std::string_view text) {
  std::string wanted = AsciiUpper(text);
  std::replace(wanted.begin(), wanted.end(), '-', '_');
  std::string names;
  for (const ModeName& entry : kModeNames) {
    if (wanted == entry.name) return entry.mode;
    if (!names.empty()) names += ", ";
    names += entry.name;
  }
  return Status::Usage("unknown compatibility mode '{}'; use one of {}", text, names);
}

std::string_view CompatibilityModeName(CompatibilityMode mode) {
  for (const ModeName& entry : kModeNames) {
    if (entry.mode == mode) return entry.name;
  }
  return "?";
}

bool IsTransitive(CompatibilityMode mode) {
  return mode == CompatibilityMode::kBackwardTransitive ||
         mode == CompatibilityMode::kForwardTransitive ||
         mode == CompatibilityMode::kFullTransitive;
}

std::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kObjectRemoved:
      return "object-removed";
    case ChangeKind::kObjectAdded:
      return "object-added";
    case ChangeKind::kPropertyRemoved:
      return "property-removed";
    case ChangeKind::kPropertyAdded:
      return "property-added";
    case ChangeKind::kTypeChanged:
      return "type-changed";
    case ChangeKind::kPhysicalTypeChanged:
      return "physical-type-changed";
    case ChangeKind::kRequiredAdded:
      return "required-added";
    case ChangeKind::kRequiredRemoved:
      return "required-removed";
    case ChangeKind::kEnumValuesRemoved:
      return "enum-values-removed";
    case ChangeKind::kEnumValuesAdded:
      return "enum-values-added";
    case ChangeKind::kEnumConstraintAdded:
      return "enum-constraint-added";
    case ChangeKind::kEnumConstraintRemoved:
      return "enum-constraint-removed";
    case ChangeKind::kPrimaryKeyChanged:
      return "primary-key-changed";
    case ChangeKind::kUniqueChanged:
      return "unique-changed";
    case ChangeKind::kConstraintChanged:
      return "constraint-changed";
    case ChangeKind::kQualityRuleAdded:
      return "quality-rule-added";
    case ChangeKind::kQualityRuleRemoved:
      return "quality-rule-removed";
    case ChangeKind::kQualityRuleChanged:
      return "quality-rule-changed";
    case ChangeKind::kRetentionShortened:
      return "retention-shortened";
    case ChangeKind::kRetentionLengthened:
      return "retention-lengthened";
    case ChangeKind::kLatencyRaised:
      return "latency-raised";
    case ChangeKind::kLatencyLowered:
      return "latency-lowered";
    case ChangeKind::kSlaAdded:
      return "sla-added";
    case ChangeKind::kSlaRemoved:
      return "sla-removed";
    case ChangeKind::kSlaChanged:
      return "sla-changed";
    case ChangeKind::kDescriptionChanged:
      return "description-changed";
    case ChangeKind::kClassificationChanged:
      return "classification-changed";
    case ChangeKind::kVersionChanged:
      return "version-changed";
    case ChangeKind::kStatusChanged:
      return "status-changed";
    case ChangeKind::kMetadataChanged:
      return "metadata-changed";
  }
  return "changed";
}

std::vector<ContractChange> DiffContracts(const Contract& old_contract,
                                          const Contract& new_contract, CompatibilityMode mode) {
  return Differ(mode).Run(old_contract, new_contract);
}

std::size_t CountBreaking(const std::vector<ContractChange>& changes) {
  return static_cast<std::size_t>(
      std::count_if(changes.begin(), changes.end(),
                    [](const ContractChange& change) { return change.breaking; }));
}

Json ChangeToJson(const ContractChange& change) {
  Json json = Json::object();
  json["kind"] = std::string(ChangeKindName(change.kind));
  json["path"] = change.path;
  json["breaking"] = change.breaking;
  json["severity"] = change.breaking ? "breaking" : "info";
  json["old"] = change.old_value;
  json["new"] = change.new_value;
  json["explanation"] = change.explanation;
  return json;
}

std::optional<double> SlaDurationSeconds(const Json& value, const std::optional<std::string>& unit,
                                         DurationScale scale) {
  double amount;
  std::string name = unit ? AsciiLower(*unit) : "";
  if (value.is_number()) {
    amount = value.get<double>();
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (!unit && !text.empty() && (text[0] == 'P' || text[0] == 'p')) {
      return IsoDurationSeconds(text);
    }
    char* end = nullptr;
    amount = std::strtod(text.c_str(), &end);
    if (end == text.c_str()) return std::nullopt;
    // The unit may be written in the value: "3y", "90 days".
    std::string suffix = AsciiLower(std::string_view(end));
    suffix.erase(0, suffix.find_first_not_of(' '));
    if (!suffix.empty()) {
      if (unit) return std::nullopt;
      name = suffix;
    }
  } else {
    return std::nullopt;
  }
  if (name.empty()) return std::nullopt;
  constexpr double kMinute = 60, kHour = 3600, kDay = 86400;
  double seconds;
  if (name == "ms" || name == "millisecond" || name == "milliseconds")
    seconds = 0.001;
  else if (name == "s" || name == "sec" || name == "secs" || name == "second" || name == "seconds")
    seconds = 1;
  else if (name == "min" || name == "mins" || name == "minute" || name == "minutes")
    seconds = kMinute;
  else if (name == "h" || name == "hr" || name == "hrs" || name == "hour" || name == "hours")
    seconds = kHour;
  else if (name == "d" || name == "day" || name == "days")
    seconds = kDay;
  else if (name == "w" || name == "wk" || name == "week" || name == "weeks")
    seconds = 7 * kDay;
  else if (name == "mo" || name == "mon" || name == "month" || name == "months")
    seconds = 365 * kDay / 12;
  else if (name == "y" || name == "yr" || name == "yrs" || name == "year" || name == "years")
    seconds = 365 * kDay;
  else if (name == "m")
    seconds = scale == DurationScale::kRetention ? 365 * kDay / 12 : kMinute;
  else
    return std::nullopt;
  return amount * seconds;
}

}  // namespace quanta::model
