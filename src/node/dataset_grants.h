#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "governance/read_access.h"
#include "node/node_config.h"
#include "node/product_catalog.h"
#include "ports/http_message.h"

namespace quanta::node {

/// Who reads the node's ports, and what each may see of a deployed product's datasets: the one
/// place where the SQL port, the HTTP reads, the Parquet exports and the change streams get
/// their governance::DatasetAccess. Immutable once made; thread-safe.
class DatasetGrants {
 public:
  /// `principals` as node.yaml lists them. `http_authenticated`: the HTTP API signs every
  /// request in (http.auth: bearer); without it HTTP requests read as the node's operator.
  DatasetGrants(const std::vector<Principal>& principals, bool http_authenticated);

  /// The reader a principal signed in as `name` is: its groups from node.yaml (none for a name
  /// node.yaml does not list).
  governance::Reader ReaderFor(std::string_view name) const;

  /// The reader of an HTTP request: the principal it signed in as; when the HTTP API has no
  /// authentication, an unrestricted reader (whoever reaches such a node may deploy any
  /// pipeline over its data, so masking its reads would protect nothing).
  governance::Reader HttpReader(const ports::HttpRequest& request) const;

  /// What `reader` may see of `dataset` of `product`, decided by governance::DecideReadAccess
  /// over the contract of the output port the pipeline writes it to (or, lacking a pipeline
  /// entry, the first output port's contract with a schema object of that name; input ports'
  /// contracts never decide). A dataset that no output contract describes is read in clear by
  /// every reader.
  static governance::DatasetAccess AccessTo(const DeployedProduct& product,
                                            std::string_view dataset,
                                            const governance::Reader& reader);

  /// Ok when `reader` may read the dead letters of `product`: their payloads are the raw
  /// records that came in, which may hold any column of any row in clear, so this needs every
  /// dataset of the product readable without masks and without a row filter. Else
  /// PermissionDenied saying why.
  static Status MayReadDeadLetters(const DeployedProduct& product,
                                   const governance::Reader& reader);

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> groups_;
  bool http_authenticated_ = false;
};

}  // namespace quanta::node
