#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "governance/read_access.h"
#include "ports/http_message.h"
#include "store/product_store.h"

namespace quanta::ports {

/// What to export: a dataset whole at `version`, or only its changes after `since_version` up
/// to `version`.
struct ExportSpec {
  std::string product;  ///< "domain/name", written in the manifest
  std::string dataset;
  std::optional<std::int64_t> version;        ///< nullopt: the latest version
  std::optional<std::int64_t> since_version;  ///< nullopt: the whole dataset
  /// Whose export it is: the files hold only the rows its row filter lets through, and the
  /// columns it masks hold their masked values. An export with masks has its own folder,
  /// v<N>[-since<M>]-masked-<digest of the masked columns>, and one with a row filter
  /// v<N>[-since<M>]-filtered-<digest of the masks and filters>, so that readers with other
  /// masks or filters never share files.
  governance::DatasetAccess access;
};

/// The name of the manifest an export writes beside its Parquet files.
inline constexpr std::string_view kExportManifestName = "manifest.json";

/// Writes `spec`'s rows as Parquet under `folder`/<dataset>/v<N>[-since<M>]/part-0.parquet
/// (DuckDB's COPY ... (FORMAT parquet)) with manifest.json beside it, and returns the manifest:
/// {"dataset", "product", "version", "sinceVersion" (null when whole), "files": [{"path"
/// (absolute), "rows", "bytes"}], "rowCount", "schema": [{"name", "type"}], "maskedColumns",
/// "filtered" (true when a row filter applies), "rowFilter" (its SQL, or null), "createdAt"}.
/// A whole export has the dataset's columns; an incremental one has _quanta_version and
/// _quanta_change ('insert' or 'delete') before them, as ProductStore::ChangesBetween gives.
///
/// An export of a version is immutable: when its folder already holds a manifest, that
/// manifest is returned and nothing is written. Files are written to a temporary folder and
/// renamed into place, so a reader never sees a half-written export. Thread-safe.
/// Fails with NotFound for an unknown dataset, Invalid for a version that does not exist or is
/// past retention, PermissionDenied when `spec.access` may not read the dataset, IoError when
/// the folder cannot be written.
Result<nlohmann::json> ExportDataset(store::ProductStore& store,
                                     const std::filesystem::path& folder, const ExportSpec& spec);

/// Answers GET /v1/products/{domain}/{product}/datasets/{name}/export?format=parquet
/// [&version=N][&since=M]: runs ExportDataset into `folder` (the product's export folder) and
/// answers the manifest (200), or a JSON error: 400 for a bad, repeated or unknown parameter
/// (it takes format, version and since), 404 for an unknown dataset, 403 when `access` may not
/// read it, 422 for a version that cannot be read. `product` is "domain/name".
HttpResponse ServeDatasetExport(const HttpRequest& request, store::ProductStore& store,
                                const std::filesystem::path& folder, std::string_view product,
                                std::string_view dataset, const governance::DatasetAccess& access);

}  // namespace quanta::ports
