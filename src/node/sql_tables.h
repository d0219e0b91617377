#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "governance/read_access.h"
#include "node/product_catalog.h"
#include "query/consumer_sql.h"

namespace quanta::node {

/// The SQL schema a product's datasets appear in: its name with '-' as '_' ("user-interactions"
/// is user_interactions), so that it needs no quotes.
std::string SqlSchemaName(std::string_view product_name);

/// The SQL schema of a product qualified with its domain, for product id "domain/name":
/// SqlSchemaName of each joined by '_' ("shop/user-interactions" is shop_user_interactions).
/// Products of different domains that share a name are listed under it (their bare name is
/// then ambiguous); every product is reachable under it (unlisted) where no other product's
/// schema has that name, so that a program can name it in a way that stays valid.
std::string SqlQualifiedSchemaName(std::string_view product_id);

/// The SQL schema of one major of a product: SqlSchemaName and "_v<major>" ("orders_v1"). A
/// retiring major is listed under it while it is served; the current major is reachable under
/// it too (unlisted), so that a consumer can pin a major before the next one comes. A product
/// whose own schema has that name keeps it.
std::string SqlMajorSchemaName(std::string_view product_name, std::int64_t major);

/// The table beside a product's datasets in each of its schemas that holds the major's dead
/// letters (store::DeadLetterColumns()). No dataset can take the name
/// (store::kReservedDatasetPrefix).
inline constexpr std::string_view kDeadLettersTable = "_dead_letters";

/// The tables a consumer sees on the SQL port: every dataset of every running product as
/// <schema>.<dataset> (the current major; a retiring major in SqlMajorSchemaName), its dead
/// letters as <schema>._dead_letters, read through the product's store at the version the
/// statement asks for; and the parts of PostgreSQL's catalogs that clients read to list them
/// (pg_catalog's pg_namespace, pg_class, pg_attribute, pg_type, pg_description and friends;
/// information_schema's schemata, tables and columns), made from the same products, so that
/// psql's \dn, \dt and \d, JDBC's DatabaseMetaData and SQLAlchemy's inspector list exactly
/// the datasets and nothing of the node's own storage. Column comments come from the
/// contracts' descriptions.
///
/// Everything is as `reader` may see it (DatasetGrants::AccessTo): a dataset it may not read is
/// left out of the catalogs and answers PermissionDenied (SQLSTATE 42501), and the SELECT of a
/// dataset it reads has its masked columns replaced inside it, before the consumer's query.
///
/// The roles the catalogs list (pg_roles, pg_user, pg_auth_members, pg_group: psql's \du and
/// \dg) are `principals`, the names that can sign in, each a member of its groups, which are
/// roles that cannot sign in; with `reader` when it is not one of them, and "quanta", the
/// owner of every schema and dataset (the node). Nothing of a principal's credentials is
/// given or shown. Each dataset's relacl (psql's \dp) holds a read grant ("role=r/quanta")
/// for each role of its contract that alone lets a reader read it, or for PUBLIC ("=r/quanta")
/// when every signed-in reader may. pg_database_size() of the database is the size of the
/// store files of the products the reader sees.
///
/// One per statement: it sees the products running when it is made.
class ProductTables : public query::TableResolver {
 public:
  ProductTables(const ProductCatalog& catalog, const governance::Reader& reader,
                const std::vector<governance::Reader>& principals = {});

  Result<std::string> Resolve(std::string_view schema, std::string_view table,
                              const query::TableTime& time) override;
  std::shared_ptr<const engine::KeyedRows> KeyedRowsOf(std::string_view schema,
                                                       std::string_view table) override;

 private:
  struct Dataset {
    std::shared_ptr<DeployedProduct> product;
    std::string schema;
    const store::DatasetLayout* layout = nullptr;
    std::string description;                       ///< of the schema object
    std::vector<std::string> column_descriptions;  ///< one per column
    std::uint32_t oid = 0;
    governance::DatasetAccess access;  ///< readable, with the reader's masks
    std::vector<std::string> acl;      ///< PostgreSQL's aclitem texts of its read grants
    bool dead_letters = false;         ///< the major's dead letters rather than a dataset
  };
  struct DeniedDataset {
    std::string schema;
    std::string name;
    Status refusal;
  };
  struct Schema {
    std::string name;
    std::string description;
    std::uint32_t oid = 0;
    std::shared_ptr<DeployedProduct> product;
  };
  struct Role {
    std::string name;
    std::uint32_t oid = 0;
    bool can_login = false;
  };
  struct Membership {
    std::uint32_t group = 0;
    std::uint32_t member = 0;
  };

  // The dataset `schema`.`table` names (case aside, through schema_aliases_); nullptr for none.
  const Dataset* FindDataset(std::string_view schema, std::string_view table) const;
  // Adds `name` with the datasets and dead letters of `product`, in the next block of OIDs.
  void AddSchema(const std::shared_ptr<DeployedProduct>& product, std::string name,
                 std::string description, const governance::Reader& reader);
  Result<std::string> CatalogTable(std::string_view schema, std::string_view table);
  std::string Namespaces() const;
  std::string Classes() const;
  std::string Attributes() const;
  std::string Types() const;
  std::string Descriptions() const;
  std::string InformationSchemaTables() const;
  std::string InformationSchemaColumns() const;
  std::string InformationSchemaSchemata() const;
  std::string Databases() const;
  std::string Roles(std::string_view table) const;
  std::string AuthMembers() const;
  std::string Groups() const;
  std::string Settings() const;
  void AddRoles(const governance::Reader& reader,
                const std::vector<governance::Reader>& principals);

  std::string user_;
  std::vector<Schema> schemas_;
  std::vector<Dataset> datasets_;
  std::vector<DeniedDataset> denied_;  ///< not in any catalog
  std::vector<Role> roles_;            ///< in OID order
  std::vector<Membership> memberships_;
  /// Unlisted schema names -> the listed schema they reach (a current major's _v<major>, a
  /// product's domain-qualified name).
  std::map<std::string, std::string, std::less<>> schema_aliases_;
  /// Bare product names that products of several domains share -> their qualified schemas.
  std::map<std::string, std::vector<std::string>, std::less<>> ambiguous_schemas_;
  std::uint32_t next_schema_oid_;
};

}  // namespace quanta::node
