#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/yaml_document.h"
#include "ports/http_limits.h"

namespace quanta::node {

/// Where a node listens: an IP address (or "localhost") and a port (0 picks a free one).
struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7070;
};

/// Parses "127.0.0.1:7070", "[::1]:7070", "localhost:7070" or "0.0.0.0:0". Fails (kUsage)
/// naming what is wrong and the expected form.
Result<ListenAddress> ParseListenAddress(std::string_view text);

/// The smallest sql.memoryLimit node.yaml accepts: commits and ingest batches take their
/// share of the same memory, and a limit below this leaves too little for a query beside them.
inline constexpr std::uint64_t kMinimumMemoryLimit = 128ull * 1024 * 1024;

/// The SQL port (PostgreSQL protocol).
/// SqlPortConfig::lookup_memory_bytes unless node.yaml says otherwise.
inline constexpr std::uint64_t kDefaultLookupMemory = 1024ull * 1024 * 1024;

struct SqlPortConfig {
  bool enabled = true;
  ListenAddress listen{"127.0.0.1", 5433};
  int max_connections = 100;
  /// A signed-in client idle this long is disconnected; 0: never.
  std::chrono::milliseconds idle_timeout{0};
  /// A consumer statement running longer is cancelled; 0: no limit.
  std::chrono::milliseconds statement_timeout{300'000};
  /// node.yaml or a flag named the address. When not, a node whose HTTP port is 0 (tests,
  /// several nodes on one machine) picks a free SQL port too.
  bool listen_configured = false;
  /// PEM certificate (chain) and key: with both, clients may switch to TLS (sslmode=require).
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_key;
  /// DuckDB's memory limit for the node's instance (stores and queries together), e.g.
  /// "4GiB"; empty: DuckDB's default (80% of the machine's memory).
  std::string memory_limit;
  /// The same limit in bytes; 0 with DuckDB's default.
  std::uint64_t memory_limit_bytes = 0;
  /// How much the instance may spill to <data>/tmp/duckdb once memory is full, e.g. "16GiB";
  /// "0MiB": no spilling. A statement needing more fails with 53200 instead of filling the
  /// disk the stores write to. Empty: OpenNodeDatabase's default (kDefaultSpillLimit, at
  /// most half the free space at start).
  std::string spill_limit;
  /// How much memory the node may keep current rows of keyed datasets in, so that the SQL port
  /// answers a point lookup by key without running a statement (store::ProductStore::
  /// KeyedRowsOf); a dataset that does not fit is looked up in DuckDB. 0: none kept.
  std::uint64_t lookup_memory_bytes = kDefaultLookupMemory;
};

/// Someone who signs in to the node's ports.
struct Principal {
  std::string name;
  /// A SCRAM-SHA-256 verifier in PostgreSQL's format (`quanta scram-verifier` makes one).
  std::string scram_verifier;
  /// Signs in without a password: for local development only.
  bool trust = false;
  std::vector<std::string> groups;
};

/// Everything a node needs to start. Built from embedded defaults, then `node.yaml`, then
/// command-line flags, each overriding the one before.
struct NodeConfig {
  std::filesystem::path data_dir = "./quanta-data";
  ListenAddress listen;
  int threads = 0;           ///< event loop threads; 0 means one per core and one more
  int blocking_threads = 0;  ///< threads for queries and file work; 0 means 4 per core, at least 8
  ports::HttpLimits http_limits;
  /// http.auth: bearer: the HTTP API needs a principal's token (see HttpAuthenticator).
  bool http_bearer_auth = false;
  /// How long /readyz answers 503 before the node stops accepting, so that load balancers
  /// notice before connections are refused.
  std::chrono::milliseconds readiness_delay{0};
  /// How long in-flight requests may take to finish once shutdown begins.
  std::chrono::milliseconds drain_timeout{30'000};
  SqlPortConfig sql;
  /// processMemoryLimit: the most memory the process may allocate (LimitProcessMemory); 0: no
  /// limit of the node's own. Unset: DefaultProcessMemoryLimit().
  std::optional<std::uint64_t> process_memory_limit;
  std::vector<Principal> principals;
  std::string source = "defaults";  ///< "defaults" or the path of the node.yaml read

  /// The thread counts with 0 resolved for this machine.
  int EffectiveThreads() const;
  int EffectiveBlockingThreads() const;
};

/// Applies a parsed node.yaml onto `config`. Every problem (an unknown field, a wrong type, a
/// value out of range) is reported at once, each as `file:line:col: message` in one kUsage
/// Status. Relative paths in the file are resolved from the file's folder.
Status ApplyNodeConfigDocument(const model::Document& document, NodeConfig* config);

/// Reads `path` and applies it onto the defaults. Fails (kIoError) when the file cannot be
/// read, (kUsage) when it is not valid YAML or not a valid node configuration.
Result<NodeConfig> LoadNodeConfig(const std::filesystem::path& path);

/// Command-line flags that override the configuration file; unset flags leave it alone.
struct NodeFlags {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::string> listen;
  std::optional<std::string> sql_listen;  ///< "off" disables the SQL port
  std::optional<std::filesystem::path> data_dir;
  std::optional<int> threads;
};

/// Defaults, then the config file when one is named, then the flags.
Result<NodeConfig> ResolveNodeConfig(const NodeFlags& flags);

/// "16MiB", "512KiB", "1GB", "100B" or a plain number of bytes. Fails (kUsage) otherwise.
Result<std::uint64_t> ParseByteSize(std::string_view text);
/// "500ms", "30s", "2m", "1h" or a plain number of seconds. Fails (kUsage) otherwise.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace quanta::node
