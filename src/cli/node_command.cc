#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "node/node.h"
#include "node/node_config.h"
#include "node/process_memory.h"

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

// After its engine stopped, the node opens itself again after this delay: one second, doubling
// (up to a minute) while each run ends within a minute of its start, so that a fault that
// comes back at once (a log that the memory limit cannot replay) does not spin.
std::chrono::seconds ReopenDelay(int quick_reopens) {
  return std::chrono::seconds(std::min(60, 1 << std::clamp(quick_reopens, 0, 6)));
}

// Waits for SIGINT or SIGTERM (the signal's number), checking once a second that the node's
// engine still runs; 0 once it stopped, with the reason in `stopped`.
int WaitForStopSignal(const sigset_t& stop_signals, node::Node& node, Status* stopped) {
  const timespec second{1, 0};
  for (;;) {
    int received = sigtimedwait(&stop_signals, nullptr, &second);
    if (received > 0) return received;
    if (Status running = node.EngineRunning(); !running.ok()) {
      *stopped = running;
      return 0;
    }
  }
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

  // Before any thread starts, so that every allocation of the process counts against it.
  std::uint64_t memory_limit =
      config->process_memory_limit.value_or(node::DefaultProcessMemoryLimit());
  if (Result<std::optional<std::uint64_t>> limited = node::LimitProcessMemory(memory_limit);
      !limited.ok()) {
    return Fail("", limited.status());
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // the main thread alone receives them through sigtimedwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Once DuckDB stops the node's instance after a fatal error, every product refuses
  // statements until the instance is opened again: the node then stops and opens itself
  // again, in this process, as a supervisor would restart it.
  // A product whose own statement stopped the instance (a checkpoint that ran out of memory)
  // would stop it again once reopened, taking every other product down with it each time: it
  // stays closed, listed as failed with the reason, until the node is restarted.
  int quick_reopens = 0;
  std::map<std::string, std::string> left_out;
  for (int run = 0;; ++run) {
    Result<std::unique_ptr<node::Node>> opened = node::Node::Open(*config, left_out);
    if (!opened.ok()) return Fail("", opened.status());
    std::unique_ptr<node::Node> node = std::move(opened).value();
    if (Status started = node->Start(); !started.ok()) return Fail("", started);
    auto started_at = std::chrono::steady_clock::now();
    std::cout << fmt::format("quanta node listening on {} (data: {})", node->url(),
                             config->data_dir.string())
              << std::endl;
    if (!node->sql_url().empty()) {
      std::cout << fmt::format("quanta node serving SQL on {}", node->sql_url()) << std::endl;
    }
    if (!config->http_bearer_auth && run == 0) {
      std::cerr << "quanta node: http.auth is none: HTTP reads see every dataset in clear, "
                   "without grants or masks (set http: {auth: bearer} to apply them)\n";
    }

    Status stopped;
    int received = WaitForStopSignal(stop_signals, *node, &stopped);
    if (received == 0) {
      std::cerr << fmt::format("quanta node: {}\n", stopped.message());
      for (auto& [id, error] : node->catalog().ProductsThatStoppedTheEngine()) {
        std::cerr << fmt::format("quanta node: {} stopped the engine; it stays closed\n", id);
        // The store's error ends by saying to restart the node (with more memory, if it ran
        // out).
        left_out.emplace(id, fmt::format("not opened when the node opened itself again, since "
                                         "when it last ran, {}",
                                         error));
      }
      std::cerr << "quanta node: stopping, to open the node again\n";
      node->Shutdown();
      node.reset();
      if (std::chrono::steady_clock::now() - started_at >= std::chrono::minutes(1)) {
        quick_reopens = 0;
      }
      std::chrono::seconds delay = ReopenDelay(quick_reopens++);
      std::cerr << fmt::format("quanta node: opening the node again in {} s\n", delay.count());
      const timespec wait{static_cast<time_t>(delay.count()), 0};
      if (int signal_number = sigtimedwait(&stop_signals, nullptr, &wait); signal_number > 0) {
        std::cerr << fmt::format("quanta node: {} received; stopped\n", SignalName(signal_number));
        return 0;
      }
      continue;
    }

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
          "quanta node: stopped; {} connection(s) were still busy at the drain deadline and "
          "were closed\n",
          outcome.forced_connections);
    }
    return 0;
  }
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
      "checkpoint). Within seconds the node then stops and opens itself again in the same\n"
      "process, and prints its listening lines again (a port 0 picks new ports); a product\n"
      "whose own checkpoint stopped the engine stays closed, listed as failed, until the node\n"
      "is restarted. Nothing acknowledged is lost. GET /metrics (Prometheus text format),\n"
      "GET /v1/node (version, uptime, data directory).\n"
      "Errors are JSON: {\"error\": {\"code\": ..., \"message\": ..., \"status\": ...}}.\n\n"
      "node.yaml (every field optional; sizes like 16MiB, durations like 30s):\n"
      "  dataDir: ./quanta-data        # relative to the file's folder\n"
      "  threads: 4\n"
      "  blockingThreads: 16           # queries and file work\n"
      "  processMemoryLimit: 20GiB     # all the process may allocate; a statement past it\n"
      "                                # fails with 53200 (default 90% of memory; 0: none)\n"
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
