#include "node/node.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "ports/http_test_client.h"
#include "testing/matchers.h"

namespace quanta::node {
namespace {

using namespace std::chrono_literals;
using ports::testing::TestClient;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("quanta-node-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (node_) node_->Shutdown();
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  NodeConfig Config() {
    NodeConfig config;
    config.data_dir = dir_ / "data";
    config.listen.port = 0;
    config.threads = 2;
    config.blocking_threads = 2;
    config.drain_timeout = 2s;
    return config;
  }

  void StartNode(NodeConfig config) {
    ASSERT_OK_AND_ASSIGN(node_, Node::Open(std::move(config)));
    ASSERT_OK(node_->Start());
  }

  std::optional<ports::testing::TestReply> Get(std::string_view target) {
    TestClient client(node_->port());
    return client.Request("GET", target);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(NodeTest, ServesHealthReadinessAndItsOwnDescription) {
  StartNode(Config());
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "data"));
  auto health = Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(nlohmann::json::parse(health->body)["status"], "alive");
  auto ready = Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);

  auto info = Get("/v1/node");
  ASSERT_TRUE(info);
  ASSERT_EQ(info->status, 200);
  nlohmann::json body = nlohmann::json::parse(info->body);
  EXPECT_EQ(body["version"], std::string(kQuantaVersion));
  EXPECT_EQ(body["state"], "ready");
  EXPECT_EQ(body["dataDir"], std::filesystem::absolute(dir_ / "data").lexically_normal().string());
  EXPECT_EQ(body["url"], node_->url());
  EXPECT_GE(body["uptimeSeconds"].get<double>(), 0);

  auto unknown = Get("/v1/node?verbose=1");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(nlohmann::json::parse(unknown->body)["error"]["message"],
            "query parameter verbose: the node's description takes no query parameters");
}

TEST_F(NodeTest, MetricsCountRequestsByRouteAndCode) {
  StartNode(Config());
  ASSERT_TRUE(Get("/healthz"));
  ASSERT_TRUE(Get("/healthz"));
  ASSERT_TRUE(Get("/no/such/route"));
  auto metrics = Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = metrics->body;
  EXPECT_NE(text.find("quanta_http_requests_total{route=\"/healthz\",code=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("quanta_http_requests_total{route=\"unmatched\",code=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("quanta_http_request_duration_seconds_count{route=\"/healthz\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("quanta_http_connections_accepted_total 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("quanta_node_ready 1\n"), std::string::npos);
  EXPECT_NE(text.find("quanta_build_info{version=\"" + std::string(kQuantaVersion) + "\"} 1\n"),
            std::string::npos);
}

TEST_F(NodeTest, MetricsPassPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed (Debian package 'prometheus'); cannot validate "
                    "the exposition format";
  }
  StartNode(Config());
  ASSERT_TRUE(Get("/healthz"));
  ASSERT_TRUE(Get("/v1/node"));
  ASSERT_TRUE(Get("/missing"));
  auto metrics = Get("/metrics");
  ASSERT_TRUE(metrics);
  std::filesystem::path file = dir_ / "metrics.txt";
  std::ofstream(file) << metrics->body;
  std::filesystem::path report = dir_ / "promtool.txt";
  int code = std::system(
      ("promtool check metrics < " + file.string() + " > " + report.string() + " 2>&1").c_str());
  std::ifstream report_stream(report);
  std::string output((std::istreambuf_iterator<char>(report_stream)),
                     std::istreambuf_iterator<char>());
  EXPECT_EQ(code, 0) << output << "\n---\n" << metrics->body;
  EXPECT_EQ(output, "") << "promtool found problems";
}

TEST_F(NodeTest, ReadinessTurns503WhileShuttingDownThenStopsListening) {
  NodeConfig config = Config();
  config.readiness_delay = 800ms;
  StartNode(config);
  std::uint16_t port = node_->port();
  auto shutdown = std::async(std::launch::async, [this] { return node_->Shutdown(); });
  std::this_thread::sleep_for(200ms);
  auto ready = Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  nlohmann::json error = nlohmann::json::parse(ready->body)["error"];
  EXPECT_EQ(error["code"], "shutting_down");
  EXPECT_EQ(error["status"], 503);
  auto health = Get("/healthz");  // still alive while it drains
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_TRUE(shutdown.get().clean);
  EXPECT_EQ(node_->state(), NodeState::kStopped);
  TestClient late(port);
  EXPECT_FALSE(late.connected() && late.Request("GET", "/healthz").has_value());
}

TEST_F(NodeTest, ShutdownWaitsForInFlightRequests) {
  ASSERT_OK_AND_ASSIGN(node_, Node::Open(Config()));
  std::atomic<bool> started{false};
  ASSERT_OK(node_->router().Add(
      "GET", "/v1/slow",
      [&](const ports::HttpRequest&) {
        started = true;
        std::this_thread::sleep_for(500ms);
        return ports::HttpResponse::Json(200, {{"done", true}});
      },
      ports::RouteOptions{ports::HandlerMode::kBlocking}));
  ASSERT_OK(node_->Start());
  auto slow = std::async(std::launch::async, [this] { return Get("/v1/slow"); });
  while (!started) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(node_->Shutdown().clean);
  auto reply = slow.get();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST_F(NodeTest, DataDirectoryThatIsAFileIsAClearError) {
  std::ofstream(dir_ / "file") << "x";
  NodeConfig config = Config();
  config.data_dir = dir_ / "file";
  Result<std::unique_ptr<Node>> node = Node::Open(config);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), ErrorCode::kIoError);
  EXPECT_NE(node.status().message().find((dir_ / "file").string()), std::string::npos)
      << node.status().message();
  EXPECT_NE(node.status().message().find("--data-dir"), std::string::npos);

  config.data_dir = dir_ / "file" / "below";
  node = Node::Open(config);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.status().message().find("cannot create the data directory"), std::string::npos)
      << node.status().message();
}

TEST_F(NodeTest, SecondNodeOnTheSameDataDirectoryIsRefused) {
  StartNode(Config());
  NodeConfig config = Config();
  Result<std::unique_ptr<Node>> second = Node::Open(config);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another quanta node (pid " +
                                           std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.status().message();
}

TEST_F(NodeTest, BusyPortIsAClearErrorAndReleasesTheDataDirectory) {
  StartNode(Config());
  NodeConfig config = Config();
  config.data_dir = dir_ / "other";
  config.listen.port = node_->port();
  Result<std::unique_ptr<Node>> second = Node::Open(config);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(
      second.status().message().find("cannot listen on 127.0.0.1:" + std::to_string(node_->port())),
      std::string::npos)
      << second.status().message();
  config.listen.port = 0;
  EXPECT_TRUE(Node::Open(config).ok()) << "the failed open kept the data directory locked";
}

}  // namespace
}  // namespace quanta::node
