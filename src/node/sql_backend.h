#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/database.h"
#include "node/dataset_grants.h"
#include "node/node_config.h"
#include "node/product_catalog.h"
#include "ports/pg_session.h"

namespace quanta::node {

/// What the SQL port needs from a node: its principals (from the configuration), connections
/// to its DuckDB instance and the tables of its running products as each principal may read
/// them (ProductTables with the principal's groups). Thread-safe.
class SqlBackend : public ports::PgBackend {
 public:
  /// Reads the principals' verifiers; fails (kUsage) naming the principal whose verifier is
  /// malformed. `catalog` and `database` must outlive the backend.
  static Result<std::unique_ptr<SqlBackend>> Create(const std::vector<Principal>& principals,
                                                    std::shared_ptr<engine::Database> database,
                                                    const ProductCatalog& catalog);

  ports::PgCredentials CredentialsFor(std::string_view user) override;
  Result<std::unique_ptr<engine::Connection>> Connect() override;
  std::unique_ptr<query::TableResolver> ResolverFor(std::string_view user) override;

 private:
  SqlBackend(std::shared_ptr<engine::Database> database, const ProductCatalog& catalog,
             const std::vector<Principal>& principals)
      : database_(std::move(database)), catalog_(catalog), grants_(principals, true) {
    for (const Principal& principal : principals) {
      principals_.push_back(governance::Reader{principal.name, principal.groups});
    }
  }

  std::shared_ptr<engine::Database> database_;
  const ProductCatalog& catalog_;
  DatasetGrants grants_;
  /// The principals by name and groups, for the catalogs' roles; never their credentials.
  std::vector<governance::Reader> principals_;
  std::map<std::string, ports::PgCredentials, std::less<>> credentials_;
};

}  // namespace quanta::node
