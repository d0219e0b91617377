#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/node_endpoint.h"

namespace quanta::cli {
namespace {

struct UndeployArguments {
  std::string product;
  std::string node;
  bool purge = false;
};

int RunUndeploy(const UndeployArguments& arguments) {
  Result<ProductName> product = ParseProductName(arguments.product);
  if (!product.ok()) return ReportFailure("undeploy", product.status());
  Result<ports::NodeAddress> address = ports::ParseNodeUrl(arguments.node);
  if (!address.ok()) return ReportFailure("undeploy", address.status());
  ports::HttpClient client(*address);
  ports::HttpClientRequest request;
  request.method = "DELETE";
  request.target = ProductTarget(*product) + (arguments.purge ? "?purge=true" : "");
  Result<nlohmann::json> body = CallNode(client, request);
  if (!body.ok()) {
    return ReportFailure("undeploy", body.status());
  }
  std::cout << fmt::format(
      "undeployed {} from {} ({})\n", ProductLabel(*product), address->url,
      arguments.purge ? "its data was deleted" : "its data is kept; --purge deletes it");
  return 0;
}

}  // namespace

void RegisterUndeployCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<UndeployArguments>();
  CLI::App* command = app.add_subcommand(
      "undeploy", "Stop running a product on a node; its data is kept unless --purge");
  command->add_option("product", arguments->product, "The product, as DOMAIN/NAME")->required();
  command->add_flag("--purge", arguments->purge,
                    "Also delete the product's data (every version, the dead letters)");
  AddNodeOption(command, &arguments->node);
  command->footer(
      "Exit codes: 0 undeployed, 1 refused (e.g. the product is not deployed), 2 usage or I/O\n"
      "error (including a node that cannot be reached).\n\n"
      "Examples:\n  quanta undeploy orders/orders\n"
      "  quanta undeploy orders/orders --purge --node http://127.0.0.1:7071");
  command->callback([arguments, exit_code] { *exit_code = RunUndeploy(*arguments); });
}

}  // namespace quanta::cli
