#include "pipeline/contract_tables.h"

#include "model/type_mapping.h"

namespace quanta::pipeline {

std::string CreateTablesSql(const model::Contract& contract, std::string_view schema_name) {
  std::string sql;
  std::string prefix;
  if (!schema_name.empty()) {
    sql += "CREATE SCHEMA IF NOT EXISTS " + engine::QuoteIdentifier(schema_name) + ";\n";
    prefix = engine::QuoteIdentifier(schema_name) + ".";
  }
  for (const model::SchemaObject& object : contract.schema) {
    if (!object.name || object.name->empty()) continue;
    std::string columns;
    for (const model::Property& property : object.properties) {
      if (!property.name || property.name->empty()) continue;
      if (!columns.empty()) columns += ", ";
      columns += engine::QuoteIdentifier(*property.name) + " " + model::DuckdbTypeFor(property);
    }
    if (columns.empty()) continue;  // DuckDB has no table without columns
    sql += "CREATE OR REPLACE TABLE " + prefix + engine::QuoteIdentifier(*object.name) + " (" +
           columns + ");\n";
  }
  return sql;
}

Status CreateContractTables(engine::Connection& connection, const model::Contract& contract,
                            std::string_view schema_name) {
  std::string sql = CreateTablesSql(contract, schema_name);
  if (sql.empty()) return Status::Ok();
  return connection.Execute(sql);
}

}  // namespace quanta::pipeline
