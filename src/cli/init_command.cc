// `quanta init DOMAIN/NAME`: scaffolds a product folder that passes `quanta lint` and
// `quanta test` as it is, for the team to edit.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "base/status.h"
#include "cli/commands.h"
#include "cli/product_scaffold.h"

namespace quanta::cli {
namespace {

struct InitArguments {
  std::string product;
  std::string dir;
  bool force = false;
  bool mesh = false;
};

// A path as the user should type it in the next commands: relative when under the current
// folder, absolute otherwise.
std::string DisplayPath(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::path relative =
      std::filesystem::relative(path, std::filesystem::current_path(error), error);
  if (error || relative.empty() || *relative.begin() == "..") return path.string();
  return relative.string();
}

int RunInit(const InitArguments& arguments) {
  Result<ProductName> product = ParseProductName(arguments.product);
  if (!product.ok()) {
    std::cerr << "quanta init: " << product.status().message() << "\n";
    return InfoFor(product.status().code()).exit_code;
  }
  std::filesystem::path root = arguments.dir.empty() ? product->name : arguments.dir;
  ScaffoldOptions options{*product, arguments.mesh};
  Result<std::vector<std::filesystem::path>> written =
      WriteScaffold(root, RenderScaffold(options), arguments.force);
  if (!written.ok()) {
    std::cerr << "quanta init: " << written.status().message() << "\n";
    return InfoFor(written.status().code()).exit_code;
  }
  std::string shown = DisplayPath(root);
  std::cout << "Created data product " << product->domain << "/" << product->name << " in " << shown
            << "/\n";
  for (const std::filesystem::path& path : *written) {
    std::cout << "  " << DisplayPath(path) << "\n";
  }
  std::cout << "\nNext steps:\n"
            << "  quanta lint " << shown << "    check the documents, the SQL and the policies\n"
            << "  quanta test " << shown
            << "    run the pipeline on tests/ and its quality checks\n"
            << "Then edit the contracts, the transform and the tests to describe your data.\n";
  return 0;
}

}  // namespace

void RegisterInitCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<InitArguments>();
  CLI::App* command = app.add_subcommand("init", "Scaffold a data product folder");
  command->description(
      "Scaffold a data product folder: product.yaml (ODPS), contracts/ (ODCS), pipeline.yaml,\n"
      "transforms/ and tests/, with one input port, one output dataset, a transform and a test\n"
      "case. Every field is explained by a comment. The folder passes `quanta lint` and\n"
      "`quanta test` as it is.");
  command->add_option("product", arguments->product, "DOMAIN/NAME, e.g. orders/orders")->required();
  command->add_option("--dir", arguments->dir, "Folder to create (default: NAME)");
  command->add_flag("--force", arguments->force,
                    "Write into an existing, non-empty folder, overwriting the scaffold's files");
  command->add_flag("--mesh", arguments->mesh,
                    "Also write quanta-mesh.yaml and policies/ with an example mesh policy");
  command->footer(
      "Names: domain and product name each have 1 to 64 characters of a-z, 0-9, '-' and '_',\n"
      "starting with a letter or a digit.\n"
      "Exit codes: 0 created, 2 bad name, existing non-empty folder (without --force) or\n"
      "I/O error.\n"
      "Examples:\n"
      "  quanta init orders/orders\n"
      "  quanta init marketing/funnel --dir products/funnel --mesh");
  command->callback([arguments, exit_code] { *exit_code = RunInit(*arguments); });
}

}  // namespace quanta::cli
