#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "model/product_folder.h"
#include "pipeline/quality_checks.h"

namespace quanta::pipeline {

/// A row of a dataset as DuckDB renders each value (NULL as nullopt), with its 1-based
/// position in the expected rows or in the produced output.
struct FixtureRow {
  std::size_t position = 0;
  std::vector<std::optional<std::string>> values;
};

/// How one output dataset of a test case compared with the case's expected rows.
struct DatasetComparison {
  std::string dataset;
  bool compared = false;  ///< false when the case gives no expected rows for the dataset
  bool ordered = false;   ///< rows compared in order (`ordered: true`) rather than as multisets
  std::vector<std::string> columns;          ///< columns compared, in the contract's order
  std::vector<std::string> missing_columns;  ///< dataset columns the expected rows never give
  std::vector<FixtureRow> missing_rows;      ///< expected but not produced
  std::vector<FixtureRow> unexpected_rows;   ///< produced but not expected
  std::size_t expected_count = 0;
  std::size_t actual_count = 0;

  bool Passed() const {
    return missing_columns.empty() && missing_rows.empty() && unexpected_rows.empty();
  }
};

/// The outcome of one test case file (tests/*.yaml).
struct CaseResult {
  std::string name;  ///< `name:` of the case, else the file name without extension
  std::filesystem::path file;
  /// Problems that kept the case (or one of its datasets) from running as written: the test
  /// file (syntax, unknown table, dataset or column, a value that does not fit its column),
  /// the transform SQL, the pipeline. Each names its place.
  std::vector<Diagnostic> errors;
  std::vector<DatasetComparison> datasets;  ///< one per pipeline dataset that was built
  std::vector<QualityCheck> checks;         ///< the output contracts' rules on each dataset
  /// Datasets whose quality rules did not run because the dataset could not be built.
  std::vector<std::string> unchecked_datasets;

  /// True when the case ran without errors and every compared dataset matched. Quality checks
  /// are judged separately (QualityCheck::FailsRun).
  bool Passed() const;
};

/// What to run.
struct FixtureOptions {
  /// Run only the case whose name (or file name without extension) is this.
  std::optional<std::string> case_name;
};

/// Runs the product's pipeline over each test case of `folder` (folder.test_files) and
/// compares the output with the case's expected rows, then runs the output contracts' quality
/// rules on what was produced. Each case gets its own in-memory DuckDB database (one thread,
/// time zone UTC): a table per schema object of every input port's contract (holding the case's
/// input rows, cast to the contract's types), then each pipeline dataset's transform, applied
/// in append or upsert mode (last row per key wins), into a table of the output contract's
/// types. Expected rows are cast to the same types and compared by column name, as multisets
/// unless the case says `ordered: true`.
///
/// Fails only when the folder cannot be tested at all: no product.yaml, no pipeline.yaml,
/// a pipeline that names ports or contracts that do not exist (InvalidDocument, naming the
/// place), an unknown `case_name` (NotFound), or a test file that cannot be read (IoError).
/// Everything wrong inside a case is reported in its CaseResult.
Result<std::vector<CaseResult>> RunFixtures(const model::ProductFolder& folder,
                                            const FixtureOptions& options = {});

/// The name a test case file gives itself: its `name:`, else the file name without extension.
/// Returns the file name when the file cannot be read.
std::string CaseName(const std::filesystem::path& test_file);

/// The comparison as text: a count line, then the missing and the unexpected rows as aligned
/// tables (like a pytest or `dbt test` diff). "" when the dataset passed or was not compared.
std::string FormatDatasetDiff(const DatasetComparison& comparison);

/// The case as a JSON object: name, file, passed, errors, datasets (with their rows), checks.
nlohmann::json CaseResultToJson(const CaseResult& result);

}  // namespace quanta::pipeline
