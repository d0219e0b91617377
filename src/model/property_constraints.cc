#include "model/property_constraints.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace quanta::model {
namespace {

std::vector<Json> WithoutNulls(const Json& list) {
  std::vector<Json> values;
  for (const Json& value : list) {
    if (!value.is_null()) values.push_back(value);
  }
  return values;
}

}  // namespace

std::optional<std::vector<Json>> ValidValuesOf(const Property& property) {
  const Json& options = property.logical_type_options;
  if (options.is_object() && options.contains("enum") && options["enum"].is_array()) {
    return WithoutNulls(options["enum"]);
  }
  for (const QualityRule& rule : property.quality) {
    if (rule.MetricName() != "invalidValues" && rule.MetricName() != "validValues") continue;
    if (rule.arguments.is_object() && rule.arguments.contains("validValues") &&
        rule.arguments["validValues"].is_array()) {
      return WithoutNulls(rule.arguments["validValues"]);
    }
    if (rule.valid_values.is_array()) return WithoutNulls(rule.valid_values);
  }
  return std::nullopt;
}

QualityRule ValidValuesRule(const std::vector<Json>& values) {
  QualityRule rule;
  rule.metric = "invalidValues";
  rule.arguments = Json::object();
  rule.arguments["validValues"] = Json::array();
  for (const Json& value : values) rule.arguments["validValues"].push_back(value);
  rule.must_be = 0;
  rule.key_order = {"metric", "arguments", "mustBe"};
  return rule;
}

std::vector<std::string> PrimaryKeyOf(const SchemaObject& object) {
  std::vector<std::pair<std::int64_t, std::string>> keyed;
  std::int64_t place = 0;
  for (const Property& property : object.properties) {
    ++place;
    if (!property.IsPrimaryKey() || !property.name) continue;
    std::int64_t position = property.primary_key_position.value_or(-1);
    // Properties without a position follow those with one, in their order in the object.
    keyed.push_back({position > 0 ? position : (std::int64_t{1} << 40) + place, *property.name});
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> names;
  for (auto& entry : keyed) names.push_back(std::move(entry.second));
  return names;
}

}  // namespace quanta::model
