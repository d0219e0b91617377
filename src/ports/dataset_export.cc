#include "ports/dataset_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "base/ascii.h"
#include "base/fnv1a.h"
#include "engine/database.h"
#include "ports/dataset_port.h"
#include "ports/http_error.h"
#include "ports/readable_changes.h"
#include "store/clock.h"

namespace quanta::ports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kPartName = "part-0.parquet";
// The query parameters of an export; any other is refused rather than ignored.
constexpr std::string_view kExportParameters[] = {"format", "version", "since"};

Result<std::optional<std::int64_t>> ParseVersionParameter(const HttpRequest& request,
                                                          std::string_view name) {
  std::optional<std::string> text = request.Query(name);
  if (!text) return std::optional<std::int64_t>();
  std::int64_t number = 0;
  const char* end = text->data() + text->size();
  auto [stop, error] = std::from_chars(text->data(), end, number);
  if (text->empty() || error != std::errc() || stop != end || number < 0) {
    return Status::Usage("query parameter {}: '{}' is not a version number (0, 1, 2, ...)", name,
                         *text);
  }
  return std::optional<std::int64_t>(number);
}

// A folder name that stays inside the export folder.
Status CheckFolderName(std::string_view dataset) {
  if (dataset.empty() || dataset == "." || dataset == ".." ||
      dataset.find_first_of("/\\") != std::string_view::npos) {
    return Status::Invalid("dataset '{}': its name cannot be used as a folder name for an export",
                           dataset);
  }
  return Status::Ok();
}

Result<json> ReadManifest(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("{}: cannot be read", path.string());
  std::stringstream text;
  text << in.rdbuf();
  json manifest = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.is_object()) {
    return Status::IoError("{}: is not a JSON manifest; delete its folder to export again",
                           path.string());
  }
  return manifest;
}

Status WriteManifest(const fs::path& path, const json& manifest) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << manifest.dump(2) << '\n';
  out.close();
  if (!out) return Status::IoError("{}: cannot be written", path.string());
  return Status::Ok();
}

// A folder name no other export writing at the same time uses.
std::string TemporaryName(std::string_view final_name) {
  static std::atomic<std::uint64_t> counter{0};
  return fmt::format(".tmp-{}-{}-{}", final_name,
                     std::hash<std::thread::id>{}(std::this_thread::get_id()), counter++);
}

void RemoveQuietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

Result<std::int64_t> QueryCount(engine::Connection& connection, const std::string& sql) {
  QUANTA_ASSIGN_OR_RETURN(engine::QueryResult result, connection.Query(sql));
  if (result.rows.empty() || result.rows[0].empty() || !result.rows[0][0]) {
    return Status::Internal("a count returned no value: {}", sql);
  }
  return std::stoll(*result.rows[0][0]);
}

// Writes the export into `temporary` with a manifest naming the files under `final_dir`.
Result<json> WriteExport(engine::Connection& connection, const std::string& select_sql,
                         const fs::path& temporary, const fs::path& final_dir,
                         const ExportSpec& spec, std::int64_t version) {
  fs::path part = temporary / kPartName;
  QUANTA_RETURN_IF_ERROR(connection.Execute(fmt::format(
      "COPY ({}) TO {} (FORMAT parquet)", select_sql, engine::QuoteLiteral(part.string()))));
  QUANTA_ASSIGN_OR_RETURN(
      std::int64_t rows, QueryCount(connection, fmt::format("SELECT count(*) FROM read_parquet({})",
                                                            engine::QuoteLiteral(part.string()))));
  std::error_code error;
  std::uintmax_t bytes = fs::file_size(part, error);
  if (error) return Status::IoError("{}: {}", part.string(), error.message());
  QUANTA_ASSIGN_OR_RETURN(std::vector<engine::Column> columns, connection.Describe(select_sql));

  json schema = json::array();
  for (const engine::Column& column : columns) {
    schema.push_back({{"name", column.name}, {"type", column.type}});
  }
  json manifest = {
      {"dataset", spec.dataset},
      {"product", spec.product},
      {"version", version},
      {"sinceVersion", spec.since_version ? json(*spec.since_version) : json(nullptr)},
      {"files", json::array({{{"path", (final_dir / kPartName).string()},
                              {"rows", rows},
                              {"bytes", static_cast<std::uint64_t>(bytes)}}})},
      {"rowCount", rows},
      {"schema", schema},
      {"maskedColumns", spec.access.masked_columns},
      {"filtered", !spec.access.row_filter.empty()},
      {"rowFilter", spec.access.row_filter.empty() ? json(nullptr) : json(spec.access.row_filter)},
      {"createdAt", store::FormatTimestamp(store::SystemClock().Now())},
  };
  QUANTA_RETURN_IF_ERROR(WriteManifest(temporary / kExportManifestName, manifest));
  return manifest;
}

// The folder suffix of an export with masks or a row filter: readers with the same masks and
// the same filters share it, readers with other ones never do.
std::string AccessSuffix(const governance::DatasetAccess& access) {
  bool filtered = !access.row_filter.empty();
  if (access.masked_columns.empty() && !filtered) return "";
  std::vector<std::string> names;
  for (const std::string& name : access.masked_columns) names.push_back(AsciiLower(name));
  std::sort(names.begin(), names.end());
  if (filtered) {
    // Apart from column names by a byte no name holds.
    names.push_back(std::string(1, '\0') + access.row_filter);
    names.push_back(std::string(1, '\0') + access.clear_rows);
  }
  Fnv1a64 hash;
  for (const std::string& name : names) hash.AddField(name);
  return fmt::format("-{}-{:016x}", filtered ? "filtered" : "masked", hash.value());
}

}  // namespace

Result<json> ExportDataset(store::ProductStore& store, const fs::path& folder,
                           const ExportSpec& spec) {
  if (!spec.access.readable) return spec.access.refusal;
  const store::DatasetLayout* layout = store.layout().FindDataset(spec.dataset);
  if (!layout) return NoSuchDataset(store.layout(), spec.dataset);
  std::int64_t version = spec.version.value_or(store.Head().version);
  std::string select_sql;
  if (spec.since_version) {
    QUANTA_ASSIGN_OR_RETURN(store::ChangeSet changes,
                            store.ChangesBetween(spec.dataset, *spec.since_version, version));
    select_sql = std::move(changes.sql);
  } else {
    QUANTA_ASSIGN_OR_RETURN(store::Snapshot snapshot,
                            store.SnapshotOf(spec.dataset, store::AsOf::Version(version)));
    select_sql = std::move(snapshot.sql);
  }
  QUANTA_RETURN_IF_ERROR(CheckFolderName(spec.dataset));
  select_sql = spec.since_version
                   ? ReadableChangesSql(select_sql, layout->columns, spec.access)
                   : governance::ReadableRowsSql(select_sql, layout->columns, spec.access);

  std::string name = (spec.since_version ? fmt::format("v{}-since{}", version, *spec.since_version)
                                         : fmt::format("v{}", version)) +
                     AccessSuffix(spec.access);
  std::error_code error;
  fs::path dataset_dir = fs::absolute(folder, error) / spec.dataset;
  if (error) return Status::IoError("{}: {}", folder.string(), error.message());
  fs::path final_dir = dataset_dir / name;
  fs::path manifest_path = final_dir / kExportManifestName;
  if (fs::exists(manifest_path, error)) return ReadManifest(manifest_path);

  fs::path temporary = dataset_dir / TemporaryName(name);
  fs::create_directories(temporary, error);
  if (error) {
    return Status::IoError("{}: cannot create the export folder: {}", temporary.string(),
                           error.message());
  }
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, store.Connect());
  Result<json> manifest = WriteExport(*connection, select_sql, temporary, final_dir, spec, version);
  if (!manifest.ok()) {
    RemoveQuietly(temporary);
    return manifest.status();
  }
  fs::rename(temporary, final_dir, error);
  if (error) {
    RemoveQuietly(temporary);
    // Another request exported the same version first: its files are the same rows.
    if (fs::exists(manifest_path)) return ReadManifest(manifest_path);
    return Status::IoError("{}: cannot move the export into place: {}", final_dir.string(),
                           error.message());
  }
  return manifest;
}

HttpResponse ServeDatasetExport(const HttpRequest& request, store::ProductStore& store,
                                const fs::path& folder, std::string_view product,
                                std::string_view dataset, const governance::DatasetAccess& access) {
  auto run = [&]() -> Result<json> {
    for (const auto& [name, value] : request.query) {
      if (std::find(std::begin(kExportParameters), std::end(kExportParameters), name) ==
          std::end(kExportParameters)) {
        return Status::Usage(
            "query parameter {}: the export of dataset {} takes no such parameter; it takes {} "
            "(an export is of a version: find the version of a time with "
            "datasets/{}?as_of=...&limit=1)",
            name, dataset, fmt::join(kExportParameters, ", "), dataset);
      }
    }
    QUANTA_RETURN_IF_ERROR(request.CheckQueryOnce(kExportParameters));
    std::string format = request.Query("format").value_or("parquet");
    if (format != "parquet") {
      return Status::Usage("query parameter format: '{}' is not supported; use format=parquet",
                           format);
    }
    ExportSpec spec{std::string(product), std::string(dataset), std::nullopt, std::nullopt, access};
    QUANTA_ASSIGN_OR_RETURN(spec.version, ParseVersionParameter(request, "version"));
    QUANTA_ASSIGN_OR_RETURN(spec.since_version, ParseVersionParameter(request, "since"));
    return ExportDataset(store, folder, spec);
  };
  Result<json> manifest = run();
  if (!manifest.ok()) return ErrorResponse(manifest.status());
  return HttpResponse::Json(200, *manifest);
}

}  // namespace quanta::ports
