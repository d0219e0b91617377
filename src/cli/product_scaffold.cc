#include "cli/product_scaffold.h"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <system_error>

namespace quanta::cli {
namespace {

// The templates below are the files `quanta init` writes. Words between double braces are
// replaced by Render(): domain, name, product_id, input, output, input_contract_id,
// output_contract_id, input_table (the input object as a SQL identifier).

constexpr std::string_view kProductTemplate =
    R"yaml(# product.yaml: the identity card of the data product {{domain}}/{{name}}.
#
# It follows the Open Data Product Standard (ODPS) v1.0.0. Quanta reads it to learn who owns the
# product, where its data comes from (input ports) and how others read it (output ports). Each
# port points at a data contract in contracts/ through its contractId.

# Version of the ODPS standard this file follows. Keep v1.0.0.
apiVersion: v1.0.0
# What this document is. Always DataProduct in product.yaml.
kind: DataProduct
# Identifier of the product, unique in the whole mesh. Quanta derived it from the domain and the
# name. Never change it once other products or consumers depend on it.
id: {{product_id}}
# Short name of the product, unique within its domain (lowercase letters, digits, '-', '_').
name: {{name}}
# Version of the product as MAJOR.MINOR.PATCH (semantic versioning). Raise MAJOR when a change
# breaks consumers, MINOR when you add something, PATCH for fixes. Mesh policies require it.
version: 0.1.0
# Lifecycle status. One of proposed, draft, active, deprecated, retired. Consumers should build
# on active products; draft says the product may still change without notice.
status: draft
# Business domain that owns the product (for example orders, customers, marketing).
domain: {{domain}}
# What the product is for, in plain words. The catalog shows it and search matches on it.
description:
  # Why the product exists and which questions it answers.
  purpose: Current state of each {{name}} record, built from the events of the source system.
  # What the data must not be used for, or what it does not cover.
  limitations: Only records whose events reached the input port are included.
  # How consumers are expected to read it.
  usage: Query the {{output}} output port with SQL, or read its files or change stream.
# The people accountable for the product. Mesh policies require a member whose role is owner.
team:
  # Name of the team that builds and runs the product.
  name: {{domain}}-team
  # Members of the team. username is an email or login; role is free text such as owner,
  # data steward or engineer.
  members:
    - username: owner@example.com  # replace with the real owner's email
      role: owner
# Input ports: where the product's data comes from. pipeline.yaml says how each one receives
# records (HTTP, file drops, Kafka, NATS, or another product's output port).
inputPorts:
    # Name of the port. In transforms, each schema object of its contract is a SQL table.
  - name: {{input}}
    # Version of the interface of this port (semantic versioning).
    version: 1.0.0
    # id of the data contract (a file in contracts/) that describes the records of this port.
    contractId: {{input_contract_id}}
# Output ports: what the product publishes. Every way of reading it (SQL, files, stream, HTTP)
# serves the same contract, the same history and the same access rules.
outputPorts:
    # Name of the port. pipeline.yaml names it in datasets[].outputPort.
  - name: {{output}}
    # One sentence for people browsing the catalog.
    description: One row per record with its latest status and amount.
    # Version of the interface of this port. A breaking change needs a new MAJOR version.
    version: 1.0.0
    # id of the data contract (a file in contracts/) that this port promises to keep.
    contractId: {{output_contract_id}}
)yaml";

constexpr std::string_view kInputContractTemplate =
    R"yaml(# contracts/{{input}}.yaml: the data contract of the input port {{input}}.
#
# It follows the Open Data Contract Standard (ODCS) v3.1.0 and describes the records that arrive
# on the port: their fields and types. Quanta checks every incoming record against it, and puts
# each record that does not fit aside (in the product's dead letters) with the reason.

# Version of the ODCS standard this file follows. Keep v3.1.0.
apiVersion: v3.1.0
# What this document is. Always DataContract in contracts/.
kind: DataContract
# Identifier of the contract, unique in the whole mesh. product.yaml points at it with
# contractId; never change it once in use.
id: {{input_contract_id}}
# Short name of the contract.
name: {{input}}
# Version of the contract (semantic versioning). `quanta breaking OLD NEW` tells whether a new
# version breaks its users.
version: 1.0.0
# Lifecycle status. One of proposed, draft, active, deprecated, retired.
status: draft
# Business domain that owns the data.
domain: {{domain}}
# Name of the data product this contract belongs to.
dataProduct: {{name}}
# What the data is, in plain words.
description:
  # Why this data exists.
  purpose: Events sent by the source system each time a {{name}} record is created or changed.
  # What it must not be used for, or what it does not cover.
  limitations: Events may arrive late or twice; the pipeline keeps the latest one per record.
  # How it is used.
  usage: Input of the {{domain}}/{{name}} pipeline only.
# The people accountable for this contract. Mesh policies require a member whose role is owner.
team:
  name: {{domain}}-team
  members:
    - username: owner@example.com  # replace with the real owner's email
      role: owner
# The datasets this contract describes. Each entry is a schema object (a table, a topic, a
# file); in transforms it becomes a SQL table with the same name.
schema:
    # Name of the object. It is the table name in transforms and the key in tests/*.yaml input.
  - name: {{input}}
    # What one row (one record) means.
    description: One event about a {{name}} record, as sent by the source system.
    # The fields of each record. For each one
    #   name            the column name
    #   logicalType     string, integer, number, boolean, date, timestamp, time, object or array
    #   physicalType    optional exact SQL type, such as decimal(12,2) for money
    #   required        true when every record must have a value (records without one are
    #                   rejected); false or absent when the field may be missing
    #   description     what the value means; mesh policies require one on every field
    #   classification  how sensitive the value is: public, internal, confidential or restricted
    #                   (personal data such as emails or birth dates must not be public)
    #   examples        sample values, shown in the catalog
    properties:
      - name: event_id
        logicalType: string
        required: true
        description: Identifier of the event, unique per event; a resent event keeps its id.
        classification: internal
        examples: [e-1001]
      - name: record_id
        logicalType: string
        required: true
        description: Identifier of the record the event is about.
        classification: internal
        examples: [r-1]
      - name: status
        logicalType: string
        required: true
        description: Status of the record after the event. One of new, active, closed.
        classification: public
        examples: [new, active, closed]
      - name: amount
        logicalType: number
        physicalType: decimal(12,2)
        required: false
        description: Amount of the record in euros after the event; absent when unknown.
        classification: internal
        examples: [10.5]
      - name: occurred_at
        logicalType: timestamp
        required: true
        description: When the event happened in the source system (ISO 8601, with time zone).
        classification: public
        examples: ["2026-01-01T10:00:00Z"]
# Service levels promised for this data. Each entry has a property, a value and a unit
# (s seconds, h hours, d days, y years).
slaProperties:
    # latency: longest time between an event happening and it reaching the product.
  - property: latency
    value: 1
    unit: h
    # retention: how long the data is kept and readable (including its history).
  - property: retention
    value: 1
    unit: y
    # frequency: how often new data arrives.
  - property: frequency
    value: 1
    unit: h
)yaml";

constexpr std::string_view kOutputContractTemplate =
    R"yaml(# contracts/{{output}}.yaml: the data contract of the output port {{output}}.
#
# It follows the Open Data Contract Standard (ODCS) v3.1.0. It is the promise this product makes
# to its consumers: the fields and types of the dataset, the quality checks it passes and its
# service levels. `quanta test` runs the quality checks on the pipeline's output, and
# `quanta breaking OLD NEW` tells whether a new version breaks consumers.

# Version of the ODCS standard this file follows. Keep v3.1.0.
apiVersion: v3.1.0
# What this document is. Always DataContract in contracts/.
kind: DataContract
# Identifier of the contract, unique in the whole mesh. product.yaml points at it with
# contractId, and consumers' input ports point at it too; never change it once in use.
id: {{output_contract_id}}
# Short name of the contract.
name: {{output}}
# Version of the contract (semantic versioning). Removing or retyping a field is a breaking
# change and needs a new MAJOR version.
version: 1.0.0
# Lifecycle status. One of proposed, draft, active, deprecated, retired.
status: draft
# Business domain that owns the data.
domain: {{domain}}
# Name of the data product this contract belongs to.
dataProduct: {{name}}
# What the data is, in plain words, for consumers deciding whether to use it.
description:
  # Why this data exists.
  purpose: The current state of every {{name}} record, one row per record.
  # What it must not be used for, or what it does not cover.
  limitations: Holds the latest state only; read an earlier version for the history.
  # How consumers should use it.
  usage: Join on record_id; filter on status.
# The people accountable for this contract. Mesh policies require a member whose role is owner.
team:
  name: {{domain}}-team
  members:
    - username: owner@example.com  # replace with the real owner's email
      role: owner
# The datasets this contract describes. pipeline.yaml builds each one (datasets[].name).
schema:
    # Name of the object: the dataset and table name, and the key in tests/*.yaml expected.
  - name: {{output}}
    # physicalType of an object says what it is stored as: a table.
    physicalType: table
    # What one row means.
    description: One {{name}} record in its latest known state.
    # Quality checks on the whole dataset. `quanta test` runs each one on the test output and
    # reports the measured value. A check passes when the value meets its operator: mustBe,
    # mustNotBe, mustBeGreaterThan, mustBeGreaterOrEqualTo, mustBeLessThan,
    # mustBeLessOrEqualTo, mustBeBetween [low, high] or mustNotBeBetween [low, high].
    quality:
        # A library check: Quanta knows how to measure the metric (rowCount, nullValues,
        # missingValues, invalidValues, duplicateValues).
      - metric: rowCount
        mustBeGreaterThan: 0
        description: The dataset is never empty.
        # error fails `quanta test`; warning is only reported.
        severity: error
        # A SQL check: the query returns one number, compared with the operator. ${object}
        # stands for this object's table.
      - type: sql
        query: SELECT COUNT(*) FROM ${object} WHERE amount < 0
        mustBe: 0
        description: No record has a negative amount.
        severity: error
    # The columns, described as in the input contract (name, logicalType, physicalType,
    # required, description, classification, examples). primaryKey marks the column(s) that
    # identify a row; primaryKeyPosition orders them when there are several.
    properties:
      - name: record_id
        logicalType: string
        required: true
        primaryKey: true
        primaryKeyPosition: 1
        description: Identifier of the record.
        classification: internal
        examples: [r-1]
        # Quality checks on one column. duplicateValues counts repeated values.
        quality:
          - metric: duplicateValues
            mustBe: 0
            description: Each record appears once.
      - name: status
        logicalType: string
        required: true
        description: Latest status of the record. One of new, active, closed.
        classification: public
        examples: [active]
        quality:
            # invalidValues counts values outside arguments.validValues (or not matching
            # arguments.pattern). unit percent compares a share instead of a count of rows.
          - metric: invalidValues
            arguments:
              validValues: [new, active, closed]
            mustBe: 0
            unit: rows
            description: The status is one of the known values.
      - name: amount
        logicalType: number
        physicalType: decimal(12,2)
        required: false
        description: Latest amount of the record in euros; absent when unknown.
        classification: internal
        examples: [12.0]
      - name: updated_at
        logicalType: timestamp
        required: true
        description: When the event that produced this state happened.
        classification: public
        examples: ["2026-01-01T11:00:00Z"]
# Service levels promised to consumers (s seconds, h hours, d days, y years). Mesh policies
# require latency and retention on every output contract; shortening retention or raising
# latency later is a breaking change.
slaProperties:
    # latency: longest time between an event happening and its effect being readable here.
  - property: latency
    value: 1
    unit: h
    # retention: how long data and its history stay readable (time travel reaches this far).
  - property: retention
    value: 1
    unit: y
    # frequency: how often the dataset is updated.
  - property: frequency
    value: 1
    unit: h
)yaml";

constexpr std::string_view kPipelineTemplate =
    R"yaml(# pipeline.yaml: how data flows through the product {{domain}}/{{name}}.
#
# This file is Quanta's own format (schema: quanta/v1). It says how each input port of
# product.yaml receives records, and how each output dataset is computed from them in SQL.

# Version of the pipeline format. Keep quanta/v1.
apiVersion: quanta/v1
# What this document is. Always Pipeline in pipeline.yaml.
kind: Pipeline
# How each input port receives records; one entry per input port of product.yaml.
inputs:
    # Name of the input port in product.yaml.
  - port: {{input}}
    # Where records come from. One of
    #   http     clients POST JSON records to the node
    #   file     CSV, JSON, Parquet or Avro files dropped in a folder (add format: csv ...)
    #   kafka    a Kafka topic (add topic: NAME)
    #   nats     a NATS JetStream subject (add topic: SUBJECT)
    #   product  another product's output port (add product: DOMAIN/NAME)
    source: http
# The datasets this product builds; each is a schema object of an output port's contract.
datasets:
    # Name of the dataset: a schema object in the output port's contract.
  - name: {{output}}
    # The output port of product.yaml that publishes it.
    outputPort: {{output}}
    # The SQL file (relative to this folder) whose SELECT computes the rows.
    transform: transforms/{{output}}.sql
    # append adds every row the transform returns (event logs). upsert replaces the stored row
    # that has the same key (current state); within one batch the last row per key wins.
    mode: upsert
    # The column(s) identifying a row for upsert. When absent, the contract's primaryKey.
    key: [record_id]
)yaml";

constexpr std::string_view kTransformTemplate =
    R"sql(-- transforms/{{output}}.sql: computes the dataset {{output}} from the input port {{input}}.
--
-- Quanta runs this SELECT on each batch of incoming records. Every schema object of an input
-- port's contract is a table named after the object (here {{input_table}}), with one column per
-- property. The columns returned must match the properties of the object {{output}} in
-- contracts/{{output}}.yaml, by name and by type; `quanta lint` checks that.
--
-- pipeline.yaml stores the rows with mode upsert and key record_id: each row replaces the stored
-- row of the same record. A batch may hold several events of one record, arriving in any order,
-- so keep only the most recent event of each record (QUALIFY filters on the window function).
SELECT
  record_id,
  status,
  amount,
  occurred_at AS updated_at
FROM {{input_table}}
QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY occurred_at DESC, event_id DESC) = 1
)sql";

constexpr std::string_view kTestTemplate =
    R"yaml(# tests/basic.yaml: one test case of the pipeline. `quanta test` loads the input rows into the
# input tables, runs the transforms, and compares the result with the expected rows. Add one
# file per case: the usual flow, and the awkward ones (duplicates, late events, missing values).

# What the case shows; printed by `quanta test`. Defaults to the file name.
name: the latest event of each record becomes its current state
# Rows per input table (a schema object of an input port's contract), one mapping per row.
# Fields left out are missing (null).
input:
  {{input}}:
    - {event_id: e-1, record_id: r-1, status: new, amount: 10.5, occurred_at: "2026-01-01T10:00:00Z"}
    - {event_id: e-2, record_id: r-2, status: new, occurred_at: "2026-01-01T10:05:00Z"}
    - {event_id: e-3, record_id: r-1, status: active, amount: 12.0, occurred_at: "2026-01-01T11:00:00Z"}
    # A late event: it arrives last but happened before e-3, so it must not win.
    - {event_id: e-4, record_id: r-1, status: new, amount: 11.0, occurred_at: "2026-01-01T10:30:00Z"}
# Rows per output dataset (datasets[].name in pipeline.yaml). For an upsert dataset, the final
# state after the whole input: one row per key. Every column of the dataset must appear in at
# least one row (write null for an empty value); a field left out of a row is null.
expected:
  {{output}}:
    - {record_id: r-1, status: active, amount: 12.0, updated_at: "2026-01-01T11:00:00Z"}
    - {record_id: r-2, status: new, updated_at: "2026-01-01T10:05:00Z"}
# Compare rows as a set (false, the default) or in this exact order (true).
ordered: false
)yaml";

constexpr std::string_view kMeshTemplate =
    R"yaml(# quanta-mesh.yaml: the rules every product of the mesh agrees to (governance as code).
#
# `quanta lint` finds this file by walking up from the folder it checks, and runs every policy
# on the product's metadata: each violation is reported like a compiler error. Keep it at the
# root of the repository (or folder) holding your products, so that they all share it.

# Version of the mesh config format. Keep quanta/v1.
apiVersion: quanta/v1
# What this document is. Always Mesh.
kind: Mesh
# Folder of policy files (*.sql), relative to this file. Each file is one SQL query over the
# product's metadata tables that returns one row per violation.
policies: policies
# Also run the policies that ship with Quanta: an owner in the team, every property described,
# personal data classified, SLA latency and retention declared, semantic versions.
defaultPolicies: true
)yaml";

constexpr std::string_view kPolicyTemplate = R"sql(-- id: primary-key-required
-- severity: blocking
-- description: Every primary key column must be required, since a row without its key cannot be updated or joined.
-- hint: add `required: true` to the property in its contract.

-- A policy is one SELECT over the metadata tables that `quanta lint` fills from the product
-- (products, ports, contracts, schema_objects, properties, quality_rules, sla_properties,
-- roles, team_members, custom_properties). Each row it returns is one violation. The message
-- column says what is wrong; file and pointer (the document and the JSON pointer of the
-- element) let lint print where. The header above gives the policy's id, whether a violation
-- blocks (blocking) or is only reported (warning), a description and a hint for the fix.
SELECT
  format('property {}.{} is part of the primary key but is not required', object, property)
    AS message,
  file,
  pointer
FROM properties
WHERE primary_key AND NOT coalesce(required, false)
)sql";

// The input object's name as a SQL identifier: quoted when it would not read as a plain one.
std::string SqlIdentifier(std::string_view name) {
  bool plain = !name.empty() && !(name.front() >= '0' && name.front() <= '9');
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) plain = false;
  }
  if (plain) return std::string(name);
  std::string quoted = "\"";
  for (char c : name) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Dashes read as minus signs in SQL, so dataset and port names use underscores.
std::string SnakeCase(std::string_view name) {
  std::string result(name);
  for (char& c : result) {
    if (c == '-') c = '_';
  }
  return result;
}

struct Substitution {
  std::string_view placeholder;
  std::string value;
};

std::string Render(std::string_view text, const std::vector<Substitution>& substitutions) {
  std::string result;
  result.reserve(text.size() + 256);
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t open = text.find("{{", position);
    if (open == std::string_view::npos) break;
    std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    std::string_view key = text.substr(open + 2, close - open - 2);
    const Substitution* match = nullptr;
    for (const Substitution& substitution : substitutions) {
      if (substitution.placeholder == key) match = &substitution;
    }
    result.append(text.substr(position, open - position));
    if (match != nullptr) {
      result.append(match->value);
    } else {
      result.append(text.substr(open, close + 2 - open));
    }
    position = close + 2;
  }
  result.append(text.substr(position));
  return result;
}

bool ValidNamePart(std::string_view part) { return model::IsProductName(part); }

}  // namespace

Result<ProductName> ParseProductName(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
    return Status::Usage(
        "'{}' is not DOMAIN/NAME: write the domain and the product name separated by one '/', "
        "e.g. orders/orders",
        text);
  }
  ProductName product{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
  if (!ValidNamePart(product.domain)) {
    return Status::Usage("domain '{}' in '{}' is not valid: a domain has {}", product.domain, text,
                         kProductNameRule);
  }
  if (!ValidNamePart(product.name)) {
    return Status::Usage("product name '{}' in '{}' is not valid: a name has {}", product.name,
                         text, kProductNameRule);
  }
  return product;
}

std::string ProductIdFor(const ProductName& product) {
  return fmt::format("urn:quanta:{}:{}", product.domain, product.name);
}

std::string ContractIdFor(const ProductName& product, std::string_view port) {
  return fmt::format("{}:contract:{}", ProductIdFor(product), port);
}

std::vector<ScaffoldFile> RenderScaffold(const ScaffoldOptions& options) {
  const ProductName& product = options.product;
  std::string output = SnakeCase(product.name);
  std::string input = output + "_events";
  std::vector<Substitution> substitutions = {
      {"domain", product.domain},
      {"name", product.name},
      {"product_id", ProductIdFor(product)},
      {"input", input},
      {"output", output},
      {"input_contract_id", ContractIdFor(product, input)},
      {"output_contract_id", ContractIdFor(product, output)},
      {"input_table", SqlIdentifier(input)},
  };
  std::vector<ScaffoldFile> files = {
      {"product.yaml", Render(kProductTemplate, substitutions)},
      {std::filesystem::path("contracts") / (input + ".yaml"),
       Render(kInputContractTemplate, substitutions)},
      {std::filesystem::path("contracts") / (output + ".yaml"),
       Render(kOutputContractTemplate, substitutions)},
      {"pipeline.yaml", Render(kPipelineTemplate, substitutions)},
      {std::filesystem::path("transforms") / (output + ".sql"),
       Render(kTransformTemplate, substitutions)},
      {std::filesystem::path("tests") / "basic.yaml", Render(kTestTemplate, substitutions)},
  };
  if (options.mesh) {
    files.push_back({"quanta-mesh.yaml", Render(kMeshTemplate, substitutions)});
    files.push_back({std::filesystem::path("policies") / "primary-key-required.sql",
                     Render(kPolicyTemplate, substitutions)});
  }
  return files;
}

Result<std::vector<std::filesystem::path>> WriteScaffold(const std::filesystem::path& root,
                                                         const std::vector<ScaffoldFile>& files,
                                                         bool force) {
  std::error_code error;
  auto status = std::filesystem::status(root, error);
  if (std::filesystem::exists(status)) {
    if (!std::filesystem::is_directory(status)) {
      return Status::Usage("{} exists and is not a folder: choose another place with --dir",
                           root.string());
    }
    bool empty = std::filesystem::is_empty(root, error);
    if (error) {
      return Status::IoError("cannot read folder {}: {}", root.string(), error.message());
    }
    if (!empty && !force) {
      return Status::Usage(
          "folder {} already exists and is not empty: nothing was written. Choose another place "
          "with --dir, or pass --force to overwrite the scaffold's files in it",
          root.string());
    }
  }
  std::vector<std::filesystem::path> written;
  for (const ScaffoldFile& file : files) {
    std::filesystem::path path = root / file.path;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) {
      return Status::IoError("cannot create folder {}: {}", path.parent_path().string(),
                             error.message());
    }
    std::ofstream stream(path, std::ios::binary | std::ios::trunc);
    stream << file.content;
    stream.close();
    if (!stream) return Status::IoError("cannot write {}", path.string());
    written.push_back(path);
  }
  return written;
}

}  // namespace quanta::cli
