#include "ports/change_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ports/http_target.h"
#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A client of the stream: keeps what it is sent, and at each wait of the producer runs the
// next step of a script (commit something, then leave). Runs out of steps: leaves.
class ScriptedClient : public BodyWriter {
 public:
  bool Write(std::string chunk) override {
    if (gone_) return false;
    body += chunk;
    return true;
  }
  bool Cancelled() const override { return gone_; }
  bool Draining() const override { return false; }
  bool WaitForStop(std::chrono::milliseconds) override {
    ++waits;
    if (next_step_ < steps.size()) {
      steps[next_step_++]();
    } else {
      gone_ = true;
    }
    return gone_;
  }
  void Leave() { gone_ = true; }

  std::vector<std::function<void()>> steps;
  std::string body;
  int waits = 0;

 private:
  std::size_t next_step_ = 0;
  bool gone_ = false;
};

struct Event {
  std::string id;
  std::string type;
  json data;
};

// The events of a server-sent event body; comments are skipped.
std::vector<Event> EventsOf(const std::string& body) {
  std::vector<Event> events;
  Event current;
  bool any = false;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      if (any) events.push_back(current);
      current = Event{};
      any = false;
    } else if (line.rfind("id: ", 0) == 0) {
      current.id = line.substr(4);
      any = true;
    } else if (line.rfind("event: ", 0) == 0) {
      current.type = line.substr(7);
      any = true;
    } else if (line.rfind("data: ", 0) == 0) {
      current.data = json::parse(line.substr(6), nullptr, false);
      any = true;
    }
  }
  return events;
}

std::vector<std::string> IdsOf(const std::vector<Event>& events) {
  std::vector<std::string> ids;
  for (const Event& event : events) ids.push_back(event.id);
  return ids;
}

class ChangeStreamTest : public store::testing::OrdersStoreTest {
 protected:
  void CommitEventsOnly() {
    ASSERT_OK_AND_ASSIGN(auto writer, store_->BeginBatch());
    ASSERT_OK(
        writer->StageRows("events", "SELECT 'e-1' AS event_id, 'o-1' AS order_id, 1 AS step"));
    ASSERT_OK(writer->Commit());
  }

  static HttpRequest Request(std::string_view query, std::string_view last_event_id = "") {
    HttpRequest request;
    request.method = "GET";
    request.target = fmt::format("/v1/products/orders/orders/datasets/orders/changes{}{}",
                                 query.empty() ? "" : "?", query);
    Result<HttpTarget> parsed = ParseHttpTarget(request.target);
    EXPECT_OK(parsed);
    if (parsed.ok()) request.query = parsed->query;
    if (!last_event_id.empty()) request.headers.emplace_back("last-event-id", last_event_id);
    return request;
  }

  // Runs the stream for `client` until it leaves; the producer must end by itself.
  void Run(const HttpRequest& request, ScriptedClient& client, ChangeStreamOptions options = {}) {
    HttpResponse response = ServeChangeStream(request, *store_, "orders", access_, options);
    ASSERT_EQ(response.status, 200) << response.body;
    ASSERT_EQ(response.content_type, "text/event-stream");
    ASSERT_TRUE(response.producer);
    EXPECT_OK(response.producer(client));
  }

  governance::DatasetAccess access_;  // reads every column in clear unless a test masks some
};

TEST_F(ChangeStreamTest, MaskedColumnsStreamTheirMaskedValues) {
  CommitOrders("('o-1', 'created', 10.5)");
  access_.masked_columns = {"status", "amount"};
  ScriptedClient client;
  // Version 2 changes only masked columns: the reader cannot see that it did, so it gets no
  // event for it. Version 3 adds an order.
  client.steps = {[&] { CommitOrders("('o-1', 'shipped', 12)"); },
                  [&] { CommitOrders("('o-2', 'created', 3)"); }, [] {}};
  Run(Request("since_version=0"), client);
  std::vector<Event> events = EventsOf(client.body);
  ASSERT_THAT(IdsOf(events), ElementsAre("1", "3"));
  ASSERT_EQ(events[1].data["changes"].size(), 1u);
  EXPECT_EQ(events[1].data["changes"][0]["op"], "insert");
  EXPECT_EQ(events[1].data["changes"][0]["row"]["order_id"], "o-2");
  EXPECT_EQ(events[1].data["rowCount"], 1);
  for (const Event& event : events) {
    for (const json& change : event.data["changes"]) {
      EXPECT_EQ(change["row"]["status"], "***");
      EXPECT_TRUE(change["row"]["amount"].is_null());
    }
  }
  EXPECT_EQ(client.body.find("shipped"), std::string::npos);

  access_.readable = false;
  access_.refusal = Status(ErrorCode::kPermissionDenied, "permission denied for dataset orders");
  HttpResponse refused = ServeChangeStream(Request(""), *store_, "orders", access_);
  EXPECT_EQ(refused.status, 403);
  EXPECT_FALSE(refused.producer);
}

TEST_F(ChangeStreamTest, AChangeOfAColumnInClearIsStreamedWhateverElseIsMasked) {
  CommitOrders("('o-1', 'created', 10.5)");
  access_.masked_columns = {"amount"};
  ScriptedClient client;
  client.steps = {[&] { CommitOrders("('o-1', 'shipped', 10.5)"); }, [] {}};
  Run(Request("since_version=1"), client);
  std::vector<Event> events = EventsOf(client.body);
  ASSERT_THAT(IdsOf(events), ElementsAre("2"));
  ASSERT_EQ(events[0].data["changes"].size(), 2u);
  EXPECT_EQ(events[0].data["changes"][0]["op"], "delete");
  EXPECT_EQ(events[0].data["changes"][0]["row"]["status"], "created");
  EXPECT_EQ(events[0].data["changes"][1]["op"], "insert");
  EXPECT_EQ(events[0].data["changes"][1]["row"]["status"], "shipped");
  EXPECT_TRUE(events[0].data["changes"][1]["row"]["amount"].is_null());
}

TEST_F(ChangeStreamTest, SendsOneEventPerCommitThatChangedTheDataset) {
  CommitOrders("('o-1', 'created', 10.5), ('o-2', 'created', 20)");
  CommitEventsOnly();  // version 2 does not change orders
  ScriptedClient client;
  client.steps = {[&] { CommitOrders("('o-1', 'shipped', 10.5)"); }, [] {}};
  Run(Request("since_version=0"), client);

  std::vector<Event> events = EventsOf(client.body);
  ASSERT_THAT(IdsOf(events), ElementsAre("1", "3"));
  EXPECT_EQ(events[0].type, "commit");
  EXPECT_EQ(events[0].data["version"], 1);
  EXPECT_TRUE(events[0].data["committedAt"].is_string());
  EXPECT_EQ(events[0].data["rowCount"], 2);
  EXPECT_EQ(events[0].data["truncated"], false);
  EXPECT_EQ(events[0].data["changes"][0]["op"], "insert");
  EXPECT_EQ(events[0].data["changes"][0]["row"]["order_id"].is_string(), true);
  // The upsert of o-1 is the old row deleted and the new one inserted, at one version.
  json delete_old = {{"op", "delete"},
                     {"row", {{"order_id", "o-1"}, {"status", "created"}, {"amount", 10.5}}}};
  json insert_new = {{"op", "insert"},
                     {"row", {{"order_id", "o-1"}, {"status", "shipped"}, {"amount", 10.5}}}};
  EXPECT_EQ(events[1].data["changes"], json::array({delete_old, insert_new}));
}

TEST_F(ChangeStreamTest, ResumesAfterLastEventId) {
  CommitOrders("('o-1', 'created', 10.5)");
  CommitOrders("('o-2', 'created', 20)");
  CommitOrders("('o-3', 'created', 30)");
  ScriptedClient client;
  // The header wins over the query parameter, as an EventSource reconnecting sends both.
  Run(Request("since_version=0", "2"), client);
  std::vector<Event> events = EventsOf(client.body);
  ASSERT_THAT(IdsOf(events), ElementsAre("3"));
  EXPECT_EQ(events[0].data["changes"][0]["row"]["order_id"], "o-3");
}

TEST_F(ChangeStreamTest, StartsAtTheCurrentVersionByDefault) {
  CommitOrders("('o-1', 'created', 10.5)");
  ScriptedClient client;
  client.steps = {[&] { CommitOrders("('o-2', 'created', 20)"); }};
  Run(Request(""), client);
  EXPECT_THAT(IdsOf(EventsOf(client.body)), ElementsAre("2"));
}

TEST_F(ChangeStreamTest, StopsWhenTheClientLeavesAndSendsHeartbeatsWhenIdle) {
  CommitOrders("('o-1', 'created', 10.5)");
  ScriptedClient client;
  client.steps = {[] {}, [] {}};
  ChangeStreamOptions options;
  options.heartbeat_interval = std::chrono::milliseconds(0);
  Run(Request("since_version=1"), client, options);
  EXPECT_TRUE(EventsOf(client.body).empty());
  EXPECT_THAT(client.body, HasSubstr(": heartbeat\n\n"));
  EXPECT_EQ(client.waits, 3);  // two scripted steps, then it left and the producer returned
}

TEST_F(ChangeStreamTest, CapsTheRowsOfOneEvent) {
  CommitOrders("('o-1', 'created', 1), ('o-2', 'created', 2), ('o-3', 'created', 3)");
  ScriptedClient client;
  ChangeStreamOptions options;
  options.max_rows_per_event = 2;
  Run(Request("since_version=0"), client, options);
  std::vector<Event> events = EventsOf(client.body);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data["changes"].size(), 2u);
  EXPECT_EQ(events[0].data["rowCount"], 3);
  EXPECT_EQ(events[0].data["truncated"], true);
  EXPECT_THAT(events[0].data["hint"].get<std::string>(), HasSubstr("since=0&version=1"));
}

TEST_F(ChangeStreamTest, CatchesUpInSeveralQueriesWithoutLosingVersions) {
  for (int i = 1; i <= 5; ++i) CommitOrders(fmt::format("('o-{}', 'created', {})", i, i));
  ScriptedClient client;
  ChangeStreamOptions options;
  options.max_versions_per_poll = 2;
  Run(Request("since_version=0"), client, options);
  EXPECT_THAT(IdsOf(EventsOf(client.body)), ElementsAre("1", "2", "3", "4", "5"));
}

TEST_F(ChangeStreamTest, RefusesBadStartsBeforeStreaming) {
  CommitOrders("('o-1', 'created', 10.5)");
  HttpResponse future = ServeChangeStream(Request("since_version=7"), *store_, "orders", access_);
  EXPECT_EQ(future.status, 422);
  EXPECT_THAT(future.body, HasSubstr("latest version is 1"));
  HttpResponse malformed = ServeChangeStream(Request("", "abc"), *store_, "orders", access_);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_THAT(malformed.body, HasSubstr("Last-Event-ID"));
  HttpResponse bad_time =
      ServeChangeStream(Request("since_time=yesterday"), *store_, "orders", access_);
  EXPECT_EQ(bad_time.status, 400);
  HttpResponse unknown = ServeChangeStream(Request(""), *store_, "nope", access_);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body)["error"]["message"],
            "the product has no dataset 'nope'; its datasets are: orders, events");
  EXPECT_FALSE(future.producer);
}

TEST_F(ChangeStreamTest, RefusesUnknownRepeatedAndConflictingParametersNamingThem) {
  CommitOrders("('o-1', 'created', 10.5)");
  auto message = [&](std::string_view query) {
    HttpResponse response = ServeChangeStream(Request(query), *store_, "orders", access_);
    EXPECT_EQ(response.status, 400) << query << ": " << response.body;
    EXPECT_FALSE(response.producer) << query;
    return json::parse(response.body, nullptr, false)["error"].value("message", "");
  };
  EXPECT_EQ(message("since_versoin=0"),
            "query parameter since_versoin: the change stream of dataset orders takes no such "
            "parameter; it takes since_version, since_time");
  EXPECT_EQ(message("since_version=0&limit=5"),
            "query parameter limit: the change stream of dataset orders takes no such "
            "parameter; it takes since_version, since_time");
  EXPECT_THAT(message("since_version=0&since_version=1"),
              HasSubstr("query parameter since_version given twice ('0' and '1')"));
  EXPECT_THAT(message("since_version=0&since_time=2026-01-01T00:00:00Z"),
              HasSubstr("give one of them, not both"));
}

}  // namespace
}  // namespace quanta::ports
