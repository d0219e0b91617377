#include "node/node_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/matchers.h"

namespace quanta::node {
namespace {

using namespace std::chrono_literals;

Status Apply(std::string_view yaml, NodeConfig* config, std::string file = "node.yaml") {
  model::ParsedDocument parsed = model::ParseYaml(yaml, std::move(file));
  EXPECT_TRUE(parsed.document.has_value());
  if (!parsed.document) return Status::Internal("no document");
  return ApplyNodeConfigDocument(*parsed.document, config);
}

TEST(NodeConfigTest, EmbeddedDefaults) {
  NodeConfig config;
  EXPECT_EQ(config.data_dir, "./quanta-data");
  EXPECT_EQ(config.listen.host, "127.0.0.1");
  EXPECT_EQ(config.listen.port, 7070);
  EXPECT_GE(config.EffectiveThreads(), 1);
  EXPECT_GE(config.EffectiveBlockingThreads(), 8);
  EXPECT_EQ(config.http_limits.max_body_bytes, 16u * 1024 * 1024);
}

TEST(NodeConfigTest, ReadsEveryField) {
  NodeConfig config;
  ASSERT_OK(Apply(R"(apiVersion: quanta/v1
kind: Node
dataDir: /var/lib/quanta
threads: 3
blockingThreads: 12
http:
  listen: "[::1]:0"
  limits:
    maxHeaderBytes: 8KiB
    maxBodyBytes: 2MB
    requestTimeout: 1500ms
    idleTimeout: 2m
    writeTimeout: 10
    maxConnections: 50
    streamBufferBytes: 65536
shutdown:
  readinessDelay: 1s
  drainTimeout: 1h
)",
                  &config));
  EXPECT_EQ(config.data_dir, "/var/lib/quanta");
  EXPECT_EQ(config.threads, 3);
  EXPECT_EQ(config.blocking_threads, 12);
  EXPECT_EQ(config.listen.host, "::1");
  EXPECT_EQ(config.listen.port, 0);
  EXPECT_EQ(config.http_limits.max_header_bytes, 8192u);
  EXPECT_EQ(config.http_limits.max_body_bytes, 2'000'000u);
  EXPECT_EQ(config.http_limits.request_timeout, 1500ms);
  EXPECT_EQ(config.http_limits.idle_timeout, 120s);
  EXPECT_EQ(config.http_limits.write_timeout, 10s);
  EXPECT_EQ(config.http_limits.max_connections, 50u);
  EXPECT_EQ(config.http_limits.stream_buffer_bytes, 65536u);
  EXPECT_EQ(config.readiness_delay, 1s);
  EXPECT_EQ(config.drain_timeout, 3600s);
}

TEST(NodeConfigTest, UnknownFieldNamesFileLineColumnAndSuggests) {
  NodeConfig config;
  Status status = Apply("dataDir: x\nhttp:\n  listn: 127.0.0.1:1\n", &config, "conf/node.yaml");
  ASSERT_EQ(status.code(), ErrorCode::kUsage);
  EXPECT_NE(status.message().find("conf/node.yaml:3:3:"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("unknown field 'listn' in http"), std::string::npos);
  EXPECT_NE(status.message().find("did you mean 'listen'?"), std::string::npos);
}

TEST(NodeConfigTest, WrongTypesAreReportedTogetherWithTheirPlaces) {
  NodeConfig config;
  Status status = Apply(R"(threads: four
http:
  limits:
    maxBodyBytes: lots
    requestTimeout: [1]
)",
                        &config);
  ASSERT_FALSE(status.ok());
  const std::string& message = status.message();
  EXPECT_NE(message.find("node.yaml:1:10:"), std::string::npos) << message;
  EXPECT_NE(message.find("expected a whole number, found a string"), std::string::npos);
  EXPECT_NE(message.find("node.yaml:4:19:"), std::string::npos) << message;
  EXPECT_NE(message.find("'lots' is not a size"), std::string::npos);
  EXPECT_NE(message.find("node.yaml:5:21:"), std::string::npos) << message;
  EXPECT_NE(message.find("expected a duration"), std::string::npos);
}

TEST(NodeConfigTest, OutOfRangeValuesAndBadListenAddress) {
  NodeConfig config;
  Status status = Apply("threads: 0\nhttp:\n  listen: 127.0.0.1:99999\n", &config);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("0 is out of range: use 1 to 1024"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("not a port number"), std::string::npos);
}

TEST(NodeConfigTest, RelativeDataDirIsTakenFromTheConfigFilesFolder) {
  NodeConfig config;
  ASSERT_OK(Apply("dataDir: data\n", &config, "/etc/quanta/node.yaml"));
  EXPECT_EQ(config.data_dir, "/etc/quanta/data");
}

TEST(NodeConfigTest, LoadsAFileAndFlagsOverrideIt) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("quanta-node-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "node.yaml") << "# a node\nhttp:\n  listen: 127.0.0.1:8080\nthreads: 2\n";
  NodeFlags flags;
  flags.config_file = dir / "node.yaml";
  ASSERT_OK_AND_ASSIGN(NodeConfig from_file, ResolveNodeConfig(flags));
  EXPECT_EQ(from_file.listen.port, 8080);
  EXPECT_EQ(from_file.threads, 2);
  EXPECT_EQ(from_file.source, (dir / "node.yaml").string());

  flags.listen = "0.0.0.0:9090";
  flags.threads = 5;
  flags.data_dir = "/tmp/elsewhere";
  ASSERT_OK_AND_ASSIGN(NodeConfig overridden, ResolveNodeConfig(flags));
  EXPECT_EQ(overridden.listen.host, "0.0.0.0");
  EXPECT_EQ(overridden.listen.port, 9090);
  EXPECT_EQ(overridden.threads, 5);
  EXPECT_EQ(overridden.data_dir, "/tmp/elsewhere");

  std::ofstream(dir / "empty.yaml") << "# nothing set\n";
  flags = NodeFlags();
  flags.config_file = dir / "empty.yaml";
  ASSERT_OK_AND_ASSIGN(NodeConfig empty, ResolveNodeConfig(flags));
  EXPECT_EQ(empty.listen.port, 7070);

  std::ofstream(dir / "broken.yaml") << "http: [\n";
  flags.config_file = dir / "broken.yaml";
  Result<NodeConfig> broken = ResolveNodeConfig(flags);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("broken.yaml:"), std::string::npos)
      << broken.status().message();

  flags.config_file = dir / "missing.yaml";
  EXPECT_EQ(ResolveNodeConfig(flags).status().code(), ErrorCode::kIoError);
  std::filesystem::remove_all(dir);
}

TEST(NodeConfigTest, MemoryAndSpillLimits) {
  NodeConfig config;
  EXPECT_EQ(config.sql.memory_limit, "");  // DuckDB's default
  EXPECT_EQ(config.sql.spill_limit, "");   // OpenNodeDatabase's default
  ASSERT_OK(Apply("sql:\n  memoryLimit: 2GiB\n  spillLimit: 10GB\n", &config));
  EXPECT_EQ(config.sql.memory_limit, "2048MiB");
  EXPECT_EQ(config.sql.memory_limit_bytes, 2048ull << 20);
  EXPECT_EQ(config.sql.spill_limit, "9537MiB");  // 10^10 bytes, rounded up to whole MiB
  ASSERT_OK(Apply("sql:\n  spillLimit: 0\n", &config));
  EXPECT_EQ(config.sql.spill_limit, "0MiB");  // no spilling
  ASSERT_OK(Apply("sql:\n  spillLimit: 100KiB\n", &config));
  EXPECT_EQ(config.sql.spill_limit, "1MiB");

  Status status = Apply("sql:\n  memoryLimit: 100MiB\n  spillLimit: lots\n", &config);
  ASSERT_EQ(status.code(), ErrorCode::kUsage);
  EXPECT_NE(status.message().find("node.yaml:2:16:"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("100 MiB is too small: use at least 128MiB"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("node.yaml:3:15:"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("'lots' is not a size"), std::string::npos);
}

TEST(NodeConfigTest, LookupMemory) {
  NodeConfig config;
  EXPECT_EQ(config.sql.lookup_memory_bytes, 1024ull << 20);
  ASSERT_OK(Apply("sql:\n  lookupMemory: 4GiB\n", &config));
  EXPECT_EQ(config.sql.lookup_memory_bytes, 4096ull << 20);
  ASSERT_OK(Apply("sql:\n  lookupMemory: 0\n", &config));
  EXPECT_EQ(config.sql.lookup_memory_bytes, 0u);  // none kept
  Status status = Apply("sql:\n  lookupMemory: plenty\n", &config);
  ASSERT_EQ(status.code(), ErrorCode::kUsage);
  EXPECT_NE(status.message().find("'plenty' is not a size"), std::string::npos)
      << status.message();
}

TEST(NodeConfigTest, ProcessMemoryLimit) {
  NodeConfig config;
  EXPECT_FALSE(config.process_memory_limit.has_value());  // DefaultProcessMemoryLimit()
  ASSERT_OK(Apply("processMemoryLimit: 8GiB\nsql:\n  memoryLimit: 6GiB\n", &config));
  EXPECT_EQ(config.process_memory_limit, 8ull << 30);
  ASSERT_OK(Apply("processMemoryLimit: 0\n", &config));
  EXPECT_EQ(config.process_memory_limit, 0u);  // no limit of the node's own

  NodeConfig small;
  Status status = Apply("processMemoryLimit: 100MiB\n", &small);
  ASSERT_EQ(status.code(), ErrorCode::kUsage);
  EXPECT_NE(
      status.message().find(
          "node.yaml:1:21: error[node-config/range]: 100 MiB is too small: use at least 256MiB"),
      std::string::npos)
      << status.message();

  NodeConfig crossed;
  status = Apply("processMemoryLimit: 1GiB\nsql:\n  memoryLimit: 2GiB\n", &crossed);
  ASSERT_EQ(status.code(), ErrorCode::kUsage);
  EXPECT_NE(status.message().find(
                "node.yaml:3:16: error[node-config/range]: 2048MiB is more than the process may "
                "allocate (processMemoryLimit 1024MiB)"),
            std::string::npos)
      << status.message();
}

TEST(NodeConfigTest, FlagsAreCheckedToo) {
  NodeFlags flags;
  flags.threads = 0;
  EXPECT_EQ(ResolveNodeConfig(flags).status().code(), ErrorCode::kUsage);
  flags = NodeFlags();
  flags.listen = "7070";
  EXPECT_EQ(ResolveNodeConfig(flags).status().code(), ErrorCode::kUsage);
}

TEST(ListenAddressTest, ParsesHostAndPort) {
  ASSERT_OK_AND_ASSIGN(ListenAddress v4, ParseListenAddress("127.0.0.1:7070"));
  EXPECT_EQ(v4.host, "127.0.0.1");
  EXPECT_EQ(v4.port, 7070);
  ASSERT_OK_AND_ASSIGN(ListenAddress v6, ParseListenAddress("[::1]:0"));
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 0);
  ASSERT_OK_AND_ASSIGN(ListenAddress local, ParseListenAddress("localhost:80"));
  EXPECT_EQ(local.host, "127.0.0.1");
  for (const char* bad : {"", "7070", ":7070", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:70000",
                          "::1:7070", "example.com:80", "127.0.0.1:-1"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
}

TEST(SizeAndDurationTest, ParseUnits) {
  EXPECT_EQ(*ParseByteSize("100"), 100u);
  EXPECT_EQ(*ParseByteSize("100B"), 100u);
  EXPECT_EQ(*ParseByteSize("16MiB"), 16u * 1024 * 1024);
  EXPECT_EQ(*ParseByteSize("1GB"), 1'000'000'000u);
  EXPECT_EQ(*ParseByteSize("4KiB"), 4096u);
  EXPECT_FALSE(ParseByteSize("16 mb").ok());
  EXPECT_FALSE(ParseByteSize("-1").ok());
  EXPECT_FALSE(ParseByteSize("MiB").ok());
  EXPECT_FALSE(ParseByteSize("99999999999999999999").ok());
  EXPECT_EQ(*ParseDuration("500ms"), 500ms);
  EXPECT_EQ(*ParseDuration("1.5s"), 1500ms);
  EXPECT_EQ(*ParseDuration("2m"), 120s);
  EXPECT_EQ(*ParseDuration("1h"), 3600s);
  EXPECT_EQ(*ParseDuration("3"), 3s);
  EXPECT_FALSE(ParseDuration("3 days").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
}

}  // namespace
}  // namespace quanta::node
