#pragma once

#include <cstddef>
#include <string_view>

namespace quanta::model {

/// A file compiled into the binary (the standards' JSON Schemas; see cmake/embed_files.cmake).
struct EmbeddedFile {
  std::string_view name;  ///< file name without folders, e.g. "odcs-json-schema-v3.1.0.json"
  std::string_view content;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFileCount;

/// The content of the embedded file called `name`, or an empty view when there is none.
std::string_view FindEmbeddedFile(std::string_view name);

}  // namespace quanta::model
