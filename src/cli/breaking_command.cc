// `quanta breaking` and `quanta changelog`: compare versions of a contract and say which
// changes break whom.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/contract_input.h"
#include "model/contract_diff.h"

namespace quanta::cli {
namespace {

struct CompareArguments {
  std::vector<std::string> files;
  std::string mode = "CONSUMER";
  std::string format = "text";
};

// One change and where to point at it.
struct LocatedChange {
  model::ContractChange change;
  SourceLocation location;
  std::string against;  // the earlier version's file
};

struct Comparison {
  std::vector<model::ContractFile> versions;  // oldest first; the last is the new one
  model::CompatibilityMode mode;
  std::vector<LocatedChange> changes;
  std::size_t breaking = 0;
};

// Reads the files and compares as the mode says. Returns the exit code to use when it cannot
// (2: usage or I/O, 1: a file is not a valid contract), after printing why.
std::optional<int> Compare(const std::string& command, const CompareArguments& arguments,
                           bool allow_history, Comparison* comparison) {
  Result<model::CompatibilityMode> mode = model::ParseCompatibilityMode(arguments.mode);
  if (!mode.ok()) {
    std::cerr << "quanta " << command << ": " << mode.status().message() << "\n";
    return 2;
  }
  comparison->mode = *mode;
  if (arguments.files.size() < 2) {
    std::cerr << "quanta " << command << ": give two contracts, OLD and NEW\n";
    return 2;
  }
  if (arguments.files.size() > 2 && !(allow_history && model::IsTransitive(*mode))) {
    std::cerr << fmt::format(
        "quanta {}: {} contracts given; --mode {} compares two (OLD NEW)\n"
        "  hint: use a _TRANSITIVE mode (for example BACKWARD_TRANSITIVE) to check NEW against "
        "every earlier version\n",
        command, arguments.files.size(), model::CompatibilityModeName(*mode));
    return 2;
  }
  std::vector<Diagnostic> diagnostics;
  bool invalid = false;
  for (const std::string& file : arguments.files) {
    Result<std::optional<model::ContractFile>> contract = ReadContractArgument(file, &diagnostics);
    if (!contract.ok()) {
      std::cerr << "quanta " << command << ": " << contract.status().message() << "\n";
      return 2;
    }
    if (!*contract) {
      invalid = true;
      continue;
    }
    comparison->versions.push_back(std::move(**contract));
  }
  for (const Diagnostic& diagnostic : diagnostics) {
    std::cerr << FormatDiagnostic(diagnostic) << "\n";
  }
  if (invalid) {
    std::cerr << "quanta " << command
              << ": cannot compare: the errors above are in the contract files\n";
    if (arguments.format == "json") {
      // Machines reading stdout get the same findings lint would give them.
      nlohmann::json output = {{"compatible", nullptr}, {"diagnostics", nlohmann::json::array()}};
      for (const Diagnostic& diagnostic : diagnostics) {
        output["diagnostics"].push_back(DiagnosticToJson(diagnostic));
      }
      std::cout << output.dump(2) << "\n";
    }
    return 1;
  }
  if (!diagnostics.empty()) {
    std::cerr << "quanta " << command
              << ": note: the warnings above break the ODCS schema; the comparison reads those "
                 "fields as plain data\n";
  }
  const model::ContractFile& newest = comparison->versions.back();
  // The transitive modes compare with every earlier version, the others with the previous one.
  std::size_t first = model::IsTransitive(*mode) ? 0 : comparison->versions.size() - 2;
  for (std::size_t i = first; i + 1 < comparison->versions.size(); ++i) {
    const model::ContractFile& older = comparison->versions[i];
    for (model::ContractChange& change :
         model::DiffContracts(older.contract, newest.contract, *mode)) {
      LocatedChange located;
      located.location = change.new_pointer.empty() ? older.document.Locate(change.old_pointer)
                                                    : newest.document.Locate(change.new_pointer);
      located.against = older.document.file();
      if (change.breaking) comparison->breaking++;
      located.change = std::move(change);
      comparison->changes.push_back(std::move(located));
    }
  }
  return std::nullopt;
}

std::string Plural(std::size_t count, const char* word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

std::string Severity(const model::ContractChange& change) {
  return change.breaking ? "breaking" : "info";
}

std::string ChangeLine(const LocatedChange& located) {
  const SourceLocation& where = located.location;
  std::string place = where.file;
  if (where.line > 0) place += fmt::format(":{}:{}", where.line, std::max(where.column, 1));
  return fmt::format("{}: {}[{}] {}: {}", place, Severity(located.change),
                     model::ChangeKindName(located.change.kind), located.change.path,
                     located.change.explanation);
}

std::string Version(const model::ContractFile& file) {
  return file.contract.version.value_or("(no version)");
}

// When a change breaks consumers, semantic versioning asks for a new major version.
std::optional<std::string> MajorVersionHint(const Comparison& comparison) {
  if (comparison.breaking == 0 || comparison.mode == model::CompatibilityMode::kNone) {
    return std::nullopt;
  }
  auto major = [](const model::ContractFile& file) -> std::optional<long> {
    if (!file.contract.version) return std::nullopt;
    const std::string& text = *file.contract.version;
    std::size_t digits = text.find_first_not_of("0123456789", text[0] == 'v' ? 1 : 0);
    std::string number = text.substr(text[0] == 'v' ? 1 : 0, digits - (text[0] == 'v' ? 1 : 0));
    if (number.empty()) return std::nullopt;
    try {
      return std::stol(number);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  std::optional<long> newest = major(comparison.versions.back());
  std::optional<long> previous = major(comparison.versions[comparison.versions.size() - 2]);
  if (!newest || !previous || *newest > *previous) return std::nullopt;
  return fmt::format(
      "breaking changes need a new major version ({} -> {}.0.0); keep serving the old "
      "version until its consumers have moved",
      Version(comparison.versions[comparison.versions.size() - 2]), *previous + 1);
}

nlohmann::ordered_json ToJson(const Comparison& comparison) {
  nlohmann::ordered_json output;
  output["mode"] = std::string(model::CompatibilityModeName(comparison.mode));
  nlohmann::ordered_json old_files = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i + 1 < comparison.versions.size(); ++i) {
    old_files.push_back(comparison.versions[i].document.file());
  }
  output["old"] = old_files.size() == 1 ? old_files[0] : old_files;
  output["new"] = comparison.versions.back().document.file();
  output["oldVersion"] = Version(comparison.versions[comparison.versions.size() - 2]);
  output["newVersion"] = Version(comparison.versions.back());
  output["compatible"] = comparison.breaking == 0;
  output["summary"] = {{"changes", comparison.changes.size()}, {"breaking", comparison.breaking}};
  nlohmann::ordered_json changes = nlohmann::ordered_json::array();
  for (const LocatedChange& located : comparison.changes) {
    nlohmann::ordered_json change = model::ChangeToJson(located.change);
    change["file"] = located.location.file;
    change["line"] = located.location.line;
    change["column"] = located.location.column;
    change["against"] = located.against;
    changes.push_back(std::move(change));
  }
  output["changes"] = std::move(changes);
  return output;
}

void PrintTextChanges(const Comparison& comparison) {
  bool several = comparison.versions.size() > 2;
  std::string against;
  for (const LocatedChange& located : comparison.changes) {
    if (several && located.against != against) {
      against = located.against;
      std::cout << "against " << against << ":\n";
    }
    std::cout << (several ? "  " : "") << ChangeLine(located) << "\n";
  }
}

std::string Summary(const Comparison& comparison) {
  std::string text;
  if (comparison.changes.empty()) {
    text = "no changes";
  } else {
    text = fmt::format("{}, {} breaking", Plural(comparison.changes.size(), "change"),
                       comparison.breaking);
  }
  std::size_t earlier = comparison.versions.size() - 1;
  if (earlier > 1) text += " against " + Plural(earlier, "earlier version");
  return text + fmt::format(" (mode {})", model::CompatibilityModeName(comparison.mode));
}

int RunBreaking(const CompareArguments& arguments) {
  Comparison comparison;
  if (auto exit = Compare("breaking", arguments, /*allow_history=*/true, &comparison)) {
    return *exit;
  }
  if (arguments.format == "json") {
    std::cout << ToJson(comparison).dump(2) << "\n";
  } else {
    PrintTextChanges(comparison);
    std::cout << Summary(comparison) << "\n";
    if (auto hint = MajorVersionHint(comparison)) std::cout << "  hint: " << *hint << "\n";
  }
  return comparison.breaking > 0 ? 1 : 0;
}

std::string MarkdownEscape(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '|' || c == '*' || c == '_' || c == '`' || c == '<' || c == '>') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

int RunChangelog(const CompareArguments& arguments) {
  Comparison comparison;
  if (auto exit = Compare("changelog", arguments, /*allow_history=*/false, &comparison)) {
    return *exit;
  }
  const model::ContractFile& older = comparison.versions.front();
  const model::ContractFile& newer = comparison.versions.back();
  std::string title = newer.contract.id.value_or(newer.contract.name.value_or("contract"));
  if (arguments.format == "json") {
    std::cout << ToJson(comparison).dump(2) << "\n";
    return 0;
  }
  if (arguments.format == "markdown") {
    std::cout << fmt::format("# {} {} → {}\n\n", MarkdownEscape(title), Version(older),
                             Version(newer));
    if (comparison.changes.empty()) std::cout << "No changes.\n";
    for (bool breaking : {true, false}) {
      bool any = false;
      for (const LocatedChange& located : comparison.changes) {
        if (located.change.breaking != breaking) continue;
        if (!any) {
          std::cout << (breaking ? "## Breaking changes\n\n" : "## Other changes\n\n");
          any = true;
        }
        std::cout << fmt::format("- `{}` ({}): {}\n", located.change.path,
                                 model::ChangeKindName(located.change.kind),
                                 MarkdownEscape(located.change.explanation));
      }
      if (any) std::cout << "\n";
    }
    std::cout << fmt::format("_{}_\n", Summary(comparison));
    return 0;
  }
  std::cout << fmt::format("{} {} -> {} ({} -> {})\n", title, Version(older), Version(newer),
                           older.document.file(), newer.document.file());
  PrintTextChanges(comparison);
  std::cout << Summary(comparison) << "\n";
  return 0;
}

void AddCompareOptions(CLI::App* command, CompareArguments* arguments, bool history) {
  command
      ->add_option("contracts", arguments->files,
                   history ? "OLD NEW, or for a _TRANSITIVE mode every version oldest first "
                             "(the last is the new one)"
                           : "OLD NEW")
      ->required();
  command
      ->add_option("--mode", arguments->mode,
                   "Whose reading decides: CONSUMER (default: consumers of an output port), or "
                   "a schema registry mode for stream ports: BACKWARD, FORWARD, FULL, "
                   "BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE, FULL_TRANSITIVE, NONE")
      ->capture_default_str();
}

}  // namespace

void RegisterBreakingCommands(CLI::App& app, int* exit_code) {
  {
    auto arguments = std::make_shared<CompareArguments>();
    CLI::App* command = app.add_subcommand(
        "breaking",
        "Compare two versions of a contract and fail when the new one breaks its "
        "consumers");
    AddCompareOptions(command, arguments.get(), /*history=*/true);
    command->add_option("--format", arguments->format, "Output: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    command->footer(
        "Each change is one line: `file:line:col: breaking[kind] path: explanation` (or "
        "info[kind]),\nthen a summary such as `3 changes, 1 breaking (mode CONSUMER)`.\n\n"
        "Modes:\n"
        "  CONSUMER   consumers of an output port (SQL, files, HTTP): removed or renamed "
        "properties,\n"
        "             type changes other than safe widening, required -> optional, removed "
        "enum values,\n"
        "             a changed primary key, shorter retention and higher latency break them.\n"
        "  BACKWARD   readers using NEW can read data written with OLD (delete fields, add "
        "optional ones).\n"
        "  FORWARD    readers using OLD can read data written with NEW (add fields, delete "
        "optional ones).\n"
        "  FULL       both.  *_TRANSITIVE: against every earlier version given, not only the "
        "last.\n"
        "  NONE       list the changes, never fail.\n"
        "A property with required: false counts as having a default (null).\n"
        "Retention and latency compare across units: ms, s, min, h, d, w, mo, y (and long "
        "forms), or ISO 8601\ndurations such as P3Y; a bare m is months for retention and "
        "minutes for latency.\n\n"
        "Exit codes: 0 compatible, 1 breaking changes, or a file that cannot be read as a "
        "contract (YAML\nerrors, another kind of document: printed as lint prints them), 2 "
        "usage or I/O error.\nSchema problems that lint reports are shown as warnings and do "
        "not stop the comparison.\n\n"
        "Examples:\n"
        "  quanta breaking contracts/orders-v1.yaml contracts/orders.yaml\n"
        "  git show main:contracts/orders.yaml > /tmp/old.yaml && quanta breaking "
        "/tmp/old.yaml contracts/orders.yaml\n"
        "  quanta breaking v1.yaml v2.yaml --mode FULL --format json\n"
        "  quanta breaking v1.yaml v2.yaml v3.yaml --mode BACKWARD_TRANSITIVE");
    command->callback([arguments, exit_code] { *exit_code = RunBreaking(*arguments); });
  }
  {
    auto arguments = std::make_shared<CompareArguments>();
    CLI::App* command =
        app.add_subcommand("changelog", "List every change between two versions of a contract");
    AddCompareOptions(command, arguments.get(), /*history=*/false);
    command->add_option("--format", arguments->format, "Output: text, json or markdown")
        ->check(CLI::IsMember({"text", "json", "markdown"}))
        ->capture_default_str();
    command->footer(
        "Lists every change (breaking or info) with its path and explanation; --mode judges "
        "them as for\n`quanta breaking`. Exit codes: 0 the changelog was written (breaking "
        "changes included), 1 a file\ncannot be read as a contract, 2 usage or I/O error.\n\n"
        "Examples:\n"
        "  quanta changelog old.yaml new.yaml\n"
        "  quanta changelog old.yaml new.yaml --format markdown >> CHANGELOG.md");
    command->callback([arguments, exit_code] { *exit_code = RunChangelog(*arguments); });
  }
}

}  // namespace quanta::cli
