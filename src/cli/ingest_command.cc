#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "base/fnv1a.h"
#include "cli/commands.h"
#include "cli/node_endpoint.h"
#include "engine/database.h"
#include "pipeline/file_records.h"

namespace quanta::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct IngestArguments {
  std::string file;
  std::string product;
  std::string port;
  std::string format;
  int batch_rows = 10000;
  std::string node;
};

constexpr std::size_t kShownRejections = 20;

// A batch of records, each a JSON text, and where each came from in the file.
struct Batch {
  std::vector<std::string> records;
  std::vector<std::int64_t> positions;  // line numbers (NDJSON) or row numbers (other formats)
};

/// Reads the records of an input file a batch at a time.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  /// Fills `batch` with up to `rows` records; an empty batch means the end.
  virtual Status Next(std::size_t rows, Batch* batch) = 0;
  /// How far through the file the reading is, from 0 to 1.
  virtual double Progress() const = 0;
  /// "line" or "row": what a position counts.
  virtual std::string_view PositionName() const = 0;
};

// NDJSON is sent line by line as it is, so that a malformed line reaches the node and lands in
// the dead letters with its reason instead of stopping the whole file.
class NdjsonSource : public RecordSource {
 public:
  static Result<std::unique_ptr<NdjsonSource>> Open(const fs::path& path) {
    auto source = std::unique_ptr<NdjsonSource>(new NdjsonSource());
    source->in_.open(path, std::ios::binary);
    if (!source->in_) return Status::IoError("{}: cannot read the file", path.string());
    std::error_code error;
    source->size_ = fs::file_size(path, error);
    return source;
  }

  Status Next(std::size_t rows, Batch* batch) override {
    batch->records.clear();
    batch->positions.clear();
    std::string line;
    while (batch->records.size() < rows && std::getline(in_, line)) {
      ++line_number_;
      if (line_number_ == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // BOM
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      batch->records.push_back(std::move(line));
      batch->positions.push_back(line_number_);
    }
    if (in_.bad()) return Status::IoError("reading failed after line {}", line_number_);
    return Status::Ok();
  }

  double Progress() const override {
    if (size_ == 0) return 1.0;
    std::streampos position = in_.tellg();
    return position < 0 ? 1.0 : static_cast<double>(position) / static_cast<double>(size_);
  }

  std::string_view PositionName() const override { return "line"; }

 private:
  NdjsonSource() = default;
  mutable std::ifstream in_;  // tellg is not const
  std::uintmax_t size_ = 0;
  std::int64_t line_number_ = 0;
};

// CSV, Parquet and JSON arrays are read by DuckDB into a table of JSON texts, one per row in
// file order, then sent a page at a time.
class DuckDbSource : public RecordSource {
 public:
  static Result<std::unique_ptr<DuckDbSource>> Open(const fs::path& path, std::string_view format) {
    auto source = std::unique_ptr<DuckDbSource>(new DuckDbSource());
    QUANTA_ASSIGN_OR_RETURN(source->database_, engine::Database::Open());
    QUANTA_ASSIGN_OR_RETURN(source->connection_, source->database_->Connect());
    std::error_code error;
    if (fs::file_size(path, error) == 0 && !error) return source;  // no records
    bool csv = format == "csv";
    std::string call =
        csv ? pipeline::CsvReadCall(path, /*all_varchar=*/false)
            : fmt::format("{}({})", format == "parquet" ? "read_parquet" : "read_json",
                          engine::QuoteLiteral(path.string()));
    Status loaded = source->connection_->Execute(fmt::format(
        "CREATE TABLE records AS SELECT to_json(t)::VARCHAR AS record FROM {} t", call));
    if (!loaded.ok()) {
      // DuckDB's first line says what is wrong; the rest is its advice and our statement.
      const std::string& message = loaded.message();
      return Status::Usage("{}: cannot be read as {}: {}", path.string(), format,
                           message.substr(0, message.find('\n')));
    }
    if (csv) QUANTA_RETURN_IF_ERROR(pipeline::CsvLinesProblem(*source->connection_, path));
    QUANTA_ASSIGN_OR_RETURN(engine::QueryResult count,
                            source->connection_->Query("SELECT count(*) FROM records"));
    source->total_ = std::stoll(count.rows.at(0).at(0).value_or("0"));
    return source;
  }

  Status Next(std::size_t rows, Batch* batch) override {
    batch->records.clear();
    batch->positions.clear();
    if (next_ >= total_) return Status::Ok();
    QUANTA_ASSIGN_OR_RETURN(
        engine::QueryResult page,
        connection_->Query(fmt::format(
            "SELECT record FROM records WHERE rowid >= {} AND rowid < {} ORDER BY rowid", next_,
            next_ + static_cast<std::int64_t>(rows))));
    for (auto& row : page.rows) {
      ++next_;
      batch->records.push_back(row.at(0).value_or("null"));
      batch->positions.push_back(next_);
    }
    return Status::Ok();
  }

  double Progress() const override {
    return total_ == 0 ? 1.0 : static_cast<double>(next_) / static_cast<double>(total_);
  }

  std::string_view PositionName() const override { return "row"; }

 private:
  DuckDbSource() = default;
  std::unique_ptr<engine::Database> database_;
  std::unique_ptr<engine::Connection> connection_;
  std::int64_t total_ = 0;
  std::int64_t next_ = 0;
};

// FNV-1a over the file's bytes: a stable fingerprint of its content for idempotency keys.
Result<std::string> ContentFingerprint(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("{}: cannot read the file", path.string());
  Fnv1a64 hash;
  std::uint64_t size = 0;
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    hash.Add(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
    size += static_cast<std::uint64_t>(in.gcount());
  }
  if (in.bad()) return Status::IoError("{}: reading failed", path.string());
  return fmt::format("{:016x}-{}", hash.value(), size);
}

Result<std::string> FormatOf(const IngestArguments& arguments) {
  if (!arguments.format.empty()) return arguments.format;
  std::string extension = fs::path(arguments.file).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".csv" || extension == ".tsv") return std::string("csv");
  if (extension == ".ndjson" || extension == ".jsonl" || extension == ".json") {
    return std::string("ndjson");
  }
  if (extension == ".parquet") return std::string("parquet");
  return Status::Usage(
      "{}: cannot tell the format from the extension '{}'; pass --format "
      "csv, ndjson or parquet",
      arguments.file, extension);
}

// True when the file's first non-blank character opens a JSON array.
bool StartsWithArray(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c)) {
    if (c == '[') return true;
    if (!std::isspace(static_cast<unsigned char>(c)) && c != '\xEF' && c != '\xBB' && c != '\xBF') {
      return false;
    }
  }
  return false;
}

Result<std::unique_ptr<RecordSource>> OpenSource(const fs::path& path, const std::string& format) {
  if (format == "ndjson" && !StartsWithArray(path)) {
    QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<NdjsonSource> source, NdjsonSource::Open(path));
    return std::unique_ptr<RecordSource>(std::move(source));
  }
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<DuckDbSource> source, DuckDbSource::Open(path, format));
  return std::unique_ptr<RecordSource>(std::move(source));
}

struct Totals {
  std::int64_t batches = 0;
  std::int64_t replayed = 0;
  std::int64_t received = 0;
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::vector<std::string> rejections;  // the first kShownRejections, ready to print
};

std::int64_t Count(const Json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

void AddReply(const Json& body, const Batch& batch, std::string_view position_name,
              Totals* totals) {
  ++totals->batches;
  totals->received += Count(body, "received");
  totals->accepted += Count(body, "accepted");
  totals->rejected += Count(body, "rejected");
  if (body.value("replayed", false)) ++totals->replayed;
  auto rejections = body.find("rejections");
  if (rejections == body.end() || !rejections->is_array()) return;
  for (const Json& rejection : *rejections) {
    if (totals->rejections.size() >= kShownRejections) return;
    std::string reason = rejection.value("reason", std::string("rejected"));
    std::int64_t index = Count(rejection, "index");
    std::string where = index >= 0 && static_cast<std::size_t>(index) < batch.positions.size()
                            ? fmt::format("{} {}", position_name, batch.positions[index])
                            : fmt::format("record {} of batch {}", index, totals->batches);
    totals->rejections.push_back(fmt::format("{}: {}", where, reason));
  }
}

void PrintSummary(const IngestArguments& arguments, const ProductName& product,
                  const Totals& totals) {
  std::cout << fmt::format(
      "{} -> {} port {}: {} received, {} accepted, {} rejected ({} batch{}{})\n", arguments.file,
      ProductLabel(product), arguments.port, totals.received, totals.accepted, totals.rejected,
      totals.batches, totals.batches == 1 ? "" : "es",
      totals.replayed > 0 ? fmt::format(", {} already applied before", totals.replayed) : "");
  if (totals.rejected > 0) {
    std::cout << fmt::format(
        "first rejections (all are in the dead letters: GET {}/deadletters):\n",
        ProductTarget(product));
    for (const std::string& rejection : totals.rejections) std::cout << "  " << rejection << "\n";
    auto shown = static_cast<std::int64_t>(totals.rejections.size());
    if (totals.rejected > shown) {
      std::cout << fmt::format("  ... and {} more{}\n", totals.rejected - shown,
                               shown == 0 ? " (their reasons are in the dead letters)" : "");
    }
  }
}

int RunIngest(const IngestArguments& arguments) {
  Result<ProductName> product = ParseProductName(arguments.product);
  if (!product.ok()) return ReportFailure("ingest", product.status());
  Result<ports::NodeAddress> address = ports::ParseNodeUrl(arguments.node);
  if (!address.ok()) return ReportFailure("ingest", address.status());
  Result<std::string> format = FormatOf(arguments);
  if (!format.ok()) return ReportFailure("ingest", format.status());
  fs::path path(arguments.file);
  if (!fs::is_regular_file(path)) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      return ReportFailure("ingest",
                           Status::IoError("{}: is a folder; name a file in it", arguments.file));
    }
    return ReportFailure("ingest", Status::IoError("{}: no such file", arguments.file));
  }
  Result<std::string> fingerprint = ContentFingerprint(path);
  if (!fingerprint.ok()) return ReportFailure("ingest", fingerprint.status());
  Result<std::unique_ptr<RecordSource>> source = OpenSource(path, *format);
  if (!source.ok()) return ReportFailure("ingest", source.status());

  ports::HttpClient client(*address);
  bool show_progress = isatty(STDERR_FILENO) != 0;
  Totals totals;
  Batch batch;
  std::string target =
      fmt::format("{}/ports/{}/events", ProductTarget(*product), PathSegment(arguments.port));
  for (std::int64_t number = 0;; ++number) {
    Status read = (*source)->Next(static_cast<std::size_t>(arguments.batch_rows), &batch);
    if (!read.ok()) {
      return ReportFailure(
          "ingest", Status(read.code(), fmt::format("{}: {}", arguments.file, read.message())));
    }
    if (batch.records.empty()) break;
    ports::HttpClientRequest request;
    request.method = "POST";
    request.target = target;
    request.content_type = "application/x-ndjson";
    // The same file cut the same way gives the same keys: running the command again applies
    // each batch once.
    request.headers = {{"Idempotency-Key", fmt::format("ingest-{}-{}-{}", *fingerprint,
                                                       arguments.batch_rows, number)}};
    for (const std::string& record : batch.records) {
      request.body += record;
      request.body += '\n';
    }
    ports::HttpClientResponse response;
    Result<Json> body = CallNode(client, request, &response);
    if (!body.ok()) {
      if (show_progress) std::cerr << "\n";
      if (totals.batches > 0) PrintSummary(arguments, *product, totals);
      std::string message = fmt::format("batch {} ({}s {} to {}) was not ingested: {}", number + 1,
                                        (*source)->PositionName(), batch.positions.front(),
                                        batch.positions.back(), body.status().message());
      if (response.status == 413) {
        // Fewer rows help only when the batch holds more than one.
        message += batch.records.size() > 1
                       ? "; send smaller batches with --batch-rows"
                       : fmt::format("; {} {} alone is larger than the node takes in one request",
                                     (*source)->PositionName(), batch.positions.front());
      }
      if (totals.batches > 0) {
        message +=
            "; running the same command again resumes (batches already applied are "
            "recognised by their Idempotency-Key and not applied twice)";
      }
      return ReportFailure("ingest", Status(body.status().code(), message));
    }
    AddReply(*body, batch, (*source)->PositionName(), &totals);
    if (show_progress) {
      std::cerr << fmt::format("\rquanta ingest: {:3.0f}%  {} records sent",
                               100.0 * (*source)->Progress(), totals.received)
                << std::flush;
    }
  }
  if (show_progress && totals.batches > 0) std::cerr << "\n";
  if (totals.batches == 0) {
    std::cout << fmt::format("{}: no records; nothing was sent\n", arguments.file);
    return 0;
  }
  PrintSummary(arguments, *product, totals);
  return totals.rejected > 0 ? 1 : 0;
}

}  // namespace

void RegisterIngestCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<IngestArguments>();
  CLI::App* command = app.add_subcommand(
      "ingest", "Send a CSV, NDJSON or Parquet file to an input port of a deployed product");
  command->add_option("file", arguments->file, "The file to send")->required();
  command->add_option("--product", arguments->product, "The product, as DOMAIN/NAME")->required();
  command->add_option("--port", arguments->port, "The product's input port")->required();
  command
      ->add_option("--format", arguments->format,
                   "csv, ndjson or parquet (default: from the extension: .csv .tsv, .ndjson "
                   ".jsonl .json, .parquet)")
      ->check(CLI::IsMember({"csv", "ndjson", "parquet"}));
  command->add_option("--batch-rows", arguments->batch_rows, "Records per request (default 10000)")
      ->check(CLI::Range(1, 1000000));
  AddNodeOption(command, &arguments->node);
  command->footer(
      "Records go to POST /v1/products/DOMAIN/NAME/ports/PORT/events as NDJSON, in batches;\n"
      "each batch is acknowledged once durable. NDJSON lines are sent as they are (a malformed\n"
      "line is rejected by the node, not here); CSV and Parquet rows become JSON objects,\n"
      "typed by DuckDB's detection; a CSV file with a line that does not fit its header (a\n"
      "field too many or too few, bytes that are not UTF-8) is refused whole, naming the\n"
      "lines, before anything is sent. Every record is checked against the port's contract;\n"
      "rejected ones land in the product's dead letters and the first are listed here.\n\n"
      "Each batch carries an Idempotency-Key made of the file's content hash, --batch-rows and\n"
      "the batch number: running the same command again after a failure applies every batch\n"
      "once. Progress is shown on stderr when it is a terminal.\n\n"
      "Exit codes: 0 every record accepted, 1 some records rejected or the node refused,\n"
      "2 usage or I/O error (an unreadable file, a node that cannot be reached).\n\n"
      "Examples:\n"
      "  quanta ingest events.ndjson --product orders/orders --port order_events\n"
      "  quanta ingest drop.csv --product customers/demographics --port demographic_drops\n"
      "  quanta ingest part-0.parquet --product orders/orders --port order_events "
      "--batch-rows 50000");
  command->callback([arguments, exit_code] { *exit_code = RunIngest(*arguments); });
}

}  // namespace quanta::cli
