#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/yaml_document.h"

namespace quanta::model {

/// One way in which a JSON value breaks a JSON Schema, worded for a generalist programmer.
struct SchemaViolation {
  /// JSON pointer of the offending value. For a field that is not allowed, the field itself
  /// (see `names_field`); for a missing required field, the object that lacks it.
  std::string pointer;
  /// The schema keyword that failed: "type", "required", "enum", "additionalProperties",
  /// "unevaluatedProperties", "oneOf", "pattern", ... ("limits" when the check was cut short).
  std::string keyword;
  std::string message;
  /// True when `pointer` names a field that should not be there: the place to show is its key.
  bool names_field = false;
  /// What would have been accepted, where the schema says: the allowed field names for a field
  /// that is not allowed, the allowed values for an enum, the missing field names for required.
  std::vector<std::string> choices;
  /// The offending field name or value as text, when it is short (for "did you mean" hints).
  std::string found;
};

/// Bounds on the work one Validate call may do, so that hostile input cannot exhaust the
/// process. When a bound is hit, Validate stops and reports a single "limits" violation.
struct ValidationLimits {
  std::size_t max_steps = 2'000'000;  ///< schema keywords applied to values, in total
  int max_instance_depth = 256;       ///< nesting of the value being checked
  /// Nesting of schema applications, which bounds the stack Validate uses: about 1 KB per level
  /// (a few KB under sanitizers). The deepest ODCS contract the YAML loader accepts needs ~600.
  int max_evaluation_depth = 800;
};

/// A compiled JSON Schema (the draft 2019-09 subset that the ODCS, ODPS and Quanta pipeline
/// schemas use): type, properties, required, additionalProperties, unevaluatedProperties,
/// local $ref, allOf, anyOf, oneOf, not, if/then/else, const, enum, items, minItems, maxItems,
/// uniqueItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength,
/// pattern (ECMAScript) and the formats date, date-time, uri and email. Annotations (title,
/// description, examples, default, deprecated, $comment) are ignored.
///
/// Immutable after Compile; cheap to copy (copies share the compiled form); Validate may be
/// called from any number of threads at once.
class JsonSchema {
 public:
  /// Compiles `schema`. Fails when it uses a keyword this subset does not implement or a $ref
  /// that is not local (NotSupported), or has a $ref that does not resolve, a pattern that is
  /// not a valid regular expression, or a loop of $ref/allOf/... that never looks inside the
  /// value (InvalidDocument); the message names the place in the schema.
  static Result<JsonSchema> Compile(const Json& schema);

  /// Checks `instance`; an empty result means it is valid. For a failed anyOf or oneOf, only
  /// the errors of the alternative that came closest are reported, not those of every one.
  std::vector<SchemaViolation> Validate(const Json& instance,
                                        const ValidationLimits& limits = {}) const;

  /// Opaque compiled form; defined in json_schema.cc.
  struct Compiled;

 private:
  explicit JsonSchema(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}

  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace quanta::model
