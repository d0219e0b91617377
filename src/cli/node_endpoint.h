#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "cli/product_scaffold.h"
#include "ports/http_client.h"

namespace quanta::cli {

/// Where the node commands look for a node when neither --node nor QUANTA_NODE says.
inline constexpr std::string_view kDefaultNodeUrl = "http://127.0.0.1:7070";

/// Adds `--node URL` to `command`, filled from the environment variable QUANTA_NODE when the
/// flag is absent, else kDefaultNodeUrl.
void AddNodeOption(CLI::App* command, std::string* node_url);

/// "DOMAIN/NAME", as users write a product's name.
std::string ProductLabel(const ProductName& product);

/// `text` percent-encoded as one path segment ("a/b" -> "a%2Fb").
std::string PathSegment(std::string_view text);

/// "/v1/products/DOMAIN/NAME", each part percent-encoded as one path segment.
std::string ProductTarget(const ProductName& product);

/// Sends `request` and returns the JSON body of a 2xx answer. A failed exchange (no node, a
/// timeout) fails with kIoError; a non-2xx answer fails with the node's error (see
/// HttpClientResponse::ErrorStatus). `response`, when given, receives any answer the node sent,
/// so that a caller can read more of an error body (a deploy's findings).
Result<nlohmann::json> CallNode(ports::HttpClient& client, const ports::HttpClientRequest& request,
                                ports::HttpClientResponse* response = nullptr);

/// The exit code of a node command that failed with `status`: 2 for a usage or I/O error
/// (including a node that cannot be reached), 1 when the node refused or the work failed.
int NodeCommandExitCode(const Status& status);

/// Prints "quanta COMMAND: MESSAGE" on stderr and returns NodeCommandExitCode(status).
int ReportFailure(std::string_view command, const Status& status);

}  // namespace quanta::cli
