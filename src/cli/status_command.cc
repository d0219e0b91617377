#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <vector>

#include "cli/commands.h"
#include "cli/node_endpoint.h"

namespace quanta::cli {
namespace {

using Json = nlohmann::json;

struct StatusArguments {
  std::string product;
  std::string node;
  std::string format = "table";
};

// A field of a status document as a table cell: "-" when missing or null.
std::string Cell(const Json& object, const char* key) {
  if (!object.is_object()) return "-";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::int64_t Count(const Json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

const Json& ArrayField(const Json& object, const char* key) {
  static const Json kEmpty = Json::array();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

// Prints rows under a header, columns left-aligned and three spaces apart, like kubectl get.
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::string_view indent = "") {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line(indent);
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    std::cout << line << "\n";
  }
}

std::string HumanBytes(std::int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

// "violated" when any SLO is, "met" when all are, "no data" before any commit, "-" without SLOs.
std::string SloSummary(const Json& status) {
  std::string summary = "-";
  for (const Json& slo : ArrayField(status, "slo")) {
    std::string state = Cell(slo, "state");
    if (state == "violated" || summary == "-" || (summary == "met" && state == "no data")) {
      summary = state;
    }
    if (summary == "violated") break;
  }
  return summary;
}

// "current", "retiring until 2027-01-31T00:00:00.000000Z", or the state of a product that does
// not run ("failed").
std::string MajorState(const Json& status) {
  std::string role = Cell(status, "role");
  if (role == "retiring") return "retiring until " + Cell(status, "retireAt");
  if (role != "-") return role;
  return Cell(status, "state");
}

// The served majors of a product's status, newest first; a node that predates majors answers
// one status without them.
std::vector<Json> MajorsOf(const Json& status) {
  std::vector<Json> majors;
  for (const Json& major : ArrayField(status, "majors")) majors.push_back(major);
  if (majors.empty()) majors.push_back(status);
  return majors;
}

std::vector<std::string> ProductRow(const Json& status) {
  std::int64_t received = 0, committed = 0, rejected = 0, dead_letters = 0;
  for (const Json& port : ArrayField(status, "ports")) {
    received += Count(port, "received");
    committed += Count(port, "committed");
    rejected += Count(port, "rejected");
    dead_letters += Count(port, "deadLetters");
  }
  const Json& head = status.is_object() && status.contains("head") ? status["head"] : Json();
  return {Cell(status, "product"),      Cell(status, "version"),   MajorState(status),
          std::to_string(received),     std::to_string(committed), std::to_string(rejected),
          std::to_string(dead_letters), Cell(head, "committedAt"), SloSummary(status)};
}

void PrintMajorDetail(const Json& status) {
  const Json& head = status.is_object() && status.contains("head") ? status["head"] : Json();
  std::string head_text = Cell(head, "version") == "-"
                              ? "no commit yet"
                              : fmt::format("version {}, committed {}", Cell(head, "version"),
                                            Cell(head, "committedAt"));
  std::string output_ports;
  for (const Json& port : ArrayField(status, "outputPorts")) {
    output_ports += fmt::format("{}{} {}", output_ports.empty() ? "" : ", ", Cell(port, "name"),
                                Cell(port, "version"));
  }
  PrintTable({{"Version:", Cell(status, "version")},
              {"State:", MajorState(status)},
              {"Output ports:", output_ports.empty() ? "-" : output_ports},
              {"Head:", head_text},
              {"Store size:", HumanBytes(Count(status, "fileBytes"))}});
  std::cout << "Input ports:\n";
  std::vector<std::vector<std::string>> ports = {
      {"NAME", "RECEIVED", "COMMITTED", "REJECTED", "DEAD LETTERS"}};
  for (const Json& port : ArrayField(status, "ports")) {
    ports.push_back({Cell(port, "name"), Cell(port, "received"), Cell(port, "committed"),
                     Cell(port, "rejected"), Cell(port, "deadLetters")});
  }
  PrintTable(ports, "  ");
  std::cout << "Datasets:\n";
  std::vector<std::vector<std::string>> datasets = {
      {"NAME", "MODE", "ROWS", "ROW VERSIONS", "LATEST VERSION", "LATEST COMMIT", "READABLE FROM"}};
  for (const Json& dataset : ArrayField(status, "datasets")) {
    datasets.push_back({Cell(dataset, "name"), Cell(dataset, "mode"), Cell(dataset, "rows"),
                        Cell(dataset, "rowVersions"), Cell(dataset, "latestVersion"),
                        Cell(dataset, "latestCommitAt"),
                        "version " + Cell(dataset, "earliestReadableVersion")});
  }
  PrintTable(datasets, "  ");
  std::vector<std::vector<std::string>> slos = {{"PORT", "SLO", "TARGET", "OBSERVED", "STATE"}};
  for (const Json& slo : ArrayField(status, "slo")) {
    auto Seconds = [&slo](const char* key) {
      auto it = slo.find(key);
      return it != slo.end() && it->is_number() ? fmt::format("{:.3f} s", it->get<double>())
                                                : std::string("-");
    };
    slos.push_back({Cell(slo, "port"), Cell(slo, "property"), Seconds("targetSeconds"),
                    Seconds("observedSeconds"), Cell(slo, "state")});
  }
  if (slos.size() > 1) {
    std::cout << "Service levels:\n";
    PrintTable(slos, "  ");
  }
}

void PrintDetail(const Json& status) {
  std::vector<Json> majors = MajorsOf(status);
  PrintTable({{"Product:", Cell(status, "product")}});
  for (const Json& major : majors) {
    if (majors.size() > 1) std::cout << fmt::format("\nMajor {}:\n", Cell(major, "major"));
    PrintMajorDetail(major);
  }
}

int RunStatus(const StatusArguments& arguments) {
  std::optional<ProductName> product;
  if (!arguments.product.empty()) {
    Result<ProductName> parsed = ParseProductName(arguments.product);
    if (!parsed.ok()) return ReportFailure("status", parsed.status());
    product = *parsed;
  }
  Result<ports::NodeAddress> address = ports::ParseNodeUrl(arguments.node);
  if (!address.ok()) return ReportFailure("status", address.status());
  ports::HttpClient client(*address);
  ports::HttpClientRequest request;
  request.target = product ? ProductTarget(*product) : "/v1/products";
  Result<Json> body = CallNode(client, request);
  if (!body.ok()) return ReportFailure("status", body.status());
  if (arguments.format == "json") {
    std::cout << body->dump(2) << "\n";
    return 0;
  }
  if (product) {
    PrintDetail(*body);
    return 0;
  }
  const Json& products = ArrayField(*body, "products");
  if (products.empty()) {
    std::cout << fmt::format("No products deployed on {}.\n", address->url);
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"PRODUCT", "VERSION", "STATE", "RECEIVED",
                                                 "COMMITTED", "REJECTED", "DEAD LETTERS",
                                                 "LAST COMMIT", "SLO"}};
  // One line per served major, the current one first.
  for (const Json& status : products) {
    for (const Json& major : MajorsOf(status)) rows.push_back(ProductRow(major));
  }
  PrintTable(rows);
  return 0;
}

}  // namespace

void RegisterStatusCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<StatusArguments>();
  CLI::App* command = app.add_subcommand(
      "status", "Show the products a node runs: versions, counts, dead letters, last commit");
  command->add_option("product", arguments->product,
                      "One product, as DOMAIN/NAME, to show in detail (ports and datasets)");
  command->add_option("--format", arguments->format, "Output: table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  AddNodeOption(command, &arguments->node);
  command->footer(
      "Without a product: one line per served major of each deployed product, with its\n"
      "STATE: current, or retiring until the date it stops being served (a new major\n"
      "replaced it); RECEIVED, COMMITTED, REJECTED and DEAD LETTERS add up that major's input\n"
      "ports (received = committed + rejected); SLO is violated when any of its service levels\n"
      "is, met when all are, no data while one has nothing to observe yet. With one: for each\n"
      "served major its version, state, output ports, head version, store size, input ports,\n"
      "datasets (with the earliest version time travel still reads) and service levels (the\n"
      "contracts' latency and frequency against what the node observed). --format json\n"
      "prints the node's answer as it is.\n\n"
      "Exit codes: 0 ok, 1 refused (e.g. the product is not deployed), 2 usage or I/O error\n"
      "(including a node that cannot be reached).\n\n"
      "Examples:\n  quanta status\n  quanta status orders/orders\n"
      "  quanta status --format json --node http://127.0.0.1:7071");
  command->callback([arguments, exit_code] { *exit_code = RunStatus(*arguments); });
}

}  // namespace quanta::cli
