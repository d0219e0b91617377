#include "node/sql_tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "node/orders_majors_fixture.h"
#include "query/consumer_sql.h"
#include "testing/matchers.h"

namespace quanta::node {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using testing::At;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::OrderEvent;
using testing::ReadProductFiles;
using testing::ReplaceInFile;

// The node's SQL tables over a catalog on one shared DuckDB instance, as the SQL port sees
// them: the orders example as 1.0.0 and as a breaking 2.0.0 (status renamed to order_status).
class SqlTablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("quanta-sql-tables-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    testing::OrdersMajors majors;
    ASSERT_NO_FATAL_FAILURE(testing::ReadOrdersMajors(majors));
    v1_ = majors.v1;
    v2_ = majors.v2;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Database> database, engine::Database::Open());
    database_ = std::move(database);
    ASSERT_OK_AND_ASSIGN(catalog_, ProductCatalog::Open(dir_ / "data", clock_, database_));
    ASSERT_OK_AND_ASSIGN(connection_, database_->Connect());
  }
  void TearDown() override {
    connection_.reset();
    catalog_.reset();
    database_.reset();
    fs::remove_all(dir_);
  }

  void Deploy(const ProductFiles& files) {
    DeployRefusal refusal;
    Result<DeployReport> report = catalog_->Deploy("orders", "orders", files, &refusal);
    ASSERT_OK(report.status());
  }

  void Ingest(const std::vector<std::string>& records, const std::string& key) {
    std::optional<ServedProduct> served = catalog_->FindServed("orders", "orders");
    ASSERT_TRUE(served.has_value());
    ASSERT_OK_AND_ASSIGN(std::vector<MajorIngest> outcomes,
                         IngestToMajors(*served, "order_events", records, key));
    for (const MajorIngest& outcome : outcomes) ASSERT_OK(outcome.outcome.status());
  }

  // Runs consumer SQL as the SQL port does: through the sandbox with the node's tables, then
  // on a connection of the instance. Every row as "a|b", NULL as NULL.
  Result<std::vector<std::string>> Run(std::string_view sql) {
    // The operator: these tests are about names and versions, grants have tests of their own.
    return RunAs(governance::Reader{"analyst", {}, /*unrestricted=*/true}, {}, sql);
  }

  // The same as `reader` signed in, on a node whose principals are `principals`.
  Result<std::vector<std::string>> RunAs(const governance::Reader& reader,
                                         const std::vector<governance::Reader>& principals,
                                         std::string_view sql) {
    ProductTables tables(*catalog_, reader, principals);
    QUANTA_ASSIGN_OR_RETURN(std::vector<query::SandboxedStatement> statements,
                            query::SandboxConsumerSql(*connection_, sql, tables));
    if (statements.size() != 1) return Status::Internal("expected one statement");
    QUANTA_ASSIGN_OR_RETURN(engine::QueryResult result, connection_->Query(statements[0].sql));
    std::vector<std::string> rows;
    for (const auto& row : result.rows) {
      std::string text;
      for (std::size_t c = 0; c < row.size(); ++c) {
        text += (c ? "|" : "") + row[c].value_or("NULL");
      }
      rows.push_back(text);
    }
    return rows;
  }

  fs::path dir_;
  std::shared_ptr<store::ManualClock> clock_ =
      std::make_shared<store::ManualClock>(At("2026-06-01T10:00:00Z"));
  std::shared_ptr<engine::Database> database_;
  std::unique_ptr<ProductCatalog> catalog_;
  std::unique_ptr<engine::Connection> connection_;
  ProductFiles v1_, v2_;
};

TEST_F(SqlTablesTest, DeadLettersAreATableOfTheProductsSchemaWithTimeTravel) {
  Deploy(v1_);
  Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  Ingest({OrderEvent("o-2", "created", "2026-01-01T10:05:00Z"), "{not json",
          OrderEvent("o-3", "lost", "2026-01-01T10:10:00Z")},
         "batch-2");

  ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows,
                       Run("SELECT version, port, \"offset\", payload IS NOT NULL, "
                           "octet_length(payload_bytes) > 0, received_at IS NOT NULL "
                           "FROM orders._dead_letters ORDER BY \"offset\""));
  EXPECT_THAT(rows,
              ElementsAre("2|order_events|2|true|true|true", "2|order_events|3|true|true|true"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT reason FROM orders._dead_letters d ORDER BY d.offset"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(rows[1], AllOf(HasSubstr("event_type"), HasSubstr("lost")));

  // Time travel reads the dead letters kept up to a version, as for a dataset.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM orders._dead_letters AT (VERSION => 1)"));
  EXPECT_THAT(rows, ElementsAre("0"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM orders._dead_letters AT (VERSION => 2)"));
  EXPECT_THAT(rows, ElementsAre("2"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM orders._dead_letters AT (TIMESTAMP => "
                                 "TIMESTAMPTZ '2026-06-01 10:00:00+00')"));
  EXPECT_THAT(rows, ElementsAre("2"));
  Result<std::vector<std::string>> beyond =
      Run("SELECT * FROM orders._dead_letters AT (VERSION => 7)");
  EXPECT_THAT(beyond.status().message(),
              HasSubstr("version 7 does not exist yet; the latest version is 2"));

  // Joined with the dataset it fed, like any table.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT (SELECT count(*) FROM orders.orders), "
                                 "(SELECT count(*) FROM orders._dead_letters)"));
  EXPECT_THAT(rows, ElementsAre("2|2"));

  // The catalogs list it beside the datasets, with its columns and their comments.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT table_schema, table_name FROM information_schema.tables "
                                 "ORDER BY 1, 2"));
  EXPECT_THAT(rows, ElementsAre("orders|_dead_letters", "orders|orders"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = '_dead_letters' ORDER BY ordinal_position"));
  EXPECT_THAT(rows, ElementsAre("version|int8", "port|text", "offset|int8", "reason|text",
                                "payload|text", "payload_bytes|bytea", "received_at|timestamptz"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT d.description FROM pg_catalog.pg_class c "
                                 "JOIN pg_catalog.pg_description d ON d.objoid = c.oid "
                                 "AND d.objsubid = 0 WHERE c.relname = '_dead_letters'"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0], HasSubstr("rejected"));
}

TEST_F(SqlTablesTest, ARetiringMajorIsServedInItsOwnSchemaUntilItsDate) {
  Deploy(v1_);
  Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  Deploy(v2_);
  Ingest({OrderEvent("o-1", "paid", "2026-01-02T10:00:00Z"),
          OrderEvent("o-2", "lost", "2026-01-02T10:00:00Z")},
         "batch-2");

  // The current major stays where it was; the retiring one keeps its own columns and history.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows,
                       Run("SELECT order_id, order_status FROM orders.orders ORDER BY 1"));
  EXPECT_THAT(rows, ElementsAre("o-1|paid"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT order_id, status FROM orders_v1.orders ORDER BY 1"));
  EXPECT_THAT(rows, ElementsAre("o-1|paid"));
  ASSERT_OK_AND_ASSIGN(rows,
                       Run("SELECT order_id, status FROM orders_v1.orders AT (VERSION => 1)"));
  EXPECT_THAT(rows, ElementsAre("o-1|created"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM orders_v1._dead_letters"));
  EXPECT_THAT(rows, ElementsAre("1"));
  // The current major can be named by its major too, to pin it before the next one comes.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT order_id, order_status FROM orders_v2.orders"));
  EXPECT_THAT(rows, ElementsAre("o-1|paid"));

  // Listed while served, with a comment that says until when and where the current one is.
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT schema_name FROM information_schema.schemata "
                                 "ORDER BY 1"));
  EXPECT_THAT(rows, ElementsAre("orders", "orders_v1"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT table_schema, table_name FROM information_schema.tables "
                                 "ORDER BY 1, 2"));
  EXPECT_THAT(rows, ElementsAre("orders|_dead_letters", "orders|orders", "orders_v1|_dead_letters",
                                "orders_v1|orders"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT c.table_schema, c.column_name FROM "
                                 "information_schema.columns c WHERE c.table_name = 'orders' "
                                 "AND c.column_name LIKE '%status' ORDER BY 1"));
  EXPECT_THAT(rows, ElementsAre("orders|order_status", "orders_v1|status"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT obj_description(n.oid, 'pg_namespace') FROM "
                                 "pg_catalog.pg_namespace n WHERE n.nspname = 'orders_v1'"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0], HasSubstr("Major 1 (1.0.0) of orders/orders, retiring: served until "
                                 "2026-07-01T10:00:00.000000Z; the current major 2 is in schema "
                                 "orders."));

  // From its date on it is gone, and the error names what there is.
  clock_->Set(At("2026-07-01T10:00:00Z"));
  Result<std::vector<std::string>> gone = Run("SELECT * FROM orders_v1.orders");
  EXPECT_EQ(gone.status().code(), ErrorCode::kNotFound);
  EXPECT_THAT(gone.status().message(),
              AllOf(HasSubstr("relation \"orders_v1.orders\" does not exist"),
                    HasSubstr("the datasets are: orders.orders, orders._dead_letters")));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT schema_name FROM information_schema.schemata"));
  EXPECT_THAT(rows, ElementsAre("orders"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM orders.orders"));
  EXPECT_THAT(rows, ElementsAre("1"));
}

TEST_F(SqlTablesTest, TheCurrentMajorIsReachableByItsMajorButListedOnce) {
  Deploy(v1_);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows,
                       Run("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY 1"));
  EXPECT_THAT(rows, Not(Contains("orders_v1")));
  EXPECT_THAT(rows, Contains("orders"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM orders_v1.orders"));
  EXPECT_THAT(rows, ElementsAre("0"));
  Result<std::vector<std::string>> other = Run("SELECT * FROM orders_v2.orders");
  EXPECT_EQ(other.status().code(), ErrorCode::kNotFound);
  EXPECT_THAT(Run("SELECT * FROM orders.nothing").status().message(),
              HasSubstr("the datasets are: orders.orders, orders._dead_letters"));
  ASSERT_OK_AND_ASSIGN(rows,
                       Run("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN "
                           "pg_catalog.pg_namespace n ON n.oid = c.relnamespace ORDER BY 1, 2"));
  EXPECT_THAT(rows, ElementsAre("orders|_dead_letters", "orders|orders"));
}

TEST_F(SqlTablesTest, ProductsOfTwoDomainsWithOneNameGetSchemasQualifiedByDomain) {
  Deploy(v1_);
  Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  // The same product as the shop domain's, with the status renamed so that the two differ.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows, Run("SELECT count(*) FROM orders.orders"));
  EXPECT_THAT(rows, ElementsAre("1"));
  ProductFiles shop = v2_;
  ReplaceInFile(shop, "product.yaml", "domain: orders", "domain: shop");
  DeployRefusal refusal;
  ASSERT_OK(catalog_->Deploy("shop", "orders", shop, &refusal).status());

  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY 1"));
  EXPECT_THAT(rows, Contains("orders_orders"));
  EXPECT_THAT(rows, Contains("shop_orders"));
  EXPECT_THAT(rows, Not(Contains("orders")));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT order_id, status FROM orders_orders.orders"));
  EXPECT_THAT(rows, ElementsAre("o-1|created"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(order_status) FROM shop_orders.orders"));
  EXPECT_THAT(rows, ElementsAre("0"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM shop_orders_v2.orders"));
  EXPECT_THAT(rows, ElementsAre("0"));

  // The bare name reaches neither, and says which names do.
  Result<std::vector<std::string>> bare = Run("SELECT * FROM orders.orders");
  EXPECT_EQ(bare.status().code(), ErrorCode::kNotFound);
  EXPECT_THAT(bare.status().message(), AllOf(HasSubstr("schema \"orders\" is ambiguous"),
                                             HasSubstr("orders_orders"), HasSubstr("shop_orders")));

  // Once the shop's product is gone, the bare name is the orders domain's again, and the
  // qualified name keeps working.
  ASSERT_OK(catalog_->Undeploy("shop", "orders", /*purge=*/true));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM orders.orders"));
  EXPECT_THAT(rows, ElementsAre("1"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT count(*) FROM orders_orders.orders"));
  EXPECT_THAT(rows, ElementsAre("1"));
  ASSERT_OK_AND_ASSIGN(rows, Run("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY 1"));
  EXPECT_THAT(rows, Not(Contains("orders_orders")));
}

}  // namespace
}  // namespace quanta::node

namespace quanta::node {
namespace {

// The principals of a node as node.yaml lists them: analyst reads orders (a group named like
// the orders contract's read role), dev has no group.
const std::vector<governance::Reader> kPrincipals = {
    {"analyst", {"analysts", "orders-reader"}},
    {"dev", {}},
};

// psql's \du and \dg: the principals that sign in, their groups as roles that cannot, each
// principal a member of its groups; the node owns the schemas and nobody signs in as it.
TEST_F(SqlTablesTest, RolesAreThePrincipalsAndTheirGroups) {
  Deploy(v1_);
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> rows,
      RunAs(kPrincipals[1], kPrincipals,
            "SELECT r.rolname, r.rolcanlogin, r.rolsuper, ARRAY(SELECT b.rolname "
            "FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid) "
            "WHERE m.member = r.oid ORDER BY 1) AS memberof "
            "FROM pg_catalog.pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY 1"));
  EXPECT_THAT(rows, ElementsAre("analyst|true|false|[analysts, orders-reader]",
                                "analysts|false|false|[]", "dev|true|false|[]",
                                "orders-reader|false|false|[]", "quanta|false|false|[]"));
  ASSERT_OK_AND_ASSIGN(rows, RunAs(kPrincipals[1], kPrincipals,
                                   "SELECT usename FROM pg_catalog.pg_user ORDER BY 1"));
  EXPECT_THAT(rows, ElementsAre("analyst", "dev"));
  ASSERT_OK_AND_ASSIGN(rows, RunAs(kPrincipals[1], kPrincipals,
                                   "SELECT g.groname, u.usename FROM pg_catalog.pg_group g, "
                                   "pg_catalog.pg_user u WHERE u.usesysid = ANY(g.grolist)"));
  EXPECT_THAT(rows, Contains("orders-reader|analyst"));
  // No credentials: pg_authid holds none, pg_roles shows PostgreSQL's mask.
  ASSERT_OK_AND_ASSIGN(rows, RunAs(kPrincipals[1], kPrincipals,
                                   "SELECT DISTINCT coalesce(rolpassword, 'none') "
                                   "FROM pg_catalog.pg_authid"));
  EXPECT_THAT(rows, ElementsAre("none"));
  // The datasets' owner is a role of pg_roles.
  ASSERT_OK_AND_ASSIGN(rows, RunAs(kPrincipals[0], kPrincipals,
                                   "SELECT DISTINCT r.rolname FROM pg_catalog.pg_class c "
                                   "JOIN pg_catalog.pg_roles r ON r.oid = c.relowner"));
  EXPECT_THAT(rows, ElementsAre("quanta"));
}

// psql's \dp: each dataset the reader sees with the read grants of its contract; a dataset the
// reader may not read is not listed at all.
TEST_F(SqlTablesTest, AccessPrivilegesAreTheContractsReadGrants) {
  Deploy(v1_);
  const std::string acls =
      "SELECT n.nspname, c.relname, pg_catalog.array_to_string(c.relacl, E'\\n') "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind = 'r' ORDER BY 1, 2";
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows, RunAs(kPrincipals[0], kPrincipals, acls));
  EXPECT_THAT(rows, ElementsAre("orders|_dead_letters|\"orders-reader\"=r/quanta",
                                "orders|orders|\"orders-reader\"=r/quanta"));
  ASSERT_OK_AND_ASSIGN(rows, RunAs(kPrincipals[1], kPrincipals, acls));
  EXPECT_THAT(rows, ElementsAre());
  ASSERT_OK_AND_ASSIGN(rows, RunAs(kPrincipals[0], kPrincipals,
                                   "SELECT count(*) FROM pg_catalog.pg_attribute "
                                   "WHERE attacl IS NOT NULL"));
  EXPECT_THAT(rows, ElementsAre("0"));
}

// \l+: the database's size is that of the store files of the products the reader sees.
TEST_F(SqlTablesTest, TheDatabaseSizeIsThatOfTheStoresTheReaderSees) {
  Deploy(v1_);
  Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  const std::string size =
      "SELECT d.datname, pg_catalog.pg_database_size(d.datname) > 0, "
      "pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(d.datname)) LIKE '% kB' "
      "OR pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(d.datname)) LIKE '% MB' "
      "FROM pg_catalog.pg_database d";
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows, RunAs(kPrincipals[0], kPrincipals, size));
  EXPECT_THAT(rows, ElementsAre("quanta|true|true"));
  ASSERT_OK_AND_ASSIGN(rows, RunAs(kPrincipals[1], kPrincipals,
                                   "SELECT pg_database_size('quanta') FROM pg_database"));
  EXPECT_THAT(rows, ElementsAre("0"));
}

// The catalogs of objects a node has none of answer with no rows and PostgreSQL 15's columns
// (psql's \dc, \dC, \dy, \dL, \dF, \drds, \des, \do, \dl, \dX, \df), and pg_settings lists
// the session's settings, nothing of the node's configuration.
TEST_F(SqlTablesTest, CatalogsWithoutContentHavePostgresColumns) {
  Deploy(v1_);
  for (const char* sql : {
           "SELECT conname, conforencoding, contoencoding, condefault, connamespace, tableoid "
           "FROM pg_catalog.pg_conversion",
           "SELECT castsource, casttarget, castfunc, castcontext, castmethod FROM pg_cast",
           "SELECT evtname, evtevent, evtowner, evtenabled, evtfoid, evttags "
           "FROM pg_catalog.pg_event_trigger",
           "SELECT lanname, lanowner, lanpltrusted, lanplcallfoid, tableoid FROM pg_language",
           "SELECT cfgname, cfgnamespace FROM pg_catalog.pg_ts_config",
           "SELECT setdatabase, setrole, setconfig FROM pg_catalog.pg_db_role_setting",
           "SELECT srvname, srvowner, srvfdw FROM pg_catalog.pg_foreign_server",
           "SELECT fdwname FROM pg_catalog.pg_foreign_data_wrapper",
           "SELECT oprname, oprkind, oprleft, oprright, oprresult, oprcode FROM pg_operator",
           "SELECT oid, lomowner, lomacl FROM pg_catalog.pg_largeobject_metadata",
           "SELECT stxname, stxnamespace, stxrelid, stxkind FROM pg_catalog.pg_statistic_ext",
           "SELECT proname, prokind, prosecdef, provolatile, prolang, proacl FROM pg_proc",
           "SELECT conname, contypid, tableoid FROM pg_catalog.pg_constraint",
       }) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows, RunAs(kPrincipals[0], kPrincipals, sql));
    EXPECT_THAT(rows, ElementsAre()) << sql;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows,
                       RunAs(kPrincipals[0], kPrincipals,
                             "SELECT name, setting FROM pg_catalog.pg_settings "
                             "WHERE source <> 'default' AND setting IS DISTINCT FROM boot_val "
                             "ORDER BY 1"));
  EXPECT_THAT(rows, Contains("TimeZone|UTC"));
  EXPECT_THAT(rows, Contains("default_transaction_read_only|on"));
  ASSERT_OK_AND_ASSIGN(
      rows, RunAs(kPrincipals[0], kPrincipals, "SELECT name FROM pg_catalog.pg_settings"));
  for (const char* secret :
       {"data_directory", "port", "config_file", "listen_addresses", "memory_limit", "threads"}) {
    EXPECT_THAT(rows, Not(Contains(secret)));
  }
}

}  // namespace
}  // namespace quanta::node
