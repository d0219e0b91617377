#include "node/product_catalog.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "governance/linter.h"
#include "governance/row_filter.h"
#include "model/contract_diff.h"
#include "model/product_name.h"

namespace quanta::node {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFiles = 500;
constexpr std::size_t kMaxFileBytes = 8u << 20;
constexpr const char* kMajors = "majors";
constexpr const char* kSource = "source";
constexpr const char* kIncoming = "incoming";
constexpr const char* kPrevious = "previous";
constexpr const char* kUndeployed = "undeployed";
constexpr const char* kRetired = "retired";
constexpr const char* kStoreFile = "store.duckdb";
constexpr const char* kRetiringFile = "retiring.json";

// A path from a deploy request that stays inside the product folder: relative, no "..", no
// empty or hidden segments, only characters that are safe in file names.
Status CheckFilePath(const std::string& path) {
  if (path.empty() || path.size() > 256)
    return Status::Usage("file path '{}': empty or too long", path);
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view segment(path.data() + start, end - start);
    if (segment.empty() || segment.front() == '.') {
      return Status::Usage("file path '{}': empty, '.' or '..' segments are not allowed", path);
    }
    for (char c : segment) {
      bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      if (!safe) {
        return Status::Usage("file path '{}': only letters, digits, '-', '_' and '.' may be used",
                             path);
      }
    }
    start = end + 1;
  }
  return Status::Ok();
}

// The major version of "2.1.0" or "v2": "2"; empty when unversioned.
std::string MajorOf(const std::optional<std::string>& version) {
  if (!version) return "";
  std::string text = *version;
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.erase(0, 1);
  return text.substr(0, text.find('.'));
}

// A whole number of at most 9 digits: a major version, a folder name under majors/.
std::optional<std::int64_t> SmallNumber(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// The major of a product's version as a number: 2 for "2.1.0"; nullopt without one.
std::optional<std::int64_t> MajorNumber(const std::optional<std::string>& version) {
  return SmallNumber(MajorOf(version));
}

fs::path MajorDir(const fs::path& product_root, std::int64_t major) {
  return product_root / kMajors / std::to_string(major);
}

// A lint finding's file, relative to the product folder it was found in.
void RelativizeFindings(std::vector<Diagnostic>* findings, const fs::path& folder) {
  std::string prefix = folder.string() + "/";
  for (Diagnostic& finding : *findings) {
    for (std::string* text : {&finding.location.file, &finding.message, &finding.hint}) {
      for (std::size_t at = text->find(prefix); at != std::string::npos;
           at = text->find(prefix, at)) {
        text->erase(at, prefix.size());
      }
    }
  }
}

Status WriteFiles(const fs::path& folder, const ProductFiles& files) {
  std::error_code error;
  fs::remove_all(folder, error);
  fs::create_directories(folder, error);
  if (error) return Status::IoError("{}: cannot be created: {}", folder.string(), error.message());
  for (const auto& [path, content] : files) {
    fs::path target = folder / path;
    fs::create_directories(target.parent_path(), error);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return Status::IoError("{}: cannot be written", target.string());
  }
  return Status::Ok();
}

// Writes `text` to `path` through a temporary file that is synced and renamed into place, so
// that after a crash the file is there whole or not at all.
Status WriteFileDurably(const fs::path& path, const std::string& text) {
  fs::path temporary = path.string() + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool written =
      fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  written = written && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  std::error_code error;
  if (written) fs::rename(temporary, path, error);
  if (!written || error) {
    fs::remove(temporary, error);
    return Status::IoError("{}: cannot be written", path.string());
  }
  return Status::Ok();
}

// retiring.json of a major folder: {"retireAt": "...", "since": "..."}.
Status WriteRetiringFile(const fs::path& dir, store::Timestamp retire_at, store::Timestamp since) {
  nlohmann::json document = {{"retireAt", store::FormatTimestamp(retire_at)},
                             {"since", store::FormatTimestamp(since)}};
  return WriteFileDurably(dir / kRetiringFile, document.dump(2) + "\n");
}

std::optional<std::pair<store::Timestamp, store::Timestamp>> ReadRetiringFile(const fs::path& dir) {
  std::ifstream in(dir / kRetiringFile);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, false);
  if (!document.is_object() || !document.contains("retireAt") || !document.contains("since") ||
      !document["retireAt"].is_string() || !document["since"].is_string()) {
    return std::nullopt;
  }
  std::optional<store::Timestamp> retire_at =
      store::ParseTimestamp(document["retireAt"].get<std::string>());
  std::optional<store::Timestamp> since =
      store::ParseTimestamp(document["since"].get<std::string>());
  if (!retire_at || !since) return std::nullopt;
  return std::make_pair(*retire_at, *since);
}

// The retireAt custom property of a product folder's product.yaml, or the finding that says
// why its value is not a time.
struct DeclaredRetirement {
  std::optional<store::Timestamp> at;
  std::optional<Diagnostic> problem;
};

DeclaredRetirement DeclaredRetireAt(const model::ProductFolder& folder) {
  DeclaredRetirement declared;
  if (!folder.product) return declared;
  for (const model::CustomProperty& property : folder.product->product.custom_properties) {
    if (property.property.value_or("") != kRetireAtProperty) continue;
    if (property.value.is_string()) {
      declared.at = store::ParseTimestamp(property.value.get<std::string>());
    }
    if (!declared.at) {
      Diagnostic finding;
      finding.rule = "retire-at";
      finding.location = folder.product->document.Locate(property.pointer + "/value");
      finding.message = fmt::format("custom property {}: {} is not a date or time",
                                    kRetireAtProperty, property.value.dump());
      finding.hint =
          "write a date (2027-01-31, meaning 00:00 UTC) or an RFC 3339 time "
          "(2027-01-31T12:00:00Z): once a later major is current, this version is served until "
          "then";
      declared.problem = std::move(finding);
    }
    return declared;
  }
  return declared;
}

// What would break the consumers of `before`'s output ports if `now` replaced it. Within one
// product major: a port removed, a port's major changed, or a breaking contract change without
// a new port major. Across product majors (the previous major keeps being served until it
// retires) only the last: a port that keeps its major keeps its promise.
std::vector<Diagnostic> BreakingChanges(const model::ProductFolder& before,
                                        const model::ProductFolder& now, bool same_product_major) {
  std::vector<Diagnostic> breaking;
  const model::ProductFile& now_file = *now.product;
  const model::Product& product = now_file.product;
  std::string next_major = fmt::format("{}.0.0", MajorNumber(product.version).value_or(0) + 1);
  auto find_port = [](const model::Product& in, const std::optional<std::string>& name) {
    const model::OutputPort* found = nullptr;
    for (const model::OutputPort& candidate : in.output_ports) {
      if (candidate.name == name) found = &candidate;
    }
    return found;
  };
  for (const model::OutputPort& port : product.output_ports) {
    if (!port.name) continue;
    const model::OutputPort* old_port = find_port(before.product->product, port.name);
    if (!old_port) continue;
    if (MajorOf(old_port->version) != MajorOf(port.version)) {
      if (!same_product_major) continue;
      Diagnostic finding;
      finding.rule = "breaking-change";
      finding.location = now_file.document.Locate(port.pointer + "/version");
      finding.message = fmt::format(
          "output port '{}' goes from version {} to {}, a new major, but the product stays at "
          "major {} (version {})",
          *port.name, old_port->version.value_or("unversioned"),
          port.version.value_or("unversioned"), MajorOf(product.version),
          product.version.value_or(""));
      finding.hint = fmt::format(
          "raise product.yaml's version to {}: the node then serves the new major beside the "
          "current one until that one retires",
          next_major);
      breaking.push_back(std::move(finding));
      continue;
    }
    const model::ContractFile* now_contract = now.ContractForOutputPort(*port.name);
    const model::ContractFile* before_contract = before.ContractForOutputPort(*port.name);
    if (!now_contract || !before_contract) continue;
    for (const model::ContractChange& change :
         model::DiffContracts(before_contract->contract, now_contract->contract)) {
      if (!change.breaking) continue;
      Diagnostic finding;
      finding.rule = "breaking-change";
      finding.location = now_contract->document.Locate(change.new_pointer);
      if (change.new_pointer.empty()) finding.location = {now_contract->document.file(), 1, 1, ""};
      finding.message = fmt::format("output port '{}': {}", *port.name, change.explanation);
      // Within a product major both must rise; a deploy that already starts a new product
      // major needs only the port's.
      finding.hint =
          same_product_major
              ? fmt::format(
                    "consumers of port '{}' (version {}) would break; keep the change compatible, "
                    "or raise the port's major version and the product's (to {}): the node then "
                    "serves both majors until the previous one retires",
                    *port.name, port.version.value_or("unversioned"), next_major)
              : fmt::format(
                    "consumers of port '{}' (version {}) would break; keep the change compatible, "
                    "or raise the port's major version too (to {}.0.0): the previous product "
                    "major keeps serving the old one until it retires",
                    *port.name, port.version.value_or("unversioned"),
                    MajorNumber(port.version).value_or(0) + 1);
      breaking.push_back(std::move(finding));
    }
  }
  if (same_product_major) {
    for (const model::OutputPort& old_port : before.product->product.output_ports) {
      if (!old_port.name || find_port(product, old_port.name)) continue;
      Diagnostic finding;
      finding.rule = "breaking-change";
      finding.location = now_file.document.Locate("/outputPorts");
      if (finding.location.line == 0) finding.location = {now_file.document.file(), 1, 1, ""};
      finding.message = fmt::format("output port '{}' (version {}) was removed", *old_port.name,
                                    old_port.version.value_or("unversioned"));
      finding.hint = fmt::format(
          "its consumers would lose it; keep the port, or raise the product's version to {}: "
          "the previous major keeps serving the port until it retires",
          next_major);
      breaking.push_back(std::move(finding));
    }
  }
  return breaking;
}

Diagnostic Warning(std::string rule, std::string message, std::string hint = "") {
  Diagnostic finding;
  finding.severity = Severity::kWarning;
  finding.rule = std::move(rule);
  finding.location.file = "product.yaml";
  finding.message = std::move(message);
  finding.hint = std::move(hint);
  return finding;
}

// Moves a product that an earlier Quanta kept directly in its folder (source/ or undeployed/
// beside store.duckdb) into majors/<major>/. Each step is a rename and can be redone, so a crash
// in the middle is finished at the next start.
Status MigrateLegacyLayout(const std::string& id, const fs::path& root) {
  const char* kept_as = nullptr;
  if (fs::exists(root / kSource / "product.yaml")) {
    kept_as = kSource;
  } else if (fs::exists(root / kUndeployed / "product.yaml")) {
    kept_as = kUndeployed;
  } else {
    return Status::Ok();
  }
  std::vector<Diagnostic> diagnostics;
  QUANTA_ASSIGN_OR_RETURN(model::ProductFolder folder,
                          model::LoadProductFolder(root / kept_as, &diagnostics));
  std::optional<std::int64_t> major =
      folder.product ? MajorNumber(folder.product->product.version) : std::nullopt;
  if (!major) {
    return Status::Invalid("{}: {} has no major version to file it under {}/", id,
                           (root / kept_as / "product.yaml").string(), kMajors);
  }
  fs::path dir = MajorDir(root, *major);
  std::error_code error;
  fs::create_directories(dir, error);
  for (const char* name : {"store.duckdb.wal", kStoreFile}) {
    if (!fs::exists(root / name)) continue;
    if (fs::exists(dir / name)) {
      return Status::IoError("{}: cannot move {} into {}: a file of that name is there already", id,
                             (root / name).string(), dir.string());
    }
    fs::rename(root / name, dir / name, error);
    if (error) break;
  }
  if (!error) fs::rename(root / kept_as, dir / kept_as, error);
  if (error) {
    return Status::IoError("{}: cannot move it into {}: {}", id, dir.string(), error.message());
  }
  fs::remove_all(root / kPrevious, error);
  std::cerr << fmt::format("quanta node: {} moved to {} (one folder per major version)\n", id,
                           dir.string());
  return Status::Ok();
}

}  // namespace

std::string DeployedProduct::version() const {
  return folder && folder->product ? folder->product->product.version.value_or("") : "";
}

DeployedProduct::~DeployedProduct() {
  runner.reset();
  store.reset();
}

const ServedMajor* ServedProduct::Find(std::int64_t major) const {
  for (const ServedMajor& served : majors) {
    if (served.product->major == major) return &served;
  }
  return nullptr;
}

std::string ServedProduct::Describe() const {
  std::vector<std::string> parts;
  for (const ServedMajor& served : majors) {
    parts.push_back(served.current() ? fmt::format("{} (current, {})", served.product->major,
                                                   served.product->version())
                                     : fmt::format("{} (retiring at {})", served.product->major,
                                                   store::FormatTimestamp(*served.retire_at)));
  }
  if (parts.size() == 1) return "major " + parts.front();
  std::string text = "majors ";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) text += i + 1 == parts.size() ? " and " : ", ";
    text += parts[i];
  }
  return text;
}

std::optional<store::Timestamp> ParseRetireAt(std::string_view text, store::Timestamp now) {
  if (text == "now") return now;
  return store::ParseTimestamp(text);
}

Status CheckProductName(std::string_view what, std::string_view name) {
  if (model::IsProductName(name)) return Status::Ok();
  return Status::Usage("{} '{}' is not a valid name: use {}", what, name, model::kProductNameRule);
}

Status CheckInputPort(const ServedProduct& product, std::string_view port) {
  std::set<std::string> known_ports;
  for (const ServedMajor& major : product.majors) {
    if (major.product->runner->InputObject(port)) return Status::Ok();
    for (const std::string& name : major.product->runner->InputPorts()) known_ports.insert(name);
  }
  std::string names;
  for (const std::string& name : known_ports) names += (names.empty() ? "" : ", ") + name;
  return Status::NotFound("product {} has no input port '{}' (its input ports: {})", product.id,
                          port, names.empty() ? "none" : names);
}

Result<std::vector<MajorIngest>> IngestToMajors(const ServedProduct& product, std::string_view port,
                                                const std::vector<std::string>& records,
                                                const std::optional<std::string>& idempotency_key) {
  QUANTA_RETURN_IF_ERROR(CheckInputPort(product, port));
  std::vector<const ServedMajor*> targets;
  for (const ServedMajor& major : product.majors) {
    if (major.product->runner->InputObject(port)) targets.push_back(&major);
  }
  auto ingest = [&records, &idempotency_key,
                 port = std::string(port)](pipeline::ProductRunner* runner) {
    return runner->Ingest(port, records, idempotency_key);
  };
  // The majors have their own stores: they commit side by side.
  std::vector<std::future<Result<pipeline::IngestOutcome>>> others;
  for (std::size_t i = 1; i < targets.size(); ++i) {
    pipeline::ProductRunner* runner = targets[i]->product->runner.get();
    try {
      others.push_back(std::async(std::launch::async, ingest, runner));
    } catch (const std::system_error&) {  // no thread to spare: run it here
      others.push_back(std::async(std::launch::deferred, ingest, runner));
    }
  }
  std::vector<MajorIngest> results;
  results.push_back({targets[0]->product->major, ingest(targets[0]->product->runner.get())});
  for (std::size_t i = 0; i < others.size(); ++i) {
    results.push_back({targets[i + 1]->product->major, others[i].get()});
  }
  return results;
}

Result<std::unique_ptr<ProductCatalog>> ProductCatalog::Open(
    const fs::path& data_dir, std::shared_ptr<store::Clock> clock,
    std::shared_ptr<engine::Database> database, const std::map<std::string, std::string>& left_out,
    std::uint64_t checkpoint_log_bytes, std::shared_ptr<engine::MemoryBudget> keyed_rows_budget) {
  fs::path products_dir = data_dir / "products";
  std::error_code error;
  fs::create_directories(products_dir, error);
  if (error) {
    return Status::IoError("{}: cannot be created: {}", products_dir.string(), error.message());
  }
  if (!clock) clock = std::make_shared<store::SystemClock>();
  std::unique_ptr<ProductCatalog> catalog(
      new ProductCatalog(products_dir, std::move(clock), std::move(database), checkpoint_log_bytes,
                         std::move(keyed_rows_budget)));
  for (const fs::directory_entry& domain : fs::directory_iterator(products_dir, error)) {
    if (!domain.is_directory()) continue;
    for (const fs::directory_entry& product : fs::directory_iterator(domain.path(), error)) {
      if (!product.is_directory()) continue;
      std::string id = domain.path().filename().string() + "/" + product.path().filename().string();
      if (auto reason = left_out.find(id); reason != left_out.end()) {
        catalog->load_errors_.emplace(id, reason->second);
        continue;
      }
      catalog->OpenProductFolder(id, product.path());
    }
  }
  catalog->RetireDueLocked();  // majors whose date passed while the node was down
  return catalog;
}

void ProductCatalog::OpenProductFolder(const std::string& id, const fs::path& root) {
  if (Status migrated = MigrateLegacyLayout(id, root); !migrated.ok()) {
    load_errors_.emplace(id, migrated.message());
    return;
  }
  std::vector<std::pair<std::int64_t, fs::path>> found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(root / kMajors, error)) {
    std::optional<std::int64_t> major = SmallNumber(entry.path().filename().string());
    if (major && fs::exists(entry.path() / kSource / "product.yaml")) {
      found.emplace_back(*major, entry.path());
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<ServedMajor> majors;
  for (const auto& [major, dir] : found) {
    Result<std::shared_ptr<DeployedProduct>> opened = OpenMajor(id, major, dir);
    if (!opened.ok()) {
      if (majors.empty()) {
        // Without its current major a product is not served: the older one would stand in
        // for it under the product's plain URLs.
        load_errors_.emplace(id, opened.status().message());
        return;
      }
      load_errors_.emplace(id, fmt::format("major {}: {}", major, opened.status().message()));
      continue;
    }
    ServedMajor served{std::move(*opened), std::nullopt, std::nullopt};
    if (majors.empty()) {
      fs::remove(dir / kRetiringFile, error);  // left by a deploy that did not finish
    } else if (auto dates = ReadRetiringFile(dir)) {
      served.retire_at = dates->first;
      served.retiring_since = dates->second;
    } else {
      store::Timestamp now = clock_->Now();
      served.retire_at = now + kDefaultRetirementNotice;
      served.retiring_since = now;
      (void)WriteRetiringFile(dir, *served.retire_at, now);
      std::cerr << fmt::format(
          "quanta node: {} major {} had no readable {}; it is served, retiring, until {}\n", id,
          major, (dir / kRetiringFile).string(), store::FormatTimestamp(*served.retire_at));
    }
    majors.push_back(std::move(served));
  }
  if (!majors.empty()) products_.emplace(id, std::move(majors));
}

Result<std::shared_ptr<DeployedProduct>> ProductCatalog::OpenMajor(const std::string& id,
                                                                   std::int64_t major,
                                                                   const fs::path& folder_path) {
  auto product = std::make_shared<DeployedProduct>();
  product->id = id;
  product->major = major;
  product->root = folder_path;
  std::vector<Diagnostic> diagnostics;
  QUANTA_ASSIGN_OR_RETURN(model::ProductFolder folder,
                          model::LoadProductFolder(folder_path / kSource, &diagnostics));
  // Row filters run inside consumer queries. A folder kept before they were checked at deploy
  // passes the same check before the node applies them.
  for (const model::ContractFile& contract : folder.contracts) {
    governance::CheckRowFilters(contract, &diagnostics);
  }
  auto error = std::find_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& found) {
    return found.severity == Severity::kError;
  });
  if (error != diagnostics.end()) {
    return Status::Invalid("{}: {}", id, FormatDiagnostic(*error));
  }
  if (!folder.product || MajorNumber(folder.product->product.version) != major) {
    return Status::Invalid("{}: {} is not a version of major {}", id,
                           (folder_path / kSource / "product.yaml").string(), major);
  }
  product->folder = std::make_shared<const model::ProductFolder>(std::move(folder));
  QUANTA_ASSIGN_OR_RETURN(store::StoreLayout layout,
                          store::LayoutFromProductFolder(*product->folder));
  store::StoreOptions options;
  options.open_check = store::OpenCheck::kQuick;
  options.checkpoint_wal_bytes = checkpoint_log_bytes_;
  options.keyed_rows_budget = keyed_rows_budget_;
  options.clock = clock_;
  options.database = database_;
  QUANTA_ASSIGN_OR_RETURN(product->store,
                          store::ProductStore::Open(folder_path / kStoreFile, layout, options));
  QUANTA_ASSIGN_OR_RETURN(product->runner,
                          pipeline::ProductRunner::Create(product->folder, product->store.get()));
  return product;
}

void ProductCatalog::InsertMajor(const std::string& id, ServedMajor major) {
  std::unique_lock lock(mutex_);
  std::vector<ServedMajor>& majors = products_[id];
  auto at = std::find_if(majors.begin(), majors.end(), [&](const ServedMajor& other) {
    return other.product->major < major.product->major;
  });
  majors.insert(at, std::move(major));
}

Status ProductCatalog::CloseMajor(const std::string& id, std::int64_t major) {
  ServedMajor taken;
  {
    std::unique_lock lock(mutex_);
    auto found = products_.find(id);
    if (found == products_.end()) return Status::Ok();
    std::vector<ServedMajor>& majors = found->second;
    auto at = std::find_if(majors.begin(), majors.end(), [&](const ServedMajor& served) {
      return served.product->major == major;
    });
    if (at == majors.end()) return Status::Ok();
    taken = std::move(*at);
    majors.erase(at);
    if (majors.empty()) products_.erase(found);
  }
  // Requests in flight hold the product; its store must be closed before it is reopened.
  taken.product->stopping = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (taken.product.use_count() > 1) {
    if (std::chrono::steady_clock::now() > deadline) {
      taken.product->stopping = false;
      InsertMajor(id, std::move(taken));
      return Status::IoError("{}: requests to major {} still running after 30 s; try again", id,
                             major);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  taken.product.reset();
  return Status::Ok();
}

Status ProductCatalog::StopServing(const std::string& id, std::int64_t major, const char* into) {
  QUANTA_RETURN_IF_ERROR(CloseMajor(id, major));
  fs::path dir = MajorDir(products_dir_ / id, major);
  std::error_code error;
  fs::remove_all(dir / into, error);
  fs::rename(dir / kSource, dir / into, error);
  if (error) {
    return Status::IoError("{}: {} cannot be moved to {}: {}", id, (dir / kSource).string(), into,
                           error.message());
  }
  fs::remove(dir / kRetiringFile, error);
  return Status::Ok();
}

Status ProductCatalog::SetRetiring(const std::string& id, std::int64_t major,
                                   store::Timestamp retire_at, store::Timestamp since) {
  QUANTA_RETURN_IF_ERROR(WriteRetiringFile(MajorDir(products_dir_ / id, major), retire_at, since));
  {
    std::unique_lock lock(mutex_);
    auto found = products_.find(id);
    if (found != products_.end()) {
      for (ServedMajor& served : found->second) {
        if (served.product->major != major) continue;
        served.retire_at = retire_at;
        served.retiring_since = since;
      }
    }
  }
  RescheduleRetentionPass();
  return Status::Ok();
}

std::vector<std::string> ProductCatalog::RetireDue() {
  std::lock_guard deploy_lock(deploy_mutex_);
  return RetireDueLocked();
}

std::vector<std::string> ProductCatalog::RetireDueLocked() {
  store::Timestamp now = clock_->Now();
  std::vector<std::pair<std::string, ServedMajor>> due;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [id, majors] : products_) {
      for (const ServedMajor& served : majors) {
        if (served.retire_at && *served.retire_at <= now) due.emplace_back(id, served);
      }
    }
  }
  std::vector<std::string> retired;
  for (auto& [id, served] : due) {
    std::int64_t major = served.product->major;
    store::Timestamp retire_at = *served.retire_at;
    served.product.reset();  // CloseMajor waits for every holder
    Status stopped = StopServing(id, major, kRetired);
    if (!stopped.ok()) {
      std::cerr << fmt::format("quanta node: {} major {} is due to retire but: {}\n", id, major,
                               stopped.message());
      continue;
    }
    std::cerr << fmt::format(
        "quanta node: {} major {} retired (its date was {}); its data stays in {} until "
        "DELETE /v1/products/{}/majors/{}?purge=true\n",
        id, major, store::FormatTimestamp(retire_at), MajorDir(products_dir_ / id, major).string(),
        id, major);
    retired.push_back(fmt::format("{} major {}", id, major));
  }
  return retired;
}

Result<DeployReport> ProductCatalog::Deploy(const std::string& domain, const std::string& name,
                                            const ProductFiles& files, DeployRefusal* refusal,
                                            const DeployOptions& options) {
  QUANTA_RETURN_IF_ERROR(CheckProductName("domain", domain));
  QUANTA_RETURN_IF_ERROR(CheckProductName("product", name));
  if (files.empty() || !files.count("product.yaml")) {
    return Status::Usage("the deploy holds no product.yaml; send the whole product folder");
  }
  if (files.size() > kMaxFiles) {
    return Status::Usage("the deploy holds {} files; a product folder may have at most {}",
                         files.size(), kMaxFiles);
  }
  for (const auto& [path, content] : files) {
    QUANTA_RETURN_IF_ERROR(CheckFilePath(path));
    if (content.size() > kMaxFileBytes) {
      return Status::Usage("file '{}' is {} bytes; at most {} are allowed", path, content.size(),
                           kMaxFileBytes);
    }
  }

  std::lock_guard deploy_lock(deploy_mutex_);
  RetireDueLocked();
  store::Timestamp now = clock_->Now();
  std::optional<store::Timestamp> requested;
  if (options.retire_previous_at) {
    requested = ParseRetireAt(*options.retire_previous_at, now);
    if (!requested) {
      return Status::Usage(
          "retire_previous_at '{}' is not a time: give now, a date (2027-01-31, meaning 00:00 "
          "UTC) or an RFC 3339 time (2027-01-31T12:00:00Z)",
          *options.retire_previous_at);
    }
    if (*requested < now) {
      return Status::Usage(
          "retire_previous_at {} is in the past (it is {} now): give a later time, or now to "
          "stop serving the previous major at once",
          *options.retire_previous_at, store::FormatTimestamp(now));
    }
  }

  std::string id = domain + "/" + name;
  fs::path root = products_dir_ / domain / name;
  fs::path incoming = root / kIncoming;
  QUANTA_RETURN_IF_ERROR(WriteFiles(incoming, files));
  auto discard_incoming = [&] {
    std::error_code ignored;
    fs::remove_all(incoming, ignored);
  };
  auto refuse = [&](Status status, std::vector<Diagnostic> findings) -> Result<DeployReport> {
    discard_incoming();
    RelativizeFindings(&findings, incoming);
    refusal->findings = std::move(findings);
    refusal->status = std::move(status);
    return refusal->status;
  };

  governance::LintOptions lint_options;
  lint_options.default_policies = true;
  Result<governance::LintReport> report = governance::Lint({incoming}, lint_options);
  if (!report.ok()) {
    discard_incoming();
    return report.status();
  }
  RelativizeFindings(&report->diagnostics, incoming);
  if (HasErrors(report->diagnostics)) {
    std::size_t errors = 0;
    for (const Diagnostic& finding : report->diagnostics) {
      errors += finding.severity == Severity::kError;
    }
    return refuse(Status::Invalid("{} was not deployed: lint found {} error(s)", id, errors),
                  report->diagnostics);
  }

  std::vector<Diagnostic> diagnostics;
  Result<model::ProductFolder> folder = model::LoadProductFolder(incoming, &diagnostics);
  if (!folder.ok()) {
    discard_incoming();
    return folder.status();
  }
  const model::Product& product = folder->product->product;
  if (product.domain.value_or("") != domain || product.name.value_or("") != name) {
    discard_incoming();
    return Status::Usage(
        "product.yaml declares domain '{}' and name '{}', but the deploy is for {}; deploy it "
        "as {}/{}",
        product.domain.value_or(""), product.name.value_or(""), id, product.domain.value_or(""),
        product.name.value_or(""));
  }
  std::optional<std::int64_t> major = MajorNumber(product.version);
  if (!major) {
    return refuse(Status::Invalid("{} was not deployed: product.yaml's version '{}' has no "
                                  "major version number; write e.g. version: 1.0.0",
                                  id, product.version.value_or("")),
                  {});
  }
  DeclaredRetirement declared = DeclaredRetireAt(*folder);
  if (declared.problem) {
    return refuse(Status::Invalid("{} was not deployed: {}", id, declared.problem->message),
                  {*declared.problem});
  }

  // What is served now decides where the deploy goes (see Deploy in the header).
  std::optional<ServedProduct> served = FindServed(domain, name);
  const ServedMajor* target = served ? served->Find(*major) : nullptr;
  const ServedMajor* current = served ? &served->current() : nullptr;
  bool new_major = current && !target && *major > current->product->major;
  if (current && !target && !new_major) {
    return refuse(
        Status(ErrorCode::kIncompatible,
               fmt::format("{} was not deployed: version {} is of major {}, older than the "
                           "current major {}, and major {} is not served any more; deploy a "
                           "version of major {} or later",
                           id, product.version.value_or(""), *major, current->product->major,
                           *major, current->product->major)),
        {});
  }
  if (new_major && served->majors.size() > 1) {
    const ServedMajor& retiring = served->majors.back();
    return refuse(
        Status(ErrorCode::kIncompatible,
               fmt::format("{} was not deployed: it serves {} already, and a third major cannot "
                           "be served beside them; wait until major {} retires, or retire it "
                           "now with DELETE /v1/products/{}/majors/{} (?purge=true also deletes "
                           "its data)",
                           id, served->Describe(), retiring.product->major, id,
                           retiring.product->major)),
        {});
  }
  if (current) {
    const ServedMajor& base = target ? *target : *current;
    std::vector<Diagnostic> breaking =
        BreakingChanges(*base.product->folder, *folder, /*same_product_major=*/!new_major);
    if (!breaking.empty()) {
      return refuse(Status(ErrorCode::kIncompatible,
                           fmt::format("{} was not deployed: {} change(s) would break consumers "
                                       "of its output ports without a new major version",
                                       id, breaking.size())),
                    breaking);
    }
  }

  DeployReport result;
  result.created = !served.has_value();
  result.major = *major;
  result.new_major = new_major;
  result.findings = std::move(report->diagnostics);
  // Plain values from the snapshot: it must not hold the majors open while they are closed.
  std::optional<store::Timestamp> target_retire_at = target ? target->retire_at : std::nullopt;
  std::optional<store::Timestamp> target_since = target ? target->retiring_since : std::nullopt;
  std::optional<std::pair<std::int64_t, std::optional<store::Timestamp>>> other_retiring;
  if (target && target->current() && served->majors.size() > 1) {
    other_retiring.emplace(served->majors[1].product->major, served->majors[1].retiring_since);
  }
  std::int64_t previous_major = current ? current->product->major : 0;
  std::shared_ptr<const model::ProductFolder> previous_folder =
      current ? current->product->folder : nullptr;
  bool had_target = target != nullptr;
  target = current = nullptr;
  served.reset();

  // When this deploy makes a new major current, until when the previous one stays served.
  store::Timestamp retire_at = now + kDefaultRetirementNotice;
  if (new_major) {
    DeclaredRetirement previous_declared = DeclaredRetireAt(*previous_folder);
    if (requested) {
      retire_at = *requested;
    } else if (previous_declared.at) {
      retire_at = *previous_declared.at;
    } else if (previous_declared.problem) {
      result.findings.push_back(Warning(
          "retire-at",
          fmt::format("major {}'s product.yaml: {}; it is served until {} instead", previous_major,
                      previous_declared.problem->message, store::FormatTimestamp(retire_at))));
    }
  }

  fs::path dir = MajorDir(root, *major);
  fs::path source = dir / kSource, previous = dir / kPrevious;
  fs::path previous_dir = MajorDir(root, previous_major);
  if (had_target) {
    if (Status closed = CloseMajor(id, *major); !closed.ok()) {
      discard_incoming();
      return closed;
    }
  }
  std::error_code error;
  fs::create_directories(dir, error);
  bool had_source = fs::exists(source);
  bool moved_aside = false, placed = false;
  fs::remove_all(previous, error);
  if (!error && had_source) {
    fs::rename(source, previous, error);
    moved_aside = !error;
  }
  std::error_code ignored;
  if (!error && new_major) {
    // Written before the new major exists: after a crash the newest major is current, and
    // this file on it is dropped at the next start.
    if (Status written = WriteRetiringFile(previous_dir, retire_at, now); !written.ok()) {
      if (moved_aside) fs::rename(previous, source, ignored);
      discard_incoming();
      return written;
    }
  }
  if (!error) {
    fs::rename(incoming, source, error);
    placed = !error;
  }
  Result<std::shared_ptr<DeployedProduct>> opened =
      error ? Result<std::shared_ptr<DeployedProduct>>(Status::IoError(
                  "{} cannot be put in place: {}", source.string(), error.message()))
            : OpenMajor(id, *major, dir);
  if (!opened.ok()) {
    // Put the earlier version back, so that a refused deploy changes nothing.
    discard_incoming();
    if (placed) fs::remove_all(source, ignored);
    if (moved_aside) fs::rename(previous, source, ignored);
    if (new_major) fs::remove(previous_dir / kRetiringFile, ignored);
    std::string restore_problem;
    if (had_target) {
      Result<std::shared_ptr<DeployedProduct>> restored = OpenMajor(id, *major, dir);
      if (restored.ok()) {
        InsertMajor(id, ServedMajor{std::move(*restored), target_retire_at, target_since});
      } else {
        restore_problem = fmt::format(
            "; the earlier version of major {} could not be opened "
            "again either ({}): deploy it again",
            *major, restored.status().message());
      }
    }
    return Status(opened.status().code(), fmt::format("{} was not deployed: {}{}", id,
                                                      opened.status().message(), restore_problem));
  }
  fs::remove_all(previous, error);
  fs::remove_all(dir / kUndeployed, error);
  fs::remove_all(dir / kRetired, error);

  ServedMajor entry{std::move(*opened), target_retire_at, target_since};
  if (!entry.current() && declared.at) {
    // The retiring major was deployed again with a date of its own.
    entry.retire_at = declared.at;
    (void)WriteRetiringFile(dir, *entry.retire_at, entry.retiring_since.value_or(now));
  }
  if (new_major) {
    std::unique_lock lock(mutex_);
    auto found = products_.find(id);
    if (found != products_.end()) {
      for (ServedMajor& other : found->second) {
        if (other.product->major != previous_major) continue;
        other.retire_at = retire_at;
        other.retiring_since = now;
      }
    }
  }
  InsertMajor(id, std::move(entry));
  {
    std::unique_lock lock(mutex_);
    load_errors_.erase(id);
  }
  if (requested && !new_major) {
    if (other_retiring) {
      QUANTA_RETURN_IF_ERROR(
          SetRetiring(id, other_retiring->first, *requested, other_retiring->second.value_or(now)));
    } else {
      result.findings.push_back(
          Warning("retire-at",
                  "retire_previous_at has no effect here: it dates the retiring major when "
                  "the deploy makes a new major current or updates the current one"));
    }
  }
  // A date that is not in the future (given as now, or declared in the past) takes effect at
  // once.
  for (const std::string& gone : RetireDueLocked()) {
    result.findings.push_back(Warning(
        "retire-at",
        fmt::format("{} is no longer served: its retirement time is not in the future", gone)));
  }
  RescheduleRetentionPass();
  if (std::optional<ServedProduct> now_served = FindServed(domain, name)) {
    for (const ServedMajor& served_major : now_served->majors) {
      result.majors.push_back(
          {served_major.product->major, served_major.product->version(), served_major.retire_at});
    }
  }
  return result;
}

Status ProductCatalog::Undeploy(const std::string& domain, const std::string& name, bool purge) {
  QUANTA_RETURN_IF_ERROR(CheckProductName("domain", domain));
  QUANTA_RETURN_IF_ERROR(CheckProductName("product", name));
  std::lock_guard deploy_lock(deploy_mutex_);
  std::string id = domain + "/" + name;
  fs::path root = products_dir_ / domain / name;
  std::vector<std::int64_t> served_majors;
  if (std::optional<ServedProduct> served = FindServed(domain, name)) {
    for (const ServedMajor& major : served->majors) served_majors.push_back(major.product->major);
  }
  std::vector<fs::path> major_dirs;
  bool any_source = false;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(root / kMajors, error)) {
    major_dirs.push_back(entry.path());
    any_source = any_source || fs::exists(entry.path() / kSource);
  }
  if (served_majors.empty() && !any_source) {
    // Undeployed before without --purge: what is left is kept data, which a purge deletes.
    if (major_dirs.empty() || !purge) {
      return Status::NotFound("no product {} is deployed on this node{}", id,
                              major_dirs.empty() ? ""
                                                 : "; its data from an earlier undeploy is kept "
                                                   "(purge=true deletes it)");
    }
  }
  for (std::int64_t major : served_majors) QUANTA_RETURN_IF_ERROR(CloseMajor(id, major));
  error.clear();
  if (purge) {
    fs::remove_all(root, error);
    std::error_code ignored;
    fs::remove_all(products_dir_.parent_path() / "exports" / domain / name, ignored);
  } else {
    // The data stays; without source/ the node does not reopen a major at start.
    for (const fs::path& dir : major_dirs) {
      fs::remove_all(dir / kPrevious, error);
      fs::remove(dir / kRetiringFile, error);
      if (!fs::exists(dir / kSource)) continue;
      fs::remove_all(dir / kUndeployed, error);
      fs::rename(dir / kSource, dir / kUndeployed, error);
    }
  }
  if (error) return Status::IoError("{}: {}", root.string(), error.message());
  std::unique_lock lock(mutex_);
  load_errors_.erase(id);
  return Status::Ok();
}

Status ProductCatalog::RetireMajor(const std::string& domain, const std::string& name,
                                   std::int64_t major, bool purge) {
  QUANTA_RETURN_IF_ERROR(CheckProductName("domain", domain));
  QUANTA_RETURN_IF_ERROR(CheckProductName("product", name));
  std::lock_guard deploy_lock(deploy_mutex_);
  std::string id = domain + "/" + name;
  fs::path dir = MajorDir(products_dir_ / domain / name, major);
  std::optional<ServedProduct> served = FindServed(domain, name);
  const ServedMajor* found = served ? served->Find(major) : nullptr;
  if (found && found->current()) {
    return Status(ErrorCode::kIncompatible,
                  fmt::format("major {} is the current major of {}; to stop serving it, undeploy "
                              "the product (DELETE /v1/products/{})",
                              major, id, id));
  }
  bool serving = found != nullptr;
  std::string described = served ? served->Describe() : "";
  found = nullptr;
  served.reset();
  if (serving) {
    QUANTA_RETURN_IF_ERROR(StopServing(id, major, kRetired));
    std::cerr << fmt::format("quanta node: {} major {} retired on request; its data {}\n", id,
                             major, purge ? "is deleted" : "stays in " + dir.string());
  } else if (!purge || !fs::exists(dir)) {
    return Status::NotFound("{} serves no major {}{}", id, major,
                            described.empty() ? "" : "; it serves " + described);
  }
  if (purge) {
    std::error_code error;
    fs::remove_all(dir, error);
    if (error) return Status::IoError("{}: {}", dir.string(), error.message());
    fs::remove_all(
        products_dir_.parent_path() / "exports" / domain / name / kMajors / std::to_string(major),
        error);
  }
  return Status::Ok();
}

ProductCatalog::~ProductCatalog() {
  {
    std::lock_guard lock(retention_mutex_);
    stopping_ = true;
  }
  retention_wake_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
}

void ProductCatalog::RescheduleRetentionPass() {
  {
    std::lock_guard lock(retention_mutex_);
    reschedule_ = true;
  }
  retention_wake_.notify_all();
}

std::optional<store::Timestamp> ProductCatalog::NextRetirement() const {
  std::shared_lock lock(mutex_);
  std::optional<store::Timestamp> next;
  for (const auto& [id, majors] : products_) {
    for (const ServedMajor& served : majors) {
      if (served.retire_at && (!next || *served.retire_at < *next)) next = served.retire_at;
    }
  }
  return next;
}

void ProductCatalog::StartRetentionPass(std::chrono::seconds interval) {
  if (retention_thread_.joinable()) return;
  retention_thread_ = std::thread([this, interval] {
    std::unique_lock lock(retention_mutex_);
    while (!stopping_) {
      reschedule_ = false;
      lock.unlock();
      RetireDue();
      store::Timestamp now = clock_->Now();
      for (const std::shared_ptr<DeployedProduct>& product : List()) {
        Result<store::PurgeReport> purged = product->store->Purge(now);
        if (!purged.ok()) {
          std::cerr << fmt::format("quanta node: retention pass of {} failed: {}\n", product->id,
                                   purged.status().message());
        } else if (purged->Total() > 0) {
          std::cerr << fmt::format(
              "quanta node: retention removed {} row version(s) and {} dead letter(s) of {}\n",
              purged->Total() - purged->dead_letters_removed, purged->dead_letters_removed,
              product->id);
        }
      }
      for (const ServedProduct& served : ListServed()) {
        for (const ServedMajor& major : served.majors) {
          if (major.current()) continue;  // purged above
          Result<store::PurgeReport> purged = major.product->store->Purge(now);
          if (!purged.ok()) {
            std::cerr << fmt::format("quanta node: retention pass of {} major {} failed: {}\n",
                                     served.id, major.product->major, purged.status().message());
          }
        }
      }
      // Wake at the next retirement when it comes before the next pass.
      std::chrono::microseconds wait = interval;
      if (std::optional<store::Timestamp> next = NextRetirement()) {
        auto until = *next - clock_->Now() + std::chrono::milliseconds(10);
        wait =
            std::clamp<std::chrono::microseconds>(until, std::chrono::milliseconds(100), interval);
      }
      lock.lock();
      retention_wake_.wait_for(lock, wait, [this] { return stopping_ || reschedule_; });
    }
  });
}

std::shared_ptr<DeployedProduct> ProductCatalog::Find(std::string_view domain,
                                                      std::string_view name) const {
  std::string id = std::string(domain) + "/" + std::string(name);
  std::shared_lock lock(mutex_);
  auto found = products_.find(id);
  return found == products_.end() ? nullptr : found->second.front().product;
}

std::optional<ServedProduct> ProductCatalog::FindServed(std::string_view domain,
                                                        std::string_view name) const {
  std::string id = std::string(domain) + "/" + std::string(name);
  store::Timestamp now = clock_->Now();
  std::shared_lock lock(mutex_);
  auto found = products_.find(id);
  if (found == products_.end()) return std::nullopt;
  ServedProduct served{id, {}};
  for (const ServedMajor& major : found->second) {
    // A major past its date is not served, even before the pass has closed it.
    if (!major.retire_at || *major.retire_at > now) served.majors.push_back(major);
  }
  if (served.majors.empty()) return std::nullopt;
  return served;
}

std::vector<std::shared_ptr<DeployedProduct>> ProductCatalog::List() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<DeployedProduct>> list;
  for (const auto& [id, majors] : products_) list.push_back(majors.front().product);
  return list;
}

std::vector<ServedProduct> ProductCatalog::ListServed() const {
  std::vector<std::string> ids;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [id, majors] : products_) ids.push_back(id);
  }
  std::vector<ServedProduct> list;
  for (const std::string& id : ids) {
    std::size_t slash = id.find('/');
    if (auto served = FindServed(id.substr(0, slash), id.substr(slash + 1))) {
      list.push_back(std::move(*served));
    }
  }
  return list;
}

std::map<std::string, std::string> ProductCatalog::load_errors() const {
  std::shared_lock lock(mutex_);
  return load_errors_;
}

std::map<std::string, std::string> ProductCatalog::ProductsThatStoppedTheEngine() const {
  std::shared_lock lock(mutex_);
  std::map<std::string, std::string> found;
  for (const auto& [id, majors] : products_) {
    for (const ServedMajor& major : majors) {
      if (std::optional<std::string> error = major.product->store->StoppedEngine()) {
        found.emplace(id, std::move(*error));
      }
    }
  }
  return found;
}

}  // namespace quanta::node
