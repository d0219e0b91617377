#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/product_name.h"

namespace quanta::cli {

/// Where a product lives in the mesh, as written on the command line: "orders/orders".
struct ProductName {
  std::string domain;
  std::string name;
};

/// The rule a domain or product name must follow, for error messages and --help.
using model::kProductNameRule;

/// Parses "DOMAIN/NAME". Fails with a Usage status that quotes the text and states the rule
/// when there is no single '/', or when either part breaks kProductNameRule.
Result<ProductName> ParseProductName(std::string_view text);

/// The stable id of the product: "urn:quanta:DOMAIN:NAME". The same name always gives the
/// same id, and two different names never share one.
std::string ProductIdFor(const ProductName& product);

/// The stable id of the contract bound to port `port` of the product:
/// "urn:quanta:DOMAIN:NAME:contract:PORT".
std::string ContractIdFor(const ProductName& product, std::string_view port);

/// What `quanta init` should write.
struct ScaffoldOptions {
  ProductName product;
  /// Also write quanta-mesh.yaml and a policies/ folder with one example policy.
  bool mesh = false;
};

/// One file of a scaffold: its path relative to the product folder and its whole text.
struct ScaffoldFile {
  std::filesystem::path path;
  std::string content;
};

/// The files of a new product folder (product.yaml, contracts/, pipeline.yaml, transforms/,
/// tests/, and with `mesh` the mesh config and policies/), every field explained by a YAML or
/// SQL comment. Pure: the same options always give the same files, in the same order.
std::vector<ScaffoldFile> RenderScaffold(const ScaffoldOptions& options);

/// Writes `files` under `root`, creating folders as needed. Refuses (Usage status naming the
/// folder and the --force flag) when `root` exists and is not an empty folder, unless `force`
/// is set; with `force`, the scaffold's files are overwritten and other files are left alone.
/// Fails with IoError when a folder or file cannot be created. Returns the paths written, in
/// the order of `files`.
Result<std::vector<std::filesystem::path>> WriteScaffold(const std::filesystem::path& root,
                                                         const std::vector<ScaffoldFile>& files,
                                                         bool force);

}  // namespace quanta::cli
