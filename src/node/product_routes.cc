#include "node/product_routes.h"

#include <fmt/format.h>

#include <ctime>

#include "node/slo_status.h"
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

// `time` as an HTTP date (RFC 9110 IMF-fixdate): "Sun, 31 Jan 2027 00:00:00 GMT".
std::string HttpDate(store::Timestamp time) {
  std::time_t seconds = std::chrono::floor<std::chrono::seconds>(time).time_since_epoch().count();
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

// A body writer that also stops when the major it streams from stops being served, so that a
// retirement or redeploy ends its event streams instead of waiting for them.
class MajorStreamWriter final : public ports::BodyWriter {
 public:
  MajorStreamWriter(ports::BodyWriter& inner, const DeployedProduct& product)
      : inner_(inner), product_(product) {}
  bool Write(std::string chunk) override { return inner_.Write(std::move(chunk)); }
  bool Cancelled() const override { return inner_.Cancelled(); }
  bool Draining() const override { return inner_.Draining() || product_.stopping.load(); }
  bool WaitForStop(std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!product_.stopping.load()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (inner_.WaitForStop(std::min(left, std::chrono::milliseconds(50)))) return true;
    }
    return true;
  }

 private:
  ports::BodyWriter& inner_;
  const DeployedProduct& product_;
};

// What follows the first `count` segments of `path` ("/a/b/c", 2: "/c"); empty when it has no
// more.
std::string PathAfterSegments(std::string_view path, std::size_t count) {
  std::size_t at = 0;
  for (std::size_t i = 0; i <= count; ++i) {
    at = path.find('/', at + (i == 0 ? 0 : 1));
    if (at == std::string_view::npos) return "";
  }
  return std::string(path.substr(at));
}

// 404 for a product the node does not have; 503 with the reason for one it has on disk but
// could not open (a damaged file, or a store that stopped the engine when it last ran).
ports::HttpResponse NoSuchProduct(const ProductCatalog& catalog, const std::string& domain,
                                  const std::string& name) {
  std::map<std::string, std::string> failed = catalog.load_errors();
  if (auto found = failed.find(domain + "/" + name); found != failed.end()) {
    return ports::ErrorResponse(Status(
        ErrorCode::kUnavailable, fmt::format("product {}/{} is on this node but not served: {}",
                                             domain, name, found->second)));
  }
  return ports::ErrorResponse(Status::NotFound(
      "no product {}/{} is deployed on this node; see GET /v1/products", domain, name));
}

// Runs `serve` with the served major that the request's path names (/majors/{major}/...), or
// the current one; answers 404 for an unknown product or major, 400 for a malformed major.
// Responses of a retiring major say when it goes (Sunset, Deprecation) and where to
// (Link rel="successor-version").
template <typename Serve>
ports::HttpResponse WithMajor(ProductCatalog& catalog, const ports::HttpRequest& request,
                              Serve serve) {
  std::string domain = request.PathParam("domain"), name = request.PathParam("product");
  std::optional<ServedProduct> served = catalog.FindServed(domain, name);
  if (!served) return NoSuchProduct(catalog, domain, name);
  const ServedMajor* chosen = &served->current();
  std::string major_text = request.PathParam("major");
  std::string product_path = fmt::format("/v1/products/{}/{}", domain, name);
  if (!major_text.empty()) {
    std::optional<std::int64_t> major;
    if (major_text.size() <= 9 && major_text.find_first_not_of("0123456789") == std::string::npos) {
      major = std::stoll(major_text);
    }
    if (!major) {
      return ports::ErrorResponse(Status::Usage(
          "'{}' in {}/majors/{}/ is not a major version number; {} serves {}: use e.g. "
          "{}/majors/{}/",
          major_text, product_path, major_text, served->id, served->Describe(), product_path,
          served->current().product->major));
    }
    chosen = served->Find(*major);
    if (!chosen) {
      return ports::ErrorResponse(Status::NotFound(
          "{} serves no major {} (a major is served until its retirement date); it serves {}",
          served->id, *major, served->Describe()));
    }
  }
  ServedMajor major = *chosen;
  std::int64_t current_major = served->current().product->major;
  served.reset();  // hold only the major being read
  ports::HttpResponse response = serve(major);
  response.headers.emplace_back("Quanta-Major", std::to_string(major.product->major));
  if (!major.current()) {
    response.headers.emplace_back("Sunset", HttpDate(*major.retire_at));
    if (major.retiring_since) {
      response.headers.emplace_back(
          "Deprecation",
          fmt::format("@{}", std::chrono::floor<std::chrono::seconds>(*major.retiring_since)
                                 .time_since_epoch()
                                 .count()));
    }
    // The rest of the path as the client sent it, escapes kept: decoded, a dataset name could
    // hold a line break, which has no place in a header.
    std::string rest =
        PathAfterSegments(request.encoded_path, major_text.empty() ? 4 : 6);  // v1/products/d/p
    response.headers.emplace_back("Link", fmt::format("<{}/majors/{}{}>; rel=\"successor-version\"",
                                                      product_path, current_major, rest));
  }
  if (response.producer) {
    // A streamed body is produced after the handler returns: it keeps the major open, and
    // ends when the major stops being served.
    response.producer = [product = major.product,
                         produce = std::move(response.producer)](ports::BodyWriter& writer) {
      MajorStreamWriter stoppable(writer, *product);
      return produce(stoppable);
    };
  }
  return response;
}

// What a status route answers, for its messages.
// ?purge=true|false of an undeploy or a retirement. Anything else is refused: purge=yes read
// as false would keep data the caller meant to delete, and a misspelled parameter would too.
Result<bool> PurgeParameter(const ports::HttpRequest& request, const std::string& what) {
  static constexpr std::string_view kKnown[] = {"purge"};
  QUANTA_RETURN_IF_ERROR(request.CheckQueryKnown(kKnown, what));
  QUANTA_RETURN_IF_ERROR(request.CheckQueryOnce(kKnown));
  std::optional<std::string> purge = request.Query("purge");
  if (!purge || *purge == "false") return false;
  if (*purge == "true") return true;
  return Status::Usage("purge must be true or false, not '{}'", *purge);
}

std::string StatusOf(std::string_view product) { return fmt::format("the status of {}", product); }

json MajorSummariesToJson(const std::vector<MajorSummary>& summaries) {
  json majors = json::array();
  for (const MajorSummary& major : summaries) {
    majors.push_back({{"major", major.major},
                      {"version", major.version},
                      {"role", major.retire_at ? "retiring" : "current"},
                      {"retireAt", OptionalTime(major.retire_at)}});
  }
  return majors;
}

ports::HttpResponse Deploy(ProductCatalog& catalog, const ports::HttpRequest& request) {
  static constexpr std::string_view kDeployParameters[] = {"retire_previous_at"};
  if (Status known = request.CheckQueryKnown(kDeployParameters, "a deploy"); !known.ok()) {
    return ports::ErrorResponse(known);
  }
  if (Status once = request.CheckQueryOnce(kDeployParameters); !once.ok()) {
    return ports::ErrorResponse(once);
  }
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
  DeployOptions options;
  options.retire_previous_at = request.Query("retire_previous_at");
  std::string domain = request.PathParam("domain"), name = request.PathParam("product");
  DeployRefusal refusal;
  Result<DeployReport> report = catalog.Deploy(domain, name, files, &refusal, options);
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
  json answer = {{"product", domain + "/" + name},
                 {"deployed", true},
                 {"created", report->created},
                 {"major", report->major},
                 {"newMajor", report->new_major},
                 {"findings", FindingsToJson(report->findings)},
                 {"majors", MajorSummariesToJson(report->majors)}};
  return ports::HttpResponse::Json(report->created ? 201 : 200, answer);
}

// The SLOs of the major's output ports (slo_status.h): met, violated, or no data yet.
json SloToJson(const DeployedProduct& product, const store::StoreStatus& status,
               const ProductMetrics& metrics) {
  SloObservations observed{
      .worst_commit_seconds = metrics.WorstCommitSeconds(product.id, product.major),
      .store = &status,
      .now = std::chrono::time_point_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now())};
  json slos = json::array();
  for (const SloState& slo : EvaluateSlos(*product.folder, observed)) {
    slos.push_back(
        {{"port", slo.port},
         {"property", slo.property},
         {"targetSeconds", slo.target_seconds},
         {"observedSeconds", slo.observed_seconds ? json(*slo.observed_seconds) : json(nullptr)},
         {"state", SloVerdictName(slo.verdict)}});
  }
  return slos;
}

// The answer to an ingest batch that went to several majors: the newest major's outcome at the
// top (what a client of one major reads), and every major's under "majors". When a major
// failed, an error that says which committed and how to retry.
ports::HttpResponse MajorsIngestResponse(const std::string& product_id,
                                         const std::vector<MajorIngest>& outcomes, bool has_key) {
  json majors = json::array();
  const MajorIngest* failed = nullptr;
  std::vector<std::string> committed;
  for (const MajorIngest& result : outcomes) {
    if (result.outcome.ok()) {
      json entry = ports::IngestOutcomeToJson(*result.outcome);
      entry["major"] = result.major;
      majors.push_back(std::move(entry));
      committed.push_back(
          fmt::format("major {} (version {})", result.major, result.outcome->commit.version));
    } else {
      const Status& status = result.outcome.status();
      majors.push_back({{"major", result.major},
                        {"error",
                         {{"code", InfoFor(status.code()).name},
                          {"message", status.message()},
                          {"status", InfoFor(status.code()).http_status}}}});
      if (!failed) failed = &result;
    }
  }
  if (!failed) {
    json body = ports::IngestOutcomeToJson(*outcomes.front().outcome);
    body["major"] = outcomes.front().major;
    body["majors"] = std::move(majors);
    return ports::HttpResponse::Json(200, body);
  }
  std::string committed_text;
  for (const std::string& part : committed) {
    committed_text += (committed_text.empty() ? "" : ", ") + part;
  }
  std::string retry =
      committed.empty() ? "nothing was committed"
      : has_key         ? fmt::format(
                              "{} committed it; send the batch again with the same Idempotency-Key: "
                                      "each major applies it once",
                              committed_text)
                : fmt::format(
                      "{} committed it; the batch has no Idempotency-Key, so sending it again "
                      "applies it twice there (send batches with an Idempotency-Key while "
                      "several majors are served)",
                      committed_text);
  Status status(failed->outcome.status().code(),
                fmt::format("{} major {}: {}; {}", product_id, failed->major,
                            failed->outcome.status().message(), retry));
  ports::HttpResponse response = ports::ErrorResponse(status);
  json error = json::parse(response.body, nullptr, false);
  if (error.is_object()) {
    error["majors"] = std::move(majors);
    response.body = error.dump() + "\n";
  }
  return response;
}

ports::HttpResponse Ingest(ProductCatalog& catalog, ProductMetrics& metrics,
                           const ports::HttpRequest& request) {
  std::string domain = request.PathParam("domain"), name = request.PathParam("product");
  std::optional<ServedProduct> served = catalog.FindServed(domain, name);
  if (!served) return NoSuchProduct(catalog, domain, name);
  std::string port = request.PathParam("port");
  // An unknown port is the first thing wrong with a batch, whatever its body.
  if (Status known = CheckInputPort(*served, port); !known.ok()) {
    return ports::ErrorResponse(known);
  }
  if (Status known = request.CheckQueryKnown({}, fmt::format("ingest into port {}", port));
      !known.ok()) {
    return ports::ErrorResponse(known);
  }
  auto started = std::chrono::steady_clock::now();
  auto observe = [&](std::int64_t major, const Result<pipeline::IngestOutcome>& outcome) {
    metrics.RecordIngest(served->id, major, port, outcome,
                         std::chrono::steady_clock::now() - started);
  };
  const DeployedProduct& current = *served->current().product;
  if (served->majors.size() == 1) {
    return ports::ServeIngest(
        request, *current.runner, port,
        [&](const Result<pipeline::IngestOutcome>& outcome) { observe(current.major, outcome); });
  }
  Result<std::optional<std::string>> key = ports::IngestIdempotencyKey(request);
  if (!key.ok()) return ports::ErrorResponse(key.status());
  if (std::optional<ports::HttpResponse> refused = ports::RefuseIngestMediaType(request)) {
    return *refused;
  }
  Result<std::vector<std::string>> records =
      ports::SplitRecords(request.body, request.Header("Content-Type").value_or(""));
  if (!records.ok()) return ports::ErrorResponse(records.status());
  if (records->empty()) return ports::ErrorResponse(Status::Usage("the body holds no records"));
  Result<std::vector<MajorIngest>> outcomes = IngestToMajors(*served, port, *records, *key);
  if (!outcomes.ok()) {
    observe(current.major, outcomes.status());
    return ports::ErrorResponse(outcomes.status());
  }
  for (const MajorIngest& outcome : *outcomes) observe(outcome.major, outcome.outcome);
  return MajorsIngestResponse(served->id, *outcomes, key->has_value());
}

}  // namespace

json MajorStatusToJson(const ServedMajor& major, const ProductMetrics& metrics) {
  DeployedProduct& product = *major.product;
  json output_ports = json::array();
  for (const model::OutputPort& port : product.folder->product->product.output_ports) {
    if (!port.name) continue;
    const model::ContractFile* contract = product.folder->ContractForOutputPort(*port.name);
    output_ports.push_back({{"name", *port.name},
                            {"version", port.version ? json(*port.version) : json(nullptr)},
                            {"contractVersion", contract && contract->contract.version
                                                    ? json(*contract->contract.version)
                                                    : json(nullptr)}});
  }
  json result = {{"product", product.id},
                 {"major", product.major},
                 {"version", product.version()},
                 {"role", major.current() ? "current" : "retiring"},
                 {"retireAt", OptionalTime(major.retire_at)},
                 {"retiringSince", OptionalTime(major.retiring_since)},
                 {"outputPorts", output_ports},
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
         {"latestCommitAt", OptionalTime(dataset.latest_commit_at)},
         // How far back time travel reaches: older versions are past the retention.
         {"earliestReadableVersion", dataset.earliest_readable_version},
         {"retentionSeconds",
          dataset.retention ? json(dataset.retention->count()) : json(nullptr)}});
  }
  result["datasets"] = datasets;
  result["slo"] = SloToJson(product, *status, metrics);
  return result;
}

json ProductStatusToJson(const ServedProduct& product, const ProductMetrics& metrics) {
  json majors = json::array();
  for (const ServedMajor& major : product.majors) {
    majors.push_back(MajorStatusToJson(major, metrics));
  }
  json result = majors.front();
  result["majors"] = std::move(majors);
  return result;
}

Status AddProductRoutes(ports::HttpRouter& router, ProductCatalog& catalog, ProductMetrics& metrics,
                        const std::filesystem::path& data_dir,
                        std::shared_ptr<const DatasetGrants> grants) {
  ports::RouteOptions blocking{ports::HandlerMode::kBlocking, std::nullopt};
  // Deploys and ingest batches are bounded by the node's http.limits.maxBodyBytes, which the
  // operator sets; producers send larger data in several batches.
  ports::RouteOptions deploy_options = blocking, ingest_options = blocking;
  const std::string product_path = "/v1/products/{domain}/{product}";
  const std::string major_path = product_path + "/majors/{major}";

  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", "/v1/products",
      [&catalog, &metrics](const ports::HttpRequest& request) {
        if (Status known = request.CheckQueryKnown({}, "the product list"); !known.ok()) {
          return ports::ErrorResponse(known);
        }
        json products = json::array();
        for (const ServedProduct& product : catalog.ListServed()) {
          products.push_back(ProductStatusToJson(product, metrics));
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
        std::string domain = request.PathParam("domain"), name = request.PathParam("product");
        std::optional<ServedProduct> served = catalog.FindServed(domain, name);
        if (!served) return NoSuchProduct(catalog, domain, name);
        if (Status known = request.CheckQueryKnown({}, StatusOf(served->id)); !known.ok()) {
          return ports::ErrorResponse(known);
        }
        return ports::HttpResponse::Json(200, ProductStatusToJson(*served, metrics));
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "GET", major_path,
      [&catalog, &metrics](const ports::HttpRequest& request) {
        return WithMajor(catalog, request, [&](const ServedMajor& major) {
          std::string what =
              StatusOf(fmt::format("{} major {}", major.product->id, major.product->major));
          if (Status known = request.CheckQueryKnown({}, what); !known.ok()) {
            return ports::ErrorResponse(known);
          }
          return ports::HttpResponse::Json(200, MajorStatusToJson(major, metrics));
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
        Result<bool> purge =
            PurgeParameter(request, fmt::format("undeploying {}/{}", domain, name));
        if (!purge.ok()) return ports::ErrorResponse(purge.status());
        Status status = catalog.Undeploy(domain, name, *purge);
        if (!status.ok()) return ports::ErrorResponse(status);
        return ports::HttpResponse::Json(
            200, {{"product", domain + "/" + name}, {"undeployed", true}, {"purged", *purge}});
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "DELETE", major_path,
      [&catalog](const ports::HttpRequest& request) {
        std::string domain = request.PathParam("domain"), name = request.PathParam("product");
        std::string major_text = request.PathParam("major");
        Result<bool> purge = PurgeParameter(
            request, fmt::format("retiring major {} of {}/{}", major_text, domain, name));
        if (!purge.ok()) return ports::ErrorResponse(purge.status());
        if (major_text.empty() || major_text.size() > 9 ||
            major_text.find_first_not_of("0123456789") != std::string::npos) {
          return ports::ErrorResponse(
              Status::Usage("'{}' is not a major version number; DELETE "
                            "/v1/products/{}/{}/majors/1 retires major 1",
                            major_text, domain, name));
        }
        std::int64_t major = std::stoll(major_text);
        Status status = catalog.RetireMajor(domain, name, major, *purge);
        if (!status.ok()) return ports::ErrorResponse(status);
        return ports::HttpResponse::Json(200, {{"product", domain + "/" + name},
                                               {"major", major},
                                               {"retired", true},
                                               {"purged", *purge}});
      },
      blocking));
  QUANTA_RETURN_IF_ERROR(router.Add(
      "POST", product_path + "/ports/{port}/events",
      [&catalog, &metrics](const ports::HttpRequest& request) {
        return Ingest(catalog, metrics, request);
      },
      ingest_options));
  for (const std::string& base : {product_path, major_path}) {
    QUANTA_RETURN_IF_ERROR(router.Add(
        "GET", base + "/datasets/{name}",
        [&catalog, grants](const ports::HttpRequest& request) {
          return WithMajor(catalog, request, [&](const ServedMajor& major) {
            std::string name = request.PathParam("name");
            return ports::ServeDatasetRead(
                request, *major.product->store, name,
                DatasetGrants::AccessTo(*major.product, name, grants->HttpReader(request)));
          });
        },
        blocking));
    QUANTA_RETURN_IF_ERROR(router.Add(
        "GET", base + "/deadletters",
        [&catalog, grants](const ports::HttpRequest& request) {
          return WithMajor(catalog, request, [&](const ServedMajor& major) {
            Status allowed =
                DatasetGrants::MayReadDeadLetters(*major.product, grants->HttpReader(request));
            if (!allowed.ok()) return ports::ErrorResponse(allowed);
            return ports::ServeDeadLetters(request, *major.product->store);
          });
        },
        blocking));
    QUANTA_RETURN_IF_ERROR(router.Add(
        "GET", base + "/datasets/{name}/export",
        [&catalog, grants, exports_dir = data_dir / "exports"](const ports::HttpRequest& request) {
          return WithMajor(catalog, request, [&](const ServedMajor& major) {
            // Domain and product names were checked as folder names when the product
            // deployed. Each major has its own folder: their versions count apart.
            std::filesystem::path folder = exports_dir / request.PathParam("domain") /
                                           request.PathParam("product") / "majors" /
                                           std::to_string(major.product->major);
            std::string name = request.PathParam("name");
            return ports::ServeDatasetExport(
                request, *major.product->store, folder, major.product->id, name,
                DatasetGrants::AccessTo(*major.product, name, grants->HttpReader(request)));
          });
        },
        blocking));
    QUANTA_RETURN_IF_ERROR(router.Add(
        "GET", base + "/datasets/{name}/changes",
        [&catalog, grants](const ports::HttpRequest& request) {
          return WithMajor(catalog, request, [&](const ServedMajor& major) {
            std::string name = request.PathParam("name");
            return ports::ServeChangeStream(
                request, *major.product->store, name,
                DatasetGrants::AccessTo(*major.product, name, grants->HttpReader(request)));
          });
        },
        blocking));
  }
  return Status::Ok();
}

}  // namespace quanta::node
