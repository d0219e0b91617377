// Faults on purpose: a writer killed with SIGKILL at random moments, a damaged file, a folder
// that cannot be written. Each test runs in a few seconds.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "store/product_store.h"
#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace quanta::store {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Optional;
using testing::OrdersLayout;
using testing::TemporaryFolder;

constexpr int kOrderKeys = 7;
constexpr int kEventsPerBatch = 3;
constexpr int kReceivedPerBatch = kEventsPerBatch + 1;

StoreOptions CrashOptions(OpenCheck check) {
  StoreOptions options;
  options.open_check = check;
  // Small checkpoints (every few dozen commits), so that kills also land while the log is
  // folded into the file.
  options.settings = {{"threads", "1"}};
  options.checkpoint_wal_bytes = 512 * 1024;
  return options;
}

// Batch i, committed as version i: kEventsPerBatch events with step i; order o-(i % 7) set to
// status b<i> and amount i; offset i; every fifth batch one of its records is rejected.
Status CommitKnownBatch(ProductStore& store, std::int64_t i) {
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<BatchWriter> writer, store.BeginBatch());
  QUANTA_ASSIGN_OR_RETURN(
      std::int64_t events,
      writer->StageRows("events",
                        fmt::format("SELECT 'b{0}-' || n AS event_id, 'o-{1}' AS order_id, {0} AS "
                                    "step FROM range({2}) AS r(n)",
                                    i, i % kOrderKeys, kEventsPerBatch)));
  QUANTA_ASSIGN_OR_RETURN(
      std::int64_t orders,
      writer->StageRows("orders", fmt::format("SELECT 'o-{0}' AS order_id, 'b{1}' AS status, {1} "
                                              "AS amount",
                                              i % kOrderKeys, i)));
  (void)events;
  (void)orders;
  std::int64_t rejected = i % 5 == 0 ? 1 : 0;
  QUANTA_RETURN_IF_ERROR(writer->AddReceived("order_events", kEventsPerBatch + rejected));
  if (rejected) {
    QUANTA_RETURN_IF_ERROR(
        writer->AddDeadLetter({"order_events", i, "amount is not a number",
                               fmt::format("{{\"batch\": {}}}", i), SystemClock().Now()}));
  }
  QUANTA_RETURN_IF_ERROR(writer->SetOffset("order_events", i));
  writer->SetIdempotencyKey(fmt::format("batch-{}", i));
  QUANTA_ASSIGN_OR_RETURN(CommitInfo info, writer->Commit());
  if (info.version != i) return Status::Internal("batch {} became version {}", i, info.version);
  return Status::Ok();
}

// The child: resumes after the committed offset and commits batches until it is killed,
// writing each acknowledged batch number to `ack_fd`.
[[noreturn]] void WriteUntilKilled(const std::filesystem::path& path, int ack_fd) {
  Result<std::unique_ptr<ProductStore>> store =
      ProductStore::Open(path, OrdersLayout(), CrashOptions(OpenCheck::kQuick));
  if (!store.ok()) {
    std::fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(2);
  }
  Result<std::optional<std::int64_t>> offset = (*store)->Offset("order_events");
  if (!offset.ok()) _exit(3);
  for (std::int64_t i = offset->value_or(0) + 1;; ++i) {
    Status committed = CommitKnownBatch(**store, i);
    if (!committed.ok()) {
      std::fprintf(stderr, "child: %s\n", committed.ToString().c_str());
      _exit(4);
    }
    if (write(ack_fd, &i, sizeof i) != sizeof i) _exit(5);
  }
}

std::int64_t Number(ProductStore& store, const std::string& sql) {
  Result<engine::QueryResult> result = store.Query(sql);
  EXPECT_OK(result);
  if (!result.ok() || result->rows.empty() || !result->rows[0][0]) return -1;
  return std::stoll(*result->rows[0][0]);
}

// Everything the store holds must be exactly batches 1..V, each whole.
void ExpectExactlyBatchesUpTo(ProductStore& store, std::int64_t acknowledged, int kill) {
  SCOPED_TRACE(fmt::format("after kill {} ({} acknowledged)", kill, acknowledged));
  std::int64_t version = store.Head().version;
  // Every acknowledged batch is there; at most the one in flight is there unacknowledged.
  EXPECT_GE(version, acknowledged);
  EXPECT_LE(version, acknowledged + 1);
  Result<std::optional<std::int64_t>> offset = store.Offset("order_events");
  ASSERT_OK(offset);
  EXPECT_EQ(offset->value_or(0), version);

  EXPECT_EQ(Number(store, "SELECT count(*) FROM history.events"), kEventsPerBatch * version);
  EXPECT_EQ(Number(store, "SELECT count(DISTINCT step) FROM history.events"), version);
  EXPECT_EQ(Number(store, "SELECT coalesce(max(step), 0) FROM history.events"), version);
  EXPECT_EQ(Number(store,
                   "SELECT count(*) FROM history.events WHERE step <> "
                   "_quanta_from_version OR _quanta_to_version IS NOT NULL"),
            0);
  EXPECT_EQ(Number(store, fmt::format("SELECT count(*) FROM (SELECT step FROM history.events "
                                      "GROUP BY step HAVING count(*) <> {})",
                                      kEventsPerBatch)),
            0);
  // Orders: one version per batch, and the current one of each key is its latest batch.
  EXPECT_EQ(Number(store, "SELECT count(*) FROM history.orders"), version);
  std::int64_t wrong_current = 0;
  for (int key = 0; key < kOrderKeys && key <= version; ++key) {
    std::int64_t latest = version - ((version - key) % kOrderKeys + kOrderKeys) % kOrderKeys;
    if (latest < 1) continue;
    std::int64_t found =
        Number(store, fmt::format("SELECT coalesce(max(amount), -1) FROM previous.orders WHERE "
                                  "order_id = 'o-{}' AND status = 'b{}'",
                                  key, latest));
    if (found != latest) ++wrong_current;
  }
  EXPECT_EQ(wrong_current, 0);
  EXPECT_EQ(Number(store, "SELECT count(*) FROM previous.orders"),
            std::min<std::int64_t>(version, kOrderKeys));

  std::int64_t rejected = version / 5;
  EXPECT_EQ(Number(store, "SELECT count(*) FROM quanta.dead_letters"), rejected);
  Result<StoreStatus> status = store.ReadStatus();
  ASSERT_OK(status);
  const PortStatus& port = status->ports[0];
  EXPECT_EQ(port.received, kEventsPerBatch * version + rejected);
  EXPECT_EQ(port.rejected, rejected);
  EXPECT_EQ(port.received, port.committed + port.rejected);
  EXPECT_EQ(Number(store, "SELECT count(DISTINCT idempotency_key) FROM quanta.commits"), version);
}

TEST(StoreFaultTest, EveryAcknowledgedBatchSurvivesSigkillExactlyOnce) {
  TemporaryFolder folder;
  std::filesystem::path path = folder.path() / "orders.duckdb";
  std::mt19937 random(20260101);
  auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::steady_clock::now() - started; };
  std::int64_t acknowledged = 0;
  int kills = 0;
  int kills_while_committing = 0;
  // A fixed number of kills, however long they take (sanitizer builds are several times
  // slower); each round is bounded by its own deadlines below.
  while (kills < 24) {
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(pipe_fds[0]);
      WriteUntilKilled(path, pipe_fds[1]);
    }
    close(pipe_fds[1]);
    // Half of the kills land anywhere, opening and log replay included; the others once the
    // child is committing.
    bool anywhere = kills % 2 == 0;
    std::int64_t acknowledged_before = acknowledged;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(anywhere ? random() % 400 : 10000);
    bool committing = false;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd poll_fd{pipe_fds[0], POLLIN, 0};
      if (poll(&poll_fd, 1, 1) > 0) {
        std::int64_t batch;
        if (read(pipe_fds[0], &batch, sizeof batch) != sizeof batch) break;
        acknowledged = std::max(acknowledged, batch);
        if (!anywhere && !committing) {
          committing = true;
          deadline =
              std::chrono::steady_clock::now() + std::chrono::microseconds(random() % 300000);
        }
      }
    }
    kill(child, SIGKILL);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wait_status))
        << "the writer stopped by itself with exit code " << WEXITSTATUS(wait_status);
    // Acknowledgements written before the kill are still in the pipe.
    std::int64_t batch;
    while (read(pipe_fds[0], &batch, sizeof batch) == sizeof batch) {
      acknowledged = std::max(acknowledged, batch);
    }
    close(pipe_fds[0]);
    ++kills;
    if (acknowledged > acknowledged_before) ++kills_while_committing;

    ASSERT_OK_AND_ASSIGN(auto store,
                         ProductStore::Open(path, OrdersLayout(), CrashOptions(OpenCheck::kFull)));
    ExpectExactlyBatchesUpTo(*store, acknowledged, kills);
    if (::testing::Test::HasFailure()) return;
    // A batch committed but killed before its acknowledgement is in the store now, and the
    // next writer resumes after it: it counts from here on, or a second such kill would look
    // like two unacknowledged batches.
    acknowledged = store->Head().version;
  }
  std::printf("%d kills, %d while committing, %lld batches acknowledged in %.1f s\n", kills,
              kills_while_committing, static_cast<long long>(acknowledged),
              std::chrono::duration<double>(elapsed()).count());
  // Every other round waits for the writer's first acknowledgement before it kills.
  EXPECT_GE(kills_while_committing, 10);
  EXPECT_GE(acknowledged, kills_while_committing) << "the writer hardly committed between kills";
}

// A product whose records are 1 MiB documents: in DuckDB 1.4.4 a checkpoint of such a table needs
// about as much memory as the rows of its last row group, so a small memory limit makes it fail.
StoreLayout DocumentsLayout() {
  StoreLayout layout;
  layout.datasets.push_back({"documents",
                             {{"document_id", "BIGINT"}, {"body", "VARCHAR"}},
                             WriteMode::kAppend,
                             {},
                             std::nullopt,
                             ""});
  layout.input_ports.push_back({"uploads", std::nullopt});
  return layout;
}

constexpr int kDocumentsPerBatch = 8;

StoreOptions DocumentOptions(std::string memory_limit) {
  StoreOptions options;
  options.open_check = OpenCheck::kQuick;
  options.settings = {{"threads", "2"}, {"memory_limit", std::move(memory_limit)}};
  return options;
}

// Batch i as version i: documents 8i..8i+7 of 1 MiB each (hex digits that do not compress),
// offset i.
Status CommitDocuments(ProductStore& store, std::int64_t i) {
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<BatchWriter> writer, store.BeginBatch());
  QUANTA_RETURN_IF_ERROR(
      writer
          ->AppendRows(
              "documents",
              fmt::format("SELECT {0} * {1} + n AS document_id, (SELECT string_agg(md5(n::VARCHAR "
                          "|| '-' || {0} || '-' || k), '') FROM range(32768) AS p(k)) AS "
                          "body FROM range({1}) AS r(n)",
                          i, kDocumentsPerBatch))
          .status());
  QUANTA_RETURN_IF_ERROR(writer->AddReceived("uploads", kDocumentsPerBatch));
  QUANTA_RETURN_IF_ERROR(writer->SetOffset("uploads", i));
  QUANTA_ASSIGN_OR_RETURN(CommitInfo info, writer->Commit());
  if (info.version != i) return Status::Internal("batch {} became version {}", i, info.version);
  return Status::Ok();
}

// Every acknowledged batch 1..acknowledged is there, whole, and nothing else.
void ExpectDocumentBatches(ProductStore& store, std::int64_t acknowledged) {
  EXPECT_EQ(store.Head().version, acknowledged);
  ASSERT_OK_AND_ASSIGN(std::optional<std::int64_t> offset, store.Offset("uploads"));
  EXPECT_EQ(offset.value_or(0), acknowledged);
  EXPECT_EQ(Number(store, "SELECT count(*) FROM history.documents"),
            kDocumentsPerBatch * acknowledged);
  EXPECT_EQ(Number(store, "SELECT count(DISTINCT _quanta_from_version) FROM history.documents"),
            acknowledged);
  // One batch at a time: a vector of all the documents would not fit in 128 MB.
  for (std::int64_t i = 1; i <= acknowledged; ++i) {
    EXPECT_EQ(Number(store, fmt::format("SELECT count(*) FROM history.documents WHERE "
                                        "_quanta_from_version = {} AND length(body) = {} AND "
                                        "document_id // {} = {}",
                                        i, 32 * 32768, kDocumentsPerBatch, i)),
              kDocumentsPerBatch)
        << "batch " << i;
  }
  ASSERT_OK_AND_ASSIGN(StoreStatus status, store.ReadStatus());
  EXPECT_EQ(status.ports[0].committed, kDocumentsPerBatch * acknowledged);
}

TEST(StoreFaultTest, ACheckpointOutOfMemoryLosesNoAcknowledgedBatch) {
  TemporaryFolder folder;
  std::filesystem::path path = folder.path() / "documents.duckdb";
  std::int64_t acknowledged = 0;
  std::optional<Status> refused;
  {
    // The instance is the test's, as a node's is, so that the test can ask it what it tells
    // the node's health check.
    StoreOptions options = DocumentOptions("128MB");
    engine::DatabaseOptions instance;
    instance.settings = options.settings;
    // Its own spill folder, as a node gives its instance: DuckDB's default for an instance in
    // memory is ./.tmp, which tests running beside this one create and remove.
    instance.settings["temp_directory"] = (folder.path() / "spill").string();
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<engine::Database> database,
                         engine::Database::Open(instance));
    options.database = database;
    ASSERT_OK_AND_ASSIGN(auto store, ProductStore::Open(path, DocumentsLayout(), options));
    // Another product of the same instance, which the stop reaches without causing it.
    StoreOptions other_options = CrashOptions(OpenCheck::kQuick);
    other_options.database = database;
    ASSERT_OK_AND_ASSIGN(auto other, ProductStore::Open(folder.path() / "orders.duckdb",
                                                        OrdersLayout(), other_options));
    // 128 MB holds about 14 batches; stop at the first refusal.
    for (std::int64_t i = 1; i <= 40 && !refused; ++i) {
      Status committed = CommitDocuments(*store, i);
      if (committed.ok()) {
        acknowledged = i;
      } else {
        refused = committed;
      }
    }
    ASSERT_TRUE(refused.has_value()) << "40 batches of 8 MiB fit in 128 MB: the test no longer "
                                        "reaches the memory limit";
    SCOPED_TRACE(refused->ToString());
    std::printf("%lld batches acknowledged, then: %s\n", static_cast<long long>(acknowledged),
                refused->ToString().c_str());
    EXPECT_EQ(refused->code(), ErrorCode::kOutOfMemory);
    EXPECT_THAT(refused->message(), HasSubstr(path.string()));
    EXPECT_GT(acknowledged, 0);
    // A failed checkpoint stops the instance: the node's liveness check must then fail, naming
    // the cause, so that the node is restarted. A commit refused for memory alone leaves it
    // running.
    Status running = database->CheckRunning();
    if (refused->message().find("stopped its database instance") != std::string::npos) {
      EXPECT_EQ(running.code(), ErrorCode::kUnavailable) << running.ToString();
      EXPECT_THAT(running.message(), HasSubstr("restart the node"));
      EXPECT_THAT(running.message(), HasSubstr("failed to pin block"));
      // The documents' own checkpoint stopped the instance; the other store only hears of it.
      EXPECT_THAT(store->StoppedEngine(),
                  Optional(AllOf(HasSubstr(path.string()), HasSubstr("failed to pin block"))));
      EXPECT_THAT(other->Query("SELECT 1").status().message(),
                  HasSubstr("stopped its database instance"));
      EXPECT_EQ(other->StoppedEngine(), std::nullopt);
    } else {
      EXPECT_OK(running);
      EXPECT_EQ(store->StoppedEngine(), std::nullopt);
    }
    // What the node would answer a reader now: either every acknowledged row or an error that
    // says why, never fewer rows.
    Result<engine::QueryResult> read = store->Query("SELECT count(*) FROM history.documents");
    if (read.ok()) {
      EXPECT_EQ(read->rows[0][0], std::to_string(kDocumentsPerBatch * acknowledged));
    } else {
      EXPECT_EQ(read.status().code(), ErrorCode::kOutOfMemory) << read.status().ToString();
    }
  }
  // Closed (DETACH checkpoints when it can), then opened again, as a restarted node does: first
  // with the same memory, then with enough for a checkpoint.
  for (std::string memory_limit : {"128MB", "1GB"}) {
    SCOPED_TRACE("reopened with memory_limit " + memory_limit);
    ASSERT_OK_AND_ASSIGN(
        auto store, ProductStore::Open(path, DocumentsLayout(), DocumentOptions(memory_limit)));
    ExpectDocumentBatches(*store, acknowledged);
  }
  // The store takes new batches again once it has the memory.
  ASSERT_OK_AND_ASSIGN(auto store,
                       ProductStore::Open(path, DocumentsLayout(), DocumentOptions("1GB")));
  ASSERT_OK(CommitDocuments(*store, acknowledged + 1));
  ExpectDocumentBatches(*store, acknowledged + 1);
}

// A store with enough rows to span several blocks of the file, closed cleanly.
void WriteSomeData(const std::filesystem::path& path) {
  StoreOptions options;
  options.open_check = OpenCheck::kQuick;
  ASSERT_OK_AND_ASSIGN(auto store, ProductStore::Open(path, OrdersLayout(), options));
  for (int batch = 0; batch < 4; ++batch) {
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->StageRows(
        "events", fmt::format("SELECT md5('e-{0}-' || n) AS event_id, 'o-' || (n % 1000) AS "
                              "order_id, n AS step FROM range(50000) AS r(n)",
                              batch)));
    ASSERT_OK(writer->StageRows(
        "orders",
        "SELECT 'o-' || n AS order_id, 'created' AS status, n AS amount FROM range(20000) "
        "AS r(n)"));
    ASSERT_OK(writer->Commit());
  }
  // One checkpoint at close writes the data once: no free blocks in the middle of the file.
  ASSERT_OK_AND_ASSIGN(engine::QueryResult size, store->Query("PRAGMA database_size"));
  ASSERT_EQ(size.rows[0][size.ColumnIndex("free_blocks")], "0");
}

void Overwrite(const std::filesystem::path& path, std::uintmax_t at, std::size_t length) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file.good());
  file.seekp(static_cast<std::streamoff>(at));
  std::string garbage(length, '\0');
  for (std::size_t i = 0; i < length; ++i) garbage[i] = static_cast<char>(0xA5 ^ (i * 31));
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

TEST(StoreFaultTest, ADamagedFileIsAClearErrorNamingIt) {
  TemporaryFolder folder;
  std::filesystem::path path = folder.path() / "orders.duckdb";
  WriteSomeData(path);
  if (::testing::Test::HasFatalFailure()) return;
  std::uintmax_t size = std::filesystem::file_size(path);
  ASSERT_GT(size, 1024u * 1024u);
  // 64 KiB in the middle: a quarter of a block, among the events' column data.
  Overwrite(path, size / 2, 64 * 1024);

  Result<std::unique_ptr<ProductStore>> damaged =
      ProductStore::Open(path, OrdersLayout(), CrashOptions(OpenCheck::kFull));
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), ErrorCode::kIoError);
  EXPECT_THAT(damaged.status().message(), HasSubstr(path.string()));
  EXPECT_THAT(damaged.status().message(), HasSubstr("the file is damaged"));
}

TEST(StoreFaultTest, AFileThatIsNoDatabaseIsAClearErrorNamingIt) {
  TemporaryFolder folder;
  std::filesystem::path path = folder.path() / "orders.duckdb";
  std::ofstream(path) << "order_id,status\no-1,created\n";
  Result<std::unique_ptr<ProductStore>> refused =
      ProductStore::Open(path, OrdersLayout(), CrashOptions(OpenCheck::kFull));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kIoError);
  EXPECT_THAT(refused.status().message(), HasSubstr(path.string()));
}

TEST(StoreFaultTest, AFolderThatCannotBeCreatedIsAClearError) {
  TemporaryFolder folder;
  std::ofstream(folder.path() / "data") << "a file where the data folder should be";
  std::filesystem::path path = folder.path() / "data" / "orders" / "orders.duckdb";
  Result<std::unique_ptr<ProductStore>> refused = ProductStore::Open(path, OrdersLayout());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kIoError);
  EXPECT_THAT(refused.status().message(), HasSubstr("cannot create the folder"));
  EXPECT_THAT(refused.status().message(), HasSubstr(path.string()));
}

TEST(StoreFaultTest, AnUnwritableFolderIsAClearError) {
  TemporaryFolder folder;
  std::filesystem::path locked = folder.path() / "locked";
  std::filesystem::create_directories(locked);
  std::filesystem::permissions(
      locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                  std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
                  std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  std::filesystem::path path = locked / "orders.duckdb";
  auto try_open = [&]() -> std::string {
    Result<std::unique_ptr<ProductStore>> refused = ProductStore::Open(path, OrdersLayout());
    if (refused.ok()) return "opened";
    return std::string(InfoFor(refused.status().code()).name) + ": " + refused.status().message();
  };
  std::string outcome;
  if (geteuid() != 0) {
    outcome = try_open();
  } else {
    // root writes anywhere: open as an ordinary user in a child process.
    std::filesystem::permissions(folder.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(pipe_fds[0]);
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
      std::string message = try_open();
      if (write(pipe_fds[1], message.data(), message.size()) < 0) _exit(3);
      _exit(0);
    }
    close(pipe_fds[1]);
    char buffer[4096];
    ssize_t got;
    while ((got = read(pipe_fds[0], buffer, sizeof buffer)) > 0) outcome.append(buffer, got);
    close(pipe_fds[0]);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0);
  }
  EXPECT_THAT(outcome, HasSubstr("io_error"));
  EXPECT_THAT(outcome, HasSubstr(locked.string()));
  EXPECT_THAT(outcome, HasSubstr("not writable"));
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace quanta::store
