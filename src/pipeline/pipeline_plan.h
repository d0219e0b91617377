#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "model/product_folder.h"

namespace quanta::pipeline {

/// A table a transform sees or fills: one schema object of one contract of the folder.
struct TableRef {
  const model::ContractFile* contract = nullptr;
  const model::SchemaObject* object = nullptr;
};

/// One dataset of pipeline.yaml with everything it names resolved and read.
struct DatasetPlan {
  std::string name;  ///< the output schema object's name
  TableRef table;
  std::filesystem::path transform_path;
  std::string transform_sql;  ///< as written in the file
  bool upsert = false;
  std::vector<std::string> key;  ///< the upsert key (the dataset's own, else the primary key)
};

/// How a product folder turns input rows into datasets, shared by `quanta test` (over
/// fixtures) and the node (over micro-batches). Points into the folder, which must outlive it.
struct PipelinePlan {
  std::vector<const model::ContractFile*> input_contracts;
  std::map<std::string, TableRef> inputs;  ///< input tables by schema object name
  std::vector<const model::ContractFile*> output_contracts;
  std::vector<DatasetPlan> datasets;
};

/// Resolves the folder's ports, contracts and transforms into a plan. Fails (Invalid) with a
/// message naming file:line:col and the fix when something the plan needs is missing; `quanta
/// lint` reports all such problems at once.
Result<PipelinePlan> MakePipelinePlan(const model::ProductFolder& folder);

/// The transform SQL without its trailing semicolons and blanks, to embed in a statement.
std::string TransformBody(std::string_view transform_sql);

/// The names of the object's top-level properties, in order.
std::vector<std::string> ColumnNames(const model::SchemaObject& object);
/// The top-level property called `name`, or nullptr.
const model::Property* FindColumn(const model::SchemaObject& object, std::string_view name);
/// "a, b, c", or "(none)".
std::string JoinNames(const std::vector<std::string>& names);
/// "file:line:col" of a location, or just the file when it has no line.
std::string Place(const SourceLocation& where);

}  // namespace quanta::pipeline
