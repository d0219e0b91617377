#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/contract.h"

namespace quanta::pipeline {

/// Checks records arriving at an input port against the schema object of the port's contract,
/// before any of them reaches the transform (DESIGN.md promise 2: a bad record is kept with
/// its reason, never dropped and never half-loaded).
///
/// A record must be a JSON object. For each top-level property: a required one must be present
/// and not null; a present value must have the JSON shape of the property's DuckDB type
/// (model::DuckdbTypeFor): integers within the type's range, numbers, booleans, strings,
/// dates (YYYY-MM-DD), times, timestamps (RFC 3339, offset optional), UUIDs, objects for
/// STRUCT/MAP, arrays for lists, anything for JSON; enums (model::ValidValuesOf) and the
/// logicalTypeOptions minLength/maxLength/minimum/maximum hold. Fields the contract does not
/// declare are ignored, as a consumer of a contract ignores additions.
class RecordValidator {
 public:
  /// Prepares the checks of `object`, which must outlive the validator.
  explicit RecordValidator(const model::SchemaObject& object);

  /// Why `record` breaks the contract, naming the field ("amount: expected a number, got the
  /// string \"ten\""), or nullopt when it conforms. Reports the first problem found.
  std::optional<std::string> Check(const model::Json& record) const;

  /// The DuckDB column types, in property order (what a conforming record is cast to).
  const std::vector<std::string>& column_types() const { return types_; }
  const std::vector<std::string>& column_names() const { return names_; }

 private:
  struct Field {
    const model::Property* property;
    std::string name;
    std::string type;  ///< DuckDB type
    bool required;
    std::optional<std::vector<model::Json>> valid_values;
  };
  std::optional<std::string> CheckValue(const Field& field, const model::Json& value) const;

  std::vector<Field> fields_;
  std::vector<std::string> names_;
  std::vector<std::string> types_;
};

}  // namespace quanta::pipeline
