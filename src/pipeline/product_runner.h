#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
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

/// The outcome of one micro-batch.
struct IngestOutcome {
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

/// A deployed product's code running over micro-batches: each batch of records that arrives at
/// an input port is checked against the port's contract, the conforming records become the
/// port's input table, every dataset's transform runs over them, and the output rows, the
/// rejected records (as dead letters), the counts and the port's offsets are committed in one
/// store transaction: a batch is applied exactly once or not at all (DESIGN.md promise 1).
///
/// A transform sees only the batch's input rows, plus previous."<dataset>" for the current
/// state of its own datasets (running totals, deduplication). Thread-safe: batches are
/// serialized by the store.
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
  /// the store's error when the commit fails.
  Result<IngestOutcome> Ingest(std::string_view port, const std::vector<std::string>& records,
                               const std::optional<std::string>& idempotency_key = std::nullopt);

  const model::ProductFolder& folder() const { return *folder_; }
  store::ProductStore& store() const { return *store_; }
  /// The names of the input ports that take records.
  std::vector<std::string> InputPorts() const;
  /// The schema object whose records `port` takes, or nullptr for an unknown port.
  const model::SchemaObject* InputObject(std::string_view port) const;

 private:
  struct PortPlan {
    std::string table;  ///< the input table the port's records fill
    const model::SchemaObject* object = nullptr;
    std::unique_ptr<RecordValidator> validator;
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
  // Loads `rows` through `connection` into a new table of the in-memory ingest database and
  // returns its qualified name; drops the table and fails when DuckDB cannot load them.
  Result<std::string> LoadBatchTable(engine::Connection& connection, const PortPlan& port,
                                     const AcceptedRows& rows);
  // Creates the batch's inputs as temporary views: the port's reads the table `loaded`, the
  // others are empty.
  Status LoadInputs(engine::Connection& connection, const PortPlan& port,
                    const std::optional<std::string>& loaded);
  // The rows DuckDB cannot load into the port's table, with DuckDB's reason, by index.
  Result<std::vector<std::pair<std::size_t, std::string>>> FindUnloadableRows(
      const PortPlan& port, const AcceptedRows& rows);

  std::shared_ptr<const model::ProductFolder> folder_;
  store::ProductStore* store_;
  PipelinePlan plan_;
  std::map<std::string, PortPlan, std::less<>> ports_;
};

}  // namespace quanta::pipeline
