#include "store/store_layout.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "model/contract_diff.h"
#include "model/type_mapping.h"

namespace quanta::store {
namespace {

// "contracts/orders.yaml:12:5" for the value at `pointer` of `document`.
std::string Place(const model::Document& document, const std::string& pointer) {
  SourceLocation location = document.Locate(pointer);
  if (location.line == 0) return document.file();
  return fmt::format("{}:{}:{}", document.file(), location.line, location.column);
}

bool StartsWithHiddenPrefix(std::string_view name) {
  return name.substr(0, kHiddenColumnPrefix.size()) == kHiddenColumnPrefix;
}

}  // namespace

bool IsIndexableType(std::string_view type) {
  if (type.ends_with("]")) return false;  // LIST "T[]" and ARRAY "T[3]"
  for (std::string_view nested : {"STRUCT", "MAP", "UNION", "INTERVAL"}) {
    if (type.starts_with(nested)) return false;
  }
  return true;
}

std::string_view WriteModeName(WriteMode mode) {
  return mode == WriteMode::kUpsert ? "upsert" : "append";
}

const DatasetLayout* StoreLayout::FindDataset(std::string_view name) const {
  for (const DatasetLayout& dataset : datasets) {
    if (dataset.name == name) return &dataset;
  }
  return nullptr;
}

const InputPortLayout* StoreLayout::FindInputPort(std::string_view name) const {
  for (const InputPortLayout& port : input_ports) {
    if (port.name == name) return &port;
  }
  return nullptr;
}

Status ValidateLayout(const StoreLayout& layout) {
  std::set<std::string> dataset_names;
  for (const DatasetLayout& dataset : layout.datasets) {
    if (dataset.name.empty()) return Status::Invalid("a dataset of the store layout has no name");
    if (dataset.name.starts_with(kReservedDatasetPrefix)) {
      return Status::Invalid(
          "dataset {}: names starting with '{}' are kept for the tables Quanta serves beside the "
          "datasets (such as the SQL port's _dead_letters); rename the schema object",
          dataset.name, kReservedDatasetPrefix);
    }
    if (!dataset_names.insert(dataset.name).second) {
      return Status::Invalid("dataset {} appears twice in the store layout", dataset.name);
    }
    if (dataset.columns.empty()) {
      return Status::Invalid("dataset {} has no columns; give its schema object properties",
                             dataset.name);
    }
    std::set<std::string> column_names;
    for (const engine::Column& column : dataset.columns) {
      if (column.name.empty()) {
        return Status::Invalid("dataset {} has a column without a name", dataset.name);
      }
      if (column.type.empty()) {
        return Status::Invalid("dataset {}: column {} has no type", dataset.name, column.name);
      }
      if (StartsWithHiddenPrefix(column.name)) {
        return Status::Invalid(
            "dataset {}: column {} uses the prefix {} that the store keeps for its own columns; "
            "rename the property",
            dataset.name, column.name, kHiddenColumnPrefix);
      }
      if (!column_names.insert(column.name).second) {
        return Status::Invalid("dataset {}: column {} appears twice", dataset.name, column.name);
      }
    }
    if (dataset.mode == WriteMode::kUpsert && dataset.key.empty()) {
      return Status::Invalid(
          "dataset {} is upserted but has no key; set `key` in pipeline.yaml or mark the "
          "contract's key properties with primaryKey: true",
          dataset.name);
    }
    if (dataset.mode == WriteMode::kAppend && !dataset.key.empty()) {
      return Status::Invalid("dataset {} is appended but has a key; only upsert datasets have one",
                             dataset.name);
    }
    std::set<std::string> key_names;
    for (const std::string& key : dataset.key) {
      if (!column_names.count(key)) {
        return Status::Invalid("dataset {}: key column {} is not one of its columns", dataset.name,
                               key);
      }
      if (!key_names.insert(key).second) {
        return Status::Invalid("dataset {}: key column {} appears twice", dataset.name, key);
      }
    }
    if (!dataset.lookup_column.empty()) {
      auto column = std::find_if(
          dataset.columns.begin(), dataset.columns.end(),
          [&](const engine::Column& candidate) { return candidate.name == dataset.lookup_column; });
      if (column == dataset.columns.end()) {
        return Status::Invalid("dataset {}: lookup column {} is not one of its columns",
                               dataset.name, dataset.lookup_column);
      }
      if (!IsIndexableType(column->type)) {
        return Status::Invalid("dataset {}: lookup column {} has type {}, which has no index",
                               dataset.name, dataset.lookup_column, column->type);
      }
    }
    if (dataset.retention && dataset.retention->count() < 0) {
      return Status::Invalid("dataset {}: retention is negative", dataset.name);
    }
  }
  std::set<std::string> port_names;
  for (const InputPortLayout& port : layout.input_ports) {
    if (port.name.empty()) return Status::Invalid("an input port of the store layout has no name");
    if (!port_names.insert(port.name).second) {
      return Status::Invalid("input port {} appears twice in the store layout", port.name);
    }
    if (port.retention && port.retention->count() < 0) {
      return Status::Invalid("input port {}: retention is negative", port.name);
    }
  }
  return Status::Ok();
}

Result<std::optional<std::chrono::seconds>> RetentionOf(const model::Contract& contract) {
  const model::SlaProperty* sla = contract.FindSla("retention");
  if (sla == nullptr) return std::optional<std::chrono::seconds>();
  std::optional<double> seconds =
      model::SlaDurationSeconds(sla->value, sla->unit, model::DurationScale::kRetention);
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) {
    return Status::Invalid(
        "slaProperties[retention] of contract {}: cannot read value {} with unit {} as a "
        "duration; write a number of d (days), w (weeks), m (months) or y (years)",
        contract.id.value_or("(no id)"), sla->value.dump(), sla->unit.value_or("(none)"));
  }
  return std::optional<std::chrono::seconds>(
      std::chrono::seconds(static_cast<std::int64_t>(std::llround(*seconds))));
}

Result<StoreLayout> LayoutFromProductFolder(const model::ProductFolder& folder) {
  if (!folder.product) {
    return Status::Invalid("{}: the product folder has no readable product.yaml",
                           folder.root.string());
  }
  if (!folder.pipeline) {
    return Status::Invalid("{}: the product folder has no readable pipeline.yaml",
                           folder.root.string());
  }
  const model::Document& pipeline_document = folder.pipeline->document;
  StoreLayout layout;
  for (const model::PipelineDataset& dataset : folder.pipeline->pipeline.datasets) {
    std::string place = Place(pipeline_document, dataset.pointer);
    if (!dataset.name || dataset.name->empty()) {
      return Status::Invalid("{}: a dataset has no name", place);
    }
    if (!dataset.output_port) {
      return Status::Invalid("{}: dataset {} names no outputPort", place, *dataset.name);
    }
    const model::ContractFile* contract_file = folder.ContractForOutputPort(*dataset.output_port);
    if (contract_file == nullptr) {
      return Status::Invalid(
          "{}: dataset {}: output port {} is not in product.yaml or its contractId matches no "
          "contract in contracts/",
          place, *dataset.name, *dataset.output_port);
    }
    const model::Contract& contract = contract_file->contract;
    const model::SchemaObject* object = contract.FindObject(*dataset.name);
    if (object == nullptr) {
      return Status::Invalid("{}: dataset {} is not a schema object of {}", place, *dataset.name,
                             contract_file->document.file());
    }
    DatasetLayout out;
    out.name = *dataset.name;
    std::vector<std::pair<std::int64_t, std::string>> primary_key;
    for (const model::Property& property : object->properties) {
      if (!property.name || property.name->empty()) continue;
      out.columns.push_back({*property.name, model::DuckdbTypeFor(property)});
      if (property.IsPrimaryKey()) {
        primary_key.emplace_back(property.primary_key_position.value_or(primary_key.size() + 1),
                                 *property.name);
      }
    }
    out.mode = dataset.IsUpsert() ? WriteMode::kUpsert : WriteMode::kAppend;
    std::stable_sort(primary_key.begin(), primary_key.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> identity;  // the columns that identify a row
    if (out.mode == WriteMode::kUpsert && !dataset.key.empty()) {
      identity = dataset.key;
    } else {
      for (const auto& [position, name] : primary_key) identity.push_back(name);
    }
    if (out.mode == WriteMode::kUpsert) out.key = identity;
    // DuckDB looks a row up through an index only for an equality on one indexed column, so a
    // key of several columns gets none (it would cost every commit and serve no lookup).
    if (identity.size() == 1) {
      auto column = std::find_if(
          out.columns.begin(), out.columns.end(),
          [&](const engine::Column& candidate) { return candidate.name == identity[0]; });
      if (column != out.columns.end() && IsIndexableType(column->type)) {
        out.lookup_column = identity[0];
      }
    }
    Result<std::optional<std::chrono::seconds>> retention = RetentionOf(contract);
    if (!retention.ok()) {
      const model::SlaProperty* sla = contract.FindSla("retention");
      return Status::Invalid("{}: {}", Place(contract_file->document, sla ? sla->pointer : ""),
                             retention.status().message());
    }
    out.retention = *retention;
    layout.datasets.push_back(std::move(out));
  }
  for (const model::InputPort& port : folder.product->product.input_ports) {
    if (!port.name || port.name->empty()) continue;
    InputPortLayout out{*port.name, std::nullopt};
    if (const model::ContractFile* contract_file = folder.ContractForInputPort(*port.name)) {
      Result<std::optional<std::chrono::seconds>> retention = RetentionOf(contract_file->contract);
      if (!retention.ok()) {
        const model::SlaProperty* sla = contract_file->contract.FindSla("retention");
        return Status::Invalid("{}: {}", Place(contract_file->document, sla ? sla->pointer : ""),
                               retention.status().message());
      }
      out.retention = *retention;
    }
    layout.input_ports.push_back(std::move(out));
  }
  Status valid = ValidateLayout(layout);
  if (!valid.ok()) {
    return Status::Invalid("{}: {}", pipeline_document.file(), valid.message());
  }
  return layout;
}

}  // namespace quanta::store
