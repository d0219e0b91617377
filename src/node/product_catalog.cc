#include "node/product_catalog.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "governance/linter.h"
#include "model/contract_diff.h"

namespace quanta::node {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFiles = 500;
constexpr std::size_t kMaxFileBytes = 8u << 20;
constexpr const char* kSource = "source";
constexpr const char* kIncoming = "incoming";
constexpr const char* kPrevious = "previous";
constexpr const char* kStoreFile = "store.duckdb";

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

}  // namespace

DeployedProduct::~DeployedProduct() {
  runner.reset();
  store.reset();
}

Status CheckProductName(std::string_view what, std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  }
  if (ok) return Status::Ok();
  return Status::Usage("{} '{}' is not a valid name: use 1 to 64 of a-z, 0-9, '-' and '_'", what,
                       name);
}

Result<std::unique_ptr<ProductCatalog>> ProductCatalog::Open(
    const fs::path& data_dir, std::shared_ptr<engine::Database> database) {
  fs::path products_dir = data_dir / "products";
  std::error_code error;
  fs::create_directories(products_dir, error);
  if (error) {
    return Status::IoError("{}: cannot be created: {}", products_dir.string(), error.message());
  }
  std::unique_ptr<ProductCatalog> catalog(new ProductCatalog(products_dir, std::move(database)));
  for (const fs::directory_entry& domain : fs::directory_iterator(products_dir, error)) {
    if (!domain.is_directory()) continue;
    for (const fs::directory_entry& product : fs::directory_iterator(domain.path(), error)) {
      if (!fs::exists(product.path() / kSource / "product.yaml")) continue;
      std::string id = domain.path().filename().string() + "/" + product.path().filename().string();
      Result<std::shared_ptr<DeployedProduct>> opened = catalog->OpenProduct(id, product.path());
      if (opened.ok()) {
        catalog->products_.emplace(id, std::move(*opened));
      } else {
        catalog->load_errors_.emplace(id, opened.status().message());
      }
    }
  }
  return catalog;
}

Result<std::shared_ptr<DeployedProduct>> ProductCatalog::OpenProduct(const std::string& id,
                                                                     const fs::path& root) {
  auto product = std::make_shared<DeployedProduct>();
  product->id = id;
  product->root = root;
  std::vector<Diagnostic> diagnostics;
  QUANTA_ASSIGN_OR_RETURN(model::ProductFolder folder,
                          model::LoadProductFolder(root / kSource, &diagnostics));
  if (HasErrors(diagnostics)) {
    return Status::Invalid("{}: {}", id, FormatDiagnostic(diagnostics.front()));
  }
  product->folder = std::make_shared<const model::ProductFolder>(std::move(folder));
  QUANTA_ASSIGN_OR_RETURN(store::StoreLayout layout,
                          store::LayoutFromProductFolder(*product->folder));
  store::StoreOptions options;
  options.open_check = store::OpenCheck::kQuick;
  options.database = database_;
  QUANTA_ASSIGN_OR_RETURN(product->store,
                          store::ProductStore::Open(root / kStoreFile, layout, options));
  QUANTA_ASSIGN_OR_RETURN(product->runner,
                          pipeline::ProductRunner::Create(product->folder, product->store.get()));
  return product;
}

Status ProductCatalog::Retire(const std::string& id) {
  std::shared_ptr<DeployedProduct> product;
  {
    std::unique_lock lock(mutex_);
    auto found = products_.find(id);
    if (found == products_.end()) return Status::Ok();
    product = std::move(found->second);
    products_.erase(found);
  }
  // Requests in flight hold the product; its store must be closed before it is reopened.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (product.use_count() > 1) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::unique_lock lock(mutex_);
      products_.emplace(id, std::move(product));
      return Status::IoError("{}: requests still running after 30 s; try again", id);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  product.reset();
  return Status::Ok();
}

Result<DeployReport> ProductCatalog::Deploy(const std::string& domain, const std::string& name,
                                            const ProductFiles& files, DeployRefusal* refusal) {
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
  std::string id = domain + "/" + name;
  fs::path root = products_dir_ / domain / name;
  fs::path incoming = root / kIncoming;
  QUANTA_RETURN_IF_ERROR(WriteFiles(incoming, files));
  auto discard_incoming = [&] {
    std::error_code ignored;
    fs::remove_all(incoming, ignored);
  };

  governance::LintOptions options;
  options.default_policies = true;
  Result<governance::LintReport> report = governance::Lint({incoming}, options);
  if (!report.ok()) {
    discard_incoming();
    return report.status();
  }
  RelativizeFindings(&report->diagnostics, incoming);
  if (HasErrors(report->diagnostics)) {
    discard_incoming();
    refusal->findings = report->diagnostics;
    std::size_t errors = 0;
    for (const Diagnostic& finding : report->diagnostics) {
      errors += finding.severity == Severity::kError;
    }
    refusal->status = Status::Invalid("{} was not deployed: lint found {} error(s)", id, errors);
    return refusal->status;
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

  std::shared_ptr<DeployedProduct> running = Find(domain, name);
  if (running) {
    // Consumers of an output port rely on its contract: a breaking change needs a new major.
    std::vector<Diagnostic> breaking;
    for (const model::OutputPort& port : product.output_ports) {
      if (!port.name) continue;
      const model::ContractFile* now = folder->ContractForOutputPort(*port.name);
      const model::ContractFile* before = running->folder->ContractForOutputPort(*port.name);
      if (!now || !before) continue;
      const model::OutputPort* old_port = nullptr;
      for (const model::OutputPort& candidate : running->folder->product->product.output_ports) {
        if (candidate.name == port.name) old_port = &candidate;
      }
      if (old_port && MajorOf(old_port->version) != MajorOf(port.version)) continue;
      for (const model::ContractChange& change :
           model::DiffContracts(before->contract, now->contract)) {
        if (!change.breaking) continue;
        Diagnostic finding;
        finding.rule = "breaking-change";
        finding.location = now->document.Locate(change.new_pointer);
        if (change.new_pointer.empty()) finding.location = {now->document.file(), 1, 1, ""};
        finding.message = fmt::format("output port '{}': {}", *port.name, change.explanation);
        finding.hint = fmt::format(
            "consumers of port '{}' (version {}) would break; keep the change compatible, or "
            "raise the port's major version",
            *port.name, port.version.value_or("unversioned"));
        breaking.push_back(std::move(finding));
      }
    }
    if (!breaking.empty()) {
      discard_incoming();
      RelativizeFindings(&breaking, incoming);
      refusal->findings = breaking;
      refusal->status = Status(ErrorCode::kIncompatible,
                               fmt::format("{} was not deployed: {} breaking change(s) to output "
                                           "ports without a new major version",
                                           id, breaking.size()));
      return refusal->status;
    }
  }

  // Swap the folders: the running version steps aside, the new one opens on the same store.
  running.reset();  // Retire waits for every other holder to let go
  if (Status retired = Retire(id); !retired.ok()) {
    discard_incoming();
    return retired;
  }
  std::error_code error;
  fs::path source = root / kSource, previous = root / kPrevious;
  bool had_source = fs::exists(source);
  fs::remove_all(previous, error);
  if (had_source) fs::rename(source, previous, error);
  fs::rename(incoming, source, error);
  if (error) return Status::IoError("{}: cannot be replaced: {}", source.string(), error.message());

  Result<std::shared_ptr<DeployedProduct>> opened = OpenProduct(id, root);
  if (!opened.ok()) {
    // Put the earlier version back, so that a refused deploy changes nothing.
    fs::remove_all(source, error);
    if (had_source) {
      fs::rename(previous, source, error);
      Result<std::shared_ptr<DeployedProduct>> restored = OpenProduct(id, root);
      if (restored.ok()) {
        std::unique_lock lock(mutex_);
        products_.emplace(id, std::move(*restored));
      }
    }
    return Status(opened.status().code(),
                  fmt::format("{} was not deployed: {}", id, opened.status().message()));
  }
  fs::remove_all(previous, error);
  {
    std::unique_lock lock(mutex_);
    products_[id] = std::move(*opened);
    load_errors_.erase(id);
  }
  DeployReport result;
  result.created = !had_source;
  result.findings = std::move(report->diagnostics);
  return result;
}

Status ProductCatalog::Undeploy(const std::string& domain, const std::string& name, bool purge) {
  QUANTA_RETURN_IF_ERROR(CheckProductName("domain", domain));
  QUANTA_RETURN_IF_ERROR(CheckProductName("product", name));
  std::lock_guard deploy_lock(deploy_mutex_);
  std::string id = domain + "/" + name;
  fs::path root = products_dir_ / domain / name;
  if (!Find(domain, name) && !fs::exists(root / kSource)) {
    return Status::NotFound("no product {} is deployed on this node", id);
  }
  QUANTA_RETURN_IF_ERROR(Retire(id));
  std::error_code error;
  if (purge) {
    fs::remove_all(root, error);
  } else {
    // The data stays; without source/ the node does not reopen the product at start.
    fs::remove_all(root / kPrevious, error);
    fs::remove_all(root / "undeployed", error);
    fs::rename(root / kSource, root / "undeployed", error);
  }
  if (error) return Status::IoError("{}: {}", root.string(), error.message());
  std::unique_lock lock(mutex_);
  load_errors_.erase(id);
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

void ProductCatalog::StartRetentionPass(std::chrono::seconds interval) {
  if (retention_thread_.joinable()) return;
  retention_thread_ = std::thread([this, interval] {
    std::unique_lock lock(retention_mutex_);
    while (!stopping_) {
      lock.unlock();
      auto now =
          std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
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
      lock.lock();
      retention_wake_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

std::shared_ptr<DeployedProduct> ProductCatalog::Find(std::string_view domain,
                                                      std::string_view name) const {
  std::string id = std::string(domain) + "/" + std::string(name);
  std::shared_lock lock(mutex_);
  auto found = products_.find(id);
  return found == products_.end() ? nullptr : found->second;
}

std::vector<std::shared_ptr<DeployedProduct>> ProductCatalog::List() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<DeployedProduct>> list;
  for (const auto& [id, product] : products_) list.push_back(product);
  return list;
}

std::map<std::string, std::string> ProductCatalog::load_errors() const {
  std::shared_lock lock(mutex_);
  return load_errors_;
}

}  // namespace quanta::node
