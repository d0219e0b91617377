#include "ports/dataset_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "engine/database.h"
#include "ports/http_target.h"
#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace quanta::ports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

class DatasetExportTest : public store::testing::OrdersStoreTest {
 protected:
  fs::path Exports() const { return folder_.path() / "exports" / "orders" / "orders"; }

  Result<json> Export(std::optional<std::int64_t> version,
                      std::optional<std::int64_t> since = std::nullopt) {
    return ExportDataset(*store_, Exports(), {"orders/orders", "orders", version, since, access_});
  }

  governance::DatasetAccess access_;  // reads every column in clear unless a test masks some

  // Rows of a Parquet file as DuckDB reads it, ordered, as "a|b|c" lines.
  static std::vector<std::string> ParquetRows(const std::string& path, std::string_view columns) {
    std::vector<std::string> lines;
    Result<std::unique_ptr<engine::Database>> database = engine::Database::Open();
    EXPECT_OK(database);
    if (!database.ok()) return lines;
    Result<std::unique_ptr<engine::Connection>> connection = (*database)->Connect();
    EXPECT_OK(connection);
    if (!connection.ok()) return lines;
    Result<engine::QueryResult> result =
        (*connection)
            ->Query(fmt::format("SELECT {} FROM read_parquet({}) ORDER BY ALL", columns,
                                engine::QuoteLiteral(path)));
    EXPECT_OK(result);
    if (!result.ok()) return lines;
    for (const auto& row : result->rows) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i > 0) line += '|';
        line += row[i].value_or("NULL");
      }
      lines.push_back(line);
    }
    return lines;
  }
};

TEST_F(DatasetExportTest, ExportsTheWholeDatasetAtAVersionWithAManifest) {
  CommitOrders("('o-1', 'created', 10.5), ('o-2', 'created', 20)");
  CommitOrders("('o-1', 'shipped', 10.5), ('o-3', 'created', 30)");

  ASSERT_OK_AND_ASSIGN(json manifest, Export(std::nullopt));
  EXPECT_EQ(manifest["dataset"], "orders");
  EXPECT_EQ(manifest["product"], "orders/orders");
  EXPECT_EQ(manifest["version"], 2);
  EXPECT_TRUE(manifest["sinceVersion"].is_null());
  EXPECT_EQ(manifest["rowCount"], 3);
  ASSERT_EQ(manifest["files"].size(), 1u);
  std::string path = manifest["files"][0]["path"];
  EXPECT_EQ(fs::path(path), fs::absolute(Exports() / "orders" / "v2" / "part-0.parquet"));
  EXPECT_EQ(manifest["files"][0]["rows"], 3);
  EXPECT_EQ(manifest["files"][0]["bytes"], fs::file_size(path));
  json schema = json::array({{{"name", "order_id"}, {"type", "VARCHAR"}},
                             {{"name", "status"}, {"type", "VARCHAR"}},
                             {{"name", "amount"}, {"type", "DECIMAL(10,2)"}}});
  EXPECT_EQ(manifest["schema"], schema);
  EXPECT_THAT(
      ParquetRows(path, "*"),
      ::testing::ElementsAre("o-1|shipped|10.50", "o-2|created|20.00", "o-3|created|30.00"));

  // The manifest on disk is the one answered.
  std::ifstream in(Exports() / "orders" / "v2" / "manifest.json");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(json::parse(text.str()), manifest);

  // An older version is the dataset as it was then.
  ASSERT_OK_AND_ASSIGN(json first, Export(1));
  EXPECT_EQ(first["rowCount"], 2);
  EXPECT_THAT(ParquetRows(first["files"][0]["path"], "status"),
              ::testing::ElementsAre("created", "created"));
}

TEST_F(DatasetExportTest, ExportsTheChangesSinceAVersion) {
  CommitOrders("('o-1', 'created', 10.5), ('o-2', 'created', 20)");
  CommitOrders("('o-1', 'shipped', 10.5)");
  CommitOrders("('o-3', 'created', 30)");

  ASSERT_OK_AND_ASSIGN(json manifest, Export(3, 1));
  EXPECT_EQ(manifest["version"], 3);
  EXPECT_EQ(manifest["sinceVersion"], 1);
  // Version 2 replaced o-1 (a delete and an insert), version 3 added o-3.
  EXPECT_EQ(manifest["rowCount"], 3);
  EXPECT_EQ(manifest["schema"][1]["name"], "_quanta_change");
  std::string path = manifest["files"][0]["path"];
  EXPECT_THAT(path, HasSubstr("/orders/v3-since1/part-0.parquet"));
  EXPECT_THAT(ParquetRows(path, "_quanta_version, _quanta_change, order_id, status"),
              ::testing::ElementsAre("2|delete|o-1|created", "2|insert|o-1|shipped",
                                     "3|insert|o-3|created"));
}

TEST_F(DatasetExportTest, ExportingTheSameVersionTwiceReusesTheFiles) {
  CommitOrders("('o-1', 'created', 10.5)");
  ASSERT_OK_AND_ASSIGN(json first, Export(1));
  std::string path = first["files"][0]["path"];
  auto written = fs::last_write_time(path);
  CommitOrders("('o-2', 'created', 20)");

  ASSERT_OK_AND_ASSIGN(json again, Export(1));
  EXPECT_EQ(again, first);
  EXPECT_EQ(fs::last_write_time(path), written);
  // No temporary folders are left behind.
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(Exports() / "orders")) {
    EXPECT_EQ(entry.path().filename().string().rfind(".tmp", 0), std::string::npos);
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(DatasetExportTest, AMaskedExportHasItsOwnFilesWithTheMaskedValues) {
  CommitOrders("('o-1', 'created', 10.5), ('o-2', 'paid', 20)");
  CommitOrders("('o-1', 'shipped', 10.5)");
  ASSERT_OK_AND_ASSIGN(json clear, Export(2));
  EXPECT_EQ(clear["maskedColumns"], json::array());

  access_.masked_columns = {"status", "amount"};
  ASSERT_OK_AND_ASSIGN(json masked, Export(2));
  EXPECT_EQ(masked["maskedColumns"], json::array({"status", "amount"}));
  std::string path = masked["files"][0]["path"];
  EXPECT_NE(path, clear["files"][0]["path"].get<std::string>());
  EXPECT_THAT(path, HasSubstr("/orders/v2-masked-"));
  EXPECT_EQ(masked["schema"][2], json({{"name", "amount"}, {"type", "DECIMAL(10,2)"}}));
  EXPECT_THAT(ParquetRows(path, "*"), ::testing::ElementsAre("o-1|***|NULL", "o-2|***|NULL"));
  // The reader without masks still gets the values, from its own files.
  EXPECT_THAT(ParquetRows(clear["files"][0]["path"], "status"),
              ::testing::ElementsAre("paid", "shipped"));

  // Version 2 changed only masked columns of o-1: the masked reader's changes since version 1
  // do not show that it did; the reader without masks sees the update.
  CommitOrders("('o-3', 'created', 5)");
  ASSERT_OK_AND_ASSIGN(json changes, Export(3, 1));
  EXPECT_THAT(ParquetRows(changes["files"][0]["path"], "_quanta_change, order_id, status, amount"),
              ::testing::ElementsAre("insert|o-3|***|NULL"));
  access_.masked_columns.clear();
  ASSERT_OK_AND_ASSIGN(json clear_changes, Export(3, 1));
  EXPECT_THAT(
      ParquetRows(clear_changes["files"][0]["path"], "_quanta_change, order_id, status"),
      ::testing::ElementsAre("delete|o-1|created", "insert|o-1|shipped", "insert|o-3|created"));
  access_.masked_columns = {"status", "amount"};

  access_.readable = false;
  access_.refusal = Status(ErrorCode::kPermissionDenied, "permission denied for dataset orders");
  Result<json> refused = Export(2);
  EXPECT_EQ(refused.status().code(), ErrorCode::kPermissionDenied);
}

// The folder name of a masked or filtered export is a digest of the masks and filters: it must
// stay the same from build to build, or every export made before would be made again.
TEST_F(DatasetExportTest, MaskedAndFilteredExportsKeepTheirFolderNames) {
  CommitOrders("('o-1', 'created', 10.5), ('o-2', 'paid', 20)");
  access_.masked_columns = {"status", "Amount"};
  ASSERT_OK_AND_ASSIGN(json masked, Export(1));
  EXPECT_EQ(fs::path(masked["files"][0]["path"].get<std::string>()).parent_path().filename(),
            "v1-masked-445280bda7839c89");
  access_.row_filter = "status = 'paid'";
  access_.clear_rows = "order_id = 'o-2'";
  ASSERT_OK_AND_ASSIGN(json filtered, Export(1));
  EXPECT_EQ(fs::path(filtered["files"][0]["path"].get<std::string>()).parent_path().filename(),
            "v1-filtered-8198341bd358b7e5");
}

TEST_F(DatasetExportTest, RefusesVersionsThatDoNotExistAndUnknownDatasets) {
  CommitOrders("('o-1', 'created', 10.5)");
  Result<json> future = Export(5);
  EXPECT_EQ(future.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(future.status().message(), HasSubstr("version 5 does not exist yet"));
  Result<json> backwards = Export(1, 2);
  EXPECT_FALSE(backwards.ok());
  Result<json> unknown =
      ExportDataset(*store_, Exports(), {"orders/orders", "nope", {}, {}, access_});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown.status().message(),
            "the product has no dataset 'nope'; its datasets are: orders, events");
  EXPECT_FALSE(fs::exists(Exports() / "nope"));
}

TEST_F(DatasetExportTest, ServesTheManifestOverHttpAndNamesBadParameters) {
  CommitOrders("('o-1', 'created', 10.5)");
  auto serve = [&](std::string_view query) {
    HttpRequest request;
    request.method = "GET";
    request.target = fmt::format("/v1/products/orders/orders/datasets/orders/export?{}", query);
    Result<HttpTarget> parsed = ParseHttpTarget(request.target);
    EXPECT_OK(parsed);
    if (parsed.ok()) request.query = parsed->query;
    return ServeDatasetExport(request, *store_, Exports(), "orders/orders", "orders", access_);
  };
  HttpResponse ok = serve("format=parquet&version=1");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body)["rowCount"], 1);

  HttpResponse csv = serve("format=csv");
  EXPECT_EQ(csv.status, 400);
  EXPECT_THAT(csv.body, HasSubstr("format=parquet"));
  HttpResponse bad_version = serve("version=x");
  EXPECT_EQ(bad_version.status, 400);
  EXPECT_THAT(bad_version.body, HasSubstr("query parameter version"));
  HttpResponse future = serve("version=9");
  EXPECT_EQ(future.status, 422);

  for (std::string query : {"as_of=2026-01-01T00:00:00Z", "foo=1", "format=parquet&limit=5"}) {
    HttpResponse unknown = serve(query);
    EXPECT_EQ(unknown.status, 400) << query << ": " << unknown.body;
    std::string name = query.substr(query.rfind('&') + 1);
    name = name.substr(0, name.find('='));
    EXPECT_THAT(json::parse(unknown.body)["error"]["message"].get<std::string>(),
                HasSubstr("query parameter " + name +
                          ": the export of dataset orders takes no such parameter; it takes "
                          "format, version, since"))
        << query;
  }
  HttpResponse twice = serve("version=1&version=2");
  EXPECT_EQ(twice.status, 400) << twice.body;
  EXPECT_THAT(twice.body, HasSubstr("query parameter version given twice ('1' and '2')"));
}

}  // namespace
}  // namespace quanta::ports
