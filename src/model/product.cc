#include "model/product.h"

#include <algorithm>

namespace quanta::model {
namespace {

InputPort InputPortFromJson(const Json& json, std::size_t index) {
  InputPort port;
  FieldReader reader(json);
  port.name = reader.String("name");
  port.version = reader.String("version");
  port.contract_id = reader.String("contractId");
  port.pointer = AppendPointer("/inputPorts", index);
  port.rest = reader.TakeRest();
  port.key_order = reader.TakeKeyOrder();
  return port;
}

Json InputPortToJson(const InputPort& port) {
  FieldWriter writer;
  writer.Set("name", port.name);
  writer.Set("version", port.version);
  writer.Set("contractId", port.contract_id);
  return writer.Finish(port.rest, port.key_order);
}

OutputPort OutputPortFromJson(const Json& json, std::size_t index) {
  OutputPort port;
  FieldReader reader(json);
  port.name = reader.String("name");
  port.description = reader.String("description");
  port.type = reader.String("type");
  port.version = reader.String("version");
  port.contract_id = reader.String("contractId");
  port.pointer = AppendPointer("/outputPorts", index);
  port.rest = reader.TakeRest();
  port.key_order = reader.TakeKeyOrder();
  return port;
}

Json OutputPortToJson(const OutputPort& port) {
  FieldWriter writer;
  writer.Set("name", port.name);
  writer.Set("description", port.description);
  writer.Set("type", port.type);
  writer.Set("version", port.version);
  writer.Set("contractId", port.contract_id);
  return writer.Finish(port.rest, port.key_order);
}

}  // namespace

Product ProductFromJson(const Json& json) {
  Product product;
  FieldReader reader(json);
  product.api_version = reader.String("apiVersion");
  product.kind = reader.String("kind");
  product.id = reader.String("id");
  product.name = reader.String("name");
  product.version = reader.String("version");
  product.status = reader.String("status");
  product.domain = reader.String("domain");
  product.tenant = reader.String("tenant");
  product.product_created_ts = reader.String("productCreatedTs");
  product.description = reader.Any("description");
  Json tags = reader.Any("tags");
  if (tags.is_array() && std::all_of(tags.begin(), tags.end(),
                                     [](const Json& tag) { return tag.is_string(); })) {
    for (const Json& tag : tags) product.tags.push_back(tag.get<std::string>());
    product.had_tags = true;
  }
  product.input_ports = reader.Array<InputPort>("inputPorts", InputPortFromJson);
  product.had_input_ports = reader.HadArray("inputPorts");
  product.output_ports = reader.Array<OutputPort>("outputPorts", OutputPortFromJson);
  product.had_output_ports = reader.HadArray("outputPorts");
  Json team = reader.Any("team");
  product.team = TeamFromJson(team.is_object() ? team : Json(nullptr), "/team");
  product.custom_properties =
      reader.Array<CustomProperty>("customProperties", [](const Json& item, std::size_t index) {
        return CustomPropertyFromJson(item, AppendPointer("/customProperties", index));
      });
  product.had_custom_properties = reader.HadArray("customProperties");
  product.rest = reader.TakeRest();
  product.key_order = reader.TakeKeyOrder();
  if (!product.had_tags && !tags.is_null()) product.rest["tags"] = tags;
  if (!team.is_null() && !team.is_object()) product.rest["team"] = team;
  return product;
}

Json ProductToJson(const Product& product) {
  FieldWriter writer;
  writer.Set("apiVersion", product.api_version);
  writer.Set("kind", product.kind);
  writer.Set("id", product.id);
  writer.Set("name", product.name);
  writer.Set("version", product.version);
  writer.Set("status", product.status);
  writer.Set("domain", product.domain);
  writer.Set("tenant", product.tenant);
  writer.Set("productCreatedTs", product.product_created_ts);
  writer.Set("description", product.description);
  writer.SetArray("tags", product.tags, product.had_tags, [](const std::string& s) { return Json(s); });
  writer.SetArray("inputPorts", product.input_ports, product.had_input_ports, InputPortToJson);
  writer.SetArray("outputPorts", product.output_ports, product.had_output_ports, OutputPortToJson);
  writer.Set("team", TeamToJson(product.team));
  writer.SetArray("customProperties", product.custom_properties, product.had_custom_properties,
                  CustomPropertyToJson);
  return writer.Finish(product.rest, product.key_order);
}

}  // namespace quanta::model
