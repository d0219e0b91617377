#include "cli/node_endpoint.h"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstdlib>
#include <iostream>

namespace quanta::cli {

void AddNodeOption(CLI::App* command, std::string* node_url) {
  *node_url = std::string(kDefaultNodeUrl);
  command
      ->add_option("--node", *node_url,
                   "URL of the node, http://HOST:PORT (default: $QUANTA_NODE, else " +
                       std::string(kDefaultNodeUrl) + ")")
      ->envname("QUANTA_NODE");
}

std::string ProductLabel(const ProductName& product) { return product.domain + "/" + product.name; }

std::string PathSegment(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::string ProductTarget(const ProductName& product) {
  return "/v1/products/" + PathSegment(product.domain) + "/" + PathSegment(product.name);
}

Result<nlohmann::json> CallNode(ports::HttpClient& client, const ports::HttpClientRequest& request,
                                ports::HttpClientResponse* response) {
  ports::HttpClientRequest sent = request;
  // A node with http.auth: bearer wants a principal's token on every request.
  if (const char* token = std::getenv("QUANTA_TOKEN"); token && *token) {
    sent.headers.emplace_back("Authorization", std::string("Bearer ") + token);
  }
  QUANTA_ASSIGN_OR_RETURN(ports::HttpClientResponse answer, client.Send(sent));
  if (response != nullptr) *response = answer;
  if (Status refused = answer.ErrorStatus(); !refused.ok()) {
    return Status(refused.code(), refused.message() + " (node " + client.address().url + ")");
  }
  return answer.JsonBody();
}

int NodeCommandExitCode(const Status& status) {
  if (status.ok()) return 0;
  return status.code() == ErrorCode::kUsage || status.code() == ErrorCode::kIoError ? 2 : 1;
}

int ReportFailure(std::string_view command, const Status& status) {
  std::cerr << "quanta " << command << ": " << status.message() << "\n";
  return NodeCommandExitCode(status);
}

}  // namespace quanta::cli
