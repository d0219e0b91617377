#include "node/dataset_grants.h"

#include <fmt/format.h>

namespace quanta::node {
namespace {

struct DatasetContract {
  const model::Contract* contract = nullptr;
  const model::SchemaObject* object = nullptr;
};

DatasetContract FindDatasetContract(const model::ProductFolder& folder, std::string_view dataset) {
  if (folder.pipeline) {
    for (const model::PipelineDataset& entry : folder.pipeline->pipeline.datasets) {
      if (entry.name.value_or("") != dataset || !entry.output_port) continue;
      const model::ContractFile* file = folder.ContractForOutputPort(*entry.output_port);
      if (!file) break;
      if (const model::SchemaObject* object = file->contract.FindObject(dataset)) {
        return {&file->contract, object};
      }
      break;
    }
  }
  // Only output ports' contracts: a copy of an input port's contract speaks for another
  // product's data.
  if (folder.product) {
    for (const model::OutputPort& port : folder.product->product.output_ports) {
      const model::ContractFile* file =
          port.name ? folder.ContractForOutputPort(*port.name) : nullptr;
      if (!file) continue;
      if (const model::SchemaObject* object = file->contract.FindObject(dataset)) {
        return {&file->contract, object};
      }
    }
  }
  return {};
}

}  // namespace

DatasetGrants::DatasetGrants(const std::vector<Principal>& principals, bool http_authenticated)
    : http_authenticated_(http_authenticated) {
  for (const Principal& principal : principals) groups_[principal.name] = principal.groups;
}

governance::Reader DatasetGrants::ReaderFor(std::string_view name) const {
  governance::Reader reader;
  reader.name = std::string(name);
  if (auto found = groups_.find(name); found != groups_.end()) reader.groups = found->second;
  return reader;
}

governance::Reader DatasetGrants::HttpReader(const ports::HttpRequest& request) const {
  if (!http_authenticated_) {
    governance::Reader reader;
    reader.name = "the node's operator (http.auth is none)";
    reader.unrestricted = true;
    return reader;
  }
  return ReaderFor(request.principal);
}

governance::DatasetAccess DatasetGrants::AccessTo(const DeployedProduct& product,
                                                  std::string_view dataset,
                                                  const governance::Reader& reader) {
  if (!product.folder) return {};
  DatasetContract found = FindDatasetContract(*product.folder, dataset);
  if (!found.contract) return {};
  return governance::DecideReadAccess(reader, *found.contract, *found.object, product.id);
}

Status DatasetGrants::MayReadDeadLetters(const DeployedProduct& product,
                                         const governance::Reader& reader) {
  for (const store::DatasetLayout& layout : product.store->layout().datasets) {
    governance::DatasetAccess access = AccessTo(product, layout.name, reader);
    if (!access.readable) return access.refusal;
    // A rejected record of a row the reader may not see would show it all the same.
    if (!access.row_filter.empty()) {
      return Status(ErrorCode::kPermissionDenied,
                    fmt::format("permission denied for the dead letters of {}: they hold the raw "
                                "records that came in, and principal '{}' reads only some rows "
                                "of dataset {} (the row filters of its roles); it needs a role "
                                "of its contract without a row filter",
                                product.id, reader.name, layout.name));
    }
    if (!access.masked_columns.empty()) {
      return Status(ErrorCode::kPermissionDenied,
                    fmt::format("permission denied for the dead letters of {}: they hold the raw "
                                "records that came in, and principal '{}' reads columns of "
                                "dataset {} masked ({}); it needs a read-unmasked role of its "
                                "contract",
                                product.id, reader.name, layout.name,
                                fmt::join(access.masked_columns, ", ")));
    }
  }
  return Status::Ok();
}

}  // namespace quanta::node
