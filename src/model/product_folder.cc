#include "model/product_folder.h"

#include <algorithm>
#include <system_error>

namespace quanta::model {
namespace {

bool HasYamlExtension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml" || extension == ".json";
}

std::vector<std::filesystem::path> SortedFiles(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) return files;
  // Every entry named like a document, also a folder or a symbolic link that leads nowhere:
  // loading it then says what it is, where skipping it would hide a contract.
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (HasYamlExtension(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

Diagnostic MissingFile(const std::filesystem::path& path, std::string message, std::string hint) {
  Diagnostic diagnostic;
  diagnostic.rule = "product-layout";
  diagnostic.location.file = path.string();
  diagnostic.message = std::move(message);
  diagnostic.hint = std::move(hint);
  return diagnostic;
}

}  // namespace

DocumentKind DetectKind(const Json& root) {
  if (!root.is_object()) return DocumentKind::kUnknown;
  auto kind = root.find("kind");
  if (kind != root.end() && kind->is_string()) {
    const auto& name = kind->get_ref<const std::string&>();
    if (name == "DataContract") return DocumentKind::kContract;
    if (name == "DataProduct") return DocumentKind::kProduct;
    if (name == "Pipeline") return DocumentKind::kPipeline;
    return DocumentKind::kUnknown;
  }
  // No kind: guess from the shape so that the schema can name what is missing.
  if (root.contains("inputPorts") || root.contains("outputPorts")) return DocumentKind::kProduct;
  if (root.contains("datasets")) return DocumentKind::kPipeline;
  if (root.contains("schema") || root.contains("apiVersion")) return DocumentKind::kContract;
  return DocumentKind::kUnknown;
}

const ContractFile* ProductFolder::FindContract(std::string_view contract_id) const {
  for (const ContractFile& file : contracts) {
    if (file.contract.id && *file.contract.id == contract_id) return &file;
  }
  return nullptr;
}

const ContractFile* ProductFolder::ContractForInputPort(std::string_view port_name) const {
  if (!product) return nullptr;
  for (const InputPort& port : product->product.input_ports) {
    if (port.name && *port.name == port_name && port.contract_id) {
      return FindContract(*port.contract_id);
    }
  }
  return nullptr;
}

const ContractFile* ProductFolder::ContractForOutputPort(std::string_view port_name) const {
  if (!product) return nullptr;
  for (const OutputPort& port : product->product.output_ports) {
    if (port.name && *port.name == port_name && port.contract_id) {
      return FindContract(*port.contract_id);
    }
  }
  return nullptr;
}

bool IsProductFolder(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::is_directory(path, error) &&
         std::filesystem::is_regular_file(path / "product.yaml", error);
}

Result<std::optional<Document>> LoadDocument(const std::filesystem::path& path,
                                             std::vector<Diagnostic>* diagnostics) {
  QUANTA_ASSIGN_OR_RETURN(ParsedDocument parsed, ReadYamlFile(path));
  for (Diagnostic& diagnostic : parsed.diagnostics) diagnostics->push_back(std::move(diagnostic));
  return std::move(parsed.document);
}

Result<std::optional<ContractFile>> LoadContractFile(const std::filesystem::path& path,
                                                     std::vector<Diagnostic>* diagnostics) {
  QUANTA_ASSIGN_OR_RETURN(std::optional<Document> document, LoadDocument(path, diagnostics));
  if (!document) return std::optional<ContractFile>();
  Contract contract = ContractFromJson(document->root());
  return std::optional<ContractFile>(ContractFile{std::move(*document), std::move(contract)});
}

Result<ProductFolder> LoadProductFolder(const std::filesystem::path& root,
                                        std::vector<Diagnostic>* diagnostics) {
  std::error_code error;
  if (!std::filesystem::is_directory(root, error)) {
    return Status::IoError("{}: not a folder", root.string());
  }
  ProductFolder folder;
  folder.root = root;

  std::filesystem::path product_path = root / "product.yaml";
  if (std::filesystem::exists(product_path, error)) {
    QUANTA_ASSIGN_OR_RETURN(std::optional<Document> document,
                            LoadDocument(product_path, diagnostics));
    if (document) {
      Product product = ProductFromJson(document->root());
      folder.product.emplace(ProductFile{std::move(*document), std::move(product)});
    }
  } else {
    diagnostics->push_back(MissingFile(product_path, "the folder has no product.yaml",
                                       "run 'quanta init DOMAIN/NAME' to see the layout"));
  }

  for (const std::filesystem::path& path : SortedFiles(root / "contracts")) {
    QUANTA_ASSIGN_OR_RETURN(std::optional<ContractFile> contract,
                            LoadContractFile(path, diagnostics));
    if (contract) folder.contracts.push_back(std::move(*contract));
  }

  std::filesystem::path pipeline_path = root / "pipeline.yaml";
  if (std::filesystem::exists(pipeline_path, error)) {
    QUANTA_ASSIGN_OR_RETURN(std::optional<Document> document,
                            LoadDocument(pipeline_path, diagnostics));
    if (document) {
      Pipeline pipeline = PipelineFromJson(document->root());
      folder.pipeline.emplace(PipelineFile{std::move(*document), std::move(pipeline)});
    }
  }
  folder.test_files = SortedFiles(root / "tests");
  return folder;
}

}  // namespace quanta::model
