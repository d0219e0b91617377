#include "node/sql_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
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
// The role that owns every schema and dataset: the node, which nobody signs in as (unless a
// principal has its name).
constexpr std::string_view kOwnerName = "quanta";
// Principals and their groups, in a range of their own.
constexpr std::uint32_t kFirstRoleOid = 1'000'000'000;
constexpr std::uint32_t kPgClassOid = 1259;      // pg_description.classoid of a table
constexpr std::uint32_t kPgNamespaceOid = 2615;  // and of a schema

// A relation made of literal rows: SELECT CAST(v.c1 AS T1) AS name1, ... FROM (VALUES ...).
// With `tableoid`, the relation's OID in pg_class as PostgreSQL's system column tableoid too,
// which clients join with pg_description.classoid.
struct RelationColumn {
  std::string_view name;
  std::string_view type;
};

std::string Relation(const std::vector<RelationColumn>& columns,
                     const std::vector<std::vector<std::string>>& rows,
                     std::uint32_t tableoid = 0) {
  std::string select;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    select += fmt::format("{}CAST({} AS {}) AS {}", c ? ", " : "",
                          rows.empty() ? "NULL" : fmt::format("v.c{}", c), columns[c].type,
                          QuoteIdentifier(columns[c].name));
  }
  if (tableoid != 0) select += fmt::format(", CAST({} AS INTEGER) AS tableoid", tableoid);
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
// without indexes, constraints, inheritance, rules, functions, operators, casts, languages,
// text search, foreign data or large objects of its own (consumers cannot create any). Their
// columns are PostgreSQL 15's, with its OID of each relation for their tableoid (0: a view).
struct CatalogRelation {
  std::string_view name;
  std::uint32_t oid;
  std::vector<RelationColumn> columns;
};

const std::vector<CatalogRelation>& EmptyRelations() {
  static const std::vector<CatalogRelation> relations = {
      {"pg_index",
       2610,
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
      {"pg_inherits",
       2611,
       {{"inhrelid", "INTEGER"},
        {"inhparent", "INTEGER"},
        {"inhseqno", "INTEGER"},
        {"inhdetachpending", "BOOLEAN"}}},
      {"pg_attrdef",
       2604,
       {{"oid", "INTEGER"}, {"adrelid", "INTEGER"}, {"adnum", "SMALLINT"}, {"adbin", "VARCHAR"}}},
      {"pg_publication",
       6104,
       {{"oid", "INTEGER"},
        {"pubname", "VARCHAR"},
        {"puballtables", "BOOLEAN"},
        {"pubinsert", "BOOLEAN"},
        {"pubupdate", "BOOLEAN"},
        {"pubdelete", "BOOLEAN"},
        {"pubtruncate", "BOOLEAN"},
        {"pubviaroot", "BOOLEAN"}}},
      {"pg_publication_namespace",
       6237,
       {{"oid", "INTEGER"}, {"pnpubid", "INTEGER"}, {"pnnspid", "INTEGER"}}},
      {"pg_publication_rel",
       6106,
       {{"oid", "INTEGER"},
        {"prpubid", "INTEGER"},
        {"prrelid", "INTEGER"},
        {"prqual", "VARCHAR"},
        {"prattrs", "SMALLINT[]"}}},
      {"pg_partitioned_table", 3350, {{"partrelid", "INTEGER"}, {"partstrat", "VARCHAR"}}},
      {"pg_enum",
       3501,
       {{"oid", "INTEGER"},
        {"enumtypid", "INTEGER"},
        {"enumsortorder", "FLOAT"},
        {"enumlabel", "VARCHAR"}}},
      {"pg_range",
       3541,
       {{"rngtypid", "INTEGER"},
        {"rngsubtype", "INTEGER"},
        {"rngmultitypid", "INTEGER"},  // what asyncpg's type introspection joins on
        {"rngcollation", "INTEGER"},
        {"rngsubopc", "INTEGER"},
        {"rngcanonical", "VARCHAR"},
        {"rngsubdiff", "VARCHAR"}}},
      {"pg_sequence",
       2224,
       {{"seqrelid", "INTEGER"},
        {"seqtypid", "INTEGER"},
        {"seqstart", "BIGINT"},
        {"seqincrement", "BIGINT"},
        {"seqmax", "BIGINT"},
        {"seqmin", "BIGINT"},
        {"seqcache", "BIGINT"},
        {"seqcycle", "BOOLEAN"}}},
      {"pg_matviews",
       0,
       {{"schemaname", "VARCHAR"}, {"matviewname", "VARCHAR"}, {"definition", "VARCHAR"}}},
      {"pg_views",
       0,
       {{"schemaname", "VARCHAR"}, {"viewname", "VARCHAR"}, {"definition", "VARCHAR"}}},
      {"pg_proc",
       1255,
       {{"oid", "INTEGER"},           {"proname", "VARCHAR"},       {"pronamespace", "INTEGER"},
        {"proowner", "INTEGER"},      {"prolang", "INTEGER"},       {"procost", "FLOAT"},
        {"prorows", "FLOAT"},         {"provariadic", "INTEGER"},   {"prosupport", "VARCHAR"},
        {"prokind", "VARCHAR"},       {"prosecdef", "BOOLEAN"},     {"proleakproof", "BOOLEAN"},
        {"proisstrict", "BOOLEAN"},   {"proretset", "BOOLEAN"},     {"provolatile", "VARCHAR"},
        {"proparallel", "VARCHAR"},   {"pronargs", "SMALLINT"},     {"pronargdefaults", "SMALLINT"},
        {"prorettype", "INTEGER"},    {"proargtypes", "VARCHAR"},   {"proallargtypes", "INTEGER[]"},
        {"proargmodes", "VARCHAR[]"}, {"proargnames", "VARCHAR[]"}, {"proargdefaults", "VARCHAR"},
        {"protrftypes", "INTEGER[]"}, {"prosrc", "VARCHAR"},        {"probin", "VARCHAR"},
        {"prosqlbody", "VARCHAR"},    {"proconfig", "VARCHAR[]"},   {"proacl", "VARCHAR[]"}}},
      {"pg_language",
       2612,
       {{"oid", "INTEGER"},
        {"lanname", "VARCHAR"},
        {"lanowner", "INTEGER"},
        {"lanispl", "BOOLEAN"},
        {"lanpltrusted", "BOOLEAN"},
        {"lanplcallfoid", "INTEGER"},
        {"laninline", "INTEGER"},
        {"lanvalidator", "INTEGER"},
        {"lanacl", "VARCHAR[]"}}},
      {"pg_constraint",
       2606,
       {{"oid", "INTEGER"},          {"conname", "VARCHAR"},       {"connamespace", "INTEGER"},
        {"contype", "VARCHAR"},      {"condeferrable", "BOOLEAN"}, {"condeferred", "BOOLEAN"},
        {"convalidated", "BOOLEAN"}, {"conrelid", "INTEGER"},      {"contypid", "INTEGER"},
        {"conindid", "INTEGER"},     {"conparentid", "INTEGER"},   {"confrelid", "INTEGER"},
        {"confupdtype", "VARCHAR"},  {"confdeltype", "VARCHAR"},   {"confmatchtype", "VARCHAR"},
        {"conislocal", "BOOLEAN"},   {"coninhcount", "INTEGER"},   {"connoinherit", "BOOLEAN"},
        {"conkey", "SMALLINT[]"},    {"confkey", "SMALLINT[]"},    {"conpfeqop", "INTEGER[]"},
        {"conppeqop", "INTEGER[]"},  {"conffeqop", "INTEGER[]"},   {"confdelsetcols", "SMALLINT[]"},
        {"conexclop", "INTEGER[]"},  {"conbin", "VARCHAR"}}},
      {"pg_conversion",
       2607,
       {{"oid", "INTEGER"},
        {"conname", "VARCHAR"},
        {"connamespace", "INTEGER"},
        {"conowner", "INTEGER"},
        {"conforencoding", "INTEGER"},
        {"contoencoding", "INTEGER"},
        {"conproc", "VARCHAR"},
        {"condefault", "BOOLEAN"}}},
      {"pg_cast",
       2605,
       {{"oid", "INTEGER"},
        {"castsource", "INTEGER"},
        {"casttarget", "INTEGER"},
        {"castfunc", "INTEGER"},
        {"castcontext", "VARCHAR"},
        {"castmethod", "VARCHAR"}}},
      {"pg_event_trigger",
       3466,
       {{"oid", "INTEGER"},
        {"evtname", "VARCHAR"},
        {"evtevent", "VARCHAR"},
        {"evtowner", "INTEGER"},
        {"evtfoid", "INTEGER"},
        {"evtenabled", "VARCHAR"},
        {"evttags", "VARCHAR[]"}}},
      {"pg_ts_config",
       3602,
       {{"oid", "INTEGER"},
        {"cfgname", "VARCHAR"},
        {"cfgnamespace", "INTEGER"},
        {"cfgowner", "INTEGER"},
        {"cfgparser", "INTEGER"}}},
      {"pg_ts_dict",
       3600,
       {{"oid", "INTEGER"},
        {"dictname", "VARCHAR"},
        {"dictnamespace", "INTEGER"},
        {"dictowner", "INTEGER"},
        {"dicttemplate", "INTEGER"},
        {"dictinitoption", "VARCHAR"}}},
      {"pg_ts_parser",
       3601,
       {{"oid", "INTEGER"},
        {"prsname", "VARCHAR"},
        {"prsnamespace", "INTEGER"},
        {"prsstart", "VARCHAR"},
        {"prstoken", "VARCHAR"},
        {"prsend", "VARCHAR"},
        {"prsheadline", "VARCHAR"},
        {"prslextype", "VARCHAR"}}},
      {"pg_ts_template",
       3764,
       {{"oid", "INTEGER"},
        {"tmplname", "VARCHAR"},
        {"tmplnamespace", "INTEGER"},
        {"tmplinit", "VARCHAR"},
        {"tmpllexize", "VARCHAR"}}},
      {"pg_db_role_setting",
       0,
       {{"setdatabase", "INTEGER"}, {"setrole", "INTEGER"}, {"setconfig", "VARCHAR[]"}}},
      {"pg_foreign_server",
       1417,
       {{"oid", "INTEGER"},
        {"srvname", "VARCHAR"},
        {"srvowner", "INTEGER"},
        {"srvfdw", "INTEGER"},
        {"srvtype", "VARCHAR"},
        {"srvversion", "VARCHAR"},
        {"srvacl", "VARCHAR[]"},
        {"srvoptions", "VARCHAR[]"}}},
      {"pg_foreign_data_wrapper",
       2328,
       {{"oid", "INTEGER"},
        {"fdwname", "VARCHAR"},
        {"fdwowner", "INTEGER"},
        {"fdwhandler", "INTEGER"},
        {"fdwvalidator", "INTEGER"},
        {"fdwacl", "VARCHAR[]"},
        {"fdwoptions", "VARCHAR[]"}}},
      {"pg_user_mappings",
       0,
       {{"umid", "INTEGER"},
        {"srvid", "INTEGER"},
        {"srvname", "VARCHAR"},
        {"umuser", "INTEGER"},
        {"usename", "VARCHAR"},
        {"umoptions", "VARCHAR[]"}}},
      {"pg_user_mapping",
       1418,
       {{"oid", "INTEGER"},
        {"umuser", "INTEGER"},
        {"umserver", "INTEGER"},
        {"umoptions", "VARCHAR[]"}}},
      {"pg_foreign_table",
       3118,
       {{"ftrelid", "INTEGER"}, {"ftserver", "INTEGER"}, {"ftoptions", "VARCHAR[]"}}},
      {"pg_operator",
       2617,
       {{"oid", "INTEGER"},
        {"oprname", "VARCHAR"},
        {"oprnamespace", "INTEGER"},
        {"oprowner", "INTEGER"},
        {"oprkind", "VARCHAR"},
        {"oprcanmerge", "BOOLEAN"},
        {"oprcanhash", "BOOLEAN"},
        {"oprleft", "INTEGER"},
        {"oprright", "INTEGER"},
        {"oprresult", "INTEGER"},
        {"oprcom", "INTEGER"},
        {"oprnegate", "INTEGER"},
        {"oprcode", "VARCHAR"},
        {"oprrest", "VARCHAR"},
        {"oprjoin", "VARCHAR"}}},
      {"pg_largeobject_metadata",
       2995,
       {{"oid", "INTEGER"}, {"lomowner", "INTEGER"}, {"lomacl", "VARCHAR[]"}}},
      {"pg_statistic_ext",
       3381,
       {{"oid", "INTEGER"},
        {"stxrelid", "INTEGER"},
        {"stxname", "VARCHAR"},
        {"stxnamespace", "INTEGER"},
        {"stxowner", "INTEGER"},
        {"stxstattarget", "INTEGER"},
        {"stxkeys", "VARCHAR"},
        {"stxkind", "VARCHAR[]"},
        {"stxexprs", "VARCHAR"}}},
      {"pg_opclass",
       2616,
       {{"oid", "INTEGER"},
        {"opcmethod", "INTEGER"},
        {"opcname", "VARCHAR"},
        {"opcnamespace", "INTEGER"},
        {"opcowner", "INTEGER"},
        {"opcfamily", "INTEGER"},
        {"opcintype", "INTEGER"},
        {"opcdefault", "BOOLEAN"},
        {"opckeytype", "INTEGER"}}},
      {"pg_opfamily",
       2753,
       {{"oid", "INTEGER"},
        {"opfmethod", "INTEGER"},
        {"opfname", "VARCHAR"},
        {"opfnamespace", "INTEGER"},
        {"opfowner", "INTEGER"}}},
      {"pg_amop",
       2602,
       {{"oid", "INTEGER"},
        {"amopfamily", "INTEGER"},
        {"amoplefttype", "INTEGER"},
        {"amoprighttype", "INTEGER"},
        {"amopstrategy", "SMALLINT"},
        {"amoppurpose", "VARCHAR"},
        {"amopopr", "INTEGER"},
        {"amopmethod", "INTEGER"},
        {"amopsortfamily", "INTEGER"}}},
      {"pg_amproc",
       2603,
       {{"oid", "INTEGER"},
        {"amprocfamily", "INTEGER"},
        {"amproclefttype", "INTEGER"},
        {"amprocrighttype", "INTEGER"},
        {"amprocnum", "SMALLINT"},
        {"amproc", "VARCHAR"}}},
      {"pg_subscription",
       6100,
       {{"oid", "INTEGER"},
        {"subdbid", "INTEGER"},
        {"subskiplsn", "VARCHAR"},
        {"subname", "VARCHAR"},
        {"subowner", "INTEGER"},
        {"subenabled", "BOOLEAN"},
        {"subbinary", "BOOLEAN"},
        {"substream", "BOOLEAN"},
        {"subtwophasestate", "VARCHAR"},
        {"subdisableonerr", "BOOLEAN"},
        {"subconninfo", "VARCHAR"},
        {"subslotname", "VARCHAR"},
        {"subsynccommit", "VARCHAR"},
        {"subpublications", "VARCHAR[]"}}},
      {"pg_collation",
       3456,
       {{"oid", "INTEGER"},
        {"collname", "VARCHAR"},
        {"collnamespace", "INTEGER"},
        {"collowner", "INTEGER"},
        {"collprovider", "VARCHAR"},
        {"collisdeterministic", "BOOLEAN"},
        {"collencoding", "INTEGER"},
        {"collcollate", "VARCHAR"},
        {"collctype", "VARCHAR"},
        {"colliculocale", "VARCHAR"},
        {"collversion", "VARCHAR"}}},
      {"pg_policy",
       3256,
       {{"oid", "INTEGER"},
        {"polname", "VARCHAR"},
        {"polrelid", "INTEGER"},
        {"polcmd", "VARCHAR"},
        {"polpermissive", "BOOLEAN"},
        {"polroles", "INTEGER[]"},
        {"polqual", "VARCHAR"},
        {"polwithcheck", "VARCHAR"}}},
      {"pg_rewrite",
       2618,
       {{"oid", "INTEGER"},
        {"rulename", "VARCHAR"},
        {"ev_class", "INTEGER"},
        {"ev_type", "VARCHAR"},
        {"ev_enabled", "VARCHAR"},
        {"is_instead", "BOOLEAN"},
        {"ev_qual", "VARCHAR"},
        {"ev_action", "VARCHAR"}}},
      {"pg_trigger",
       2620,
       {{"oid", "INTEGER"},
        {"tgrelid", "INTEGER"},
        {"tgparentid", "INTEGER"},
        {"tgname", "VARCHAR"},
        {"tgfoid", "INTEGER"},
        {"tgtype", "SMALLINT"},
        {"tgenabled", "VARCHAR"},
        {"tgisinternal", "BOOLEAN"},
        {"tgconstrrelid", "INTEGER"},
        {"tgconstrindid", "INTEGER"},
        {"tgconstraint", "INTEGER"},
        {"tgdeferrable", "BOOLEAN"},
        {"tginitdeferred", "BOOLEAN"},
        {"tgnargs", "SMALLINT"},
        {"tgattr", "VARCHAR"},
        {"tgargs", "BLOB"},
        {"tgqual", "VARCHAR"},
        {"tgoldtable", "VARCHAR"},
        {"tgnewtable", "VARCHAR"}}},
      {"pg_default_acl",
       826,
       {{"oid", "INTEGER"},
        {"defaclrole", "INTEGER"},
        {"defaclnamespace", "INTEGER"},
        {"defaclobjtype", "VARCHAR"},
        {"defaclacl", "VARCHAR[]"}}},
      {"pg_init_privs",
       3394,
       {{"objoid", "INTEGER"},
        {"classoid", "INTEGER"},
        {"objsubid", "INTEGER"},
        {"privtype", "VARCHAR"},
        {"initprivs", "VARCHAR[]"}}},
      {"pg_seclabel",
       3596,
       {{"objoid", "INTEGER"},
        {"classoid", "INTEGER"},
        {"objsubid", "INTEGER"},
        {"provider", "VARCHAR"},
        {"label", "VARCHAR"}}},
      {"pg_shdescription",
       2396,
       {{"objoid", "INTEGER"}, {"classoid", "INTEGER"}, {"description", "VARCHAR"}}},
      {"pg_extension",
       3079,
       {{"oid", "INTEGER"},
        {"extname", "VARCHAR"},
        {"extowner", "INTEGER"},
        {"extnamespace", "INTEGER"},
        {"extrelocatable", "BOOLEAN"},
        {"extversion", "VARCHAR"},
        {"extconfig", "INTEGER[]"},
        {"extcondition", "VARCHAR[]"}}},
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
                                           std::nullopt,
                                           ""};
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

// A role name as PostgreSQL writes it in an aclitem: in double quotes unless it is made of
// lower-case letters, digits and underscores only.
std::string AclRoleName(std::string_view name) {
  bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (plain) return std::string(name);
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The read grants of a table of `product` as PostgreSQL's aclitem texts, decided by `reads`
// (the same decision that lets a reader read it): "=r/quanta" (PUBLIC) when a reader without
// groups may read it, else "role=r/quanta" for each role of the product's contracts that
// alone lets its holders read it.
std::vector<std::string> ReadGrants(const DeployedProduct& product,
                                    const std::function<bool(const governance::Reader&)>& reads) {
  const std::string grantor = AclRoleName(kOwnerName);
  if (reads(governance::Reader{})) return {"=r/" + grantor};
  std::vector<std::string> grants;
  if (!product.folder) return grants;
  std::set<std::string> seen;
  for (const model::ContractFile& file : product.folder->contracts) {
    for (const model::Role& role : file.contract.roles) {
      if (!role.role || role.role->empty() || !seen.insert(*role.role).second) continue;
      if (reads(governance::Reader{"", {*role.role}})) {
        grants.push_back(fmt::format("{}=r/{}", AclRoleName(*role.role), grantor));
      }
    }
  }
  return grants;
}

// An array of texts as SQL: [a, b], or NULL when empty.
std::string TextArray(const std::vector<std::string>& items) {
  if (items.empty()) return "NULL";
  std::string array = "[";
  for (std::size_t i = 0; i < items.size(); ++i) array += (i ? ", " : "") + QuoteLiteral(items[i]);
  return array + "]";
}

// The bytes of a store's files: the database and its write-ahead log.
std::uint64_t StoreBytes(const DeployedProduct& product) {
  std::uint64_t bytes = 0;
  const std::filesystem::path& path = product.store->path();
  for (const std::filesystem::path& file : {path, std::filesystem::path(path.string() + ".wal")}) {
    std::error_code error;
    std::uintmax_t size = std::filesystem::file_size(file, error);
    if (!error) bytes += size;
  }
  return bytes;
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

ProductTables::ProductTables(const ProductCatalog& catalog, const governance::Reader& reader,
                             const std::vector<governance::Reader>& principals)
    : user_(reader.name), next_schema_oid_(kFirstSchemaOid) {
  AddRoles(reader, principals);
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
    dataset.acl = ReadGrants(*product, [&](const governance::Reader& holder) {
      return DatasetGrants::AccessTo(*product, layout.name, holder).readable;
    });
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
    schemas_.push_back(Schema{name, std::move(description), schema_oid, product});
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
  dead_letters.acl = ReadGrants(*product, [&](const governance::Reader& holder) {
    return DatasetGrants::MayReadDeadLetters(*product, holder).ok();
  });
  dead_letters.description = fmt::format(
      "The records that input ports of {} (major {}) rejected, each with its reason: its dead "
      "letters.",
      product->id, product->major);
  for (const engine::Column& column : dead_letters.layout->columns) {
    dead_letters.column_descriptions.push_back(DeadLetterColumnDescription(column.name));
  }
  datasets_.push_back(std::move(dead_letters));
}

void ProductTables::AddRoles(const governance::Reader& reader,
                             const std::vector<governance::Reader>& principals) {
  std::vector<const governance::Reader*> logins;
  for (const governance::Reader& principal : principals) logins.push_back(&principal);
  bool listed = std::any_of(principals.begin(), principals.end(),
                            [&](const governance::Reader& p) { return p.name == reader.name; });
  if (!listed && !reader.name.empty()) logins.push_back(&reader);
  bool owner_signs_in = std::any_of(logins.begin(), logins.end(), [](const governance::Reader* p) {
    return p->name == kOwnerName;
  });
  roles_.push_back({std::string(kOwnerName), kOwnerOid, owner_signs_in});
  std::map<std::string, std::uint32_t, std::less<>> oids = {{std::string(kOwnerName), kOwnerOid}};
  std::uint32_t next = kFirstRoleOid;
  for (const governance::Reader* login : logins) {
    if (!oids.emplace(login->name, next).second) continue;
    roles_.push_back({login->name, next++, true});
  }
  std::set<std::string> groups;
  for (const governance::Reader* login : logins)
    groups.insert(login->groups.begin(), login->groups.end());
  for (const std::string& group : groups) {
    if (!oids.emplace(group, next).second) continue;
    roles_.push_back({group, next++, false});
  }
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
  for (const governance::Reader* login : logins) {
    for (const std::string& group : login->groups) {
      std::uint32_t group_oid = oids[group];
      std::uint32_t member_oid = oids[login->name];
      if (group_oid != member_oid && seen.emplace(group_oid, member_oid).second) {
        memberships_.push_back({group_oid, member_oid});
      }
    }
  }
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
  const Dataset* found = FindDataset(schema_name, table_name);
  if (!found) {
    bool schema_known = std::any_of(datasets_.begin(), datasets_.end(),
                                    [&](const Dataset& d) { return d.schema == schema_name; });
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

const ProductTables::Dataset* ProductTables::FindDataset(std::string_view schema,
                                                         std::string_view table) const {
  std::string schema_name = AsciiLower(schema);
  if (auto alias = schema_aliases_.find(schema_name); alias != schema_aliases_.end()) {
    schema_name = alias->second;
  }
  for (const Dataset& dataset : datasets_) {
    if (dataset.schema == schema_name && AsciiLower(dataset.layout->name) == AsciiLower(table)) {
      return &dataset;
    }
  }
  return nullptr;
}

std::shared_ptr<const engine::KeyedRows> ProductTables::KeyedRowsOf(std::string_view schema,
                                                                    std::string_view table) {
  const Dataset* found = FindDataset(schema, table);
  if (!found || found->dead_letters) return nullptr;
  // Kept rows are the dataset's rows as they are: only for a reader the governance leaves
  // them to whole (its readable SQL is the current rows' own).
  Result<std::string> current = found->product->store->CurrentQualifiedSql(found->layout->name);
  if (!current.ok() ||
      governance::ReadableRowsSql(*current, found->layout->columns, found->access) != *current) {
    return nullptr;
  }
  return found->product->store->KeyedRowsOf(found->layout->name);
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
    return Relation({{"oid", "INTEGER"},
                     {"amname", "VARCHAR"},
                     {"amhandler", "VARCHAR"},
                     {"amtype", "VARCHAR"}},
                    {{Number(2), Text("heap"), Text("heap_tableam_handler"), Text("t")}}, 2601);
  }
  if (table == "pg_database") return Databases();
  if (table == "pg_roles" || table == "pg_user" || table == "pg_authid") return Roles(table);
  if (table == "pg_auth_members") return AuthMembers();
  if (table == "pg_group") return Groups();
  if (table == "pg_settings") return Settings();
  if (table == "pg_tablespace") {
    return Relation({{"oid", "INTEGER"},
                     {"spcname", "VARCHAR"},
                     {"spcowner", "INTEGER"},
                     {"spcacl", "VARCHAR[]"},
                     {"spcoptions", "VARCHAR[]"}},
                    {{Number(1663), Text("pg_default"), Number(kOwnerOid), kNull, kNull}}, 1213);
  }
  for (const CatalogRelation& relation : EmptyRelations()) {
    if (relation.name == table) return Relation(relation.columns, {}, relation.oid);
  }
  return Status::NotFound(
      "pg_catalog.{} is not available on this port; the catalogs describe the datasets of the "
      "node's products (pg_namespace, pg_class, pg_attribute, pg_type, pg_description, ...)",
      table);
}

std::string ProductTables::Databases() const {
  // The size of what the reader sees: the store files of the products listed to it.
  std::uint64_t bytes = 0;
  for (const Schema& schema : schemas_) bytes += StoreBytes(*schema.product);
  return Relation(
      {{"oid", "INTEGER"},
       {"datname", "VARCHAR"},
       {"datdba", "INTEGER"},
       {"encoding", "INTEGER"},
       {"datlocprovider", "VARCHAR"},
       {"datistemplate", "BOOLEAN"},
       {"datallowconn", "BOOLEAN"},
       {"datconnlimit", "INTEGER"},
       {"datfrozenxid", "BIGINT"},
       {"datminmxid", "BIGINT"},
       {"dattablespace", "INTEGER"},
       {"datcollate", "VARCHAR"},
       {"datctype", "VARCHAR"},
       {"daticulocale", "VARCHAR"},
       {"datcollversion", "VARCHAR"},
       {"datacl", "VARCHAR[]"},
       {"datsize", "BIGINT"}},
      {{Number(16383), Text("quanta"), Number(kOwnerOid), Number(6), Text("c"), Bool(false),
        Bool(true), Number(-1), Number(0), Number(0), Number(1663), Text("C"), Text("C"), kNull,
        kNull, kNull, Number(static_cast<std::int64_t>(bytes))}},
      1262);
}

std::string ProductTables::Roles(std::string_view table) const {
  std::vector<std::vector<std::string>> rows;
  if (table == "pg_user") {
    for (const Role& role : roles_) {
      if (!role.can_login) continue;
      rows.push_back({Text(role.name), Number(role.oid), Bool(false), Bool(false), Bool(false),
                      Bool(false), Text("********"), kNull, kNull});
    }
    return Relation({{"usename", "VARCHAR"},
                     {"usesysid", "INTEGER"},
                     {"usecreatedb", "BOOLEAN"},
                     {"usesuper", "BOOLEAN"},
                     {"userepl", "BOOLEAN"},
                     {"usebypassrls", "BOOLEAN"},
                     {"passwd", "VARCHAR"},
                     {"valuntil", "TIMESTAMPTZ"},
                     {"useconfig", "VARCHAR[]"}},
                    rows);
  }
  // pg_authid holds the password verifiers in PostgreSQL; here it holds none.
  const bool authid = table == "pg_authid";
  for (const Role& role : roles_) {
    rows.push_back({Text(role.name), Bool(false), Bool(true), Bool(false), Bool(false),
                    Bool(role.can_login), Bool(false), Number(-1),
                    authid || !role.can_login ? kNull : Text("********"), kNull, Bool(false), kNull,
                    Number(role.oid)});
  }
  return Relation({{"rolname", "VARCHAR"},
                   {"rolsuper", "BOOLEAN"},
                   {"rolinherit", "BOOLEAN"},
                   {"rolcreaterole", "BOOLEAN"},
                   {"rolcreatedb", "BOOLEAN"},
                   {"rolcanlogin", "BOOLEAN"},
                   {"rolreplication", "BOOLEAN"},
                   {"rolconnlimit", "INTEGER"},
                   {"rolpassword", "VARCHAR"},
                   {"rolvaliduntil", "TIMESTAMPTZ"},
                   {"rolbypassrls", "BOOLEAN"},
                   {"rolconfig", "VARCHAR[]"},
                   {"oid", "INTEGER"}},
                  rows, authid ? 1260 : 0);
}

std::string ProductTables::AuthMembers() const {
  std::vector<std::vector<std::string>> rows;
  for (const Membership& membership : memberships_) {
    rows.push_back(
        {Number(membership.group), Number(membership.member), Number(kOwnerOid), Bool(false)});
  }
  return Relation({{"roleid", "INTEGER"},
                   {"member", "INTEGER"},
                   {"grantor", "INTEGER"},
                   {"admin_option", "BOOLEAN"}},
                  rows, 1261);
}

std::string ProductTables::Groups() const {
  std::vector<std::vector<std::string>> rows;
  for (const Role& role : roles_) {
    if (role.can_login) continue;
    std::vector<std::string> members;
    for (const Membership& membership : memberships_) {
      if (membership.group == role.oid) members.push_back(Number(membership.member));
    }
    rows.push_back({Text(role.name), Number(role.oid),
                    members.empty() ? "[]" : fmt::format("[{}]", fmt::join(members, ", "))});
  }
  return Relation({{"groname", "VARCHAR"}, {"grosysid", "INTEGER"}, {"grolist", "INTEGER[]"}},
                  rows);
}

std::string ProductTables::Settings() const {
  // The settings a session reports and SHOW answers, as this port fixes them or a session
  // starts with them; nothing of the node's own configuration. Each as PostgreSQL 15 describes
  // it, with its boot value, so that \dconfig lists those that differ.
  struct Setting {
    std::string_view name, setting, unit, category, description, context, type, source, boot;
  };
  constexpr std::string_view kFormatting = "Client Connection Defaults / Locale and Formatting";
  constexpr std::string_view kStatement = "Client Connection Defaults / Statement Behavior";
  constexpr std::string_view kPreset = "Preset Options";
  static constexpr Setting kSettings[] = {
      {"DateStyle", "ISO, MDY", "", kFormatting,
       "Sets the display format for date and time values.", "user", "string", "default",
       "ISO, MDY"},
      {"IntervalStyle", "postgres", "", kFormatting, "Sets the display format for interval values.",
       "user", "enum", "default", "postgres"},
      {"TimeZone", "UTC", "", kFormatting,
       "Sets the time zone for displaying and interpreting time stamps.", "user", "string",
       "configuration file", "GMT"},
      {"application_name", "", "", "Reporting and Logging / What to Log",
       "Sets the application name to be reported in statistics and logs.", "user", "string",
       "default", ""},
      {"bytea_output", "hex", "", kStatement, "Sets the output format for bytea.", "user", "enum",
       "default", "hex"},
      {"client_encoding", "UTF8", "", kFormatting, "Sets the client's character set encoding.",
       "user", "string", "client", "SQL_ASCII"},
      {"default_transaction_isolation", "read committed", "", kStatement,
       "Sets the transaction isolation level of each new transaction.", "user", "enum", "default",
       "read committed"},
      {"default_transaction_read_only", "on", "", kStatement,
       "Sets the default read-only status of new transactions.", "user", "bool",
       "configuration file", "off"},
      {"extra_float_digits", "1", "", kFormatting,
       "Sets the number of digits displayed for floating-point values.", "user", "integer",
       "default", "1"},
      {"in_hot_standby", "off", "", kPreset, "Shows whether hot standby is currently active.",
       "internal", "bool", "default", "off"},
      {"integer_datetimes", "on", "", kPreset, "Shows whether datetimes are integer based.",
       "internal", "bool", "default", "on"},
      {"lc_messages", "C", "", kFormatting, "Sets the language in which messages are displayed.",
       "superuser", "string", "configuration file", ""},
      {"max_identifier_length", "63", "", kPreset, "Shows the maximum identifier length.",
       "internal", "integer", "default", "63"},
      {"search_path", "\"$user\", public", "", kStatement,
       "Sets the schema search order for names that are not schema-qualified.", "user", "string",
       "default", "\"$user\", public"},
      {"server_encoding", "UTF8", "", kPreset,
       "Shows the server (database) character set encoding.", "internal", "string", "default",
       "UTF8"},
      {"server_version", "15.0", "", kPreset, "Shows the server version.", "internal", "string",
       "default", "15.0"},
      {"server_version_num", "150000", "", kPreset, "Shows the server version as an integer.",
       "internal", "integer", "default", "150000"},
      {"standard_conforming_strings", "on", "",
       "Version and Platform Compatibility / Previous PostgreSQL Versions",
       "Causes '...' strings to treat backslashes literally.", "user", "bool", "default", "on"},
      {"statement_timeout", "0", "ms", kStatement,
       "Sets the maximum allowed duration of any statement.", "user", "integer", "default", "0"},
      {"transaction_isolation", "read committed", "", kStatement,
       "Sets the current transaction's isolation level.", "user", "enum", "override",
       "read committed"},
      {"transaction_read_only", "on", "", kStatement,
       "Sets the current transaction's read-only status.", "user", "bool", "override", "off"},
  };
  std::vector<std::vector<std::string>> rows;
  for (const Setting& setting : kSettings) {
    rows.push_back({Text(setting.name), Text(setting.setting),
                    setting.unit.empty() ? kNull : Text(setting.unit), Text(setting.category),
                    Text(setting.description), kNull, Text(setting.context), Text(setting.type),
                    Text(setting.source), kNull, kNull, kNull, Text(setting.boot),
                    Text(setting.setting), kNull, kNull, Bool(false)});
  }
  return Relation({{"name", "VARCHAR"},
                   {"setting", "VARCHAR"},
                   {"unit", "VARCHAR"},
                   {"category", "VARCHAR"},
                   {"short_desc", "VARCHAR"},
                   {"extra_desc", "VARCHAR"},
                   {"context", "VARCHAR"},
                   {"vartype", "VARCHAR"},
                   {"source", "VARCHAR"},
                   {"min_val", "VARCHAR"},
                   {"max_val", "VARCHAR"},
                   {"enumvals", "VARCHAR[]"},
                   {"boot_val", "VARCHAR"},
                   {"reset_val", "VARCHAR"},
                   {"sourcefile", "VARCHAR"},
                   {"sourceline", "INTEGER"},
                   {"pending_restart", "BOOLEAN"}},
                  rows);
}

std::string ProductTables::Namespaces() const {
  std::vector<std::vector<std::string>> rows = {
      {Number(kPgCatalogOid), Text("pg_catalog"), Number(kOwnerOid), kNull},
      {Number(kPublicOid), Text("public"), Number(kOwnerOid), kNull},
      {Number(kInformationSchemaOid), Text("information_schema"), Number(kOwnerOid), kNull}};
  for (const Schema& schema : schemas_) {
    rows.push_back({Number(schema.oid), Text(schema.name), Number(kOwnerOid), kNull});
  }
  return Relation({{"oid", "INTEGER"},
                   {"nspname", "VARCHAR"},
                   {"nspowner", "INTEGER"},
                   {"nspacl", "VARCHAR[]"}},
                  rows, kPgNamespaceOid);
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
                    Number(0),
                    Number(0),
                    Number(0),
                    kNull,
                    TextArray(dataset.acl),
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
                   {"relrewrite", "INTEGER"},
                   {"relfrozenxid", "BIGINT"},
                   {"relminmxid", "BIGINT"},
                   {"reloptions", "VARCHAR[]"},
                   {"relacl", "VARCHAR[]"},
                   {"relpartbound", "VARCHAR"}},
                  rows, kPgClassOid);
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
                      kNull, kNull});
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
                   {"attoptions", "VARCHAR[]"},
                   {"attacl", "VARCHAR[]"}},
                  rows, 1249);
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
                    Number(0),
                    kNull});
  }
  return Relation(
      {{"oid", "INTEGER"},         {"typname", "VARCHAR"},    {"typnamespace", "INTEGER"},
       {"typowner", "INTEGER"},    {"typlen", "SMALLINT"},    {"typtype", "VARCHAR"},
       {"typcategory", "VARCHAR"}, {"typelem", "INTEGER"},    {"typarray", "INTEGER"},
       {"typbasetype", "INTEGER"}, {"typtypmod", "INTEGER"},  {"typnotnull", "BOOLEAN"},
       {"typrelid", "INTEGER"},    {"typdelim", "VARCHAR"},   {"typcollation", "INTEGER"},
       {"typdefault", "VARCHAR"},  {"typbyval", "BOOLEAN"},   {"typisdefined", "BOOLEAN"},
       {"typalign", "VARCHAR"},    {"typstorage", "VARCHAR"}, {"typndims", "INTEGER"},
       {"typacl", "VARCHAR[]"}},
      rows, 1247);
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
                  rows, 2609);
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
