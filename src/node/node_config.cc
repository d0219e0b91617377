#include "node/node_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include "base/diagnostic.h"

namespace quanta::node {
namespace {

using model::Json;

int Cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string TypeName(const Json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "a list";
  return "a mapping";
}

// Reads node.yaml values, collecting every problem with its place in the file.
class ConfigReader {
 public:
  explicit ConfigReader(const model::Document& document) : document_(document) {}

  /// The file being read, for paths relative to it.
  const std::string& file() const { return document_.file(); }

  const std::vector<Diagnostic>& problems() const { return problems_; }

  void Problem(const std::string& pointer, std::string rule, std::string message,
               std::string hint = {}, bool at_key = false) {
    Diagnostic diagnostic;
    diagnostic.rule = "node-config/" + rule;
    diagnostic.location = at_key ? document_.LocateKey(pointer) : document_.Locate(pointer);
    diagnostic.location.field = model::PointerToFieldPath(pointer);
    diagnostic.message = std::move(message);
    diagnostic.hint = std::move(hint);
    problems_.push_back(std::move(diagnostic));
  }

  // True when `value` is a mapping whose keys are all in `known`; reports the others.
  bool Mapping(const std::string& pointer, const Json& value,
               const std::vector<std::string_view>& known) {
    if (!value.is_object()) {
      Problem(pointer, "type", fmt::format("expected a mapping, found {}", TypeName(value)));
      return false;
    }
    for (const auto& [key, member] : value.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string_view closest;
      std::size_t best = 3;
      for (std::string_view candidate : known) {
        std::size_t distance = EditDistance(key, candidate);
        if (distance < best) {
          best = distance;
          closest = candidate;
        }
      }
      std::string where = pointer.empty() ? "node.yaml" : model::PointerToFieldPath(pointer);
      Problem(
          model::AppendPointer(pointer, key), "unknown-field",
          fmt::format("unknown field '{}' in {} (known: {})", key, where, fmt::join(known, ", ")),
          closest.empty() ? "" : fmt::format("did you mean '{}'?", closest), true);
    }
    return true;
  }

  std::optional<std::string> String(const std::string& pointer, const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    Problem(pointer, "type", fmt::format("expected a string, found {}", TypeName(value)));
    return std::nullopt;
  }

  std::optional<std::int64_t> Integer(const std::string& pointer, const Json& value,
                                      std::int64_t min, std::int64_t max) {
    if (!value.is_number_integer()) {
      Problem(pointer, "type", fmt::format("expected a whole number, found {}", TypeName(value)));
      return std::nullopt;
    }
    std::int64_t number = value.get<std::int64_t>();
    if (number < min || number > max) {
      Problem(pointer, "range", fmt::format("{} is out of range: use {} to {}", number, min, max));
      return std::nullopt;
    }
    return number;
  }

  std::optional<std::uint64_t> Size(const std::string& pointer, const Json& value,
                                    std::uint64_t min) {
    std::uint64_t bytes = 0;
    if (value.is_number_unsigned() ||
        (value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
      bytes = value.get<std::uint64_t>();
    } else if (value.is_string()) {
      Result<std::uint64_t> parsed = ParseByteSize(value.get<std::string>());
      if (!parsed.ok()) {
        Problem(pointer, "type", parsed.status().message());
        return std::nullopt;
      }
      bytes = *parsed;
    } else {
      Problem(pointer, "type",
              fmt::format("expected a size such as 16MiB or a number of bytes, found {}",
                          TypeName(value)));
      return std::nullopt;
    }
    if (bytes < min) {
      Problem(pointer, "range", fmt::format("{} bytes is too small: use at least {}", bytes, min));
      return std::nullopt;
    }
    return bytes;
  }

  std::optional<std::chrono::milliseconds> Duration(const std::string& pointer, const Json& value,
                                                    bool allow_zero) {
    std::chrono::milliseconds duration{0};
    if (value.is_number() && value.get<double>() >= 0 && std::isfinite(value.get<double>())) {
      duration = std::chrono::milliseconds(std::llround(value.get<double>() * 1000));
    } else if (value.is_string()) {
      Result<std::chrono::milliseconds> parsed = ParseDuration(value.get<std::string>());
      if (!parsed.ok()) {
        Problem(pointer, "type", parsed.status().message());
        return std::nullopt;
      }
      duration = *parsed;
    } else {
      Problem(pointer, "type",
              fmt::format("expected a duration such as 30s or 500ms, found {}", TypeName(value)));
      return std::nullopt;
    }
    if (!allow_zero && duration.count() <= 0) {
      Problem(pointer, "range", "the duration must be longer than 0");
      return std::nullopt;
    }
    return duration;
  }

 private:
  const model::Document& document_;
  std::vector<Diagnostic> problems_;
};

void ReadLimits(ConfigReader& reader, const std::string& pointer, const Json& limits,
                ports::HttpLimits* out) {
  if (!reader.Mapping(pointer, limits,
                      {"maxHeaderBytes", "maxBodyBytes", "requestTimeout", "idleTimeout",
                       "writeTimeout", "maxConnections", "streamBufferBytes"})) {
    return;
  }
  auto at = [&](std::string_view key) { return model::AppendPointer(pointer, key); };
  if (limits.contains("maxHeaderBytes")) {
    if (auto size = reader.Size(at("maxHeaderBytes"), limits["maxHeaderBytes"], 1024)) {
      out->max_header_bytes = *size;
    }
  }
  if (limits.contains("maxBodyBytes")) {
    if (auto size = reader.Size(at("maxBodyBytes"), limits["maxBodyBytes"], 0)) {
      out->max_body_bytes = *size;
    }
  }
  if (limits.contains("streamBufferBytes")) {
    if (auto size = reader.Size(at("streamBufferBytes"), limits["streamBufferBytes"], 1024)) {
      out->stream_buffer_bytes = *size;
    }
  }
  if (limits.contains("requestTimeout")) {
    if (auto duration = reader.Duration(at("requestTimeout"), limits["requestTimeout"], false)) {
      out->request_timeout = *duration;
    }
  }
  if (limits.contains("idleTimeout")) {
    if (auto duration = reader.Duration(at("idleTimeout"), limits["idleTimeout"], false)) {
      out->idle_timeout = *duration;
    }
  }
  if (limits.contains("writeTimeout")) {
    if (auto duration = reader.Duration(at("writeTimeout"), limits["writeTimeout"], false)) {
      out->write_timeout = *duration;
    }
  }
  if (limits.contains("maxConnections")) {
    if (auto count = reader.Integer(at("maxConnections"), limits["maxConnections"], 1, 1'000'000)) {
      out->max_connections = static_cast<std::size_t>(*count);
    }
  }
}

}  // namespace

// One more than the cores: every core can run a quick SQL statement on an event thread while
// the connections of another loop are read. pgbench's SELECT 1 with 4 clients on 2 cores, when
// the threads shared one io_context: 22000 TPS with 2 threads, 28900 with 3, 21000 with 6; with
// an io_context per thread (EventLoops), 2 and 3 threads are alike (94000-100000 prepared).
int NodeConfig::EffectiveThreads() const { return threads > 0 ? threads : Cores() + 1; }

int NodeConfig::EffectiveBlockingThreads() const {
  return blocking_threads > 0 ? blocking_threads : std::max(8, 4 * Cores());
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto usage = [&](std::string_view reason) {
    return Status::Usage(
        "listen address '{}': {}; expected HOST:PORT such as 127.0.0.1:7070, "
        "[::1]:7070 or 0.0.0.0:0 (port 0 picks a free port)",
        text, reason);
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return usage("no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return usage("an IPv6 address goes in brackets");
  }
  if (host.empty()) return usage("no host");
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return usage(fmt::format("'{}' is not a port number from 0 to 65535", port_text));
  }
  ListenAddress address;
  address.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  boost::system::error_code parse_error;
  boost::asio::ip::make_address(address.host, parse_error);
  if (parse_error) return usage(fmt::format("'{}' is not an IP address", host));
  address.port = static_cast<std::uint16_t>(port);
  return address;
}

Result<std::uint64_t> ParseByteSize(std::string_view text) {
  std::uint64_t number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
      {"KiB", 1024},
      {"MiB", 1024 * 1024},
      {"GiB", 1024ull * 1024 * 1024}};
  if (error == std::errc() && end != text.data()) {
    for (const auto& [name, factor] : kUnits) {
      if (unit == name && number <= UINT64_MAX / factor) return number * factor;
    }
  }
  return Status::Usage(
      "'{}' is not a size: write a whole number of bytes or one with a unit (B, KB, MB, GB, "
      "KiB, MiB, GiB), e.g. 16MiB",
      text);
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  double number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  if (error == std::errc() && end != text.data() && number >= 0 && std::isfinite(number)) {
    for (const auto& [name, factor] : kUnits) {
      if (unit == name && number * factor < 1e15) {
        return std::chrono::milliseconds(std::llround(number * factor));
      }
    }
  }
  return Status::Usage(
      "'{}' is not a duration: write a number with a unit (ms, s, m, h), e.g. 30s or 500ms", text);
}

namespace {

void ReadSqlPort(ConfigReader& reader, const Json& sql, SqlPortConfig* config) {
  if (!reader.Mapping("/sql", sql,
                      {"enabled", "listen", "maxConnections", "idleTimeout", "statementTimeout",
                       "memoryLimit", "spillLimit", "lookupMemory", "tls"})) {
    return;
  }
  if (sql.contains("tls")) {
    const Json& tls = sql["tls"];
    if (reader.Mapping("/sql/tls", tls, {"certificate", "key"})) {
      std::filesystem::path base = std::filesystem::path(reader.file()).parent_path();
      auto path = [&](const char* name, std::filesystem::path* out) {
        if (!tls.contains(name)) {
          reader.Problem("/sql/tls", "required",
                         fmt::format("TLS needs both certificate and key; {} is missing", name));
          return;
        }
        if (auto text = reader.String(fmt::format("/sql/tls/{}", name), tls[name])) {
          std::filesystem::path file(*text);
          *out = file.is_relative() && !base.empty() ? base / file : file;
        }
      };
      path("certificate", &config->tls_certificate);
      path("key", &config->tls_key);
    }
  }
  if (sql.contains("enabled")) {
    if (!sql["enabled"].is_boolean()) {
      reader.Problem("/sql/enabled", "type",
                     fmt::format("expected true or false, found {}", TypeName(sql["enabled"])));
    } else {
      config->enabled = sql["enabled"].get<bool>();
    }
  }
  if (sql.contains("listen")) {
    if (auto listen = reader.String("/sql/listen", sql["listen"])) {
      Result<ListenAddress> address = ParseListenAddress(*listen);
      if (address.ok()) {
        config->listen = *address;
        config->listen_configured = true;
      } else {
        reader.Problem("/sql/listen", "listen", address.status().message());
      }
    }
  }
  if (sql.contains("maxConnections")) {
    if (auto count = reader.Integer("/sql/maxConnections", sql["maxConnections"], 1, 10000)) {
      config->max_connections = static_cast<int>(*count);
    }
  }
  if (sql.contains("idleTimeout")) {
    if (auto timeout = reader.Duration("/sql/idleTimeout", sql["idleTimeout"], true)) {
      config->idle_timeout = *timeout;
    }
  }
  if (sql.contains("statementTimeout")) {
    if (auto timeout = reader.Duration("/sql/statementTimeout", sql["statementTimeout"], true)) {
      config->statement_timeout = *timeout;
    }
  }
  if (sql.contains("memoryLimit")) {
    if (auto size = reader.Size("/sql/memoryLimit", sql["memoryLimit"], 0)) {
      if (*size < kMinimumMemoryLimit) {
        reader.Problem("/sql/memoryLimit", "range",
                       fmt::format("{} MiB is too small: use at least {}MiB, since the stores' "
                                   "commits and ingest batches need room beside the queries",
                                   *size / (1024 * 1024), kMinimumMemoryLimit / (1024 * 1024)));
      } else {
        config->memory_limit = std::to_string(*size / (1024 * 1024)) + "MiB";
        config->memory_limit_bytes = *size / (1024 * 1024) * (1024 * 1024);
      }
    }
  }
  if (sql.contains("lookupMemory")) {
    if (auto size = reader.Size("/sql/lookupMemory", sql["lookupMemory"], 0)) {
      config->lookup_memory_bytes = *size;
    }
  }
  if (sql.contains("spillLimit")) {
    if (auto size = reader.Size("/sql/spillLimit", sql["spillLimit"], 0)) {
      // Whole MiB, rounded up so that a small limit does not become "no spilling".
      config->spill_limit = std::to_string((*size + 1024 * 1024 - 1) / (1024 * 1024)) + "MiB";
    }
  }
}

void ReadPrincipals(ConfigReader& reader, const Json& principals, NodeConfig* config) {
  if (!principals.is_array()) {
    reader.Problem("/principals", "type",
                   fmt::format("expected a list of principals, found {}", TypeName(principals)));
    return;
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < principals.size(); ++i) {
    std::string at = fmt::format("/principals/{}", i);
    const Json& entry = principals[i];
    if (!reader.Mapping(at, entry, {"name", "scram", "trust", "groups"})) continue;
    Principal principal;
    if (!entry.contains("name")) {
      reader.Problem(at, "required", "a principal needs a name");
      continue;
    }
    if (auto name = reader.String(at + "/name", entry["name"])) principal.name = *name;
    if (principal.name.empty()) continue;
    if (!seen.insert(principal.name).second) {
      reader.Problem(at + "/name", "duplicate",
                     fmt::format("principal '{}' is listed twice", principal.name));
    }
    if (entry.contains("scram")) {
      if (auto secret = reader.String(at + "/scram", entry["scram"])) {
        if (!secret->starts_with("SCRAM-SHA-256$")) {
          reader.Problem(at + "/scram", "scram",
                         "not a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iterations>:<salt>$...)",
                         "make one with: quanta scram-verifier --password-stdin");
        }
        principal.scram_verifier = *secret;
      }
    }
    if (entry.contains("trust")) {
      if (!entry["trust"].is_boolean()) {
        reader.Problem(at + "/trust", "type", "expected true or false");
      } else {
        principal.trust = entry["trust"].get<bool>();
      }
    }
    if (!principal.trust && principal.scram_verifier.empty()) {
      reader.Problem(at, "credentials",
                     fmt::format("principal '{}' has neither a scram verifier nor trust: true, "
                                 "so it could never sign in",
                                 principal.name));
    }
    if (entry.contains("groups")) {
      const Json& groups = entry["groups"];
      if (!groups.is_array()) {
        reader.Problem(at + "/groups", "type", "expected a list of group names");
      } else {
        for (std::size_t g = 0; g < groups.size(); ++g) {
          if (auto group = reader.String(fmt::format("{}/groups/{}", at, g), groups[g])) {
            principal.groups.push_back(*group);
          }
        }
      }
    }
    config->principals.push_back(std::move(principal));
  }
}

}  // namespace

Status ApplyNodeConfigDocument(const model::Document& document, NodeConfig* config) {
  ConfigReader reader(document);
  const Json& root = document.root();
  if (root.is_null()) return Status::Ok();  // an empty file keeps every default
  if (reader.Mapping("", root,
                     {"apiVersion", "kind", "dataDir", "threads", "blockingThreads", "http", "sql",
                      "principals", "shutdown", "processMemoryLimit"})) {
    if (root.contains("apiVersion")) {
      auto version = reader.String("/apiVersion", root["apiVersion"]);
      if (version && *version != "quanta/v1") {
        reader.Problem("/apiVersion", "api-version",
                       fmt::format("apiVersion '{}' is not known", *version),
                       "write apiVersion: quanta/v1");
      }
    }
    if (root.contains("kind")) {
      auto kind = reader.String("/kind", root["kind"]);
      if (kind && *kind != "Node") {
        reader.Problem("/kind", "kind", fmt::format("kind '{}' is not a node configuration", *kind),
                       "write kind: Node");
      }
    }
    if (root.contains("dataDir")) {
      if (auto dir = reader.String("/dataDir", root["dataDir"])) {
        if (dir->empty()) {
          reader.Problem("/dataDir", "range", "the data directory must not be empty");
        } else {
          std::filesystem::path path(*dir);
          std::filesystem::path base = std::filesystem::path(document.file()).parent_path();
          config->data_dir = path.is_relative() && !base.empty() ? base / path : path;
        }
      }
    }
    if (root.contains("threads")) {
      if (auto threads = reader.Integer("/threads", root["threads"], 1, 1024)) {
        config->threads = static_cast<int>(*threads);
      }
    }
    if (root.contains("blockingThreads")) {
      if (auto threads = reader.Integer("/blockingThreads", root["blockingThreads"], 1, 4096)) {
        config->blocking_threads = static_cast<int>(*threads);
      }
    }
    if (root.contains("http")) {
      const Json& http = root["http"];
      if (reader.Mapping("/http", http, {"listen", "limits", "auth"})) {
        if (http.contains("auth")) {
          if (auto auth = reader.String("/http/auth", http["auth"])) {
            if (*auth == "bearer") {
              config->http_bearer_auth = true;
            } else if (*auth != "none") {
              reader.Problem("/http/auth", "auth", fmt::format("auth '{}' is not known", *auth),
                             "write auth: bearer (a principal's token on every request) or "
                             "auth: none");
            }
          }
        }
        if (http.contains("listen")) {
          if (auto listen = reader.String("/http/listen", http["listen"])) {
            Result<ListenAddress> address = ParseListenAddress(*listen);
            if (address.ok()) {
              config->listen = *address;
            } else {
              reader.Problem("/http/listen", "listen", address.status().message());
            }
          }
        }
        if (http.contains("limits")) {
          ReadLimits(reader, "/http/limits", http["limits"], &config->http_limits);
        }
      }
    }
    if (root.contains("sql")) ReadSqlPort(reader, root["sql"], &config->sql);
    if (root.contains("principals")) ReadPrincipals(reader, root["principals"], config);
    if (root.contains("processMemoryLimit")) {
      if (auto size = reader.Size("/processMemoryLimit", root["processMemoryLimit"], 0)) {
        if (*size > 0 && *size < 2 * kMinimumMemoryLimit) {
          reader.Problem(
              "/processMemoryLimit", "range",
              fmt::format("{} MiB is too small: use at least {}MiB, or 0 for no limit",
                          *size / (1024 * 1024), 2 * kMinimumMemoryLimit / (1024 * 1024)));
        } else {
          config->process_memory_limit = *size;
        }
      }
    }
    if (root.contains("shutdown")) {
      const Json& shutdown = root["shutdown"];
      if (reader.Mapping("/shutdown", shutdown, {"readinessDelay", "drainTimeout"})) {
        if (shutdown.contains("readinessDelay")) {
          if (auto delay =
                  reader.Duration("/shutdown/readinessDelay", shutdown["readinessDelay"], true)) {
            config->readiness_delay = *delay;
          }
        }
        if (shutdown.contains("drainTimeout")) {
          if (auto timeout =
                  reader.Duration("/shutdown/drainTimeout", shutdown["drainTimeout"], true)) {
            config->drain_timeout = *timeout;
          }
        }
      }
    }
  }
  if (config->process_memory_limit.value_or(0) > 0 &&
      config->sql.memory_limit_bytes > *config->process_memory_limit) {
    reader.Problem(
        "/sql/memoryLimit", "range",
        fmt::format("{}MiB is more than the process may allocate (processMemoryLimit "
                    "{}MiB)",
                    config->sql.memory_limit_bytes >> 20, *config->process_memory_limit >> 20),
        "lower sql.memoryLimit, or raise processMemoryLimit");
  }
  if (reader.problems().empty()) return Status::Ok();
  std::vector<std::string> lines;
  for (const Diagnostic& problem : reader.problems()) lines.push_back(FormatDiagnostic(problem));
  return Status::Usage("{}", fmt::join(lines, "\n"));
}

Result<NodeConfig> LoadNodeConfig(const std::filesystem::path& path) {
  QUANTA_ASSIGN_OR_RETURN(model::ParsedDocument parsed, model::ReadYamlFile(path));
  std::vector<std::string> lines;
  for (const Diagnostic& diagnostic : parsed.diagnostics) {
    if (diagnostic.severity == Severity::kError && diagnostic.rule != "document-empty") {
      lines.push_back(FormatDiagnostic(diagnostic));
    }
  }
  if (!lines.empty()) return Status::Usage("{}", fmt::join(lines, "\n"));
  NodeConfig config;
  config.source = path.string();
  if (parsed.document) QUANTA_RETURN_IF_ERROR(ApplyNodeConfigDocument(*parsed.document, &config));
  return config;
}

Result<NodeConfig> ResolveNodeConfig(const NodeFlags& flags) {
  NodeConfig config;
  if (flags.config_file) {
    QUANTA_ASSIGN_OR_RETURN(config, LoadNodeConfig(*flags.config_file));
  }
  if (flags.listen) {
    QUANTA_ASSIGN_OR_RETURN(config.listen, ParseListenAddress(*flags.listen));
  }

  if (flags.sql_listen) {
    if (*flags.sql_listen == "off") {
      config.sql.enabled = false;
    } else {
      QUANTA_ASSIGN_OR_RETURN(config.sql.listen, ParseListenAddress(*flags.sql_listen));
      config.sql.listen_configured = true;
      config.sql.enabled = true;
    }
  }
  if (flags.data_dir) {
    if (flags.data_dir->empty()) return Status::Usage("--data-dir must not be empty");
    config.data_dir = *flags.data_dir;
  }
  if (flags.threads) {
    if (*flags.threads < 1 || *flags.threads > 1024) {
      return Status::Usage("--threads {} is out of range: use 1 to 1024", *flags.threads);
    }
    config.threads = *flags.threads;
  }
  return config;
}

}  // namespace quanta::node
