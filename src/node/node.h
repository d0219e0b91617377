#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "node/data_directory.h"
#include "node/drop_folder.h"
#include "node/metrics.h"
#include "node/node_config.h"
#include "node/product_catalog.h"
#include "node/product_metrics.h"
#include "ports/http_server.h"
#include "ports/pg_server.h"

namespace quanta::node {

/// The version a node reports in /v1/node and /metrics.
inline constexpr std::string_view kQuantaVersion = "0.1.0";

/// Where a node is in its life.
enum class NodeState { kOpened, kReady, kDraining, kStopped };

/// One `quanta node` process: its data directory, its HTTP server and the routes every node
/// has: GET /healthz (alive), GET /readyz (ready, 503 while shutting down), GET /metrics
/// (Prometheus text) and GET /v1/node (version, uptime, data directory).
///
/// Lifecycle: Open -> add routes (router()) and metrics -> Start -> Shutdown. Thread-safe
/// after Start.
class Node {
 public:
  /// Opens (creates, checks, locks) the data directory and binds the HTTP port, without
  /// serving yet. Fails with a message naming the directory or address and the reason. The
  /// products of `left_out` (id -> why) are not opened, and listed as failed with that reason.
  static Result<std::unique_ptr<Node>> Open(
      NodeConfig config, const std::map<std::string, std::string>& left_out = {});
  ~Node();  ///< shuts down (without the readiness delay) if still running

  /// The HTTP routes; add yours before Start.
  ports::HttpRouter& router();
  /// The products deployed on the node.
  ProductCatalog& catalog() { return *catalog_; }
  /// The drop folders of the products' file input ports.
  DropFolders& drop_folders() { return *drop_folders_; }
  /// The node's metrics; modules add their families and update them from any thread.
  MetricsRegistry& metrics() { return metrics_; }

  /// Starts serving. Afterwards /readyz answers 200.
  Status Start();

  /// Shuts down: /readyz turns 503 for the configured readiness delay while requests are still
  /// served, then the node stops accepting, lets in-flight requests finish within the drain
  /// timeout, and closes. Blocks until done; safe to call more than once, from any thread but a
  /// handler's.
  ports::DrainOutcome Shutdown();

  NodeState state() const { return state_.load(); }
  /// OK while the node's DuckDB instance runs statements; kUnavailable, naming the cause, once
  /// DuckDB stopped it after a fatal error (a failed checkpoint). Every product of the node
  /// then refuses statements until the node is opened again (`quanta node` does so itself).
  /// Runs one statement; thread-safe.
  Status EngineRunning() { return database_->CheckRunning(); }
  /// "http://127.0.0.1:7070", with the real port when the configured one was 0.
  std::string url() const;
  std::uint16_t port() const;
  const NodeConfig& config() const { return config_; }
  /// "postgresql://127.0.0.1:5433"; empty when the SQL port is off.
  std::string sql_url() const;
  /// The absolute data directory.
  const std::filesystem::path& data_dir() const { return data_directory_->path(); }

 private:
  Node(NodeConfig config, std::unique_ptr<DataDirectory> data_directory,
       std::unique_ptr<ports::HttpServer> server);
  Status AddBuiltInRoutes();
  void RecordExchange(const ports::HttpExchange& exchange);
  std::string RenderMetrics();

  const NodeConfig config_;
  std::unique_ptr<DataDirectory> data_directory_;
  std::shared_ptr<engine::Database> database_;  // every store and SQL session; closes last
  // Declared before the server so that it closes after the server has stopped.
  std::unique_ptr<ProductCatalog> catalog_;
  std::unique_ptr<DropFolders> drop_folders_;  // stops before the catalog closes
  MetricsRegistry metrics_;
  std::unique_ptr<ports::HttpServer> server_;
  // The SQL port runs on the HTTP server's event loop, so it stops first.
  std::unique_ptr<ports::PgBackend> sql_backend_;
  std::unique_ptr<ports::PgServer> sql_server_;
  std::atomic<NodeState> state_{NodeState::kOpened};
  std::mutex shutdown_mutex_;
  ports::DrainOutcome drain_outcome_;
  std::chrono::system_clock::time_point started_at_ = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  Family<Counter>& requests_;
  Family<Histogram>& request_duration_;
  Family<Counter>& response_bytes_;
  Gauge& connections_open_;
  Gauge& requests_active_;
  Counter& connections_accepted_;
  Counter& connections_rejected_;
  Gauge& sql_connections_open_;
  Counter& sql_connections_accepted_;
  Counter& sql_connections_rejected_;
  Counter& sql_cancel_requests_;
  Counter& sql_client_hangups_;
  ports::PgServerStats last_sql_stats_;
  Gauge& uptime_;
  Gauge& ready_;
  ProductMetrics product_metrics_;
  std::mutex stats_mutex_;
  ports::HttpServerStats last_stats_;
};

}  // namespace quanta::node
