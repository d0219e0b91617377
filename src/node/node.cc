#include "node/node.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "node/http_auth.h"
#include "node/node_database.h"
#include "node/product_routes.h"
#include "node/sql_backend.h"
#include "ports/http_error.h"

namespace quanta::node {
namespace {

std::string IsoTime(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string_view StateName(NodeState state) {
  switch (state) {
    case NodeState::kOpened:
      return "opened";
    case NodeState::kReady:
      return "ready";
    case NodeState::kDraining:
      return "draining";
    case NodeState::kStopped:
      return "stopped";
  }
  return "unknown";
}

}  // namespace

Node::Node(NodeConfig config, std::unique_ptr<DataDirectory> data_directory,
           std::unique_ptr<ports::HttpServer> server)
    : config_(std::move(config)),
      data_directory_(std::move(data_directory)),
      server_(std::move(server)),
      requests_(metrics_.AddCounter("quanta_http_requests_total",
                                    "HTTP requests answered, by route pattern and status code",
                                    {"route", "code"})),
      request_duration_(metrics_.AddHistogram(
          "quanta_http_request_duration_seconds",
          "Time from a request's first byte to its response's last byte, by route pattern",
          {"route"}, MetricsRegistry::LatencyBuckets())),
      response_bytes_(metrics_.AddCounter("quanta_http_response_bytes_total",
                                          "Bytes of HTTP responses sent, by route pattern",
                                          {"route"})),
      connections_open_(metrics_.AddGauge("quanta_http_connections_open", "Open HTTP connections")
                            .WithLabels({})),
      requests_active_(
          metrics_
              .AddGauge("quanta_http_requests_active", "HTTP requests being handled or answered")
              .WithLabels({})),
      connections_accepted_(
          metrics_.AddCounter("quanta_http_connections_accepted_total", "HTTP connections accepted")
              .WithLabels({})),
      connections_rejected_(
          metrics_
              .AddCounter("quanta_http_connections_rejected_total",
                          "HTTP connections turned away with 503 because the connection limit "
                          "was reached")
              .WithLabels({})),
      sql_connections_open_(
          metrics_.AddGauge("quanta_sql_connections_open", "Signed-in or signing-in SQL sessions")
              .WithLabels({})),
      sql_connections_accepted_(
          metrics_.AddCounter("quanta_sql_connections_accepted_total", "SQL connections accepted")
              .WithLabels({})),
      sql_connections_rejected_(
          metrics_
              .AddCounter("quanta_sql_connections_rejected_total",
                          "SQL connections refused with 53300 because maxConnections was reached")
              .WithLabels({})),
      sql_cancel_requests_(metrics_
                               .AddCounter("quanta_sql_cancel_requests_total",
                                           "CancelRequest packets received on the SQL port")
                               .WithLabels({})),
      sql_client_hangups_(
          metrics_
              .AddCounter("quanta_sql_client_hangups_total",
                          "SQL clients that hung up while a statement of theirs ran; each such "
                          "statement was cancelled")
              .WithLabels({})),
      uptime_(metrics_.AddGauge("quanta_node_uptime_seconds", "Seconds since the node started")
                  .WithLabels({})),
      ready_(metrics_
                 .AddGauge("quanta_node_ready",
                           "1 while the node is ready to serve, 0 while it starts or shuts down")
                 .WithLabels({})),
      product_metrics_(metrics_) {
  metrics_.AddGauge("quanta_build_info", "The running Quanta version; always 1", {"version"})
      .WithLabels({std::string(kQuantaVersion)})
      .Set(1);
}

Node::~Node() {
  if (state_.load() == NodeState::kReady || state_.load() == NodeState::kDraining) {
    state_ = NodeState::kDraining;
    if (sql_server_) sql_server_->Stop(std::chrono::milliseconds(0));
    server_->Stop(std::chrono::milliseconds(0));
  }
}

Result<std::unique_ptr<Node>> Node::Open(NodeConfig config,
                                         const std::map<std::string, std::string>& left_out) {
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<DataDirectory> data_directory,
                          DataDirectory::Open(config.data_dir));
  ports::HttpServerOptions options;
  options.address = config.listen.host;
  options.port = config.listen.port;
  options.event_threads = config.EffectiveThreads();
  options.blocking_threads = config.EffectiveBlockingThreads();
  options.limits = config.http_limits;
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<ports::HttpServer> server,
                          ports::HttpServer::Listen(options));
  std::unique_ptr<Node> node(
      new Node(std::move(config), std::move(data_directory), std::move(server)));
  QUANTA_RETURN_IF_ERROR(node->AddBuiltInRoutes());
  QUANTA_ASSIGN_OR_RETURN(node->database_, OpenNodeDatabase(node->data_dir(), node->config_.sql));
  QUANTA_ASSIGN_OR_RETURN(
      node->catalog_,
      ProductCatalog::Open(
          node->data_dir(), nullptr, node->database_, left_out,
          store::CheckpointLogBytesFor(InstanceMemoryLimit(node->config_.sql)),
          node->config_.sql.lookup_memory_bytes == 0
              ? nullptr
              : std::make_shared<engine::MemoryBudget>(node->config_.sql.lookup_memory_bytes)));
  node->catalog_->StartRetentionPass(std::chrono::minutes(10));
  node->drop_folders_ =
      std::make_unique<DropFolders>(node->data_dir(), *node->catalog_, &node->product_metrics_);
  QUANTA_RETURN_IF_ERROR(
      AddProductRoutes(node->router(), *node->catalog_, node->product_metrics_, node->data_dir(),
                       std::make_shared<const DatasetGrants>(node->config_.principals,
                                                             node->config_.http_bearer_auth)));
  if (node->config_.http_bearer_auth) {
    if (node->config_.principals.empty()) {
      return Status::Usage(
          "http.auth is bearer but node.yaml lists no principals: nobody could use the node");
    }
    QUANTA_ASSIGN_OR_RETURN(std::shared_ptr<HttpAuthenticator> authenticator,
                            HttpAuthenticator::Create(node->config_.principals));
    node->server_->SetRequestGuard(
        [authenticator](ports::HttpRequest& request) { return authenticator->Check(request); });
  }
  if (node->config_.sql.enabled) {
    QUANTA_ASSIGN_OR_RETURN(
        std::unique_ptr<SqlBackend> backend,
        SqlBackend::Create(node->config_.principals, node->database_, *node->catalog_));
    node->sql_backend_ = std::move(backend);
    ports::PgServerOptions sql;
    sql.address = node->config_.sql.listen.host;
    sql.port = node->config_.listen.port == 0 && !node->config_.sql.listen_configured
                   ? 0
                   : node->config_.sql.listen.port;
    sql.max_connections = node->config_.sql.max_connections;
    sql.idle_timeout = node->config_.sql.idle_timeout;
    sql.statement_timeout = node->config_.sql.statement_timeout;
    sql.worker_threads = node->config_.EffectiveBlockingThreads();
    sql.inline_runs = true;
    sql.tls_certificate_file = node->config_.sql.tls_certificate.string();
    sql.tls_key_file = node->config_.sql.tls_key.string();
    QUANTA_ASSIGN_OR_RETURN(node->sql_server_, ports::PgServer::Listen(node->server_->event_loops(),
                                                                       sql, *node->sql_backend_));
  }
  return node;
}

ports::HttpRouter& Node::router() { return server_->router(); }

Status Node::AddBuiltInRoutes() {
  ports::HttpRouter& router = server_->router();
  // Liveness fails once DuckDB stopped the instance after a fatal error: every product of the
  // node then refuses statements until the process opens it again (`quanta node` does so
  // itself within seconds; an embedding program or a supervisor must restart it).
  ports::RouteOptions engine_check{ports::HandlerMode::kBlocking, std::nullopt};
  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", "/healthz",
      [this](const ports::HttpRequest&) {
        Status running = EngineRunning();
        if (!running.ok()) return ports::ErrorResponse(running);
        return ports::HttpResponse::Json(200, {{"status", "alive"}});
      },
      engine_check));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", "/readyz",
      [this](const ports::HttpRequest&) {
        if (state_.load() != NodeState::kReady) {
          return ports::ErrorResponse(ports::HttpFault::kShuttingDown,
                                      fmt::format("the node is {}; send requests to another node",
                                                  StateName(state_.load())));
        }
        Status running = EngineRunning();
        if (!running.ok()) return ports::ErrorResponse(running);
        return ports::HttpResponse::Json(200, {{"status", "ready"}});
      },
      engine_check));
  QUANTA_RETURN_IF_ERROR(
      router.Add("GET", "/metrics",
                 [this](const ports::HttpRequest&) {
                   return ports::HttpResponse::Text(200, RenderMetrics(),
                                                    "text/plain; version=0.0.4; charset=utf-8");
                 },
                 {ports::HandlerMode::kBlocking, std::nullopt}));  // reads each product's store
  QUANTA_RETURN_IF_ERROR(router.Add("GET", "/v1/node", [this](const ports::HttpRequest& request) {
    if (Status known = request.CheckQueryKnown({}, "the node's description"); !known.ok()) {
      return ports::ErrorResponse(known);
    }
    double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    return ports::HttpResponse::Json(200, {{"name", "quanta"},
                                           {"version", kQuantaVersion},
                                           {"state", StateName(state_.load())},
                                           {"startedAt", IsoTime(started_at_)},
                                           {"uptimeSeconds", uptime},
                                           {"dataDir", data_directory_->path().string()},
                                           {"url", server_->url()},
                                           {"sqlUrl", sql_url()},
                                           {"threads", config_.EffectiveThreads()},
                                           {"blockingThreads", config_.EffectiveBlockingThreads()},
                                           {"config", config_.source}});
  }));
  server_->SetExchangeObserver(
      [this](const ports::HttpExchange& exchange) { RecordExchange(exchange); });
  return Status::Ok();
}

void Node::RecordExchange(const ports::HttpExchange& exchange) {
  // Unmatched paths share one label value, so that scanners cannot grow the series without end.
  std::string route = exchange.route.empty() ? "unmatched" : exchange.route;
  requests_.WithLabels({route, std::to_string(exchange.status)}).Increment();
  request_duration_.WithLabels({route}).Observe(
      std::chrono::duration<double>(exchange.duration).count());
  response_bytes_.WithLabels({route}).Increment(static_cast<double>(exchange.response_bytes));
}

std::string Node::RenderMetrics() {
  {
    std::lock_guard lock(stats_mutex_);
    ports::HttpServerStats stats = server_->stats();
    connections_open_.Set(static_cast<double>(stats.open_connections));
    requests_active_.Set(static_cast<double>(stats.active_requests));
    connections_accepted_.Increment(
        static_cast<double>(stats.accepted_connections - last_stats_.accepted_connections));
    connections_rejected_.Increment(
        static_cast<double>(stats.rejected_connections - last_stats_.rejected_connections));
    last_stats_ = stats;
    if (sql_server_) {
      ports::PgServerStats sql = sql_server_->stats();
      sql_connections_open_.Set(static_cast<double>(sql.open_connections));
      sql_connections_accepted_.Increment(
          static_cast<double>(sql.accepted_connections - last_sql_stats_.accepted_connections));
      sql_connections_rejected_.Increment(
          static_cast<double>(sql.rejected_connections - last_sql_stats_.rejected_connections));
      sql_cancel_requests_.Increment(
          static_cast<double>(sql.cancel_requests - last_sql_stats_.cancel_requests));
      sql_client_hangups_.Increment(
          static_cast<double>(sql.client_hangups - last_sql_stats_.client_hangups));
      last_sql_stats_ = sql;
    }
  }
  uptime_.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  ready_.Set(state_.load() == NodeState::kReady ? 1 : 0);
  if (catalog_) product_metrics_.Refresh(*catalog_);
  return metrics_.Render();
}

Status Node::Start() {
  if (state_.load() != NodeState::kOpened) return Status::Usage("the node was already started");
  started_ = std::chrono::steady_clock::now();
  started_at_ = std::chrono::system_clock::now();
  metrics_.AddGauge("quanta_node_start_time_seconds", "When the node started, in Unix seconds")
      .WithLabels({})
      .Set(std::chrono::duration<double>(started_at_.time_since_epoch()).count());
  QUANTA_RETURN_IF_ERROR(server_->Start());
  if (sql_server_) sql_server_->Start();
  drop_folders_->Start(std::chrono::seconds(1));
  state_ = NodeState::kReady;
  return Status::Ok();
}

ports::DrainOutcome Node::Shutdown() {
  std::lock_guard lock(shutdown_mutex_);
  if (state_.load() == NodeState::kStopped || state_.load() == NodeState::kOpened) {
    return drain_outcome_;
  }
  state_ = NodeState::kDraining;
  if (config_.readiness_delay.count() > 0) std::this_thread::sleep_for(config_.readiness_delay);
  if (sql_server_) sql_server_->Stop(config_.drain_timeout);
  drain_outcome_ = server_->Stop(config_.drain_timeout);
  state_ = NodeState::kStopped;
  return drain_outcome_;
}

std::string Node::url() const { return server_->url(); }

std::string Node::sql_url() const { return sql_server_ ? sql_server_->url() : std::string(); }

std::uint16_t Node::port() const { return server_->port(); }

}  // namespace quanta::node
