#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/contract.h"

namespace quanta::model {

/// What a contract says about the values of a property beyond their type, read the same way by
/// the diff, the exporters and the importers.

/// The fixed list of values a property may take, without null: `logicalTypeOptions.enum`, else
/// the `validValues` of an `invalidValues` library rule (ODCS v3.1 writes them under
/// `arguments`, v3.0 next to the rule). nullopt when the values are not limited to a list.
std::optional<std::vector<Json>> ValidValuesOf(const Property& property);

/// A quality rule that limits a property to `values`, the way ODCS v3.1 writes an enum:
/// `{metric: invalidValues, arguments: {validValues: [...]}, mustBe: 0}`.
QualityRule ValidValuesRule(const std::vector<Json>& values);

/// The names of the object's primary key properties, ordered by primaryKeyPosition and then by
/// their place in the object. Empty when the object declares no primary key.
std::vector<std::string> PrimaryKeyOf(const SchemaObject& object);

}  // namespace quanta::model
