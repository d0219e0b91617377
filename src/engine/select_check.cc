#include "engine/select_check.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace quanta::engine {

std::optional<std::string> NotOneSelect(Connection& connection, std::string_view sql) {
  Result<QueryResult> serialized =
      connection.Query("SELECT json_serialize_sql(" + QuoteLiteral(sql) + ")::VARCHAR");
  if (!serialized.ok()) return "it could not be parsed: " + serialized.status().message();
  if (serialized->rows.size() != 1 || !serialized->rows[0][0]) {
    return std::string("it could not be parsed");
  }
  nlohmann::json tree = nlohmann::json::parse(*serialized->rows[0][0], nullptr, false);
  if (tree.is_discarded() || !tree.is_object()) return std::string("it could not be parsed");
  if (tree.value("error", false)) {
    std::string type = tree.value("error_type", "");
    std::string message = tree.value("error_message", "unknown error");
    if (type == "parser") return "it does not parse: " + message;
    if (message.find("Only SELECT") != std::string::npos) {
      return std::string("it holds a statement other than SELECT");
    }
    return "it was refused: " + message;
  }
  auto statements = tree.find("statements");
  std::size_t count = statements != tree.end() && statements->is_array() ? statements->size() : 0;
  if (count == 0) return std::string("it holds no statement");
  if (count > 1) return fmt::format("it holds {} statements", count);
  return std::nullopt;
}

}  // namespace quanta::engine
