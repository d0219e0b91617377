// libFuzzer target: any text a consumer sends as SQL must be refused with a clear error or
// rewritten into SQL that reaches only the datasets it named, never crash the sandbox. Each
// input goes to SandboxConsumerSql over two fixed datasets, which resolve to the tables
// fuzz.orders_rows and fuzz.customer_rows. When the sandbox accepts, each rewritten statement
// is checked twice:
// - by this file's own reading of DuckDB's parse tree, independent of the sandbox's code: a
//   SELECT whose tables are those two or CTEs of the statement, whose table functions are
//   range, generate_series and unnest, and whose functions are plain names outside the
//   families that reach files, settings or internals;
// - by the sandbox again, with the same resolver, which must accept what it wrote: a 42501,
//   0A000 or 42P01 there means the rewriting produced a reference the first pass never saw.
// A rendering DuckDB cannot parse back is a plain error of the statement, not a breach.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/ascii.h"
#include "engine/database.h"
#include "query/consumer_sql.h"

namespace {

using quanta::ErrorCode;
using quanta::Result;
using quanta::Status;

class FixedDatasets : public quanta::query::TableResolver {
 public:
  Result<std::string> Resolve(std::string_view schema, std::string_view table,
                              const quanta::query::TableTime&) override {
    std::string name = std::string(schema) + "." + std::string(table);
    if (name == "orders.orders" || name == "fuzz.orders_rows") {
      return std::string("SELECT * FROM fuzz.orders_rows");
    }
    if (name == "customers.demographics" || name == "fuzz.customer_rows") {
      return std::string("SELECT * FROM fuzz.customer_rows");
    }
    if (name == "orders.secret") return Status(ErrorCode::kPermissionDenied, "no grant");
    return Status::NotFound("no dataset {}", name);
  }
};

struct Sandbox {
  std::unique_ptr<quanta::engine::Database> database;
  std::unique_ptr<quanta::engine::Connection> connection;
};

// One in-memory instance for the whole run, confined as the node's is, so that an AT clause's
// expression (the only consumer SQL the sandbox evaluates) reaches nothing either.
Sandbox& TheSandbox() {
  static Sandbox* sandbox = [] {
    auto* made = new Sandbox();
    quanta::engine::DatabaseOptions options;
    options.settings = {{"threads", "1"}, {"memory_limit", "256MiB"}};
    made->database = std::move(quanta::engine::Database::Open(options)).value();
    made->connection = std::move(made->database->Connect()).value();
    Status confined = made->connection->Execute(
        "CREATE SCHEMA fuzz; CREATE TABLE fuzz.orders_rows (order_id INTEGER, amount DOUBLE); "
        "CREATE TABLE fuzz.customer_rows (customer_id INTEGER, age_group VARCHAR); "
        "SET enable_external_access = false; SET lock_configuration = true");
    if (!confined.ok()) {
      std::fprintf(stderr, "consumer_sql_fuzzer: %s\n", confined.ToString().c_str());
      __builtin_trap();
    }
    return made;
  }();
  return *sandbox;
}

using Json = nlohmann::json;

std::string Field(const Json& node, const char* name) {
  auto found = node.find(name);
  return found != node.end() && found->is_string() ? found->get<std::string>() : std::string();
}

void CollectCteNames(const Json& node, std::set<std::string>& names) {
  if (node.is_array()) {
    for (const Json& item : node) CollectCteNames(item, names);
    return;
  }
  if (!node.is_object()) return;
  if (auto map = node.find("cte_map"); map != node.end() && map->is_object()) {
    if (auto entries = map->find("map"); entries != map->end() && entries->is_array()) {
      for (const Json& entry : *entries) names.insert(quanta::AsciiLower(Field(entry, "key")));
    }
  }
  for (const auto& [key, value] : node.items()) CollectCteNames(value, names);
}

// What in `node` a consumer must not reach, or empty.
std::string Forbidden(const Json& node, const std::set<std::string>& ctes) {
  if (node.is_array()) {
    for (const Json& item : node) {
      if (std::string found = Forbidden(item, ctes); !found.empty()) return found;
    }
    return {};
  }
  if (!node.is_object()) return {};
  std::string type = Field(node, "type");
  if (type == "BASE_TABLE") {
    std::string catalog = Field(node, "catalog_name");
    std::string schema = Field(node, "schema_name");
    std::string table = Field(node, "table_name");
    bool dataset =
        catalog.empty() && schema == "fuzz" && (table == "orders_rows" || table == "customer_rows");
    bool cte = catalog.empty() && schema.empty() && ctes.count(quanta::AsciiLower(table)) > 0;
    if (!dataset && !cte) return "table " + catalog + "." + schema + "." + table;
  } else if (type == "TABLE_FUNCTION") {
    std::string name;
    if (auto function = node.find("function"); function != node.end() && function->is_object()) {
      name = quanta::AsciiLower(Field(*function, "function_name"));
    }
    if (name != "range" && name != "generate_series" && name != "unnest") {
      return "table function " + name;
    }
  }
  if (Field(node, "class") == "FUNCTION") {
    std::string name = quanta::AsciiLower(Field(node, "function_name"));
    std::string schema = quanta::AsciiLower(Field(node, "schema"));
    if (!Field(node, "catalog").empty() ||
        (!schema.empty() && schema != "main" && schema != "pg_catalog")) {
      return "function " + schema + "." + name;
    }
    // Families by prefix; query() and query_table() are table functions, caught above.
    for (std::string_view refused :
         {"read_", "glob", "duckdb_", "pragma_", "sqlite_", "parquet_", "postgres_"}) {
      if (name.starts_with(refused)) return "function " + name;
    }
    for (std::string_view refused :
         {"getenv", "getvariable", "current_setting", "json_execute_serialized_sql"}) {
      if (name == refused) return "function " + name;
    }
  }
  for (const auto& [key, value] : node.items()) {
    if (!value.is_structured()) continue;
    if (std::string found = Forbidden(value, ctes); !found.empty()) return found;
  }
  return {};
}

// DuckDB's parse tree of `sql`, or null when it does not parse.
Json ParseTree(quanta::engine::Connection& connection, const std::string& sql) {
  Result<quanta::engine::QueryResult> result =
      connection.Query("SELECT json_serialize_sql(" + quanta::engine::QuoteLiteral(sql) + ")");
  if (!result.ok() || result->rows.empty() || !result->rows[0][0]) return nullptr;
  Json tree = Json::parse(*result->rows[0][0], nullptr, /*allow_exceptions=*/false);
  return tree.is_discarded() ? Json(nullptr) : tree;
}

[[noreturn]] void Breach(std::string_view input, const std::string& sql, const std::string& why) {
  std::fprintf(stderr, "consumer_sql_fuzzer: accepted\n  %.*s\nas\n  %s\nbut %s\n",
               static_cast<int>(input.size()), input.data(), sql.c_str(), why.c_str());
  __builtin_trap();
}

bool IsBreach(const Status& status) {
  return status.code() == ErrorCode::kPermissionDenied ||
         status.code() == ErrorCode::kNotSupported || status.code() == ErrorCode::kNotFound;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Sandbox& sandbox = TheSandbox();
  FixedDatasets datasets;
  quanta::query::SandboxRefusal refusal;
  Result<std::vector<quanta::query::SandboxedStatement>> first =
      quanta::query::SandboxConsumerSql(*sandbox.connection, input, datasets, &refusal);
  if (!first.ok()) {
    // A refusal points inside the text, or at the whole of it.
    if (refusal.position > input.size() + 1) __builtin_trap();
    if (first.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (const quanta::query::SandboxedStatement& statement : *first) {
    Json tree = ParseTree(*sandbox.connection, statement.sql);
    if (tree.is_object() && !tree.value("error", false)) {
      const Json& statements = tree["statements"];
      if (!statements.is_array() || statements.size() != 1) {
        Breach(input, statement.sql, "it is not one statement");
      }
      std::set<std::string> ctes;
      CollectCteNames(statements, ctes);
      if (std::string found = Forbidden(statements, ctes); !found.empty()) {
        Breach(input, statement.sql, "it reaches " + found);
      }
    } else if (tree.is_object() && tree.value("error_type", "") != "parser") {
      Breach(input, statement.sql, "it is not a SELECT: " + tree.value("error_message", ""));
    }
    Result<std::vector<quanta::query::SandboxedStatement>> second =
        quanta::query::SandboxConsumerSql(*sandbox.connection, statement.sql, datasets);
    if (!second.ok() && IsBreach(second.status())) {
      Breach(input, statement.sql, "the sandbox then refuses it: " + second.status().ToString());
    }
  }
  return 0;
}
