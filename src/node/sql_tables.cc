#include "node/sql_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "base/ascii.h"
#include "engine/database.h"
#include "node/dataset_grants.h"
#include "ports/pg_types.h"

namespace quanta::node {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

// OIDs of what the catalogs describe. PostgreSQL's own objects keep their OIDs; ours start
// where PostgreSQL's user objects do.
constexpr std::uint32_t kPgCatalogOid = 11;
constexpr std::uint32_t kPublicOid = 2200;
constexpr std::uint32_t kInformationSchemaOid = 13000;
constexpr std::uint32_t kFirstSchemaOid = 16384;
constexpr std::uint32_t kOidsPerSchema = 1000;
constexpr std::uint32_t kOwnerOid = 10;
constexpr std::uint32_t kPgClassOid = 1259;      // pg_description.classoid of a table
constexpr std::uint32_t kPgNamespaceOid = 2615;  // and of a schema

// A relation made of literal rows: SELECT CAST(v.c1 AS T1) AS name1, ... FROM (VALUES ...).
struct RelationColumn {
  std::string_view name;
  std::string_view type;
};

std::string Relation(const std::vector<RelationColumn>& columns,
                     const std::vector<std::vector<std::string>>& rows) {
  std::string select;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    select += fmt::format("{}CAST({} AS {}) AS {}", c ? ", " : "",
                          rows.empty() ? "NULL" : fmt::format("v.c{}", c), columns[c].type,
                          QuoteIdentifier(columns[c].name));
  }
  if (rows.empty()) return fmt::format("SELECT {} WHERE false", select);
  std::string values;
  for (const auto& row : rows) {
    values += values.empty() ? "(" : ", (";
    for (std::size_t c = 0; c < row.size(); ++c) values += (c ? ", " : "") + row[c];
    values += ")";
  }
  std::string names;
  for (std::size_t c = 0; c < columns.size(); ++c) names += fmt::format("{}c{}", c ? ", " : "", c);
  return fmt::format("SELECT {} FROM (VALUES {}) AS v({})", select, values, names);
}

std::string Text(std::string_view text) { return QuoteLiteral(text); }
std::string Number(std::int64_t number) { return std::to_string(number); }
std::string Bool(bool value) { return value ? "true" : "false"; }
const std::string kNull = "NULL";

// The catalogs' relations with no rows here: read by clients, empty on a read-only node
// without indexes, constraints, inheritance or rules.
const std::vector<std::pair<std::string_view, std::vector<RelationColumn>>>& EmptyRelations() {
  static const std::vector<std::pair<std::string_view, std::vector<RelationColumn>>> relations = {
      {"pg_index",
       {{"indexrelid", "INTEGER"},
        {"indrelid", "INTEGER"},
        {"indnatts", "SMALLINT"},
        {"indisunique", "BOOLEAN"},
        {"indisprimary", "BOOLEAN"},
        {"indisclustered", "BOOLEAN"},
        {"indisvalid", "BOOLEAN"},
        {"indkey", "VARCHAR"},
        {"indexprs", "VARCHAR"},
        {"indpred", "VARCHAR"}}},
      {"pg_constraint",
       {{"oid", "INTEGER"},
        {"conname", "VARCHAR"},
        {"connamespace", "INTEGER"},
        {"contype", "VARCHAR"},
        {"conrelid", "INTEGER"},
        {"confrelid", "INTEGER"},
        {"conkey", "SMALLINT[]"},
        {"confkey", "SMALLINT[]"},
        {"conindid", "INTEGER"},
        {"condeferrable", "BOOLEAN"},
        {"condeferred", "BOOLEAN"},
        {"convalidated", "BOOLEAN"},
        {"conparentid", "INTEGER"}}},
      {"pg_inherits",
       {{"inhrelid", "INTEGER"},
        {"inhparent", "INTEGER"},
        {"inhseqno", "INTEGER"},
        {"inhdetachpending", "BOOLEAN"}}},
      {"pg_attrdef",
       {{"oid", "INTEGER"}, {"adrelid", "INTEGER"}, {"adnum", "SMALLINT"}, {"adbin", "VARCHAR"}}},
      {"pg_trigger",
       {{"oid", "INTEGER"},
        {"tgrelid", "INTEGER"},
        {"tgname", "VARCHAR"},
        {"tgparentid", "INTEGER"},
        {"tgenabled", "VARCHAR"},
        {"tgisinternal", "BOOLEAN"}}},
      {"pg_rewrite", {{"oid", "INTEGER"}, {"ev_class", "INTEGER"}, {"rulename", "VARCHAR"}}},
      {"pg_policy",
       {{"oid", "INTEGER"},
        {"polrelid", "INTEGER"},
        {"polname", "VARCHAR"},
        {"polcmd", "VARCHAR"},
        {"polpermissive", "BOOLEAN"},
        {"polroles", "INTEGER[]"},
        {"polqual", "VARCHAR"},
        {"polwithcheck", "VARCHAR"}}},
      {"pg_statistic_ext",
       {{"oid", "INTEGER"},
        {"stxrelid", "INTEGER"},
        {"stxname", "VARCHAR"},
        {"stxnamespace", "INTEGER"},
        {"stxkind", "VARCHAR[]"},
        {"stxstattarget", "INTEGER"},
        {"stxkeys", "VARCHAR"},
        {"stxexprs", "VARCHAR"}}},
      {"pg_publication",
       {{"oid", "INTEGER"},
        {"pubname", "VARCHAR"},
        {"puballtables", "BOOLEAN"},
        {"pubinsert", "BOOLEAN"},
        {"pubupdate", "BOOLEAN"},
        {"pubdelete", "BOOLEAN"},
        {"pubtruncate", "BOOLEAN"},
        {"pubviaroot", "BOOLEAN"}}},
      {"pg_publication_namespace",
       {{"oid", "INTEGER"}, {"pnpubid", "INTEGER"}, {"pnnspid", "INTEGER"}}},
      {"pg_subscription", {{"oid", "INTEGER"}, {"subname", "VARCHAR"}}},
      {"pg_publication_rel",
       {{"oid", "INTEGER"},
        {"prpubid", "INTEGER"},
        {"prrelid", "INTEGER"},
        {"prqual", "VARCHAR"},
        {"prattrs", "SMALLINT[]"}}},
      {"pg_foreign_table", {{"ftrelid", "INTEGER"}, {"ftserver", "INTEGER"}}},
      {"pg_partitioned_table", {{"partrelid", "INTEGER"}, {"partstrat", "VARCHAR"}}},
      {"pg_collation", {{"oid", "INTEGER"}, {"collname", "VARCHAR"}, {"collnamespace", "INTEGER"}}},
      {"pg_enum",
       {{"oid", "INTEGER"},
        {"enumtypid", "INTEGER"},
        {"enumsortorder", "FLOAT"},
        {"enumlabel", "VARCHAR"}}},
      {"pg_range", {{"rngtypid", "INTEGER"}, {"rngsubtype", "INTEGER"}}},
      {"pg_sequence",
       {{"seqrelid", "INTEGER"},
        {"seqtypid", "INTEGER"},
        {"seqstart", "BIGINT"},
        {"seqincrement", "BIGINT"},
        {"seqmax", "BIGINT"},
        {"seqmin", "BIGINT"},
        {"seqcache", "BIGINT"},
        {"seqcycle", "BOOLEAN"}}},
      {"pg_extension",
       {{"oid", "INTEGER"},
        {"extname", "VARCHAR"},
        {"extnamespace", "INTEGER"},
        {"extversion", "VARCHAR"}}},
      {"pg_proc",
       {{"oid", "INTEGER"},
        {"proname", "VARCHAR"},
        {"pronamespace", "INTEGER"},
        {"prorettype", "INTEGER"},
        {"proargtypes", "VARCHAR"},
        {"prokind", "VARCHAR"}}},
      {"pg_matviews",
       {{"schemaname", "VARCHAR"}, {"matviewname", "VARCHAR"}, {"definition", "VARCHAR"}}},
      {"pg_views", {{"schemaname", "VARCHAR"}, {"viewname", "VARCHAR"}, {"definition", "VARCHAR"}}},
  };
  return relations;
}

}  // namespace

std::string SqlSchemaName(std::string_view product_name) {
  std::string name = AsciiLower(product_name);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string SqlMajorSchemaName(std::string_view product_name, std::int64_t major) {
  return fmt::format("{}_v{}", SqlSchemaName(product_name), major);
}

namespace {

// The dead letters as the catalogs describe them: a table of DeadLetterColumns().
const store::DatasetLayout& DeadLettersLayout() {
  static const store::DatasetLayout layout{std::string(kDeadLettersTable),
                                           store::DeadLetterColumns(),
                                           store::WriteMode::kAppend,
                                           {},
                                           std::nullopt};
  return layout;
}

// Comments on the dead letters' columns, by name.
std::string DeadLetterColumnDescription(std::string_view column) {
  if (column == "version") return "The commit that kept the record.";
  if (column == "port") return "The input port that received the record.";
  if (column == "offset") return "The record's offset in its input port, when it has one.";
  if (column == "reason") return "Why the record was rejected, naming the field.";
  if (column == "payload") return "The record as received, as text; NULL when it is not UTF-8.";
  if (column == "payload_bytes") return "The record as received, its bytes.";
  if (column == "received_at") return "When the node received the record.";
  return "";
}

std::string ProductName(const DeployedProduct& product) {
  return product.id.substr(product.id.find('/') + 1);
}

std::string PurposeOf(const DeployedProduct& product) {
  if (product.folder->product && product.folder->product->product.description.is_object()) {
    return product.folder->product->product.description.value("purpose", std::string());
  }
  return "";
}

store::AsOf AsOfFor(const query::TableTime& time) {
  if (time.kind == query::TableTime::Kind::kVersion) return store::AsOf::Version(time.version);
  if (time.kind == query::TableTime::Kind::kTimestamp) {
    return store::AsOf::Time(store::Timestamp(std::chrono::microseconds(time.epoch_micros)));
  }
  return store::AsOf::Current();
}

}  // namespace

std::string SqlQualifiedSchemaName(std::string_view product_id) {
  std::size_t slash = product_id.find('/');
  if (slash == std::string_view::npos) return SqlSchemaName(product_id);
  return SqlSchemaName(product_id.substr(0, slash)) + "_" +
         SqlSchemaName(product_id.substr(slash + 1));
}

ProductTables::ProductTables(const ProductCatalog& catalog, const governance::Reader& reader)
    : user_(reader.name), next_schema_oid_(kFirstSchemaOid) {
  std::vector<ServedProduct> products = catalog.ListServed();
  // Products of different domains may share a name; their schema is then qualified with the
  // domain, and the bare name answers with the choices instead of reaching either.
  std::map<std::string, std::vector<std::string>> by_name;  // bare schema -> qualified schemas
  for (const ServedProduct& served : products) {
    by_name[SqlSchemaName(ProductName(*served.current().product))].push_back(
        SqlQualifiedSchemaName(served.id));
  }
  auto schema_of = [&by_name](const ServedProduct& served) {
    std::string bare = SqlSchemaName(ProductName(*served.current().product));
    return by_name[bare].size() > 1 ? SqlQualifiedSchemaName(served.id) : bare;
  };
  // The current majors first, so that their OIDs stay put while a major retires.
  for (const ServedProduct& served : products) {
    const std::shared_ptr<DeployedProduct>& product = served.current().product;
    AddSchema(product, schema_of(served), PurposeOf(*product), reader);
  }
  auto taken = [this](const std::string& name) {
    return std::any_of(schemas_.begin(), schemas_.end(),
                       [&](const Schema& schema) { return schema.name == name; });
  };
  for (const ServedProduct& served : products) {
    const std::shared_ptr<DeployedProduct>& current = served.current().product;
    std::string current_schema = schema_of(served);
    for (const ServedMajor& major : served.majors) {
      std::string name = SqlMajorSchemaName(current_schema, major.product->major);
      if (major.current() || taken(name)) continue;  // taken: another product's own schema
      std::string purpose = PurposeOf(*major.product);
      AddSchema(
          major.product, name,
          fmt::format("{}{}Major {} ({}) of {}, retiring: served until {}; the current major "
                      "{} is in schema {}.",
                      purpose, purpose.empty() ? "" : " ", major.product->major,
                      major.product->version(), served.id, store::FormatTimestamp(*major.retire_at),
                      current->major, current_schema),
          reader);
    }
  }
  // Last, so that they never hide a listed schema: the current major's _v<major>, and the
  // domain-qualified name of a product whose bare name is its own, which stays valid when
  // another domain deploys a product of the same name.
  for (const ServedProduct& served : products) {
    const DeployedProduct& current = *served.current().product;
    std::string listed = schema_of(served);
    for (std::string name :
         {SqlMajorSchemaName(listed, current.major), SqlQualifiedSchemaName(served.id),
          SqlMajorSchemaName(SqlQualifiedSchemaName(served.id), current.major)}) {
      if (name != listed && !taken(name)) schema_aliases_.emplace(name, listed);
    }
  }
  for (auto& [bare, qualified] : by_name) {
    if (qualified.size() > 1 && !taken(bare)) ambiguous_schemas_.emplace(bare, qualified);
  }
}

void ProductTables::AddSchema(const std::shared_ptr<DeployedProduct>& product, std::string name,
                              std::string description, const governance::Reader& reader) {
  const std::uint32_t schema_oid = next_schema_oid_;
  next_schema_oid_ += kOidsPerSchema;
  std::uint32_t table_oid = schema_oid;
  std::size_t readable = 0;
  for (const store::DatasetLayout& layout : product->store->layout().datasets) {
    std::uint32_t oid = ++table_oid;  // the same for every reader
    governance::DatasetAccess access = DatasetGrants::AccessTo(*product, layout.name, reader);
    if (!access.readable) {
      denied_.push_back({name, layout.name, access.refusal});
      continue;
    }
    ++readable;
    Dataset dataset;
    dataset.access = std::move(access);
    dataset.product = product;
    dataset.schema = name;
    dataset.layout = &layout;
    dataset.oid = oid;
    dataset.column_descriptions.resize(layout.columns.size());
    for (const model::ContractFile& contract : product->folder->contracts) {
      const model::SchemaObject* object = contract.contract.FindObject(layout.name);
      if (!object) continue;
      dataset.description = object->description.value_or("");
      for (std::size_t c = 0; c < layout.columns.size(); ++c) {
        if (const model::Property* property = object->FindProperty(layout.columns[c].name)) {
          dataset.column_descriptions[c] = property->description.value_or("");
        }
      }
      break;
    }
    datasets_.push_back(std::move(dataset));
  }
  // A product whose every dataset the reader may not read is not listed either.
  if (readable > 0 || product->store->layout().datasets.empty()) {
    schemas_.push_back(Schema{name, std::move(description), schema_oid});
  }
  // The dead letters hold raw records, any column in clear: only for who reads all unmasked.
  const std::uint32_t dead_letters_oid = ++table_oid;
  if (Status allowed = DatasetGrants::MayReadDeadLetters(*product, reader); !allowed.ok()) {
    denied_.push_back({name, std::string(kDeadLettersTable), allowed});
    return;
  }
  Dataset dead_letters;
  dead_letters.product = product;
  dead_letters.schema = std::move(name);
  dead_letters.layout = &DeadLettersLayout();
  dead_letters.oid = dead_letters_oid;
  dead_letters.dead_letters = true;
  dead_letters.description = fmt::format(
      "The records that input ports of {} (major {}) rejected, each with its reason: its dead "
      "letters.",
      product->id, product->major);
  for (const engine::Column& column : dead_letters.layout->columns) {
    dead_letters.column_descriptions.push_back(DeadLetterColumnDescription(column.name));
  }
  datasets_.push_back(std::move(dead_letters));
}

Result<std::string> ProductTables::Resolve(std::string_view schema, std::string_view table,
                                           const query::TableTime& time) {
  std::string schema_name = AsciiLower(schema);
  std::string table_name = AsciiLower(table);
  if (schema_name == "pg_catalog" || schema_name == "information_schema") {
    if (time.kind != query::TableTime::Kind::kCurrent) {
      return Status::Usage("{}.{} has no history: AT (...) reads datasets only", schema, table);
    }
    return CatalogTable(schema_name, table_name);
  }
  if (auto alias = schema_aliases_.find(schema_name); alias != schema_aliases_.end()) {
    schema_name = alias->second;
  }
  if (auto choices = ambiguous_schemas_.find(schema_name); choices != ambiguous_schemas_.end()) {
    return Status::NotFound(
        "schema \"{}\" is ambiguous: products of {} domains have that name; name one of {}", schema,
        choices->second.size(), fmt::join(choices->second, ", "));
  }
  const Dataset* found = nullptr;
  bool schema_known = false;
  for (const Dataset& dataset : datasets_) {
    if (dataset.schema != schema_name) continue;
    schema_known = true;
    if (AsciiLower(dataset.layout->name) == table_name) found = &dataset;
  }
  if (!found) {
    for (const DeniedDataset& denied : denied_) {
      if (denied.schema == schema_name && AsciiLower(denied.name) == table_name) {
        return denied.refusal;
      }
    }
    std::vector<std::string> names;
    for (const Dataset& dataset : datasets_) {
      if (!schema_known || dataset.schema == schema_name) {
        names.push_back(dataset.schema + "." + dataset.layout->name);
      }
    }
    return Status::NotFound("relation \"{}.{}\" does not exist; {}", schema, table,
                            names.empty()
                                ? std::string("no product is deployed on this node")
                                : fmt::format("the datasets are: {}", fmt::join(names, ", ")));
  }
  if (found->dead_letters) return found->product->store->DeadLettersQualifiedSql(AsOfFor(time));
  // The current rows need no lookup in the store: the statement's own snapshot pins them.
  if (time.kind == query::TableTime::Kind::kCurrent) {
    QUANTA_ASSIGN_OR_RETURN(std::string current,
                            found->product->store->CurrentQualifiedSql(found->layout->name));
    return governance::ReadableRowsSql(current, found->layout->columns, found->access);
  }
  QUANTA_ASSIGN_OR_RETURN(store::Snapshot snapshot,
                          found->product->store->SnapshotOf(found->layout->name, AsOfFor(time)));
  return governance::ReadableRowsSql(snapshot.qualified_sql, found->layout->columns, found->access);
}

Result<std::string> ProductTables::CatalogTable(std::string_view schema, std::string_view table) {
  if (schema == "information_schema") {
    if (table == "tables") return InformationSchemaTables();
    if (table == "columns") return InformationSchemaColumns();
    if (table == "schemata") return InformationSchemaSchemata();
    return Status::NotFound(
        "information_schema.{} is not available on this port; it has tables, columns and "
        "schemata",
        table);
  }
  if (table == "pg_namespace") return Namespaces();
  if (table == "pg_class" || table == "pg_tables") {
    if (table == "pg_tables") {
      std::vector<std::vector<std::string>> rows;
      for (const Dataset& dataset : datasets_) {
        rows.push_back({Text(dataset.schema), Text(dataset.layout->name), Text(user_), kNull,
                        Bool(false), Bool(false), Bool(false), Bool(false)});
      }
      return Relation({{"schemaname", "VARCHAR"},
                       {"tablename", "VARCHAR"},
                       {"tableowner", "VARCHAR"},
                       {"tablespace", "VARCHAR"},
                       {"hasindexes", "BOOLEAN"},
                       {"hasrules", "BOOLEAN"},
                       {"hastriggers", "BOOLEAN"},
                       {"rowsecurity", "BOOLEAN"}},
                      rows);
    }
    return Classes();
  }
  if (table == "pg_attribute") return Attributes();
  if (table == "pg_type") return Types();
  if (table == "pg_description") return Descriptions();
  if (table == "pg_am") {
    return Relation({{"oid", "INTEGER"}, {"amname", "VARCHAR"}, {"amtype", "VARCHAR"}},
                    {{Number(2), Text("heap"), Text("t")}});
  }
  if (table == "pg_database") {
    return Relation({{"oid", "INTEGER"},
                     {"datname", "VARCHAR"},
                     {"datdba", "INTEGER"},
                     {"encoding", "INTEGER"},
                     {"datcollate", "VARCHAR"},
                     {"datctype", "VARCHAR"},
                     {"datistemplate", "BOOLEAN"},
                     {"datallowconn", "BOOLEAN"},
                     {"daticulocale", "VARCHAR"},
                     {"datlocprovider", "VARCHAR"},
                     {"datacl", "VARCHAR[]"},
                     {"dattablespace", "INTEGER"}},
                    {{Number(16383), Text("quanta"), Number(kOwnerOid), Number(6), Text("C"),
                      Text("C"), Bool(false), Bool(true), kNull, Text("c"), kNull, Number(1663)}});
  }
  if (table == "pg_roles" || table == "pg_user" || table == "pg_authid") {
    return Relation({{"oid", "INTEGER"},
                     {table == "pg_user" ? "usename" : "rolname", "VARCHAR"},
                     {"rolsuper", "BOOLEAN"},
                     {"rolcanlogin", "BOOLEAN"}},
                    {{Number(kOwnerOid), Text(user_), Bool(false), Bool(true)}});
  }
  if (table == "pg_settings") {
    return Relation({{"name", "VARCHAR"}, {"setting", "VARCHAR"}},
                    {{Text("server_version_num"), Text("150000")},
                     {Text("TimeZone"), Text("UTC")},
                     {Text("standard_conforming_strings"), Text("on")},
                     {Text("max_identifier_length"), Text("63")}});
  }
  if (table == "pg_tablespace") {
    return Relation({{"oid", "INTEGER"}, {"spcname", "VARCHAR"}},
                    {{Number(1663), Text("pg_default")}});
  }
  for (const auto& [name, columns] : EmptyRelations()) {
    if (name == table) return Relation(columns, {});
  }
  return Status::NotFound(
      "pg_catalog.{} is not available on this port; the catalogs describe the datasets of the "
      "node's products (pg_namespace, pg_class, pg_attribute, pg_type, pg_description, ...)",
      table);
}

std::string ProductTables::Namespaces() const {
  std::vector<std::vector<std::string>> rows = {
      {Number(kPgCatalogOid), Text("pg_catalog"), Number(kOwnerOid), kNull},
      {Number(kPublicOid), Text("public"), Number(kOwnerOid), kNull},
      {Number(kInformationSchemaOid), Text("information_schema"), Number(kOwnerOid), kNull}};
  for (const Schema& schema : schemas_) {
    rows.push_back({Number(schema.oid), Text(schema.name), Number(kOwnerOid), kNull});
  }
  return Relation(
      {{"oid", "INTEGER"}, {"nspname", "VARCHAR"}, {"nspowner", "INTEGER"}, {"nspacl", "VARCHAR"}},
      rows);
}

std::string ProductTables::Classes() const {
  std::vector<std::vector<std::string>> rows;
  for (const Dataset& dataset : datasets_) {
    std::uint32_t schema_oid = dataset.oid - (dataset.oid - kFirstSchemaOid) % kOidsPerSchema;
    rows.push_back({Number(dataset.oid),
                    Text(dataset.layout->name),
                    Number(schema_oid),
                    Number(0),
                    Number(0),
                    Number(kOwnerOid),
                    Number(2),
                    Number(dataset.oid),
                    Number(0),
                    Number(0),
                    Number(-1),
                    Number(0),
                    Number(0),
                    Bool(false),
                    Bool(false),
                    Text("p"),
                    Text("r"),
                    Number(static_cast<std::int64_t>(dataset.layout->columns.size())),
                    Number(0),
                    Bool(false),
                    Bool(false),
                    Bool(false),
                    Bool(false),
                    Bool(false),
                    Bool(true),
                    Text("d"),
                    Bool(false),
                    kNull,
                    kNull});
  }
  return Relation({{"oid", "INTEGER"},
                   {"relname", "VARCHAR"},
                   {"relnamespace", "INTEGER"},
                   {"reltype", "INTEGER"},
                   {"reloftype", "INTEGER"},
                   {"relowner", "INTEGER"},
                   {"relam", "INTEGER"},
                   {"relfilenode", "INTEGER"},
                   {"reltablespace", "INTEGER"},
                   {"relpages", "INTEGER"},
                   {"reltuples", "FLOAT"},
                   {"relallvisible", "INTEGER"},
                   {"reltoastrelid", "INTEGER"},
                   {"relhasindex", "BOOLEAN"},
                   {"relisshared", "BOOLEAN"},
                   {"relpersistence", "VARCHAR"},
                   {"relkind", "VARCHAR"},
                   {"relnatts", "SMALLINT"},
                   {"relchecks", "SMALLINT"},
                   {"relhasrules", "BOOLEAN"},
                   {"relhastriggers", "BOOLEAN"},
                   {"relhassubclass", "BOOLEAN"},
                   {"relrowsecurity", "BOOLEAN"},
                   {"relforcerowsecurity", "BOOLEAN"},
                   {"relispopulated", "BOOLEAN"},
                   {"relreplident", "VARCHAR"},
                   {"relispartition", "BOOLEAN"},
                   {"reloptions", "VARCHAR[]"},
                   {"relacl", "VARCHAR[]"}},
                  rows);
}

std::string ProductTables::Attributes() const {
  std::vector<std::vector<std::string>> rows;
  for (const Dataset& dataset : datasets_) {
    for (std::size_t c = 0; c < dataset.layout->columns.size(); ++c) {
      const engine::Column& column = dataset.layout->columns[c];
      Result<ports::PgType> type = ports::PgTypeForDuckdb(column.type);
      ports::PgType pg = type.ok() ? *type : ports::PgType{};
      bool key = std::find(dataset.layout->key.begin(), dataset.layout->key.end(), column.name) !=
                 dataset.layout->key.end();
      rows.push_back({Number(dataset.oid), Text(column.name), Number(pg.oid), Number(pg.size),
                      Number(static_cast<std::int64_t>(c + 1)), Number(pg.element_oid ? 1 : 0),
                      Number(pg.modifier), Bool(key), Bool(false), Bool(false), Text(""), Text(""),
                      Number(0), Bool(true), Text(pg.size < 0 ? "x" : "p"), Text(""), Number(-1),
                      kNull});
    }
  }
  return Relation({{"attrelid", "INTEGER"},
                   {"attname", "VARCHAR"},
                   {"atttypid", "INTEGER"},
                   {"attlen", "SMALLINT"},
                   {"attnum", "SMALLINT"},
                   {"attndims", "SMALLINT"},
                   {"atttypmod", "INTEGER"},
                   {"attnotnull", "BOOLEAN"},
                   {"atthasdef", "BOOLEAN"},
                   {"attisdropped", "BOOLEAN"},
                   {"attidentity", "VARCHAR"},
                   {"attgenerated", "VARCHAR"},
                   {"attcollation", "INTEGER"},
                   {"attislocal", "BOOLEAN"},
                   {"attstorage", "VARCHAR"},
                   {"attcompression", "VARCHAR"},
                   {"attstattarget", "INTEGER"},
                   {"attoptions", "VARCHAR[]"}},
                  rows);
}

std::string ProductTables::Types() const {
  static constexpr std::uint32_t kOids[] = {ports::pg_oid::kBool,
                                            ports::pg_oid::kBytea,
                                            ports::pg_oid::kInt8,
                                            ports::pg_oid::kInt2,
                                            ports::pg_oid::kInt4,
                                            ports::pg_oid::kText,
                                            ports::pg_oid::kOid,
                                            ports::pg_oid::kJson,
                                            ports::pg_oid::kFloat4,
                                            ports::pg_oid::kFloat8,
                                            ports::pg_oid::kVarchar,
                                            ports::pg_oid::kDate,
                                            ports::pg_oid::kTime,
                                            ports::pg_oid::kTimestamp,
                                            ports::pg_oid::kTimestampTz,
                                            ports::pg_oid::kInterval,
                                            ports::pg_oid::kNumeric,
                                            ports::pg_oid::kUuid,
                                            ports::pg_oid::kJsonb,
                                            ports::pg_oid::kBoolArray,
                                            ports::pg_oid::kInt2Array,
                                            ports::pg_oid::kInt4Array,
                                            ports::pg_oid::kTextArray,
                                            ports::pg_oid::kVarcharArray,
                                            ports::pg_oid::kInt8Array,
                                            ports::pg_oid::kFloat4Array,
                                            ports::pg_oid::kFloat8Array,
                                            ports::pg_oid::kDateArray,
                                            ports::pg_oid::kTimestampArray,
                                            ports::pg_oid::kTimestampTzArray,
                                            ports::pg_oid::kNumericArray,
                                            ports::pg_oid::kUuidArray};
  std::vector<std::vector<std::string>> rows;
  for (std::uint32_t oid : kOids) {
    std::optional<ports::PgType> type = ports::PgTypeForOid(oid);
    if (!type) continue;
    bool array = type->element_oid != 0;
    rows.push_back({Number(type->oid),
                    Text(type->name),
                    Number(kPgCatalogOid),
                    Number(kOwnerOid),
                    Number(type->size),
                    Text(array ? "b" : "b"),
                    Text(array ? "A" : "U"),
                    Number(type->element_oid),
                    Number(type->array_oid),
                    Number(0),
                    Number(-1),
                    Bool(false),
                    Number(0),
                    Text(","),
                    Number(0),
                    kNull,
                    Bool(type->size > 0),
                    Bool(true),
                    Text(type->size == 8 ? "d" : "i"),
                    Text(type->size > 0 ? "p" : "x"),
                    Number(0)});
  }
  return Relation(
      {{"oid", "INTEGER"},         {"typname", "VARCHAR"},    {"typnamespace", "INTEGER"},
       {"typowner", "INTEGER"},    {"typlen", "SMALLINT"},    {"typtype", "VARCHAR"},
       {"typcategory", "VARCHAR"}, {"typelem", "INTEGER"},    {"typarray", "INTEGER"},
       {"typbasetype", "INTEGER"}, {"typtypmod", "INTEGER"},  {"typnotnull", "BOOLEAN"},
       {"typrelid", "INTEGER"},    {"typdelim", "VARCHAR"},   {"typcollation", "INTEGER"},
       {"typdefault", "VARCHAR"},  {"typbyval", "BOOLEAN"},   {"typisdefined", "BOOLEAN"},
       {"typalign", "VARCHAR"},    {"typstorage", "VARCHAR"}, {"typndims", "INTEGER"}},
      rows);
}

std::string ProductTables::Descriptions() const {
  std::vector<std::vector<std::string>> rows;
  for (const Schema& schema : schemas_) {
    if (schema.description.empty()) continue;
    rows.push_back(
        {Number(schema.oid), Number(kPgNamespaceOid), Number(0), Text(schema.description)});
  }
  for (const Dataset& dataset : datasets_) {
    if (!dataset.description.empty()) {
      rows.push_back(
          {Number(dataset.oid), Number(kPgClassOid), Number(0), Text(dataset.description)});
    }
    for (std::size_t c = 0; c < dataset.column_descriptions.size(); ++c) {
      if (dataset.column_descriptions[c].empty()) continue;
      rows.push_back({Number(dataset.oid), Number(kPgClassOid),
                      Number(static_cast<std::int64_t>(c + 1)),
                      Text(dataset.column_descriptions[c])});
    }
  }
  return Relation({{"objoid", "INTEGER"},
                   {"classoid", "INTEGER"},
                   {"objsubid", "INTEGER"},
                   {"description", "VARCHAR"}},
                  rows);
}

std::string ProductTables::InformationSchemaSchemata() const {
  std::vector<std::vector<std::string>> rows;
  for (const Schema& schema : schemas_) {
    rows.push_back({Text("quanta"), Text(schema.name), Text(user_)});
  }
  return Relation(
      {{"catalog_name", "VARCHAR"}, {"schema_name", "VARCHAR"}, {"schema_owner", "VARCHAR"}}, rows);
}

std::string ProductTables::InformationSchemaTables() const {
  std::vector<std::vector<std::string>> rows;
  for (const Dataset& dataset : datasets_) {
    rows.push_back({Text("quanta"), Text(dataset.schema), Text(dataset.layout->name),
                    Text("BASE TABLE"), Text("NO"), Text("NO"), Text(dataset.description)});
  }
  return Relation({{"table_catalog", "VARCHAR"},
                   {"table_schema", "VARCHAR"},
                   {"table_name", "VARCHAR"},
                   {"table_type", "VARCHAR"},
                   {"is_insertable_into", "VARCHAR"},
                   {"is_typed", "VARCHAR"},
                   {"table_comment", "VARCHAR"}},
                  rows);
}

std::string ProductTables::InformationSchemaColumns() const {
  std::vector<std::vector<std::string>> rows;
  for (const Dataset& dataset : datasets_) {
    for (std::size_t c = 0; c < dataset.layout->columns.size(); ++c) {
      const engine::Column& column = dataset.layout->columns[c];
      Result<ports::PgType> type = ports::PgTypeForDuckdb(column.type);
      bool key = std::find(dataset.layout->key.begin(), dataset.layout->key.end(), column.name) !=
                 dataset.layout->key.end();
      rows.push_back({Text("quanta"), Text(dataset.schema), Text(dataset.layout->name),
                      Text(column.name), Number(static_cast<std::int64_t>(c + 1)),
                      Text(key ? "NO" : "YES"), Text(type.ok() ? type->name : "text"),
                      Text(column.type), Text(dataset.column_descriptions[c])});
    }
  }
  return Relation({{"table_catalog", "VARCHAR"},
                   {"table_schema", "VARCHAR"},
                   {"table_name", "VARCHAR"},
                   {"column_name", "VARCHAR"},
                   {"ordinal_position", "INTEGER"},
                   {"is_nullable", "VARCHAR"},
                   {"data_type", "VARCHAR"},
                   {"duckdb_type", "VARCHAR"},
                   {"column_comment", "VARCHAR"}},
                  rows);
}

}  // namespace quanta::node
