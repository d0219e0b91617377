#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "node/node.h"
#include "node/node_config.h"

namespace quanta::cli {
namespace {

struct NodeArguments {
  std::string config;
  std::string listen;
  std::string sql_listen;
  std::string data_dir;
  int threads = 0;
};

std::string_view SignalName(int signal_number) {
  return signal_number == SIGINT ? "SIGINT" : signal_number == SIGTERM ? "SIGTERM" : "a signal";
}

int Fail(std::string_view what, const Status& status) {
  std::cerr << "quanta node: " << what << status.message() << "\n";
  return InfoFor(status.code()).exit_code;
}

int RunNode(const NodeArguments& arguments, const CLI::App& command) {
  node::NodeFlags flags;
  if (!arguments.config.empty()) flags.config_file = arguments.config;
  if (command.count("--listen") > 0) flags.listen = arguments.listen;
  if (command.count("--sql-listen") > 0) flags.sql_listen = arguments.sql_listen;
  if (command.count("--data-dir") > 0) flags.data_dir = arguments.data_dir;
  if (command.count("--threads") > 0) flags.threads = arguments.threads;
  Result<node::NodeConfig> config = node::ResolveNodeConfig(flags);
  if (!config.ok()) {
    return Fail(arguments.config.empty() ? "" : fmt::format("{}: ", arguments.config),
                config.status());
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // the main thread alone receives them through sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Result<std::unique_ptr<node::Node>> opened = node::Node::Open(*config);
  if (!opened.ok()) return Fail("", opened.status());
  std::unique_ptr<node::Node> node = std::move(opened).value();
  if (Status started = node->Start(); !started.ok()) return Fail("", started);
  std::cout << fmt::format("quanta node listening on {} (data: {})", node->url(),
                           config->data_dir.string())
            << std::endl;
  if (!node->sql_url().empty()) {
    std::cout << fmt::format("quanta node serving SQL on {}", node->sql_url()) << std::endl;
  }
  if (!config->http_bearer_auth) {
    std::cerr << "quanta node: http.auth is none: HTTP reads see every dataset in clear, "
                 "without grants or masks (set http: {auth: bearer} to apply them)\n";
  }

  int received = 0;
  sigwait(&stop_signals, &received);
  std::cerr << fmt::format(
      "quanta node: {} received; finishing requests in flight (up to {} ms; send it again to "
      "stop at once)\n",
      SignalName(received), config->drain_timeout.count() + config->readiness_delay.count());
  std::thread impatient([stop_signals] {
    int again = 0;
    if (sigwait(&stop_signals, &again) == 0) {
      std::fprintf(stderr, "quanta node: %s received again; stopping now\n",
                   std::string(SignalName(again)).c_str());
      std::_Exit(1);
    }
  });
  impatient.detach();
  ports::DrainOutcome outcome = node->Shutdown();
  node.reset();
  if (outcome.clean) {
    std::cerr << "quanta node: stopped\n";
  } else {
    std::cerr << fmt::format(
        "quanta node: stopped; {} connection(s) were still busy at the drain deadline and were "
        "closed\n",
        outcome.forced_connections);
  }
  return 0;
}

}  // namespace

void RegisterNodeCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<NodeArguments>();
  CLI::App* command = app.add_subcommand(
      "node", "Run a Quanta node: it keeps its data in a data directory and serves HTTP");
  command
      ->add_option("--config", arguments->config,
                   "node.yaml to read (flags below override it); without it, the embedded "
                   "defaults apply")
      ->check(CLI::ExistingFile);
  command->add_option("--listen", arguments->listen,
                      "HTTP address as HOST:PORT; port 0 picks a free port (default "
                      "127.0.0.1:7070)");
  command->add_option("--sql-listen", arguments->sql_listen,
                      "SQL (PostgreSQL protocol) address as HOST:PORT, or off (default "
                      "127.0.0.1:5433; port 0 when --listen has port 0)");
  command->add_option("--data-dir", arguments->data_dir,
                      "Data directory, created when missing (default ./quanta-data)");
  command
      ->add_option("--threads", arguments->threads,
                   "Event loop threads for all network ports (default: one per core)")
      ->check(CLI::Range(1, 1024));
  command->footer(
      "The node prints `quanta node listening on URL (data: DIR)` once it serves, and runs until\n"
      "SIGTERM or SIGINT (Ctrl-C): then /readyz answers 503, it stops accepting connections,\n"
      "lets requests in flight finish (shutdown.drainTimeout, default 30s) and exits 0. A second\n"
      "signal stops it at once (exit 1).\n\n"
      "Routes: GET /healthz (alive), GET /readyz (ready; 503 while shutting down); both answer\n"
      "503 unavailable once DuckDB stopped the node's engine after a fatal error (a failed\n"
      "checkpoint): restart the node then, nothing acknowledged is lost. GET /metrics\n"
      "(Prometheus text format), GET /v1/node (version, uptime, data directory).\n"
      "Errors are JSON: {\"error\": {\"code\": ..., \"message\": ..., \"status\": ...}}.\n\n"
      "node.yaml (every field optional; sizes like 16MiB, durations like 30s):\n"
      "  dataDir: ./quanta-data        # relative to the file's folder\n"
      "  threads: 4\n"
      "  blockingThreads: 16           # queries and file work\n"
      "  http:\n"
      "    listen: 127.0.0.1:7070\n"
      "    auth: bearer                 # every request needs Bearer NAME:PASSWORD of a principal\n"
      "    limits: {maxHeaderBytes: 16KiB, maxBodyBytes: 16MiB, requestTimeout: 30s,\n"
      "             idleTimeout: 60s, writeTimeout: 30s, maxConnections: 1024,\n"
      "             streamBufferBytes: 1MiB}\n"
      "  sql:                           # the PostgreSQL-protocol port (docs/sql-port.md)\n"
      "    listen: 127.0.0.1:5433\n"
      "    maxConnections: 100\n"
      "    idleTimeout: 0s              # 0: idle sessions stay\n"
      "    statementTimeout: 5m\n"
      "    memoryLimit: 4GiB            # the node's DuckDB instance (>= 128MiB)\n"
      "    spillLimit: 16GiB            # its spill files; a query past both fails with 53200\n"
      "  principals:                    # who may sign in (SCRAM-SHA-256)\n"
      "    - name: analyst\n"
      "      scram: SCRAM-SHA-256$4096:...  # quanta scram-verifier --password-stdin\n"
      "      groups: [analysts]\n"
      "    - {name: dev, trust: true}   # no password: local development only\n"
      "  shutdown: {readinessDelay: 0s, drainTimeout: 30s}\n\n"
      "Exit codes: 0 stopped cleanly, 2 bad configuration or the data directory or port cannot\n"
      "be used.\n\n"
      "Examples:\n  quanta node\n  quanta node --listen 127.0.0.1:0 --data-dir /tmp/q\n"
      "  quanta node --config node.yaml --threads 2");
  command->callback(
      [arguments, exit_code, command] { *exit_code = RunNode(*arguments, *command); });
}

}  // namespace quanta::cli
