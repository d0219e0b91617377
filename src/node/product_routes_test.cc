#include "node/product_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "node/node.h"
#include "ports/http_test_client.h"
#include "testing/matchers.h"

namespace quanta::node {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using ports::testing::TestClient;
using ::testing::HasSubstr;

std::string Event(const std::string& order, const std::string& type) {
  return R"({"event_id": "e-)" + order + "-" + type + R"(", "order_id": ")" + order +
         R"(", "customer_id": "c-1", "event_type": ")" + type +
         R"(", "product_id": "p-1", "category": "Shoes", "quantity": 1, "amount": 10.5, )" +
         R"("occurred_at": "2026-01-01T10:00:00Z"})";
}

// The PUT body of the orders example, with `edit` applied to its files.
std::string DeployBody(const std::function<void(json& files)>& edit) {
  json files = json::object();
  fs::path root = "examples/orders/orders";
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    files[entry.path().lexically_relative(root).generic_string()] = text.str();
  }
  edit(files);
  return json{{"files", files}}.dump();
}

void Replace(json& files, const std::string& path, const std::string& from, const std::string& to) {
  std::string text = files[path].get<std::string>();
  std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " is not in " << path;
  text.replace(at, from.size(), to);
  files[path] = text;
}

// A node serving the orders example as major 1 and as a major 2 whose transform fails at run
// time for the order "o-boom", so that a batch can commit in one major and fail in the other.
class ProductRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("quanta-routes-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    NodeConfig config;
    config.data_dir = dir_ / "data";
    config.listen.port = 0;
    config.threads = 2;
    config.blocking_threads = 4;
    config.drain_timeout = 2s;
    ASSERT_OK_AND_ASSIGN(node_, Node::Open(std::move(config)));
    ASSERT_OK(node_->Start());

    auto v1 = Call("PUT", kProduct, DeployBody([](json&) {}));
    ASSERT_EQ(v1.status, 201) << v1.body;
    auto v2 = Call("PUT", kProduct, DeployBody([](json& files) {
                     Replace(files, "product.yaml", "version: 1.0.0\nstatus: active",
                             "version: 2.0.0\nstatus: active");
                     Replace(files, "transforms/orders.sql", "FROM order_events",
                             "FROM order_events WHERE CASE WHEN order_id = 'o-boom' THEN "
                             "error('no order may be called o-boom') ELSE true END");
                   }));
    ASSERT_EQ(v2.status, 200) << v2.body;
    ASSERT_EQ(json::parse(v2.body)["newMajor"], true) << v2.body;
  }
  void TearDown() override {
    if (node_) node_->Shutdown();
    node_.reset();
    fs::remove_all(dir_);
  }

  ports::testing::TestReply Call(std::string_view method, const std::string& target,
                                 const std::string& body = "", const std::string& headers = "") {
    TestClient client(node_->port());
    std::optional<ports::testing::TestReply> reply = client.Request(method, target, body, headers);
    EXPECT_TRUE(reply.has_value()) << method << " " << target;
    return reply.value_or(ports::testing::TestReply{});
  }

  static constexpr const char* kProduct = "/v1/products/orders/orders";
  fs::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(ProductRoutesTest, ABatchThatFailsInOneMajorSaysWhichCommittedAndHowToRetry) {
  std::string batch = Event("o-1", "created") + "\n" + Event("o-boom", "created") + "\n";
  std::string events = std::string(kProduct) + "/ports/order_events/events";
  auto failed = Call("POST", events, batch, "Idempotency-Key: batch-1\r\n");
  EXPECT_EQ(failed.status, 422) << failed.body;
  json body = json::parse(failed.body);
  std::string message = body["error"]["message"];
  EXPECT_THAT(message, HasSubstr("orders/orders major 2: "));
  EXPECT_THAT(message, HasSubstr("no order may be called o-boom"));
  EXPECT_THAT(message, HasSubstr("major 1 (version 1) committed it; send the batch again with "
                                 "the same Idempotency-Key: each major applies it once"));
  ASSERT_EQ(body["majors"].size(), 2u) << failed.body;
  EXPECT_EQ(body["majors"][0]["major"], 2);
  EXPECT_EQ(body["majors"][0]["error"]["code"], "invalid_document");
  EXPECT_EQ(body["majors"][1]["major"], 1);
  EXPECT_EQ(body["majors"][1]["accepted"], 2);
  EXPECT_EQ(body["majors"][1]["replayed"], false);

  // The retry applies nothing again to major 1, and fails again in major 2.
  auto retried = Call("POST", events, batch, "Idempotency-Key: batch-1\r\n");
  EXPECT_EQ(retried.status, 422) << retried.body;
  EXPECT_EQ(json::parse(retried.body)["majors"][1]["replayed"], true) << retried.body;
  auto major_one = json::parse(Call("GET", std::string(kProduct) + "/majors/1").body);
  EXPECT_EQ(major_one["ports"][0]["received"], 2) << major_one.dump();
  auto major_two = json::parse(Call("GET", std::string(kProduct) + "/majors/2").body);
  EXPECT_EQ(major_two["ports"][0]["received"], 0) << major_two.dump();

  auto unkeyed = Call("POST", events, batch);
  EXPECT_EQ(unkeyed.status, 422);
  EXPECT_THAT(unkeyed.body, HasSubstr("the batch has no Idempotency-Key, so sending it again "
                                      "applies it twice there"));
}

TEST_F(ProductRoutesTest, ABatchWithTwoIdempotencyKeysIsRefusedWhateverTheMajors) {
  std::string events = std::string(kProduct) + "/ports/order_events/events";
  std::string two_keys = "Idempotency-Key: batch-1\r\nIdempotency-Key: batch-2\r\n";
  auto both_majors = Call("POST", events, Event("o-1", "created") + "\n", two_keys);
  EXPECT_EQ(both_majors.status, 400) << both_majors.body;
  EXPECT_THAT(both_majors.body, HasSubstr("header Idempotency-Key given twice ('batch-1' and "
                                          "'batch-2'); give it once"));
  ASSERT_EQ(Call("DELETE", std::string(kProduct) + "/majors/1").status, 200);
  auto one_major = Call("POST", events, Event("o-1", "created") + "\n", two_keys);
  EXPECT_EQ(one_major.status, 400) << one_major.body;
  EXPECT_THAT(one_major.body, HasSubstr("header Idempotency-Key given twice"));
  auto status = json::parse(Call("GET", kProduct).body);
  EXPECT_EQ(status["ports"][0]["received"], 0) << status.dump();
}

TEST_F(ProductRoutesTest, GetRoutesRefuseQueryParametersTheyDoNotReadNamingThem) {
  auto message = [&](const std::string& target) {
    auto reply = Call("GET", target);
    EXPECT_EQ(reply.status, 400) << target << ": " << reply.body;
    return json::parse(reply.body, nullptr, false)["error"].value("message", "");
  };
  EXPECT_EQ(message("/v1/products?domain=orders"),
            "query parameter domain: the product list takes no query parameters");
  EXPECT_EQ(message(std::string(kProduct) + "?major=1"),
            "query parameter major: the status of orders/orders takes no query parameters");
  EXPECT_EQ(message(std::string(kProduct) + "/majors/1?verbose"),
            "query parameter verbose: the status of orders/orders major 1 takes no query "
            "parameters");
  EXPECT_EQ(message(std::string(kProduct) + "/datasets/orders/changes?since=0"),
            "query parameter since: the change stream of dataset orders takes no such "
            "parameter; it takes since_version, since_time");
  EXPECT_THAT(message(std::string(kProduct) + "/majors/1/datasets/orders/export?as_of=x"),
              HasSubstr("query parameter as_of: the export of dataset orders takes no such "
                        "parameter; it takes format, version, since"));
  EXPECT_THAT(message(std::string(kProduct) + "/deadletters?offest=1"),
              HasSubstr("query parameter offest: the dead letters has no column 'offest'"));
  // Without parameters they answer.
  EXPECT_EQ(Call("GET", "/v1/products").status, 200);
  EXPECT_EQ(Call("GET", std::string(kProduct) + "/majors/1").status, 200);
}

TEST_F(ProductRoutesTest, APurgeThatIsNeitherTrueNorFalseIsRefusedAndNothingIsRetired) {
  for (const char* query : {"?purge=yes", "?purge=true&purge=false", "?purgee=true"}) {
    auto reply = Call("DELETE", std::string(kProduct) + "/majors/1" + query);
    EXPECT_EQ(reply.status, 400) << query << ": " << reply.body;
  }
  EXPECT_THAT(Call("DELETE", std::string(kProduct) + "/majors/1?purge=yes").body,
              HasSubstr("purge must be true or false, not 'yes'"));
  EXPECT_THAT(Call("DELETE", std::string(kProduct) + "?purge=1").body,
              HasSubstr("purge must be true or false, not '1'"));
  EXPECT_THAT(Call("DELETE", std::string(kProduct) + "?purgee=true").body,
              HasSubstr("query parameter purgee: undeploying orders/orders takes no such "
                        "parameter; it takes purge"));
  // Ingest and deploy refuse parameters they do not read, too.
  auto ingest = Call("POST", std::string(kProduct) + "/ports/order_events/events?dry_run=1",
                     Event("o-1", "created") + "\n");
  EXPECT_EQ(ingest.status, 400) << ingest.body;
  EXPECT_THAT(ingest.body, HasSubstr("query parameter dry_run: ingest into port order_events "
                                     "takes no query parameters"));
  auto deploy = Call("PUT", std::string(kProduct) + "?retire_previous=2027-01-01", "{}");
  EXPECT_EQ(deploy.status, 400) << deploy.body;
  EXPECT_THAT(deploy.body, HasSubstr("query parameter retire_previous: a deploy takes no such "
                                     "parameter; it takes retire_previous_at"));
  // Major 1 is still served, and nothing was ingested.
  EXPECT_EQ(Call("GET", std::string(kProduct) + "/majors/1").status, 200);
  EXPECT_EQ(Call("DELETE", std::string(kProduct) + "/majors/1?purge=false").status, 200);
}

TEST_F(ProductRoutesTest, TheSuccessorLinkOfARetiringMajorKeepsThePathEscaped) {
  // Decoded, the dataset name holds a line break and a header of its own.
  auto reply =
      Call("GET", std::string(kProduct) + "/majors/1/datasets/%0D%0AX-Injected:%20yes/changes");
  EXPECT_EQ(reply.status, 404) << reply.body;
  EXPECT_EQ(reply.headers.count("X-Injected"), 0u);
  EXPECT_EQ(reply.headers["Link"],
            "</v1/products/orders/orders/majors/2/datasets/%0D%0AX-Injected:%20yes/changes>; "
            "rel=\"successor-version\"");
  // Escapes of plain letters in the product's part of the path do not shift the rest.
  auto escaped = Call("GET", "/v1/products/%6Frders/orders/majors/1/datasets/orders");
  EXPECT_EQ(escaped.status, 200) << escaped.body;
  EXPECT_EQ(escaped.headers["Link"],
            "</v1/products/orders/orders/majors/2/datasets/orders>; rel=\"successor-version\"");
}

TEST_F(ProductRoutesTest, ABatchOfATypeNoPortReadsIsRefusedBeforeAnyMajorTakesIt) {
  std::string events = std::string(kProduct) + "/ports/order_events/events";
  auto csv = Call("POST", events, "event_id,order_id\ne-1,o-1\n", "Content-Type: text/csv\r\n");
  EXPECT_EQ(csv.status, 415) << csv.body;
  EXPECT_THAT(csv.body, HasSubstr("Content-Type 'text/csv' is not one an ingest port reads"));
  auto gzip = Call("POST", events, "\x1f\x8b", "Content-Encoding: gzip\r\n");
  EXPECT_EQ(gzip.status, 415) << gzip.body;
  EXPECT_THAT(gzip.body, HasSubstr("Content-Encoding 'gzip' is not supported"));
  for (const char* major : {"1", "2"}) {
    auto status = json::parse(Call("GET", std::string(kProduct) + "/majors/" + major).body);
    EXPECT_EQ(status["ports"][0]["received"], 0) << status.dump();
  }
  auto ndjson = Call("POST", events, Event("o-1", "created") + "\n",
                     "Content-Type: application/x-ndjson; charset=utf-8\r\n");
  EXPECT_EQ(ndjson.status, 200) << ndjson.body;
}

TEST_F(ProductRoutesTest, AnUnknownPortIsReportedBeforeAnythingAboutTheBody) {
  std::string events = std::string(kProduct) + "/ports/nope/events";
  for (auto [body, headers] :
       std::vector<std::pair<std::string, std::string>>{{"", ""},
                                                        {"{}", ""},
                                                        {"", "Content-Type: text/csv\r\n"},
                                                        {"{}", "Idempotency-Key: \r\n"}}) {
    auto reply = Call("POST", events, body, headers);
    EXPECT_EQ(reply.status, 404) << "body '" << body << "', " << headers << ": " << reply.body;
    EXPECT_THAT(reply.body, HasSubstr("product orders/orders has no input port 'nope' (its input "
                                      "ports: order_events)"));
  }
}

TEST_F(ProductRoutesTest, RetiringAMajorEndsItsChangeStreams) {
  TestClient stream(node_->port());
  ASSERT_TRUE(stream.SendRequest(
      "GET", std::string(kProduct) + "/majors/1/datasets/orders/changes?since_version=0"));
  // Wait until the stream runs: the node then counts it and this /metrics request as active.
  bool streaming = false;
  for (int attempt = 0; attempt < 200 && !streaming; ++attempt) {
    streaming =
        Call("GET", "/metrics").body.find("quanta_http_requests_active 2\n") != std::string::npos;
    if (!streaming) std::this_thread::sleep_for(25ms);
  }
  ASSERT_TRUE(streaming) << "the change stream did not start";
  // The stream holds major 1 open; retiring it must not wait for the client to leave.
  auto retired = std::async(std::launch::async,
                            [this] { return Call("DELETE", std::string(kProduct) + "/majors/1"); });
  std::optional<ports::testing::TestReply> ended = stream.Read(20s);
  ports::testing::TestReply answer = retired.get();
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(json::parse(answer.body)["retired"], true);
  ASSERT_TRUE(ended.has_value()) << "the stream did not end";
  EXPECT_EQ(ended->status, 200);
  EXPECT_THAT(ended->body, HasSubstr(": changes of dataset orders after version 0"));
  EXPECT_EQ(ended->headers["Quanta-Major"], "1");
  EXPECT_THAT(std::string(ended->headers["Link"]),
              HasSubstr("</v1/products/orders/orders/majors/2/datasets/orders/changes>"));

  auto gone = Call("GET", std::string(kProduct) + "/majors/1/datasets/orders");
  EXPECT_EQ(gone.status, 404);
  EXPECT_THAT(gone.body, HasSubstr("serves no major 1"));
}

}  // namespace
}  // namespace quanta::node
