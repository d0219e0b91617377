#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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
#include "store/clock.h"
#include "store/product_store.h"

namespace quanta::node {

/// How long a previous major stays served after a new major becomes current, when neither the
/// deploy nor the previous version's product.yaml gives a date.
inline constexpr std::chrono::hours kDefaultRetirementNotice{24 * 30};

/// The product.yaml custom property (ODPS `customProperties`) that gives the time at which a
/// version stops being served once a later major is current: a date ("2027-01-31", which
/// means 00:00 UTC that day) or an RFC 3339 time.
inline constexpr std::string_view kRetireAtProperty = "retireAt";

/// One major version of a product running on the node: its folder as deployed, its store and
/// its runner. Handed out as shared_ptr so that a request in flight keeps it alive through a
/// redeploy or a retirement.
struct DeployedProduct {
  std::string id;              ///< "domain/name"
  std::int64_t major = 0;      ///< the major of product.yaml's version
  std::filesystem::path root;  ///< <data>/products/<domain>/<name>/majors/<major>
  std::shared_ptr<const model::ProductFolder> folder;
  std::unique_ptr<store::ProductStore> store;
  std::unique_ptr<pipeline::ProductRunner> runner;
  /// Set when the node stops serving this version (redeploy, retirement, undeploy): responses
  /// that run on (event streams) end, so that the store can close.
  std::atomic<bool> stopping{false};

  /// product.yaml's version, e.g. "2.1.0".
  std::string version() const;
  ~DeployedProduct();  ///< the runner goes before the store it writes to
};

/// A major being served, and whether it is the current one or retiring.
struct ServedMajor {
  std::shared_ptr<DeployedProduct> product;
  /// When the node stops serving it; nullopt for the current major.
  std::optional<store::Timestamp> retire_at;
  /// When a later major replaced it (set with retire_at).
  std::optional<store::Timestamp> retiring_since;

  bool current() const { return !retire_at.has_value(); }
};

/// The majors of one product that the node serves: the current one, and at most one retiring
/// major that a later one replaced and that is served until its date.
struct ServedProduct {
  std::string id;                   ///< "domain/name"
  std::vector<ServedMajor> majors;  ///< newest first; never empty

  const ServedMajor& current() const { return majors.front(); }
  /// The served major `major`, or nullptr.
  const ServedMajor* Find(std::int64_t major) const;
  /// The majors for messages: "2 (current, 2.0.0) and 1 (retiring at 2027-01-31T...Z)".
  std::string Describe() const;
};

/// A product folder that came in over the wire: relative path -> file content.
using ProductFiles = std::map<std::string, std::string>;

/// How to deploy.
struct DeployOptions {
  /// When the deploy makes a new major current: until when the previous major stays served:
  /// "now", a date (YYYY-MM-DD, 00:00 UTC) or an RFC 3339 time, in the future. When the deploy
  /// updates the current major while a retiring one is served, the retiring one's new date.
  /// Unset: the previous version's product.yaml `retireAt`, else kDefaultRetirementNotice.
  std::optional<std::string> retire_previous_at;
};

/// A served major as a deploy reports it (plain values: a report does not hold the major open).
struct MajorSummary {
  std::int64_t major = 0;
  std::string version;
  std::optional<store::Timestamp> retire_at;  ///< nullopt for the current major
};

/// What a deploy did.
struct DeployReport {
  bool created = false;              ///< no major of this product was served before
  std::int64_t major = 0;            ///< the major the deploy went to
  bool new_major = false;            ///< the deploy made a new major current
  std::vector<Diagnostic> findings;  ///< lint warnings (errors refuse the deploy)
  std::vector<MajorSummary> majors;  ///< the majors served after the deploy, newest first
};

/// Why a deploy was refused, with the lint findings or breaking changes that say why.
struct DeployRefusal {
  Status status;
  std::vector<Diagnostic> findings;
};

/// The outcome of one ingest batch in one served major.
struct MajorIngest {
  std::int64_t major = 0;
  Result<pipeline::IngestOutcome> outcome;
};

/// Ok when some served major of `product` has input `port`; else NotFound naming the input
/// ports the majors have. Thread-safe.
Status CheckInputPort(const ServedProduct& product, std::string_view port);

/// Runs one micro-batch of input `port` in every served major of `product` whose pipeline has
/// that port, each against its own input contract and into its own store with the same
/// idempotency key (so a retry applies once to each), in parallel; returns once every major
/// has committed or failed, newest major first. Fails (NotFound, naming the ports) when no
/// major has the port. Thread-safe.
Result<std::vector<MajorIngest>> IngestToMajors(const ServedProduct& product, std::string_view port,
                                                const std::vector<std::string>& records,
                                                const std::optional<std::string>& idempotency_key);

/// The products deployed on a node, kept under <data>/products/<domain>/<name>/majors/<major>/:
/// `source/` holds the product folder as deployed, `store.duckdb` its data, `retiring.json` the
/// date of a retiring major (docs/node.md, docs/store.md). Each major of a product has its own
/// folder, store and runner; the newest served major is the current one. Products are reopened
/// when the node starts; one that fails to open is reported, the others run. Thread-safe.
class ProductCatalog {
 public:
  /// Opens every product deployed under `data_dir` (moving a product that an earlier Quanta
  /// kept directly in its folder to majors/<major>/ first). Problems with single products are
  /// kept in load_errors(); fails only when the products folder cannot be created. `clock`
  /// (default: the system clock) says when retiring majors are due; it is also the stores'.
  /// Every store is attached to `database` (nullptr: each store opens a private instance).
  /// Products named in `left_out` (id -> why) are not opened: each is reported in
  /// load_errors() with its reason (the node leaves out a product that stopped its engine).
  /// Stores checkpoint once their log passes `checkpoint_log_bytes`, and keep rows for point
  /// lookups in `keyed_rows_budget` (store::StoreOptions).
  static Result<std::unique_ptr<ProductCatalog>> Open(
      const std::filesystem::path& data_dir, std::shared_ptr<store::Clock> clock = nullptr,
      std::shared_ptr<engine::Database> database = nullptr,
      const std::map<std::string, std::string>& left_out = {},
      std::uint64_t checkpoint_log_bytes = store::kSmallestCheckpointLogBytes,
      std::shared_ptr<engine::MemoryBudget> keyed_rows_budget = nullptr);

  /// Deploys `files` as product `domain`/`name`. The folder is written to a staging place,
  /// linted as `quanta lint --default-policies` would, and refused when lint finds errors, when
  /// product.yaml names another domain or name, or when it breaks an output port's consumers:
  /// a breaking contract change without a new major version of the port, a port removed, or a
  /// port's major changed while the product's major stays. The deploy goes to the major of
  /// product.yaml's version:
  ///  - a served major: that version is replaced; its data stays;
  ///  - a major above the current one: it becomes current with a new store, and the previous
  ///    current major stays served, retiring, until options.retire_previous_at, else its own
  ///    product.yaml `retireAt`, else kDefaultRetirementNotice from now. Refused (kIncompatible)
  ///    while a retiring major is still served;
  ///  - an older major that is not served: refused (kIncompatible).
  Result<DeployReport> Deploy(const std::string& domain, const std::string& name,
                              const ProductFiles& files, DeployRefusal* refusal,
                              const DeployOptions& options = {});

  /// Stops serving every major of the product; with `purge` its data (every major's, and its
  /// Parquet exports) is deleted too. NotFound when absent.
  Status Undeploy(const std::string& domain, const std::string& name, bool purge);

  /// Stops serving retiring major `major` now, before its date; its data stays in its folder
  /// unless `purge` (which also deletes the folder of a major retired earlier). Refused
  /// (kIncompatible) for the current major: undeploy the product instead. NotFound naming the
  /// served majors when there is no such major.
  Status RetireMajor(const std::string& domain, const std::string& name, std::int64_t major,
                     bool purge);

  /// The current major of the running product, or nullptr.
  std::shared_ptr<DeployedProduct> Find(std::string_view domain, std::string_view name) const;
  /// Every served major of the product (those whose date has passed are left out), or nullopt.
  std::optional<ServedProduct> FindServed(std::string_view domain, std::string_view name) const;
  /// The current major of every running product, ordered by id.
  std::vector<std::shared_ptr<DeployedProduct>> List() const;
  /// Every running product with its served majors, ordered by id.
  std::vector<ServedProduct> ListServed() const;
  /// Products found on disk that could not be opened: id -> why.
  std::map<std::string, std::string> load_errors() const;
  /// The products (id -> the store's error) with a store whose own statement made DuckDB stop
  /// the instance after a fatal error (store::ProductStore::StoppedEngine).
  std::map<std::string, std::string> ProductsThatStoppedTheEngine() const;

  /// Stops serving every retiring major whose date has passed (its source moves to retired/,
  /// its data stays); logs each on stderr. Returns "domain/name major N" for each. The
  /// retention pass calls it; tests with a fake clock call it directly.
  std::vector<std::string> RetireDue();

  /// Starts the periodic pass: now and then every `interval` (and at the date of the next
  /// retiring major), retiring majors that are due stop being served (RetireDue) and each
  /// served store removes row versions and dead letters older than their retention
  /// (store::ProductStore::Purge). What it did, and any failure, is logged on stderr. Stopped
  /// by the destructor.
  void StartRetentionPass(std::chrono::seconds interval);
  ~ProductCatalog();
  ProductCatalog(const ProductCatalog&) = delete;
  ProductCatalog& operator=(const ProductCatalog&) = delete;

 private:
  ProductCatalog(std::filesystem::path products_dir, std::shared_ptr<store::Clock> clock,
                 std::shared_ptr<engine::Database> database, std::uint64_t checkpoint_log_bytes,
                 std::shared_ptr<engine::MemoryBudget> keyed_rows_budget)
      : products_dir_(std::move(products_dir)),
        clock_(std::move(clock)),
        database_(std::move(database)),
        checkpoint_log_bytes_(checkpoint_log_bytes),
        keyed_rows_budget_(std::move(keyed_rows_budget)) {}
  void OpenProductFolder(const std::string& id, const std::filesystem::path& root);
  Result<std::shared_ptr<DeployedProduct>> OpenMajor(const std::string& id, std::int64_t major,
                                                     const std::filesystem::path& folder);
  // Takes the major out of the served set and waits until no request holds it any more.
  Status CloseMajor(const std::string& id, std::int64_t major);
  // Closes the major and moves its source/ to `into` (retired, undeployed).
  Status StopServing(const std::string& id, std::int64_t major, const char* into);
  std::vector<std::string> RetireDueLocked();
  Status SetRetiring(const std::string& id, std::int64_t major, store::Timestamp retire_at,
                     store::Timestamp since);
  std::optional<store::Timestamp> NextRetirement() const;
  void InsertMajor(const std::string& id, ServedMajor major);
  void RescheduleRetentionPass();

  const std::filesystem::path products_dir_;
  const std::shared_ptr<store::Clock> clock_;
  const std::shared_ptr<engine::Database> database_;  // the node's instance, shared by stores
  const std::uint64_t checkpoint_log_bytes_;          // store::StoreOptions::checkpoint_wal_bytes
  const std::shared_ptr<engine::MemoryBudget> keyed_rows_budget_;  // shared by the stores
  std::mutex deploy_mutex_;  // one deploy, undeploy or retirement at a time
  mutable std::shared_mutex mutex_;
  // id -> served majors, newest first.
  std::map<std::string, std::vector<ServedMajor>, std::less<>> products_;
  std::map<std::string, std::string> load_errors_;

  std::mutex retention_mutex_;
  std::condition_variable retention_wake_;
  bool stopping_ = false;    // guarded by retention_mutex_
  bool reschedule_ = false;  // guarded by retention_mutex_: a retirement date changed
  std::thread retention_thread_;
};

/// Checks a domain or product name from a URL: 1-64 of [a-z0-9_-], starting with a letter or
/// digit, so that it is a safe folder name.
Status CheckProductName(std::string_view what, std::string_view name);

/// Reads a retirement time: "now" (`now`), a date (YYYY-MM-DD, 00:00 UTC) or an RFC 3339 time.
/// nullopt when `text` is none of these.
std::optional<store::Timestamp> ParseRetireAt(std::string_view text, store::Timestamp now);

}  // namespace quanta::node
