#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pipeline/product_runner.h"
#include "ports/http_message.h"

namespace quanta::ports {

/// Splits an ingest body into records: a JSON array (each element one record) when the body
/// starts with '[' or the content type is application/json, else NDJSON (one record per
/// line; blank lines are skipped, a trailing \r is dropped). A malformed line is still a
/// record, which validation then rejects with its reason; a malformed array fails (Usage).
Result<std::vector<std::string>> SplitRecords(std::string_view body, std::string_view content_type);

/// The Content-Types an ingest body may be declared as: NDJSON (application/x-ndjson, what
/// `quanta ingest` sends, and application/jsonl), a JSON array (application/json), and
/// application/x-www-form-urlencoded, which is what curl sends with --data-binary unless told
/// otherwise, read as NDJSON. A body without a Content-Type is read too.
inline constexpr std::string_view kIngestMediaTypes[] = {"application/x-ndjson",
                                                         "application/jsonl", "application/json",
                                                         "application/x-www-form-urlencoded"};

/// nullopt when an ingest port reads `request`'s body as its Content-Type declares it (one of
/// kIngestMediaTypes, parameters aside, or none); else the 415 answer that names the types it
/// takes, so that a CSV or XML body is refused rather than taken as malformed records.
std::optional<HttpResponse> RefuseIngestMediaType(const HttpRequest& request);

/// The request's Idempotency-Key, nullopt when it has none. Fails (Usage, naming the header)
/// for a key that is empty or longer than 200 characters, and for a request with more than one
/// Idempotency-Key or Content-Type header: which one the client meant is not known.
Result<std::optional<std::string>> IngestIdempotencyKey(const HttpRequest& request);

/// POST /v1/products/{domain}/{product}/ports/{port}/events: runs the body as one micro-batch
/// of `port` and answers once it is durable (200), with counts and the first rejections; 415
/// for a Content-Type it does not read (RefuseIngestMediaType). An Idempotency-Key header
/// makes a retry answer the first result without applying it again.
/// `observe`, when set, sees the outcome (for metrics).
using IngestObserver = std::function<void(const Result<pipeline::IngestOutcome>& outcome)>;
HttpResponse ServeIngest(const HttpRequest& request, pipeline::ProductRunner& runner,
                         std::string_view port, const IngestObserver& observe = nullptr);

/// The JSON reply for an ingest outcome (also what `quanta ingest` prints).
nlohmann::json IngestOutcomeToJson(const pipeline::IngestOutcome& outcome);

}  // namespace quanta::ports
