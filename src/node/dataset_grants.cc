#include "node/dataset_grants.h"

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
  for (const model::ContractFile& file : folder.contracts) {
    if (const model::SchemaObject* object = file.contract.FindObject(dataset)) {
      return {&file.contract, object};
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

}  // namespace quanta::node
