#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "engine/database.h"
#include "model/product_folder.h"
#include "pipeline/product_runner.h"
#include "store/product_store.h"

namespace quanta::node {

/// One product running on the node: its folder as deployed, its store and its runner.
/// Handed out as shared_ptr so that a request in flight keeps it alive through a redeploy.
struct DeployedProduct {
  std::string id;              ///< "domain/name"
  std::filesystem::path root;  ///< <data>/products/<domain>/<name>
  std::shared_ptr<const model::ProductFolder> folder;
  std::unique_ptr<store::ProductStore> store;
  std::unique_ptr<pipeline::ProductRunner> runner;

  ~DeployedProduct();  ///< the runner goes before the store it writes to
};

/// A product folder that came in over the wire: relative path -> file content.
using ProductFiles = std::map<std::string, std::string>;

/// What a deploy did.
struct DeployReport {
  bool created = false;              ///< first deploy of this product
  std::vector<Diagnostic> findings;  ///< lint warnings (errors refuse the deploy)
};

/// Why a deploy was refused, with the lint findings or breaking changes that say why.
struct DeployRefusal {
  Status status;
  std::vector<Diagnostic> findings;
};

/// The products deployed on a node, kept under <data>/products/<domain>/<name>/: `source/`
/// holds the product folder as deployed, `store.duckdb` its data (docs/node.md). Products are
/// reopened when the node starts; one that fails to open is reported, the others run.
/// Thread-safe.
class ProductCatalog {
 public:
  /// Opens every product deployed under `data_dir`. Problems with single products are kept in
  /// load_errors(); fails only when the products folder cannot be created.
  /// Every store is attached to `database` (nullptr: each store opens a private instance).
  static Result<std::unique_ptr<ProductCatalog>> Open(
      const std::filesystem::path& data_dir,
      std::shared_ptr<engine::Database> database = nullptr);

  /// Deploys `files` as product `domain`/`name`. The folder is written to a staging place,
  /// linted as `quanta lint --default-policies` would, and refused when lint finds errors, when
  /// product.yaml names another domain or name, or when an output port's contract changes in a
  /// way that breaks its consumers without a new major version of the port. On success it
  /// replaces the running version; the data stays.
  Result<DeployReport> Deploy(const std::string& domain, const std::string& name,
                              const ProductFiles& files, DeployRefusal* refusal);

  /// Stops serving the product; with `purge` its data is deleted too. NotFound when absent.
  Status Undeploy(const std::string& domain, const std::string& name, bool purge);

  /// The running product, or nullptr.
  std::shared_ptr<DeployedProduct> Find(std::string_view domain, std::string_view name) const;
  /// Every running product, ordered by id.
  std::vector<std::shared_ptr<DeployedProduct>> List() const;
  /// Products found on disk that could not be opened: id -> why.
  std::map<std::string, std::string> load_errors() const;

  /// Starts the retention pass: now and then every `interval`, each product's store removes
  /// row versions and dead letters older than their retention (store::ProductStore::Purge).
  /// What it removed, and any failure, is logged on stderr. Stopped by the destructor.
  void StartRetentionPass(std::chrono::seconds interval);
  ~ProductCatalog();
  ProductCatalog(const ProductCatalog&) = delete;
  ProductCatalog& operator=(const ProductCatalog&) = delete;

 private:
  ProductCatalog(std::filesystem::path products_dir, std::shared_ptr<engine::Database> database)
      : products_dir_(std::move(products_dir)), database_(std::move(database)) {}
  Result<std::shared_ptr<DeployedProduct>> OpenProduct(const std::string& id,
                                                       const std::filesystem::path& root);
  Status Retire(const std::string& id);

  const std::filesystem::path products_dir_;
  const std::shared_ptr<engine::Database> database_;  // the node's instance, shared by stores
  std::mutex deploy_mutex_;  // one deploy or undeploy at a time
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<DeployedProduct>, std::less<>> products_;
  std::map<std::string, std::string> load_errors_;

  std::mutex retention_mutex_;
  std::condition_variable retention_wake_;
  bool stopping_ = false;  // guarded by retention_mutex_
  std::thread retention_thread_;
};

/// Checks a domain or product name from a URL: 1-64 of [a-z0-9_-], starting with a letter or
/// digit, so that it is a safe folder name.
Status CheckProductName(std::string_view what, std::string_view name);

}  // namespace quanta::node
