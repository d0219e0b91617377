// `quanta test PATH`: runs a product's pipeline over its fixtures (tests/*.yaml) in an embedded
// DuckDB, compares the output with the expected rows, then runs the output contracts' quality
// rules on what was produced.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "model/product_folder.h"
#include "pipeline/fixture_runner.h"

namespace quanta::cli {
namespace {

struct TestArguments {
  std::string path;
  std::string format = "text";
  std::string case_name;
};

// Totals over all cases; `failed` is what makes the run fail.
struct Tally {
  int cases_passed = 0, cases_failed = 0;
  int checks_passed = 0, checks_failed = 0, checks_warned = 0, checks_skipped = 0;
  int invalid_documents = 0;  ///< product, contract or pipeline files that did not parse

  int Passed() const { return cases_passed + checks_passed; }
  int Failed() const { return cases_failed + checks_failed + invalid_documents; }
};

Tally Count(const std::vector<pipeline::CaseResult>& results) {
  Tally tally;
  for (const pipeline::CaseResult& result : results) {
    (result.Passed() ? tally.cases_passed : tally.cases_failed)++;
    for (const pipeline::QualityCheck& check : result.checks) {
      switch (check.outcome) {
        case pipeline::CheckOutcome::kPassed:
          tally.checks_passed++;
          break;
        case pipeline::CheckOutcome::kSkipped:
          tally.checks_skipped++;
          break;
        case pipeline::CheckOutcome::kFailed:
          (check.blocking ? tally.checks_failed : tally.checks_warned)++;
          break;
      }
    }
  }
  return tally;
}

std::string Indent(const std::string& text, const std::string& indent) {
  std::string result;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    result += indent + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return result;
}

void PrintText(const std::vector<Diagnostic>& document_errors,
               const std::vector<pipeline::CaseResult>& results, const Tally& tally) {
  for (const Diagnostic& diagnostic : document_errors) {
    std::cout << FormatDiagnostic(diagnostic) << "\n";
  }
  for (const pipeline::CaseResult& result : results) {
    std::cout << (result.Passed() ? "PASS " : "FAIL ") << result.name << "  ("
              << result.file.string() << ")\n";
    for (const Diagnostic& error : result.errors) {
      std::cout << Indent(FormatDiagnostic(error), "  ");
    }
    for (const pipeline::DatasetComparison& dataset : result.datasets) {
      if (!dataset.compared) {
        std::cout << "  dataset " << dataset.dataset
                  << ": not compared (the case gives no expected rows for it)\n";
        continue;
      }
      std::cout << Indent(pipeline::FormatDatasetDiff(dataset), "  ");
    }
    for (const std::string& dataset : result.unchecked_datasets) {
      std::cout << "  dataset " << dataset
                << ": quality checks not run (the dataset could not be built)\n";
    }
    if (!result.checks.empty()) std::cout << "  quality checks:\n";
    for (const pipeline::QualityCheck& check : result.checks) {
      std::cout << Indent(pipeline::FormatQualityCheck(check), "    ");
    }
  }
  std::cout << fmt::format(
      "cases: {} passed, {} failed; quality checks: {} passed, {} failed, {} warnings, {} "
      "skipped{}\n",
      tally.cases_passed, tally.cases_failed, tally.checks_passed, tally.checks_failed,
      tally.checks_warned, tally.checks_skipped,
      tally.invalid_documents > 0 ? fmt::format("; {} invalid documents", tally.invalid_documents)
                                  : "");
  std::cout << fmt::format("{} passed, {} failed\n", tally.Passed(), tally.Failed());
}

void PrintJson(const std::filesystem::path& root, const std::vector<Diagnostic>& document_errors,
               const std::vector<pipeline::CaseResult>& results, const Tally& tally) {
  nlohmann::json output = {{"product", root.string()},
                           {"documentErrors", nlohmann::json::array()},
                           {"cases", nlohmann::json::array()}};
  for (const Diagnostic& diagnostic : document_errors) {
    output["documentErrors"].push_back(DiagnosticToJson(diagnostic));
  }
  for (const pipeline::CaseResult& result : results) {
    output["cases"].push_back(pipeline::CaseResultToJson(result));
  }
  output["summary"] = {
      {"passed", tally.Passed()},
      {"failed", tally.Failed()},
      {"cases", {{"passed", tally.cases_passed}, {"failed", tally.cases_failed}}},
      {"invalidDocuments", tally.invalid_documents},
      {"checks",
       {{"passed", tally.checks_passed},
        {"failed", tally.checks_failed},
        {"warnings", tally.checks_warned},
        {"skipped", tally.checks_skipped}}},
  };
  std::cout << output.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int RunTest(const TestArguments& arguments) {
  std::filesystem::path root = arguments.path;
  std::error_code error;
  if (!std::filesystem::exists(root, error)) {
    std::cerr << "quanta test: " << root.string() << ": no such folder\n";
    return 2;
  }
  if (!model::IsProductFolder(root)) {
    std::cerr << "quanta test: " << root.string()
              << ": not a product folder (it has no product.yaml); run 'quanta init DOMAIN/NAME' "
                 "to see the layout\n";
    return 2;
  }
  std::vector<Diagnostic> diagnostics;
  Result<model::ProductFolder> folder = model::LoadProductFolder(root, &diagnostics);
  if (!folder.ok()) {
    std::cerr << "quanta test: " << folder.status().message() << "\n";
    return InfoFor(folder.status().code()).exit_code;
  }
  std::vector<Diagnostic> document_errors;
  for (Diagnostic& diagnostic : diagnostics) {
    if (diagnostic.severity == Severity::kError) document_errors.push_back(std::move(diagnostic));
  }

  pipeline::FixtureOptions options;
  if (!arguments.case_name.empty()) options.case_name = arguments.case_name;
  Result<std::vector<pipeline::CaseResult>> results = pipeline::RunFixtures(*folder, options);
  if (!results.ok()) {
    for (const Diagnostic& diagnostic : document_errors) {
      std::cerr << FormatDiagnostic(diagnostic) << "\n";
    }
    std::cerr << "quanta test: " << results.status().message() << "\n";
    return InfoFor(results.status().code()).exit_code;
  }
  if (results->empty() && arguments.format == "text") {
    std::cout << "no test cases in " << (root / "tests").string()
              << "; add one (see 'quanta test --help')\n";
  }
  Tally tally = Count(*results);
  tally.invalid_documents = static_cast<int>(document_errors.size());
  if (arguments.format == "json") {
    PrintJson(root, document_errors, *results, tally);
  } else {
    PrintText(document_errors, *results, tally);
  }
  return tally.Failed() > 0 ? 1 : 0;
}

}  // namespace

void RegisterTestCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<TestArguments>();
  CLI::App* command =
      app.add_subcommand("test", "Run a product's pipeline over its fixtures and check quality");
  command->description(
      "Run a product's pipeline over its test cases (tests/*.yaml) in an embedded DuckDB,\n"
      "compare what each dataset holds with the expected rows, then run the output contract's\n"
      "quality rules (ODCS library metrics and sql rules) on it.");
  command->add_option("path", arguments->path, "The product folder")->required();
  command->add_option("--format", arguments->format, "Output: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option("--case", arguments->case_name,
                      "Run only this case (its name:, or its file name without .yaml)");
  command->footer(R"(A test case is one YAML file in tests/:

  name: new orders become current state   # optional; defaults to the file name
  input:                                  # rows per input table: every schema object of
    order_events:                         # every input port's contract is a table
      - {order_id: o-1, status: created, amount: 10.5, event_time: "2026-01-01T10:00:00Z"}
      - {order_id: o-1, status: paid, amount: 10.5, event_time: "2026-01-01T11:00:00Z"}
  expected:                               # rows per output dataset (pipeline.yaml datasets[].name)
    orders:
      - {order_id: o-1, status: paid, amount: 10.5}
  ordered: false                          # optional; true compares rows in order

Values are cast to the contract's column types; a value that does not fit is an error at
its line and column. A column left out of an input row is NULL; expected rows must give
every column of the dataset (write null for NULL). For upsert datasets the expected rows are
the final state: the transform's rows applied in order, the last row per key winning.
A dataset the case gives no expected rows for is built and checked, not compared.

Quality rules: rowCount, nullValues, missingValues, invalidValues, duplicateValues (rows or
percent) and sql rules run on each dataset a case builds; a library rule without an operator
must be 0 (ODCS's default). Rules with severity warning or info are reported, not failing.
type text and custom rules are listed as skipped.

Output: per case PASS/FAIL with a diff of missing and unexpected rows, then the checks; the
last line is `N passed, M failed`.
Exit codes: 0 all passed, 1 a case or a blocking check failed (or a document is invalid),
2 usage or I/O error (missing path, not a product folder, unknown --case).
Examples:
  quanta test orders
  quanta test orders --case "new orders become current state" --format json)");
  command->callback([arguments, exit_code] { *exit_code = RunTest(*arguments); });
}

}  // namespace quanta::cli
