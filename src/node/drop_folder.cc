#include "node/drop_folder.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <vector>

#include "base/fnv1a.h"
#include "pipeline/file_records.h"

namespace quanta::node {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kRecordsPerBatch = 10000;

// FNV-1a of the file's bytes: with the name and size, what makes a drop's batches unique.
Result<std::uint64_t> ContentHash(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::IoError("{}: cannot be read", file.string());
  // Not FNV's own offset basis, but the one the keys of files already ingested were made with.
  Fnv1a64 hash(1469598103934665603ull);
  char buffer[1 << 16];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    hash.Add(std::string_view(buffer, static_cast<std::size_t>(in.gcount())));
  }
  return hash.value();
}

void MoveTo(const fs::path& file, const fs::path& folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  fs::rename(file, folder / file.filename(), error);
}

}  // namespace

DropFolders::~DropFolders() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DropFolders::Start(std::chrono::milliseconds interval) {
  if (thread_.joinable()) return;
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      ScanOnce();
      lock.lock();
      wake_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

int DropFolders::ScanOnce() {
  int handled = 0;
  for (const ServedProduct& product : catalog_.ListServed()) {
    // The file ports of every served major: a retiring major may read a port the current
    // one dropped.
    std::set<std::string> file_ports;
    for (const ServedMajor& major : product.majors) {
      if (!major.product->folder->pipeline) continue;
      for (const model::PipelineInput& input : major.product->folder->pipeline->pipeline.inputs) {
        if (input.port && input.source.value_or("") == "file") file_ports.insert(*input.port);
      }
    }
    for (const std::string& port : file_ports) {
      fs::path folder = FolderOf(product.id, port);
      std::error_code error;
      fs::create_directories(folder, error);
      std::vector<fs::path> files;
      for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
        std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || name.empty() || name[0] == '.') continue;
        files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());  // drops named by date go in date order
      for (const fs::path& file : files) {
        {
          std::lock_guard lock(mutex_);
          if (stopping_) return handled;
        }
        IngestFile(product, port, file);
        ++handled;
      }
    }
  }
  return handled;
}

void DropFolders::IngestFile(const ServedProduct& product, const std::string& port,
                             const fs::path& file) {
  fs::path folder = file.parent_path();
  auto fail = [&](const Status& status) {
    std::cerr << fmt::format("quanta node: drop {} of {} port {} failed: {}\n",
                             file.filename().string(), product.id, port, status.message());
    MoveTo(file, folder / "failed");
    std::ofstream(folder / "failed" / (file.filename().string() + ".error.txt"))
        << status.message() << "\n";
  };
  // The file is read as the newest major that has the port types it.
  const model::SchemaObject* object = nullptr;
  for (const ServedMajor& major : product.majors) {
    object = major.product->runner->InputObject(port);
    if (object) break;
  }
  if (!object) return fail(Status::NotFound("the product has no input port '{}'", port));
  Result<pipeline::FileFormat> format = pipeline::FileFormatOf(file);
  if (!format.ok()) return fail(format.status());
  Result<std::uint64_t> hash = ContentHash(file);
  if (!hash.ok()) return fail(hash.status());
  std::error_code no_time;
  const fs::file_time_type arrived = fs::last_write_time(file, no_time);
  // Counts a batch's outcome in each major it went to, from the file's arrival to now.
  auto observe = [&](std::int64_t major, const Result<pipeline::IngestOutcome>& outcome) {
    if (!metrics_) return;
    auto age = no_time ? fs::file_time_type::duration::zero()
                       : std::max(fs::file_time_type::duration::zero(),
                                  fs::file_time_type::clock::now() - arrived);
    metrics_->RecordIngest(product.id, major, port, outcome,
                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(age));
  };
  Result<std::vector<std::string>> records = pipeline::ReadRecordsFromFile(file, *format, *object);
  if (!records.ok()) return fail(records.status());

  std::error_code error;
  std::string key_prefix = fmt::format("drop:{}:{}:{}:{:016x}", port, file.filename().string(),
                                       fs::file_size(file, error), *hash);
  std::int64_t accepted = 0, rejected = 0;
  for (std::size_t start = 0, batch = 0; start < records->size();
       start += kRecordsPerBatch, ++batch) {
    std::size_t end = std::min(records->size(), start + kRecordsPerBatch);
    std::vector<std::string> slice(records->begin() + static_cast<std::ptrdiff_t>(start),
                                   records->begin() + static_cast<std::ptrdiff_t>(end));
    Result<std::vector<MajorIngest>> outcomes =
        IngestToMajors(product, port, slice, fmt::format("{}:{}", key_prefix, batch));
    if (outcomes.ok()) {
      for (const MajorIngest& outcome : *outcomes) observe(outcome.major, outcome.outcome);
    } else {
      observe(product.current().product->major, outcomes.status());
    }
    Status failed = outcomes.ok() ? Status::Ok() : outcomes.status();
    for (std::size_t i = 0; failed.ok() && i < outcomes->size(); ++i) {
      const MajorIngest& outcome = (*outcomes)[i];
      if (outcome.outcome.ok()) continue;
      failed =
          Status(outcome.outcome.status().code(),
                 fmt::format("major {}: {}", outcome.major, outcome.outcome.status().message()));
    }
    if (!failed.ok()) {
      return fail(
          Status(failed.code(), fmt::format("records {} to {}: {} (earlier batches of the file are "
                                            "committed; fix it and drop it again: they apply once)",
                                            start + 1, end, failed.message())));
    }
    accepted += outcomes->front().outcome->accepted;
    rejected += outcomes->front().outcome->rejected;
  }
  std::cerr << fmt::format("quanta node: drop {} of {} port {}: {} accepted, {} rejected\n",
                           file.filename().string(), product.id, port, accepted, rejected);
  MoveTo(file, folder / "done");
}

}  // namespace quanta::node
