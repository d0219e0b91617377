#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "engine/database.h"
#include "engine/keyed_rows.h"
#include "store/clock.h"
#include "store/commit_info.h"
#include "store/dataset_versions.h"
#include "store/store_layout.h"

namespace quanta::store {

/// How much of the file Open reads to find damage before it answers.
enum class OpenCheck {
  /// Read every block of every table: damage anywhere is reported by Open, at the cost of
  /// reading the whole file once (about 1 s per GB from the page cache).
  kFull,
  /// Read the store's own tables and the version columns of each dataset only.
  kQuick,
};

/// The value of DuckDB's `checkpoint_threshold` that every instance holding stores runs with: so
/// large that DuckDB never checkpoints inside COMMIT. DuckDB 1.4.4 cannot undo an automatic
/// checkpoint that fails there (out of memory, disk full): the commit that triggered it is not in
/// the write-ahead log, a table it was writing can be left empty in memory, and the next
/// checkpoint writes it so and drops the log, losing committed data. Stores checkpoint
/// themselves instead (StoreOptions::checkpoint_wal_bytes), after their commit is durable; a
/// CHECKPOINT that fails stops the instance (DuckDB's FATAL error) and leaves the file and its
/// log as they were.
inline constexpr std::string_view kInstanceCheckpointThreshold = "1000000TB";

/// The write-ahead log size at which a store checkpoints (StoreOptions::checkpoint_wal_bytes):
/// DuckDB's own default threshold, and the floor of CheckpointLogBytesFor.
inline constexpr std::uint64_t kSmallestCheckpointLogBytes = 16ull * 1024 * 1024;

/// The checkpoint log size for stores on an instance limited to `memory_limit_bytes` (0:
/// unknown, 16 MiB): a sixteenth of it, between 16 and 64 MiB. Every checkpoint rewrites the
/// table's last, partly filled row groups and compares compressions afresh, so folding in a 64 MiB
/// log costs about half as much per row as four 16 MiB ones (bench/RESULTS.md); the log's rows wait
/// in memory until then, which a small limit cannot spare.
std::uint64_t CheckpointLogBytesFor(std::uint64_t memory_limit_bytes);

/// How a store is opened. The defaults suit a node.
struct StoreOptions {
  /// Where commit times and "now" come from; nullptr: the system clock.
  std::shared_ptr<Clock> clock;
  /// The DuckDB instance the store's file is attached to, shared with other stores so that one
  /// query can read several products (a node passes its own). nullptr: the store opens a
  /// private in-memory instance with `settings`.
  std::shared_ptr<engine::Database> database;
  /// The name the file is attached under in `database`; empty: made from the file's path.
  /// Must be unique in the instance.
  std::string catalog;
  /// DuckDB settings for a private instance (ignored with `database`), e.g. {"threads", "2"},
  /// {"memory_limit", "1GB"}. Its checkpoint_threshold is always kInstanceCheckpointThreshold.
  /// A shared `database` must have that checkpoint_threshold or let the store set it.
  std::map<std::string, std::string> settings;
  /// After a commit that leaves the store's write-ahead log larger than this, the store folds
  /// the log into the file (CHECKPOINT of its catalog), as DuckDB's default checkpoint_threshold
  /// would have inside the commit. A checkpoint that cannot run now (another writer) is tried
  /// again after the next commit.
  std::uint64_t checkpoint_wal_bytes = kSmallestCheckpointLogBytes;
  OpenCheck open_check = OpenCheck::kFull;
  UpsertMethod upsert_method = UpsertMethod::kUpdateInsert;
  /// The memory KeyedRowsOf may hold current rows in, shared with the other stores of a node;
  /// nullptr: none (KeyedRowsOf answers nullptr).
  std::shared_ptr<engine::MemoryBudget> keyed_rows_budget;
};

/// A record an input port could not use, kept with the reason (DESIGN.md promise 2).
struct DeadLetter {
  std::string port;
  std::optional<std::int64_t> offset;  ///< the record's offset in the port, when it has one
  std::string reason;                  ///< why it was rejected, naming the field
  std::string payload;                 ///< the raw record, any bytes
  Timestamp received_at;
};

/// The columns of ProductStore::DeadLettersSql, with their DuckDB types, in order.
const std::vector<engine::Column>& DeadLetterColumns();

/// Which state of a dataset to read.
struct AsOf {
  enum class Kind { kCurrent, kVersion, kTime };
  Kind kind = Kind::kCurrent;
  std::int64_t version = 0;  ///< for kVersion
  Timestamp time;            ///< for kTime

  /// The latest committed version.
  static AsOf Current() { return AsOf{}; }
  /// The state right after commit `version` (0: before the first commit).
  static AsOf Version(std::int64_t version) { return AsOf{Kind::kVersion, version, {}}; }
  /// The state at `time`: the last version committed at or before it.
  static AsOf Time(Timestamp time) { return AsOf{Kind::kTime, 0, time}; }
};

/// A dataset's rows at one version, as SQL that any connection of the store can run (it reads
/// history."<dataset>"); the result is the same whenever it runs, until retention removes it.
struct Snapshot {
  std::string dataset;
  std::int64_t version = 0;
  std::optional<Timestamp> committed_at;  ///< of `version`; nullopt for version 0
  std::string sql;                        ///< SELECT of the dataset's columns
  /// The same SELECT with its table named through the store's catalog, for any connection of
  /// the instance the store is attached to (queries across products).
  std::string qualified_sql;
};

/// Changes of a dataset between two versions, as SQL (see ChangesSql for its columns).
struct ChangeSet {
  std::string dataset;
  std::int64_t after_version = 0;  ///< exclusive
  std::int64_t up_to_version = 0;  ///< inclusive
  std::string sql;
};

/// The last committed input offset of one partition of an input port.
struct CommittedOffset {
  std::string port;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t version = 0;  ///< the commit that consumed it
};

/// The latest commit: version 0 and no time before the first commit.
struct CommitHead {
  std::int64_t version = 0;
  std::optional<Timestamp> committed_at;
};

/// What Purge removed.
struct PurgeReport {
  std::map<std::string, std::int64_t> rows_removed;  ///< per dataset with a retention
  std::int64_t dead_letters_removed = 0;
  /// Sum of rows_removed and dead_letters_removed.
  std::int64_t Total() const;
};

/// Numbers for `quanta status` and /metrics.
struct DatasetStatus {
  std::string name;
  WriteMode mode = WriteMode::kAppend;
  std::int64_t current_rows = 0;
  std::int64_t row_versions = 0;               ///< current and past versions still kept
  std::optional<std::int64_t> latest_version;  ///< the last commit that wrote to it
  std::optional<Timestamp> latest_commit_at;
  std::int64_t earliest_readable_version = 0;  ///< older versions are past retention
  std::optional<std::chrono::seconds> retention;
};

struct PortStatus {
  std::string name;
  std::int64_t received = 0;  ///< always committed + rejected
  std::int64_t committed = 0;
  std::int64_t rejected = 0;
  std::int64_t dead_letters = 0;  ///< kept now (rejected minus those past retention)
  std::vector<CommittedOffset> offsets;
};

struct StoreStatus {
  std::filesystem::path path;
  std::uint64_t file_bytes = 0;  ///< the database file plus its write-ahead log
  CommitHead head;
  std::vector<DatasetStatus> datasets;  ///< in layout order
  std::vector<PortStatus> ports;        ///< in layout order
};

class BatchWriter;

/// The durable data of one data product: one DuckDB file holding every version of every row
/// of its datasets, the input offsets it consumed, its dead letters and its counters
/// (docs/store.md describes the file). A commit writes all of a batch in one DuckDB
/// transaction, so after a crash either all of it is there or none of it (DESIGN.md
/// promise 1); every state since the retention horizon stays readable (promise 5).
///
/// Thread-safe. One batch is written at a time (BeginBatch blocks while another is open);
/// reads run concurrently with it and see only committed data.
class ProductStore {
 public:
  /// Opens the store file at `path`, creating it (and its folder) when absent, and makes its
  /// tables match `layout`: new datasets and ports are added; a dataset whose columns, mode or
  /// key changed is refused (InvalidDocument naming each difference); retention may change.
  /// Fails with IoError naming the file when it cannot be created or written, is damaged
  /// (see OpenCheck) or is already open in this process.
  static Result<std::unique_ptr<ProductStore>> Open(const std::filesystem::path& path,
                                                    const StoreLayout& layout,
                                                    StoreOptions options = {});
  /// Closes the file. DuckDB checkpoints its log into it when it can; when that checkpoint
  /// fails, the log stays beside the file and the next Open replays it. Every BatchWriter and
  /// Connection of the store must be gone.
  ~ProductStore();
  ProductStore(const ProductStore&) = delete;
  ProductStore& operator=(const ProductStore&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// The name the store's file is attached under in its DuckDB instance.
  const std::string& catalog() const { return catalog_; }
  /// The layout the store was opened with, types as DuckDB spells them.
  const StoreLayout& layout() const { return layout_; }

  // Writing.

  /// OK when the disk holding the store has room for a batch of about `batch_bytes` of rows:
  /// twice that (its write-ahead log, then its checkpoint) and 1 MiB. Else IoError naming the
  /// folder, the bytes free and the bytes needed. A commit whose log cannot be written fails
  /// inside DuckDB, which was seen to damage rows committed before it, so writers refuse such a
  /// batch before they begin it. A margin, not a reservation: concurrent writers may still
  /// fill the disk. Thread-safe.
  Status CheckRoomFor(std::uintmax_t batch_bytes) const;

  /// Starts a batch: opens a transaction on the store's writer connection. Blocks while
  /// another batch is open. The writer must be committed, aborted or destroyed on the thread
  /// that began it, before the store is destroyed.
  Result<std::unique_ptr<BatchWriter>> BeginBatch();

  /// The commit made with `idempotency_key`, if any; lets an ingester answer a retried request
  /// before decoding it. For a request that shared its commit with others
  /// (BatchWriter::AddRequestKey), the commit's version and time with that request's own port
  /// counts and offsets.
  Result<std::optional<CommitInfo>> FindCommit(std::string_view idempotency_key);

  /// Removes row versions that stopped being current more than their dataset's retention
  /// before `now`, and dead letters received more than their port's retention before `now`.
  /// Current rows are never removed. Waits for an open batch to finish.
  Result<PurgeReport> Purge(Timestamp now);

  // Reading.

  /// The latest commit.
  CommitHead Head() const;

  /// The last committed offset of every partition of every input port that has one: where a
  /// restarted ingester resumes (at offset + 1).
  Result<std::vector<CommittedOffset>> Offsets();
  /// The last committed offset of one partition of `port`; nullopt when none yet.
  Result<std::optional<std::int64_t>> Offset(std::string_view port, std::int32_t partition = 0);

  /// SQL for `dataset` as of `as_of`. Fails (NotFound) for an unknown dataset, (Invalid) for a
  /// version or time in the future or older than the dataset's retention.
  Result<Snapshot> SnapshotOf(std::string_view dataset, const AsOf& as_of);
  /// SQL for the current rows of `dataset` through the store's catalog, for any connection of
  /// its instance: whatever is committed when the statement starts (DuckDB's snapshot keeps
  /// one statement consistent). Costs no query, unlike SnapshotOf. NotFound for an unknown
  /// dataset.
  Result<std::string> CurrentQualifiedSql(std::string_view dataset) const;
  /// SQL for the changes of `dataset` after version `after_version` up to `up_to_version`
  /// (inclusive); for the change stream and incremental exports. Fails when `after_version` is
  /// older than retention or `up_to_version` is beyond the latest version.
  Result<ChangeSet> ChangesBetween(std::string_view dataset, std::int64_t after_version,
                                   std::int64_t up_to_version);
  /// SQL for the dead letters: version, port, offset, reason, payload (text; NULL when the raw
  /// bytes are not UTF-8), payload_bytes (BLOB), received_at (DeadLetterColumns()).
  static std::string DeadLettersSql();
  /// The same dead letters through the store's catalog, for any connection of its instance, as
  /// of `as_of`: those committed up to its version (every kept one for kCurrent, whatever is
  /// committed when the statement starts, at no query's cost). Dead letters past their port's
  /// retention are gone from every version. Fails (Invalid) for a version or time in the
  /// future.
  Result<std::string> DeadLettersQualifiedSql(const AsOf& as_of);

  /// A new connection to the store's database for a port to run the SQL above, with the store's
  /// catalog as its default. It must not outlive the store. Writing through it breaks the
  /// store's promises: read only.
  Result<std::unique_ptr<engine::Connection>> Connect();

  /// Runs a snapshot, ordered by `order_by` (SQL after ORDER BY) when not empty. Reads the
  /// whole result: for tests and small datasets.
  Result<engine::QueryResult> ReadDataset(std::string_view dataset, const AsOf& as_of,
                                          std::string_view order_by = "");
  /// The current rows of `dataset` in memory, found by its lookup column, for answering point
  /// lookups without a statement (engine::KeyedRows); nullptr when the dataset has no lookup
  /// column or a column type KeyedRows cannot hold, or the store has no keyed_rows_budget. The
  /// first call starts building them on a thread of the store's, which holds the writer while it
  /// reads them (a batch waits that long); until they are built Find answers nullopt. Every
  /// commit then applies its rows to them before it returns. They are given up for good (Find
  /// answers nullopt) when they would take more than the budget has left, when the key turns
  /// out not to be unique, or when reading a commit's rows fails; and when the store closes.
  std::shared_ptr<const engine::KeyedRows> KeyedRowsOf(std::string_view dataset);

  /// Runs ChangesBetween's SQL.
  Result<engine::QueryResult> ReadChanges(std::string_view dataset, std::int64_t after_version,
                                          std::int64_t up_to_version);
  /// Runs any read-only SQL on the store's reader connection.
  Result<engine::QueryResult> Query(std::string_view sql);

  /// Counts for status and metrics.
  Result<StoreStatus> ReadStatus();

  /// Reads every block of the file (what OpenCheck::kFull does at open); IoError naming the
  /// file when a block is damaged.
  Status Verify();

  /// The error, naming this store's file, of this store's statement whose fatal error (a
  /// checkpoint out of memory, say) made DuckDB stop the instance; nullopt when no statement of
  /// this store did. Statements refused afterwards do not count. Thread-safe.
  std::optional<std::string> StoppedEngine() const;

 private:
  friend class BatchWriter;
  struct DatasetState {
    std::int64_t readable_from_version = 0;
  };

  ProductStore(std::filesystem::path path, StoreLayout layout, StoreOptions options);
  Status Initialize();
  Status Bootstrap();
  Status CheckDatasetTable(const DatasetLayout& dataset);
  Status CheckConsistency();
  Status CreateStagingTables();
  Status DisableCheckpointInCommit();
  void CheckpointIfLogIsLarge();
  Status LoadCommittedOffsets();
  Result<std::int64_t> VersionAt(Timestamp time, bool inclusive);
  Result<std::int64_t> EarliestReadableVersion(const DatasetLayout& dataset, Timestamp now);
  Result<const DatasetLayout*> FindDataset(std::string_view dataset) const;
  Status Annotate(const Status& status) const;
  void Advance(const CommitInfo& info);

  // Keyed rows (KeyedRowsOf). An entry per dataset asked for; `rows` is nullptr for a dataset
  // that cannot have them.
  struct KeyedEntry {
    const DatasetLayout* dataset = nullptr;
    std::shared_ptr<engine::KeyedRows> rows;
    std::uint64_t taken = 0;  // from the budget
  };
  // Builds the rows of the datasets waiting in keyed_pending_ until none is left.
  void BuildKeyedRows();
  // Reads the current rows of `entry`'s dataset, holding the writer, and makes them its rows.
  void BuildKeyedRowsOf(KeyedEntry& entry);
  // Queues `dataset` for BuildKeyedRows, starting its thread when none runs. Needs keyed_mutex_.
  void QueueKeyedBuild(const std::string& dataset);
  // Takes from or gives back to the budget what `entry`'s rows hold now; gives them up (and
  // false) when the budget cannot cover them. Needs keyed_mutex_.
  bool SettleKeyedBytes(KeyedEntry& entry);
  // The chunks of the rows of `dataset` that `where` (SQL) picks, read on the writer; fails
  // when they would take more than `most_bytes`.
  Result<std::vector<std::unique_ptr<engine::ResultChunk>>> ReadKeyedChunks(
      const DatasetLayout& dataset, std::string_view where, std::uint64_t most_bytes,
      std::unique_ptr<engine::PreparedQuery>* query);

  std::filesystem::path path_;
  StoreLayout layout_;
  StoreOptions options_;
  std::shared_ptr<engine::Database> database_;
  std::string catalog_;    // the file's name in database_
  bool attached_ = false;  // DETACH at close

  std::mutex writer_mutex_;                            // held by the open BatchWriter and by Purge
  std::unique_ptr<engine::Connection> writer_;         // guarded by writer_mutex_
  std::map<std::string, std::string> staging_tables_;  // dataset -> qualified temp table
  // The last committed offset per (port, partition); guarded by writer_mutex_.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed_offsets_;

  std::mutex reader_mutex_;
  std::unique_ptr<engine::Connection> reader_;  // guarded by reader_mutex_

  mutable std::mutex head_mutex_;
  CommitHead head_;                               // guarded by head_mutex_
  std::map<std::string, DatasetState> datasets_;  // guarded by head_mutex_

  bool registered_ = false;

  std::mutex keyed_mutex_;
  std::map<std::string, KeyedEntry, std::less<>> keyed_;  // guarded by keyed_mutex_
  std::vector<std::string> keyed_pending_;                // guarded by keyed_mutex_
  bool keyed_building_ = false;                           // guarded by keyed_mutex_
  bool closing_ = false;                                  // guarded by keyed_mutex_
  std::thread keyed_builder_;

  mutable std::mutex stopped_engine_mutex_;
  mutable std::optional<std::string> stopped_engine_;  // guarded by stopped_engine_mutex_
};

/// One batch being written: stage each dataset's output rows, add dead letters, counts and
/// input offsets, then Commit (all of it in one transaction) or Abort. Destroying an
/// uncommitted writer aborts it. Not thread-safe: one thread uses it from BeginBatch to the
/// end. The store must outlive it.
class BatchWriter {
 public:
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  /// The writer connection, inside the batch's transaction: create TEMP tables for the inputs,
  /// run the transform, INSERT INTO StagingTable(...). previous."<dataset>" shows each dataset's
  /// current rows. Do not COMMIT or ROLLBACK through it, nor write to the store's own tables.
  engine::Connection& connection();

  /// The temporary table whose rows become `dataset`'s rows at commit, with the dataset's
  /// columns (fully qualified and quoted, for INSERT INTO). Rows count in the order inserted:
  /// for an upsert dataset the last row of each key wins. NotFound for an unknown dataset.
  Result<std::string> StagingTable(std::string_view dataset) const;
  /// Adds the rows of `select_sql` to `dataset`'s staging table, matching columns by name
  /// (missing columns are NULL; unknown columns and impossible casts fail). Returns the number
  /// of rows staged.
  Result<std::int64_t> StageRows(std::string_view dataset, std::string_view select_sql);
  /// For an append dataset: writes the rows of `select_sql` (matched by name like StageRows)
  /// straight to the dataset's table as part of the batch's version, skipping the staging
  /// table. From then on previous."<dataset>" shows them to the batch's later statements, so
  /// use it only when nothing later in the batch reads that view. Returns the number of rows;
  /// Usage error for an upsert dataset.
  Result<std::int64_t> AppendRows(std::string_view dataset, std::string_view select_sql);

  /// Counts `count` records read from input `port` for this batch (rejected ones included).
  Status AddReceived(std::string_view port, std::int64_t count);
  /// Keeps a rejected record; it counts as rejected for its port.
  Status AddDeadLetter(DeadLetter dead_letter);
  /// Records that the batch consumed `port`'s partition up to `offset`. Offsets must grow
  /// from one commit to the next: Commit refuses an offset at or below the committed one,
  /// which would apply records twice.
  Status SetOffset(std::string_view port, std::int64_t offset, std::int32_t partition = 0);
  /// Same, for the range first..last (inclusive) of offsets the batch consumed.
  Status SetOffsetRange(std::string_view port, std::int64_t first, std::int64_t last,
                        std::int32_t partition = 0);
  /// Makes the batch apply at most once: when a commit with this key exists, Commit changes
  /// nothing and returns that commit's result (replayed = true). `request_digest` (see
  /// CommitInfo) is kept with the key for telling a retry from another request.
  void SetIdempotencyKey(std::string key, std::optional<std::string> request_digest = {});
  /// For a batch that carries the records of several requests (a group commit): makes the
  /// request with `key` apply at most once, and keeps what that request alone consumed
  /// (`consumed`: its port, counts and offset range), so that ProductStore::FindCommit(key)
  /// answers the batch's version with that request's own counts. Commit fails (Invalid) when
  /// any such key was committed before: ask FindCommits first and leave those requests out.
  /// Invalid when `key` was given twice or the counts do not add up.
  Status AddRequestKey(std::string key, PortCommit consumed,
                       std::optional<std::string> request_digest = {});
  /// The commits made with any of `keys` (whole batches or requests of a group), by key, as
  /// the batch's transaction sees them: since the batch holds the store's writer, no other
  /// commit can add one of them before this batch ends. Each is marked replayed.
  Result<std::map<std::string, CommitInfo>> FindCommits(const std::vector<std::string>& keys);

  /// Writes the staged rows as the next version together with the dead letters, counters,
  /// offsets and idempotency key, in the batch's transaction, and makes it durable (DuckDB
  /// syncs its write-ahead log). On failure nothing of the batch is kept; OutOfMemory when
  /// DuckDB ran out of memory. The writer is done either way. Then, when the log has grown past
  /// StoreOptions::checkpoint_wal_bytes, checkpoints the store; the commit stays durable and
  /// acknowledged whether that checkpoint succeeds or not (a failed one stops the instance: see
  /// kInstanceCheckpointThreshold).
  Result<CommitInfo> Commit();
  /// Drops everything of the batch. The writer is done.
  void Abort();

 private:
  friend class ProductStore;
  struct PortBatch {
    std::int64_t received = 0;
    std::int64_t rejected = 0;
    std::map<std::int32_t, OffsetRange> offsets;
  };

  BatchWriter(ProductStore* store, std::unique_lock<std::mutex> lock, std::int64_t transaction);
  Result<CommitInfo> CommitInTransaction();
  Status CheckPort(std::string_view port) const;
  void AppendDeadLetters(std::int64_t version, std::string& sql) const;
  Status AppendPorts(std::int64_t version, CommitInfo& info, std::string& sql) const;
  void Finish(bool rollback);

  ProductStore* store_;
  std::unique_lock<std::mutex> lock_;
  std::int64_t transaction_;
  bool done_ = false;
  std::optional<std::string> idempotency_key_;
  std::optional<std::string> request_digest_;
  struct RequestKey {
    PortCommit consumed;
    std::optional<std::string> request_digest;
  };
  std::map<std::string, RequestKey> request_keys_;  // AddRequestKey's, by key
  std::map<std::string, PortBatch> ports_;
  std::vector<DeadLetter> dead_letters_;
  std::map<std::string, std::int64_t> appended_;  // rows AppendRows wrote, per dataset
  std::optional<std::int64_t> appended_version_;  // the version they were written as
};

}  // namespace quanta::store
