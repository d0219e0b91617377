#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/diagnostic.h"
#include "base/result.h"

namespace quanta::model {

using Json = nlohmann::ordered_json;

/// Documents larger than this are refused before parsing: contracts and products are small,
/// and a parser given 50 MB of hostile YAML can take minutes.
inline constexpr std::size_t kMaxDocumentBytes = 8 * 1024 * 1024;

/// A YAML or JSON document as JSON values (YAML 1.2 core schema), remembering the line and
/// column where each value and each key was written. Immutable once parsed; thread-compatible.
class Document {
 public:
  Document(std::string file, Json root) : file_(std::move(file)), root_(std::move(root)) {}

  const std::string& file() const { return file_; }
  const Json& root() const { return root_; }

  /// Where the value at `pointer` (a JSON pointer such as "/schema/0/name") was written. When
  /// the value is absent (a missing required field), the place of its nearest present ancestor.
  SourceLocation Locate(std::string_view pointer) const;
  /// Where the key of the member at `pointer` was written; falls back to Locate().
  SourceLocation LocateKey(std::string_view pointer) const;

  /// Used by the parser: sets the values and records positions.
  void SetRoot(Json root) { root_ = std::move(root); }
  void SetValueMark(std::string pointer, int line, int column);
  void SetKeyMark(std::string pointer, int line, int column);

 private:
  struct Mark {
    int line;
    int column;
  };
  SourceLocation Find(std::string_view pointer,
                      const std::unordered_map<std::string, Mark>& marks) const;

  std::string file_;
  Json root_;
  std::unordered_map<std::string, Mark> value_marks_;
  std::unordered_map<std::string, Mark> key_marks_;
};

/// The outcome of parsing: the document when the text could be read as one, and every problem
/// found on the way (syntax, tabs, duplicate keys, encoding, emptiness, size).
struct ParsedDocument {
  std::optional<Document> document;
  std::vector<Diagnostic> diagnostics;
};

/// Parses YAML (JSON is accepted too) from memory. `file` names it in diagnostics. Never throws.
ParsedDocument ParseYaml(std::string_view text, std::string file);

/// Reads and parses a file. Fails (IoError) only when the file cannot be read at all: missing,
/// a directory, unreadable. A file that can be read but is not a document is a diagnostic.
Result<ParsedDocument> ReadYamlFile(const std::filesystem::path& path);

/// Writes JSON values as block-style YAML that ParseYaml reads back to the same values.
std::string EmitYaml(const Json& value);

/// "/schema/0/properties/1/name" -> "schema[0].properties[1].name".
std::string PointerToFieldPath(std::string_view pointer);

/// Appends one step to a JSON pointer, escaping '~' and '/'.
std::string AppendPointer(std::string_view pointer, std::string_view key);
std::string AppendPointer(std::string_view pointer, std::size_t index);

}  // namespace quanta::model
