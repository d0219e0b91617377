#include "ports/dataset_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ports/http_target.h"
#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using std::chrono::hours;
using store::testing::TemporaryFolder;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Keeps every chunk a streamed body writes; refuses them after `accept_chunks` when set, like
// a client that went away.
class CollectingWriter : public BodyWriter {
 public:
  explicit CollectingWriter(int accept_chunks = -1) : accept_chunks_(accept_chunks) {}
  bool Write(std::string chunk) override {
    if (accept_chunks_ >= 0 && static_cast<int>(chunks.size()) >= accept_chunks_) return false;
    chunks.push_back(std::move(chunk));
    return true;
  }
  bool Cancelled() const override { return false; }
  bool Draining() const override { return false; }
  bool WaitForStop(std::chrono::milliseconds) override { return false; }

  std::vector<std::string> chunks;

 private:
  int accept_chunks_;
};

struct Answer {
  int status = 0;
  std::string content_type;
  std::string body;
  bool streamed = false;
  int chunks = 0;
  std::vector<std::pair<std::string, std::string>> headers;

  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "";
  }
  std::string ErrorMessage() const {
    nlohmann::json json = Json();
    if (!json.is_object() || !json.contains("error")) return "(not an error: " + body + ")";
    return json["error"].value("message", "");
  }
  // Each NDJSON line parsed.
  std::vector<nlohmann::json> Lines() const {
    std::vector<nlohmann::json> lines;
    std::size_t start = 0;
    while (start < body.size()) {
      std::size_t end = body.find('\n', start);
      lines.push_back(nlohmann::json::parse(body.substr(start, end - start), nullptr, false));
      start = end + 1;
    }
    return lines;
  }
};

store::Timestamp Day(int day) {
  return *store::ParseTimestamp("2026-01-01T00:00:00Z") + std::chrono::days(day);
}

// The demo's orders product, with a time column: `orders` (upsert by order_id) and `events`
// (append).
store::StoreLayout Layout() {
  store::StoreLayout layout;
  layout.datasets.push_back({"orders",
                             {{"order_id", "VARCHAR"},
                              {"status", "VARCHAR"},
                              {"amount", "DECIMAL(10,2)"},
                              {"placed_at", "TIMESTAMP WITH TIME ZONE"}},
                             store::WriteMode::kUpsert,
                             {"order_id"},
                             std::nullopt,
                             "order_id"});
  layout.datasets.push_back(
      {"events",
       {{"event_id", "VARCHAR"}, {"order_id", "VARCHAR"}, {"step", "INTEGER"}},
       store::WriteMode::kAppend,
       {},
       std::nullopt,
       ""});
  // A key of two columns, text then integer.
  layout.datasets.push_back(
      {"lines",
       {{"order_id", "VARCHAR"}, {"line", "INTEGER"}, {"quantity", "INTEGER"}},
       store::WriteMode::kUpsert,
       {"order_id", "line"},
       std::nullopt,
       ""});
  layout.input_ports.push_back({"order_events", std::nullopt});
  return layout;
}

class DatasetPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<store::ManualClock>(Day(0));
    store::StoreOptions options;
    options.clock = clock_;
    options.open_check = store::OpenCheck::kQuick;
    options.settings = {{"threads", "2"}};
    ASSERT_OK_AND_ASSIGN(
        store_, store::ProductStore::Open(folder_.path() / "orders.duckdb", Layout(), options));
  }

  // Commits `orders` rows ("('o-1', 'created', 10.5, '2026-01-01T10:00:00Z')", ...) and
  // `events_select` (a SELECT of event_id, order_id, step); empty strings stage nothing.
  void Commit(std::string_view orders, std::string_view events_select = "") {
    ASSERT_OK_AND_ASSIGN(auto writer, store_->BeginBatch());
    if (!orders.empty()) {
      ASSERT_OK(writer->StageRows(
          "orders", fmt::format("SELECT * FROM (VALUES {}) AS v(order_id, status, amount, "
                                "placed_at)",
                                orders)));
    }
    if (!events_select.empty()) ASSERT_OK(writer->StageRows("events", events_select));
    ASSERT_OK(writer->Commit());
    clock_->Advance(hours(1));
  }

  void CommitDeadLetters(int count, std::string_view payload = "{\"bad\": true}") {
    ASSERT_OK_AND_ASSIGN(auto writer, store_->BeginBatch());
    ASSERT_OK(writer->AddReceived("order_events", count));
    for (int i = 0; i < count; ++i) {
      ASSERT_OK(writer->AddDeadLetter({"order_events", next_offset_++,
                                       fmt::format("field amount: bad value {}", i),
                                       std::string(payload), clock_->Now()}));
    }
    ASSERT_OK(writer->Commit());
    clock_->Advance(hours(1));
  }

  static HttpRequest Request(std::string_view target, bool ndjson = false) {
    HttpRequest request;
    request.method = "GET";
    request.target = target;
    Result<HttpTarget> parsed = ParseHttpTarget(target);
    EXPECT_OK(parsed);
    if (parsed.ok()) {
      request.path = parsed->path;
      request.query = parsed->query;
    }
    if (ndjson) request.headers.emplace_back("accept", "application/x-ndjson");
    return request;
  }

  static Answer Drain(HttpResponse response, int accept_chunks = -1) {
    Answer answer{response.status, response.content_type, response.body, false, 0,
                  response.headers};
    if (response.producer) {
      CollectingWriter writer(accept_chunks);
      Status status = response.producer(writer);
      EXPECT_OK(status);
      answer.streamed = true;
      answer.chunks = static_cast<int>(writer.chunks.size());
      answer.body.clear();
      for (const std::string& chunk : writer.chunks) answer.body += chunk;
    }
    return answer;
  }

  Answer Read(std::string_view dataset, std::string_view query = "", bool ndjson = false) {
    std::string target = fmt::format("/v1/products/orders/orders/datasets/{}{}{}", dataset,
                                     query.empty() ? "" : "?", query);
    return Drain(ServeDatasetRead(Request(target, ndjson), *store_, dataset, access_));
  }

  Answer ReadDeadLetters(std::string_view query = "") {
    std::string target =
        fmt::format("/v1/products/orders/orders/deadletters{}{}", query.empty() ? "" : "?", query);
    return Drain(ServeDeadLetters(Request(target), *store_));
  }

  // The values of `column` in the rows of a JSON envelope, as JSON text.
  static std::vector<std::string> Column(const Answer& answer, std::string_view column) {
    std::vector<std::string> values;
    nlohmann::json json = answer.Json();
    if (!json.is_object() || !json.contains("rows")) return {"(no rows: " + answer.body + ")"};
    for (const nlohmann::json& row : json["rows"]) {
      values.push_back(row.contains(column) ? row[std::string(column)].dump() : "(missing)");
    }
    return values;
  }

  void CommitFiveOrders() {
    Commit(
        "('o-3', 'created', 30, '2026-01-01T12:00:00Z'), "
        "('o-1', 'created', 10.5, '2026-01-01T10:00:00Z'), "
        "('o-5', 'paid', NULL, NULL), "
        "('o-2', 'paid', 20.25, '2026-01-01T11:00:00+02:00'), "
        "('o-4', 'shipped', 40, '2026-01-02T00:00:00Z')");
  }

  TemporaryFolder folder_;
  std::shared_ptr<store::ManualClock> clock_;
  std::unique_ptr<store::ProductStore> store_;
  std::int64_t next_offset_ = 0;
  governance::DatasetAccess access_;  // reads every column in clear unless a test masks some
};

TEST_F(DatasetPortTest, MaskedColumnsReadMaskedAndFiltersOnThemFindNothing) {
  CommitFiveOrders();
  access_.masked_columns = {"status", "amount"};
  Answer answer = Read("orders");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(Column(answer, "status"),
              ElementsAre("\"***\"", "\"***\"", "\"***\"", "\"***\"", "\"***\""));
  EXPECT_THAT(Column(answer, "amount"), ElementsAre("null", "null", "null", "null", "null"));
  EXPECT_THAT(Column(answer, "placed_at")[0], HasSubstr("2026-01-01T10:00:00"));
  // A filter or an order on a masked column sees only its masked value.
  EXPECT_THAT(Column(Read("orders", "status=eq.paid"), "order_id"), ElementsAre());
  EXPECT_THAT(Column(Read("orders", "amount=gt.0"), "order_id"), ElementsAre());
  EXPECT_THAT(Column(Read("orders", "status=like.*a*"), "order_id"), ElementsAre());
  EXPECT_THAT(Column(Read("orders", "amount=is.null"), "order_id"),
              ElementsAre("\"o-1\"", "\"o-2\"", "\"o-3\"", "\"o-4\"", "\"o-5\""));
  EXPECT_THAT(Column(Read("orders", "order=amount.desc,placed_at"), "order_id"),
              ElementsAre("\"o-2\"", "\"o-1\"", "\"o-3\"", "\"o-4\"", "\"o-5\""));
  // So does time travel.
  EXPECT_EQ(Column(Read("orders", "version=1&columns=status"), "status")[0], "\"***\"");
}

TEST_F(DatasetPortTest, AMaskedKeyStillPagesThroughEveryRowOnce) {
  CommitFiveOrders();
  access_.masked_columns = {"order_id"};
  std::vector<std::string> statuses;
  std::string query = "limit=2&columns=order_id,status";
  for (int page = 0; page < 5; ++page) {
    Answer answer = Read("orders", query);
    ASSERT_EQ(answer.status, 200) << answer.body;
    for (const std::string& status : Column(answer, "status")) statuses.push_back(status);
    EXPECT_THAT(Column(answer, "order_id"), ::testing::Each("\"***\""));
    nlohmann::json json = answer.Json();
    if (json["nextCursor"].is_null()) break;
    query = "limit=2&columns=order_id,status&cursor=" + json["nextCursor"].get<std::string>();
  }
  std::sort(statuses.begin(), statuses.end());
  EXPECT_THAT(statuses,
              ElementsAre("\"created\"", "\"created\"", "\"paid\"", "\"paid\"", "\"shipped\""));
}

TEST_F(DatasetPortTest, AReaderWithoutTheGrantIsRefused) {
  CommitFiveOrders();
  access_.readable = false;
  access_.refusal = Status(ErrorCode::kPermissionDenied, "permission denied for dataset orders");
  Answer answer = Read("orders");
  EXPECT_EQ(answer.status, 403);
  EXPECT_THAT(answer.body, HasSubstr("permission denied for dataset orders"));
}

TEST_F(DatasetPortTest, ReadsCurrentRowsByKeyWithTypedJsonValues) {
  CommitFiveOrders();
  Answer answer = Read("orders");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.content_type, "application/json");
  nlohmann::json json = answer.Json();
  EXPECT_EQ(json["dataset"], "orders");
  EXPECT_EQ(json["version"], 1);
  EXPECT_TRUE(json["nextCursor"].is_null());
  EXPECT_THAT(Column(answer, "order_id"),
              ElementsAre("\"o-1\"", "\"o-2\"", "\"o-3\"", "\"o-4\"", "\"o-5\""));
  // Numbers stay numbers, times are RFC 3339 UTC strings, NULL is null.
  ASSERT_EQ(json["rows"].size(), 5u);
  EXPECT_TRUE(json["rows"][0]["amount"].is_number());
  EXPECT_DOUBLE_EQ(json["rows"][0]["amount"].get<double>(), 10.5);
  EXPECT_EQ(json["rows"][1]["placed_at"], "2026-01-01T09:00:00.000000Z");
  EXPECT_TRUE(json["rows"][4]["amount"].is_null());
  EXPECT_EQ(answer.Header("Quanta-Version"), "1");
}

TEST_F(DatasetPortTest, SelectsColumnsInTheRequestedOrder) {
  CommitFiveOrders();
  Answer answer = Read("orders", "columns=status,order_id&limit=1");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(answer.body, HasSubstr(R"("rows":[{"status":"created","order_id":"o-1"}])"));
}

TEST_F(DatasetPortTest, FiltersAreAndedAndTyped) {
  CommitFiveOrders();
  EXPECT_THAT(Column(Read("orders", "status=eq.paid"), "order_id"),
              ElementsAre("\"o-2\"", "\"o-5\""));
  EXPECT_THAT(Column(Read("orders", "status=neq.paid"), "order_id"),
              ElementsAre("\"o-1\"", "\"o-3\"", "\"o-4\""));
  // Numeric comparison, not text: 10.5 < 9 as text would be true.
  EXPECT_THAT(Column(Read("orders", "amount=gt.9&amount=lte.30"), "order_id"),
              ElementsAre("\"o-1\"", "\"o-2\"", "\"o-3\""));
  EXPECT_THAT(Column(Read("orders", "amount=gte.30&status=eq.created"), "order_id"),
              ElementsAre("\"o-3\""));
  EXPECT_THAT(Column(Read("orders", "order_id=in.(o-4,o-1,nope)"), "order_id"),
              ElementsAre("\"o-1\"", "\"o-4\""));
  EXPECT_THAT(Column(Read("orders", "order_id=in.()"), "order_id"), IsEmpty());
  EXPECT_THAT(Column(Read("orders", "status=like.*ipp*"), "order_id"), ElementsAre("\"o-4\""));
  EXPECT_THAT(Column(Read("orders", "status=ilike.PAI%25"), "order_id"),
              ElementsAre("\"o-2\"", "\"o-5\""));
  EXPECT_THAT(Column(Read("orders", "amount=is.null"), "order_id"), ElementsAre("\"o-5\""));
  EXPECT_THAT(
      Column(Read("orders", "placed_at=is.notnull&placed_at=lt.2026-01-01T10:30:00Z"), "order_id"),
      ElementsAre("\"o-1\"", "\"o-2\""));
}

TEST_F(DatasetPortTest, OrdersByRequestedColumns) {
  CommitFiveOrders();
  EXPECT_THAT(Column(Read("orders", "order=amount.desc.nullslast"), "order_id"),
              ElementsAre("\"o-4\"", "\"o-3\"", "\"o-2\"", "\"o-1\"", "\"o-5\""));
  // Ties on status are broken the same way on every request.
  EXPECT_THAT(Column(Read("orders", "order=status,order_id.desc"), "order_id"),
              ElementsAre("\"o-3\"", "\"o-1\"", "\"o-5\"", "\"o-2\"", "\"o-4\""));
}

TEST_F(DatasetPortTest, ABadOrderWordIsNamedWithTheAcceptedOnes) {
  CommitFiveOrders();
  Answer sideways = Read("orders", "order=amount.sideways");
  EXPECT_EQ(sideways.status, 400);
  EXPECT_EQ(sideways.ErrorMessage(),
            "query parameter order: 'sideways' is not an order word in 'amount.sideways'; after a "
            "column come asc, desc, nullsfirst, nullslast, e.g. order=amount.desc or "
            "order=amount.asc.nullsfirst");
  EXPECT_THAT(Read("orders", "order=status,amount.desc.nullslastt").ErrorMessage(),
              HasSubstr("'nullslastt' is not an order word in 'amount.desc.nullslastt'"));
  EXPECT_THAT(Read("orders", "order=amount:desc").ErrorMessage(),
              HasSubstr("'amount:desc' is not a column; put a dot between a column and its order "
                        "words (asc, desc, nullsfirst, nullslast), e.g. order=amount.desc"));
  // An unknown column is still named as one.
  EXPECT_THAT(Read("orders", "order=total.desc").ErrorMessage(),
              HasSubstr("dataset orders has no column 'total'; its columns are: order_id"));
}

TEST_F(DatasetPortTest, AppendDatasetKeepsInsertionOrderAcrossCommits) {
  Commit(
      "",
      "SELECT * FROM (VALUES ('e-9', 'o-1', 1), ('e-1', 'o-1', 2)) AS v(event_id, order_id, step)");
  Commit("", "SELECT * FROM (VALUES ('e-5', 'o-2', 1)) AS v(event_id, order_id, step)");
  Answer answer = Read("events");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(Column(answer, "event_id"), ElementsAre("\"e-9\"", "\"e-1\"", "\"e-5\""));
  EXPECT_THAT(Column(answer, "step"), ElementsAre("1", "2", "1"));
}

TEST_F(DatasetPortTest, PagesStayOnTheirVersionWhileNewVersionsCommit) {
  CommitFiveOrders();
  Answer first = Read("orders", "limit=3");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_THAT(Column(first, "order_id"), ElementsAre("\"o-1\"", "\"o-2\"", "\"o-3\""));
  std::string cursor = first.Json()["nextCursor"].get<std::string>();
  EXPECT_EQ(first.Header("Quanta-Next-Cursor"), cursor);

  // A new version: a row that sorts first, an update of a row on page two, a new last row.
  Commit(
      "('o-0', 'created', 1, NULL), ('o-4', 'cancelled', 0, NULL), "
      "('o-6', 'created', 60, NULL)");

  Answer second = Read("orders", "limit=3&cursor=" + cursor);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.Json()["version"], 1);
  EXPECT_THAT(Column(second, "order_id"), ElementsAre("\"o-4\"", "\"o-5\""));
  EXPECT_THAT(Column(second, "status"), ElementsAre("\"shipped\"", "\"paid\""));
  EXPECT_TRUE(second.Json()["nextCursor"].is_null());

  // A new read sees the new version.
  Answer fresh = Read("orders", "limit=3");
  EXPECT_EQ(fresh.Json()["version"], 2);
  EXPECT_THAT(Column(fresh, "order_id"), ElementsAre("\"o-0\"", "\"o-1\"", "\"o-2\""));
}

TEST_F(DatasetPortTest, ACursorWithTheVersionOrTimeOfItsFirstPageReadsOn) {
  CommitFiveOrders();                      // version 1 at Day(0)
  Commit("('o-6', 'created', 60, NULL)");  // version 2 at Day(0) + 1h
  Commit("('o-7', 'created', 70, NULL)");  // version 3
  Answer first = Read("orders", "limit=2&version=1");
  ASSERT_EQ(first.status, 200) << first.body;
  std::string cursor = first.Json()["nextCursor"].get<std::string>();
  Answer same_version = Read("orders", "limit=2&version=1&cursor=" + cursor);
  ASSERT_EQ(same_version.status, 200) << same_version.body;
  EXPECT_THAT(Column(same_version, "order_id"), ElementsAre("\"o-3\"", "\"o-4\""));

  Answer by_time = Read("orders", "limit=2&as_of=2026-01-01T00:30:00Z");
  ASSERT_EQ(by_time.status, 200) << by_time.body;
  std::string time_cursor = by_time.Json()["nextCursor"].get<std::string>();
  Answer same_time = Read("orders", "limit=2&as_of=2026-01-01T00:30:00Z&cursor=" + time_cursor);
  ASSERT_EQ(same_time.status, 200) << same_time.body;
  EXPECT_EQ(same_time.Json()["version"], 1);
}

TEST_F(DatasetPortTest, ACursorWithAnotherVersionOrTimeIsRefusedNamingBoth) {
  CommitFiveOrders();                      // version 1 at Day(0)
  Commit("('o-6', 'created', 60, NULL)");  // version 2 at Day(0) + 1h
  Answer first = Read("orders", "limit=2&version=1");
  ASSERT_EQ(first.status, 200) << first.body;
  std::string cursor = first.Json()["nextCursor"].get<std::string>();

  Answer other_version = Read("orders", "limit=3&version=2&cursor=" + cursor);
  EXPECT_EQ(other_version.status, 400) << other_version.body;
  EXPECT_THAT(other_version.ErrorMessage(),
              HasSubstr("query parameters version and cursor disagree: version=2, but the "
                        "cursor was made at version 1"));
  Answer other_time = Read("orders", "limit=3&as_of=2026-01-01T01:30:00Z&cursor=" + cursor);
  EXPECT_EQ(other_time.status, 400) << other_time.body;
  EXPECT_THAT(other_time.ErrorMessage(),
              HasSubstr("query parameters as_of and cursor disagree: as_of=2026-01-01T01:30:00Z "
                        "is version 2, but the cursor was made at version 1"));
}

TEST_F(DatasetPortTest, AParameterGivenTwiceIsRefused) {
  CommitFiveOrders();
  for (std::string query :
       {"limit=1&limit=2", "version=1&version=1", "columns=status&columns=amount",
        "order=status&order=amount", "as_of=2026-01-01T00:30:00Z&as_of=x"}) {
    Answer answer = Read("orders", query);
    EXPECT_EQ(answer.status, 400) << query << ": " << answer.body;
    std::string name = query.substr(0, query.find('='));
    EXPECT_THAT(answer.ErrorMessage(), HasSubstr("query parameter " + name + " given twice"))
        << query;
  }
  Answer limit = Read("orders", "limit=1&limit=2");
  EXPECT_EQ(limit.ErrorMessage(), "query parameter limit given twice ('1' and '2'); give it once");
  Answer dead_letters = ReadDeadLetters("limit=1&limit=2&limit=3");
  EXPECT_EQ(dead_letters.status, 400) << dead_letters.body;
  EXPECT_THAT(dead_letters.ErrorMessage(),
              HasSubstr("query parameter limit given 3 times ('1', '2', '3')"));
  // Filters on one column may repeat: they are ANDed (a range).
  Answer range = Read("orders", "amount=gt.11&amount=lt.40&columns=order_id");
  ASSERT_EQ(range.status, 200) << range.body;
  EXPECT_THAT(Column(range, "order_id"), ElementsAre("\"o-2\"", "\"o-3\""));
}

TEST_F(DatasetPortTest, FilteredPagesCoverEveryMatchingRowOnce) {
  Commit("",
         "SELECT 'e-' || i AS event_id, 'o-' || (i % 3) AS order_id, i::INTEGER AS step FROM "
         "range(100) AS t(i)");
  std::vector<std::string> steps;
  std::string query = "order_id=eq.o-1&order=step.desc&limit=7";
  std::string cursor;
  int pages = 0;
  do {
    Answer page = Read("events", query + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    for (const std::string& step : Column(page, "step")) steps.push_back(step);
    nlohmann::json next = page.Json()["nextCursor"];
    cursor = next.is_null() ? "" : next.get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 100);
  EXPECT_EQ(pages, 5);  // 33 rows
  ASSERT_EQ(steps.size(), 33u);
  EXPECT_EQ(steps.front(), "97");
  EXPECT_EQ(steps.back(), "1");
}

TEST_F(DatasetPortTest, TimeTravelsByTimeAndByVersion) {
  CommitFiveOrders();                     // version 1 at Day(0)
  Commit("('o-1', 'paid', 10.5, NULL)");  // version 2 at Day(0) + 1h
  EXPECT_THAT(Column(Read("orders", "order_id=eq.o-1"), "status"), ElementsAre("\"paid\""));

  Answer by_time = Read("orders", "order_id=eq.o-1&as_of=2026-01-01T00:30:00Z");
  ASSERT_EQ(by_time.status, 200) << by_time.body;
  EXPECT_EQ(by_time.Json()["version"], 1);
  EXPECT_THAT(Column(by_time, "status"), ElementsAre("\"created\""));
  // An offset written with an unescaped '+' arrives as a space and is still understood.
  Answer with_offset = Read("orders", "order_id=eq.o-1&as_of=2026-01-01T02:30:00+02:00");
  EXPECT_THAT(Column(with_offset, "status"), ElementsAre("\"created\""));

  Answer by_version = Read("orders", "version=1&order_id=eq.o-1");
  EXPECT_THAT(Column(by_version, "status"), ElementsAre("\"created\""));
  EXPECT_THAT(Column(Read("orders", "version=0"), "order_id"), IsEmpty());
}

TEST_F(DatasetPortTest, RefusesTimesAndVersionsItCannotRead) {
  CommitFiveOrders();
  Answer future_version = Read("orders", "version=7");
  EXPECT_EQ(future_version.status, 422);
  EXPECT_THAT(future_version.ErrorMessage(), HasSubstr("version 7 does not exist yet"));
  Answer future_time = Read("orders", "as_of=2030-01-01T00:00:00Z");
  EXPECT_EQ(future_time.status, 422);
  EXPECT_THAT(future_time.ErrorMessage(), HasSubstr("in the future"));

  Answer bad_time = Read("orders", "as_of=yesterday");
  EXPECT_EQ(bad_time.status, 400);
  EXPECT_THAT(bad_time.ErrorMessage(), HasSubstr("as_of"));
  EXPECT_EQ(Read("orders", "version=-1").status, 400);
  EXPECT_EQ(Read("orders", "version=one").status, 400);
  Answer both = Read("orders", "version=1&as_of=2026-01-01T00:00:00Z");
  EXPECT_EQ(both.status, 400);
  EXPECT_THAT(both.ErrorMessage(), HasSubstr("not both"));
}

TEST_F(DatasetPortTest, HostileValuesAreBoundAsValues) {
  CommitFiveOrders();
  Answer injected = Read("orders", "status=eq.%27%3B%20DROP%20TABLE%20history.orders%3B%20--");
  ASSERT_EQ(injected.status, 200) << injected.body;
  EXPECT_THAT(Column(injected, "order_id"), IsEmpty());
  Answer in_list = Read("orders", "order_id=in.(%22o-1%27)%20OR%201%3D1%20--%22,o-2)");
  ASSERT_EQ(in_list.status, 200) << in_list.body;
  EXPECT_THAT(Column(in_list, "order_id"), ElementsAre("\"o-2\""));
  Answer like = Read("orders", "status=like.%27%20OR%20%27%25%27%3D%27");
  ASSERT_EQ(like.status, 200) << like.body;
  EXPECT_THAT(Column(like, "order_id"), IsEmpty());
  // The data is all still there.
  EXPECT_EQ(Column(Read("orders"), "order_id").size(), 5u);
}

TEST_F(DatasetPortTest, AValueWithNulIsFilteredAndPagedLikeAnyOther) {
  Commit("('o-' || chr(0) || 'x', 'created', 1, NULL), ('o-1', 'paid', 2, NULL)");
  const std::string with_nul = "\"o-\\u0000x\"";
  Answer eq = Read("orders", "order_id=eq.o-%00x&columns=order_id");
  ASSERT_EQ(eq.status, 200) << eq.body;
  EXPECT_THAT(Column(eq, "order_id"), ElementsAre(with_nul));
  Answer in = Read("orders", "order_id=in.(o-%00x,o-1)&columns=order_id");
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_THAT(Column(in, "order_id"), ElementsAre(with_nul, "\"o-1\""));
  Answer like = Read("orders", "order_id=like.*%00*&columns=order_id");
  ASSERT_EQ(like.status, 200) << like.body;
  EXPECT_THAT(Column(like, "order_id"), ElementsAre(with_nul));
  // The key cursor after the first page holds the NUL too.
  Answer first = Read("orders", "limit=1&columns=order_id");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_THAT(Column(first, "order_id"), ElementsAre(with_nul));
  Answer second = Read(
      "orders", "limit=1&columns=order_id&cursor=" + first.Json()["nextCursor"].get<std::string>());
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_THAT(Column(second, "order_id"), ElementsAre("\"o-1\""));
}

TEST_F(DatasetPortTest, HostileNamesAreRefusedNamingTheParameter) {
  CommitFiveOrders();
  Answer unknown_filter = Read("orders", "%22%3B%20DROP%20TABLE%20x%3B--=eq.1");
  EXPECT_EQ(unknown_filter.status, 400);
  EXPECT_THAT(unknown_filter.ErrorMessage(), HasSubstr("has no column '\"; DROP TABLE x;--'"));
  EXPECT_THAT(unknown_filter.ErrorMessage(), HasSubstr("order_id, status, amount, placed_at"));

  Answer unknown_select = Read("orders", "columns=order_id,secret");
  EXPECT_EQ(unknown_select.status, 400);
  EXPECT_THAT(unknown_select.ErrorMessage(), HasSubstr("query parameter columns"));
  EXPECT_THAT(unknown_select.ErrorMessage(), HasSubstr("'secret'"));
  EXPECT_EQ(Read("orders", "columns=").status, 400);
  EXPECT_EQ(Read("orders", "columns=status,status").status, 400);

  Answer unknown_order = Read("orders", "order=amount;DELETE");
  EXPECT_EQ(unknown_order.status, 400);
  EXPECT_THAT(unknown_order.ErrorMessage(), HasSubstr("query parameter order"));

  Answer bad_operator = Read("orders", "amount=between.1");
  EXPECT_EQ(bad_operator.status, 400);
  EXPECT_THAT(bad_operator.ErrorMessage(), HasSubstr("query parameter amount: 'between'"));
  EXPECT_EQ(Read("orders", "amount=5").status, 400);
  EXPECT_EQ(Read("orders", "amount=is.maybe").status, 400);
  EXPECT_EQ(Read("orders", "amount=in.1,2").status, 400);

  Answer bad_value = Read("orders", "amount=gt.lots");
  EXPECT_EQ(bad_value.status, 400);
  EXPECT_THAT(bad_value.ErrorMessage(), HasSubstr("query parameter amount"));
  EXPECT_THAT(bad_value.ErrorMessage(), HasSubstr("DECIMAL(10,2)"));
  Answer bad_time = Read("orders", "placed_at=gt.noon");
  EXPECT_EQ(bad_time.status, 400);
  EXPECT_THAT(bad_time.ErrorMessage(), HasSubstr("query parameter placed_at"));
}

TEST_F(DatasetPortTest, LimitMustBeBetweenOneAndTheMaximum) {
  CommitFiveOrders();
  EXPECT_THAT(Column(Read("orders", "limit=2"), "order_id"), ElementsAre("\"o-1\"", "\"o-2\""));
  for (std::string_view limit : {"-1", "0", "abc", "1.5", "", "+3"}) {
    Answer answer = Read("orders", fmt::format("limit={}", limit));
    EXPECT_EQ(answer.status, 400) << limit;
    EXPECT_THAT(answer.ErrorMessage(), HasSubstr("query parameter limit")) << limit;
  }
  for (std::string_view limit : {"100001", "1000000000000", "99999999999999999999999"}) {
    Answer answer = Read("orders", fmt::format("limit={}", limit));
    EXPECT_EQ(answer.status, 400) << limit;
    EXPECT_THAT(answer.ErrorMessage(), HasSubstr("above the maximum page of 100000")) << limit;
  }
  EXPECT_EQ(Read("orders", "limit=100000").status, 200);
}

// base64url of `cursor`'s JSON, made by hand to stay independent of the port's encoder.
std::string ForgedCursor(const nlohmann::json& cursor) {
  std::string text = cursor.dump();
  std::string encoded;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < text.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) n |= static_cast<unsigned char>(text[i + 1]) << 8;
    if (i + 2 < text.size()) n |= static_cast<unsigned char>(text[i + 2]);
    encoded += alphabet[(n >> 18) & 63];
    encoded += alphabet[(n >> 12) & 63];
    if (i + 1 < text.size()) encoded += alphabet[(n >> 6) & 63];
    if (i + 2 < text.size()) encoded += alphabet[n & 63];
  }
  return encoded;
}

// The JSON text inside a cursor (base64url, no padding).
std::string DecodedCursor(const nlohmann::json& cursor) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string text;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : cursor.get<std::string>()) {
    buffer = (buffer << 6) | static_cast<std::uint32_t>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      text += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return text;
}

// Pages of a keyed dataset in its key order start after the last key of the page before, which
// the cursor carries: a deep page costs what the first one does. A key the client writes into
// a cursor is a value, never SQL, and must have the key's type.
TEST_F(DatasetPortTest, KeyOrderedPagesStartAfterTheCursorsKey) {
  CommitFiveOrders();
  nlohmann::json cursor =
      nlohmann::json::parse(DecodedCursor(Read("orders", "limit=2").Json()["nextCursor"]));
  EXPECT_EQ(cursor["k"], nlohmann::json::array({"o-2"}));
  nlohmann::json hostile = cursor;
  hostile["k"] = {"o-3' OR '1'='1"};
  Answer after = Read("orders", "limit=5&cursor=" + ForgedCursor(hostile));
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_THAT(Column(after, "order_id"), ElementsAre("\"o-4\"", "\"o-5\""));
  for (nlohmann::json key : {nlohmann::json::array({3}), nlohmann::json::array({"o-1", "o-2"}),
                             nlohmann::json::array({nullptr}), nlohmann::json("o-1")}) {
    nlohmann::json wrong = cursor;
    wrong["k"] = key;
    Answer refused = Read("orders", "limit=2&cursor=" + ForgedCursor(wrong));
    EXPECT_EQ(refused.status, 400) << key;
    EXPECT_THAT(refused.ErrorMessage(), HasSubstr("not a cursor this node made")) << key;
  }
}

// A key of a text and an integer column pages in the key's order, the integer compared as a
// number (line 10 after line 9), every row once.
TEST_F(DatasetPortTest, PagesOfATwoColumnKeyCoverEveryRowOnceInKeyOrder) {
  ASSERT_OK_AND_ASSIGN(auto writer, store_->BeginBatch());
  ASSERT_OK(writer->StageRows(
      "lines",
      "SELECT * FROM (VALUES ('o-2', 1, 5), ('o-1', 10, 1), ('o-1', 9, 2), "
      "('o-3', 1, 1), ('o-1', 2, 7), ('o-2', 3, 1), ('o-10', 1, 4)) AS v(order_id, "
      "line, quantity)"));
  ASSERT_OK(writer->Commit());
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    Answer page = Read(
        "lines", "limit=2&columns=order_id,line" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    nlohmann::json json = page.Json();
    for (const nlohmann::json& row : json["rows"]) {
      seen.push_back(row["order_id"].get<std::string>() + "/" + row["line"].dump());
    }
    const nlohmann::json& next = json["nextCursor"];
    cursor = next.is_null() ? "" : next.get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_THAT(seen, ElementsAre("o-1/2", "o-1/9", "o-1/10", "o-10/1", "o-2/1", "o-2/3", "o-3/1"));
  EXPECT_EQ(pages, 4);
}

TEST_F(DatasetPortTest, RefusesCursorsItDidNotMakeForThisRead) {
  CommitFiveOrders();
  std::string cursor = Read("orders", "limit=2").Json()["nextCursor"].get<std::string>();
  EXPECT_EQ(Read("orders", "limit=2&cursor=" + cursor).status, 200);

  for (std::string bad :
       {std::string("garbage!"), std::string(""), std::string("e30"),
        cursor.substr(0, cursor.size() - 4), cursor + "AAAA", std::string(2000, 'A')}) {
    Answer answer = Read("orders", "limit=2&cursor=" + bad);
    EXPECT_EQ(answer.status, 400) << bad;
    EXPECT_THAT(answer.ErrorMessage(), HasSubstr("query parameter cursor")) << bad;
  }
  // A cursor with an edited position: still refused, it is checked by its digest.
  EXPECT_EQ(
      Read("orders", "limit=2&cursor=" + ForgedCursor({{"v", 1}, {"o", -5}, {"f", "0"}})).status,
      400);
  // The cursor of another filter or order does not fit.
  Answer other = Read("orders", "limit=2&status=eq.paid&cursor=" + cursor);
  EXPECT_EQ(other.status, 400);
  EXPECT_THAT(other.ErrorMessage(), HasSubstr("other filters or another order"));
  EXPECT_EQ(Read("orders", "limit=2&order=amount&cursor=" + cursor).status, 400);
}

TEST_F(DatasetPortTest, StreamsNdjsonWithVersionAndCursorHeaders) {
  CommitFiveOrders();
  Answer answer = Read("orders", "limit=2&columns=order_id", /*ndjson=*/true);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.content_type, "application/x-ndjson");
  std::vector<nlohmann::json> lines = answer.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].dump(), R"({"order_id":"o-1"})");
  EXPECT_EQ(lines[1].dump(), R"({"order_id":"o-2"})");
  EXPECT_EQ(answer.Header("Quanta-Version"), "1");
  std::string cursor = answer.Header("Quanta-Next-Cursor");
  ASSERT_FALSE(cursor.empty());

  // The next page may ask for another page size; the cursor keeps its place and version.
  Answer rest = Read("orders", "limit=5&columns=order_id&cursor=" + cursor, true);
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.body, "{\"order_id\":\"o-3\"}\n{\"order_id\":\"o-4\"}\n{\"order_id\":\"o-5\"}\n");
  EXPECT_EQ(rest.Header("Quanta-Next-Cursor"), "");
}

TEST_F(DatasetPortTest, AcceptPicksTheFormatOfHighestQuality) {
  CommitFiveOrders();
  std::string target = "/v1/products/orders/orders/datasets/orders?limit=1&columns=order_id";
  for (auto [accept, expected] : std::vector<std::pair<std::string, std::string>>{
           {"application/x-ndjson;q=0.1, application/json", "application/json"},
           {"application/json;q=0.5, application/x-ndjson", "application/x-ndjson"},
           {"application/json;q=0, */*", "application/x-ndjson"},
           {"application/json, application/x-ndjson", "application/json"},
           {"application/x-ndjson, application/json", "application/x-ndjson"},
           {"text/html,*/*;q=0.8", "application/json"},
           {"application/x-ndjson;q=0", "application/json"}}) {
    HttpRequest request = Request(target);
    request.headers.emplace_back("Accept", accept);
    Answer answer = Drain(ServeDatasetRead(request, *store_, "orders", access_));
    ASSERT_EQ(answer.status, 200) << accept << ": " << answer.body;
    EXPECT_EQ(answer.content_type, expected) << accept;
  }
}

TEST_F(DatasetPortTest, LargePagesAreStreamedAfterTheFirstStorePage) {
  Commit("",
         "SELECT 'e-' || i AS event_id, 'o-1' AS order_id, i::INTEGER AS step FROM range(5000) AS "
         "t(i)");
  Answer json = Read("events", "limit=4500&columns=step");
  ASSERT_EQ(json.status, 200) << json.body;
  EXPECT_TRUE(json.streamed);
  EXPECT_GE(json.chunks, 2);  // the first kStorePageRows rows, then the rest as DuckDB streams it
  std::vector<std::string> steps = Column(json, "step");
  ASSERT_EQ(steps.size(), 4500u);
  for (int i = 0; i < 4500; ++i) ASSERT_EQ(steps[i], std::to_string(i));
  EXPECT_FALSE(json.Json()["nextCursor"].is_null());

  Answer ndjson = Read("events", "limit=100000&columns=step", true);
  ASSERT_EQ(ndjson.status, 200);
  EXPECT_TRUE(ndjson.streamed);
  std::vector<nlohmann::json> lines = ndjson.Lines();
  ASSERT_EQ(lines.size(), 5000u);
  EXPECT_EQ(lines[4999]["step"], 4999);
  EXPECT_EQ(ndjson.Header("Quanta-Next-Cursor"), "");
}

TEST_F(DatasetPortTest, StreamStopsWhenTheClientGoesAway) {
  Commit("",
         "SELECT 'e-' || i AS event_id, 'o-1' AS order_id, i::INTEGER AS step FROM range(9000) AS "
         "t(i)");
  HttpResponse response =
      ServeDatasetRead(Request("/x?limit=9000", true), *store_, "events", access_);
  ASSERT_TRUE(response.producer);
  CollectingWriter writer(/*accept_chunks=*/1);
  EXPECT_OK(response.producer(writer));
  EXPECT_EQ(writer.chunks.size(), 1u);
}

// A cursor carries a digest of its read's filters and order: it must stay the same from build
// to build, or the cursors that clients hold would be refused after an upgrade.
TEST_F(DatasetPortTest, CursorsKeepTheirTextFromBuildToBuild) {
  CommitFiveOrders();
  EXPECT_EQ(Read("orders", "status=eq.paid&order=amount.desc&limit=1").Json()["nextCursor"],
            "eyJmIjoiN2Q4NjQyYTYxODFiODBhNyIsIm8iOjEsInYiOjF9");
  EXPECT_EQ(Read("orders", "status=in.(paid,created)&limit=2").Json()["nextCursor"],
            "eyJmIjoiMjkyZjFiNmVhY2IwNGRhNCIsImsiOlsiby0yIl0sInYiOjF9");
  CommitDeadLetters(3);
  EXPECT_EQ(ReadDeadLetters("limit=1").Json()["nextCursor"],
            "eyJmIjoiYjVkMTZiNmNhMjA5ZTYzMSIsIm8iOjEsInYiOjJ9");
}

TEST_F(DatasetPortTest, UnknownDatasetIsNotFoundNamingTheProductsDatasets) {
  Answer answer = Read("refunds");
  EXPECT_EQ(answer.status, 404);
  // Nothing of the store's file: a client knows the product, not how the node keeps it.
  EXPECT_EQ(answer.ErrorMessage(),
            "the product has no dataset 'refunds'; its datasets are: orders, events, lines");
}

TEST_F(DatasetPortTest, ReadsDeadLettersInOrderWithPaging) {
  CommitDeadLetters(3);
  Answer first = ReadDeadLetters("limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  nlohmann::json json = first.Json();
  EXPECT_EQ(json["version"], 1);
  ASSERT_EQ(json["rows"].size(), 2u);
  nlohmann::json row = json["rows"][0];
  EXPECT_EQ(row["version"], 1);
  EXPECT_EQ(row["port"], "order_events");
  EXPECT_EQ(row["offset"], 0);
  EXPECT_EQ(row["reason"], "field amount: bad value 0");
  EXPECT_EQ(row["payload"], "{\"bad\": true}");
  EXPECT_TRUE(row["payloadBase64"].is_null());
  EXPECT_EQ(row["receivedAt"], "2026-01-01T00:00:00.000000Z");

  CommitDeadLetters(2);  // version 2 arrives between the pages
  Answer second = ReadDeadLetters("limit=2&cursor=" + json["nextCursor"].get<std::string>());
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_THAT(Column(second, "offset"), ElementsAre("2"));
  EXPECT_TRUE(second.Json()["nextCursor"].is_null());

  EXPECT_THAT(Column(ReadDeadLetters("version=eq.2&columns=offset"), "offset"),
              ElementsAre("3", "4"));
  EXPECT_THAT(Column(ReadDeadLetters("order=offset.desc&limit=1"), "offset"), ElementsAre("4"));
  Answer unknown = ReadDeadLetters("as_of=2026-01-01T00:00:00Z");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.ErrorMessage(), HasSubstr("dead letters has no column 'as_of'"));
}

TEST_F(DatasetPortTest, DeadLetterBytesThatAreNotTextComeAsBase64) {
  CommitDeadLetters(1, std::string("\xff\xfe\x01", 3));
  Answer answer = ReadDeadLetters();
  ASSERT_EQ(answer.status, 200) << answer.body;
  nlohmann::json row = answer.Json()["rows"][0];
  EXPECT_TRUE(row["payload"].is_null());
  EXPECT_EQ(row["payloadBase64"], "//4B");
}

TEST_F(DatasetPortTest, CursorsOfDeadLettersAndDatasetsDoNotMix) {
  CommitDeadLetters(3);
  std::string cursor = ReadDeadLetters("limit=1").Json()["nextCursor"].get<std::string>();
  // The dataset read's cursor does not fit the dead letters, and the reverse.
  EXPECT_EQ(Read("orders", "limit=1&cursor=" + cursor).status, 400);
  EXPECT_EQ(ReadDeadLetters("limit=1&cursor=" + cursor).status, 200);
}

}  // namespace
}  // namespace quanta::ports
