#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/yaml_document.h"

namespace quanta::model {

/// Takes known fields out of a JSON object into typed values and keeps every other field (and
/// any known field whose value has the wrong type) in `rest`, so that writing the typed value
/// back loses nothing. Also remembers the original key order for writing back.
class FieldReader {
 public:
  /// `object` may be any JSON value; a non-object yields no fields and is kept whole in rest.
  explicit FieldReader(const Json& object);

  std::optional<std::string> String(const char* key);
  std::optional<bool> Bool(const char* key);
  std::optional<std::int64_t> Integer(const char* key);
  /// Takes the field as it is, whatever its type (absent: null).
  Json Any(const char* key);
  /// Takes an array field; every element is handed to `read` with its index.
  template <typename T, typename ReadOne>
  std::vector<T> Array(const char* key, ReadOne read) {
    std::vector<T> items;
    auto it = rest_.find(key);
    if (it == rest_.end() || !it->is_array()) return items;
    std::size_t index = 0;
    for (const Json& item : *it) items.push_back(read(item, index++));
    present_arrays_.push_back(key);
    rest_.erase(it);
    return items;
  }
  /// True when Array(key) found an array (so an empty one is written back as []).
  bool HadArray(const char* key) const;

  Json TakeRest() { return std::move(rest_); }
  std::vector<std::string> TakeKeyOrder() { return std::move(key_order_); }

 private:
  Json rest_;
  std::vector<std::string> key_order_;
  std::vector<std::string> present_arrays_;
};

/// Builds a JSON object from typed fields, skipping absent ones, then adds `rest` and restores
/// `key_order` (fields not in it go last, in the order they were set).
class FieldWriter {
 public:
  void Set(const char* key, const std::optional<std::string>& value);
  void Set(const char* key, const std::optional<bool>& value);
  void Set(const char* key, const std::optional<std::int64_t>& value);
  /// Null is treated as absent.
  void Set(const char* key, const Json& value);
  /// Writes the array when it has items or was present when read.
  template <typename T, typename WriteOne>
  void SetArray(const char* key, const std::vector<T>& items, bool was_present, WriteOne write) {
    if (items.empty() && !was_present) return;
    Json array = Json::array();
    for (const T& item : items) array.push_back(write(item));
    object_[key] = std::move(array);
  }
  Json Finish(const Json& rest, const std::vector<std::string>& key_order);

 private:
  Json object_ = Json::object();
};

}  // namespace quanta::model
