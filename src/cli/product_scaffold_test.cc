#include "cli/product_scaffold.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "engine/database.h"
#include "model/meaning_check.h"
#include "model/product_folder.h"
#include "model/type_mapping.h"
#include "pipeline/contract_tables.h"
#include "pipeline/sql_check.h"
#include "testing/matchers.h"

namespace quanta::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::stringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

class ProductScaffoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("quanta-scaffold-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // Scaffolds `product` into root_/dir and loads it back as Quanta does.
  model::ProductFolder Scaffold(const std::string& product, const std::string& dir) {
    auto name = ParseProductName(product);
    EXPECT_OK(name);
    auto written = WriteScaffold(root_ / dir, RenderScaffold({*name, false}), false);
    EXPECT_OK(written);
    std::vector<Diagnostic> diagnostics;
    auto folder = model::LoadProductFolder(root_ / dir, &diagnostics);
    EXPECT_OK(folder);
    for (const Diagnostic& diagnostic : diagnostics) ADD_FAILURE() << FormatDiagnostic(diagnostic);
    return std::move(folder).value();
  }

  std::filesystem::path root_;
};

TEST(ProductNameTest, AcceptsLowercaseNamesWithDigitsDashesAndUnderscores) {
  ASSERT_OK_AND_ASSIGN(ProductName name, ParseProductName("ecommerce/user-interactions_2"));
  EXPECT_EQ(name.domain, "ecommerce");
  EXPECT_EQ(name.name, "user-interactions_2");
}

TEST(ProductNameTest, RejectsNamesBreakingTheRuleAndSaysWhy) {
  for (const char* text :
       {"Orders/orders", "orders/Orders", "orders/or ders", "orders/", "/orders", "orders", "a/b/c",
        "orders/orders.v2", "ordérs/x", "-x/y", "orders/_orders"}) {
    Result<ProductName> name = ParseProductName(text);
    ASSERT_FALSE(name.ok()) << text;
    EXPECT_EQ(name.status().code(), ErrorCode::kUsage) << text;
    EXPECT_THAT(name.status().message(), HasSubstr(text));
  }
  EXPECT_THAT(ParseProductName("Orders/orders").status().message(),
              HasSubstr("a-z, 0-9, '-' and '_', starting with a letter or a digit"));
  EXPECT_THAT(ParseProductName("orders").status().message(), HasSubstr("DOMAIN/NAME"));
  // The node's own limit (model::IsProductName), so that init makes only what deploys.
  EXPECT_FALSE(ParseProductName("orders/" + std::string(65, 'a')).ok());
  EXPECT_OK(ParseProductName("orders/" + std::string(64, 'a')));
}

TEST(ProductNameTest, IdsAreStableAndDistinct) {
  ProductName orders{"orders", "orders"};
  EXPECT_EQ(ProductIdFor(orders), "urn:quanta:orders:orders");
  EXPECT_EQ(ContractIdFor(orders, "orders"), "urn:quanta:orders:orders:contract:orders");
  std::set<std::string> ids = {ProductIdFor(orders),
                               ProductIdFor({"orders", "orders-v2"}),
                               ProductIdFor({"orders-orders", "x"}),
                               ContractIdFor(orders, "orders"),
                               ContractIdFor(orders, "orders_events"),
                               ContractIdFor({"shop", "orders"}, "orders")};
  EXPECT_EQ(ids.size(), 6u);
}

TEST_F(ProductScaffoldTest, RendersTheSameFilesEveryTime) {
  ScaffoldOptions options{{"shop", "orders"}, false};
  std::vector<ScaffoldFile> first = RenderScaffold(options);
  std::vector<ScaffoldFile> second = RenderScaffold(options);
  ASSERT_EQ(first.size(), second.size());
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].path, second[i].path);
    EXPECT_EQ(first[i].content, second[i].content);
    EXPECT_EQ(first[i].content.find("{{"), std::string::npos) << first[i].path;
    paths.push_back(first[i].path.generic_string());
  }
  EXPECT_THAT(paths,
              ElementsAre("product.yaml", "contracts/orders_events.yaml", "contracts/orders.yaml",
                          "pipeline.yaml", "transforms/orders.sql", "tests/basic.yaml"));
}

TEST_F(ProductScaffoldTest, WrittenFolderLoadsAsAProductWithResolvedPorts) {
  model::ProductFolder folder = Scaffold("shop/user-events", "user-events");
  ASSERT_TRUE(folder.product.has_value());
  const model::Product& product = folder.product->product;
  EXPECT_EQ(product.api_version, "v1.0.0");
  EXPECT_EQ(product.kind, "DataProduct");
  EXPECT_EQ(product.id, "urn:quanta:shop:user-events");
  EXPECT_EQ(product.name, "user-events");
  EXPECT_EQ(product.domain, "shop");
  EXPECT_EQ(product.version, "0.1.0");
  EXPECT_EQ(product.status, "draft");
  ASSERT_EQ(product.team.members.size(), 1u);
  EXPECT_EQ(product.team.members[0].role, "owner");
  ASSERT_EQ(product.input_ports.size(), 1u);
  ASSERT_EQ(product.output_ports.size(), 1u);
  EXPECT_EQ(product.input_ports[0].name, "user_events_events");
  EXPECT_EQ(product.output_ports[0].name, "user_events");

  const model::ContractFile* input = folder.ContractForInputPort("user_events_events");
  const model::ContractFile* output = folder.ContractForOutputPort("user_events");
  ASSERT_NE(input, nullptr);
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(output->contract.id, "urn:quanta:shop:user-events:contract:user_events");
  for (const model::ContractFile* file : {input, output}) {
    const model::Contract& contract = file->contract;
    EXPECT_EQ(contract.api_version, "v3.1.0");
    EXPECT_EQ(contract.kind, "DataContract");
    EXPECT_EQ(contract.version, "1.0.0");
    EXPECT_EQ(contract.domain, "shop");
    ASSERT_EQ(contract.team.members.size(), 1u);
    EXPECT_EQ(contract.team.members[0].role, "owner");
    for (const char* sla : {"latency", "retention", "frequency"}) {
      EXPECT_NE(contract.FindSla(sla), nullptr) << sla;
    }
    ASSERT_EQ(contract.schema.size(), 1u);
    for (const model::Property& property : contract.schema[0].properties) {
      EXPECT_TRUE(property.description && !property.description->empty()) << *property.name;
      EXPECT_TRUE(property.classification.has_value()) << *property.name;
    }
  }
  const model::SchemaObject& object = output->contract.schema[0];
  ASSERT_NE(object.FindProperty("record_id"), nullptr);
  EXPECT_TRUE(object.FindProperty("record_id")->IsPrimaryKey());
  std::set<std::string> kinds;
  for (const model::QualityRule& rule : object.quality) kinds.insert(rule.TypeName());
  for (const model::Property& property : object.properties) {
    for (const model::QualityRule& rule : property.quality) kinds.insert(rule.TypeName());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"library", "sql"}));

  ASSERT_TRUE(folder.pipeline.has_value());
  const model::Pipeline& pipeline = folder.pipeline->pipeline;
  ASSERT_EQ(pipeline.inputs.size(), 1u);
  EXPECT_EQ(pipeline.inputs[0].port, "user_events_events");
  EXPECT_EQ(pipeline.inputs[0].source, "http");
  ASSERT_EQ(pipeline.datasets.size(), 1u);
  EXPECT_EQ(pipeline.datasets[0].name, object.name);
  EXPECT_EQ(pipeline.datasets[0].output_port, "user_events");
  EXPECT_TRUE(pipeline.datasets[0].IsUpsert());
  EXPECT_THAT(pipeline.datasets[0].key, ElementsAre("record_id"));
  EXPECT_TRUE(std::filesystem::is_regular_file(folder.root / *pipeline.datasets[0].transform));
  EXPECT_EQ(folder.test_files.size(), 1u);
}

// The transform must bind against the input tables and produce exactly the output columns,
// whatever the product is called (names starting with a digit need quoting in SQL).
TEST_F(ProductScaffoldTest, TransformProducesTheOutputContractColumns) {
  for (const std::string product : {"shop/orders", "shop/3d-models"}) {
    std::string dir = product.substr(product.find('/') + 1);
    model::ProductFolder folder = Scaffold(product, dir);
    ASSERT_TRUE(folder.product && folder.pipeline);
    const model::ContractFile* input =
        folder.ContractForInputPort(*folder.product->product.input_ports[0].name);
    const model::ContractFile* output =
        folder.ContractForOutputPort(*folder.product->product.output_ports[0].name);
    ASSERT_TRUE(input && output);

    ASSERT_OK_AND_ASSIGN(auto database, engine::Database::Open());
    ASSERT_OK_AND_ASSIGN(auto connection, database->Connect());
    ASSERT_OK(pipeline::CreateContractTables(*connection, input->contract));
    std::string sql = ReadText(folder.root / *folder.pipeline->pipeline.datasets[0].transform);
    ASSERT_OK_AND_ASSIGN(std::vector<engine::Column> columns, connection->Describe(sql));

    std::vector<std::string> actual, expected;
    for (const engine::Column& column : columns) actual.push_back(column.name + " " + column.type);
    for (const model::Property& property : output->contract.schema[0].properties) {
      expected.push_back(*property.name + " " + model::DuckdbTypeFor(property));
    }
    EXPECT_EQ(actual, expected) << product;
  }
}

// Runs the fixture of tests/basic.yaml by hand and checks the expected rows and the sql rule.
TEST_F(ProductScaffoldTest, BasicTestCaseMatchesWhatTheTransformComputes) {
  model::ProductFolder folder = Scaffold("shop/orders", "orders");
  ASSERT_TRUE(folder.product && folder.pipeline);
  const model::ContractFile* input = folder.ContractForInputPort("orders_events");
  ASSERT_NE(input, nullptr);
  ASSERT_OK_AND_ASSIGN(auto database, engine::Database::Open());
  ASSERT_OK_AND_ASSIGN(auto connection, database->Connect());
  ASSERT_OK(pipeline::CreateContractTables(*connection, input->contract));

  ASSERT_OK_AND_ASSIGN(auto parsed, model::ReadYamlFile(folder.test_files[0]));
  ASSERT_TRUE(parsed.document.has_value());
  const model::Json& test = parsed.document->root();
  for (const model::Json& row : test["input"]["orders_events"]) {
    std::string columns, values;
    for (const auto& [key, value] : row.items()) {
      columns += (columns.empty() ? "" : ", ") + key;
      values += (values.empty() ? "" : ", ") +
                (value.is_string() ? engine::QuoteLiteral(value.get<std::string>()) : value.dump());
    }
    ASSERT_OK(
        connection->Execute("INSERT INTO orders_events (" + columns + ") VALUES (" + values + ")"));
  }
  std::string sql = ReadText(folder.root / "transforms/orders.sql");
  ASSERT_OK(connection->Execute("CREATE TABLE orders AS " + sql));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult result,
                       connection->Query("SELECT record_id, status, amount, "
                                         "strftime(updated_at AT TIME ZONE 'UTC', '%H:%M') "
                                         "FROM orders ORDER BY record_id"));
  std::vector<std::string> rows;
  for (const auto& row : result.rows) {
    std::string text;
    for (const auto& value : row) text += value.value_or("NULL") + " ";
    rows.push_back(text);
  }
  EXPECT_THAT(rows, ElementsAre("r-1 active 12.00 11:00 ", "r-2 new NULL 10:05 "));
  ASSERT_EQ(test["expected"]["orders"].size(), 2u);
  EXPECT_EQ(test["expected"]["orders"][0]["status"], "active");

  ASSERT_OK_AND_ASSIGN(engine::QueryResult negative,
                       connection->Query("SELECT COUNT(*) FROM orders WHERE amount < 0"));
  EXPECT_EQ(negative.rows[0][0], "0");
}

// What lint checks beyond the JSON Schemas (references, keys, quality rules, SQL that binds)
// finds nothing in a fresh scaffold, whatever the product is called.
TEST_F(ProductScaffoldTest, ScaffoldPassesTheMeaningAndSqlChecks) {
  for (const std::string product : {"shop/orders", "shop/3d-models", "x/order"}) {
    std::string dir = product.substr(product.find('/') + 1);
    model::ProductFolder folder = Scaffold(product, dir);
    std::vector<Diagnostic> diagnostics;
    for (const model::ContractFile& contract : folder.contracts) {
      model::CheckContractMeaning(contract, &diagnostics);
      pipeline::CheckContractSql(contract, &diagnostics);
    }
    model::CheckFolderMeaning(folder, &diagnostics);
    pipeline::CheckFolderSql(folder, &diagnostics);
    for (const Diagnostic& diagnostic : diagnostics) {
      ADD_FAILURE() << product << ": " << FormatDiagnostic(diagnostic);
    }
  }
}

// A generalist programmer reads the files cold: every top-level field says what it is.
TEST_F(ProductScaffoldTest, EveryTopLevelFieldHasAComment) {
  const std::regex top_level_key("^([A-Za-z]+):");
  for (const ScaffoldFile& file : RenderScaffold({{"shop", "orders"}, true})) {
    if (file.path.extension() != ".yaml") continue;
    std::istringstream lines(file.content);
    std::string line, previous;
    while (std::getline(lines, line)) {
      std::smatch match;
      if (std::regex_search(line, match, top_level_key)) {
        bool commented = previous.rfind("#", 0) == 0 || line.find(" # ") != std::string::npos;
        EXPECT_TRUE(commented) << file.path << ": field '" << match[1] << "' has no comment";
      }
      if (!line.empty()) previous = line;
    }
  }
}

TEST_F(ProductScaffoldTest, MeshOptionAddsMeshConfigAndAPolicy) {
  std::vector<ScaffoldFile> files = RenderScaffold({{"shop", "orders"}, true});
  ASSERT_EQ(files.size(), 8u);
  EXPECT_EQ(files[6].path, "quanta-mesh.yaml");
  model::ParsedDocument mesh = model::ParseYaml(files[6].content, "quanta-mesh.yaml");
  ASSERT_TRUE(mesh.document.has_value());
  EXPECT_EQ(mesh.document->root(), model::Json::parse(R"({"apiVersion": "quanta/v1", "kind": "Mesh",
                                   "policies": "policies", "defaultPolicies": true})"));
  EXPECT_EQ(files[7].path.parent_path(), "policies");
  EXPECT_EQ(files[7].path.extension(), ".sql");
  EXPECT_THAT(files[7].content, HasSubstr("-- id: primary-key-required\n"));
  EXPECT_THAT(files[7].content, HasSubstr("-- severity: blocking\n"));
  EXPECT_THAT(files[7].content, HasSubstr("-- description: "));
}

// The example policy runs over a table shaped like the linter's `properties` table and finds a
// primary key that is not required.
TEST_F(ProductScaffoldTest, ExamplePolicyReturnsMessageFileAndPointer) {
  std::vector<ScaffoldFile> files = RenderScaffold({{"shop", "orders"}, true});
  ASSERT_OK_AND_ASSIGN(auto database, engine::Database::Open());
  ASSERT_OK_AND_ASSIGN(auto connection, database->Connect());
  ASSERT_OK(connection->Execute(
      "CREATE TABLE properties (contract_id VARCHAR, object VARCHAR, property VARCHAR, "
      "primary_key BOOLEAN, required BOOLEAN, file VARCHAR, pointer VARCHAR);"
      "INSERT INTO properties VALUES ('c', 'orders', 'record_id', true, true, 'a.yaml', '/x'),"
      "('c', 'orders', 'line_no', true, NULL, 'a.yaml', '/schema/0/properties/1'),"
      "('c', 'orders', 'status', NULL, NULL, 'a.yaml', '/y');"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult result, connection->Query(files[7].content));
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_EQ(result.columns[result.ColumnIndex("message")].type, "VARCHAR");
  EXPECT_EQ(result.rows[0][result.ColumnIndex("message")],
            "property orders.line_no is part of the primary key but is not required");
  EXPECT_EQ(result.rows[0][result.ColumnIndex("pointer")], "/schema/0/properties/1");
  EXPECT_EQ(result.rows[0][result.ColumnIndex("file")], "a.yaml");
}

TEST_F(ProductScaffoldTest, RefusesANonEmptyFolderWithoutForce) {
  std::filesystem::create_directories(root_ / "orders");
  std::ofstream(root_ / "orders" / "notes.txt") << "keep me";
  std::vector<ScaffoldFile> files = RenderScaffold({{"shop", "orders"}, false});
  auto refused = WriteScaffold(root_ / "orders", files, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUsage);
  EXPECT_THAT(refused.status().message(), HasSubstr("not empty"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--force"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "orders" / "product.yaml"));

  std::ofstream(root_ / "orders" / "product.yaml") << "old";
  ASSERT_OK(WriteScaffold(root_ / "orders", files, true));
  EXPECT_EQ(ReadText(root_ / "orders" / "product.yaml"), files[0].content);
  EXPECT_EQ(ReadText(root_ / "orders" / "notes.txt"), "keep me");
}

TEST_F(ProductScaffoldTest, WritesIntoAnEmptyFolderAndRefusesAFile) {
  std::filesystem::create_directories(root_ / "empty");
  std::vector<ScaffoldFile> files = RenderScaffold({{"shop", "orders"}, false});
  ASSERT_OK_AND_ASSIGN(auto written, WriteScaffold(root_ / "empty", files, false));
  EXPECT_EQ(written.size(), files.size());
  EXPECT_TRUE(std::filesystem::is_regular_file(root_ / "empty" / "tests" / "basic.yaml"));

  std::ofstream(root_ / "file") << "x";
  auto refused = WriteScaffold(root_ / "file", files, true);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("not a folder"));
}

// The command as a user types it: exit codes and what it prints.
TEST_F(ProductScaffoldTest, InitCommandCreatesRefusesAndValidates) {
  std::filesystem::create_directories(root_);
  std::string dir = (root_ / "funnel").string();
  auto run = [](std::vector<std::string> arguments) {
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    return RunCli(static_cast<int>(argv.size()), argv.data());
  };
  ::testing::internal::CaptureStdout();
  int created = run({"quanta", "init", "marketing/funnel", "--dir", dir, "--mesh"});
  std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(created, 0);
  EXPECT_THAT(printed, HasSubstr("Created data product marketing/funnel"));
  EXPECT_THAT(printed, HasSubstr("quanta lint " + dir));
  EXPECT_THAT(printed, HasSubstr("quanta test " + dir));
  EXPECT_TRUE(std::filesystem::is_regular_file(root_ / "funnel" / "quanta-mesh.yaml"));

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run({"quanta", "init", "marketing/funnel", "--dir", dir}), 2);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("--force"));
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run({"quanta", "init", "marketing/funnel", "--dir", dir, "--force"}), 0);
  ::testing::internal::GetCapturedStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run({"quanta", "init", "Marketing/Funnel", "--dir", dir + "2"}), 2);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("a-z, 0-9, '-' and '_'"));
  EXPECT_FALSE(std::filesystem::exists(dir + "2"));
}

}  // namespace
}  // namespace quanta::cli
