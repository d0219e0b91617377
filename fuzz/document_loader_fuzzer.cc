// libFuzzer target: any bytes given to the document loader must yield a document or
// diagnostics, never a crash, hang or unbounded memory; and a parsed document must survive
// typing and writing back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/contract.h"
#include "model/pipeline.h"
#include "model/product.h"
#include "model/yaml_document.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  quanta::model::ParsedDocument parsed = quanta::model::ParseYaml(text, "fuzz.yaml");
  if (!parsed.document) return 0;
  const auto& root = parsed.document->root();
  (void)quanta::model::ContractToJson(quanta::model::ContractFromJson(root));
  (void)quanta::model::ProductToJson(quanta::model::ProductFromJson(root));
  (void)quanta::model::PipelineToJson(quanta::model::PipelineFromJson(root));
  (void)parsed.document->Locate("/schema/0/properties/0/name");
  (void)quanta::model::EmitYaml(root);
  return 0;
}
