#include "ports/pg_session.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using ::testing::HasSubstr;

// One in-memory database; the "product" shop has the dataset items.
class FakeBackend : public PgBackend {
 public:
  FakeBackend() {
    database_ = std::move(engine::Database::Open()).value();
    auto connection = std::move(database_->Connect()).value();
    (void)connection->Execute(
        "CREATE TABLE raw_items (id INTEGER, name VARCHAR, price DECIMAL(10,2));"
        "INSERT INTO raw_items VALUES (1, 'pen', 1.50), (2, 'ink', 3.25), (3, 'pad', 2.00)");
  }
  PgCredentials CredentialsFor(std::string_view user) override {
    PgCredentials credentials;
    if (user == "dev") credentials.kind = PgCredentials::Kind::kTrust;
    return credentials;
  }
  Result<std::unique_ptr<engine::Connection>> Connect() override { return database_->Connect(); }
  std::unique_ptr<query::TableResolver> ResolverFor(std::string_view) override {
    class Items : public query::TableResolver {
     public:
      explicit Items(const std::string& sql) : sql_(sql) {}
      Items(const std::string& sql, std::shared_ptr<const engine::KeyedRows> kept)
          : sql_(sql), kept_(std::move(kept)) {}
      Result<std::string> Resolve(std::string_view schema, std::string_view table,
                                  const query::TableTime&) override {
        if (schema == "shop" && table == "items") return sql_;
        return Status::NotFound("relation \"{}.{}\" does not exist", schema, table);
      }
      std::shared_ptr<const engine::KeyedRows> KeyedRowsOf(std::string_view schema,
                                                           std::string_view table) override {
        return schema == "shop" && table == "items" ? kept_ : nullptr;
      }

     private:
      std::string sql_;
      std::shared_ptr<const engine::KeyedRows> kept_;
    };
    return std::make_unique<Items>(items_sql, kept_items);
  }
  // Kept rows of shop.items keyed by id, read from `select` (id, name, price).
  std::shared_ptr<engine::KeyedRows> KeepItems(const std::string& select) {
    auto connection = std::move(database_->Connect()).value();
    auto query = std::move(engine::PreparedQuery::Prepare(*connection, select)).value();
    auto rows = std::make_shared<engine::KeyedRows>(query->column_names(), query->column_types(), 0,
                                                    /*replace=*/true);
    auto stream = std::move(query->Execute()).value();
    std::vector<std::unique_ptr<engine::ResultChunk>> chunks;
    while (auto chunk = std::move(stream->Next()).value()) chunks.push_back(std::move(chunk));
    EXPECT_OK(rows->Replace(std::move(chunks), 1, rows->LockForWrite()));
    return rows;
  }
  Status Execute(const std::string& sql) {
    QUANTA_ASSIGN_OR_RETURN(auto connection, database_->Connect());
    return connection->Execute(sql);
  }

  /// What shop.items resolves to; a test changes it as a deploy would.
  std::string items_sql = "SELECT * FROM raw_items";
  /// Its kept rows, if any.
  std::shared_ptr<engine::KeyedRows> kept_items;

 private:
  std::unique_ptr<engine::Database> database_;
};

// Frontend messages, built by hand as a client would send them.
std::string Int32(std::int32_t value) {
  std::uint32_t big = htonl(static_cast<std::uint32_t>(value));
  return std::string(reinterpret_cast<const char*>(&big), 4);
}
std::string Int16(std::int16_t value) {
  std::uint16_t big = htons(static_cast<std::uint16_t>(value));
  return std::string(reinterpret_cast<const char*>(&big), 2);
}
std::string Typed(char type, const std::string& body) {
  return std::string(1, type) + Int32(static_cast<std::int32_t>(body.size() + 4)) + body;
}
std::string CString(std::string_view text) { return std::string(text) + '\0'; }
std::string Startup(std::string_view user) {
  std::string body = Int32(3 << 16) + CString("user") + CString(user) + CString("database") +
                     CString("quanta") + '\0';
  return Int32(static_cast<std::int32_t>(body.size() + 4)) + body;
}
// A startup packet that also carries `options`, as libpq sends PGOPTIONS.
std::string StartupWithOptions(std::string_view user, std::string_view options) {
  std::string body = Int32(3 << 16) + CString("user") + CString(user) + CString("database") +
                     CString("quanta") + CString("options") + CString(options) + '\0';
  return Int32(static_cast<std::int32_t>(body.size() + 4)) + body;
}
std::string Query(std::string_view sql) { return Typed('Q', CString(sql)); }
std::string Parse(std::string_view name, std::string_view sql) {
  return Typed('P', CString(name) + CString(sql) + Int16(0));
}
std::string Bind(std::string_view portal, std::string_view statement,
                 const std::vector<std::string>& text_parameters) {
  std::string body = CString(portal) + CString(statement) + Int16(0) +
                     Int16(static_cast<std::int16_t>(text_parameters.size()));
  for (const std::string& value : text_parameters) {
    body += Int32(static_cast<std::int32_t>(value.size())) + value;
  }
  return Typed('B', body + Int16(0));
}
std::string Describe(char kind, std::string_view name) {
  return Typed('D', std::string(1, kind) + CString(name));
}
std::string Execute(std::string_view portal, std::int32_t max_rows) {
  return Typed('E', CString(portal) + Int32(max_rows));
}
std::string Sync() { return Typed('S', ""); }

// Backend messages as the client reads them: type and body.
struct Message {
  char type;
  std::string body;
  // For ErrorResponse / NoticeResponse: the field with code `code`.
  std::string Field(char code) const {
    std::size_t at = 0;
    while (at < body.size() && body[at] != '\0') {
      char field = body[at++];
      std::size_t end = body.find('\0', at);
      if (field == code) return body.substr(at, end - at);
      at = end + 1;
    }
    return "";
  }
  // For DataRow: the text of column `index`; "NULL" for NULL.
  std::string Column(int index) const {
    std::size_t at = 2;
    for (int c = 0;; ++c) {
      std::int32_t length;
      std::memcpy(&length, body.data() + at, 4);
      length = static_cast<std::int32_t>(ntohl(static_cast<std::uint32_t>(length)));
      at += 4;
      if (c == index) return length < 0 ? "NULL" : body.substr(at, length);
      if (length > 0) at += static_cast<std::size_t>(length);
    }
  }
};

std::vector<Message> Split(const std::string& out) {
  std::vector<Message> messages;
  std::size_t at = 0;
  while (at + 5 <= out.size()) {
    std::uint32_t length;
    std::memcpy(&length, out.data() + at + 1, 4);
    length = ntohl(length);
    messages.push_back({out[at], out.substr(at + 5, length - 4)});
    at += 1 + length;
  }
  return messages;
}

std::string Types(const std::vector<Message>& messages) {
  std::string types;
  for (const Message& message : messages) types += message.type;
  return types;
}

class PgSessionTest : public ::testing::Test {
 protected:
  PgSessionTest() : session_(backend_, PgSessionOptions{}) {}

  // Feeds `bytes` and runs until the session needs input or closes; returns the messages.
  std::vector<Message> Send(const std::string& bytes, PgSession::Step* step = nullptr) {
    session_.Feed(bytes);
    std::string out;
    PgSession::Step last;
    do {
      last = session_.Run(&out);
    } while (last == PgSession::Step::kOutput);
    if (step) *step = last;
    return Split(out);
  }

  void SignIn() {
    std::vector<Message> messages = Send(Startup("dev"));
    ASSERT_FALSE(messages.empty());
    ASSERT_EQ(messages.front().type, 'R');
    ASSERT_EQ(messages.back().type, 'Z');
  }

  FakeBackend backend_;
  PgSession session_;
};

TEST_F(PgSessionTest, SignsInATrustedUserWithTheSettingsClientsExpect) {
  std::vector<Message> messages = Send(Startup("dev"));
  ASSERT_GE(messages.size(), 4u);
  EXPECT_EQ(messages[0].type, 'R');  // AuthenticationOk
  std::string settings;
  for (const Message& message : messages) {
    if (message.type == 'S') settings += message.body.substr(0, message.body.find('\0')) + " ";
  }
  for (const char* name : {"server_version", "client_encoding", "DateStyle", "TimeZone",
                           "integer_datetimes", "standard_conforming_strings"}) {
    EXPECT_THAT(settings, HasSubstr(name));
  }
  EXPECT_EQ(Types(messages).substr(Types(messages).size() - 2), "KZ");
  EXPECT_TRUE(session_.ready());
}

TEST_F(PgSessionTest, AnUnknownUserIsAskedForAPasswordAndRefused) {
  std::vector<Message> messages = Send(Startup("mallory"));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].type, 'R');  // AuthenticationSASL
  EXPECT_THAT(messages[0].body, HasSubstr("SCRAM-SHA-256"));
  EXPECT_FALSE(session_.ready());
}

TEST_F(PgSessionTest, RunsASimpleQueryAndNamesColumnsAsPostgreSQL) {
  SignIn();
  std::vector<Message> messages =
      Send(Query("SELECT name, price FROM shop.items WHERE id > 1 ORDER BY id; "
                 "SELECT count(*) FROM shop.items"));
  EXPECT_EQ(Types(messages), "TDDCTDCZ");
  EXPECT_EQ(messages[1].Column(0), "ink");
  EXPECT_EQ(messages[1].Column(1), "3.25");
  EXPECT_EQ(messages[3].body.substr(0, 8), "SELECT 2");
  EXPECT_THAT(messages[4].body, HasSubstr("count"));
  EXPECT_EQ(messages[5].Column(0), "3");
}

// The rows of a COPY ... TO STDOUT answer, CopyData bodies joined.
std::string CopiedText(const std::vector<Message>& messages) {
  std::string text;
  for (const Message& message : messages) {
    if (message.type == 'd') text += message.body;
  }
  return text;
}

// A point lookup by key is answered from the dataset's kept rows when they hold the key's
// row as the statement would read it; here they differ from the table on purpose (a price of
// 9.99), so that each answer shows where it came from.
TEST_F(PgSessionTest, APointLookupIsAnsweredFromKeptRows) {
  backend_.kept_items = backend_.KeepItems(
      "SELECT id, name, CASE WHEN id = 1 THEN 9.99 ELSE price END::DECIMAL(10,2) AS price "
      "FROM raw_items");
  const engine::KeyedRows& kept = *backend_.kept_items;
  SignIn();
  // Extended, a text parameter: the whole row, as the statement's columns.
  std::vector<Message> messages =
      Send(Parse("", "SELECT * FROM shop.items WHERE id = $1") + Bind("", "", {"1"}) +
           Describe('P', "") + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "12TDCZ");
  EXPECT_EQ(messages[3].Column(0), "1");
  EXPECT_EQ(messages[3].Column(1), "pen");
  EXPECT_EQ(messages[3].Column(2), "9.99");
  EXPECT_EQ(messages[4].body.substr(0, 8), "SELECT 1");
  EXPECT_EQ(kept.lookups(), 1u);
  // Simple, a literal, some columns in another order, the key written first; a missing key.
  messages = Send(Query("SELECT price, i.name FROM shop.items AS i WHERE 2 = id"));
  ASSERT_EQ(Types(messages), "TDCZ");
  EXPECT_EQ(messages[1].Column(0), "3.25");
  EXPECT_EQ(messages[1].Column(1), "ink");
  // The same text with another id is made from that one, without preparing it again.
  messages = Send(Query("SELECT price, i.name FROM shop.items AS i WHERE 1 = id"));
  ASSERT_EQ(Types(messages), "TDCZ");
  EXPECT_EQ(messages[0].body.substr(2, 6), std::string("price") + '\0');  // after the count
  EXPECT_EQ(messages[1].Column(0), "9.99");
  EXPECT_EQ(messages[1].Column(1), "pen");
  messages = Send(Query("SELECT price, i.name FROM shop.items AS i WHERE 8 = id"));
  ASSERT_EQ(Types(messages), "TCZ");
  EXPECT_EQ(messages[1].body.substr(0, 8), "SELECT 0");
  messages = Send(Query("SELECT name FROM shop.items WHERE id = '7'"));
  ASSERT_EQ(Types(messages), "TCZ");
  EXPECT_EQ(messages[1].body.substr(0, 8), "SELECT 0");
  EXPECT_EQ(kept.lookups(), 5u);

  // What the kept rows cannot answer as DuckDB would runs in DuckDB: a key DuckDB casts (" 1",
  // "1e0"), one outside the column's type (an error), another clause, a transaction block.
  messages = Send(Query("SELECT price FROM shop.items WHERE id = ' 1'"));
  ASSERT_EQ(Types(messages), "TDCZ");
  EXPECT_EQ(messages[1].Column(0), "1.50");
  messages = Send(Parse("", "SELECT price FROM shop.items WHERE id = $1") +
                  Bind("", "", {"99999999999"}) + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "1EZ");
  EXPECT_EQ(messages[1].Field('C'), "22003");
  messages = Send(Query("SELECT price FROM shop.items WHERE id = 1 LIMIT 1"));
  EXPECT_EQ(messages[1].Column(0), "1.50");
  messages = Send(Query("BEGIN; SELECT price FROM shop.items WHERE id = 1; COMMIT"));
  ASSERT_EQ(Types(messages), "CTDCCZ");
  EXPECT_EQ(messages[2].Column(0), "1.50");
  EXPECT_EQ(kept.lookups(), 5u);

  // Rows given up (over their memory budget, say): the statement runs, a text made like a kept
  // one too.
  backend_.kept_items->GiveUp(backend_.kept_items->LockForWrite());
  messages = Send(Query("SELECT price FROM shop.items WHERE id = 1"));
  EXPECT_EQ(messages[1].Column(0), "1.50");
  messages = Send(Query("SELECT price, i.name FROM shop.items AS i WHERE 3 = id"));
  ASSERT_EQ(Types(messages), "TDCZ");
  EXPECT_EQ(messages[1].Column(1), "pad");
  // Rows kept anew (a redeploy reopened the product's store): statements kept find them.
  backend_.kept_items =
      backend_.KeepItems("SELECT id, name, 7.77::DECIMAL(10,2) AS price FROM raw_items");
  messages = Send(Query("SELECT price FROM shop.items WHERE id = 1"));
  ASSERT_EQ(Types(messages), "TDCZ");
  EXPECT_EQ(messages[1].Column(0), "7.77");
  messages = Send(Parse("", "SELECT price FROM shop.items WHERE id = $1") + Bind("", "", {"2"}) +
                  Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "12DCZ");
  EXPECT_EQ(messages[2].Column(0), "7.77");
}

// A SELECT of literals gives the same row every time; it is made once and sent again, in
// every protocol and format, while anything that is computed runs each time.
TEST_F(PgSessionTest, ASelectOfLiteralsAnswersItsRowEachTime) {
  SignIn();
  for (int run = 0; run < 2; ++run) {
    std::vector<Message> messages = Send(Query("SELECT 1 AS one, 'x' AS two, NULL AS three"));
    ASSERT_EQ(Types(messages), "TDCZ");
    EXPECT_EQ(messages[1].Column(0), "1");
    EXPECT_EQ(messages[1].Column(1), "x");
    EXPECT_EQ(messages[1].Column(2), "NULL");
    messages = Send(Parse("one", "SELECT 1") + Bind("", "one", {}) + Execute("", 0) + Sync());
    ASSERT_EQ(Types(messages), "12DCZ");
    EXPECT_EQ(messages[2].Column(0), "1");
    EXPECT_EQ(messages[3].body.substr(0, 8), "SELECT 1");
    Send(Typed('C', "S" + CString("one")) + Sync());  // Close, so that the next run parses it again
  }
  // A binary result: int4 1.
  std::string bind =
      Typed('B', CString("") + CString("") + Int16(0) + Int16(0) + Int16(1) + Int16(1));
  std::vector<Message> messages = Send(Parse("", "SELECT 1") + bind + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "12DCZ");
  EXPECT_EQ(messages[2].body.substr(2), Int32(4) + Int32(1));
  // Computed values are not literals: two runs of random() differ.
  messages = Send(Query("SELECT random()"));
  std::vector<Message> again = Send(Query("SELECT random()"));
  ASSERT_EQ(Types(messages), "TDCZ");
  EXPECT_NE(messages[1].Column(0), again[1].Column(0));
}

TEST_F(PgSessionTest, CopyEscapesTextAndQuotesCsvAsPostgreSQL) {
  SignIn();
  const std::string values =
      "SELECT 'a\\b' || chr(9) || 'c' AS tricky, '' AS empty, NULL::VARCHAR AS missing, "
      "'x\"y' AS quoted, 'p;q' AS delimited, CAST(-12.5 AS DECIMAL(10,2)) AS amount, "
      "CAST(0.001 AS DECIMAL(10,3)) AS small, DATE '2024-02-29' AS day";
  std::vector<Message> messages = Send(Query("COPY (" + values + ") TO STDOUT"));
  EXPECT_EQ(Types(messages), "HdcCZ");
  EXPECT_EQ(CopiedText(messages), "a\\\\b\\tc\t\t\\N\tx\"y\tp;q\t-12.50\t0.001\t2024-02-29\n");
  messages = Send(Query("COPY (" + values + ") TO STDOUT (FORMAT csv, DELIMITER ';')"));
  EXPECT_EQ(CopiedText(messages), "a\\b\tc;\"\";;\"x\"\"y\";\"p;q\";-12.50;0.001;2024-02-29\n");
  messages = Send(Query("COPY (SELECT 1 AS one, 2 AS two) TO STDOUT WITH CSV HEADER"));
  EXPECT_EQ(CopiedText(messages), "one,two\n1,2\n");
  messages = Send(Query("COPY (SELECT 1) TO STDOUT (FORMAT csv, DELIMITER '::')"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("single one-byte character"));
}

// PostgreSQL text cannot hold a NUL byte, and clients read text as C strings: a value with one
// is an error naming the column, in every format, never a value cut short.
TEST_F(PgSessionTest, TextWithANulCharacterIsAnErrorNamingTheColumn) {
  SignIn();
  const std::string nul = "SELECT 1 AS ok, 'a' || chr(0) || 'b' AS joined";
  std::vector<Message> messages = Send(Query(nul));
  ASSERT_EQ(Types(messages), "TEZ");
  EXPECT_EQ(messages[1].Field('C'), "54000");
  EXPECT_THAT(messages[1].Field('M'), HasSubstr("null character not permitted"));
  EXPECT_THAT(messages[1].Field('M'), HasSubstr("column \"joined\" of row 1"));
  // The rows before it are sent; the one holding it is not.
  messages =
      Send(Query("SELECT CASE WHEN i = 3 THEN 'x' || chr(0) ELSE 'x' END AS v "
                 "FROM range(1, 5) t(i) ORDER BY i"));
  ASSERT_EQ(Types(messages), "TDDEZ");
  EXPECT_THAT(messages[3].Field('M'), HasSubstr("of row 3"));
  // An element of a text array.
  messages = Send(Query("SELECT ['a', chr(0)] AS list"));
  ASSERT_EQ(Types(messages), "TEZ");
  EXPECT_EQ(messages[1].Field('C'), "54000");
  // Binary results, through the extended protocol.
  std::string binary_bind =
      Typed('B', CString("") + CString("") + Int16(0) + Int16(0) + Int16(1) + Int16(1));
  messages = Send(Parse("", nul) + binary_bind + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "12EZ");
  EXPECT_EQ(messages[2].Field('C'), "54000");
  // COPY, in each format.
  for (std::string_view format : {"text", "csv", "binary"}) {
    messages = Send(Query(fmt::format("COPY ({}) TO STDOUT (FORMAT {})", nul, format)));
    ASSERT_EQ(Types(messages), "HEZ") << format;
    EXPECT_EQ(messages[1].Field('C'), "54000") << format;
    EXPECT_THAT(messages[1].Field('M'), HasSubstr("\"joined\"")) << format;
  }
  EXPECT_EQ(Types(Send(Query("SELECT 'ab' AS fine"))), "TDCZ");
}

TEST_F(PgSessionTest, CopyWritesNullAsAskedAndQuotesWhatForceQuoteNames) {
  SignIn();
  const std::string values = "(SELECT 1 AS a, NULL AS b, 'NULL' AS c, 'x' AS \"D\")";
  std::vector<Message> messages =
      Send(Query("COPY " + values + " TO STDOUT WITH (FORMAT csv, NULL 'NULL')"));
  EXPECT_EQ(CopiedText(messages), "1,NULL,\"NULL\",x\n");
  messages = Send(Query("COPY " + values + " TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"));
  EXPECT_EQ(CopiedText(messages), "\"1\",,\"NULL\",\"x\"\n");
  messages = Send(Query("COPY " + values + " TO STDOUT CSV FORCE QUOTE a, \"D\""));
  EXPECT_EQ(CopiedText(messages), "\"1\",,NULL,\"x\"\n");
  messages =
      Send(Query("COPY (SELECT 'it''s' AS a) TO STDOUT (FORMAT csv, QUOTE '''', ESCAPE '\\')"));
  EXPECT_EQ(CopiedText(messages), "'it\\'s'\n");
  messages = Send(Query("COPY " + values + " TO STDOUT (NULL 'ZZ')"));
  EXPECT_EQ(CopiedText(messages), "1\tZZ\tNULL\tx\n");
  messages = Send(Query("COPY shop.items (id, name) TO STDOUT WITH CSV HEADER"));
  ASSERT_EQ(Types(messages), "HddddcCZ") << messages[0].Field('M');
  EXPECT_EQ(CopiedText(messages), "id,name\n1,pen\n2,ink\n3,pad\n");

  messages = Send(Query("COPY " + values + " TO STDOUT (FORMAT csv, FORCE_QUOTE (nope))"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("FORCE_QUOTE column \"nope\""));
  messages = Send(Query("COPY " + values + " TO STDOUT (FORMAT json)"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "22023");
  messages = Send(Query("COPY " + values + " TO STDOUT (bogus 1)"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "42601");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("\"bogus\""));
  messages = Send(Query("COPY shop.items FROM STDIN"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "0A000");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("read-only"));
}

TEST_F(PgSessionTest, ARepeatedQueryReadsTheDataAndTablesOfEachRun) {
  SignIn();
  const std::string count = "SELECT count(*) FROM shop.items";
  EXPECT_EQ(Send(Query(count))[1].Column(0), "3");
  // New rows: the statement prepared for the first run sees them.
  ASSERT_OK(backend_.Execute("INSERT INTO raw_items VALUES (4, 'cap', 0.75)"));
  EXPECT_EQ(Send(Query(count))[1].Column(0), "4");
  // The table resolves to other SQL (a redeploy, a new grant): the text is prepared again.
  backend_.items_sql = "SELECT * FROM raw_items WHERE price > 1";
  EXPECT_EQ(Send(Query(count))[1].Column(0), "3");
  // The same for a statement prepared with Parse and bound again.
  std::vector<Message> messages =
      Send(Parse("s", count) + Bind("", "s", {}) + Execute("", 0) + Sync());
  EXPECT_EQ(Types(messages), "12DCZ");
  EXPECT_EQ(messages[2].Column(0), "3");
  backend_.items_sql = "SELECT * FROM raw_items";
  messages = Send(Bind("", "s", {}) + Execute("", 0) + Sync());
  EXPECT_EQ(Types(messages), "2DCZ");
  EXPECT_EQ(messages[1].Column(0), "4");
}

// The type OID of field `index` of a RowDescription.
std::uint32_t FieldType(const Message& row_description, int index) {
  std::size_t at = 2;
  for (int field = 0;; ++field) {
    at = row_description.body.find('\0', at) + 1 + 4 + 2;  // name, table OID, column number
    std::uint32_t oid;
    std::memcpy(&oid, row_description.body.data() + at, 4);
    if (field == index) return ntohl(oid);
    at += 4 + 2 + 4 + 2;  // type OID, size, modifier, format
  }
}

// shop.items resolves to the same SQL as before, but its table now has other columns: only a
// statement prepared anew sees them.
const char kReplaceItemsTable[] =
    "DROP TABLE raw_items; CREATE TABLE raw_items (id INTEGER, name VARCHAR, price VARCHAR); "
    "INSERT INTO raw_items VALUES (1, 'pen', 'cheap')";

TEST_F(PgSessionTest, DiscardAllForgetsNamedStatementsAndWhatWasPreparedFromTexts) {
  SignIn();
  const std::string price = "SELECT price FROM shop.items WHERE id = 1";
  ASSERT_EQ(Types(Send(Parse("s", price) + Sync())), "1Z");
  std::vector<Message> messages = Send(Query(price));
  ASSERT_EQ(Types(messages), "TDCZ");
  EXPECT_EQ(FieldType(messages[0], 0), 1700u);  // numeric
  EXPECT_EQ(messages[1].Column(0), "1.50");
  ASSERT_OK(backend_.Execute(kReplaceItemsTable));

  messages = Send(Query("DISCARD ALL"));
  ASSERT_EQ(Types(messages), "CZ");
  EXPECT_EQ(messages[0].body, std::string("DISCARD ALL") + '\0');
  messages = Send(Bind("", "s", {}) + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "26000");
  EXPECT_EQ(messages[0].Field('M'), "prepared statement \"s\" does not exist");
  // The text is planned again, over the table as it is now.
  messages = Send(Query(price));
  ASSERT_EQ(Types(messages), "TDCZ") << messages[0].Field('M');
  EXPECT_EQ(FieldType(messages[0], 0), 25u);  // text
  EXPECT_EQ(messages[1].Column(0), "cheap");
  // The name is free again.
  EXPECT_EQ(Types(Send(Parse("s", price) + Sync())), "1Z");
}

TEST_F(PgSessionTest, DeallocateAllForgetsNamedStatementsAndWhatWasPreparedFromTexts) {
  SignIn();
  const std::string price = "SELECT price FROM shop.items WHERE id = 1";
  ASSERT_EQ(Types(Send(Parse("s", price) + Sync())), "1Z");
  ASSERT_EQ(Send(Query(price))[1].Column(0), "1.50");
  ASSERT_OK(backend_.Execute(kReplaceItemsTable));

  std::vector<Message> messages = Send(Query("DEALLOCATE ALL"));
  ASSERT_EQ(Types(messages), "CZ");
  messages = Send(Query("DEALLOCATE s"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "26000");
  messages = Send(Describe('S', "s") + Sync());
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "26000");
  messages = Send(Query(price));
  ASSERT_EQ(Types(messages), "TDCZ") << messages[0].Field('M');
  EXPECT_EQ(messages[1].Column(0), "cheap");
}

TEST_F(PgSessionTest, AStatementWhoseTableWasReplacedFailsOnceAndIsPreparedAgain) {
  SignIn();
  const std::string price = "SELECT price FROM shop.items WHERE id = 1";
  ASSERT_EQ(Types(Send(Parse("s", price) + Sync())), "1Z");
  ASSERT_EQ(Send(Query(price))[1].Column(0), "1.50");
  ASSERT_OK(backend_.Execute(kReplaceItemsTable));

  // Never the text's bytes read as a number: PostgreSQL's error for the same case.
  std::vector<Message> messages = Send(Query(price));
  ASSERT_EQ(Types(messages), "TEZ");
  EXPECT_EQ(messages[1].Field('C'), "0A000");
  EXPECT_THAT(messages[1].Field('M'), HasSubstr("cached plan must not change result type"));
  messages = Send(Query(price));
  ASSERT_EQ(Types(messages), "TDCZ") << messages[0].Field('M');
  EXPECT_EQ(messages[1].Column(0), "cheap");
  // A named statement keeps failing until it is prepared again.
  messages = Send(Bind("", "s", {}) + Execute("", 0) + Sync());
  EXPECT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "0A000");
  messages = Send(Typed('C', "Ss" + std::string(1, '\0')) + Parse("s", price) + Bind("", "s", {}) +
                  Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "312DCZ") << messages[0].Field('M');
  EXPECT_EQ(messages[3].Column(0), "cheap");
}

TEST_F(PgSessionTest, DiscardTakesPostgreSQLsForms) {
  SignIn();
  std::vector<Message> messages = Send(Query("DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES"));
  ASSERT_EQ(Types(messages), "CCCZ");
  EXPECT_EQ(messages[0].body, std::string("DISCARD PLANS") + '\0');
  EXPECT_EQ(messages[1].body, std::string("DISCARD TEMP") + '\0');
  messages = Send(Query("DISCARD everything"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "42601");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("DISCARD takes ALL, PLANS, SEQUENCES or TEMP"));
}

TEST_F(PgSessionTest, ARefusedStatementIsAnErrorAndTheSessionGoesOn) {
  SignIn();
  std::vector<Message> messages = Send(Query("DROP TABLE raw_items"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "0A000");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("DROP is not allowed"));
  messages = Send(Query("SELECT * FROM read_csv('/etc/passwd')"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "42501");
  EXPECT_EQ(messages[0].Field('P'), "15");
  messages = Send(Query("SELECT count(*) FROM raw_items"));
  EXPECT_EQ(messages[0].Field('C'), "42P01");
  messages = Send(Query("SELECT count(*) FROM shop.items"));
  EXPECT_EQ(Types(messages), "TDCZ");
}

TEST_F(PgSessionTest, AnExtendedQueryErrorSkipsToSync) {
  SignIn();
  std::vector<Message> messages =
      Send(Parse("", "SELECT nope FROM shop.items") + Bind("", "", {}) + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "42703");
  messages = Send(Parse("byid", "SELECT name FROM shop.items WHERE id = $1") +
                  Bind("", "byid", {"2"}) + Describe('P', "") + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "12TDCZ");
  EXPECT_EQ(messages[3].Column(0), "ink");
}

// Arrays as parameters, as psycopg 3, pgjdbc's setArray and asyncpg send them: PostgreSQL's
// literal in text, array_send's bytes in binary.
TEST_F(PgSessionTest, ArrayParametersBindAsListsInBothFormats) {
  SignIn();
  auto parse_int4_array = [](std::string_view name, std::string_view sql) {
    return Typed('P', CString(name) + CString(sql) + Int16(1) + Int32(1007));
  };
  std::vector<Message> messages =
      Send(parse_int4_array("any", "SELECT count(*) FROM shop.items WHERE id = ANY($1)") +
           Bind("", "any", {"{1,3,NULL}"}) + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "12DCZ") << messages[0].Field('M');
  EXPECT_EQ(messages[2].Column(0), "2");
  messages = Send(parse_int4_array("echo", "SELECT $1 AS a") + Bind("", "echo", {"{ 2 ,NULL}"}) +
                  Describe('P', "") + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "12TDCZ") << messages[0].Field('M');
  EXPECT_EQ(messages[3].Column(0), "{2,NULL}");
  // array_send of int4 {3, 1}: one dimension, no NULLs, element OID 23, length 2, lower bound 1.
  const std::string binary = Int32(1) + Int32(0) + Int32(23) + Int32(2) + Int32(1) + Int32(4) +
                             Int32(3) + Int32(4) + Int32(1);
  const std::string bind_binary =
      Typed('B', CString("") + CString("any") + Int16(1) + Int16(1) + Int16(1) +
                     Int32(binary.size()) + binary + Int16(0));
  messages = Send(bind_binary + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "2DCZ") << messages[0].Field('M');
  EXPECT_EQ(messages[1].Column(0), "2");
  // An element that is no integer is the client's data, named by parameter and element.
  messages = Send(Bind("", "any", {"{1,x}"}) + Execute("", 0) + Sync());
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "22023");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("parameter $1: array element 2"));
}

TEST_F(PgSessionTest, AFunctionCallIsRefusedAndTheSessionIsReadyAgain) {
  SignIn();
  // FunctionCall of OID 1598 (random), no argument formats, no arguments, a text result.
  const std::string call = Typed('F', Int32(1598) + Int16(0) + Int16(0) + Int16(0));
  std::vector<Message> messages = Send(call);
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "0A000");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("function call interface is not supported"));
  EXPECT_EQ(messages[1].body, "I");
  // Nothing waits for a Sync: the next query is answered.
  messages = Send(Query("SELECT 1"));
  EXPECT_EQ(Types(messages), "TDCZ");
  // Inside a transaction block the refusal fails the transaction, as any error does.
  messages = Send(Query("BEGIN") + call);
  ASSERT_EQ(Types(messages), "CZEZ");
  EXPECT_EQ(messages[3].body, "E");
}

TEST_F(PgSessionTest, AnExecuteRowLimitSuspendsThePortal) {
  SignIn();
  std::vector<Message> messages =
      Send(Parse("", "SELECT id FROM shop.items ORDER BY id") + Bind("p", "", {}) +
           Execute("p", 2) + Execute("p", 2) + Sync());
  ASSERT_EQ(Types(messages), "12DDsDCZ") << messages.back().Field('M');
  EXPECT_EQ(messages[5].Column(0), "3");
  EXPECT_EQ(messages[6].body.substr(0, 8), "SELECT 3");
}

TEST_F(PgSessionTest, BytesMayArriveOneAtATime) {
  std::string bytes = Startup("dev") + Query("SELECT 41 + 1 AS answer");
  std::vector<Message> messages;
  for (char byte : bytes) {
    std::vector<Message> more = Send(std::string(1, byte));
    messages.insert(messages.end(), more.begin(), more.end());
  }
  std::string types = Types(messages);
  EXPECT_EQ(types.substr(types.size() - 4), "TDCZ");
  EXPECT_EQ(messages[messages.size() - 3].Column(0), "42");
}

TEST_F(PgSessionTest, AMalformedMessageClosesTheSessionWithAFatalError) {
  SignIn();
  PgSession::Step step;
  std::vector<Message> messages = Send(std::string("Q") + Int32(2), &step);
  ASSERT_EQ(Types(messages), "E");
  EXPECT_EQ(messages[0].Field('S'), "FATAL");
  EXPECT_EQ(messages[0].Field('C'), "08P01");
  EXPECT_EQ(step, PgSession::Step::kClose);
}

TEST_F(PgSessionTest, SessionFunctionsAnswerTheUserAndDatabaseOfTheConnection) {
  SignIn();  // as dev, to the database quanta
  std::vector<Message> messages =
      Send(Query("SELECT current_database(), current_schema(), current_user, session_user, user"));
  ASSERT_EQ(Types(messages), "TDCZ") << messages[0].Field('M');
  EXPECT_EQ(messages[1].Column(0), "quanta");
  EXPECT_EQ(messages[1].Column(1), "public");
  EXPECT_EQ(messages[1].Column(2), "dev");
  EXPECT_EQ(messages[1].Column(3), "dev");
  EXPECT_EQ(messages[1].Column(4), "dev");
}

// SET statement_timeout lowers the node's timeout for the session, never raises it; 0 and
// RESET go back to the node's.
TEST_F(PgSessionTest, StatementTimeoutIsTheSmallerOfTheSessionsAndTheNodes) {
  PgSessionOptions options;
  options.statement_timeout = std::chrono::seconds(5);
  PgSession session(backend_, options);
  auto send = [&](const std::string& bytes) {
    session.Feed(bytes);
    std::string out;
    while (session.Run(&out) == PgSession::Step::kOutput) {
    }
    return Split(out);
  };
  ASSERT_EQ(send(Startup("dev")).back().type, 'Z');
  EXPECT_EQ(session.statement_timeout(), std::chrono::seconds(5));
  EXPECT_EQ(Types(send(Query("SET statement_timeout = '1s'"))), "CZ");
  EXPECT_EQ(session.statement_timeout(), std::chrono::seconds(1));
  EXPECT_EQ(send(Query("SHOW statement_timeout"))[1].Column(0), "1s");
  EXPECT_EQ(Types(send(Query("SET statement_timeout TO 250"))), "CZ");
  EXPECT_EQ(session.statement_timeout(), std::chrono::milliseconds(250));
  EXPECT_EQ(Types(send(Query("SET statement_timeout = '1.5min'"))), "CZ");
  EXPECT_EQ(session.statement_timeout(), std::chrono::seconds(5));
  send(Query("SET statement_timeout = '2s'"));
  EXPECT_EQ(Types(send(Query("SET statement_timeout = 0"))), "CZ");
  EXPECT_EQ(session.statement_timeout(), std::chrono::seconds(5));
  send(Query("SET statement_timeout = '2s'"));
  EXPECT_EQ(Types(send(Query("RESET statement_timeout"))), "CZ");
  EXPECT_EQ(session.statement_timeout(), std::chrono::seconds(5));
  send(Query("SET statement_timeout = '2s'"));
  EXPECT_EQ(Types(send(Query("DISCARD ALL"))), "CZ");
  EXPECT_EQ(session.statement_timeout(), std::chrono::seconds(5));
  std::vector<Message> messages = send(Query("SET statement_timeout = 'soon'"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "22023");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("invalid value for parameter"));
  messages = send(Query("SET statement_timeout = '3 weeks'"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("valid units for this parameter"));
  EXPECT_EQ(session.statement_timeout(), std::chrono::seconds(5));

  // A node without a timeout takes the session's.
  PgSession unlimited(backend_, PgSessionOptions{});
  unlimited.Feed(Startup("dev") + Query("SET statement_timeout = '20ms'"));
  std::string out;
  while (unlimited.Run(&out) == PgSession::Step::kOutput) {
  }
  EXPECT_EQ(unlimited.statement_timeout(), std::chrono::milliseconds(20));
}

// What docs/sql-port.md says of division by zero: DuckDB's arithmetic, not PostgreSQL's 22012.
TEST_F(PgSessionTest, DivisionByZeroIsDuckDbsInfinityOrNullNotAnError) {
  SignIn();
  std::vector<Message> messages = Send(Query("SELECT 1/0, -1/0, 0/0, 1//0, 1 % 0, mod(1, 0)"));
  ASSERT_EQ(Types(messages), "TDCZ") << messages[0].Field('M');
  EXPECT_EQ(messages[1].Column(0), "Infinity");
  EXPECT_EQ(messages[1].Column(1), "-Infinity");
  EXPECT_EQ(messages[1].Column(2), "NaN");
  EXPECT_EQ(messages[1].Column(3), "NULL");
  EXPECT_EQ(messages[1].Column(4), "NULL");
  EXPECT_EQ(messages[1].Column(5), "NULL");
}

TEST_F(PgSessionTest, SessionCommandsAreAnsweredWithoutTheEngine) {
  SignIn();
  std::vector<Message> messages =
      Send(Query("SET application_name = 'report'; SHOW application_name; BEGIN; "
                 "SELECT 1; COMMIT"));
  EXPECT_EQ(Types(messages), "SCTDCCTDCCZ");
  EXPECT_EQ(messages[3].Column(0), "report");
  messages = Send(Query("SET threads = 1"));
  EXPECT_EQ(messages[0].Field('C'), "0A000");
  messages = Send(Query("SET TimeZone = 'Europe/Paris'"));
  EXPECT_EQ(messages[0].Field('C'), "0A000");
}

// A setting is applied or refused, naming it and what works; never kept and ignored.
TEST_F(PgSessionTest, SettingsAreAppliedOrRefusedAsPostgresNamesThem) {
  SignIn();
  std::vector<Message> messages = Send(Query("SHOW no_such_setting"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "42704");
  EXPECT_EQ(messages[0].Field('M'), "unrecognized configuration parameter \"no_such_setting\"");
  EXPECT_EQ(Send(Query("RESET no_such_setting"))[0].Field('C'), "42704");
  messages = Send(Query("SET work_mem = '1GB'"));
  EXPECT_EQ(messages[0].Field('C'), "0A000");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("\"work_mem\" is not available"));
  messages = Send(Query("SET datestyle = 'SQL, DMY'"));
  EXPECT_EQ(messages[0].Field('C'), "0A000");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("'ISO, MDY'"));
  EXPECT_EQ(Send(Query("SET DateStyle = 'Foo'"))[0].Field('C'), "22023");
  messages = Send(Query("SET DateStyle = ISO; SHOW datestyle"));
  ASSERT_EQ(Types(messages), "CTDCZ");                    // the same value: no ParameterStatus
  EXPECT_EQ(messages[1].body.substr(2, 9), "DateStyle");  // the column as PostgreSQL names it
  EXPECT_EQ(messages[2].Column(0), "ISO, MDY");
  messages = Send(Query("SET extra_float_digits = 0"));
  EXPECT_EQ(messages[0].Field('C'), "0A000");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("set 1, 2 or 3"));
  EXPECT_EQ(Send(Query("SET extra_float_digits = 4"))[0].Field('C'), "22023");
  EXPECT_EQ(Types(Send(Query("SET extra_float_digits = 3"))), "CZ");  // as JDBC sends it
  EXPECT_EQ(Send(Query("SHOW extra_float_digits"))[1].Column(0), "3");
}

// As in PostgreSQL: a block that rolls back undoes its SETs, and SET LOCAL ends with its block.
TEST_F(PgSessionTest, SettingsFollowTheTransactionBlock) {
  SignIn();
  auto show = [&](const char* name) {
    return Send(Query(std::string("SHOW ") + name))[1].Column(0);
  };
  Send(Query("BEGIN"));
  Send(Query("SET application_name = 'inside'"));
  EXPECT_EQ(show("application_name"), "inside");
  std::vector<Message> messages = Send(Query("ROLLBACK"));
  ASSERT_EQ(Types(messages), "SCZ");  // the reported setting changes back: ParameterStatus
  EXPECT_EQ(show("application_name"), "");
  Send(Query("BEGIN"));
  Send(Query("SET application_name = 'kept'"));
  Send(Query("COMMIT"));
  EXPECT_EQ(show("application_name"), "kept");

  Send(Query("BEGIN"));
  EXPECT_EQ(Types(Send(Query("SET LOCAL search_path = shop"))), "CZ");
  EXPECT_EQ(Types(Send(Query("SELECT count(*) FROM items"))), "TDCZ");
  Send(Query("COMMIT"));
  EXPECT_EQ(show("search_path"), "\"$user\", public");
  EXPECT_EQ(Send(Query("SELECT count(*) FROM items"))[0].Field('C'), "42P01");

  // Outside a block SET LOCAL warns and changes nothing.
  messages = Send(Query("SET LOCAL search_path = shop"));
  ASSERT_EQ(Types(messages), "NCZ");
  EXPECT_EQ(messages[0].Field('C'), "25P01");
  EXPECT_EQ(show("search_path"), "\"$user\", public");

  // A Query of several statements is a block of its own: it fails whole.
  Send(Query("SET application_name = 'gone'; SELECT * FROM shop.nosuch"));
  EXPECT_EQ(show("application_name"), "kept");
}

TEST_F(PgSessionTest, SearchPathResolvesTablesNamedWithoutASchema) {
  SignIn();
  EXPECT_EQ(Send(Query("SELECT count(*) FROM items"))[0].Field('C'), "42P01");
  EXPECT_EQ(Types(Send(Query("SET search_path = shop"))), "CZ");
  EXPECT_EQ(Types(Send(Query("SELECT count(*) FROM items"))), "TDCZ");
  EXPECT_EQ(Types(Send(Query("SET search_path TO DEFAULT"))), "CZ");
  EXPECT_EQ(Send(Query("SHOW search_path"))[1].Column(0), "\"$user\", public");
  EXPECT_EQ(Send(Query("SELECT count(*) FROM items"))[0].Field('C'), "42P01");
}

TEST_F(PgSessionTest, StartupOptionsAreSetOrEndTheConnection) {
  std::vector<Message> messages = Send(StartupWithOptions("dev", "-c search_path=shop"));
  ASSERT_EQ(messages.back().type, 'Z');
  EXPECT_EQ(Types(Send(Query("SELECT count(*) FROM items"))), "TDCZ");
}

TEST_F(PgSessionTest, AStartupOptionThatCannotBeHonouredIsFatal) {
  std::vector<Message> messages = Send(StartupWithOptions("dev", "-c DateStyle=German"));
  ASSERT_EQ(messages.back().type, 'E');
  EXPECT_EQ(messages.back().Field('S'), "FATAL");
  EXPECT_EQ(messages.back().Field('C'), "0A000");
  EXPECT_THAT(messages.back().Field('M'), HasSubstr("DateStyle"));
}

// psql shows the position under the whole query it sent, not under one statement of it.
TEST_F(PgSessionTest, ErrorPositionsCountInTheWholeQuery) {
  SignIn();
  std::vector<Message> messages = Send(Query("SELECT 1; SELECT missing FROM shop.items"));
  ASSERT_EQ(Types(messages), "TDCEZ");
  EXPECT_EQ(messages[3].Field('C'), "42703");
  EXPECT_EQ(messages[3].Field('P'), "18");
  // After a spelling rewritten for DuckDB, the position is still the client's.
  messages = Send(Query("SELECT '{1,2}'::int[] AS a, missing FROM shop.items"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('P'), "29");
  // A syntax error anywhere stops the whole Query before it runs, as PostgreSQL parses it all
  // first; the position still counts in the whole Query.
  messages = Send(Query("SELECT 1; SELEC 2"));
  ASSERT_EQ(Types(messages), "EZ");
  EXPECT_EQ(messages[0].Field('C'), "42601");
  EXPECT_EQ(messages[0].Field('P'), "11");
  messages = Send(Query("SELECT 'é'; SELECT * FROM read_csv('/etc/passwd')"));
  EXPECT_EQ(messages[3].Field('C'), "42501");
  EXPECT_EQ(messages[3].Field('P'), "27");  // characters, not bytes
  messages = Send(Query("SELECT 1; SELECT * FROM shop.nosuch"));
  EXPECT_EQ(messages[3].Field('P'), "25");
}

// PostgreSQL runs a Query of several statements as one implicit transaction block.
TEST_F(PgSessionTest, ACursorWithoutHoldLastsForTheQueryThatDeclaredIt) {
  SignIn();
  std::vector<Message> messages = Send(Query("DECLARE c CURSOR FOR SELECT 1 AS one; FETCH c"));
  ASSERT_EQ(Types(messages), "CTDCZ");
  EXPECT_EQ(messages[2].Column(0), "1");
  EXPECT_EQ(messages.back().body, "I");
  EXPECT_EQ(Send(Query("FETCH c"))[0].Field('C'), "34000");
  EXPECT_EQ(Send(Query("DECLARE c CURSOR FOR SELECT 1"))[0].Field('C'), "25P01");
  // WITH HOLD outlives a Query that succeeds, not one that fails.
  Send(Query("DECLARE h CURSOR WITH HOLD FOR SELECT 1; SELECT 2"));
  EXPECT_EQ(Types(Send(Query("FETCH h"))), "TDCZ");
  messages =
      Send(Query("DECLARE g CURSOR WITH HOLD FOR SELECT 1; SELECT missing FROM shop.items; "
                 "SELECT 3"));
  EXPECT_EQ(Types(messages), "CEZ");
  EXPECT_EQ(Send(Query("FETCH g"))[0].Field('C'), "34000");
}

std::string SaslInitial(std::string_view mechanism, std::string_view data) {
  return Typed(
      'p', CString(mechanism) + Int32(static_cast<std::int32_t>(data.size())) + std::string(data));
}

// A session on a node with a certificate, as PgServer runs it: the SSLRequest is answered 'S',
// the connection does the handshake and calls TlsStarted, and the session goes on.
class PgSessionOverTlsTest : public ::testing::Test {
 protected:
  static PgSessionOptions TlsOptions() {
    PgSessionOptions options;
    options.tls_available = true;
    options.tls_server_end_point = std::string(32, '\x42');
    return options;
  }
  PgSessionOverTlsTest() : session_(backend_, TlsOptions()) {}

  std::vector<Message> Send(const std::string& bytes) {
    session_.Feed(bytes);
    std::string out;
    PgSession::Step step;
    do {
      step = session_.Run(&out);
      if (session_.tls_requested()) {
        EXPECT_EQ(out, "S");
        out.clear();
        session_.TlsStarted();
        step = PgSession::Step::kOutput;
      }
    } while (step == PgSession::Step::kOutput);
    return Split(out);
  }
  // SSLRequest, answered 'S' (Send checks), then the startup message inside TLS.
  std::vector<Message> StartOverTls(std::string_view user) {
    EXPECT_TRUE(Send(Int32(8) + Int32(80877103)).empty());
    return Send(Startup(user));
  }
  // The mechanisms listed in an AuthenticationSASL body (int32 10, then NUL-ended names).
  static std::vector<std::string> Mechanisms(const Message& message) {
    std::vector<std::string> names;
    std::size_t at = 4;
    while (at < message.body.size() && message.body[at] != '\0') {
      std::size_t end = message.body.find('\0', at);
      names.push_back(message.body.substr(at, end - at));
      at = end + 1;
    }
    return names;
  }

  FakeBackend backend_;
  PgSession session_;
};

TEST_F(PgSessionOverTlsTest, OffersScramSha256PlusFirstOverTls) {
  std::vector<Message> messages = StartOverTls("mallory");
  ASSERT_EQ(Types(messages), "R");
  EXPECT_EQ(Mechanisms(messages[0]),
            (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
}

TEST_F(PgSessionTest, OffersOnlyScramSha256WithoutTls) {
  PgSessionOptions options;
  options.tls_available = true;  // the node could, but this client did not ask for TLS
  options.tls_server_end_point = std::string(32, '\x42');
  PgSession plain(backend_, options);
  plain.Feed(Startup("mallory"));
  std::string out;
  while (plain.Run(&out) == PgSession::Step::kOutput) {
  }
  std::vector<Message> messages = Split(out);
  ASSERT_EQ(Types(messages), "R");
  EXPECT_EQ(messages[0].body.substr(4), std::string("SCRAM-SHA-256\0\0", 15));
  // Choosing -PLUS anyway is a protocol violation that says why.
  plain.Feed(SaslInitial("SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc"));
  out.clear();
  EXPECT_EQ(plain.Run(&out), PgSession::Step::kClose);
  messages = Split(out);
  ASSERT_EQ(Types(messages), "E");
  EXPECT_EQ(messages[0].Field('S'), "FATAL");
  EXPECT_EQ(messages[0].Field('C'), "08P01");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("needs a TLS connection"));
}

TEST_F(PgSessionOverTlsTest, AClientThatSaysYOverTlsIsRefusedWith08P01) {
  ASSERT_EQ(Types(StartOverTls("mallory")), "R");
  std::vector<Message> messages = Send(SaslInitial("SCRAM-SHA-256", "y,,n=,r=abc"));
  ASSERT_EQ(Types(messages), "E");
  EXPECT_EQ(messages[0].Field('C'), "08P01");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("SCRAM channel binding negotiation error"));
  EXPECT_FALSE(session_.ready());
}

TEST_F(PgSessionOverTlsTest, BindingDataOfAnotherCertificateIsRefusedWith28000) {
  ASSERT_EQ(Types(StartOverTls("mallory")), "R");
  std::vector<Message> messages =
      Send(SaslInitial("SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc"));
  ASSERT_EQ(Types(messages), "R");  // AuthenticationSASLContinue
  std::string server_first = messages[0].body.substr(4);
  std::string nonce = server_first.substr(2, server_first.find(',') - 2);
  // base64("p=tls-server-end-point,," + 32 bytes of 'A'): not the node's certificate hash.
  std::string final =
      "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=,r=" + nonce +
      ",p=" + std::string(43, 'A') + "=";
  messages = Send(Typed('p', final));
  ASSERT_EQ(Types(messages), "E");
  EXPECT_EQ(messages[0].Field('C'), "28000");
  EXPECT_THAT(messages[0].Field('M'), HasSubstr("SCRAM channel binding check failed"));
}

TEST(SqlStateForTest, NamesDuckDbsBinderErrorsAsPostgresqlDoes) {
  auto state = [](const char* message) {
    return SqlStateFor(Status(ErrorCode::kQueryFailed, message));
  };
  EXPECT_EQ(state("Binder Error: column \"a\" must appear in the GROUP BY clause or must be part "
                  "of an aggregate function."),
            "42803");
  EXPECT_EQ(state("Binder Error: Could not choose a best candidate function for the function "
                  "call \"+(INTEGER, STRING_LITERAL)\"."),
            "42725");
  EXPECT_EQ(state("Binder Error: Ambiguous reference to column name \"id\" (use: \"a.id\" or "
                  "\"b.id\")"),
            "42702");
  EXPECT_EQ(state("Binder Error: Referenced column \"c\" not found in FROM clause!"), "42703");
  EXPECT_EQ(state("INTERRUPT Error: Interrupted!"), "57014");
}

}  // namespace
}  // namespace quanta::ports
