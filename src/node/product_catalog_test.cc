#include "node/product_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "node/orders_majors_fixture.h"
#include "testing/matchers.h"

namespace quanta::node {
namespace {

namespace fs = std::filesystem;
using testing::At;
using testing::OrderEvent;
using testing::ReadProductFiles;
using testing::ReplaceInFile;
using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

// A catalog over a temporary data directory, with a clock the test moves, and the orders
// example as version 1.0.0 and as a breaking 2.0.0 (status renamed to order_status).
class ProductCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("quanta-catalog-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    testing::OrdersMajors majors;
    ASSERT_NO_FATAL_FAILURE(testing::ReadOrdersMajors(majors));
    v1_ = majors.v1;
    v2_ = majors.v2;
    OpenCatalog();
  }
  void TearDown() override {
    catalog_.reset();
    fs::remove_all(dir_);
  }

  void OpenCatalog() {
    catalog_.reset();
    ASSERT_OK_AND_ASSIGN(catalog_, ProductCatalog::Open(dir_ / "data", clock_));
  }

  Result<DeployReport> Deploy(const ProductFiles& files, DeployOptions options = {}) {
    refusal_ = DeployRefusal{};
    return catalog_->Deploy("orders", "orders", files, &refusal_, options);
  }

  ServedProduct Served() {
    std::optional<ServedProduct> served = catalog_->FindServed("orders", "orders");
    EXPECT_TRUE(served.has_value());
    for (const auto& [id, error] : catalog_->load_errors()) ADD_FAILURE() << id << ": " << error;
    return served.value_or(ServedProduct{});
  }

  std::vector<std::int64_t> ServedMajors() {
    std::vector<std::int64_t> majors;
    for (const auto& [id, error] : catalog_->load_errors()) ADD_FAILURE() << id << ": " << error;
    if (std::optional<ServedProduct> served = catalog_->FindServed("orders", "orders")) {
      for (const ServedMajor& major : served->majors) majors.push_back(major.product->major);
    }
    return majors;
  }

  // Ingests `records` into every served major; the outcome per major, newest first.
  std::vector<MajorIngest> Ingest(const std::vector<std::string>& records,
                                  const std::optional<std::string>& key) {
    Result<std::vector<MajorIngest>> outcomes =
        IngestToMajors(Served(), "order_events", records, key);
    EXPECT_OK(outcomes.status());
    return outcomes.ok() ? *outcomes : std::vector<MajorIngest>{};
  }

  // The order ids of major `major`'s orders dataset.
  std::vector<std::string> OrderIds(std::int64_t major) {
    std::vector<std::string> ids;
    const ServedMajor* served = nullptr;
    ServedProduct product = Served();
    served = product.Find(major);
    if (!served) return ids;
    auto rows = served->product->store->ReadDataset("orders", store::AsOf::Current(), "order_id");
    EXPECT_OK(rows.status());
    if (!rows.ok()) return ids;
    for (const auto& row : rows->rows) ids.push_back(row[0].value_or("NULL"));
    return ids;
  }

  store::PortStatus Port(std::int64_t major) {
    ServedProduct product = Served();
    const ServedMajor* served = product.Find(major);
    if (!served) return {};
    auto status = served->product->store->ReadStatus();
    EXPECT_OK(status.status());
    return status.ok() && !status->ports.empty() ? status->ports.front() : store::PortStatus{};
  }

  std::optional<store::Timestamp> RetireAt(std::int64_t major) {
    ServedProduct product = Served();
    const ServedMajor* served = product.Find(major);
    return served ? served->retire_at : std::nullopt;
  }

  fs::path MajorFolder(std::int64_t major) {
    return dir_ / "data" / "products" / "orders" / "orders" / "majors" / std::to_string(major);
  }

  fs::path dir_;
  std::shared_ptr<store::ManualClock> clock_ =
      std::make_shared<store::ManualClock>(At("2026-06-01T10:00:00Z"));
  std::unique_ptr<ProductCatalog> catalog_;
  ProductFiles v1_, v2_;
  DeployRefusal refusal_;
};

TEST_F(ProductCatalogTest, ANewMajorRunsBesideThePreviousOneForThirtyDaysByDefault) {
  ASSERT_OK_AND_ASSIGN(DeployReport first, Deploy(v1_));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.major, 1);
  EXPECT_TRUE(fs::exists(MajorFolder(1) / "store.duckdb"));

  ASSERT_OK_AND_ASSIGN(DeployReport second, Deploy(v2_));
  EXPECT_FALSE(second.created);
  EXPECT_TRUE(second.new_major);
  EXPECT_EQ(second.major, 2);
  ASSERT_THAT(second.majors, SizeIs(2));
  EXPECT_EQ(second.majors[0].version, "2.0.0");
  EXPECT_EQ(second.majors[1].major, 1);
  EXPECT_EQ(second.majors[1].retire_at, At("2026-07-01T10:00:00Z"));
  ServedProduct served = Served();
  ASSERT_THAT(served.majors, SizeIs(2));
  EXPECT_EQ(served.current().product->major, 2);
  EXPECT_EQ(served.current().product->version(), "2.0.0");
  EXPECT_TRUE(served.current().current());
  const ServedMajor* retiring = served.Find(1);
  ASSERT_NE(retiring, nullptr);
  EXPECT_EQ(retiring->retire_at, At("2026-07-01T10:00:00Z"));
  EXPECT_EQ(retiring->retiring_since, At("2026-06-01T10:00:00Z"));
  EXPECT_EQ(catalog_->Find("orders", "orders")->major, 2);
  // Each major has its own folder and store.
  EXPECT_TRUE(fs::exists(MajorFolder(2) / "store.duckdb"));
  EXPECT_TRUE(fs::exists(MajorFolder(1) / "retiring.json"));
  EXPECT_FALSE(fs::exists(MajorFolder(2) / "retiring.json"));
  EXPECT_EQ(served.Describe(),
            "majors 2 (current, 2.0.0) and 1 (retiring at 2026-07-01T10:00:00.000000Z)");
}

TEST_F(ProductCatalogTest, IngestFeedsEveryServedMajorAndARetryAppliesOnceToEach) {
  ASSERT_OK(Deploy(v1_).status());
  std::vector<MajorIngest> before =
      Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  ASSERT_THAT(before, SizeIs(1));
  ASSERT_OK(Deploy(v2_).status());

  std::vector<std::string> batch = {OrderEvent("o-2", "created", "2026-01-02T10:00:00Z"),
                                    OrderEvent("o-3", "lost", "2026-01-02T10:00:00Z")};
  std::vector<MajorIngest> outcomes = Ingest(batch, "batch-2");
  ASSERT_THAT(outcomes, SizeIs(2));
  EXPECT_EQ(outcomes[0].major, 2);
  EXPECT_EQ(outcomes[1].major, 1);
  for (const MajorIngest& outcome : outcomes) {
    ASSERT_OK(outcome.outcome.status());
    EXPECT_EQ(outcome.outcome->accepted, 1) << "major " << outcome.major;
    EXPECT_EQ(outcome.outcome->rejected, 1) << "major " << outcome.major;
    EXPECT_FALSE(outcome.outcome->replayed);
  }
  // Major 1 kept what it had before major 2 came; major 2 starts from the batches after.
  EXPECT_THAT(OrderIds(1), ElementsAre("o-1", "o-2"));
  EXPECT_THAT(OrderIds(2), ElementsAre("o-2"));

  std::vector<MajorIngest> retried = Ingest(batch, "batch-2");
  ASSERT_THAT(retried, SizeIs(2));
  for (const MajorIngest& outcome : retried) {
    ASSERT_OK(outcome.outcome.status());
    EXPECT_TRUE(outcome.outcome->replayed) << "major " << outcome.major;
  }
  // Re-sending an old batch with its key fills the new major and leaves the old one alone.
  std::vector<MajorIngest> backfill =
      Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  ASSERT_THAT(backfill, SizeIs(2));
  EXPECT_FALSE(backfill[0].outcome->replayed);
  EXPECT_TRUE(backfill[1].outcome->replayed);
  EXPECT_THAT(OrderIds(2), ElementsAre("o-1", "o-2"));

  // Counts reconcile in each major: received = committed + rejected.
  store::PortStatus one = Port(1), two = Port(2);
  EXPECT_EQ(one.received, 3);
  EXPECT_EQ(one.committed, 2);
  EXPECT_EQ(one.rejected, 1);
  EXPECT_EQ(two.received, 3);
  EXPECT_EQ(two.committed, 2);
  EXPECT_EQ(two.rejected, 1);
}

TEST_F(ProductCatalogTest, TheRetiringMajorIsRetiredAtItsDateAndItsDataIsKept) {
  ASSERT_OK(Deploy(v1_).status());
  ASSERT_OK(Deploy(v2_).status());
  clock_->Set(At("2026-07-01T09:59:59Z"));
  EXPECT_THAT(ServedMajors(), ElementsAre(2, 1));
  EXPECT_THAT(catalog_->RetireDue(), SizeIs(0));

  clock_->Set(At("2026-07-01T10:00:00Z"));
  // Not served from its date on, even before the pass has run.
  EXPECT_THAT(ServedMajors(), ElementsAre(2));
  EXPECT_THAT(catalog_->RetireDue(), ElementsAre("orders/orders major 1"));
  EXPECT_FALSE(fs::exists(MajorFolder(1) / "source"));
  EXPECT_TRUE(fs::exists(MajorFolder(1) / "retired" / "product.yaml"));
  EXPECT_TRUE(fs::exists(MajorFolder(1) / "store.duckdb"));
  EXPECT_FALSE(fs::exists(MajorFolder(1) / "retiring.json"));

  OpenCatalog();
  EXPECT_THAT(ServedMajors(), ElementsAre(2));
  // Its data is removed with the major's folder on request.
  ASSERT_OK(catalog_->RetireMajor("orders", "orders", 1, /*purge=*/true));
  EXPECT_FALSE(fs::exists(MajorFolder(1)));
  Status again = catalog_->RetireMajor("orders", "orders", 1, /*purge=*/false);
  EXPECT_EQ(again.code(), ErrorCode::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("serves no major 1; it serves major 2 (current, 2.0.0)"));
}

TEST_F(ProductCatalogTest, ARestartFindsBothMajorsAsTheyWere) {
  ASSERT_OK(Deploy(v1_).status());
  ASSERT_OK(Deploy(v2_).status());
  Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  OpenCatalog();
  {
    ServedProduct served = Served();  // holds the majors open while in scope
    ASSERT_THAT(served.majors, SizeIs(2));
    EXPECT_EQ(served.current().product->major, 2);
    EXPECT_EQ(served.majors[1].retire_at, At("2026-07-01T10:00:00Z"));
    EXPECT_EQ(served.majors[1].retiring_since, At("2026-06-01T10:00:00Z"));
  }
  EXPECT_THAT(OrderIds(1), ElementsAre("o-1"));
  EXPECT_THAT(OrderIds(2), ElementsAre("o-1"));

  // A date that passed while the node was down retires the major when it starts.
  catalog_.reset();
  clock_->Set(At("2026-08-01T00:00:00Z"));
  OpenCatalog();
  EXPECT_THAT(ServedMajors(), ElementsAre(2));
  EXPECT_TRUE(fs::exists(MajorFolder(1) / "retired"));
}

TEST_F(ProductCatalogTest, TheDeployOptionWinsOverTheDateThePreviousVersionDeclares) {
  ProductFiles declared = v1_;
  ReplaceInFile(declared, "product.yaml", "tags: [",
                "customProperties:\n  - property: retireAt\n    value: 2026-09-01\ntags: [");
  ASSERT_OK(Deploy(declared).status());
  ASSERT_OK(Deploy(v2_).status());
  EXPECT_EQ(RetireAt(1), At("2026-09-01T00:00:00Z"));

  ASSERT_OK(catalog_->Undeploy("orders", "orders", /*purge=*/true));
  ASSERT_OK(Deploy(declared).status());
  DeployOptions options;
  options.retire_previous_at = "2026-06-15T12:00:00Z";
  ASSERT_OK(Deploy(v2_, options).status());
  EXPECT_EQ(RetireAt(1), At("2026-06-15T12:00:00Z"));

  // Deploying the current major again with the option moves the retiring major's date.
  options.retire_previous_at = "2026-06-20";
  ASSERT_OK_AND_ASSIGN(DeployReport again, Deploy(v2_, options));
  EXPECT_FALSE(again.new_major);
  EXPECT_EQ(RetireAt(1), At("2026-06-20T00:00:00Z"));
  OpenCatalog();
  EXPECT_EQ(RetireAt(1), At("2026-06-20T00:00:00Z"));
}

TEST_F(ProductCatalogTest, RetirePreviousNowStopsServingThePreviousMajorAtOnce) {
  ASSERT_OK(Deploy(v1_).status());
  DeployOptions options;
  options.retire_previous_at = "now";
  ASSERT_OK_AND_ASSIGN(DeployReport report, Deploy(v2_, options));
  EXPECT_THAT(ServedMajors(), ElementsAre(2));
  ASSERT_THAT(report.findings, SizeIs(1));
  EXPECT_EQ(report.findings[0].severity, Severity::kWarning);
  EXPECT_THAT(report.findings[0].message, HasSubstr("orders/orders major 1 is no longer served"));
}

TEST_F(ProductCatalogTest, MalformedOrPastDatesAreRefusedAndChangeNothing) {
  ASSERT_OK(Deploy(v1_).status());
  DeployOptions options;
  options.retire_previous_at = "2026-13-45";
  Result<DeployReport> refused = Deploy(v2_, options);
  EXPECT_EQ(refused.status().code(), ErrorCode::kUsage);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("retire_previous_at '2026-13-45' is not a time: give now, a date"));
  options.retire_previous_at = "2026-05-01";
  refused = Deploy(v2_, options);
  EXPECT_EQ(refused.status().code(), ErrorCode::kUsage);
  EXPECT_THAT(refused.status().message(), HasSubstr("is in the past"));
  EXPECT_THAT(ServedMajors(), ElementsAre(1));

  ProductFiles bad = v1_;
  ReplaceInFile(bad, "product.yaml", "tags: [",
                "customProperties:\n  - property: retireAt\n    value: soon\ntags: [");
  refused = Deploy(bad);
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidDocument);
  ASSERT_THAT(refusal_.findings, SizeIs(1));
  EXPECT_EQ(refusal_.findings[0].rule, "retire-at");
  EXPECT_EQ(refusal_.findings[0].location.file, "product.yaml");
  EXPECT_GT(refusal_.findings[0].location.line, 0);
  EXPECT_THAT(refusal_.findings[0].message, HasSubstr("\"soon\" is not a date or time"));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "products" / "orders" / "orders" / "incoming"));
}

TEST_F(ProductCatalogTest, AThirdMajorIsRefusedWhileTwoAreServed) {
  ASSERT_OK(Deploy(v1_).status());
  ASSERT_OK(Deploy(v2_).status());
  ProductFiles v3 = v2_;
  ReplaceInFile(v3, "product.yaml", "version: 2.0.0\nstatus: active",
                "version: 3.0.0\nstatus: active");
  Result<DeployReport> refused = Deploy(v3);
  EXPECT_EQ(refused.status().code(), ErrorCode::kIncompatible);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("it serves majors 2 (current, 2.0.0) and 1 (retiring at "
                        "2026-07-01T10:00:00.000000Z) already"));
  EXPECT_THAT(refused.status().message(), HasSubstr("DELETE /v1/products/orders/orders/majors/1"));
  EXPECT_THAT(ServedMajors(), ElementsAre(2, 1));

  Status current = catalog_->RetireMajor("orders", "orders", 2, false);
  EXPECT_EQ(current.code(), ErrorCode::kIncompatible);
  EXPECT_THAT(current.message(), HasSubstr("major 2 is the current major"));
  ASSERT_OK(catalog_->RetireMajor("orders", "orders", 1, false));
  ASSERT_OK(Deploy(v3).status());
  EXPECT_THAT(ServedMajors(), ElementsAre(3, 2));
}

TEST_F(ProductCatalogTest, ACompatibleRedeployUpdatesOnlyThatMajor) {
  ASSERT_OK(Deploy(v1_).status());
  ASSERT_OK(Deploy(v2_).status());
  Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  ProductFiles v2_1 = v2_;
  ReplaceInFile(v2_1, "product.yaml", "version: 2.0.0\nstatus: active",
                "version: 2.1.0\nstatus: active");
  ASSERT_OK_AND_ASSIGN(DeployReport report, Deploy(v2_1));
  EXPECT_FALSE(report.new_major);
  EXPECT_EQ(report.major, 2);
  {
    ServedProduct served = Served();  // holds the majors open while in scope
    ASSERT_THAT(served.majors, SizeIs(2));
    EXPECT_EQ(served.current().product->version(), "2.1.0");
    EXPECT_EQ(served.majors[1].product->version(), "1.0.0");
    EXPECT_EQ(served.majors[1].retire_at, At("2026-07-01T10:00:00Z"));
  }
  EXPECT_THAT(OrderIds(2), ElementsAre("o-1"));

  // The retiring major can be fixed too, and a date in its product.yaml moves its retirement.
  ProductFiles v1_1 = v1_;
  ReplaceInFile(v1_1, "product.yaml", "version: 1.0.0\nstatus: active",
                "version: 1.0.1\nstatus: deprecated\ncustomProperties:\n  - property: retireAt\n"
                "    value: 2026-06-10\n");
  ASSERT_OK(Deploy(v1_1).status());
  ServedProduct served = Served();
  ASSERT_THAT(served.majors, SizeIs(2));
  EXPECT_EQ(served.majors[1].product->version(), "1.0.1");
  EXPECT_EQ(served.majors[1].retire_at, At("2026-06-10T00:00:00Z"));
  EXPECT_THAT(OrderIds(1), ElementsAre("o-1"));
}

TEST_F(ProductCatalogTest, BreakingChangesStayRefusedWithinAMajor) {
  ASSERT_OK(Deploy(v1_).status());
  // The port's major goes up but the product's does not.
  ProductFiles port_only = v2_;
  ReplaceInFile(port_only, "product.yaml", "version: 2.0.0\nstatus: active",
                "version: 1.1.0\nstatus: active");
  Result<DeployReport> refused = Deploy(port_only);
  EXPECT_EQ(refused.status().code(), ErrorCode::kIncompatible);
  ASSERT_THAT(refusal_.findings, SizeIs(1));
  EXPECT_EQ(refusal_.findings[0].rule, "breaking-change");
  EXPECT_EQ(refusal_.findings[0].location.file, "product.yaml");
  EXPECT_THAT(refusal_.findings[0].message,
              HasSubstr("output port 'orders' goes from version 1.0.0 to 2.0.0, a new major, but "
                        "the product stays at major 1"));
  EXPECT_THAT(refusal_.findings[0].hint, HasSubstr("raise product.yaml's version to 2.0.0"));

  // A new product major with a breaking change to a port that keeps its major.
  ProductFiles same_port = v2_;
  ReplaceInFile(same_port, "product.yaml", "    version: 2.0.0\n    contractId",
                "    version: 1.1.0\n    contractId");
  refused = Deploy(same_port);
  EXPECT_EQ(refused.status().code(), ErrorCode::kIncompatible);
  EXPECT_THAT(refusal_.findings,
              Contains(Field(&Diagnostic::message, HasSubstr("property 'status' removed"))));
  // The product's major rises already: only the port's needs to.
  EXPECT_THAT(refusal_.findings,
              Contains(Field(&Diagnostic::hint, HasSubstr("raise the port's major version too "
                                                          "(to 2.0.0)"))));

  // An older major than the current one, once it is not served.
  ASSERT_OK(Deploy(v2_).status());
  ASSERT_OK(catalog_->RetireMajor("orders", "orders", 1, false));
  refused = Deploy(v1_);
  EXPECT_EQ(refused.status().code(), ErrorCode::kIncompatible);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("is of major 1, older than the current major 2, and major 1 is not "
                        "served any more"));
  EXPECT_THAT(ServedMajors(), ElementsAre(2));
}

TEST_F(ProductCatalogTest, ADeployTheStoreRefusesLeavesTheRunningVersionAsItWas) {
  ASSERT_OK(Deploy(v1_).status());
  ASSERT_OK(Deploy(v2_).status());
  Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  // A column added to an existing dataset is compatible for consumers, but the store keeps a
  // dataset's columns: the new version cannot open it.
  ProductFiles added = v2_;
  ReplaceInFile(added, "product.yaml", "version: 2.0.0\nstatus: active",
                "version: 2.1.0\nstatus: active");
  ReplaceInFile(added, "contracts/orders.yaml", "slaProperties:",
                "      - name: note\n        logicalType: string\n        description: A remark.\n"
                "slaProperties:");
  ReplaceInFile(added, "transforms/orders.sql", "  occurred_at AS updated_at",
                "  occurred_at AS updated_at,\n  CAST(NULL AS VARCHAR) AS note");
  Result<DeployReport> refused = Deploy(added);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("orders/orders was not deployed"));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("could not be opened again")));
  EXPECT_THAT(refused.status().message(), HasSubstr("the layout changed"));
  ServedProduct served = Served();
  ASSERT_THAT(served.majors, SizeIs(2));
  EXPECT_EQ(served.current().product->version(), "2.0.0");
  EXPECT_EQ(served.majors[1].retire_at, At("2026-07-01T10:00:00Z"));
  EXPECT_FALSE(fs::exists(MajorFolder(2) / "previous"));
  EXPECT_THAT(OrderIds(2), ElementsAre("o-1"));
}

TEST_F(ProductCatalogTest, UndeployStopsEveryMajorAndPurgeDeletesThem) {
  ASSERT_OK(Deploy(v1_).status());
  ASSERT_OK(Deploy(v2_).status());
  ASSERT_OK(catalog_->Undeploy("orders", "orders", /*purge=*/false));
  EXPECT_FALSE(catalog_->FindServed("orders", "orders").has_value());
  EXPECT_TRUE(fs::exists(MajorFolder(1) / "store.duckdb"));
  EXPECT_TRUE(fs::exists(MajorFolder(2) / "undeployed"));
  OpenCatalog();
  EXPECT_FALSE(catalog_->FindServed("orders", "orders").has_value());

  // Deployed again, the major finds its kept data; the other major stays undeployed.
  ASSERT_OK(Deploy(v2_).status());
  EXPECT_THAT(ServedMajors(), ElementsAre(2));
  ASSERT_OK(catalog_->Undeploy("orders", "orders", /*purge=*/true));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "products" / "orders" / "orders"));
  EXPECT_EQ(catalog_->Undeploy("orders", "orders", true).code(), ErrorCode::kNotFound);
}

TEST_F(ProductCatalogTest, APurgeDeletesTheDataAnEarlierUndeployKept) {
  ASSERT_OK(Deploy(v1_).status());
  ASSERT_OK(catalog_->Undeploy("orders", "orders", /*purge=*/false));
  ASSERT_TRUE(fs::exists(MajorFolder(1) / "store.duckdb"));
  Status again = catalog_->Undeploy("orders", "orders", /*purge=*/false);
  EXPECT_EQ(again.code(), ErrorCode::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("data from an earlier undeploy is kept"));
  ASSERT_OK(catalog_->Undeploy("orders", "orders", /*purge=*/true));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "products" / "orders" / "orders"));
  EXPECT_EQ(catalog_->Undeploy("orders", "orders", true).code(), ErrorCode::kNotFound);
}

TEST_F(ProductCatalogTest, AProductKeptInTheEarlierLayoutMovesToItsMajorsFolder) {
  ASSERT_OK(Deploy(v1_).status());
  Ingest({OrderEvent("o-1", "created", "2026-01-01T10:00:00Z")}, "batch-1");
  catalog_.reset();
  // Before major versions, a product's source and store sat directly in its folder.
  fs::path root = dir_ / "data" / "products" / "orders" / "orders";
  fs::rename(MajorFolder(1) / "source", root / "source");
  fs::rename(MajorFolder(1) / "store.duckdb", root / "store.duckdb");
  fs::remove_all(root / "majors");
  OpenCatalog();
  EXPECT_THAT(catalog_->load_errors(), SizeIs(0));
  EXPECT_THAT(ServedMajors(), ElementsAre(1));
  EXPECT_THAT(OrderIds(1), ElementsAre("o-1"));
  EXPECT_FALSE(fs::exists(root / "source"));
  EXPECT_TRUE(fs::exists(MajorFolder(1) / "source" / "product.yaml"));
}

TEST_F(ProductCatalogTest, AKeptRowFilterThatWouldNotPassDeployIsNotAppliedAtStart) {
  ASSERT_OK(Deploy(v1_).status());
  catalog_.reset();
  // A source kept from a build that did not check row filters: one reaching a file.
  fs::path contract = MajorFolder(1) / "source" / "contracts" / "orders.yaml";
  std::ifstream in(contract);
  std::stringstream text;
  text << in.rdbuf();
  in.close();
  std::string yaml = text.str();
  const std::string role = "    firstLevelApprovers: li.wei@example.com\n";
  std::size_t at = yaml.find(role);
  ASSERT_NE(at, std::string::npos);
  yaml.insert(at + role.size(),
              "    customProperties:\n      - property: rowFilter\n"
              "        value: \"order_id IN (SELECT * FROM read_csv('/etc/passwd'))\"\n");
  std::ofstream(contract) << yaml;

  OpenCatalog();
  std::map<std::string, std::string> errors = catalog_->load_errors();
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors.begin()->second,
              AllOf(HasSubstr("orders.yaml:"), HasSubstr("row filter of role 'orders-reader'")));
  EXPECT_FALSE(catalog_->FindServed("orders", "orders").has_value());
}

TEST(ParseRetireAtTest, ReadsNowDatesAndTimes) {
  store::Timestamp now = At("2026-06-01T10:00:00Z");
  EXPECT_EQ(ParseRetireAt("now", now), now);
  EXPECT_EQ(ParseRetireAt("2027-01-31", now), At("2027-01-31T00:00:00Z"));
  EXPECT_EQ(ParseRetireAt("2027-01-31T12:00:00+02:00", now), At("2027-01-31T10:00:00Z"));
  EXPECT_EQ(ParseRetireAt("2027-02-30", now), std::nullopt);
  EXPECT_EQ(ParseRetireAt("tomorrow", now), std::nullopt);
  EXPECT_EQ(ParseRetireAt("", now), std::nullopt);
}

}  // namespace
}  // namespace quanta::node
