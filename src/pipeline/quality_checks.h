#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "engine/database.h"
#include "model/product_folder.h"

namespace quanta::pipeline {

/// What became of one quality rule.
enum class CheckOutcome {
  kPassed,   ///< the measured value meets every expectation of the rule
  kFailed,   ///< it does not, or the rule could not be measured (see QualityCheck::message)
  kSkipped,  ///< the rule is not something Quanta runs (type text or custom); message says why
};

/// One ODCS comparison operator of a rule and its threshold: {"mustBeBetween", [1, 10]}.
struct Expectation {
  std::string op;
  model::Json threshold;
};

/// The result of running one ODCS quality rule of a schema object or property on a table.
struct QualityCheck {
  std::string object;           ///< schema object name
  std::string property;         ///< "" for an object-level rule; "address.city" for a field
  SourceLocation location;      ///< where the rule is written in the contract
  std::string name;             ///< the rule's name, else its id; may be empty
  std::string type;             ///< library | sql | text | custom
  std::string metric;           ///< rowCount, nullValues, ..., or "sql" for sql rules
  std::string unit;             ///< rows | percent for library metrics; "" for sql rules
  std::optional<double> value;  ///< the measured value (a percentage when unit is percent)
  std::optional<double> count;  ///< for percent: the number of rows behind the percentage
  std::optional<double> rows;   ///< for percent: the table's row count
  std::vector<Expectation> expectations;
  bool default_expectation = false;  ///< no operator was written; ODCS's mustBe 0 was used
  std::string severity;              ///< as written in the rule; "" when unset
  bool blocking = true;              ///< a failure fails the run (severity error or unset)
  CheckOutcome outcome = CheckOutcome::kFailed;
  std::string message;  ///< why it failed to run, why it was skipped, or a note; may be empty

  /// True when this check makes `quanta test` fail: failed and blocking.
  bool FailsRun() const { return outcome == CheckOutcome::kFailed && blocking; }
};

/// Runs every quality rule of `object` (object level and property level, nested object fields
/// included) from `contract`, in the order they are written, against the table called after the
/// object in `schema_name` (the default schema when empty). Never fails as a whole: a rule
/// whose query fails is a failed check carrying DuckDB's message, and text and custom rules
/// are returned as skipped with the reason.
///
/// Library metrics: rowCount (object level); nullValues, missingValues, invalidValues,
/// duplicateValues (property level); duplicateValues at object level counts duplicate rows over
/// arguments.properties (all properties when absent). Counts are in rows, or with
/// `unit: percent` 100 * count / rowCount (0 for an empty table). missingValues counts NULL
/// plus arguments.missingValues (default ''); invalidValues counts non-NULL values that are not
/// in arguments.validValues (or ODCS v3.0's validValues) or do not fully match
/// arguments.pattern; a value must pass every criterion given. duplicateValues counts the rows
/// whose value already appeared (non-NULL). A library rule without an operator is held to
/// ODCS's default, mustBe 0 (not for rowCount, which needs one).
///
/// sql rules: `query` with ${object}/{object} and ${property}/{property} replaced by the quoted
/// table and column; it must return one number (or boolean). While they run, the connection's
/// search_path is `schema_name,main` so that queries naming the table bare find it; it is
/// reset afterwards.
std::vector<QualityCheck> RunQualityChecks(engine::Connection& connection,
                                           const model::ContractFile& contract,
                                           const model::SchemaObject& object,
                                           std::string_view schema_name = "");

/// "mustBeBetween [1, 10]", for messages.
std::string FormatExpectation(const Expectation& expectation);

/// One line per check, e.g.
/// `PASS nullValues on orders.order_id = 0 rows (mustBe 0)  contracts/orders.yaml:31:11`,
/// with the note or error on a second, indented line when there is one.
std::string FormatQualityCheck(const QualityCheck& check);

/// The check as a JSON object (object, property, file, line, column, metric, value, ...).
nlohmann::json QualityCheckToJson(const QualityCheck& check);

/// "passed", "failed" or "skipped".
std::string_view OutcomeName(CheckOutcome outcome);

}  // namespace quanta::pipeline
