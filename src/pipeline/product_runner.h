#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "engine/held_rows.h"
#include "model/product_folder.h"
#include "pipeline/pipeline_plan.h"
#include "pipeline/record_validator.h"
#include "store/product_store.h"

namespace quanta::pipeline {

/// A record an ingest refused, as reported back to the sender.
struct IngestRejection {
  std::size_t index = 0;    ///< place in the batch, from 0
  std::int64_t offset = 0;  ///< the record's offset in its port
  std::string reason;       ///< names the field and the rule
};

/// The outcome of one micro-batch (one request).
struct IngestOutcome {
  /// The commit that holds the request. When the request shared it with others (a group
  /// commit), `version`, `committed_at` and `datasets` are the commit's, while
  /// `idempotency_key` and `ports` are this request's own: its counts and offset range.
  store::CommitInfo commit;
  std::int64_t received = 0;  ///< always accepted + rejected
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  /// The first rejections (at most kMaxReportedRejections); all of them are dead letters.
  std::vector<IngestRejection> rejections;
  bool replayed = false;  ///< the idempotency key had been committed before; nothing changed
};

/// The most rejections an IngestOutcome lists.
inline constexpr std::size_t kMaxReportedRejections = 20;

/// The most records, and bytes of records, that one group commit takes (its first request is
/// taken whatever its size). A bit over two of DuckDB's row groups: a transaction that appends
/// more than a row group writes it to the file instead of the write-ahead log.
inline constexpr std::size_t kMaxGroupRecords = 250000;
inline constexpr std::size_t kMaxGroupBytes = 256u << 20;

/// A deployed product's code running over micro-batches: each batch of records that arrives at
/// an input port is checked against the port's contract, the conforming records become the
/// port's input table, every dataset's transform runs over them, and the output rows, the
/// rejected records (as dead letters), the counts and the port's offsets are committed in one
/// store transaction: a batch is applied exactly once or not at all (DESIGN.md promise 1).
///
/// A transform sees only the batch's input rows, plus previous."<dataset>" for the current
/// state of its own datasets (running totals, deduplication).
///
/// Group commit: requests are checked and loaded concurrently, then queue for the store's
/// writer. A request that finds no one queued commits at once; requests that arrive while a
/// commit is running wait, and the next writer turn takes all of them that are for the same
/// port (up to kMaxGroupRecords / kMaxGroupBytes) and applies them in ONE transaction, one
/// store version, each with its own offsets (consecutive, in queue order), counts, dead
/// letters and idempotency key; the transforms run once over the union of their rows, which
/// is what one larger batch would give. When a group fails (a transform on some request's
/// rows, or the commit), each of its requests runs again alone, so that only the failing one
/// hears of it. Thread-safe.
class ProductRunner {
 public:
  /// Plans the folder's pipeline over `store`, which must outlive the runner. Fails with the
  /// plan's message when the folder does not say how to build its datasets.
  static Result<std::unique_ptr<ProductRunner>> Create(
      std::shared_ptr<const model::ProductFolder> folder, store::ProductStore* store);

  /// Runs one micro-batch of `records` (each the raw bytes of one JSON record) arriving at
  /// input `port`. With an idempotency key that was committed before, returns that commit's
  /// outcome (replayed) without applying anything. Fails (NotFound) for an unknown port,
  /// (Invalid) when a transform fails at run time (nothing of the batch is kept), and with
  /// the store's error when the commit fails. Blocks until the batch is durable (it may share
  /// its commit with concurrent requests, see the class comment); `records` must stay alive
  /// until it returns.
  Result<IngestOutcome> Ingest(std::string_view port, const std::vector<std::string>& records,
                               const std::optional<std::string>& idempotency_key = std::nullopt);

  /// The requests queued for a writer turn, the one being committed included.
  std::size_t QueuedBatches() const;

  const model::ProductFolder& folder() const { return *folder_; }
  store::ProductStore& store() const { return *store_; }
  /// The names of the input ports that take records.
  std::vector<std::string> InputPorts() const;
  /// The schema object whose records `port` takes, or nullptr for an unknown port.
  const model::SchemaObject* InputObject(std::string_view port) const;

 private:
  struct Rejection;
  struct QueuedBatch;
  struct PortPlan {
    std::string table;  ///< the input table the port's records fill
    const model::SchemaObject* object = nullptr;
    std::unique_ptr<RecordValidator> validator;
    /// How the port's columns are appended from checked values; nullopt when its records go
    /// through DuckDB's JSON reader (RowAppender::ColumnsFor).
    std::optional<std::vector<engine::AppendColumn>> append_columns;
  };

  // The records of a batch that passed the checks, as NDJSON for DuckDB's reader.
  struct AcceptedRows {
    std::string ndjson;              // one row per line
    std::vector<std::size_t> ends;   // where row i ends in ndjson (its line break)
    std::vector<std::size_t> index;  // row i is records[index[i]]
    void Add(std::string_view row, std::size_t record_index);
    std::string_view Row(std::size_t i) const;
    std::size_t size() const { return ends.size(); }
  };

  ProductRunner(std::shared_ptr<const model::ProductFolder> folder, store::ProductStore* store,
                PipelinePlan plan);
  // Loads `rows` through `connection` with DuckDB's JSON reader and holds them; fails when
  // DuckDB cannot load them.
  Result<std::unique_ptr<engine::HeldRows>> LoadBatchRows(engine::Connection& connection,
                                                          const PortPlan& port,
                                                          const AcceptedRows& rows);
  // Creates the batch's inputs as temporary views: the port's reads the held rows `loaded`
  // (HeldRows::source) one after the other, the others are empty.
  Status LoadInputs(engine::Connection& connection, const PortPlan& port,
                    const std::vector<std::string>& loaded);
  // Queues `batch` and returns its outcome, after committing it (and the group it heads) when
  // it reaches the front of the queue, or after the writer turn that took it.
  Result<IngestOutcome> CommitQueued(QueuedBatch& batch);
  // Applies `group`; when that fails, each member alone. Sets every member's outcome.
  void RunGroup(const std::vector<QueuedBatch*>& group);
  // Applies `group` (requests of one port, in queue order) in one transaction and sets every
  // member's outcome; on failure sets none and keeps nothing.
  Status ApplyGroup(const std::vector<QueuedBatch*>& group);
  // The rows DuckDB cannot load into the port's table, with DuckDB's reason, by index.
  Result<std::vector<std::pair<std::size_t, std::string>>> FindUnloadableRows(
      const PortPlan& port, const AcceptedRows& rows);

  std::shared_ptr<const model::ProductFolder> folder_;
  store::ProductStore* store_;
  PipelinePlan plan_;
  std::map<std::string, PortPlan, std::less<>> ports_;

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_changed_;  // a writer turn ended
  std::deque<QueuedBatch*> queue_;         // guarded by queue_mutex_; the front commits
};

}  // namespace quanta::pipeline
