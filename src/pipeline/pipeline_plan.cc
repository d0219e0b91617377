#include "pipeline/pipeline_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "model/property_constraints.h"

namespace quanta::pipeline {
namespace {

void AddUnique(std::vector<const model::ContractFile*>* list, const model::ContractFile* item) {
  if (std::find(list->begin(), list->end(), item) == list->end()) list->push_back(item);
}

}  // namespace

std::string Place(const SourceLocation& where) {
  std::string place = where.file;
  if (where.line > 0) place += fmt::format(":{}:{}", where.line, std::max(where.column, 1));
  return place;
}

std::string JoinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::vector<std::string> ColumnNames(const model::SchemaObject& object) {
  std::vector<std::string> names;
  for (const model::Property& property : object.properties) {
    if (property.name && !property.name->empty()) names.push_back(*property.name);
  }
  return names;
}

const model::Property* FindColumn(const model::SchemaObject& object, std::string_view name) {
  for (const model::Property& property : object.properties) {
    if (property.name && *property.name == name) return &property;
  }
  return nullptr;
}

Result<PipelinePlan> MakePipelinePlan(const model::ProductFolder& folder) {
  if (!folder.product) {
    return Status::Invalid("{}: no readable product.yaml; run 'quanta lint {}' to see why",
                           (folder.root / "product.yaml").string(), folder.root.string());
  }
  if (!folder.pipeline) {
    return Status::Invalid(
        "{}: missing; a product needs a pipeline.yaml saying how its datasets are built",
        (folder.root / "pipeline.yaml").string());
  }
  const model::Document& product_document = folder.product->document;
  const model::Document& pipeline_document = folder.pipeline->document;
  PipelinePlan plan;

  for (const model::InputPort& port : folder.product->product.input_ports) {
    std::string name = port.name.value_or("");
    const model::ContractFile* contract =
        port.contract_id ? folder.FindContract(*port.contract_id) : nullptr;
    if (!contract) {
      return Status::Invalid(
          "{}: input port '{}' names contract '{}', which no file in contracts/ has as its id",
          Place(product_document.Locate(model::AppendPointer(port.pointer, "contractId"))), name,
          port.contract_id.value_or(""));
    }
    AddUnique(&plan.input_contracts, contract);
    for (const model::SchemaObject& object : contract->contract.schema) {
      if (!object.name || object.name->empty()) continue;
      auto [it, inserted] = plan.inputs.emplace(*object.name, TableRef{contract, &object});
      if (!inserted && it->second.contract != contract) {
        return Status::Invalid(
            "{}: input table '{}' is declared by two input contracts ({} and {}); transforms "
            "could not tell them apart",
            Place(contract->document.Locate(object.pointer)), *object.name,
            it->second.contract->document.file(), contract->document.file());
      }
    }
  }

  for (const model::PipelineDataset& dataset : folder.pipeline->pipeline.datasets) {
    DatasetPlan item;
    item.name = dataset.name.value_or("");
    std::string place = Place(pipeline_document.Locate(dataset.pointer));
    const model::ContractFile* contract =
        dataset.output_port ? folder.ContractForOutputPort(*dataset.output_port) : nullptr;
    if (!contract) {
      return Status::Invalid(
          "{}: dataset '{}' names output port '{}', which product.yaml does not have or whose "
          "contractId matches no contract in contracts/",
          Place(pipeline_document.Locate(model::AppendPointer(dataset.pointer, "outputPort"))),
          item.name, dataset.output_port.value_or(""));
    }
    const model::SchemaObject* object = contract->contract.FindObject(item.name);
    if (!object) {
      return Status::Invalid(
          "{}: dataset '{}' is not a schema object of {} (its objects: {})",
          Place(pipeline_document.Locate(model::AppendPointer(dataset.pointer, "name"))), item.name,
          contract->document.file(), [&] {
            std::vector<std::string> names;
            for (const auto& o : contract->contract.schema) {
              if (o.name) names.push_back(*o.name);
            }
            return JoinNames(names);
          }());
    }
    item.table = {contract, object};
    AddUnique(&plan.output_contracts, contract);

    if (!dataset.transform || dataset.transform->empty()) {
      return Status::Invalid("{}: dataset '{}' has no transform (the path of its SQL file)", place,
                             item.name);
    }
    item.transform_path = folder.root / *dataset.transform;
    std::ifstream in(item.transform_path, std::ios::binary);
    std::error_code error;
    if (!in || std::filesystem::is_directory(item.transform_path, error)) {
      return Status::Invalid(
          "{}: dataset '{}' names transform {}, which cannot be read",
          Place(pipeline_document.Locate(model::AppendPointer(dataset.pointer, "transform"))),
          item.name, item.transform_path.string());
    }
    std::stringstream text;
    text << in.rdbuf();
    item.transform_sql = text.str();

    item.upsert = dataset.IsUpsert();
    if (item.upsert) {
      item.key = dataset.key.empty() ? model::PrimaryKeyOf(*object) : dataset.key;
      if (item.key.empty()) {
        return Status::Invalid(
            "{}: dataset '{}' is upserted but has no key; add `key: [column]` here or mark the "
            "key properties of object '{}' in {} with primaryKey: true",
            place, item.name, item.name, contract->document.file());
      }
      for (const std::string& column : item.key) {
        if (!FindColumn(*object, column)) {
          return Status::Invalid(
              "{}: upsert key column '{}' is not a property of object '{}' "
              "in {} (its properties: {})",
              place, column, item.name, contract->document.file(), JoinNames(ColumnNames(*object)));
        }
      }
    }
    plan.datasets.push_back(std::move(item));
  }
  if (plan.datasets.empty()) {
    return Status::Invalid("{}: the pipeline builds no datasets; add one under `datasets:`",
                           pipeline_document.file());
  }
  return plan;
}

std::string TransformBody(std::string_view transform_sql) {
  std::string body(transform_sql);
  while (!body.empty() &&
         (body.back() == ';' || std::isspace(static_cast<unsigned char>(body.back())))) {
    body.pop_back();
  }
  return body;
}

}  // namespace quanta::pipeline
