#include "model/meaning_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "model/product_name.h"

namespace quanta::model {
namespace {

const std::set<std::string>& LibraryMetrics() {
  static const std::set<std::string> kMetrics = {"rowCount", "nullValues", "missingValues",
                                                 "invalidValues", "duplicateValues"};
  return kMetrics;
}

class Reporter {
 public:
  Reporter(const Document& document, std::vector<Diagnostic>* diagnostics)
      : document_(document), diagnostics_(diagnostics) {}

  void Error(const std::string& pointer, std::string rule, std::string message,
             std::string hint = "") {
    Add(Severity::kError, pointer, std::move(rule), std::move(message), std::move(hint));
  }
  void Warning(const std::string& pointer, std::string rule, std::string message,
               std::string hint = "") {
    Add(Severity::kWarning, pointer, std::move(rule), std::move(message), std::move(hint));
  }

 private:
  void Add(Severity severity, const std::string& pointer, std::string rule, std::string message,
           std::string hint) {
    Diagnostic diagnostic;
    diagnostic.severity = severity;
    diagnostic.rule = "meaning/" + rule;
    diagnostic.location = document_.Locate(pointer);
    diagnostic.message = std::move(message);
    diagnostic.hint = std::move(hint);
    diagnostics_->push_back(std::move(diagnostic));
  }

  const Document& document_;
  std::vector<Diagnostic>* diagnostics_;
};

// "object.property" or "property" (relative to `current_object`) -> (object, property path).
std::pair<std::string, std::string> SplitReference(const std::string& reference,
                                                   const std::string& current_object) {
  std::size_t dot = reference.find('.');
  if (dot == std::string::npos) return {current_object, reference};
  return {reference.substr(0, dot), reference.substr(dot + 1)};
}

// Finds a property by dotted path (nested object fields) in an object.
const Property* FindPropertyPath(const SchemaObject& object, const std::string& path) {
  const std::vector<Property>* level = &object.properties;
  const Property* found = nullptr;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    std::string name =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    found = nullptr;
    for (const Property& property : *level) {
      if (property.name && *property.name == name) found = &property;
    }
    if (!found) return nullptr;
    if (dot == std::string::npos) break;
    level = &found->properties;
    start = dot + 1;
  }
  return found;
}

std::vector<std::string> ReferenceList(const Json& value) {
  std::vector<std::string> references;
  if (value.is_string()) references.push_back(value.get<std::string>());
  if (value.is_array()) {
    for (const Json& item : value) {
      if (item.is_string()) references.push_back(item.get<std::string>());
    }
  }
  return references;
}

class ContractChecker {
 public:
  ContractChecker(const ContractFile& file, std::vector<Diagnostic>* diagnostics)
      : contract_(file.contract), report_(file.document, diagnostics) {}

  void Run() {
    std::map<std::string, std::string> object_names;
    for (const SchemaObject& object : contract_.schema) {
      CollectId(object.id, object.pointer);
      if (object.name) {
        auto [it, inserted] = object_names.emplace(*object.name, object.pointer);
        if (!inserted) {
          report_.Error(AppendPointer(object.pointer, "name"), "duplicate-object",
                        fmt::format("schema object '{}' is declared twice", *object.name),
                        "each object of a contract needs its own name");
        }
      }
      CheckProperties(object, object.properties, object.pointer);
      CheckPrimaryKey(object);
      for (const Relationship& relationship : object.relationships) {
        CheckRelationship(object, relationship, nullptr);
      }
      for (const QualityRule& rule : object.quality) CheckQualityRule(rule, /*on_property=*/false);
    }
    for (const SlaProperty& sla : contract_.sla_properties) CollectId(sla.id, sla.pointer);
    for (const Role& role : contract_.roles) CollectId(role.id, role.pointer);
  }

 private:
  void CollectId(const std::optional<std::string>& id, const std::string& pointer) {
    if (!id) return;
    auto [it, inserted] = ids_.emplace(*id, pointer);
    if (!inserted) {
      report_.Error(AppendPointer(pointer, "id"), "duplicate-id",
                    fmt::format("id '{}' is used twice in this contract (first at {})", *id,
                                PointerToFieldPath(it->second)),
                    "ids must be unique within a contract");
    }
  }

  void CheckProperties(const SchemaObject& object, const std::vector<Property>& properties,
                       const std::string& owner_pointer) {
    std::map<std::string, std::string> names;
    for (const Property& property : properties) {
      CollectId(property.id, property.pointer);
      if (property.name) {
        auto [it, inserted] = names.emplace(*property.name, property.pointer);
        if (!inserted) {
          report_.Error(AppendPointer(property.pointer, "name"), "duplicate-property",
                        fmt::format("property '{}' is declared twice in '{}'", *property.name,
                                    object.name.value_or("?")),
                        fmt::format("the first one is at {}", PointerToFieldPath(it->second)));
        }
      }
      for (const Relationship& relationship : property.relationships) {
        CheckRelationship(object, relationship, &property);
      }
      for (const QualityRule& rule : property.quality) CheckQualityRule(rule, /*on_property=*/true);
      CheckProperties(object, property.properties, property.pointer);
      for (const Property& item : property.items) {
        CheckProperties(object, item.properties, item.pointer);
      }
    }
  }

  void CheckPrimaryKey(const SchemaObject& object) {
    std::map<std::int64_t, const Property*> positions;
    for (const Property& property : object.properties) {
      bool has_position = property.primary_key_position && *property.primary_key_position > 0;
      if (has_position && !property.IsPrimaryKey()) {
        report_.Error(AppendPointer(property.pointer, "primaryKeyPosition"), "primary-key",
                      fmt::format("'{}' has a primaryKeyPosition but is not a primary key",
                                  property.name.value_or("?")),
                      "set primaryKey: true, or remove primaryKeyPosition");
      }
      if (property.IsPrimaryKey() && has_position) {
        auto [it, inserted] = positions.emplace(*property.primary_key_position, &property);
        if (!inserted) {
          report_.Error(AppendPointer(property.pointer, "primaryKeyPosition"), "primary-key",
                        fmt::format("primaryKeyPosition {} is used by both '{}' and '{}'",
                                    *property.primary_key_position, it->second->name.value_or("?"),
                                    property.name.value_or("?")));
        }
      }
      if (property.IsPrimaryKey() && property.required && !*property.required) {
        report_.Warning(
            AppendPointer(property.pointer, "required"), "primary-key",
            fmt::format("primary key '{}' is marked required: false", property.name.value_or("?")),
            "a primary key can never be null; set required: true");
      }
    }
  }

  void CheckRelationship(const SchemaObject& object, const Relationship& relationship,
                         const Property* on_property) {
    std::string object_name = object.name.value_or("");
    std::vector<std::string> from = ReferenceList(relationship.from);
    if (on_property) {
      if (on_property->name) from = {object_name + "." + *on_property->name};
    } else if (from.empty()) {
      report_.Error(
          relationship.pointer, "relationship", "a relationship at object level needs 'from'",
          "name the properties of this object it starts from, e.g. from: orders.customer_id");
    }
    for (std::size_t i = 0; i < from.size() && !on_property; ++i) {
      auto [from_object, from_property] = SplitReference(from[i], object_name);
      const SchemaObject* target = contract_.FindObject(from_object);
      std::string pointer = relationship.from.is_array()
                                ? AppendPointer(AppendPointer(relationship.pointer, "from"), i)
                                : AppendPointer(relationship.pointer, "from");
      if (!target || !FindPropertyPath(*target, from_property)) {
        report_.Error(pointer, "relationship",
                      fmt::format("relationship starts from '{}', which is not a property of "
                                  "this contract",
                                  from[i]),
                      "'from' must name existing properties as object.property");
      }
    }
    std::vector<std::string> to = ReferenceList(relationship.to);
    if (to.empty()) {
      report_.Error(relationship.pointer, "relationship", "a relationship needs 'to'",
                    "name the referenced properties as object.property");
    }
    if (!from.empty() && !to.empty() && from.size() != to.size()) {
      report_.Error(
          AppendPointer(relationship.pointer, "to"), "relationship",
          fmt::format("'from' names {} properties but 'to' names {}", from.size(), to.size()),
          "a composite key pairs each 'from' property with one 'to' property");
    }
    for (std::size_t i = 0; i < to.size(); ++i) {
      std::string pointer = relationship.to.is_array()
                                ? AppendPointer(AppendPointer(relationship.pointer, "to"), i)
                                : AppendPointer(relationship.pointer, "to");
      if (i < from.size() && to[i] == from[i]) {
        report_.Error(pointer, "relationship",
                      fmt::format("relationship from '{}' points at itself", from[i]),
                      "a foreign key must reference another property");
        continue;
      }
      std::size_t dot = to[i].find('.');
      if (dot == std::string::npos) continue;  // another contract's element by id: not checkable
      std::string to_object = to[i].substr(0, dot);
      const SchemaObject* target = contract_.FindObject(to_object);
      if (!target) continue;  // points into another contract
      if (!FindPropertyPath(*target, to[i].substr(dot + 1))) {
        report_.Error(pointer, "relationship",
                      fmt::format("relationship points at '{}', but object '{}' has no such "
                                  "property",
                                  to[i], to_object));
      }
    }
  }

  void CheckQualityRule(const QualityRule& rule, bool on_property) {
    CollectId(rule.id, rule.pointer);
    std::string type = rule.TypeName();
    if (type == "library") {
      std::string metric = rule.MetricName();
      if (metric.empty()) {
        report_.Error(rule.pointer, "quality-metric", "a library quality rule needs a 'metric'",
                      "one of rowCount, nullValues, missingValues, invalidValues, duplicateValues");
        return;
      }
      if (!LibraryMetrics().count(metric)) {
        report_.Error(AppendPointer(rule.pointer, rule.metric ? "metric" : "rule"),
                      "quality-metric", fmt::format("unknown library metric '{}'", metric),
                      "one of rowCount, nullValues, missingValues, invalidValues, duplicateValues");
        return;
      }
      if (metric == "rowCount" && on_property) {
        report_.Error(rule.pointer, "quality-metric",
                      "rowCount measures a whole object; put it in the object's quality list");
      }
      if ((metric == "nullValues" || metric == "missingValues" || metric == "invalidValues") &&
          !on_property) {
        report_.Error(rule.pointer, "quality-metric",
                      fmt::format("{} measures one property; put it in that property's quality "
                                  "list",
                                  metric));
      }
      if (metric == "invalidValues") {
        const Json& arguments = rule.arguments;
        bool has_arguments = (arguments.is_object() && (arguments.contains("validValues") ||
                                                        arguments.contains("pattern"))) ||
                             !rule.valid_values.is_null();
        if (!has_arguments) {
          report_.Error(
              rule.pointer, "quality-metric",
              "invalidValues needs arguments.validValues or arguments.pattern",
              "e.g. arguments: {validValues: [a, b]} or arguments: {pattern: '^[A-Z]+$'}");
        }
      }
      if (metric == "rowCount" && !HasOperator(rule)) {
        report_.Error(rule.pointer, "quality-operator",
                      "rowCount needs an operator such as mustBeGreaterThan",
                      "there is no default expectation for a row count");
      }
    } else if (type == "sql") {
      if (!rule.query || rule.query->empty()) {
        report_.Error(rule.pointer, "quality-sql", "an sql quality rule needs a 'query'");
      }
      if (!HasOperator(rule)) {
        report_.Error(rule.pointer, "quality-operator",
                      "an sql quality rule needs an operator (mustBe, mustBeLessThan, ...)",
                      "the query returns a number; the operator says what it must be");
      }
    }
    if (rule.unit && *rule.unit != "rows" && *rule.unit != "percent") {
      report_.Error(AppendPointer(rule.pointer, "unit"), "quality-unit",
                    fmt::format("unit '{}' is not known", *rule.unit), "use rows or percent");
    }
  }

  static bool HasOperator(const QualityRule& rule) {
    for (const Json* op :
         {&rule.must_be, &rule.must_not_be, &rule.must_be_greater_than,
          &rule.must_be_greater_or_equal_to, &rule.must_be_less_than,
          &rule.must_be_less_or_equal_to, &rule.must_be_between, &rule.must_not_be_between}) {
      if (!op->is_null()) return true;
    }
    return false;
  }

  const Contract& contract_;
  Reporter report_;
  std::map<std::string, std::string> ids_;
};

// The upsert key of a dataset: its own `key`, else the primary key of the object.
std::vector<std::string> PrimaryKeyOf(const SchemaObject& object) {
  std::vector<const Property*> keys;
  for (const Property& property : object.properties) {
    if (property.IsPrimaryKey()) keys.push_back(&property);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const Property* a, const Property* b) {
    return a->primary_key_position.value_or(0) < b->primary_key_position.value_or(0);
  });
  std::vector<std::string> names;
  for (const Property* key : keys) names.push_back(key->name.value_or(""));
  return names;
}

}  // namespace

void CheckContractMeaning(const ContractFile& file, std::vector<Diagnostic>* diagnostics) {
  ContractChecker(file, diagnostics).Run();
}

void CheckFolderMeaning(const ProductFolder& folder, std::vector<Diagnostic>* diagnostics) {
  // Contract ids unique across the folder.
  std::map<std::string, const ContractFile*> contract_ids;
  for (const ContractFile& file : folder.contracts) {
    if (!file.contract.id) continue;
    auto [it, inserted] = contract_ids.emplace(*file.contract.id, &file);
    if (!inserted) {
      Reporter(file.document, diagnostics)
          .Error("/id", "duplicate-id",
                 fmt::format("contract id '{}' is also used by {}", *file.contract.id,
                             it->second->document.file()),
                 "each contract needs its own id");
    }
  }
  if (!folder.product) return;
  const ProductFile& product = *folder.product;
  Reporter report(product.document, diagnostics);
  // A node keeps the product under these names (folders, SQL schema, URLs): refused there, so
  // refused here, where the line can be named.
  for (const auto& [field, value] :
       {std::pair{"domain", &product.product.domain}, std::pair{"name", &product.product.name}}) {
    if (*value && !IsProductName(**value)) {
      report.Error(AppendPointer("", field), "product-name",
                   fmt::format("{} '{}' cannot name a product on a node", field, **value),
                   fmt::format("use {}", kProductNameRule));
    }
  }

  std::set<std::pair<std::string, std::string>> input_names, output_names;
  for (const InputPort& port : product.product.input_ports) {
    if (port.name && !input_names.emplace(*port.name, port.version.value_or("")).second) {
      report.Error(AppendPointer(port.pointer, "name"), "duplicate-port",
                   fmt::format("input port '{}' version {} is declared twice", *port.name,
                               port.version.value_or("?")));
    }
    if (port.contract_id && !folder.FindContract(*port.contract_id)) {
      report.Error(AppendPointer(port.pointer, "contractId"), "unresolved-contract",
                   fmt::format("no contract in {} has id '{}'",
                               (folder.root / "contracts").string(), *port.contract_id),
                   "add the contract there, or fix the contractId");
    }
  }
  for (const OutputPort& port : product.product.output_ports) {
    if (port.name && !output_names.emplace(*port.name, port.version.value_or("")).second) {
      report.Error(AppendPointer(port.pointer, "name"), "duplicate-port",
                   fmt::format("output port '{}' version {} is declared twice", *port.name,
                               port.version.value_or("?")));
    }
    if (port.contract_id && !folder.FindContract(*port.contract_id)) {
      report.Error(AppendPointer(port.pointer, "contractId"), "unresolved-contract",
                   fmt::format("no contract in {} has id '{}'",
                               (folder.root / "contracts").string(), *port.contract_id),
                   "add the contract there, or fix the contractId");
    }
  }

  if (!folder.pipeline) {
    // A pipeline.yaml that does not parse has its own errors; this is for one that is missing.
    std::error_code error;
    if (!product.product.output_ports.empty() &&
        !std::filesystem::exists(folder.root / "pipeline.yaml", error)) {
      Diagnostic diagnostic;
      diagnostic.severity = Severity::kWarning;
      diagnostic.rule = "product-layout";
      diagnostic.location.file = (folder.root / "pipeline.yaml").string();
      diagnostic.message = "the product has output ports but no pipeline.yaml to fill them";
      diagnostics->push_back(std::move(diagnostic));
    }
    return;
  }
  const PipelineFile& pipeline = *folder.pipeline;
  Reporter pipeline_report(pipeline.document, diagnostics);
  auto has_input = [&](const std::string& name) {
    return std::any_of(input_names.begin(), input_names.end(),
                       [&](const auto& entry) { return entry.first == name; });
  };
  auto has_output = [&](const std::string& name) {
    return std::any_of(output_names.begin(), output_names.end(),
                       [&](const auto& entry) { return entry.first == name; });
  };
  for (const PipelineInput& input : pipeline.pipeline.inputs) {
    if (input.port && !has_input(*input.port)) {
      pipeline_report.Error(AppendPointer(input.pointer, "port"), "unknown-port",
                            fmt::format("'{}' is not an input port of product.yaml", *input.port));
    }
  }
  std::set<std::string> dataset_names;
  for (const PipelineDataset& dataset : pipeline.pipeline.datasets) {
    if (dataset.name && !dataset_names.insert(*dataset.name).second) {
      pipeline_report.Error(AppendPointer(dataset.pointer, "name"), "duplicate-dataset",
                            fmt::format("dataset '{}' is built twice", *dataset.name));
    }
    if (dataset.transform) {
      std::error_code error;
      if (!std::filesystem::is_regular_file(folder.root / *dataset.transform, error)) {
        pipeline_report.Error(AppendPointer(dataset.pointer, "transform"), "missing-transform",
                              fmt::format("transform file {} does not exist",
                                          (folder.root / *dataset.transform).string()));
      }
    }
    if (!dataset.output_port) continue;
    if (!has_output(*dataset.output_port)) {
      pipeline_report.Error(
          AppendPointer(dataset.pointer, "outputPort"), "unknown-port",
          fmt::format("'{}' is not an output port of product.yaml", *dataset.output_port));
      continue;
    }
    const ContractFile* contract = folder.ContractForOutputPort(*dataset.output_port);
    if (!contract || !dataset.name) continue;
    const SchemaObject* object = contract->contract.FindObject(*dataset.name);
    if (!object) {
      pipeline_report.Error(
          AppendPointer(dataset.pointer, "name"), "unknown-dataset",
          fmt::format("the contract of output port '{}' ({}) has no schema "
                      "object '{}'",
                      *dataset.output_port, contract->document.file(), *dataset.name));
      continue;
    }
    if (dataset.IsUpsert()) {
      std::vector<std::string> key = dataset.had_key ? dataset.key : PrimaryKeyOf(*object);
      if (key.empty()) {
        pipeline_report.Error(dataset.pointer, "upsert-key",
                              fmt::format("dataset '{}' is upserted but has no key", *dataset.name),
                              "give it key: [column], or mark primaryKey properties in the "
                              "contract");
      }
      for (const std::string& column : key) {
        if (!object->FindProperty(column)) {
          pipeline_report.Error(
              AppendPointer(dataset.pointer, "key"), "upsert-key",
              fmt::format("key column '{}' is not a property of '{}'", column, *dataset.name));
        }
      }
    }
  }
}

}  // namespace quanta::model
