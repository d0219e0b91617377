#include "governance/product_metadata.h"

#include <fmt/format.h>

#include <optional>
#include <system_error>

namespace quanta::governance {
namespace {

using model::Json;

constexpr std::string_view kTablesSql = R"sql(
CREATE TABLE IF NOT EXISTS products (
  product_id VARCHAR, name VARCHAR, domain VARCHAR, version VARCHAR, status VARCHAR,
  api_version VARCHAR, file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS ports (
  product_id VARCHAR, direction VARCHAR, name VARCHAR, version VARCHAR, contract_id VARCHAR,
  type VARCHAR, file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS contracts (
  contract_id VARCHAR, name VARCHAR, version VARCHAR, status VARCHAR, domain VARCHAR,
  data_product VARCHAR, api_version VARCHAR, file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS schema_objects (
  contract_id VARCHAR, object VARCHAR, physical_type VARCHAR, description VARCHAR,
  file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS properties (
  contract_id VARCHAR, object VARCHAR, property VARCHAR, logical_type VARCHAR,
  physical_type VARCHAR, required BOOLEAN, primary_key BOOLEAN, primary_key_position BIGINT,
  "unique" BOOLEAN, classification VARCHAR, description VARCHAR,
  critical_data_element BOOLEAN, tags VARCHAR[], file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS quality_rules (
  contract_id VARCHAR, object VARCHAR, property VARCHAR, type VARCHAR, metric VARCHAR,
  severity VARCHAR, description VARCHAR, query VARCHAR, file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS sla_properties (
  contract_id VARCHAR, property VARCHAR, value VARCHAR, unit VARCHAR, element VARCHAR,
  file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS roles (
  contract_id VARCHAR, role VARCHAR, access VARCHAR, file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS team_members (
  owner_kind VARCHAR, owner_id VARCHAR, username VARCHAR, name VARCHAR, role VARCHAR,
  date_out VARCHAR, file VARCHAR, pointer VARCHAR);
CREATE TABLE IF NOT EXISTS custom_properties (
  owner_kind VARCHAR, owner_id VARCHAR, owner_object VARCHAR, owner_property VARCHAR,
  property VARCHAR, value VARCHAR, file VARCHAR, pointer VARCHAR);
)sql";

// SQL literals for the values of one row.
std::string Literal(const std::optional<std::string>& value) {
  return value ? engine::QuoteLiteral(*value) : "NULL";
}
std::string Literal(const std::string& value) { return engine::QuoteLiteral(value); }
std::string Literal(const std::optional<bool>& value) {
  if (!value) return "NULL";
  return *value ? "true" : "false";
}
std::string Literal(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : "NULL";
}
std::string Literal(const std::vector<std::string>& values) {
  std::string list = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) list += ", ";
    list += engine::QuoteLiteral(values[i]);
  }
  return list + "]::VARCHAR[]";
}

// A JSON value as text: strings as they are, other scalars and structures as JSON.
std::optional<std::string> JsonText(const Json& value) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// The typed field when it was a string; else whatever the document wrote there, as text, so
// that `version: 1.0` (a number in YAML) still reaches the policies and can be named in a
// message instead of looking absent.
std::optional<std::string> TypedOrRaw(const std::optional<std::string>& typed, const Json& rest,
                                      const char* key) {
  if (typed) return typed;
  auto it = rest.find(key);
  if (it == rest.end()) return std::nullopt;
  return JsonText(*it);
}

// Rows of one table, written as a single INSERT.
class TableRows {
 public:
  explicit TableRows(std::string table) : table_(std::move(table)) {}

  template <typename... Values>
  void Add(const Values&... values) {
    std::vector<std::string> literals = {Literal(values)...};
    std::string row = "(";
    for (std::size_t i = 0; i < literals.size(); ++i) {
      if (i > 0) row += ", ";
      row += literals[i];
    }
    rows_.push_back(row + ")");
  }

  void AppendInsert(std::string* sql) const {
    if (rows_.empty()) return;
    *sql += fmt::format("INSERT INTO {} VALUES\n  {};\n", table_, fmt::join(rows_, ",\n  "));
  }

 private:
  std::string table_;
  std::vector<std::string> rows_;
};

struct AllRows {
  TableRows products{"products"}, ports{"ports"}, contracts{"contracts"},
      schema_objects{"schema_objects"}, properties{"properties"}, quality_rules{"quality_rules"},
      sla_properties{"sla_properties"}, roles{"roles"}, team_members{"team_members"},
      custom_properties{"custom_properties"};

  std::string InsertSql() const {
    std::string sql;
    for (const TableRows* table :
         {&products, &ports, &contracts, &schema_objects, &properties, &quality_rules,
          &sla_properties, &roles, &team_members, &custom_properties}) {
      table->AppendInsert(&sql);
    }
    return sql;
  }
};

using OptionalText = std::optional<std::string>;

void AddTeam(const model::Team& team, std::string_view owner_kind, const OptionalText& owner_id,
             const std::string& file, AllRows* rows) {
  for (const model::TeamMember& member : team.members) {
    rows->team_members.Add(std::string(owner_kind), owner_id, member.username, member.name,
                           member.role, member.date_out, file, member.pointer);
  }
}

void AddCustomProperties(const std::vector<model::CustomProperty>& properties,
                         std::string_view owner_kind, const OptionalText& owner_id,
                         const OptionalText& owner_object, const OptionalText& owner_property,
                         const std::string& file, AllRows* rows) {
  for (const model::CustomProperty& custom : properties) {
    rows->custom_properties.Add(std::string(owner_kind), owner_id, owner_object, owner_property,
                                custom.property, JsonText(custom.value), file, custom.pointer);
  }
}

void AddQualityRules(const std::vector<model::QualityRule>& rules, const OptionalText& contract_id,
                     const OptionalText& object, const OptionalText& property,
                     const std::string& file, AllRows* rows) {
  for (const model::QualityRule& rule : rules) {
    std::string metric = rule.MetricName();
    rows->quality_rules.Add(contract_id, object, property, rule.TypeName(),
                            metric.empty() ? OptionalText() : OptionalText(metric), rule.severity,
                            rule.description, rule.query, file, rule.pointer);
  }
}

// One row per property, nested properties included under their dotted path. The fields of an
// array's element type are listed under the array's own path ("lines.sku").
void AddProperties(const std::vector<model::Property>& properties, const std::string& prefix,
                   const OptionalText& contract_id, const OptionalText& object,
                   const std::string& file, AllRows* rows) {
  for (const model::Property& property : properties) {
    std::string path =
        prefix.empty() ? property.name.value_or("") : prefix + "." + property.name.value_or("");
    rows->properties.Add(contract_id, object, path, property.logical_type, property.physical_type,
                         property.required, property.primary_key, property.primary_key_position,
                         property.unique, property.classification, property.description,
                         property.critical_data_element, property.tags, file, property.pointer);
    AddQualityRules(property.quality, contract_id, object, path, file, rows);
    AddCustomProperties(property.custom_properties, "property", contract_id, object, path, file,
                        rows);
    AddProperties(property.properties, path, contract_id, object, file, rows);
    for (const model::Property& item : property.items) {
      AddProperties(item.properties, path, contract_id, object, file, rows);
    }
  }
}

void AddContractRows(const model::Contract& contract, const std::string& file, AllRows* rows) {
  const OptionalText& id = contract.id;
  rows->contracts.Add(id, contract.name, TypedOrRaw(contract.version, contract.rest, "version"),
                      contract.status, contract.domain, contract.data_product, contract.api_version,
                      file, contract.pointer);
  for (const model::SchemaObject& object : contract.schema) {
    rows->schema_objects.Add(id, object.name, object.physical_type, object.description, file,
                             object.pointer);
    AddProperties(object.properties, "", id, object.name, file, rows);
    AddQualityRules(object.quality, id, object.name, OptionalText(), file, rows);
    AddCustomProperties(object.custom_properties, "object", id, object.name, OptionalText(), file,
                        rows);
  }
  for (const model::SlaProperty& sla : contract.sla_properties) {
    rows->sla_properties.Add(id, sla.property, JsonText(sla.value), sla.unit, sla.element, file,
                             sla.pointer);
  }
  for (const model::Role& role : contract.roles) {
    rows->roles.Add(id, role.role, role.access, file, role.pointer);
    AddCustomProperties(role.custom_properties, "role", id, role.role, OptionalText(), file, rows);
  }
  AddTeam(contract.team, "contract", id, file, rows);
  AddCustomProperties(contract.custom_properties, "contract", id, OptionalText(), OptionalText(),
                      file, rows);
}

void AddProductRows(const model::Product& product, const std::string& file, AllRows* rows) {
  const OptionalText& id = product.id;
  rows->products.Add(id, product.name, product.domain,
                     TypedOrRaw(product.version, product.rest, "version"), product.status,
                     product.api_version, file, product.pointer);
  for (const model::InputPort& port : product.input_ports) {
    rows->ports.Add(id, std::string("input"), port.name, port.version, port.contract_id,
                    OptionalText(), file, port.pointer);
  }
  for (const model::OutputPort& port : product.output_ports) {
    rows->ports.Add(id, std::string("output"), port.name, port.version, port.contract_id, port.type,
                    file, port.pointer);
  }
  AddTeam(product.team, "product", id, file, rows);
  AddCustomProperties(product.custom_properties, "product", id, OptionalText(), OptionalText(),
                      file, rows);
}

}  // namespace

std::string_view MetadataTablesSql() { return kTablesSql; }

ProductMetadata::ProductMetadata(std::filesystem::path display_root)
    : display_root_(std::move(display_root)) {}

void ProductMetadata::AddFolder(const model::ProductFolder& folder) {
  if (folder.product) products_.push_back(&*folder.product);
  for (const model::ContractFile& contract : folder.contracts) contracts_.push_back(&contract);
}

void ProductMetadata::AddProduct(const model::ProductFile& product) {
  products_.push_back(&product);
}

void ProductMetadata::AddContract(const model::ContractFile& contract) {
  contracts_.push_back(&contract);
}

std::string ProductMetadata::FileName(const model::Document& document) const {
  if (display_root_.empty()) return document.file();
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(document.file(), error);
  std::filesystem::path root = std::filesystem::absolute(display_root_, error);
  if (error) return document.file();
  std::filesystem::path relative =
      absolute.lexically_normal().lexically_relative(root.lexically_normal());
  if (relative.empty() || *relative.begin() == "..") return document.file();
  return relative.generic_string();
}

Status ProductMetadata::LoadInto(engine::Connection& connection) const {
  QUANTA_RETURN_IF_ERROR(connection.Execute(kTablesSql));
  AllRows rows;
  for (const model::ProductFile* product : products_) {
    AddProductRows(product->product, FileName(product->document), &rows);
  }
  for (const model::ContractFile* contract : contracts_) {
    AddContractRows(contract->contract, FileName(contract->document), &rows);
  }
  std::string sql = rows.InsertSql();
  if (sql.empty()) return Status::Ok();
  Status status = connection.Execute(sql);
  if (!status.ok()) {
    return Status::Internal("loading the product metadata tables failed: {}", status.message());
  }
  return Status::Ok();
}

const model::Document* ProductMetadata::FindDocument(std::string_view file) const {
  if (file.empty()) {
    if (!products_.empty()) return &products_.front()->document;
    if (!contracts_.empty()) return &contracts_.front()->document;
    return nullptr;
  }
  for (const model::ProductFile* product : products_) {
    if (FileName(product->document) == file) return &product->document;
  }
  for (const model::ContractFile* contract : contracts_) {
    if (FileName(contract->document) == file) return &contract->document;
  }
  return nullptr;
}

SourceLocation ProductMetadata::Locate(std::string_view file, std::string_view pointer) const {
  const model::Document* document = FindDocument(file);
  if (document == nullptr) {
    SourceLocation location;
    location.file = std::string(file);
    location.field = model::PointerToFieldPath(pointer);
    return location;
  }
  // A member is placed at its key (`team:` rather than the first line of its value).
  SourceLocation location = document->LocateKey(pointer);
  location.file = FileName(*document);
  return location;
}

}  // namespace quanta::governance
