#include "model/json_fields.h"

#include <algorithm>

namespace quanta::model {

FieldReader::FieldReader(const Json& object) : rest_(object) {
  if (rest_.is_object()) {
    for (const auto& item : rest_.items()) key_order_.push_back(item.key());
  }
}

std::optional<std::string> FieldReader::String(const char* key) {
  if (!rest_.is_object()) return std::nullopt;
  auto it = rest_.find(key);
  if (it == rest_.end() || !it->is_string()) return std::nullopt;
  std::string value = it->get<std::string>();
  rest_.erase(it);
  return value;
}

std::optional<bool> FieldReader::Bool(const char* key) {
  if (!rest_.is_object()) return std::nullopt;
  auto it = rest_.find(key);
  if (it == rest_.end() || !it->is_boolean()) return std::nullopt;
  bool value = it->get<bool>();
  rest_.erase(it);
  return value;
}

std::optional<std::int64_t> FieldReader::Integer(const char* key) {
  if (!rest_.is_object()) return std::nullopt;
  auto it = rest_.find(key);
  if (it == rest_.end() || !it->is_number_integer()) return std::nullopt;
  // A number beyond 64-bit signed range (only JSON input has those) stays as it was, in rest.
  if (it->is_number_unsigned() &&
      it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  std::int64_t value = it->get<std::int64_t>();
  rest_.erase(it);
  return value;
}

Json FieldReader::Any(const char* key) {
  if (!rest_.is_object()) return nullptr;
  auto it = rest_.find(key);
  if (it == rest_.end()) return nullptr;
  Json value = std::move(*it);
  rest_.erase(it);
  // An explicit null is data too: keep it in rest so it is written back.
  if (value.is_null()) rest_[key] = nullptr;
  return value;
}

bool FieldReader::HadArray(const char* key) const {
  return std::find(present_arrays_.begin(), present_arrays_.end(), key) != present_arrays_.end();
}

void FieldWriter::Set(const char* key, const std::optional<std::string>& value) {
  if (value) object_[key] = *value;
}
void FieldWriter::Set(const char* key, const std::optional<bool>& value) {
  if (value) object_[key] = *value;
}
void FieldWriter::Set(const char* key, const std::optional<std::int64_t>& value) {
  if (value) object_[key] = *value;
}
void FieldWriter::Set(const char* key, const Json& value) {
  if (!value.is_null()) object_[key] = value;
}

Json FieldWriter::Finish(const Json& rest, const std::vector<std::string>& key_order) {
  if (rest.is_object()) {
    for (const auto& item : rest.items()) object_[item.key()] = item.value();
  } else if (object_.empty()) {
    return rest;  // the source was not an object at all (null included): give it back as it was
  }
  Json ordered = Json::object();
  for (const std::string& key : key_order) {
    auto it = object_.find(key);
    if (it != object_.end()) ordered[key] = *it;
  }
  for (const auto& item : object_.items()) {
    if (!ordered.contains(item.key())) ordered[item.key()] = item.value();
  }
  return ordered;
}

}  // namespace quanta::model
