#pragma once

#include <filesystem>
#include <memory>

#include "base/status.h"
#include "node/dataset_grants.h"
#include "node/product_catalog.h"
#include "node/product_metrics.h"
#include "ports/http_router.h"

namespace quanta::node {

/// Adds the product API of docs/node.md to `router`: deploy (PUT), undeploy (DELETE), list
/// and status (GET) of /v1/products/{domain}/{product}, the ingest route of input ports (which
/// feeds every served major), and the dataset and dead letter reads, Parquet exports (written
/// under `data_dir`/exports/<domain>/<product>/majors/<major>/) and the change stream, each of
/// the current major under the product's path and of any served major under
/// /v1/products/{domain}/{product}/majors/{major}/..., where GET answers the major's status and
/// DELETE retires it. Dataset reads, exports, change streams and dead letters are as `grants`
/// decides for the request's reader (DatasetGrants::HttpReader). `catalog` must outlive the
/// router's server.
Status AddProductRoutes(ports::HttpRouter& router, ProductCatalog& catalog, ProductMetrics& metrics,
                        const std::filesystem::path& data_dir,
                        std::shared_ptr<const DatasetGrants> grants);

/// The status of one served major as the API and `quanta status` show it: its version, role
/// (current or retiring, with retireAt), output ports, counts and datasets, and the state of its
/// output ports' latency and frequency SLOs (`slo`, EvaluateSlos in slo_status.h).
nlohmann::json MajorStatusToJson(const ServedMajor& major, const ProductMetrics& metrics);

/// The status of a product: its current major's (MajorStatusToJson) with `majors`, the status
/// of every served major, newest first.
nlohmann::json ProductStatusToJson(const ServedProduct& product, const ProductMetrics& metrics);

}  // namespace quanta::node
