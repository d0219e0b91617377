#pragma once

#include <filesystem>

#include "base/status.h"
#include "node/product_catalog.h"
#include "node/product_metrics.h"
#include "ports/http_router.h"

namespace quanta::node {

/// Adds the product API of docs/node.md to `router`: deploy (PUT), undeploy (DELETE), list
/// and status (GET) of /v1/products/{domain}/{product}, the ingest route of input ports, and
/// the dataset and dead letter reads, Parquet exports (written under
/// `data_dir`/exports/<domain>/<product>/) and the change stream. `catalog` must outlive the
/// router's server.
Status AddProductRoutes(ports::HttpRouter& router, ProductCatalog& catalog, ProductMetrics& metrics,
                        const std::filesystem::path& data_dir);

/// The status of a deployed product as the API and `quanta status` show it, with the state of
/// its output ports' latency SLOs (`slo`: the contract's latency against the worst time from
/// an ingest request to its durable commit since the node started).
nlohmann::json ProductStatusToJson(DeployedProduct& product, const ProductMetrics& metrics);

}  // namespace quanta::node
