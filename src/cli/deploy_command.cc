#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/node_endpoint.h"
#include "model/product_folder.h"

namespace quanta::cli {
namespace {

namespace fs = std::filesystem;

struct DeployArguments {
  std::string path;
  std::string node;
  std::string retire_previous_at;
};

// The folders of a product whose files are uploaded, beside product.yaml and pipeline.yaml.
constexpr const char* kUploadedFolders[] = {"contracts", "transforms", "tests"};

Status ReadText(const fs::path& file, const std::string& relative, nlohmann::json* files) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::IoError("{}: cannot read the file", file.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("{}: reading failed", file.string());
  try {
    // The body is JSON, so every file must be UTF-8 text; dump() checks that.
    (void)nlohmann::json(text.str()).dump();
  } catch (const nlohmann::json::exception&) {
    return Status::Usage("{}: not UTF-8 text; a product folder holds only text files",
                         file.string());
  }
  (*files)[relative] = text.str();
  return Status::Ok();
}

// Collects the files the node needs, keyed by their path relative to `root` with '/'.
Result<nlohmann::json> CollectFiles(const fs::path& root) {
  nlohmann::json files = nlohmann::json::object();
  for (const char* name : {"product.yaml", "pipeline.yaml"}) {
    if (fs::is_regular_file(root / name)) {
      QUANTA_RETURN_IF_ERROR(ReadText(root / name, name, &files));
    }
  }
  for (const char* folder : kUploadedFolders) {
    std::error_code error;
    if (!fs::is_directory(root / folder, error)) continue;
    fs::recursive_directory_iterator it(root / folder, error), end;
    for (; !error && it != end; it.increment(error)) {
      std::string file_name = it->path().filename().string();
      if (!file_name.empty() && file_name[0] == '.') {  // editor and VCS files
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file()) continue;
      QUANTA_RETURN_IF_ERROR(
          ReadText(it->path(), it->path().lexically_relative(root).generic_string(), &files));
    }
    if (error) {
      return Status::IoError("{}: cannot list the folder: {}", (root / folder).string(),
                             error.message());
    }
  }
  return files;
}

std::string StringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int IntField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// A finding as the node reports it (DiagnosticToJson), with a relative file made to point into
// the local folder so that editors can jump to it.
Diagnostic FindingFromJson(const nlohmann::json& finding, const fs::path& root) {
  Diagnostic diagnostic;
  if (!finding.is_object()) {
    diagnostic.message = finding.dump();
    return diagnostic;
  }
  diagnostic.severity =
      StringField(finding, "severity") == "warning" ? Severity::kWarning : Severity::kError;
  diagnostic.rule = StringField(finding, "rule");
  diagnostic.location.file = StringField(finding, "file");
  if (!diagnostic.location.file.empty() && fs::path(diagnostic.location.file).is_relative()) {
    diagnostic.location.file = (root / diagnostic.location.file).generic_string();
  }
  diagnostic.location.line = IntField(finding, "line");
  diagnostic.location.column = IntField(finding, "column");
  diagnostic.location.field = StringField(finding, "field");
  diagnostic.message = StringField(finding, "message");
  diagnostic.hint = StringField(finding, "hint");
  return diagnostic;
}

void PrintFindings(const nlohmann::json& body, const fs::path& root) {
  if (!body.is_object() || !body.contains("findings") || !body["findings"].is_array()) return;
  for (const nlohmann::json& finding : body["findings"]) {
    std::cout << FormatDiagnostic(FindingFromJson(finding, root)) << "\n";
  }
}

int RunDeploy(const DeployArguments& arguments) {
  fs::path root(arguments.path);
  Result<ports::NodeAddress> address = ports::ParseNodeUrl(arguments.node);
  if (!address.ok()) return ReportFailure("deploy", address.status());
  std::error_code error;
  if (!fs::is_directory(root) || !fs::is_regular_file(root / "product.yaml", error)) {
    return ReportFailure("deploy", Status::Usage("{}: not a product folder (a folder holding "
                                                 "product.yaml)",
                                                 arguments.path));
  }
  std::vector<Diagnostic> diagnostics;
  Result<model::ProductFolder> folder = model::LoadProductFolder(root, &diagnostics);
  if (!folder.ok()) return ReportFailure("deploy", folder.status());
  if (!folder->product.has_value() || !folder->product->product.domain.has_value() ||
      !folder->product->product.name.has_value()) {
    // Without a readable product.yaml naming its domain and name there is nothing to deploy
    // to; show why, as lint would.
    for (const Diagnostic& diagnostic : diagnostics) {
      std::cout << FormatDiagnostic(diagnostic) << "\n";
    }
    return ReportFailure(
        "deploy",
        Status::Invalid("{}: product.yaml must be readable and name the product's domain and "
                        "name; run `quanta lint {}`",
                        (root / "product.yaml").string(), arguments.path));
  }
  ProductName product{*folder->product->product.domain, *folder->product->product.name};
  Result<nlohmann::json> files = CollectFiles(root);
  if (!files.ok()) return ReportFailure("deploy", files.status());

  ports::HttpClient client(*address);
  ports::HttpClientRequest request;
  request.method = "PUT";
  request.target = ProductTarget(product);
  if (!arguments.retire_previous_at.empty()) {
    request.target += "?retire_previous_at=" + PathSegment(arguments.retire_previous_at);
  }
  request.content_type = "application/json";
  request.body = nlohmann::json{{"files", *files}}.dump();
  ports::HttpClientResponse response;
  Result<nlohmann::json> body = CallNode(client, request, &response);
  if (!body.ok()) {
    if (response.status != 0) {
      Result<nlohmann::json> error_body = response.JsonBody();
      if (error_body.ok()) PrintFindings(*error_body, root);
    }
    return ReportFailure("deploy", body.status());
  }
  PrintFindings(*body, root);
  std::string how = response.status == 201 ? "" : " (redeployed)";
  if (body->is_object() && body->value("newMajor", false)) {
    how = fmt::format(" as a new major, {} ({})", IntField(*body, "major"),
                      folder->product->product.version.value_or(""));
  }
  std::cout << fmt::format("deployed {} to {}{}\n", ProductLabel(product), address->url, how);
  // While two majors are served, say until when the older one is.
  auto majors = body->is_object() ? body->find("majors") : body->end();
  if (majors != body->end() && majors->is_array()) {
    for (const nlohmann::json& major : *majors) {
      if (StringField(major, "role") != "retiring") continue;
      std::cout << fmt::format("major {} ({}) is retiring: served until {} at {}/majors/{}/\n",
                               IntField(major, "major"), StringField(major, "version"),
                               StringField(major, "retireAt"), ProductTarget(product),
                               IntField(major, "major"));
    }
  }
  return 0;
}

}  // namespace

void RegisterDeployCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<DeployArguments>();
  CLI::App* command = app.add_subcommand(
      "deploy", "Upload a product folder to a node, which lints it like `quanta lint` and runs it");
  command->add_option("path", arguments->path, "The product folder (holding product.yaml)")
      ->required();
  command->add_option("--retire-previous-at", arguments->retire_previous_at,
                      "When this deploy raises the product's major: until when the previous major "
                      "stays served (now, YYYY-MM-DD for 00:00 UTC, or an RFC 3339 time; default: "
                      "the previous product.yaml's retireAt custom property, else 30 days)");
  AddNodeOption(command, &arguments->node);
  command->footer(
      "Uploads product.yaml, pipeline.yaml, contracts/, transforms/ and tests/ to the node as\n"
      "DOMAIN/NAME (product.yaml's domain and name). The node runs the same checks as\n"
      "`quanta lint`; its findings are printed like lint's, and an error refuses the deploy.\n"
      "Deploying again replaces the product's code and keeps its data. A version of a new major\n"
      "(product.yaml's version, raised with any output port's major) runs beside the previous\n"
      "major, with a store of its own; the previous one is served, retiring, until its date\n"
      "and then retired (docs/node.md, \"Major versions\").\n\n"
      "Exit codes: 0 deployed, 1 refused (findings, a breaking change), 2 usage or I/O error\n"
      "(including a node that cannot be reached).\n\n"
      "Examples:\n  quanta deploy orders/\n"
      "  quanta deploy examples/orders/orders --node http://127.0.0.1:7071\n"
      "  QUANTA_NODE=http://node-a:7070 quanta deploy .\n"
      "  quanta deploy orders/ --retire-previous-at 2027-01-31");
  command->callback([arguments, exit_code] { *exit_code = RunDeploy(*arguments); });
}

}  // namespace quanta::cli
