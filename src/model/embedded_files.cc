#include "model/embedded_files.h"

namespace quanta::model {

std::string_view FindEmbeddedFile(std::string_view name) {
  for (std::size_t i = 0; i < kEmbeddedFileCount; ++i) {
    if (kEmbeddedFiles[i].name == name) return kEmbeddedFiles[i].content;
  }
  return {};
}

}  // namespace quanta::model
