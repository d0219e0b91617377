#include "model/pipeline.h"

#include <algorithm>

namespace quanta::model {

Pipeline PipelineFromJson(const Json& json) {
  Pipeline pipeline;
  FieldReader reader(json);
  pipeline.api_version = reader.String("apiVersion");
  pipeline.kind = reader.String("kind");
  pipeline.inputs = reader.Array<PipelineInput>("inputs", [](const Json& item, std::size_t index) {
    PipelineInput input;
    FieldReader fields(item);
    input.port = fields.String("port");
    input.source = fields.String("source");
    input.format = fields.String("format");
    input.topic = fields.String("topic");
    input.product = fields.String("product");
    input.pointer = AppendPointer("/inputs", index);
    input.rest = fields.TakeRest();
    input.key_order = fields.TakeKeyOrder();
    return input;
  });
  pipeline.had_inputs = reader.HadArray("inputs");
  pipeline.datasets =
      reader.Array<PipelineDataset>("datasets", [](const Json& item, std::size_t index) {
        PipelineDataset dataset;
        FieldReader fields(item);
        dataset.name = fields.String("name");
        dataset.output_port = fields.String("outputPort");
        dataset.transform = fields.String("transform");
        dataset.mode = fields.String("mode");
        Json key = fields.Any("key");
        if (key.is_string()) {
          dataset.key.push_back(key.get<std::string>());
          dataset.had_key = true;
        } else if (key.is_array() && std::all_of(key.begin(), key.end(), [](const Json& k) {
                     return k.is_string();
                   })) {
          for (const Json& column : key) dataset.key.push_back(column.get<std::string>());
          dataset.had_key = true;
        }
        dataset.pointer = AppendPointer("/datasets", index);
        dataset.rest = fields.TakeRest();
        dataset.key_order = fields.TakeKeyOrder();
        if (!dataset.had_key && !key.is_null()) dataset.rest["key"] = key;
        if (dataset.had_key) dataset.rest["key"] = key;  // written back in the user's spelling
        return dataset;
      });
  pipeline.had_datasets = reader.HadArray("datasets");
  pipeline.rest = reader.TakeRest();
  pipeline.key_order = reader.TakeKeyOrder();
  return pipeline;
}

Json PipelineToJson(const Pipeline& pipeline) {
  FieldWriter writer;
  writer.Set("apiVersion", pipeline.api_version);
  writer.Set("kind", pipeline.kind);
  writer.SetArray("inputs", pipeline.inputs, pipeline.had_inputs, [](const PipelineInput& input) {
    FieldWriter fields;
    fields.Set("port", input.port);
    fields.Set("source", input.source);
    fields.Set("format", input.format);
    fields.Set("topic", input.topic);
    fields.Set("product", input.product);
    return fields.Finish(input.rest, input.key_order);
  });
  writer.SetArray("datasets", pipeline.datasets, pipeline.had_datasets,
                  [](const PipelineDataset& dataset) {
                    FieldWriter fields;
                    fields.Set("name", dataset.name);
                    fields.Set("outputPort", dataset.output_port);
                    fields.Set("transform", dataset.transform);
                    fields.Set("mode", dataset.mode);
                    return fields.Finish(dataset.rest, dataset.key_order);
                  });
  return writer.Finish(pipeline.rest, pipeline.key_order);
}

}  // namespace quanta::model
