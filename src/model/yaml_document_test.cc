#include "model/yaml_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testing/matchers.h"

namespace quanta::model {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Parses text that must yield exactly one diagnostic, and returns it.
Diagnostic OnlyDiagnostic(std::string_view text) {
  ParsedDocument parsed = ParseYaml(text, "doc.yaml");
  EXPECT_THAT(parsed.diagnostics, SizeIs(1));
  if (parsed.diagnostics.empty()) return {};
  return parsed.diagnostics.front();
}

Json ParseClean(std::string_view text) {
  ParsedDocument parsed = ParseYaml(text, "doc.yaml");
  EXPECT_THAT(parsed.diagnostics, IsEmpty())
      << (parsed.diagnostics.empty() ? "" : FormatDiagnostic(parsed.diagnostics[0]));
  EXPECT_TRUE(parsed.document.has_value());
  return parsed.document ? parsed.document->root() : Json(nullptr);
}

TEST(YamlDocumentTest, SyntaxErrorNamesLineAndColumn) {
  Diagnostic diagnostic = OnlyDiagnostic("id: orders\nname: [a, b\nstatus: active\n");
  EXPECT_EQ(diagnostic.rule, "yaml-syntax");
  EXPECT_EQ(diagnostic.location.file, "doc.yaml");
  EXPECT_GE(diagnostic.location.line, 2);
  EXPECT_GT(diagnostic.location.column, 0);
  EXPECT_FALSE(diagnostic.message.empty());

  diagnostic = OnlyDiagnostic("id: orders\nname: a: b\n");
  EXPECT_EQ(diagnostic.rule, "yaml-syntax");
  EXPECT_EQ(diagnostic.location.line, 2);
  EXPECT_EQ(diagnostic.location.column, 8);
}

TEST(YamlDocumentTest, AQuoteLeftOpenIsNamedWhereItOpens) {
  for (const char* text :
       {"id: x\nname: \"abc\n", "id: x\nname: 'abc\n",
        "id: x\nname: \"inv\nstatus: active\nversion: 1.0.0\n", "id: x\nname: \"ends in \\\"\n"}) {
    Diagnostic diagnostic = OnlyDiagnostic(text);
    EXPECT_EQ(diagnostic.rule, "yaml-syntax") << text;
    EXPECT_EQ(diagnostic.location.line, 2) << text;
    EXPECT_EQ(diagnostic.location.column, 7) << text;
    EXPECT_THAT(diagnostic.message, HasSubstr("never closed")) << text;
  }
  // Closed quotes, with their escapes, are fine.
  for (const char* text :
       {"name: \"a \\\" b\"\n", "name: 'it''s'\n", "name: \"\"\n", "name: \"two\n  lines\"\n"}) {
    ParsedDocument parsed = ParseYaml(text, "doc.yaml");
    EXPECT_THAT(parsed.diagnostics, IsEmpty()) << text;
  }
}

TEST(YamlDocumentTest, TabIndentationIsNamedAsSuch) {
  Diagnostic diagnostic = OnlyDiagnostic("schema:\n  - name: a\n\t  logicalType: string\n");
  EXPECT_EQ(diagnostic.rule, "yaml-tab");
  EXPECT_EQ(diagnostic.location.line, 3);
  EXPECT_EQ(diagnostic.location.column, 1);
  EXPECT_THAT(diagnostic.hint, HasSubstr("spaces"));
}

TEST(YamlDocumentTest, TabsInsideValuesAreFine) {
  Json root = ParseClean("query: |\n  SELECT *\n  \tFROM t\nname: \"a\\tb\"\nnote: x\ty\n");
  EXPECT_EQ(root["query"], "SELECT *\n\tFROM t\n");
  EXPECT_EQ(root["name"], "a\tb");
  EXPECT_EQ(root["note"], "x\ty");
}

TEST(YamlDocumentTest, TabInABlockScalarDoesNotHideALaterSyntaxError) {
  Diagnostic diagnostic = OnlyDiagnostic("query: |\n  \tSELECT 1\nname: [a\n");
  EXPECT_EQ(diagnostic.rule, "yaml-syntax");
}

TEST(YamlDocumentTest, DuplicateKeyNamesBothLines) {
  ParsedDocument parsed = ParseYaml("id: a\nname: x\nid: b\n", "doc.yaml");
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  const Diagnostic& diagnostic = parsed.diagnostics[0];
  EXPECT_EQ(diagnostic.rule, "yaml-duplicate-key");
  EXPECT_EQ(diagnostic.location.line, 3);
  EXPECT_EQ(diagnostic.location.column, 1);
  EXPECT_EQ(diagnostic.location.field, "id");
  EXPECT_THAT(FormatDiagnostic(diagnostic),
              ::testing::StartsWith(
                  "doc.yaml:3:1: error[yaml-duplicate-key]: duplicate key 'id': it is already "
                  "set at line 1"));
  EXPECT_THAT(diagnostic.message + diagnostic.hint, HasSubstr("line 1"));
}

TEST(YamlDocumentTest, DuplicateKeyInANestedMap) {
  ParsedDocument parsed =
      ParseYaml("schema:\n  - name: a\n    logicalType: string\n    name: b\n", "doc.yaml");
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].location.line, 4);
  EXPECT_EQ(parsed.diagnostics[0].location.column, 5);
  EXPECT_EQ(parsed.diagnostics[0].location.field, "schema[0].name");
  EXPECT_THAT(parsed.diagnostics[0].message + parsed.diagnostics[0].hint, HasSubstr("line 2"));
}

TEST(YamlDocumentTest, EmptyAndCommentOnlyFilesAreNotDocuments) {
  for (const char* text : {"", "\n\n   \n", "# only a comment\n# and another\n", "---\n"}) {
    ParsedDocument parsed = ParseYaml(text, "doc.yaml");
    EXPECT_FALSE(parsed.document.has_value()) << text;
    ASSERT_THAT(parsed.diagnostics, SizeIs(1)) << text;
    EXPECT_EQ(parsed.diagnostics[0].rule, "document-empty") << text;
    EXPECT_EQ(parsed.diagnostics[0].location.line, 1);
  }
}

TEST(YamlDocumentTest, NulBytesMeanABinaryFile) {
  std::string text("id: a\nname: x\0y\n", 16);
  ParsedDocument parsed = ParseYaml(text, "doc.yaml");
  EXPECT_FALSE(parsed.document.has_value());
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].rule, "binary-file");
  EXPECT_EQ(parsed.diagnostics[0].location.line, 2);
  EXPECT_EQ(parsed.diagnostics[0].location.column, 8);
}

TEST(YamlDocumentTest, Utf16IsNamedAsSuch) {
  using namespace std::string_literals;
  for (const std::string& text :
       {"\xFF\xFEi\0d\0:\0 \0x\0\n\0"s, "i\0d\0:\0 \0x\0\n\0"s, "\0i\0d\0:\0 \0x\0\n"s}) {
    Diagnostic diagnostic = OnlyDiagnostic(text);
    EXPECT_EQ(diagnostic.rule, "yaml-encoding");
    EXPECT_THAT(diagnostic.message, HasSubstr("UTF-16"));
  }
  // Other NUL bytes still mean a binary file.
  EXPECT_EQ(OnlyDiagnostic("id: x\n\0\0\0\0"s).rule, "binary-file");
}

TEST(YamlDocumentTest, InvalidUtf8NamesTheLineAndColumn) {
  Diagnostic diagnostic = OnlyDiagnostic("id: a\nname: caf\xE9\n");
  EXPECT_EQ(diagnostic.rule, "yaml-encoding");
  EXPECT_EQ(diagnostic.location.line, 2);
  EXPECT_EQ(diagnostic.location.column, 10);
  EXPECT_THAT(diagnostic.message, HasSubstr("0xE9"));
  // Columns count characters: the two-byte é before the bad byte is one column.
  diagnostic = OnlyDiagnostic("name: \xC3\xA9\xFF\n");
  EXPECT_EQ(diagnostic.location.column, 8);
}

TEST(YamlDocumentTest, EveryKindOfMalformedUtf8IsRefused) {
  for (const char* bad : {"\xC0\x80",              // overlong NUL
                          "\xE0\x80\x80",          // overlong three-byte
                          "\xED\xA0\x80",          // UTF-16 surrogate
                          "\xF4\x90\x80\x80",      // beyond U+10FFFF
                          "\xF8\x88\x80\x80\x80",  // five-byte form
                          "\x80",                  // lone continuation byte
                          "\xE2\x82"}) {           // truncated
    std::string text = std::string("a: ") + bad + "\n";
    ParsedDocument parsed = ParseYaml(text, "doc.yaml");
    ASSERT_THAT(parsed.diagnostics, SizeIs(1)) << testing::PrintToString(text);
    EXPECT_EQ(parsed.diagnostics[0].rule, "yaml-encoding");
    EXPECT_EQ(parsed.diagnostics[0].location.column, 4);
  }
  // Valid multi-byte characters of each length pass.
  Json root = ParseClean("a: \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n");
  EXPECT_EQ(root["a"], "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(YamlDocumentTest, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(ParseClean("\xEF\xBB\xBFid: a\n")["id"], "a");
}

TEST(YamlDocumentTest, FiftyMegabyteTextIsRefusedWithoutParsing) {
  std::string text = "a: [";
  text.append(50 * 1024 * 1024, '[');
  ParsedDocument parsed;
  parsed = ParseYaml(text, "big.yaml");
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].rule, "document-too-large");
  EXPECT_THAT(parsed.diagnostics[0].message, HasSubstr("50.0 MB"));
}

TEST(YamlDocumentTest, FiftyMegabyteFileIsRefusedWithoutReadingIt) {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("quanta_big_" + std::to_string(::getpid()));
  {
    std::ofstream out(path, std::ios::binary);
    std::string chunk(1024 * 1024, '#');
    for (int i = 0; i < 50; ++i) out << chunk;
  }
  Result<ParsedDocument> parsed = Status::Internal("not run");
  parsed = ReadYamlFile(path);
  std::filesystem::remove(path);
  ASSERT_OK(parsed);
  EXPECT_FALSE(parsed->document.has_value());
  ASSERT_THAT(parsed->diagnostics, SizeIs(1));
  EXPECT_EQ(parsed->diagnostics[0].rule, "document-too-large");
  EXPECT_EQ(parsed->diagnostics[0].location.file, path.string());
}

TEST(YamlDocumentTest, MissingFileAndFolderAreIoErrors) {
  EXPECT_EQ(ReadYamlFile("/nonexistent/quanta/doc.yaml").status().code(), ErrorCode::kIoError);
  EXPECT_EQ(ReadYamlFile(std::filesystem::temp_directory_path()).status().code(),
            ErrorCode::kIoError);
  // Symbolic links that lead nowhere say so.
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("quanta-yaml-links-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::create_symlink("b.yaml", dir / "a.yaml");
  std::filesystem::create_symlink("a.yaml", dir / "b.yaml");
  std::filesystem::create_symlink("missing.yaml", dir / "dangling.yaml");
  EXPECT_THAT(ReadYamlFile(dir / "a.yaml").status().message(), HasSubstr("cannot be read: "));
  EXPECT_THAT(ReadYamlFile(dir / "dangling.yaml").status().message(),
              HasSubstr("a symbolic link to nothing"));
  std::filesystem::remove_all(dir);
}

TEST(YamlDocumentTest, RecursiveAliasIsAnErrorNotAHang) {
  ParsedDocument parsed;
  parsed = ParseYaml("a: &x [*x]\n", "doc.yaml");
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_THAT(parsed.diagnostics[0].rule, ::testing::AnyOf("yaml-recursive-alias", "yaml-syntax"));
  EXPECT_EQ(parsed.diagnostics[0].location.line, 1);
}

TEST(YamlDocumentTest, AliasBombIsStoppedQuickly) {
  std::string text =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char name = 'b'; name <= 'j'; ++name) {
    char previous = static_cast<char>(name - 1);
    text +=
        fmt::format("{0}: &{0} [*{1},*{1},*{1},*{1},*{1},*{1},*{1},*{1},*{1}]\n", name, previous);
  }
  ParsedDocument parsed;
  parsed = ParseYaml(text, "bomb.yaml");
  EXPECT_FALSE(parsed.document.has_value());
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].rule, "yaml-too-large");
  EXPECT_THAT(parsed.diagnostics[0].message, HasSubstr("aliases"));
}

TEST(YamlDocumentTest, ModestAliasesAreExpanded) {
  Json root = ParseClean("base: &base {type: string}\na: *base\nb: *base\n");
  EXPECT_EQ(root["a"], root["base"]);
  EXPECT_EQ(root["b"]["type"], "string");
}

TEST(YamlDocumentTest, TenThousandNestedListsAreRefused) {
  std::string text = std::string(10'000, '[') + std::string(10'000, ']') + "\n";
  ParsedDocument parsed;
  parsed = ParseYaml(text, "deep.yaml");
  EXPECT_FALSE(parsed.document.has_value());
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].rule, "yaml-too-deep");
  EXPECT_EQ(parsed.diagnostics[0].location.line, 1);
  EXPECT_EQ(parsed.diagnostics[0].location.column, 201);  // the bracket that went too deep
}

TEST(YamlDocumentTest, NestingBeyondTheLimitIsRefusedButModestNestingIsFine) {
  auto nested = [](int levels) {
    return "a: " + std::string(levels, '[') + "1" + std::string(levels, ']') + "\n";
  };
  ParseClean(nested(100));
  ParsedDocument parsed = ParseYaml(nested(500), "deep.yaml");
  EXPECT_FALSE(parsed.document.has_value());
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].rule, "yaml-too-deep");
  // Block style nests too: "- - - - 1".
  std::string block;
  for (int i = 0; i < 3000; ++i) block += "- ";
  parsed = ParseYaml(block + "1\n", "deep.yaml");
  EXPECT_FALSE(parsed.document.has_value());
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].rule, "yaml-too-deep");
}

TEST(YamlDocumentTest, MultipleDocumentsAreRefused) {
  ParsedDocument parsed = ParseYaml("id: a\n---\nid: b\n", "doc.yaml");
  EXPECT_FALSE(parsed.document.has_value());
  ASSERT_THAT(parsed.diagnostics, SizeIs(1));
  EXPECT_EQ(parsed.diagnostics[0].rule, "yaml-multiple-documents");
  EXPECT_EQ(parsed.diagnostics[0].location.line, 3);
  // A single document may still start with --- and end with ...
  EXPECT_EQ(ParseClean("---\nid: a\n...\n")["id"], "a");
}

TEST(YamlDocumentTest, TokensThatStallTheParserAreSyntaxErrors) {
  // yaml-cpp's own multi-document loader never returns on these; each must be one error.
  struct Case {
    const char* text;
    int line;
  };
  for (Case c : {Case{",", 1}, Case{"\n,\n", 2}, Case{"id: a\n---\n,\n", 3}}) {
    ParsedDocument parsed = ParseYaml(c.text, "doc.yaml");
    EXPECT_FALSE(parsed.document.has_value()) << c.text;
    ASSERT_THAT(parsed.diagnostics, SizeIs(1)) << c.text;
    EXPECT_EQ(parsed.diagnostics[0].rule, "yaml-syntax") << c.text;
    EXPECT_EQ(parsed.diagnostics[0].location.line, c.line) << c.text;
  }
}

TEST(YamlDocumentTest, ScalarsAreTypedByTheYaml12CoreSchema) {
  Json root = ParseClean(R"(quoted: "1"
single: '1'
integer: 1
negative: -7
hex: 0x1F
octal: 0o17
float: 1.5
exponent: 1e3
yes_word: yes
true_word: true
capital: True
null_word: null
tilde: ~
nothing:
date: 2026-01-01
timestamp: 2026-01-01T10:00:00Z
version: 1.0.0
infinity: .inf
quoted_true: "true"
tagged: !!str 5
huge: 123456789012345678901234567890
1: numeric key
)");
  EXPECT_EQ(root["quoted"], Json("1"));
  EXPECT_EQ(root["single"], Json("1"));
  EXPECT_TRUE(root["integer"].is_number_integer());
  EXPECT_EQ(root["integer"], 1);
  EXPECT_EQ(root["negative"], -7);
  EXPECT_EQ(root["hex"], 31);
  EXPECT_EQ(root["octal"], 15);
  EXPECT_TRUE(root["float"].is_number_float());
  EXPECT_EQ(root["float"], 1.5);
  EXPECT_TRUE(root["exponent"].is_number_float());
  EXPECT_EQ(root["exponent"], 1000.0);
  EXPECT_EQ(root["yes_word"], Json("yes"));  // YAML 1.1's booleans are strings in 1.2
  EXPECT_EQ(root["true_word"], Json(true));
  EXPECT_EQ(root["capital"], Json(true));
  EXPECT_TRUE(root["null_word"].is_null());
  EXPECT_TRUE(root["tilde"].is_null());
  EXPECT_TRUE(root.contains("nothing"));
  EXPECT_TRUE(root["nothing"].is_null());
  EXPECT_EQ(root["date"], Json("2026-01-01"));
  EXPECT_EQ(root["timestamp"], Json("2026-01-01T10:00:00Z"));
  EXPECT_EQ(root["version"], Json("1.0.0"));
  EXPECT_EQ(root["infinity"], Json(".inf"));  // JSON has no infinity: kept as written
  EXPECT_EQ(root["quoted_true"], Json("true"));
  EXPECT_EQ(root["tagged"], Json("5"));
  EXPECT_TRUE(root["huge"].is_number_float());
  EXPECT_EQ(root["1"], Json("numeric key"));
}

TEST(YamlDocumentTest, HugeScalarsNeitherCrashNorLoseTheirText) {
  std::string digits(1'000'000, '7');
  Json root = ParseClean("a: " + digits + "\nb: 0x" + std::string(40, 'F') + "\n");
  EXPECT_EQ(root["a"], Json(digits));  // beyond any number: kept as written
  EXPECT_EQ(root["b"], Json("0x" + std::string(40, 'F')));
  Json tricky = Json::array(
      {digits, "2026-01-01T" + std::string(1'000'000, 'x'), std::string(1'000'000, 'y') + ": z"});
  EXPECT_EQ(ParseClean(EmitYaml(tricky)), tricky);
}

TEST(YamlDocumentTest, LocateFindsValuesKeysAndAbsentFields) {
  ParsedDocument parsed =
      ParseYaml("id: a\nschema:\n  - name: orders\n    properties:\n      - name: x\n", "doc.yaml");
  ASSERT_TRUE(parsed.document.has_value());
  const Document& document = *parsed.document;
  SourceLocation value = document.Locate("/schema/0/properties/0/name");
  EXPECT_EQ(value.line, 5);
  EXPECT_EQ(value.column, 15);
  EXPECT_EQ(value.field, "schema[0].properties[0].name");
  SourceLocation key = document.LocateKey("/schema/0/properties/0/name");
  EXPECT_EQ(key.line, 5);
  EXPECT_EQ(key.column, 9);
  // An absent field is placed at its nearest present ancestor, but named as asked.
  SourceLocation absent = document.Locate("/schema/0/logicalType");
  EXPECT_EQ(absent.line, 3);
  EXPECT_EQ(absent.column, 5);
  EXPECT_EQ(absent.field, "schema[0].logicalType");
  EXPECT_EQ(document.Locate("not a pointer").line, 1);  // malformed: the document itself
}

TEST(YamlDocumentTest, KeysWithSlashesAndTildesAreLocated) {
  ParsedDocument parsed = ParseYaml("a/b: 1\n\"c~d\": 2\n", "doc.yaml");
  ASSERT_TRUE(parsed.document.has_value());
  EXPECT_EQ(parsed.document->Locate(AppendPointer("", "a/b")).line, 1);
  EXPECT_EQ(parsed.document->Locate(AppendPointer("", "c~d")).line, 2);
  EXPECT_EQ(PointerToFieldPath(AppendPointer("", "a/b")), "a/b");
}

TEST(EmitYamlTest, TrickyValuesReadBackTheSame) {
  Json value = Json::object();
  std::vector<std::string> strings = {"",
                                      "null",
                                      "Null",
                                      "~",
                                      "true",
                                      "False",
                                      "1",
                                      "-1",
                                      "1.5",
                                      "1e3",
                                      "0x1F",
                                      ".inf",
                                      "2026-01-01",
                                      "a: b",
                                      "- x",
                                      "#hash",
                                      "a #b",
                                      " leading",
                                      "trailing ",
                                      "x:",
                                      "*star",
                                      "&anchor",
                                      "!bang",
                                      "%percent",
                                      "@at",
                                      "`tick",
                                      "{brace",
                                      "[bracket",
                                      "]",
                                      ",comma",
                                      "?q",
                                      "|pipe",
                                      ">gt",
                                      "'single'",
                                      "\"double\"",
                                      "back\\slash",
                                      "tab\there",
                                      "one\ntwo",
                                      "ends with newline\n",
                                      "\n starts with newline",
                                      "two\n\nblank lines\n\n",
                                      "  indented\nx",
                                      "caf\xC3\xA9 \xF0\x9F\x98\x80",
                                      "control \x01 char",
                                      "--- doc",
                                      "...",
                                      "=",
                                      "<<"};
  Json list = Json::array();
  for (const std::string& text : strings) {
    list.push_back(text);
    value[text.empty() ? "empty-key-stand-in" : text] = text;
  }
  value["list"] = list;
  value["numbers"] = Json::array({0, -0.0, 0.1, 1.0, 1e300, -2.5e-8, 9007199254740993LL,
                                  std::numeric_limits<std::int64_t>::min()});
  value["empty_list"] = Json::array();
  value["empty_map"] = Json::object();
  value["nested"] = Json::parse(R"([[1, [2, []]], {"a": {"b": {}}}, null, true])");
  std::string text = EmitYaml(value);
  Json back = ParseClean(text);
  EXPECT_EQ(back, value) << text;
  for (auto it = value.begin(); it != value.end(); ++it) {
    EXPECT_EQ(back[it.key()], it.value()) << it.key() << "\n" << text;
  }
  // Numbers keep their kind: 1.0 stays a float, 1 an integer.
  EXPECT_TRUE(back["numbers"][3].is_number_float());
  EXPECT_TRUE(back["numbers"][0].is_number_integer());
}

TEST(EmitYamlTest, OrdinaryTextStaysReadable) {
  Json value = Json::parse(R"({"description": "Orders placed on the web shop, one per row",
                               "query": "SELECT count(*)\nFROM orders\n",
                               "when": "2026-01-01", "flag": "yes", "url": "https://x.org/a"})");
  EXPECT_EQ(EmitYaml(value),
            "description: Orders placed on the web shop, one per row\n"
            "query: |\n  SELECT count(*)\n  FROM orders\n"
            "when: \"2026-01-01\"\n"  // YAML 1.1 readers would make a date of it
            "flag: \"yes\"\n"         // and a boolean of this
            "url: https://x.org/a\n");
}

TEST(EmitYamlTest, EmptyStringKeyAndTopLevelScalars) {
  Json value = Json::object();
  value[""] = "empty key";
  EXPECT_EQ(ParseClean(EmitYaml(value)), value);
  EXPECT_EQ(ParseClean(EmitYaml(Json::array({1, "2"}))), Json::array({1, "2"}));
}

}  // namespace
}  // namespace quanta::model
