#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "model/contract.h"
#include "model/pipeline.h"
#include "model/product.h"
#include "model/yaml_document.h"

namespace quanta::model {

/// What a document says it is, from its `kind` (and, lacking one, its shape).
enum class DocumentKind { kContract, kProduct, kPipeline, kUnknown };

/// "DataContract" -> kContract, "DataProduct" -> kProduct, "Pipeline" -> kPipeline.
DocumentKind DetectKind(const Json& root);

/// A contract read from a file: its document (for places in messages) and its typed value.
struct ContractFile {
  Document document;
  Contract contract;
};

struct ProductFile {
  Document document;
  Product product;
};

struct PipelineFile {
  Document document;
  Pipeline pipeline;
};

/// A product folder as `quanta init` lays it out (DESIGN.md): product.yaml, contracts/,
/// pipeline.yaml, transforms/*.sql, tests/*.yaml.
struct ProductFolder {
  std::filesystem::path root;
  std::optional<ProductFile> product;
  std::vector<ContractFile> contracts;
  std::optional<PipelineFile> pipeline;
  std::vector<std::filesystem::path> test_files;  ///< tests/*.yaml, sorted

  /// The contract whose `id` is `contract_id`, or nullptr.
  const ContractFile* FindContract(std::string_view contract_id) const;
  /// The contract bound to the input or output port called `port_name`, or nullptr.
  const ContractFile* ContractForInputPort(std::string_view port_name) const;
  const ContractFile* ContractForOutputPort(std::string_view port_name) const;
};

/// True when `path` is a folder holding a product.yaml.
bool IsProductFolder(const std::filesystem::path& path);

/// Reads a product folder. Documents that cannot be parsed become diagnostics (and are left
/// out); a missing product.yaml is a diagnostic. Fails (IoError) only when `root` cannot be
/// read as a folder.
Result<ProductFolder> LoadProductFolder(const std::filesystem::path& root,
                                        std::vector<Diagnostic>* diagnostics);

/// Reads one YAML file and types it by its kind. Parse problems go to `diagnostics`; the
/// returned document is nullopt when the file is not a document at all.
Result<std::optional<Document>> LoadDocument(const std::filesystem::path& path,
                                             std::vector<Diagnostic>* diagnostics);

/// Reads one contract file (see LoadDocument); nullopt when it is not a readable document.
Result<std::optional<ContractFile>> LoadContractFile(const std::filesystem::path& path,
                                                     std::vector<Diagnostic>* diagnostics);

}  // namespace quanta::model
