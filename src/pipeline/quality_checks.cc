#include "pipeline/quality_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <tuple>

#include "base/ascii.h"

namespace quanta::pipeline {
namespace {

using model::Json;

// What a rule measures: the table, and the column at property level.
struct Target {
  std::string object;
  std::string property;    // "" at object level; "address.city" for a nested field
  std::string table_sql;   // quoted, schema-qualified table
  std::string column_sql;  // quoted column expression; "" at object level
  const model::SchemaObject* schema_object = nullptr;
  bool inside_array = false;  // a field of array items: not a column of the table
};

struct RuleAt {
  const model::QualityRule* rule;
  Target target;
};

// The eight ODCS operators, in the order the standard lists them.
constexpr std::array<const char*, 8> kOperators = {
    "mustBe",         "mustNotBe",           "mustBeGreaterThan", "mustBeGreaterOrEqualTo",
    "mustBeLessThan", "mustBeLessOrEqualTo", "mustBeBetween",     "mustNotBeBetween"};

const Json& OperatorValue(const model::QualityRule& rule, std::string_view op) {
  if (op == "mustBe") return rule.must_be;
  if (op == "mustNotBe") return rule.must_not_be;
  if (op == "mustBeGreaterThan") return rule.must_be_greater_than;
  if (op == "mustBeGreaterOrEqualTo") return rule.must_be_greater_or_equal_to;
  if (op == "mustBeLessThan") return rule.must_be_less_than;
  if (op == "mustBeLessOrEqualTo") return rule.must_be_less_or_equal_to;
  if (op == "mustBeBetween") return rule.must_be_between;
  return rule.must_not_be_between;
}

std::string FormatNumber(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  std::string text = fmt::format("{:.4f}", value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

std::optional<double> NumberOf(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  return std::nullopt;
}

// Parses a value DuckDB rendered as text: a number, or a boolean (true = 1).
std::optional<double> ParseMeasured(const std::string& text) {
  if (text == "true") return 1.0;
  if (text == "false") return 0.0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

// Whether `value` meets `expectation`; an error when the threshold has the wrong shape.
Result<bool> Meets(double value, const Expectation& expectation) {
  const std::string& op = expectation.op;
  const Json& threshold = expectation.threshold;
  if (op == "mustBeBetween" || op == "mustNotBeBetween") {
    if (!threshold.is_array() || threshold.size() != 2 || !threshold[0].is_number() ||
        !threshold[1].is_number()) {
      return Status::Invalid("{} needs a list of two numbers, e.g. [1, 10]; found {}", op,
                             threshold.dump());
    }
    double low = std::min(threshold[0].get<double>(), threshold[1].get<double>());
    double high = std::max(threshold[0].get<double>(), threshold[1].get<double>());
    bool inside = value >= low && value <= high;
    return op == "mustBeBetween" ? inside : !inside;
  }
  std::optional<double> number = NumberOf(threshold);
  if (!number) return Status::Invalid("{} needs a number; found {}", op, threshold.dump());
  if (op == "mustBe") return value == *number;
  if (op == "mustNotBe") return value != *number;
  if (op == "mustBeGreaterThan") return value > *number;
  if (op == "mustBeGreaterOrEqualTo") return value >= *number;
  if (op == "mustBeLessThan") return value < *number;
  if (op == "mustBeLessOrEqualTo") return value <= *number;
  return Status::Internal("unknown operator {}", op);
}

// SQL condition: the column's value equals the fixture-style `value` (a string, number or
// boolean). Values are compared as text, numbers as numbers, so that 'N/A' and -1 work on
// any column type.
Result<std::string> EqualsValue(const std::string& column, const Json& value,
                                std::string_view argument) {
  std::string text = "CAST(" + column + " AS VARCHAR)";
  if (value.is_string()) return text + " = " + engine::QuoteLiteral(value.get<std::string>());
  if (value.is_number()) return "TRY_CAST(" + text + " AS DOUBLE) = " + value.dump();
  if (value.is_boolean()) {
    return "TRY_CAST(" + text + " AS BOOLEAN) = " + (value.get<bool>() ? "true" : "false");
  }
  return Status::Invalid("{} may hold only strings, numbers, booleans and null; found {}", argument,
                         value.dump());
}

const Json* Argument(const model::QualityRule& rule, const char* name) {
  if (!rule.arguments.is_object()) return nullptr;
  auto found = rule.arguments.find(name);
  if (found == rule.arguments.end() || found->is_null()) return nullptr;
  return &*found;
}

// The count a library metric measures, and the table's row count.
struct Measure {
  double count = 0;
  double rows = 0;
};

Result<Measure> RunCountQuery(engine::Connection& connection, const std::string& sql) {
  QUANTA_ASSIGN_OR_RETURN(engine::QueryResult result, connection.Query(sql));
  if (result.rows.size() != 1 || result.columns.size() != 2) {
    return Status::Internal("the metric query returned an unexpected shape");
  }
  Measure measure;
  for (int i = 0; i < 2; ++i) {
    std::optional<double> number =
        result.rows[0][i] ? ParseMeasured(*result.rows[0][i]) : std::optional<double>(0.0);
    if (!number) return Status::Internal("the metric query returned a non-number");
    (i == 0 ? measure.count : measure.rows) = *number;
  }
  return measure;
}

Result<Measure> MeasureLibraryMetric(engine::Connection& connection, const RuleAt& at,
                                     const std::string& metric) {
  const model::QualityRule& rule = *at.rule;
  const Target& target = at.target;
  const std::string& table = target.table_sql;
  const std::string& column = target.column_sql;
  bool object_level = target.property.empty();

  static const std::set<std::string> kMetrics = {"rowCount", "nullValues", "missingValues",
                                                 "invalidValues", "duplicateValues"};
  if (!kMetrics.count(metric)) {
    return Status::Invalid(
        "unknown metric '{}'; ODCS defines rowCount, nullValues, missingValues, invalidValues "
        "and duplicateValues",
        metric);
  }
  if (metric == "rowCount") {
    if (!object_level) {
      return Status::Invalid(
          "rowCount is an object-level metric; move the rule to the quality list of schema "
          "object '{}'",
          target.object);
    }
    return RunCountQuery(connection, "SELECT COUNT(*), COUNT(*) FROM " + table);
  }

  if (metric == "duplicateValues" && object_level) {
    std::vector<std::string> names;
    if (const Json* properties = Argument(rule, "properties")) {
      if (!properties->is_array() || properties->empty()) {
        return Status::Invalid(
            "arguments.properties must be a list of property names, e.g. [tenant_id, order_id]");
      }
      for (const Json& name : *properties) {
        if (!name.is_string()) {
          return Status::Invalid("arguments.properties may hold only property names; found {}",
                                 name.dump());
        }
        if (!target.schema_object->FindProperty(name.get<std::string>())) {
          return Status::Invalid("arguments.properties names '{}', which object '{}' does not have",
                                 name.get<std::string>(), target.object);
        }
        names.push_back(name.get<std::string>());
      }
    } else {
      for (const model::Property& property : target.schema_object->properties) {
        if (property.name) names.push_back(*property.name);
      }
    }
    std::string columns;
    for (const std::string& name : names) {
      if (!columns.empty()) columns += ", ";
      columns += engine::QuoteIdentifier(name);
    }
    return RunCountQuery(connection, "SELECT (SELECT COUNT(*) FROM " + table +
                                         ") - (SELECT COUNT(*) FROM (SELECT DISTINCT " + columns +
                                         " FROM " + table + ")), (SELECT COUNT(*) FROM " + table +
                                         ")");
  }

  if (object_level) {
    return Status::Invalid(
        "{} is a property-level metric; move the rule to the quality list of a property", metric);
  }

  if (metric == "nullValues") {
    return RunCountQuery(connection, "SELECT COUNT(*) FILTER (WHERE " + column +
                                         " IS NULL), COUNT(*) FROM " + table);
  }
  if (metric == "missingValues") {
    std::string condition = column + " IS NULL";
    Json values = Json::array({""});
    if (const Json* given = Argument(rule, "missingValues")) {
      if (!given->is_array()) {
        return Status::Invalid("arguments.missingValues must be a list, e.g. [null, '', 'N/A']");
      }
      values = *given;
    }
    for (const Json& value : values) {
      if (value.is_null()) continue;  // NULL always counts as missing
      QUANTA_ASSIGN_OR_RETURN(std::string equals,
                              EqualsValue(column, value, "arguments.missingValues"));
      condition += " OR " + equals;
    }
    return RunCountQuery(
        connection, "SELECT COUNT(*) FILTER (WHERE " + condition + "), COUNT(*) FROM " + table);
  }
  if (metric == "invalidValues") {
    std::vector<std::string> criteria;
    const Json* valid_values = Argument(rule, "validValues");
    if (!valid_values && !rule.valid_values.is_null()) valid_values = &rule.valid_values;
    if (valid_values) {
      if (!valid_values->is_array()) {
        return Status::Invalid("validValues must be a list, e.g. ['pounds', 'kg']");
      }
      std::string any;
      for (const Json& value : *valid_values) {
        if (value.is_null()) continue;  // NULL is never counted as invalid
        QUANTA_ASSIGN_OR_RETURN(std::string equals,
                                EqualsValue(column, value, "arguments.validValues"));
        any += (any.empty() ? "" : " OR ") + equals;
      }
      criteria.push_back(any.empty() ? "false" : "(" + any + ")");
    }
    if (const Json* pattern = Argument(rule, "pattern")) {
      if (!pattern->is_string()) {
        return Status::Invalid("arguments.pattern must be a regular expression in quotes");
      }
      criteria.push_back("regexp_full_match(CAST(" + column + " AS VARCHAR), " +
                         engine::QuoteLiteral(pattern->get<std::string>()) + ")");
    }
    if (criteria.empty()) {
      return Status::Invalid(
          "invalidValues needs arguments.validValues (a list) or arguments.pattern (a regular "
          "expression) to know what is valid");
    }
    std::string valid;
    for (const std::string& criterion : criteria) {
      valid += (valid.empty() ? "" : " AND ") + criterion;
    }
    return RunCountQuery(connection, "SELECT COUNT(*) FILTER (WHERE " + column +
                                         " IS NOT NULL AND NOT (" + valid + ")), COUNT(*) FROM " +
                                         table);
  }
  return RunCountQuery(connection, "SELECT COUNT(" + column + ") - COUNT(DISTINCT " + column +
                                       "), COUNT(*) FROM " + table);  // duplicateValues
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  std::size_t position = 0;
  while ((position = text.find(from, position)) != std::string::npos) {
    text.replace(position, from.size(), to);
    position += to.size();
  }
  return text;
}

// Replaces ODCS's placeholders (and the JSON Schema's ${table}/${column} spelling).
std::string ExpandPlaceholders(std::string query, const Target& target) {
  for (const char* name : {"object", "table"}) {
    query = ReplaceAll(std::move(query), fmt::format("${{{}}}", name), target.table_sql);
    query = ReplaceAll(std::move(query), fmt::format("{{{}}}", name), target.table_sql);
  }
  if (!target.column_sql.empty()) {
    for (const char* name : {"property", "column"}) {
      query = ReplaceAll(std::move(query), fmt::format("${{{}}}", name), target.column_sql);
      query = ReplaceAll(std::move(query), fmt::format("{{{}}}", name), target.column_sql);
    }
  }
  return query;
}

Result<double> MeasureSql(engine::Connection& connection, const RuleAt& at) {
  if (!at.rule->query || at.rule->query->empty()) {
    return Status::Invalid("an sql rule needs a query that returns one number");
  }
  std::string query = ExpandPlaceholders(*at.rule->query, at.target);
  QUANTA_ASSIGN_OR_RETURN(engine::QueryResult result, connection.Query(query));
  if (result.rows.size() != 1 || result.columns.empty()) {
    return Status::Invalid("the query must return one number; it returned {} rows of {} columns",
                           result.rows.size(), result.columns.size());
  }
  const std::optional<std::string>& cell = result.rows[0][0];
  if (!cell) return Status::Invalid("the query returned NULL instead of a number");
  std::optional<double> number = ParseMeasured(*cell);
  if (!number) return Status::Invalid("the query returned '{}', which is not a number", *cell);
  return *number;
}

void CollectPropertyRules(const model::Property& property, const Target& parent,
                          std::vector<RuleAt>* rules) {
  if (!property.name) return;
  Target target = parent;
  target.property =
      parent.property.empty() ? *property.name : parent.property + "." + *property.name;
  target.column_sql = parent.column_sql.empty()
                          ? engine::QuoteIdentifier(*property.name)
                          : parent.column_sql + "." + engine::QuoteIdentifier(*property.name);
  for (const model::QualityRule& rule : property.quality) rules->push_back({&rule, target});
  for (const model::Property& field : property.properties) {
    CollectPropertyRules(field, target, rules);
  }
  for (const model::Property& item : property.items) {
    Target inside = target;
    inside.inside_array = true;
    for (const model::Property& field : item.properties) {
      CollectPropertyRules(field, inside, rules);
    }
    for (const model::QualityRule& rule : item.quality) rules->push_back({&rule, inside});
  }
}

QualityCheck RunOne(engine::Connection& connection, const model::ContractFile& contract,
                    const RuleAt& at) {
  const model::QualityRule& rule = *at.rule;
  QualityCheck check;
  check.object = at.target.object;
  check.property = at.target.property;
  check.location = contract.document.Locate(rule.pointer);
  check.name = rule.name.value_or(rule.id.value_or(""));
  check.severity = rule.severity.value_or("");
  std::string severity = AsciiLower(check.severity);
  check.blocking = severity != "warning" && severity != "info";
  check.type = rule.TypeName();
  check.metric = rule.MetricName();
  if (!rule.type && check.metric.empty() && rule.query) check.type = "sql";

  if (check.type == "text") {
    check.outcome = CheckOutcome::kSkipped;
    check.message = "type text describes quality for people; there is nothing to run";
    return check;
  }
  if (check.type == "custom") {
    check.outcome = CheckOutcome::kSkipped;
    check.message = fmt::format("type custom runs in its own engine ({}), not in Quanta",
                                rule.engine.value_or("no engine named"));
    return check;
  }
  if (check.type != "library" && check.type != "sql") {
    check.message =
        fmt::format("unknown rule type '{}'; use library, sql, text or custom", check.type);
    return check;
  }
  if (check.type == "sql") check.metric = "sql";

  for (const char* op : kOperators) {
    const Json& threshold = OperatorValue(rule, op);
    if (!threshold.is_null()) check.expectations.push_back({op, threshold});
  }

  if (at.target.inside_array) {
    check.outcome = CheckOutcome::kSkipped;
    check.message = "rules on fields of array items are not run yet: they are not columns";
    return check;
  }

  if (check.type == "sql") {
    if (check.expectations.empty()) {
      check.message =
          "the rule has no operator (mustBe, mustBeLessThan, ...) to compare the "
          "query's result with";
      return check;
    }
    Result<double> value = MeasureSql(connection, at);
    if (!value.ok()) {
      check.message = value.status().message();
      return check;
    }
    check.value = *value;
  } else {
    if (check.metric.empty()) {
      check.message =
          "a library rule needs a metric: rowCount, nullValues, missingValues, "
          "invalidValues or duplicateValues";
      return check;
    }
    check.unit = rule.unit.value_or("rows");
    if (check.unit != "rows" && check.unit != "percent") {
      check.message = fmt::format("unit '{}' is not known; use rows or percent", check.unit);
      return check;
    }
    if (check.metric == "rowCount" && check.unit == "percent") {
      check.message = "rowCount is counted in rows; percent has no meaning for it";
      return check;
    }
    if (check.expectations.empty()) {
      if (check.metric == "rowCount") {
        check.message =
            "the rule has no operator (mustBe, mustBeGreaterThan, ...) to compare "
            "the row count with";
        return check;
      }
      check.default_expectation = true;
      check.expectations.push_back({"mustBe", 0});
    }
    Result<Measure> measure = MeasureLibraryMetric(connection, at, check.metric);
    if (!measure.ok()) {
      check.message = measure.status().message();
      return check;
    }
    if (check.unit == "percent") {
      check.count = measure->count;
      check.rows = measure->rows;
      check.value = measure->rows == 0 ? 0.0 : 100.0 * measure->count / measure->rows;
    } else {
      check.value = measure->count;
    }
  }

  check.outcome = CheckOutcome::kPassed;
  for (const Expectation& expectation : check.expectations) {
    Result<bool> meets = Meets(*check.value, expectation);
    if (!meets.ok()) {
      check.outcome = CheckOutcome::kFailed;
      check.message = meets.status().message();
      return check;
    }
    if (!*meets) check.outcome = CheckOutcome::kFailed;
  }
  if (check.default_expectation) {
    check.message = fmt::format("no operator given: ODCS's default expectation for {} is mustBe 0",
                                check.metric);
  }
  return check;
}

}  // namespace

std::vector<QualityCheck> RunQualityChecks(engine::Connection& connection,
                                           const model::ContractFile& contract,
                                           const model::SchemaObject& object,
                                           std::string_view schema_name) {
  Target base;
  base.object = object.name.value_or("");
  base.schema_object = &object;
  base.table_sql = (schema_name.empty() ? "" : engine::QuoteIdentifier(schema_name) + ".") +
                   engine::QuoteIdentifier(base.object);

  std::vector<RuleAt> rules;
  for (const model::QualityRule& rule : object.quality) rules.push_back({&rule, base});
  for (const model::Property& property : object.properties) {
    CollectPropertyRules(property, base, &rules);
  }
  // Report in the order the rules are written.
  std::stable_sort(rules.begin(), rules.end(), [&](const RuleAt& a, const RuleAt& b) {
    SourceLocation left = contract.document.Locate(a.rule->pointer);
    SourceLocation right = contract.document.Locate(b.rule->pointer);
    return std::tie(left.line, left.column) < std::tie(right.line, right.column);
  });

  bool search_path_set = false;
  if (!schema_name.empty()) {
    search_path_set = connection
                          .Execute("SET search_path = " +
                                   engine::QuoteLiteral(std::string(schema_name) + ",main"))
                          .ok();
  }
  std::vector<QualityCheck> checks;
  checks.reserve(rules.size());
  for (const RuleAt& at : rules) checks.push_back(RunOne(connection, contract, at));
  if (search_path_set) (void)connection.Execute("RESET search_path");
  return checks;
}

std::string FormatExpectation(const Expectation& expectation) {
  const Json& threshold = expectation.threshold;
  if (threshold.is_array()) {
    std::string items;
    for (const Json& item : threshold) {
      if (!items.empty()) items += ", ";
      items += item.is_number() ? FormatNumber(item.get<double>()) : item.dump();
    }
    return fmt::format("{} [{}]", expectation.op, items);
  }
  return fmt::format(
      "{} {}", expectation.op,
      threshold.is_number() ? FormatNumber(threshold.get<double>()) : threshold.dump());
}

std::string_view OutcomeName(CheckOutcome outcome) {
  switch (outcome) {
    case CheckOutcome::kPassed:
      return "passed";
    case CheckOutcome::kFailed:
      return "failed";
    case CheckOutcome::kSkipped:
      return "skipped";
  }
  return "failed";
}

std::string FormatQualityCheck(const QualityCheck& check) {
  std::string status;
  switch (check.outcome) {
    case CheckOutcome::kPassed:
      status = "PASS";
      break;
    case CheckOutcome::kSkipped:
      status = "SKIP";
      break;
    case CheckOutcome::kFailed:
      status = check.blocking ? "FAIL" : "WARN";
      break;
  }
  std::string target = check.property.empty() ? check.object : check.object + "." + check.property;
  std::string what = check.metric.empty() ? check.type : check.metric;
  std::string text = fmt::format("{} {} on {}", status, what, target);
  if (!check.name.empty()) text += fmt::format(" '{}'", check.name);
  if (check.value) {
    text += " = " + FormatNumber(*check.value);
    if (check.unit == "percent") {
      text += fmt::format("% ({} of {} row{})", FormatNumber(check.count.value_or(0)),
                          FormatNumber(check.rows.value_or(0)), check.rows == 1.0 ? "" : "s");
    } else if (check.unit == "rows") {
      text += *check.value == 1.0 ? " row" : " rows";
    }
  }
  if (!check.expectations.empty() && check.outcome != CheckOutcome::kSkipped) {
    std::string expected;
    for (const Expectation& expectation : check.expectations) {
      if (!expected.empty()) expected += " and ";
      expected += FormatExpectation(expectation);
    }
    text += fmt::format(", expected {}", expected);
  }
  if (check.outcome == CheckOutcome::kFailed && !check.blocking) {
    text += fmt::format(" (severity {}: reported, not blocking)", check.severity);
  }
  const SourceLocation& where = check.location;
  text += "  [" + where.file;
  if (where.line > 0) text += fmt::format(":{}:{}", where.line, std::max(where.column, 1));
  text += "]";
  if (!check.message.empty()) text += "\n  " + check.message;
  return text;
}

nlohmann::json QualityCheckToJson(const QualityCheck& check) {
  nlohmann::json json = {
      {"object", check.object},
      {"property", check.property.empty() ? nlohmann::json() : nlohmann::json(check.property)},
      {"file", check.location.file},
      {"line", check.location.line},
      {"column", check.location.column},
      {"field", check.location.field},
      {"name", check.name},
      {"type", check.type},
      {"metric", check.metric},
      {"unit", check.unit},
      {"value", check.value ? nlohmann::json(*check.value) : nlohmann::json()},
      {"severity", check.severity},
      {"blocking", check.blocking},
      {"outcome", OutcomeName(check.outcome)},
      {"defaultExpectation", check.default_expectation},
      {"message", check.message},
  };
  if (check.count) json["count"] = *check.count;
  if (check.rows) json["rows"] = *check.rows;
  nlohmann::json expectations = nlohmann::json::array();
  for (const Expectation& expectation : check.expectations) {
    expectations.push_back({{"operator", expectation.op},
                            {"threshold", nlohmann::json::parse(expectation.threshold.dump())}});
  }
  json["expectations"] = std::move(expectations);
  return json;
}

}  // namespace quanta::pipeline
