#include "query/consumer_sql.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <utility>

#include "testing/matchers.h"

namespace quanta::query {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Two "products" whose datasets are plain tables of an in-memory database.
class FixedTables : public TableResolver {
 public:
  Result<std::string> Resolve(std::string_view schema, std::string_view table,
                              const TableTime& time) override {
    last_time = time;
    std::string name = std::string(schema) + "." + std::string(table);
    ++resolved[name];
    if (name == "orders.orders") return "SELECT * FROM " + orders_source;
    if (name == "customers.demographics") return std::string("SELECT * FROM raw_customers");
    if (name == "orders.secret") return Status(ErrorCode::kPermissionDenied, "no grant");
    return Status::NotFound("no dataset {}", name);
  }
  std::map<std::string, int> resolved;
  TableTime last_time;
  std::string orders_source = "raw_orders";  ///< what orders.orders reads
};

class ConsumerSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, engine::Database::Open());
    ASSERT_OK_AND_ASSIGN(connection_, database_->Connect());
    ASSERT_OK(connection_->Execute(
        "CREATE TABLE raw_orders (order_id INTEGER, customer_id INTEGER, amount DOUBLE);"
        "INSERT INTO raw_orders VALUES (1, 10, 5.0), (2, 10, 7.5), (3, 20, 1.0);"
        "CREATE TABLE raw_customers (customer_id INTEGER, age_group VARCHAR);"
        "INSERT INTO raw_customers VALUES (10, '25-34'), (20, '35-44');"));
  }

  // Sandboxes `sql` and runs its single statement, returning the rows.
  Result<engine::QueryResult> Run(std::string_view sql) {
    QUANTA_ASSIGN_OR_RETURN(std::vector<SandboxedStatement> statements,
                            SandboxConsumerSql(*connection_, sql, tables_));
    if (statements.size() != 1) return Status::Internal("{} statements", statements.size());
    return connection_->Query(statements[0].sql);
  }

  Status Refusal(std::string_view sql, std::size_t* position = nullptr) {
    SandboxRefusal refusal;
    Result<std::vector<SandboxedStatement>> result =
        SandboxConsumerSql(*connection_, sql, tables_, &refusal);
    if (position) *position = refusal.position;
    if (result.ok())
      return Status::Internal("accepted: {}", result->empty() ? "" : (*result)[0].sql);
    return result.status();
  }

  std::unique_ptr<engine::Database> database_;
  std::unique_ptr<engine::Connection> connection_;
  FixedTables tables_;
};

TEST_F(ConsumerSqlTest, ReadsDatasetsByProductAndName) {
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       Run("SELECT c.age_group, sum(o.amount) AS total FROM orders.orders o "
                           "JOIN customers.demographics c USING (customer_id) "
                           "GROUP BY ALL ORDER BY 1"));
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0], "25-34");
  EXPECT_EQ(rows.rows[0][1], "12.5");
  EXPECT_EQ(rows.columns[1].name, "total");
}

TEST_F(ConsumerSqlTest, KeepsTheShapesOfAnalyticSql) {
  ASSERT_OK_AND_ASSIGN(
      engine::QueryResult rows,
      Run("WITH big AS (SELECT * FROM orders.orders WHERE amount > 2), "
          "ranked AS (SELECT order_id, rank() OVER (ORDER BY amount DESC) AS r FROM big) "
          "SELECT order_id FROM ranked WHERE r = 1 "
          "UNION ALL SELECT customer_id FROM customers.demographics "
          "WHERE customer_id IN (SELECT customer_id FROM orders.orders WHERE amount < 2) "
          "UNION ALL SELECT * FROM (VALUES (99)) v(x) ORDER BY 1"));
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[0][0], "2");
  EXPECT_EQ(rows.rows[1][0], "20");
  EXPECT_EQ(rows.rows[2][0], "99");
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM range(5) t(i), unnest([1, 2])"));
  EXPECT_EQ(rows.rows[0][0], "10");
  ASSERT_OK_AND_ASSIGN(rows, Run("FROM orders.orders SELECT max(order_id)"));
  EXPECT_EQ(rows.rows[0][0], "3");
}

TEST_F(ConsumerSqlTest, ACommonTableExpressionMayShadowADatasetName) {
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       Run("WITH orders AS (SELECT 42 AS x) SELECT x FROM orders"));
  EXPECT_EQ(rows.rows[0][0], "42");
  EXPECT_EQ(tables_.resolved.size(), 0u);
  // Out of the CTE's scope the bare name is no dataset.
  Status status = Refusal("SELECT (WITH t AS (SELECT 1) SELECT * FROM t), (SELECT * FROM t)");
  EXPECT_EQ(status.code(), ErrorCode::kNotFound) << status.message();
}

// "WITH c0 AS (SELECT 1 AS x), c1 AS (SELECT x + 1 AS x FROM c0), ... SELECT x FROM c<n-1>".
std::string ChainedCtes(std::size_t n, std::string_view as = "AS") {
  std::string sql = fmt::format("WITH c0 {} (SELECT 1 AS x)", as);
  for (std::size_t i = 1; i < n; ++i) {
    sql += fmt::format(", c{} {} (SELECT x + 1 AS x FROM c{})", i, as, i - 1);
  }
  return sql + fmt::format(" SELECT x FROM c{}", n - 1);
}

TEST_F(ConsumerSqlTest, RefusesMoreCommonTableExpressionsThanTheLimitBeforeParsing) {
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows, Run(ChainedCtes(kMaxNamedDefinitions)));
  EXPECT_EQ(rows.rows[0][0], std::to_string(kMaxNamedDefinitions));

  std::size_t position = 99;
  Status status = Refusal("SELECT 1; " + ChainedCtes(kMaxNamedDefinitions + 1), &position);
  EXPECT_EQ(status.code(), ErrorCode::kTooLarge) << status.message();
  EXPECT_THAT(status.message(), HasSubstr("defines 257 common table expressions or named "
                                          "windows (name AS (...)), more than the 256"));
  EXPECT_EQ(position, 11u);  // the second statement
  status = Refusal(ChainedCtes(kMaxNamedDefinitions + 1, "AS NOT /* x */ MATERIALIZED"));
  EXPECT_EQ(status.code(), ErrorCode::kTooLarge) << status.message();

  std::string deep = "SELECT 1";
  for (int i = 0; i < 1200; ++i) deep = "SELECT (" + deep + ")";
  status = Refusal(deep);
  EXPECT_EQ(status.code(), ErrorCode::kTooLarge) << status.message();
  EXPECT_THAT(status.message(), HasSubstr("Max expression depth limit of 1000 exceeded: "
                                          "expressions and subqueries nest deeper"));
  EXPECT_THAT(status.message(), Not(HasSubstr("SET max_expression_depth")));

  // Only definitions count: the same words in quotes, comments, names and casts do not.
  std::string quoted = "SELECT 'a AS (b)' AS \"x AS (y)\", CAST(1 AS INTEGER) AS alias_as /* AS (";
  for (std::size_t i = 0; i < kMaxNamedDefinitions; ++i) quoted += " AS (";
  ASSERT_OK_AND_ASSIGN(rows, Run(quoted + " */, $t$ AS ( $t$ AS d -- AS (\n"));
  EXPECT_EQ(rows.rows[0][0], "a AS (b)");
}

TEST_F(ConsumerSqlTest, PassesTimeTravelToTheResolver) {
  ASSERT_OK(Run("SELECT count(*) FROM orders.orders AT (VERSION => 2 + 1)").status());
  EXPECT_EQ(tables_.last_time.kind, TableTime::Kind::kVersion);
  EXPECT_EQ(tables_.last_time.version, 3);
  ASSERT_OK(Run("SELECT count(*) FROM orders.orders AT (TIMESTAMP => TIMESTAMPTZ '2026-11-30 "
                "12:00:00+00')")
                .status());
  EXPECT_EQ(tables_.last_time.kind, TableTime::Kind::kTimestamp);
  EXPECT_EQ(tables_.last_time.epoch_micros, 1796040000000000);
  Status status = Refusal("SELECT * FROM orders.orders AT (VERSION => 'soon')");
  EXPECT_EQ(status.code(), ErrorCode::kUsage) << status.message();
  status = Refusal("SELECT * FROM orders.orders AT (VERSION => (SELECT 1 FROM read_csv('x')))");
  EXPECT_EQ(status.code(), ErrorCode::kPermissionDenied) << status.message();
  // Never rounded to a version nobody asked for.
  for (std::string_view sql : {"SELECT * FROM orders.orders AT (VERSION => 1.5)",
                               "SELECT * FROM orders.orders AT (VERSION => 5 / 2)"}) {
    status = Refusal(sql);
    EXPECT_EQ(status.code(), ErrorCode::kUsage) << sql << ": " << status.message();
    EXPECT_THAT(status.message(), HasSubstr("needs a whole number")) << sql;
  }
  EXPECT_THAT(Refusal("SELECT * FROM orders.orders AT (VERSION => 1.5)").message(),
              HasSubstr("AT (VERSION => 1.5)"));
  ASSERT_OK(Run("SELECT count(*) FROM orders.orders AT (VERSION => 4.0)").status());
  EXPECT_EQ(tables_.last_time.version, 4);
  // A CTE has no history: the error says so instead of looking for a dataset.
  status = Refusal("WITH x AS (SELECT 1) SELECT * FROM x AT (VERSION => 1)");
  EXPECT_EQ(status.code(), ErrorCode::kNotSupported) << status.message();
  EXPECT_THAT(status.message(), HasSubstr("AT (...) applies to datasets"));
  EXPECT_THAT(status.message(), HasSubstr("\"x\" is a common table expression"));
}

TEST_F(ConsumerSqlTest, ResolvesTheTablesOfARepeatedStatementEveryTime) {
  // A client sending the same text again must see what its tables are now (a new version
  // committed, a product redeployed), and a refused text stays refused.
  const std::string sql = "SELECT count(*) FROM orders.orders";
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows, Run(sql));
  EXPECT_EQ(rows.rows[0][0], "3");
  ASSERT_OK(connection_->Execute("CREATE TABLE newer_orders AS SELECT * FROM raw_orders LIMIT 1"));
  tables_.orders_source = "newer_orders";
  ASSERT_OK_AND_ASSIGN(rows, Run(sql));
  EXPECT_EQ(rows.rows[0][0], "1");
  EXPECT_EQ(tables_.resolved["orders.orders"], 2);
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status status = Refusal("SELECT * FROM read_csv('/etc/passwd')");
    EXPECT_EQ(status.code(), ErrorCode::kPermissionDenied) << status.message();
    status = Refusal("SELECT * FROM orders.secret");
    EXPECT_EQ(status.code(), ErrorCode::kPermissionDenied) << status.message();
  }
}

TEST_F(ConsumerSqlTest, StatementsThatDifferOnlyInIntegersKeepTheirOwnValues) {
  // Such statements share one parse and rewrite (their integers stand in it as markers); each
  // must still run with its own numbers, wherever the rewrite put them.
  for (int id = 1; id <= 3; ++id) {
    ASSERT_OK_AND_ASSIGN(
        engine::QueryResult rows,
        Run(fmt::format("SELECT order_id, amount FROM orders.orders WHERE order_id = {}", id)));
    ASSERT_EQ(rows.rows.size(), 1u) << id;
    EXPECT_EQ(rows.rows[0][0], std::to_string(id));
  }
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       Run("SELECT 7 AS seven, 007, -5, 10 / 4, 2086400000, 1.5, 3e2, $t$ 5 $t$, "
                           "'order_id = 1' -- 9\n"));
  EXPECT_EQ(rows.rows[0],
            (std::vector<std::optional<std::string>>{"7", "7", "-5", "2.5", "2086400000", "1.5",
                                                     "300.0", " 5 ", "order_id = 1"}));
  EXPECT_EQ(rows.columns[1].type, "INTEGER");
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT order_id FROM orders.orders ORDER BY 1 DESC LIMIT 2 "
                                 "OFFSET 1"));
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0], "2");
  EXPECT_EQ(rows.rows[1][0], "1");
  // A type's modifiers cannot be markers: the statement is sandboxed as written.
  ASSERT_OK_AND_ASSIGN(
      rows, Run("SELECT CAST(amount AS DECIMAL(10, 2)) FROM orders.orders WHERE order_id = 2"));
  EXPECT_EQ(rows.rows[0][0], "7.50");
  // An integer the rewrite copies (a function answered by SQL that uses its argument twice).
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT pg_size_pretty(2048)"));
  EXPECT_EQ(rows.rows[0][0], "2048 bytes");

  // Names are located in the consumer's text, not in the one with markers.
  ASSERT_OK_AND_ASSIGN(
      std::vector<SandboxedStatement> statements,
      SandboxConsumerSql(*connection_, "SELECT 1; SELECT 22, order_idd FROM orders.orders",
                         tables_));
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_THAT(statements[1].sql, HasSubstr("22"));
  EXPECT_THAT(statements[1].sql, Not(HasSubstr("2086400")));
  auto named =
      std::find_if(statements[1].name_locations.begin(), statements[1].name_locations.end(),
                   [](const auto& entry) { return entry.first == "column:order_idd"; });
  ASSERT_NE(named, statements[1].name_locations.end());
  EXPECT_EQ(named->second, 21u);
}

TEST_F(ConsumerSqlTest, RefusesEveryStatementThatIsNotASelect) {
  for (std::string_view sql : {"INSERT INTO orders.orders VALUES (1, 1, 1)",
                               "UPDATE orders.orders SET amount = 0",
                               "DELETE FROM orders.orders",
                               "CREATE TABLE x (a INT)",
                               "DROP TABLE raw_orders",
                               "ATTACH '/tmp/x.duckdb' AS x",
                               "COPY raw_orders TO '/tmp/out.csv'",
                               "INSTALL httpfs",
                               "LOAD httpfs",
                               "SET threads = 1",
                               "PRAGMA version",
                               "CALL pragma_version()",
                               "EXPORT DATABASE '/tmp/x'",
                               "CHECKPOINT",
                               "DETACH x",
                               "USE x",
                               "CREATE SECRET (TYPE s3)",
                               "EXPLAIN SELECT 1",
                               "BEGIN",
                               "VACUUM"}) {
    Status status = Refusal(sql);
    EXPECT_EQ(status.code(), ErrorCode::kNotSupported) << sql << ": " << status.message();
    EXPECT_THAT(status.message(), HasSubstr("read-only")) << sql;
  }
  Status status = Refusal("  -- why\n/* not */ insert into orders.orders values (1, 2, 3)");
  EXPECT_THAT(status.message(), HasSubstr("INSERT is not allowed"));
  EXPECT_OK(connection_->Execute("SELECT count(*) FROM raw_orders"));
}

TEST_F(ConsumerSqlTest, RefusesFilesOtherDatabasesAndInternals) {
  for (std::string_view sql :
       {"SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_parquet('x.parquet')", "SELECT * FROM glob('/*')",
        "SELECT * FROM duckdb_tables()", "SELECT * FROM duckdb_settings()",
        "SELECT * FROM query('SELECT 1')", "SELECT current_setting('allowed_directories')",
        "SELECT * FROM read_text('/etc/hostname')", "SELECT * FROM pragma_database_list()",
        "SELECT 1 WHERE EXISTS (SELECT * FROM read_blob('/etc/shadow'))",
        "SELECT * FROM \"store:/data/x.duckdb\".history.orders", "SELECT secret.f()",
        "SELECT * FROM orders.secret", "SELECT * FROM quanta_held_rows(1)"}) {
    Status status = Refusal(sql);
    EXPECT_TRUE(status.code() == ErrorCode::kPermissionDenied ||
                status.code() == ErrorCode::kNotFound)
        << sql << ": " << status.ToString();
  }
  EXPECT_EQ(Refusal("SELECT * FROM information_schema.tables").code(), ErrorCode::kNotFound);
  EXPECT_EQ(Refusal("SELECT * FROM raw_orders").code(), ErrorCode::kNotFound);
}

// The sandbox's rewrite holds the store's file path, hidden columns, row filters and masks:
// no function may hand it, the plan, settings or the instance's counters back to the consumer.
TEST_F(ConsumerSqlTest, RefusesFunctionsThatRevealTheRewriteOrTheInstance) {
  for (std::string_view sql :
       {"SELECT current_query() FROM orders.orders", "SELECT CURRENT_QUERY()",
        "SELECT pg_catalog.current_query()", "SELECT current_query_id()",
        "SELECT current_transaction_id()", "SELECT current_connection_id()",
        "SELECT json_serialize_plan('SELECT * FROM raw_orders')", "SELECT get_block_size('memory')",
        "SELECT in_search_path('memory', 'main')", "SELECT stats(amount) FROM orders.orders",
        "SELECT nextval('s')", "SELECT currval('s')", "SELECT write_log('x')",
        "SELECT 1 WHERE length(current_query()) > 0"}) {
    Status status = Refusal(sql);
    EXPECT_EQ(status.code(), ErrorCode::kPermissionDenied) << sql << ": " << status.ToString();
    EXPECT_THAT(status.message(), HasSubstr("is not available to consumer queries")) << sql;
  }
  EXPECT_THAT(Refusal("SELECT current_query()").message(),
              HasSubstr("current_query() is not available to consumer queries: it reveals the "
                        "query as rewritten to run"));
}

// PostgreSQL's session functions name the principal and the database it connected to, not
// DuckDB's duckdb, memory and main; a quoted "user" stays a column.
TEST_F(ConsumerSqlTest, SessionFunctionsNameThePrincipalAndDatabase) {
  SessionNames session{"analyst", "sales", {}};
  ASSERT_OK_AND_ASSIGN(
      std::vector<SandboxedStatement> statements,
      SandboxConsumerSql(*connection_,
                         "SELECT current_user, session_user, user, CURRENT_ROLE, current_catalog, "
                         "current_database(), pg_catalog.current_schema(), current_schema, "
                         "current_schemas(true), current_schemas(false) "
                         "FROM orders.orders WHERE current_user = 'analyst' LIMIT 1",
                         tables_, nullptr, session));
  ASSERT_EQ(statements.size(), 1u);
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows, connection_->Query(statements[0].sql));
  ASSERT_EQ(rows.rows.size(), 1u);
  std::vector<std::string> values, names;
  for (std::size_t c = 0; c < rows.columns.size(); ++c) {
    values.push_back(rows.rows[0][c].value_or("NULL"));
    names.push_back(rows.columns[c].name);
  }
  EXPECT_EQ(values,
            (std::vector<std::string>{"analyst", "analyst", "analyst", "analyst", "sales", "sales",
                                      "public", "public", "[pg_catalog, public]", "[public]"}));
  EXPECT_EQ(names,
            (std::vector<std::string>{"current_user", "session_user", "user", "current_role",
                                      "current_catalog", "current_database", "current_schema",
                                      "current_schema", "current_schemas", "current_schemas"}));
  ASSERT_OK_AND_ASSIGN(statements, SandboxConsumerSql(*connection_,
                                                      "WITH t AS (SELECT 'a column' AS \"user\") "
                                                      "SELECT \"user\" FROM t",
                                                      tables_, nullptr, session));
  ASSERT_OK_AND_ASSIGN(rows, connection_->Query(statements[0].sql));
  EXPECT_EQ(rows.rows[0][0], "a column");
}

// current_setting() answers what SHOW answers: the session's settings (psql's \dconfig reads
// them by name from pg_settings); any other name stays refused, so that nothing of the node's
// configuration can be read.
TEST_F(ConsumerSqlTest, CurrentSettingReadsTheSessionsSettingsOnly) {
  SessionNames session{"analyst", "sales", {{"TimeZone", "UTC"}, {"application_name", "psql"}}};
  auto run = [&](std::string_view sql) -> Result<engine::QueryResult> {
    QUANTA_ASSIGN_OR_RETURN(std::vector<SandboxedStatement> statements,
                            SandboxConsumerSql(*connection_, sql, tables_, nullptr, session));
    return connection_->Query(statements[0].sql);
  };
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       run("SELECT current_setting('timezone'), "
                           "pg_catalog.current_setting('application_name'), "
                           "current_setting('port', true)"));
  EXPECT_EQ(rows.rows[0][0], "UTC");
  EXPECT_EQ(rows.rows[0][1], "psql");
  EXPECT_EQ(rows.rows[0][2], std::nullopt);
  ASSERT_OK_AND_ASSIGN(rows, run("SELECT s, current_setting(s) FROM (VALUES ('TimeZone'), "
                                 "('application_name')) AS t(s) ORDER BY 1"));
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][1], "UTC");
  EXPECT_EQ(rows.rows[1][1], "psql");

  Result<std::vector<SandboxedStatement>> refused = SandboxConsumerSql(
      *connection_, "SELECT current_setting('data_directory')", tables_, nullptr, session);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(), HasSubstr("only the session's settings"));
  // A computed name picks among the session's settings and fails for any other.
  Result<engine::QueryResult> computed =
      run("SELECT current_setting(s) FROM (VALUES ('memory_limit')) AS t(s)");
  ASSERT_FALSE(computed.ok());
  EXPECT_THAT(computed.status().message(), HasSubstr("unrecognized configuration parameter"));
  EXPECT_THAT(computed.status().message(), Not(HasSubstr("GiB")));
  // Without session settings (no session), nothing is readable.
  EXPECT_EQ(Refusal("SELECT current_setting('TimeZone')").code(), ErrorCode::kPermissionDenied);
}

// The functions psql's backslash commands call: they answer as PostgreSQL does on a database
// without functions of its own.
TEST_F(ConsumerSqlTest, AnswersTheFunctionsOfPsqlsBackslashCommands) {
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       Run("SELECT pg_catalog.pg_size_pretty(123), pg_size_pretty(37 * 1024), "
                           "pg_size_pretty(CAST(15 AS BIGINT) * 1024 * 1024 + 600000), "
                           "pg_size_pretty(NULL), pg_get_function_result(1), "
                           "pg_statistics_obj_is_visible(1), pg_operator_is_visible(1)"));
  EXPECT_EQ(rows.rows[0][0], "123 bytes");
  EXPECT_EQ(rows.rows[0][1], "37 kB");
  EXPECT_EQ(rows.rows[0][2], "16 MB");
  EXPECT_EQ(rows.rows[0][3], std::nullopt);
  EXPECT_EQ(rows.rows[0][4], std::nullopt);
  EXPECT_EQ(rows.rows[0][5], "true");
  EXPECT_EQ(rows.rows[0][6], "true");
  // \sf abs: 'abs'::regproc looks a function up by name; the catalogs list none.
  Status status = Refusal("SELECT CAST('abs' AS regproc)");
  EXPECT_EQ(status.code(), ErrorCode::kQueryFailed);
  EXPECT_THAT(status.message(), HasSubstr("Catalog Error: Function \"abs\" does not exist"));
}

TEST_F(ConsumerSqlTest, PointsAtWhatItRefuses) {
  std::size_t position = 0;
  Status status = Refusal("SELECT 1 FROM orders.orders, read_csv('/etc/passwd')", &position);
  EXPECT_EQ(status.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("read_csv"));
  EXPECT_EQ(position, 30u);
  status = Refusal("SELECT 1; SELECT * FRM orders.orders", &position);
  EXPECT_EQ(status.code(), ErrorCode::kUsage);
  EXPECT_THAT(status.message(), HasSubstr("syntax error"));
  EXPECT_GT(position, 10u);
}

TEST_F(ConsumerSqlTest, SplitsStatementsOutsideQuotesAndComments) {
  ASSERT_OK_AND_ASSIGN(std::vector<SandboxedStatement> statements,
                       SandboxConsumerSql(*connection_,
                                          "SELECT 'a;b' AS \"x;y\"; -- c;d\n SELECT $$e;f$$; "
                                          "/* g; */ ;; SELECT $1::INT",
                                          tables_));
  ASSERT_EQ(statements.size(), 3u);
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows, connection_->Query(statements[0].sql));
  EXPECT_EQ(rows.rows[0][0], "a;b");
  EXPECT_EQ(rows.columns[0].name, "x;y");
  ASSERT_OK_AND_ASSIGN(rows, connection_->Query(statements[1].sql));
  EXPECT_EQ(rows.rows[0][0], "e;f");
  ASSERT_OK_AND_ASSIGN(statements, SandboxConsumerSql(*connection_, " -- nothing\n ; ", tables_));
  EXPECT_TRUE(statements.empty());
  // A refused statement anywhere refuses the whole text before anything runs.
  EXPECT_EQ(Refusal("SELECT 1; DROP TABLE raw_orders; SELECT 2").code(), ErrorCode::kNotSupported);
}

// A query DuckDB cannot read for another reason than its syntax is a failed query in DuckDB's
// words, not a statement the port refuses to run.
TEST_F(ConsumerSqlTest, NamesWhyItCouldNotReadAQuery) {
  Status status = Refusal("SELECT '\\x0g'::BLOB");
  EXPECT_EQ(status.code(), ErrorCode::kQueryFailed);
  EXPECT_THAT(status.message(), HasSubstr("Conversion Error: Invalid hex escape code"));
  EXPECT_THAT(status.message(), Not(HasSubstr("not allowed")));
}

TEST_F(ConsumerSqlTest, SurvivesHostileText) {
  for (std::string_view sql : std::vector<std::string_view>{
           "'", "\"", "$$", "$a$ never closed", "/* open", "SELECT '\xff\xfe'",
           "SELECT ((((((((((((((((((((1))))))))))))))))))))",
           std::string_view("SELECT \0 1", 10)}) {
    SandboxRefusal refusal;
    Result<std::vector<SandboxedStatement>> result =
        SandboxConsumerSql(*connection_, sql, tables_, &refusal);
    if (result.ok()) {
      for (const SandboxedStatement& statement : *result) {
        (void)connection_->Query(statement.sql);
      }
    }
  }
  EXPECT_OK(connection_->Execute("SELECT 1"));
}

TEST_F(ConsumerSqlTest, SpeaksPostgreSQLWhereClientsExpectIt) {
  // ~ and !~ match anywhere in the text, as in PostgreSQL; DuckDB's own ~ is a full match.
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       Run("SELECT 'pg_catalog' ~ '^pg_', 'pg_catalog' !~ '^pg_', 'abc' ~ 'b'"));
  EXPECT_EQ(rows.rows[0][0], "true");
  EXPECT_EQ(rows.rows[0][1], "false");
  EXPECT_EQ(rows.rows[0][2], "true");
  // Unaliased columns are named as PostgreSQL names them.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*), max(amount), 1 + 1, amount::INTEGER, "
                                 "CASE WHEN true THEN 1 END, order_id FROM orders.orders "
                                 "GROUP BY amount, order_id LIMIT 1"));
  std::vector<std::string> names;
  for (const engine::Column& column : rows.columns) names.push_back(column.name);
  EXPECT_THAT(names,
              ::testing::ElementsAre("count", "max", "?column?", "amount", "case", "order_id"));
  // A cast is named after what it casts when that has a name, else after its type.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT 1::int, (1 + 2)::bigint, 'a'::text, now()::date, "
                                 "1::float8, true::boolean, '2026-01-01'::timestamptz"));
  names.clear();
  for (const engine::Column& column : rows.columns) names.push_back(column.name);
  EXPECT_THAT(names, ::testing::ElementsAre("int4", "int8", "text", "now", "float8", "bool",
                                            "timestamptz"));
  // array_lower and array_upper, which DuckDB lacks, for one-dimensional arrays.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT array_lower([5, 6, 7], 1), array_upper([5, 6, 7], 1), "
                                 "array_upper([]::INTEGER[], 1), array_upper([5], 2)"));
  EXPECT_THAT(rows.rows[0], ::testing::ElementsAre("1", "3", std::nullopt, std::nullopt));
  // VALUES names its columns column1, column2, ..., bare or in FROM; aliases still win.
  ASSERT_OK_AND_ASSIGN(rows, Run("VALUES (1, 'a')"));
  names.clear();
  for (const engine::Column& column : rows.columns) names.push_back(column.name);
  EXPECT_THAT(names, ::testing::ElementsAre("column1", "column2"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT *, column2 + 1 AS next FROM (VALUES (1, 2)) v(x)"));
  names.clear();
  for (const engine::Column& column : rows.columns) names.push_back(column.name);
  EXPECT_THAT(names, ::testing::ElementsAre("x", "column2", "next"));
  // Subqueries: by their one column where it has a name, EXISTS and ARRAY by the keyword.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT (SELECT 1), (SELECT 1 AS a), EXISTS (SELECT 1), "
                                 "ARRAY (SELECT 1), 2 = ANY([1, 2]), 2 IN (SELECT 1)"));
  names.clear();
  for (const engine::Column& column : rows.columns) names.push_back(column.name);
  EXPECT_THAT(names,
              ::testing::ElementsAre("?column?", "a", "exists", "array", "?column?", "?column?"));
  // Catalog functions DuckDB lacks are replaced; pg_catalog's tables need no schema.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT pg_catalog.pg_get_userbyid(10), "
                                 "pg_catalog.format_type(1700, 786438)"));
  EXPECT_EQ(rows.rows[0][0], "quanta");
  EXPECT_EQ(rows.rows[0][1], "numeric(12,2)");
  Status status = Refusal("SELECT * FROM pg_class");
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_EQ(tables_.resolved.count("pg_catalog.pg_class"), 1u);
}

TEST(LeadingKeywordTest, SkipsBlanksCommentsAndParentheses) {
  EXPECT_EQ(LeadingKeyword("  (( select 1))"), "SELECT");
  EXPECT_EQ(LeadingKeyword("-- a\n/* b */ Insert into"), "INSERT");
  EXPECT_EQ(LeadingKeyword(" ; "), "");
  EXPECT_EQ(LeadingKeyword(""), "");
}

}  // namespace
}  // namespace quanta::query
