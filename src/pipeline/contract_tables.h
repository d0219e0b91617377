#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/database.h"
#include "model/contract.h"

namespace quanta::pipeline {

/// `CREATE TABLE` statements, one per schema object of `contract`, with a column per top-level
/// property typed by model::DuckdbTypeFor. Tables go into `schema_name` when it is not empty
/// (the schema is created too). Objects without a name are skipped (the linter reports them).
std::string CreateTablesSql(const model::Contract& contract, std::string_view schema_name = "");

/// Runs CreateTablesSql on `connection`.
Status CreateContractTables(engine::Connection& connection, const model::Contract& contract,
                            std::string_view schema_name = "");

}  // namespace quanta::pipeline
