#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "governance/read_access.h"
#include "ports/http_message.h"
#include "store/product_store.h"

namespace quanta::ports {

/// The page size of a read when the request gives no ?limit=.
inline constexpr std::int64_t kDefaultReadLimit = 1000;
/// The largest ?limit= a read accepts; larger pages are refused with a 400 (page with the
/// cursor instead).
inline constexpr std::int64_t kMaxReadLimit = 100000;
/// How many rows a read takes from the store before it answers. A page larger than this is
/// streamed: the rest comes from one more statement, written as DuckDB produces its rows.
inline constexpr std::int64_t kStorePageRows = 2000;

/// Answers GET /v1/products/{domain}/{product}/datasets/{name}: one page of `dataset`'s rows
/// at one version, as a JSON envelope {"dataset", "version", "rows", "nextCursor"} or, when the
/// Accept header prefers application/x-ndjson to application/json (NegotiateMediaType: by
/// q-value, then order), as NDJSON rows with the version and next cursor in the
/// Quanta-Version and Quanta-Next-Cursor headers. An Accept that takes neither gets JSON.
///
/// Query parameters: columns=a,b; filters <column>=<op>.<value> with op one of eq, neq, gt,
/// gte, lt, lte, like, ilike (* or % as wildcard), in.(a,b,"c,d"), is.null, is.notnull,
/// is.true, is.false, ANDed together; order=col[.asc|.desc][.nullsfirst|.nullslast],...
/// (default: the dataset's key, else insertion order); limit=N (1..kMaxReadLimit); cursor=
/// (from a previous page: pins the version, so pages of one read are consistent while new
/// versions commit); as_of=<RFC 3339 time> or version=N (time travel). The names columns,
/// order, limit, cursor, as_of and version are reserved: a column with one of these names
/// cannot be filtered on, and each may be given once. A page after the first must repeat the
/// first request's filters and order; a version or as_of beside a cursor must be of the
/// cursor's version.
///
/// Values are bound as typed SQL literals and column names are checked against the dataset, so
/// no parameter can change the query's shape. Errors are JSON (ErrorResponse): 400 naming the
/// parameter for a malformed or unknown one, 404 for an unknown dataset, 422 for a version or
/// time outside the dataset's retention or in the future.
///
/// The rows are read as `access` says (DatasetGrants::AccessTo): 403 when it may not read the
/// dataset; masked columns hold their masked values before any filter or order applies, so
/// filtering or ordering on them reveals nothing. (When a key column is masked, the default
/// order adds every column after the key.)
///
/// Runs the first store page before it returns; a larger page is produced by the response's
/// producer on the caller's blocking pool. Thread-safe. `store` must outlive the response.
HttpResponse ServeDatasetRead(const HttpRequest& request, store::ProductStore& store,
                              std::string_view dataset, const governance::DatasetAccess& access);

/// Answers GET /v1/products/{domain}/{product}/deadletters: the product's dead letters, oldest
/// version first, each {"version", "port", "offset", "reason", "payload", "payloadBase64",
/// "receivedAt"} (payload is the raw record as text, or null with payloadBase64 set when the
/// record is not UTF-8). Takes columns, filters (on the names above), order, limit and cursor
/// as ServeDatasetRead does; a cursor pins the reading to the dead letters of commits up to
/// its version. Same formats, errors, threading and lifetime as ServeDatasetRead.
HttpResponse ServeDeadLetters(const HttpRequest& request, store::ProductStore& store);

/// The error (NotFound) for a dataset `layout` does not have, as every dataset route reports
/// it: names the dataset and lists the product's datasets, and nothing of how the store keeps
/// them (no file names).
Status NoSuchDataset(const store::StoreLayout& layout, std::string_view dataset);

/// SQL for the JSON value of `expression`, a column of DuckDB type `type`, as the reads above
/// write it in a row: numbers stay numbers, TIMESTAMP WITH TIME ZONE becomes an RFC 3339 UTC
/// string and TIMESTAMP an ISO 8601 string without zone; other types as DuckDB converts them.
std::string JsonValueSql(std::string_view expression, std::string_view type);

}  // namespace quanta::ports
