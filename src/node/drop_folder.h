#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "node/product_catalog.h"
#include "node/product_metrics.h"

namespace quanta::node {

/// The drop folders of file input ports: for every deployed product and every input port whose
/// pipeline.yaml source is `file`, files put into
///   <data>/drops/<domain>/<product>/<port>/
/// are ingested (CSV with a header, NDJSON or Parquet, by extension) as micro-batches of at most
/// 10000 records, into every served major of the product that has the port, then moved to `done/`
/// beside them, or to `failed/` with a `.error.txt` saying why. Each batch's idempotency key comes
/// from the file's name, size and content, so a file found again after a crash between commit and
/// move is not applied twice. Write files under a name starting with '.' and rename them when
/// complete: dot files are not picked up. With `metrics`, every batch counts in the node's
/// ingest metrics and latency SLO like an HTTP batch, its latency measured from the file's
/// arrival (its modification time) to the durable commit.
class DropFolders {
 public:
  DropFolders(std::filesystem::path data_dir, ProductCatalog& catalog,
              ProductMetrics* metrics = nullptr)
      : root_(std::move(data_dir) / "drops"), catalog_(catalog), metrics_(metrics) {}
  ~DropFolders();  ///< stops the watcher
  DropFolders(const DropFolders&) = delete;
  DropFolders& operator=(const DropFolders&) = delete;

  /// Creates the folders of every file port and scans them every `interval` on a thread.
  void Start(std::chrono::milliseconds interval);
  /// Creates the folders and ingests every file found once; returns the number of files
  /// handled (done or failed).
  int ScanOnce();

  /// The drop folder of a product's port.
  std::filesystem::path FolderOf(const std::string& product_id, const std::string& port) const {
    return root_ / product_id / port;
  }

 private:
  void IngestFile(const ServedProduct& product, const std::string& port,
                  const std::filesystem::path& file);

  const std::filesystem::path root_;
  ProductCatalog& catalog_;
  ProductMetrics* const metrics_;  // may be null
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace quanta::node
