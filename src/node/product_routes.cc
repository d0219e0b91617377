#include "node/product_routes.h"

#include <fmt/format.h>

#include "model/contract_diff.h"
#include "ports/change_stream.h"
#include "ports/dataset_export.h"
#include "ports/dataset_port.h"
#include "ports/http_error.h"
#include "ports/ingest_port.h"
#include "store/clock.h"

namespace quanta::node {
namespace {

using nlohmann::json;

json OptionalTime(const std::optional<store::Timestamp>& time) {
  return time ? json(store::FormatTimestamp(*time)) : json(nullptr);
}

json FindingsToJson(const std::vector<Diagnostic>& findings) {
  json list = json::array();
  for (const Diagnostic& finding : findings) list.push_back(DiagnosticToJson(finding));
  return list;
}

// Runs `serve` with the product named by the request's path, or answers 404.
template <typename Serve>
ports::HttpResponse WithProduct(ProductCatalog& catalog, const ports::HttpRequest& request,
                                Serve serve) {
  std::string domain = request.PathParam("domain"), name = request.PathParam("product");
  std::shared_ptr<DeployedProduct> product = catalog.Find(domain, name);
  if (!product) {
    return ports::ErrorResponse(Status::NotFound(
        "no product {}/{} is deployed on this node; see GET /v1/products", domain, name));
  }
  ports::HttpResponse response = serve(*product);
  if (response.producer) {
    // A streamed body is produced after the handler returns: it keeps the product open.
    response.producer = [product, produce = std::move(response.producer)](
                            ports::BodyWriter& writer) { return produce(writer); };
  }
  return response;
}

ports::HttpResponse Deploy(ProductCatalog& catalog, const ports::HttpRequest& request) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("files") ||
      !body["files"].is_object()) {
    return ports::ErrorResponse(Status::Usage(
        "the body must be JSON {{\"files\": {{\"product.yaml\": \"...\", ...}}}}; `quanta "
        "deploy PATH` sends a product folder this way"));
  }
  ProductFiles files;
  for (auto it = body["files"].begin(); it != body["files"].end(); ++it) {
    if (!it->is_string()) {
      return ports::ErrorResponse(
          Status::Usage("files.\"{}\" must be the file's text, a string", it.key()));
    }
    files.emplace(it.key(), it->get<std::string>());
  }
  std::string domain = request.PathParam("domain"), name = request.PathParam("product");
  DeployRefusal refusal;
  Result<DeployReport> report = catalog.Deploy(domain, name, files, &refusal);
  if (!report.ok()) {
    ports::HttpResponse response = ports::ErrorResponse(report.status());
    if (!refusal.findings.empty()) {
      json error = json::parse(response.body, nullptr, false);
      if (error.is_object()) {
        error["findings"] = FindingsToJson(refusal.findings);
        response.body = error.dump() + "\n";
      }
    }
    return response;
  }
  return ports::HttpResponse::Json(report->created ? 201 : 200,
                                   {{"product", domain + "/" + name},
                                    {"deployed", true},
                                    {"created", report->created},
                                    {"findings", FindingsToJson(report->findings)}});
}

// The latency SLOs of the product's output ports: met, violated, or no data yet.
json SloToJson(DeployedProduct& product, const ProductMetrics& metrics) {
  json slos = json::array();
  std::optional<double> observed = metrics.WorstCommitSeconds(product.id);
  for (const model::OutputPort& port : product.folder->product->product.output_ports) {
    if (!port.name) continue;
    const model::ContractFile* contract = product.folder->ContractForOutputPort(*port.name);
    if (!contract) continue;
    for (const model::SlaProperty& sla : contract->contract.sla_properties) {
      if (sla.property.value_or("") != "latency") continue;
      std::optional<double> target =
          model::SlaDurationSeconds(sla.value, sla.unit, model::DurationScale::kLatency);
      if (!target) continue;
      std::string state = !observed ? "no data" : *observed <= *target ? "met" : "violated";
      slos.push_back({{"port", *port.name},
                      {"property", "latency"},
                      {"targetSeconds", *target},
                      {"observedSeconds", observed ? json(*observed) : json(nullptr)},
                      {"state", state}});
    }
  }
  return slos;
}

}  // namespace

json ProductStatusToJson(DeployedProduct& product, const ProductMetrics& metrics) {
  json result = {{"product", product.id},
                 {"version", product.folder->product->product.version.value_or("")},
                 {"state", "running"}};
  Result<store::StoreStatus> status = product.store->ReadStatus();
  if (!status.ok()) {
    result["state"] = "failing";
    result["error"] = status.status().message();
    return result;
  }
  result["head"] = {{"version", status->head.version},
                    {"committedAt", OptionalTime(status->head.committed_at)}};
  result["fileBytes"] = status->file_bytes;
  json ports = json::array();
  for (const store::PortStatus& port : status->ports) {
    ports.push_back({{"name", port.name},
                     {"received", port.received},
                     {"committed", port.committed},
                     {"rejected", port.rejected},
                     {"deadLetters", port.dead_letters}});
  }
  result["ports"] = ports;
  json datasets = json::array();
  for (const store::DatasetStatus& dataset : status->datasets) {
    datasets.push_back(
        {{"name", dataset.name},
         {"mode", store::WriteModeName(dataset.mode)},
         {"rows", dataset.current_rows},
         {"rowVersions", dataset.row_versions},
         {"latestVersion", dataset.latest_version ? json(*dataset.latest_version) : json(nullptr)},
         {"latestCommitAt", OptionalTime(dataset.latest_commit_at)}});
  }
  result["datasets"] = datasets;
  result["slo"] = SloToJson(product, metrics);
  return result;
}

Status AddProductRoutes(ports::HttpRouter& router, ProductCatalog& catalog, ProductMetrics& metrics,
                        const std::filesystem::path& data_dir) {
  ports::RouteOptions blocking{ports::HandlerMode::kBlocking, std::nullopt};
  // Deploys and ingest batches are bounded by the node's http.limits.maxBodyBytes, which the
  // operator sets; producers send larger data in several batches.
  ports::RouteOptions deploy_options = blocking, ingest_options = blocking;
  const std::string product_path = "/v1/products/{domain}/{product}";

  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/products",
      [&catalog, &metrics](const ports::HttpRequest&) {
        json products = json::array();
        for (const std::shared_ptr<DeployedProduct>& product : catalog.List()) {
          products.push_back(ProductStatusToJson(*product, metrics));
        }
        for (const auto& [id, error] : catalog.load_errors()) {
          products.push_back({{"product", id}, {"state", "failed"}, {"error", error}});
        }
        return ports::HttpResponse::Json(200, {{"products", products}});
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", product_path,
      [&catalog, &metrics](const ports::HttpRequest& request) {
        return WithProduct(catalog, request, [&metrics](DeployedProduct& product) {
          return ports::HttpResponse::Json(200, ProductStatusToJson(product, metrics));
        });
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "PUT", product_path,
      [&catalog](const ports::HttpRequest& request) { return Deploy(catalog, request); },
      deploy_options));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "DELETE", product_path,
      [&catalog](const ports::HttpRequest& request) {
        std::string domain = request.PathParam("domain"), name = request.PathParam("product");
        bool purge = request.Query("purge").value_or("false") == "true";
        Status status = catalog.Undeploy(domain, name, purge);
        if (!status.ok()) return ports::ErrorResponse(status);
        return ports::HttpResponse::Json(
            200, {{"product", domain + "/" + name}, {"undeployed", true}, {"purged", purge}});
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "POST", product_path + "/ports/{port}/events",
      [&catalog, &metrics](const ports::HttpRequest& request) {
        return WithProduct(catalog, request, [&](DeployedProduct& product) {
          std::string port = request.PathParam("port");
          auto started = std::chrono::steady_clock::now();
          return ports::ServeIngest(
              request, *product.runner, port, [&](const Result<pipeline::IngestOutcome>& outcome) {
                metrics.RecordIngest(product.id, port, outcome,
                                     std::chrono::steady_clock::now() - started);
              });
        });
      },
      ingest_options));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", product_path + "/datasets/{name}",
      [&catalog](const ports::HttpRequest& request) {
        return WithProduct(catalog, request, [&](DeployedProduct& product) {
          return ports::ServeDatasetRead(request, *product.store, request.PathParam("name"));
        });
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", product_path + "/deadletters",
      [&catalog](const ports::HttpRequest& request) {
        return WithProduct(catalog, request, [&](DeployedProduct& product) {
          return ports::ServeDeadLetters(request, *product.store);
        });
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", product_path + "/datasets/{name}/export",
      [&catalog, exports_dir = data_dir / "exports"](const ports::HttpRequest& request) {
        return WithProduct(catalog, request, [&](DeployedProduct& product) {
          // Domain and product names were checked as folder names when the product deployed.
          std::filesystem::path folder =
              exports_dir / request.PathParam("domain") / request.PathParam("product");
          return ports::ServeDatasetExport(request, *product.store, folder, product.id,
                                           request.PathParam("name"));
        });
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", product_path + "/datasets/{name}/changes",
      [&catalog](const ports::HttpRequest& request) {
        return WithProduct(catalog, request, [&](DeployedProduct& product) {
          return ports::ServeChangeStream(request, *product.store, request.PathParam("name"));
        });
      },
      blocking));
  return Status::Ok();
}

}  // namespace quanta::node
