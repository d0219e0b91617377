#include "pipeline/declared_json.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace quanta::pipeline {
namespace {

using model::Json;

// Objects of up to this many keys find a repeated key by comparing it with each key before it;
// larger ones through a hash index, built once they reach it.
constexpr std::size_t kKeysCompared = 16;

// A SAX reader (nlohmann-json's json_sax interface) that builds the value it reads. Each
// object's members are appended to its vector directly, once its own index says the key is
// new: the ordered object's insert would search every key before it.
class DeclaredReader {
 public:
  explicit DeclaredReader(const DeclaredNames& declared) : declared_(declared) {}

  bool null() { return Put(Json(nullptr)); }
  bool boolean(bool value) { return Put(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return Put(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return Put(Json(value)); }
  bool number_float(Json::number_float_t value, const std::string&) { return Put(Json(value)); }
  bool string(std::string& value) { return Put(Json(std::move(value))); }
  bool binary(Json::binary_t& value) { return Put(Json::binary(std::move(value))); }
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(std::string& name) {
    Frame& frame = frames_.back();
    if (frame.discard) return true;
    // Only the root object's members are filtered; the keys of nested objects are data.
    frame.skip = frames_.size() == 1 && declared_.count(name) == 0;
    frame.key = std::move(name);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    failed_ = true;
    return false;
  }

  Json Take() {
    if (failed_ || !root_) return Json(Json::value_t::discarded);
    return std::move(*root_);
  }

 private:
  struct Frame {
    Json value;            // the object or array being read
    bool discard = false;  // the value of a member that is not kept: read, not built
    bool skip = false;     // an object's current member is not kept
    std::string key;       // an object's current member
    std::unordered_map<std::string, std::size_t> index;  // key -> place, once kKeysCompared
  };

  // True when the value that comes now is not kept.
  bool Discarding() const {
    return !frames_.empty() && (frames_.back().discard || frames_.back().skip);
  }

  bool Open(Json value) {
    bool discard = Discarding();
    frames_.push_back(Frame{discard ? Json() : std::move(value), discard, false, {}, {}});
    return true;
  }

  bool Close() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    if (frame.discard) return true;
    return Put(std::move(frame.value));
  }

  bool Put(Json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return true;
    }
    Frame& frame = frames_.back();
    if (frame.discard || frame.skip) return true;
    if (frame.value.is_array()) {
      frame.value.get_ref<Json::array_t&>().push_back(std::move(value));
      return true;
    }
    Json::object_t::Container& members = frame.value.get_ref<Json::object_t&>();
    if (std::optional<std::size_t> at = Find(frame)) {
      members[*at].second = std::move(value);  // a repeated key: first place, last value
      return true;
    }
    if (!frame.index.empty() || members.size() >= kKeysCompared) {
      if (frame.index.empty()) {
        for (std::size_t i = 0; i < members.size(); ++i) frame.index.emplace(members[i].first, i);
      }
      frame.index.emplace(frame.key, members.size());
    }
    members.emplace_back(std::move(frame.key), std::move(value));
    return true;
  }

  // The place of the current key among the members read so far, if it is there.
  static std::optional<std::size_t> Find(const Frame& frame) {
    const Json::object_t::Container& members = frame.value.get_ref<const Json::object_t&>();
    if (!frame.index.empty()) {
      auto found = frame.index.find(frame.key);
      if (found == frame.index.end()) return std::nullopt;
      return found->second;
    }
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (members[i].first == frame.key) return i;
    }
    return std::nullopt;
  }

  const DeclaredNames& declared_;
  std::vector<Frame> frames_;
  std::optional<Json> root_;
  bool failed_ = false;
};

}  // namespace

Json ParseDeclared(std::string_view text, const DeclaredNames& declared) {
  DeclaredReader reader(declared);
  Json::sax_parse(text, &reader, nlohmann::detail::input_format_t::json, /*strict=*/true,
                  /*ignore_comments=*/false);
  return reader.Take();
}

}  // namespace quanta::pipeline
