#include "model/yaml_document.h"

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace quanta::model {
namespace {

// Bounds that keep hostile input (alias bombs, deep nesting) from exhausting the process.
constexpr int kMaxDepth = 200;
constexpr std::size_t kMaxNodes = 2'000'000;

enum class ScalarKind { kNull, kBool, kInteger, kFloat, kString };

// Resolves a plain (unquoted, untagged) scalar by the YAML 1.2 core schema.
ScalarKind ResolvePlain(const std::string& text) {
  static const std::regex kNull("^(null|Null|NULL|~|)$");
  static const std::regex kBool("^(true|True|TRUE|false|False|FALSE)$");
  static const std::regex kInteger("^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$");
  static const std::regex kFloat(
      "^([-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$");
  if (std::regex_match(text, kNull)) return ScalarKind::kNull;
  if (std::regex_match(text, kBool)) return ScalarKind::kBool;
  if (std::regex_match(text, kInteger)) return ScalarKind::kInteger;
  if (std::regex_match(text, kFloat)) return ScalarKind::kFloat;
  return ScalarKind::kString;
}

Json PlainScalarToJson(const std::string& text) {
  switch (ResolvePlain(text)) {
    case ScalarKind::kNull:
      return nullptr;
    case ScalarKind::kBool:
      return text[0] == 't' || text[0] == 'T';
    case ScalarKind::kInteger: {
      errno = 0;
      char* end = nullptr;
      if (text.rfind("0o", 0) == 0) return std::strtoll(text.c_str() + 2, &end, 8);
      if (text.rfind("0x", 0) == 0) return std::strtoll(text.c_str() + 2, &end, 16);
      long long value = std::strtoll(text.c_str(), &end, 10);
      if (errno == ERANGE) return std::strtod(text.c_str(), nullptr);  // too big: keep magnitude
      return value;
    }
    case ScalarKind::kFloat: {
      double value = std::strtod(text.c_str(), nullptr);
      // JSON has no infinities or NaN: keep such values as the text the user wrote.
      if (!std::isfinite(value) || text.find_first_of("nN") != std::string::npos) return text;
      return value;
    }
    case ScalarKind::kString:
      return text;
  }
  return text;
}

class Converter {
 public:
  Converter(Document* document, std::vector<Diagnostic>* diagnostics)
      : document_(document), diagnostics_(diagnostics) {}

  Json Convert(const YAML::Node& node, const std::string& pointer, int depth) {
    if (++nodes_ > kMaxNodes) {
      if (!budget_reported_) {
        budget_reported_ = true;
        Report(node, pointer, "yaml-too-large",
               fmt::format("the document expands to more than {} values (aliases that repeat "
                           "each other?)",
                           kMaxNodes));
      }
      return nullptr;
    }
    if (depth > kMaxDepth) {
      Report(node, pointer, "yaml-too-deep",
             fmt::format("values are nested more than {} levels deep", kMaxDepth));
      return nullptr;
    }
    document_->SetValueMark(pointer, node.Mark().line + 1, node.Mark().column + 1);
    for (const YAML::Node& open : open_nodes_) {
      if (open.is(node)) {
        Report(node, pointer, "yaml-recursive-alias",
               "an alias refers to a value that contains it, so the document never ends");
        return nullptr;
      }
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        return ConvertScalar(node);
      case YAML::NodeType::Sequence: {
        open_nodes_.push_back(node);
        Json array = Json::array();
        std::size_t index = 0;
        for (const YAML::Node& item : node) {
          array.push_back(Convert(item, AppendPointer(pointer, index++), depth + 1));
        }
        open_nodes_.pop_back();
        return array;
      }
      case YAML::NodeType::Map: {
        open_nodes_.push_back(node);
        Json object = Json::object();
        for (auto it = node.begin(); it != node.end(); ++it) {
          const YAML::Node& key_node = it->first;
          if (!key_node.IsScalar()) {
            Report(key_node, pointer, "yaml-complex-key",
                   "a key must be a plain value such as a name, not a list or a map");
            continue;
          }
          std::string key = key_node.Scalar();
          std::string child = AppendPointer(pointer, key);
          if (object.contains(key)) {
            Diagnostic diagnostic = MakeDiagnostic(key_node, child, "yaml-duplicate-key",
                                                   fmt::format("duplicate key '{}'", key));
            SourceLocation first = document_->LocateKey(child);
            diagnostic.hint = fmt::format(
                "'{}' is already set at line {}; YAML keeps only one, so remove one of them",
                key, first.line);
            diagnostics_->push_back(std::move(diagnostic));
            continue;
          }
          document_->SetKeyMark(child, key_node.Mark().line + 1, key_node.Mark().column + 1);
          object[key] = Convert(it->second, child, depth + 1);
        }
        open_nodes_.pop_back();
        return object;
      }
    }
    return nullptr;
  }

 private:
  static Json ConvertScalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "!!str") return text;  // quoted
    if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
        tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
      return PlainScalarToJson(text);
    }
    if (tag == "?" || tag.empty()) return PlainScalarToJson(text);
    return text;  // other explicit tags: keep the text
  }

  Diagnostic MakeDiagnostic(const YAML::Node& node, const std::string& pointer, std::string rule,
                            std::string message) const {
    Diagnostic diagnostic;
    diagnostic.rule = std::move(rule);
    diagnostic.message = std::move(message);
    diagnostic.location = {document_->file(), node.Mark().line + 1, node.Mark().column + 1,
                           PointerToFieldPath(pointer)};
    return diagnostic;
  }
  void Report(const YAML::Node& node, const std::string& pointer, std::string rule,
              std::string message) {
    diagnostics_->push_back(MakeDiagnostic(node, pointer, std::move(rule), std::move(message)));
  }

  Document* document_;
  std::vector<Diagnostic>* diagnostics_;
  std::vector<YAML::Node> open_nodes_;
  std::size_t nodes_ = 0;
  bool budget_reported_ = false;
};

// Returns the 0-based offset of the first byte that is not valid UTF-8, or npos.
std::size_t FindInvalidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3
                                     : (byte >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return i;
    }
    if (length == 2 && byte < 0xC2) return i;  // overlong
    i += length;
  }
  return std::string_view::npos;
}

SourceLocation LocationOfOffset(std::string_view text, std::size_t offset, const std::string& file) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {file, line, static_cast<int>(offset - line_start) + 1, ""};
}

Diagnostic FileDiagnostic(SourceLocation location, std::string rule, std::string message,
                          std::string hint = "") {
  Diagnostic diagnostic;
  diagnostic.rule = std::move(rule);
  diagnostic.location = std::move(location);
  diagnostic.message = std::move(message);
  diagnostic.hint = std::move(hint);
  return diagnostic;
}

// YAML forbids tabs in indentation; yaml-cpp's own message for them ("illegal map value") does
// not say so. Returns the first line whose indentation holds a tab.
std::optional<SourceLocation> FindTabIndentation(std::string_view text, const std::string& file) {
  std::size_t line_start = 0;
  int line = 1;
  while (line_start < text.size()) {
    std::size_t i = line_start;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
      if (text[i] == '\t') {
        return SourceLocation{file, line, static_cast<int>(i - line_start) + 1, ""};
      }
      ++i;
    }
    std::size_t end = text.find('\n', line_start);
    if (end == std::string_view::npos) break;
    line_start = end + 1;
    ++line;
  }
  return std::nullopt;
}

}  // namespace

SourceLocation Document::Find(std::string_view pointer,
                              const std::unordered_map<std::string, Mark>& marks) const {
  std::string path(pointer);
  while (true) {
    auto it = marks.find(path);
    if (it != marks.end()) {
      return {file_, it->second.line, it->second.column, PointerToFieldPath(pointer)};
    }
    if (path.empty()) break;
    path.erase(path.rfind('/'));
  }
  return {file_, 0, 0, PointerToFieldPath(pointer)};
}

SourceLocation Document::Locate(std::string_view pointer) const {
  return Find(pointer, value_marks_);
}

SourceLocation Document::LocateKey(std::string_view pointer) const {
  if (key_marks_.count(std::string(pointer))) return Find(pointer, key_marks_);
  return Locate(pointer);
}

void Document::SetValueMark(std::string pointer, int line, int column) {
  value_marks_.emplace(std::move(pointer), Mark{line, column});
}

void Document::SetKeyMark(std::string pointer, int line, int column) {
  key_marks_.emplace(std::move(pointer), Mark{line, column});
}

ParsedDocument ParseYaml(std::string_view text, std::string file) {
  ParsedDocument parsed;
  SourceLocation start{file, 1, 1, ""};
  if (text.size() > kMaxDocumentBytes) {
    parsed.diagnostics.push_back(FileDiagnostic(
        start, "document-too-large",
        fmt::format("the file is {:.1f} MB; a document may be at most {} MB",
                    static_cast<double>(text.size()) / (1024 * 1024), kMaxDocumentBytes >> 20),
        "is this really a contract or product document?"));
    return parsed;
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  if (std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    parsed.diagnostics.push_back(FileDiagnostic(LocationOfOffset(text, nul, file), "binary-file",
                                                "the file holds NUL bytes: it is binary, not YAML"));
    return parsed;
  }
  if (std::size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    parsed.diagnostics.push_back(FileDiagnostic(
        LocationOfOffset(text, bad, file), "yaml-encoding",
        fmt::format("byte 0x{:02X} is not valid UTF-8", static_cast<unsigned char>(text[bad])),
        "save the file as UTF-8"));
    return parsed;
  }

  std::vector<YAML::Node> roots;
  try {
    roots = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& error) {
    if (auto tab = FindTabIndentation(text, file)) {
      parsed.diagnostics.push_back(FileDiagnostic(*tab, "yaml-tab",
                                                  "a tab is used for indentation",
                                                  "YAML allows only spaces for indentation"));
    } else {
      parsed.diagnostics.push_back(FileDiagnostic(
          {file, error.mark.line + 1, error.mark.column + 1, ""}, "yaml-syntax", error.msg));
    }
    return parsed;
  } catch (const std::exception& error) {
    parsed.diagnostics.push_back(FileDiagnostic(start, "yaml-syntax", error.what()));
    return parsed;
  }

  if (roots.size() > 1) {
    parsed.diagnostics.push_back(FileDiagnostic(
        {file, roots[1].Mark().line + 1, roots[1].Mark().column + 1, ""}, "yaml-multiple-documents",
        "the file holds more than one YAML document", "put each document in its own file"));
    return parsed;
  }
  if (roots.empty() || roots[0].IsNull()) {
    parsed.diagnostics.push_back(
        FileDiagnostic(start, "document-empty", "the file is empty: it holds no document"));
    return parsed;
  }

  Document document(file, nullptr);
  Converter converter(&document, &parsed.diagnostics);
  try {
    document.SetRoot(converter.Convert(roots[0], "", 0));
  } catch (const std::exception& error) {
    parsed.diagnostics.push_back(FileDiagnostic(start, "yaml-syntax", error.what()));
    return parsed;
  }
  parsed.document.emplace(std::move(document));
  return parsed;
}

Result<ParsedDocument> ReadYamlFile(const std::filesystem::path& path) {
  std::error_code error;
  auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    return Status::IoError("{}: no such file", path.string());
  }
  if (std::filesystem::is_directory(status)) {
    return Status::IoError("{}: is a directory, not a document", path.string());
  }
  std::uintmax_t size = std::filesystem::file_size(path, error);
  std::ifstream input(path, std::ios::binary);
  if (!input) return Status::IoError("{}: cannot be read", path.string());
  if (!error && size > kMaxDocumentBytes) {
    ParsedDocument parsed;
    parsed.diagnostics.push_back(FileDiagnostic(
        {path.string(), 1, 1, ""}, "document-too-large",
        fmt::format("the file is {:.1f} MB; a document may be at most {} MB",
                    static_cast<double>(size) / (1024 * 1024), kMaxDocumentBytes >> 20),
        "is this really a contract or product document?"));
    return parsed;
  }
  std::stringstream buffer;
  buffer << input.rdbuf();
  if (input.bad()) return Status::IoError("{}: read failed", path.string());
  return ParseYaml(buffer.str(), path.string());
}

std::string PointerToFieldPath(std::string_view pointer) {
  std::string path;
  std::size_t i = 0;
  while (i < pointer.size()) {
    std::size_t next = pointer.find('/', i + 1);
    std::string token(pointer.substr(i + 1, next == std::string_view::npos ? next : next - i - 1));
    for (std::size_t p = 0; (p = token.find("~1", p)) != std::string::npos;) token.replace(p, 2, "/");
    for (std::size_t p = 0; (p = token.find("~0", p)) != std::string::npos;) token.replace(p, 2, "~");
    bool is_index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
    if (is_index) {
      path += "[" + token + "]";
    } else {
      if (!path.empty()) path += ".";
      path += token;
    }
    if (next == std::string_view::npos) break;
    i = next;
  }
  return path;
}

std::string AppendPointer(std::string_view pointer, std::string_view key) {
  std::string result(pointer);
  result += '/';
  for (char c : key) {
    if (c == '~') {
      result += "~0";
    } else if (c == '/') {
      result += "~1";
    } else {
      result += c;
    }
  }
  return result;
}

std::string AppendPointer(std::string_view pointer, std::size_t index) {
  return fmt::format("{}/{}", pointer, index);
}

namespace {

void EmitValue(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        if (ResolvePlain(key) != ScalarKind::kString) {
          out << YAML::DoubleQuoted << key;
        } else {
          out << key;
        }
        out << YAML::Value;
        EmitValue(out, item);
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array:
      out << YAML::BeginSeq;
      for (const Json& item : value) EmitValue(out, item);
      out << YAML::EndSeq;
      break;
    case Json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      // A string that would read back as another type, or that has special characters,
      // is quoted; a multi-line one is written as a literal block.
      if (text.find('\n') != std::string::npos) {
        out << YAML::Literal << text;
      } else if (ResolvePlain(text) != ScalarKind::kString) {
        out << YAML::DoubleQuoted << text;
      } else {
        out << text;
      }
      break;
    }
    case Json::value_t::boolean:
      out << (value.get<bool>() ? "true" : "false");
      break;
    case Json::value_t::number_integer:
      out << value.get<std::int64_t>();
      break;
    case Json::value_t::number_unsigned:
      out << value.get<std::uint64_t>();
      break;
    case Json::value_t::number_float:
      out << value.dump();
      break;
    default:
      out << YAML::Null;
      break;
  }
}

}  // namespace

std::string EmitYaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  EmitValue(out, value);
  std::string text = out.c_str();
  text += '\n';
  return text;
}

}  // namespace quanta::model
