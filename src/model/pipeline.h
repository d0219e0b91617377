#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/contract.h"

namespace quanta::model {

/// How one input port of product.yaml receives data.
struct PipelineInput : Element {
  std::optional<std::string> port;    ///< input port name in product.yaml
  std::optional<std::string> source;  ///< http | file | kafka | nats | product
  std::optional<std::string> format;  ///< json | csv | parquet | avro (file and stream sources)
  std::optional<std::string> topic;   ///< kafka topic or nats subject
  std::optional<std::string> product; ///< "domain/name" of the upstream product (source product)
};

/// How one output dataset is built: the transform SQL, and how its rows are committed.
struct PipelineDataset : Element {
  std::optional<std::string> name;         ///< schema object in the output port's contract
  std::optional<std::string> output_port;  ///< output port name in product.yaml
  std::optional<std::string> transform;    ///< path of the SQL file, relative to the folder
  std::optional<std::string> mode;         ///< append (default) | upsert
  std::vector<std::string> key;            ///< upsert key; defaults to the primary key
  bool had_key = false;

  bool IsUpsert() const { return mode.value_or("append") == "upsert"; }
};

/// Quanta's pipeline.yaml: inputs and the datasets built from them.
struct Pipeline : Element {
  std::optional<std::string> api_version, kind;
  std::vector<PipelineInput> inputs;
  std::vector<PipelineDataset> datasets;
  bool had_inputs = false, had_datasets = false;
};

/// The apiVersion of pipeline documents this build reads and writes.
inline constexpr const char* kPipelineApiVersion = "quanta/v1";

Pipeline PipelineFromJson(const Json& json);
Json PipelineToJson(const Pipeline& pipeline);

}  // namespace quanta::model
