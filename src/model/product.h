#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/contract.h"

namespace quanta::model {

/// An ODPS input port: where the product's data comes from, bound to a contract.
struct InputPort : Element {
  std::optional<std::string> name, version, contract_id;
};

/// An ODPS output port: one published interface of the product, bound to a contract.
struct OutputPort : Element {
  std::optional<std::string> name, description, type, version, contract_id;
};

/// An ODPS v1.0.0 data product document (v0.9.0 documents read the same way).
struct Product : Element {
  std::optional<std::string> api_version, kind, id, name, version, status, domain, tenant,
      product_created_ts;
  Json description;
  std::vector<std::string> tags;
  std::vector<InputPort> input_ports;
  std::vector<OutputPort> output_ports;
  Team team;
  std::vector<CustomProperty> custom_properties;
  bool had_tags = false, had_input_ports = false, had_output_ports = false,
       had_custom_properties = false;
};

/// Reads a product from JSON values; never fails (see ContractFromJson).
Product ProductFromJson(const Json& json);
/// Writes it back; ProductToJson(ProductFromJson(x)) == x as data.
Json ProductToJson(const Product& product);

}  // namespace quanta::model
