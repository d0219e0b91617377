#pragma once

#include <simdjson.h>

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
/// (model::DuckdbTypeFor): integers within the type's range, numbers (within a DECIMAL's
/// precision once rounded to its scale, within FLOAT's range), booleans, strings, dates
/// (YYYY-MM-DD), times (HH:MM:SS), timestamps (RFC 3339 with seconds, offset optional), UUIDs,
/// objects for STRUCT/MAP, arrays for lists, anything for JSON; a leap second (:60), which
/// DuckDB cannot hold, and an offset beyond +/-23:59 are refused; a timestamp without an
/// offset is taken in DuckDB's time zone (the node sets UTC), and a date alone as its midnight;
/// enums (model::ValidValuesOf) and the logicalTypeOptions minLength/maxLength/minimum/maximum
/// hold.
/// Fields the contract does not declare are ignored, as a consumer of a contract ignores additions.
/// When a key appears more than once in a record, its last value counts.
///
/// The same rules run on records parsed by nlohmann-json and by simdjson (the ingest hot
/// path), with the same reasons. Thread-safe: Check keeps no state.
class RecordValidator {
 public:
  /// Prepares the checks of `object`, which must outlive the validator.
  explicit RecordValidator(const model::SchemaObject& object);

  /// A value of a conforming record to load in other words than the record's, for DuckDB to
  /// cast from text: an integer written with a fraction or an exponent (5.0, 1e3), or beyond
  /// 64 bits, which the readers hold as a double that may not be the number written, as its
  /// exact decimal digits ("-12"); a timestamp with RFC 3339's lower-case t or z, which DuckDB
  /// reads only in capitals, with them in capitals.
  struct Replacement {
    std::size_t field = 0;  ///< the property's place, as in column_names()
    std::string text;
  };

  /// Why `record` breaks the contract, naming the field ("amount: expected a number, got the
  /// string \"ten\""), or nullopt when it conforms. Reports the first problem found, in
  /// property order. `text` is the JSON that `record` was read from: numbers for integer
  /// columns are judged on their digits (empty: on the double, where it is exact). For a
  /// conforming record, `replacements` (when given) receives the values to load instead.
  std::optional<std::string> Check(const model::Json& record, std::string_view text,
                                   std::vector<Replacement>* replacements = nullptr) const;

  /// What Check saw of a record parsed by simdjson.
  struct Fields {
    /// Each declared property's value in property order (the last one of a repeated key), or
    /// nullopt when the record leaves it out. Points into the parser's document.
    std::vector<std::optional<simdjson::dom::element>> values;
    bool repeated_key = false;  ///< some top-level key appears more than once
    bool nested = false;        ///< some declared property holds an object or an array
    /// Values to load in place of those in `values`, by property.
    std::vector<Replacement> replacements;
  };

  /// The same check, with the same reasons, on a record parsed by simdjson from `text`.
  /// `fields`, when given, is filled as far as the check went (entirely for a conforming
  /// record).
  std::optional<std::string> Check(simdjson::dom::element record, std::string_view text,
                                   Fields* fields = nullptr) const;

  /// The DuckDB column types, in property order (what a conforming record is cast to).
  const std::vector<std::string>& column_types() const { return types_; }
  const std::vector<std::string>& column_names() const { return names_; }

 private:
  /// The JSON value a DuckDB type takes.
  enum class Shape {
    kInteger,
    kNumber,
    kBoolean,
    kDate,
    kTimestamp,
    kTime,
    kUuid,
    kAny,
    kObject,
    kArray,
    kString
  };
  struct Field {
    std::string name;
    std::string type;  ///< DuckDB type
    bool required = false;
    Shape shape = Shape::kString;
    std::string integer_min, integer_max;               ///< for kInteger, in decimal
    __int128 integer_min_128 = 0, integer_max_128 = 0;  ///< the same, clamped to 128 bits
    /// For DECIMAL(p,s): p - s digits before the point, and s after it.
    std::optional<int> decimal_digits, decimal_scale;
    std::optional<std::vector<model::Json>> valid_values;
    // logicalTypeOptions
    std::optional<double> min_length, max_length, minimum, maximum, exclusive_minimum,
        exclusive_maximum;
  };
  class RecordText;
  // `text` is the record's own JSON; `replacement` is set to what to load instead of the value
  // when that differs from what the reader holds. `field` is one of fields_.
  template <typename View>
  std::optional<std::string> CheckValue(const Field& field, const View& value, RecordText* text,
                                        std::string* replacement) const;
  template <typename View>
  std::optional<std::string> CheckPresence(const Field& field, const View* value, RecordText* text,
                                           std::string* replacement) const;

  std::vector<Field> fields_;
  std::vector<std::string> names_;
  std::vector<std::string> types_;
};

}  // namespace quanta::pipeline
