// Every example shipped with the ODCS and ODPS standards must survive Quanta's model unchanged:
// read, typed, written back (as JSON values and as YAML text) it is the same data. Each one is
// also checked against its standard's schema.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/contract.h"
#include "model/pipeline.h"
#include "model/product.h"
#include "model/product_folder.h"
#include "model/structure_check.h"
#include "model/yaml_document.h"
#include "testing/matchers.h"

namespace quanta::model {
namespace {

namespace fs = std::filesystem;
using ::testing::IsEmpty;

std::vector<std::string> StandardExamples() {
  std::vector<std::string> files;
  for (const char* folder : {"odcs/examples", "odps/examples"}) {
    std::error_code error;
    for (const auto& entry :
         fs::directory_iterator(fs::path(QUANTA_STANDARDS_DIR) / folder, error)) {
      std::string extension = entry.path().extension().string();
      if (extension == ".yaml" || extension == ".yml" || extension == ".json") {
        files.push_back(fs::relative(entry.path(), QUANTA_STANDARDS_DIR).string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Compared as data: key order does not matter, values and their types do. The canonical text
// (keys sorted, one value per line) is compared rather than nlohmann's operator==, which holds
// -1 and 18446744073709551615 equal; failures then show a line diff.
std::string AsData(const Json& value) { return nlohmann::json::parse(value.dump()).dump(1); }

std::string Describe(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& diagnostic : diagnostics) text += FormatDiagnostic(diagnostic) + "\n";
  return text;
}

Document Load(const std::string& relative) {
  Result<ParsedDocument> parsed = ReadYamlFile(fs::path(QUANTA_STANDARDS_DIR) / relative);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_THAT(parsed->diagnostics, IsEmpty()) << Describe(parsed->diagnostics);
  EXPECT_TRUE(parsed->document.has_value());
  return parsed->document.value_or(Document(relative, nullptr));
}

Json WriteBack(const Json& root) {
  switch (DetectKind(root)) {
    case DocumentKind::kContract:
      return ContractToJson(ContractFromJson(root));
    case DocumentKind::kProduct:
      return ProductToJson(ProductFromJson(root));
    default:
      ADD_FAILURE() << "not a contract or a product";
      return nullptr;
  }
}

Json ReadBackYaml(const std::string& text, const std::string& file) {
  ParsedDocument parsed = ParseYaml(text, file);
  EXPECT_THAT(parsed.diagnostics, IsEmpty()) << Describe(parsed.diagnostics) << text;
  return parsed.document ? parsed.document->root() : Json(nullptr);
}

TEST(StandardExamplesTest, AllExamplesAreFound) {
  std::vector<std::string> files = StandardExamples();
  EXPECT_EQ(std::count_if(files.begin(), files.end(),
                          [](const std::string& f) { return f.rfind("odcs/", 0) == 0; }),
            18);
  EXPECT_EQ(std::count_if(files.begin(), files.end(),
                          [](const std::string& f) { return f.rfind("odps/", 0) == 0; }),
            2);
}

class StandardExampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StandardExampleTest, TypedModelWritesBackTheSameData) {
  Document document = Load(GetParam());
  Json written = WriteBack(document.root());
  EXPECT_EQ(AsData(written), AsData(document.root())) << "written back:\n" << EmitYaml(written);
  // Key order is kept too, so that a written-back file reads like the original.
  EXPECT_EQ(written.dump(), document.root().dump());
}

TEST_P(StandardExampleTest, YamlTextRoundTripKeepsTheData) {
  Document document = Load(GetParam());
  std::string text = EmitYaml(document.root());
  EXPECT_EQ(AsData(ReadBackYaml(text, GetParam())), AsData(document.root())) << text;
  std::string typed_text = EmitYaml(WriteBack(document.root()));
  EXPECT_EQ(AsData(ReadBackYaml(typed_text, GetParam())), AsData(document.root()));
}

TEST_P(StandardExampleTest, TypedValuesSeeTheExamplesContent) {
  // Guards against a round trip that passes because everything stayed in `rest`.
  Document document = Load(GetParam());
  const Json& root = document.root();
  if (DetectKind(root) == DocumentKind::kContract) {
    Contract contract = ContractFromJson(root);
    EXPECT_EQ(contract.id, root.value("id", std::string()));
    EXPECT_EQ(contract.schema.size(), root.contains("schema") ? root["schema"].size() : 0);
    EXPECT_FALSE(contract.rest.contains("schema"));
    for (const SchemaObject& object : contract.schema) {
      EXPECT_FALSE(object.rest.contains("properties"));
    }
  } else {
    Product product = ProductFromJson(root);
    EXPECT_EQ(product.id, root.value("id", std::string()));
    EXPECT_EQ(product.output_ports.size(),
              root.contains("outputPorts") ? root["outputPorts"].size() : 0);
  }
}

// The examples that are not valid against their own standard's schema (checked independently
// with a reference JSON Schema validator), and what Quanta reports for each. Every other
// example must produce no error.
// (File names below are relative to the standards folder.)
const std::map<std::string, std::vector<std::string>>& KnownInvalidExamples() {
  static const auto* known = new std::map<std::string, std::vector<std::string>>{
      // Written against ODCS v3.1.0 (timestamp and time types, numeric and date bounds) but
      // declares apiVersion v3.0.2, whose schema has neither.
      {"odcs/examples/data-types--all-data-types.odcs.yaml",
       {"odcs/examples/data-types--all-data-types.odcs.yaml:25:29: error[schema/type]: "
        "exclusiveMinimum must be true or false, not a string ('2020-01-01') "
        "(at schema[0].properties[1].logicalTypeOptions.exclusiveMinimum)",
        "odcs/examples/data-types--all-data-types.odcs.yaml:30:22: error[schema/enum]: "
        "logicalType must be one of: string, date, number, integer, object, array, boolean "
        "(found 'timestamp') (at schema[0].properties[2].logicalType)",
        "odcs/examples/data-types--all-data-types.odcs.yaml:37:22: error[schema/enum]: "
        "logicalType must be one of: string, date, number, integer, object, array, boolean "
        "(found 'timestamp') (at schema[0].properties[3].logicalType)",
        "odcs/examples/data-types--all-data-types.odcs.yaml:46:22: error[schema/enum]: "
        "logicalType must be one of: string, date, number, integer, object, array, boolean "
        "(found 'time') (at schema[0].properties[4].logicalType)",
        "odcs/examples/data-types--all-data-types.odcs.yaml:63:29: error[schema/type]: "
        "exclusiveMaximum must be true or false, not a number (100) "
        "(at schema[0].properties[6].logicalTypeOptions.exclusiveMaximum)"}},
      // Uses v3.1.0's `metric`; ODCS v3.0.2 requires the library metric in `rule`.
      {"odcs/examples/quality--column-completeness.odcs.yaml",
       {"odcs/examples/quality--column-completeness.odcs.yaml:23:9: error[schema/required]: "
        "missing required field 'rule' (at schema[0].properties[0].quality[0])"}},
      // Uses v3.1.0's team object; ODCS v3.0.2 has a list of team members.
      {"odcs/examples/stakeholders--basic-four-dpo.odcs.yaml",
       {"odcs/examples/stakeholders--basic-four-dpo.odcs.yaml:10:3: error[schema/type]: "
        "team must be a list, not an object (at team)"}},
  };
  return *known;
}

TEST_P(StandardExampleTest, StructureCheckMatchesTheSchema) {
  Document document = Load(GetParam());
  std::vector<Diagnostic> diagnostics = CheckStructure(document, DetectKind(document.root()));
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::string prefix = std::string(QUANTA_STANDARDS_DIR) + "/";
  for (Diagnostic diagnostic : diagnostics) {
    if (diagnostic.location.file.rfind(prefix, 0) == 0) {
      diagnostic.location.file.erase(0, prefix.size());
    }
    (diagnostic.severity == Severity::kError ? errors : warnings)
        .push_back(FormatDiagnostic(diagnostic));
  }
  // The ODPS examples are written for v0.9.0: they are checked against v1.0.0, with a warning.
  if (document.root().value("apiVersion", "") == "v0.9.0") {
    EXPECT_THAT(warnings, ::testing::ElementsAre(::testing::HasSubstr(
                              "warning[schema/api-version]: apiVersion v0.9.0 is an earlier")));
  } else {
    EXPECT_THAT(warnings, IsEmpty());
  }
  auto known = KnownInvalidExamples().find(GetParam());
  if (known == KnownInvalidExamples().end()) {
    EXPECT_THAT(errors, IsEmpty()) << Describe(diagnostics);
  } else {
    EXPECT_EQ(errors, known->second) << Describe(diagnostics);
  }
}

// Documents with mistakes must survive too: `lint --fix`-style tools and `export --format odcs`
// write back what the user wrote, and the schema check reports what is wrong with it.
// Every field of a document is replaced in turn by values of each JSON type; the model must
// write back exactly the mutated document.
// The document with every list cut to its first element: the same field patterns, less work.
Json FirstElementsOnly(const Json& value) {
  if (value.is_array()) {
    Json shortened = Json::array();
    if (!value.empty()) shortened.push_back(FirstElementsOnly(value[0]));
    return shortened;
  }
  if (!value.is_object()) return value;
  Json shortened = Json::object();
  for (auto it = value.begin(); it != value.end(); ++it) {
    shortened[it.key()] = FirstElementsOnly(*it);
  }
  return shortened;
}

void ExpectMutationsRoundTrip(const Json& full_document, Json (*write_back)(const Json&)) {
  Json document = FirstElementsOnly(full_document);
  // One pointer per field pattern (list indexes folded to the first element), so that large
  // documents stay quick.
  std::vector<std::string> pointers;
  std::set<std::string> patterns;
  std::vector<std::pair<const Json*, std::string>> stack{{&document, ""}};
  while (!stack.empty()) {
    auto [value, pointer] = stack.back();
    stack.pop_back();
    if (value->is_object()) {
      for (auto it = value->begin(); it != value->end(); ++it) {
        std::string child = AppendPointer(pointer, it.key());
        std::string pattern;
        for (char c : child) pattern += std::isdigit(static_cast<unsigned char>(c)) ? '#' : c;
        if (patterns.insert(pattern).second) pointers.push_back(child);
        stack.emplace_back(&*it, child);
      }
    } else if (value->is_array() && !value->empty()) {
      stack.emplace_back(&(*value)[0], AppendPointer(pointer, std::size_t{0}));
    }
  }
  const Json replacements[] = {nullptr,
                               42,
                               "text",
                               Json::array(),
                               Json::array({1, "a", nullptr}),
                               Json{{"unknown", 1}},
                               Json(std::numeric_limits<std::uint64_t>::max())};
  for (const std::string& pointer : pointers) {
    for (const Json& replacement : replacements) {
      Json mutated = document;
      mutated[Json::json_pointer(pointer)] = replacement;
      Json written = write_back(mutated);
      if (written.dump() == mutated.dump()) continue;  // same data in the same order: quick
      ASSERT_EQ(AsData(written), AsData(mutated)) << pointer << " = " << replacement.dump();
    }
  }
  // And the document itself in place of a field list, an object, or nothing.
  for (const Json& replacement : replacements) {
    EXPECT_EQ(AsData(write_back(replacement)), AsData(replacement)) << replacement.dump();
  }
}

Json ContractRoundTrip(const Json& json) { return ContractToJson(ContractFromJson(json)); }
Json ProductRoundTrip(const Json& json) { return ProductToJson(ProductFromJson(json)); }
Json PipelineRoundTrip(const Json& json) { return PipelineToJson(PipelineFromJson(json)); }

TEST(MutatedDocumentTest, ContractFieldsOfAnyTypeAreWrittenBack) {
  ExpectMutationsRoundTrip(Load("odcs/examples/all--full-example.odcs.yaml").root(),
                           ContractRoundTrip);
  // ODCS v3.0 wrote the team as a bare list of members.
  ParsedDocument v30 = ParseYaml(R"(apiVersion: v3.0.2
kind: DataContract
id: t
version: 1.0.0
status: active
team:
  - username: ceastwood
    name: Clint
    role: dpo
    dateIn: "2014-08-02"
    dateOut: "2014-10-01"
    replacedByUsername: jwayne
    comment: extra
)",
                                 "v30.yaml");
  ASSERT_TRUE(v30.document.has_value());
  ExpectMutationsRoundTrip(v30.document->root(), ContractRoundTrip);
}

TEST(MutatedDocumentTest, ProductFieldsOfAnyTypeAreWrittenBack) {
  ExpectMutationsRoundTrip(Load("odps/examples/customer-data-product.odps.yaml").root(),
                           ProductRoundTrip);
}

TEST(MutatedDocumentTest, PipelineFieldsOfAnyTypeAreWrittenBack) {
  ParsedDocument parsed = ParseYaml(R"(apiVersion: quanta/v1
kind: Pipeline
inputs:
  - port: order_events
    source: kafka
    topic: orders
    format: json
  - port: customers
    source: product
    product: customers/demographics
datasets:
  - name: orders
    outputPort: orders
    transform: transforms/orders.sql
    mode: upsert
    key: [order_id, region]
  - name: events
    outputPort: events
    transform: transforms/events.sql
    key: event_id
)",
                                    "pipeline.yaml");
  ASSERT_TRUE(parsed.document.has_value());
  ExpectMutationsRoundTrip(parsed.document->root(), PipelineRoundTrip);
}

INSTANTIATE_TEST_SUITE_P(Standards, StandardExampleTest, ::testing::ValuesIn(StandardExamples()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace quanta::model
