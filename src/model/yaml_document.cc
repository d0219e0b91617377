#include "model/yaml_document.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <system_error>
#include <vector>

namespace quanta::model {
namespace {

// Bounds that keep hostile input (alias bombs, deep nesting) from exhausting the process.
constexpr int kMaxDepth = 200;
constexpr std::size_t kMaxNodes = 2'000'000;
// Without aliases a document holds fewer values than it has bytes; more than this many values
// per byte means aliases are multiplying each other (a "billion laughs" document).
constexpr std::size_t kMaxNodesPerByte = 1;
constexpr std::size_t kNodeAllowance = 1024;

enum class ScalarKind { kNull, kBool, kInteger, kFloat, kString };

bool AllOf(std::string_view text, bool (*accept)(char)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), accept);
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsOctalDigit(char c) { return c >= '0' && c <= '7'; }
bool IsHexDigit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsDecimalFloat(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::size_t integer_digits = 0, fraction_digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++integer_digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) ++i, ++fraction_digits;
  }
  if (integer_digits == 0 && fraction_digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    std::size_t exponent_digits = 0;
    while (i < text.size() && IsDigit(text[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == text.size();
}

// Resolves a plain (unquoted, untagged) scalar by the YAML 1.2 core schema. Written by hand
// rather than with std::regex, whose recursion depth grows with the length of the text.
ScalarKind ResolvePlain(std::string_view text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return ScalarKind::kNull;
  }
  if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" ||
      text == "FALSE") {
    return ScalarKind::kBool;
  }
  std::string_view unsigned_part = text;
  if (text[0] == '-' || text[0] == '+') unsigned_part.remove_prefix(1);
  if (AllOf(unsigned_part, IsDigit)) return ScalarKind::kInteger;
  if (text.size() > 2 && text.substr(0, 2) == "0o" && AllOf(text.substr(2), IsOctalDigit)) {
    return ScalarKind::kInteger;
  }
  if (text.size() > 2 && text.substr(0, 2) == "0x" && AllOf(text.substr(2), IsHexDigit)) {
    return ScalarKind::kInteger;
  }
  if (IsDecimalFloat(text)) return ScalarKind::kFloat;
  if (unsigned_part == ".inf" || unsigned_part == ".Inf" || unsigned_part == ".INF" ||
      text == ".nan" || text == ".NaN" || text == ".NAN") {
    return ScalarKind::kFloat;
  }
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
      bool octal = text.rfind("0o", 0) == 0, hex = text.rfind("0x", 0) == 0;
      long long value = octal ? std::strtoll(text.c_str() + 2, &end, 8)
                        : hex ? std::strtoll(text.c_str() + 2, &end, 16)
                              : std::strtoll(text.c_str(), &end, 10);
      if (errno == ERANGE) {
        // Too big for 64 bits: keep the magnitude of a decimal, the text of anything else.
        double magnitude = octal || hex ? HUGE_VAL : std::strtod(text.c_str(), nullptr);
        if (!std::isfinite(magnitude)) return text;
        return magnitude;
      }
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

// False when the quoted scalar that opens at `at` of `text` is never closed. yaml-cpp takes a
// quote left open at the end of the file as a string running to the end, which would silently
// swallow every key after it.
bool QuoteCloses(std::string_view text, std::size_t at) {
  if (at >= text.size() || (text[at] != '"' && text[at] != '\'')) return true;
  char quote = text[at];
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;  // an escape: the next character is never the closing quote
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside a single-quoted string
        continue;
      }
      return true;
    }
  }
  return false;
}

class Converter {
 public:
  /// `text` is the document's; its size bounds how many values the document may expand to
  /// (see kMaxNodesPerByte).
  Converter(Document* document, std::vector<Diagnostic>* diagnostics, std::string_view text)
      : document_(document),
        diagnostics_(diagnostics),
        text_(text),
        max_nodes_(std::min(kMaxNodes, text.size() * kMaxNodesPerByte + kNodeAllowance)) {}

  /// True when the document could not be converted whole (too deep, too large, recursive):
  /// what was converted is not the document the user wrote.
  bool failed() const { return failed_; }

  Json Convert(const YAML::Node& node, const std::string& pointer, int depth) {
    if (failed_) return nullptr;
    if (++nodes_ > max_nodes_) {
      Fail(node, pointer, "yaml-too-large",
           fmt::format("aliases (*name) expand the document to more than {} values, far more "
                       "than the file holds",
                       max_nodes_),
           "an alias seems to repeat other aliases over and over; write the values out");
      return nullptr;
    }
    if (depth > kMaxDepth) {
      Fail(node, pointer, "yaml-too-deep",
           fmt::format("values are nested more than {} levels deep", kMaxDepth),
           "a contract or product nests a few levels; is this file generated by mistake?");
      return nullptr;
    }
    document_->SetValueMark(pointer, node.Mark().line + 1, node.Mark().column + 1);
    for (const YAML::Node& open : open_nodes_) {
      if (open.is(node)) {
        Fail(node, pointer, "yaml-recursive-alias",
             "an alias refers to a value that contains it, so the document never ends",
             "an alias (*name) may only refer to an anchor (&name) outside of itself");
        return nullptr;
      }
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        if (node.Tag() == "!" && !QuoteCloses(text_, static_cast<std::size_t>(node.Mark().pos))) {
          Fail(node, pointer, "yaml-syntax",
               "the quoted string that opens here is never closed, so the rest of the file "
               "would be part of it",
               "close it with the same quote it opens with");
          return nullptr;
        }
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
        // Each entry is a temporary pair of node handles; copy the handles out of it (a
        // reference to `it->first` would outlive the pair).
        for (const auto& entry : node) {
          const YAML::Node key_node = entry.first;
          const YAML::Node value_node = entry.second;
          if (!key_node.IsScalar()) {
            Report(key_node, pointer, "yaml-complex-key",
                   "a key must be a plain value such as a name, not a list or a map");
            continue;
          }
          std::string key = key_node.Scalar();
          std::string child = AppendPointer(pointer, key);
          if (object.contains(key)) {
            SourceLocation first = document_->LocateKey(child);
            Diagnostic diagnostic = MakeDiagnostic(
                key_node, child, "yaml-duplicate-key",
                fmt::format("duplicate key '{}': it is already set at line {}", key, first.line));
            diagnostic.hint = "a key may appear once per map; remove or rename one of them";
            diagnostics_->push_back(std::move(diagnostic));
            continue;
          }
          document_->SetKeyMark(child, key_node.Mark().line + 1, key_node.Mark().column + 1);
          object[key] = Convert(value_node, child, depth + 1);
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
  void Fail(const YAML::Node& node, const std::string& pointer, std::string rule,
            std::string message, std::string hint) {
    failed_ = true;
    Report(node, pointer, std::move(rule), std::move(message));
    diagnostics_->back().hint = std::move(hint);
  }

  Document* document_;
  std::vector<Diagnostic>* diagnostics_;
  std::string_view text_;
  std::vector<YAML::Node> open_nodes_;
  std::size_t max_nodes_;
  std::size_t nodes_ = 0;
  bool failed_ = false;
};

// Returns the 0-based offset of the first byte that is not valid UTF-8, or npos. Refuses
// overlong forms, UTF-16 surrogates and code points beyond U+10FFFF, as RFC 3629 does.
std::size_t FindInvalidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = (byte >> 5) == 0x6    ? 2
                         : (byte >> 4) == 0xE  ? 3
                         : (byte >> 3) == 0x1E ? 4
                                               : 0;
    if (length == 0 || i + length > text.size()) return i;
    std::uint32_t code_point = byte & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

SourceLocation LocationOfOffset(std::string_view text, std::size_t offset,
                                const std::string& file) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  // Columns count characters, not bytes: continuation bytes of UTF-8 do not move the column.
  int column = 1;
  for (std::size_t i = line_start; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  return {file, line, column, ""};
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

// The offset of the first `[` or `{` that opens more than `limit` levels of flow nesting, or
// npos. Quoted text and comments are skipped.
std::size_t FindDeepFlowNesting(std::string_view text, int limit) {
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"' || c == '\'') {
      for (++i; i < text.size() && text[i] != c; ++i) {
        if (c == '"' && text[i] == '\\') ++i;  // an escaped character
      }
    } else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n')) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

// True when the line (without its newline) ends with a block scalar header such as `key: |`,
// `- >-` or `text: |2 # comment`: the lines after it that are more indented are text.
bool OpensBlockScalar(std::string_view line) {
  std::size_t comment = line.find(" #");
  if (comment != std::string_view::npos) line = line.substr(0, comment);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  for (int indicator = 0; indicator < 2 && !line.empty(); ++indicator) {
    char c = line.back();
    if ((c >= '1' && c <= '9') || c == '+' || c == '-') line.remove_suffix(1);
  }
  if (line.empty() || (line.back() != '|' && line.back() != '>')) return false;
  line.remove_suffix(1);
  return line.empty() || line.back() == ' ' || line.back() == '\t';
}

// YAML forbids tabs in indentation; yaml-cpp's own message for them ("illegal map value") does
// not say so. Returns the first line, at or before `error_line`, whose indentation holds a tab;
// tabs inside block scalars (`|`, `>`) are text and do not count.
std::optional<SourceLocation> FindTabIndentation(std::string_view text, const std::string& file,
                                                 int error_line) {
  std::size_t line_start = 0;
  int line = 1;
  int block_parent_indent = -1;  // >= 0 while inside a block scalar
  while (line_start < text.size() && line <= error_line) {
    std::size_t end = text.find('\n', line_start);
    std::string_view content = text.substr(
        line_start, end == std::string_view::npos ? std::string_view::npos : end - line_start);
    std::size_t indent = content.find_first_not_of(' ');
    bool blank = content.find_first_not_of(" \t\r") == std::string_view::npos;
    if (!blank) {
      if (block_parent_indent >= 0 && static_cast<int>(indent) <= block_parent_indent) {
        block_parent_indent = -1;
      }
      if (block_parent_indent < 0) {
        if (content[indent] == '\t') {
          return SourceLocation{file, line, static_cast<int>(indent) + 1, ""};
        }
        if (OpensBlockScalar(content)) block_parent_indent = static_cast<int>(indent);
      }
    }
    if (end == std::string_view::npos) break;
    line_start = end + 1;
    ++line;
  }
  return std::nullopt;
}

// What a stream holds, learned from yaml-cpp's event parser, which builds no nodes.
struct StreamShape {
  int documents = 0;
  std::optional<YAML::Mark> second_document;
  // Where the parser stopped making progress; see SurveyStream.
  std::optional<YAML::Mark> stuck_at;
};

class DocumentCounter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;       // where each document starts (its --- if written)
  std::vector<YAML::Mark> first_nodes;  // where each document's first value starts

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (first_nodes.size() < starts.size()) first_nodes.push_back(mark);
  }
};

// Counts documents before any node is built. yaml-cpp 0.7's LoadAll never returns, allocating
// without end, when a document starts at a token its parser cannot consume (a lone ',' for
// one): each round yields an empty document at the same place. Two documents starting at one
// place is that loop, reported as a syntax error instead. Throws YAML::Exception as Load does.
StreamShape SurveyStream(const std::string& text) {
  std::istringstream input(text);
  YAML::Parser parser(input);
  DocumentCounter counter;
  StreamShape shape;
  while (shape.documents < 4 && parser.HandleNextDocument(counter)) {
    ++shape.documents;
    std::size_t n = counter.starts.size();
    if (n >= 2 && counter.starts[n - 1].pos == counter.starts[n - 2].pos) {
      shape.stuck_at = counter.starts[n - 1];
      return shape;
    }
  }
  if (counter.starts.size() >= 2) {
    shape.second_document =
        counter.first_nodes.size() >= 2 ? counter.first_nodes[1] : counter.starts[1];
  }
  return shape;
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
    std::size_t slash = path.rfind('/');
    path.erase(slash == std::string::npos ? 0 : slash);
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
  // UTF-16 and UTF-32 text holds NUL bytes too; say which encoding it is rather than "binary".
  bool utf16 = text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF" ||
               (text.size() >= 2 && ((text[0] == '\0') != (text[1] == '\0')));
  if (utf16 && text.find('\0') != std::string_view::npos) {
    parsed.diagnostics.push_back(
        FileDiagnostic(start, "yaml-encoding", "the file is UTF-16 (or UTF-32) text, not UTF-8",
                       "save it as UTF-8: iconv -f UTF-16 -t UTF-8 FILE > NEW"));
    return parsed;
  }
  if (std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    parsed.diagnostics.push_back(
        FileDiagnostic(LocationOfOffset(text, nul, file), "binary-file",
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

  StreamShape shape;
  YAML::Node root;
  try {
    std::string owned(text);
    shape = SurveyStream(owned);
    if (shape.documents == 1) root = YAML::Load(owned);
  } catch (const YAML::DeepRecursion& error) {
    // yaml-cpp marks where it gave up, often the end of the file; point at the bracket that
    // went too deep when the nesting is written with brackets.
    std::size_t deep = FindDeepFlowNesting(text, kMaxDepth);
    SourceLocation where =
        deep != std::string_view::npos
            ? LocationOfOffset(text, deep, file)
            : SourceLocation{file, error.mark.line + 1, error.mark.column + 1, ""};
    parsed.diagnostics.push_back(FileDiagnostic(
        where, "yaml-too-deep",
        fmt::format("values are nested more than {} levels deep", kMaxDepth),
        "a contract or product nests a few levels; is this file generated by mistake?"));
    return parsed;
  } catch (const YAML::Exception& error) {
    if (auto tab = FindTabIndentation(text, file, error.mark.line + 1)) {
      parsed.diagnostics.push_back(FileDiagnostic(*tab, "yaml-tab", "a tab is used for indentation",
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

  if (shape.stuck_at) {
    std::size_t offset = std::min<std::size_t>(static_cast<std::size_t>(shape.stuck_at->pos),
                                               text.empty() ? 0 : text.size() - 1);
    char token = text.empty() ? ' ' : text[offset];
    parsed.diagnostics.push_back(FileDiagnostic(
        {file, shape.stuck_at->line + 1, shape.stuck_at->column + 1, ""}, "yaml-syntax",
        std::isgraph(static_cast<unsigned char>(token))
            ? fmt::format("unexpected '{}' where a value should start", token)
            : std::string("unexpected content where a value should start")));
    return parsed;
  }
  if (shape.documents > 1) {
    parsed.diagnostics.push_back(FileDiagnostic(
        {file, shape.second_document->line + 1, shape.second_document->column + 1, ""},
        "yaml-multiple-documents", "the file holds more than one YAML document",
        "put each document in its own file"));
    return parsed;
  }
  if (shape.documents == 0 || root.IsNull()) {
    parsed.diagnostics.push_back(
        FileDiagnostic(start, "document-empty", "the file is empty: it holds no document"));
    return parsed;
  }

  Document document(file, nullptr);
  Converter converter(&document, &parsed.diagnostics, text);
  try {
    document.SetRoot(converter.Convert(root, "", 0));
  } catch (const std::exception& error) {
    parsed.diagnostics.push_back(FileDiagnostic(start, "yaml-syntax", error.what()));
    return parsed;
  }
  if (converter.failed()) return parsed;
  parsed.document.emplace(std::move(document));
  return parsed;
}

Result<ParsedDocument> ReadYamlFile(const std::filesystem::path& path) {
  std::error_code error;
  auto status = std::filesystem::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    // A symbolic link loop, a folder without permission: what the system says.
    return Status::IoError("{}: cannot be read: {}", path.string(), error.message());
  }
  if (error || !std::filesystem::exists(status)) {
    bool link = std::filesystem::is_symlink(std::filesystem::symlink_status(path, error));
    return Status::IoError("{}: {}", path.string(),
                           link ? "a symbolic link to nothing" : "no such file");
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
    for (std::size_t p = 0; (p = token.find("~1", p)) != std::string::npos;)
      token.replace(p, 2, "/");
    for (std::size_t p = 0; (p = token.find("~0", p)) != std::string::npos;)
      token.replace(p, 2, "~");
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

// True when `text` can be written as a plain (unquoted) scalar that every YAML reader, 1.1 or
// 1.2, reads back as this same string. Anything doubtful is quoted: quoting is always correct.
bool IsSafePlain(const std::string& text) {
  if (text.empty() || ResolvePlain(text) != ScalarKind::kString) return false;
  auto first = static_cast<unsigned char>(text[0]);
  if (!(std::isalnum(first) || first == '_' || first == '/' || first == '(' || first >= 0x80)) {
    return false;
  }
  if (text.back() == ' ' || text.back() == ':') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return false;
    if (c == ':' && i + 1 < text.size() && text[i + 1] == ' ') return false;
    if (c == '#' && text[i - 1] == ' ') return false;
  }
  // YAML 1.1 readers turn these into booleans, dates, times and numbers. Long text is judged
  // by its start alone (std::regex recursion grows with the length of the text).
  if (text.size() > 64) {
    bool date_like =
        text.size() > 5 && AllOf(std::string_view(text).substr(0, 4), IsDigit) && text[4] == '-';
    bool number_like = text.find_first_not_of("0123456789_:.+-eE") == std::string::npos;
    return !date_like && !number_like;
  }
  static const std::regex kYaml11Special(
      "^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?"
      "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?|[-+]?[0-9][0-9_]*_[0-9_]*(\\.[0-9_]*)?"
      "|[-+]?0b[01_]+)$");
  return !std::regex_match(text, kYaml11Special);
}

// True when a literal block (`|`) reads back exactly as `text`: one final newline (the block
// keeps exactly one), no leading space on the first line (it would set the indentation), and
// only printable characters.
bool FitsLiteralBlock(const std::string& text) {
  if (text.size() < 2 || text.back() != '\n' || text[text.size() - 2] == '\n') return false;
  if (text[0] == ' ' || text[0] == '\t' || text[0] == '\n') return false;
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7F;
  });
}

void EmitString(YAML::Emitter& out, const std::string& text) {
  if (text.find('\n') != std::string::npos && FitsLiteralBlock(text)) {
    // The block's own final line break stands for the text's single trailing newline.
    out << YAML::Literal << text.substr(0, text.size() - 1);
  } else if (IsSafePlain(text)) {
    out << text;
  } else {
    out << YAML::DoubleQuoted << text;
  }
}

void EmitValue(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        if (IsSafePlain(key)) {
          out << key;
        } else {
          out << YAML::DoubleQuoted << key;
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
    case Json::value_t::string:
      EmitString(out, value.get_ref<const std::string&>());
      break;
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
