#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "base/result.h"

namespace quanta::query {

/// A runner for SQL logic test files in DuckDB's format (test/sql/**/*.test):
///
///     # comment
///     statement ok                      statement error         query IT rowsort
///     CREATE TABLE t(a INT)             SELECT nonsense         SELECT a, b FROM t
///                                       ----                    ----
///                                       does not exist          1<TAB>x
///
/// Records are separated by blank lines. Supported: `statement ok|error|maybe` (after `----`
/// an expected error substring, or `<REGEX>:pattern`), `query <types> [nosort|rowsort|
/// valuesort]` with tab-separated expected rows (NULL as `NULL`, the empty string as
/// `(empty)`; one value per line is accepted too), `require <name>`, `mode skip|unskip`,
/// `halt`, `skipif|onlyif <engine>`, `loop VAR FROM TO`, `foreach VAR V1 V2...` and
/// `endloop` (with `${VAR}` substituted), and Quanta's directives:
///   - `load-product PATH`: loads the metadata tables of a product folder, or of one product
///     or contract file (governance/product_metadata.h), PATH relative to the repository root;
///   - `load-policies default|FOLDER`: runs the default policies (or a policy folder relative
///     to the repository root) over the loaded metadata into the table
///     policy_results(rule, policy, severity, file, line, "column", field, message, hint).
/// Each file runs in a fresh in-memory database and stops at its first failure.

/// Settings of a run.
struct SqlLogicTestOptions {
  /// The folder that `load-product` and `load-policies` paths are relative to. Empty: the
  /// nearest folder above each test file that holds `.git`, else the current directory.
  std::filesystem::path repository_root;
};

enum class TestOutcome { kPassed, kFailed, kSkipped };

/// What running one file gave.
struct TestFileResult {
  std::filesystem::path file;
  TestOutcome outcome = TestOutcome::kPassed;
  /// For a failure: `file:line: what failed`, the SQL, expected and actual. For a skip: why.
  std::string detail;
  int records_run = 0;  ///< statements and queries that ran
};

/// Runs one test file in a fresh in-memory database. Never fails as a call: a file that
/// cannot be read, a malformed record or a DuckDB error is a failed result naming file:line.
TestFileResult RunSqlLogicTestFile(const std::filesystem::path& file,
                                   const SqlLogicTestOptions& options);

/// Expands `paths`: a file stays as it is, a folder gives its *.test files, recursively, in
/// path order. Fails (IoError) naming the first path that does not exist.
Result<std::vector<std::filesystem::path>> CollectTestFiles(
    const std::vector<std::filesystem::path>& paths);

/// Runs every test file under `paths`, printing to `out` one line per file (`ok`, `FAIL` with
/// the failure's detail, or `skip` with its reason) and, alone on the last line,
/// `N passed, M failed`. Returns the process exit code: 0 when nothing failed, 1 when a file
/// failed, 2 when a path does not exist (reported on `err`).
int RunSqlLogicTests(const std::vector<std::filesystem::path>& paths,
                     const SqlLogicTestOptions& options, std::ostream& out, std::ostream& err);

}  // namespace quanta::query
