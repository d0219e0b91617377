#include "engine/keyed_rows.h"

#include <fmt/format.h>

#include <utility>

namespace quanta::engine {

namespace {

// DuckDB's vectors hold this many rows whatever a chunk's row count.
constexpr std::uint64_t kVectorCapacity = 2048;
// Strings up to this long live inside the vector's 16-byte entry.
constexpr std::size_t kInlineString = 12;
// A key map entry: the key, its location, the node and bucket of std::unordered_map.
constexpr std::uint64_t kMapEntryBytes = 48;

std::uint64_t FixedWidth(TypeId id) {
  switch (id) {
    case TypeId::kBoolean:
    case TypeId::kTinyint:
    case TypeId::kUtinyint:
      return 1;
    case TypeId::kSmallint:
    case TypeId::kUsmallint:
      return 2;
    case TypeId::kInteger:
    case TypeId::kUinteger:
    case TypeId::kFloat:
    case TypeId::kDate:
    case TypeId::kEnum:
      return 4;
    case TypeId::kHugeint:
    case TypeId::kUhugeint:
    case TypeId::kUuid:
    case TypeId::kInterval:
    case TypeId::kVarchar:
    case TypeId::kBlob:
      return 16;
    default:
      return 8;
  }
}

}  // namespace

std::uint64_t KeyedRows::ChunkBytes(const ResultChunk& chunk) {
  std::uint64_t bytes = 0;
  for (std::size_t c = 0; c < chunk.column_count(); ++c) {
    const ColumnView& column = chunk.Column(c);
    bytes += kVectorCapacity * FixedWidth(column.type().id) + kVectorCapacity / 8;
    if (column.type().id != TypeId::kVarchar && column.type().id != TypeId::kBlob) continue;
    for (std::size_t row = 0; row < chunk.row_count(); ++row) {
      if (column.IsNull(row)) continue;
      std::size_t length = column.Text(row).size();
      if (length > kInlineString) bytes += length;
    }
  }
  return bytes;
}

namespace {

// A chunk and the types its columns read through, freed together.
struct HeldChunk {
  std::shared_ptr<const std::vector<ValueType>> types;
  std::unique_ptr<ResultChunk> chunk;
};

}  // namespace

bool MemoryBudget::TryTake(std::uint64_t bytes) {
  std::uint64_t taken = taken_.load();
  do {
    if (taken + bytes > limit_) return false;
  } while (!taken_.compare_exchange_weak(taken, taken + bytes));
  return true;
}

void MemoryBudget::Give(std::uint64_t bytes) { taken_.fetch_sub(bytes); }

bool KeyedRows::CanKey(const ValueType& type) {
  switch (type.id) {
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInteger:
    case TypeId::kBigint:
    case TypeId::kUtinyint:
    case TypeId::kUsmallint:
    case TypeId::kUinteger:
      return true;
    case TypeId::kVarchar:
      return !type.is_json;
    default:
      return false;
  }
}

bool KeyedRows::CanHold(const std::vector<ValueType>& types) {
  for (const ValueType& type : types) {
    switch (type.id) {
      case TypeId::kList:
      case TypeId::kStruct:
      case TypeId::kMap:
      case TypeId::kUnion:
      case TypeId::kOther:
        return false;
      default:
        break;
    }
  }
  return true;
}

KeyedRows::KeyedRows(std::vector<std::string> names, std::vector<ValueType> types,
                     std::size_t key_column, bool replace)
    : names_(std::move(names)),
      types_(std::make_shared<const std::vector<ValueType>>(std::move(types))),
      key_column_(key_column),
      replace_(replace),
      integer_key_(types_->at(key_column).id != TypeId::kVarchar) {}

KeyedRows::~KeyedRows() = default;

std::optional<KeyedRows::Found> KeyedRows::Find(const RowKey& key) const {
  std::shared_lock lock(mutex_);
  if (!ready_) return std::nullopt;
  lookups_.fetch_add(1, std::memory_order_relaxed);
  Found found;
  found.version = version_;
  std::optional<std::uint64_t> location;
  if (const auto* integer = std::get_if<std::int64_t>(&key); integer && integer_key_) {
    if (auto it = by_integer_.find(*integer); it != by_integer_.end()) location = it->second;
  } else if (const auto* text = std::get_if<std::string>(&key); text && !integer_key_) {
    if (auto it = by_text_.find(*text); it != by_text_.end()) location = it->second;
  }
  if (location) {
    found.chunk = slots_[*location >> 16].chunk;
    found.row = static_cast<std::size_t>(*location & 0xffff);
  }
  return found;
}

bool KeyedRows::ready() const {
  std::shared_lock lock(mutex_);
  return ready_;
}

std::int64_t KeyedRows::version() const {
  std::shared_lock lock(mutex_);
  return version_;
}

std::uint64_t KeyedRows::bytes() const {
  std::shared_lock lock(mutex_);
  return chunk_bytes_ + kMapEntryBytes * (by_integer_.size() + by_text_.size());
}

bool KeyedRows::given_up() const {
  std::shared_lock lock(mutex_);
  return given_up_;
}

std::size_t KeyedRows::capacity_rows() const {
  std::shared_lock lock(mutex_);
  return held_chunks_ * kVectorCapacity;
}

std::size_t KeyedRows::current_rows() const {
  std::shared_lock lock(mutex_);
  return by_integer_.size() + by_text_.size();
}

std::optional<RowKey> KeyedRows::KeyAt(const ResultChunk& chunk, std::size_t row) const {
  const ColumnView& column = chunk.Column(key_column_);
  if (column.IsNull(row)) return std::nullopt;
  if (integer_key_) return RowKey(column.Integer(row));
  return RowKey(std::string(column.Text(row)));
}

Status KeyedRows::Add(std::unique_ptr<ResultChunk> chunk) {
  if (chunk->column_count() != types_->size()) {
    return Status::Invalid("a chunk of {} columns for rows of {}", chunk->column_count(),
                           types_->size());
  }
  for (std::size_t c = 0; c < types_->size(); ++c) {
    if (chunk->Column(c).type().name != (*types_)[c].name) {
      return Status::Invalid("column {} is {}, not {}", c + 1, chunk->Column(c).type().name,
                             (*types_)[c].name);
    }
  }
  if (chunk->row_count() == 0) return Status::Ok();
  chunk->UseTypes(*types_);
  const std::uint64_t slot = slots_.size();
  const ResultChunk& rows = *chunk;
  auto held = std::make_shared<HeldChunk>(HeldChunk{types_, std::move(chunk)});
  slots_.push_back(
      Slot{std::shared_ptr<const ResultChunk>(held, held->chunk.get()), 0, ChunkBytes(rows)});
  chunk_bytes_ += slots_.back().bytes;
  ++held_chunks_;
  for (std::size_t row = 0; row < rows.row_count(); ++row) {
    std::optional<RowKey> key = KeyAt(rows, row);
    if (!key) return Status::Invalid("row {} of a chunk has no key", row + 1);
    const std::uint64_t location = (slot << 16) | row;
    std::uint64_t* replaced = nullptr;
    bool added = false;
    if (integer_key_) {
      auto [it, inserted] = by_integer_.try_emplace(std::get<std::int64_t>(*key), location);
      replaced = &it->second;
      added = inserted;
    } else {
      auto [it, inserted] = by_text_.try_emplace(std::move(std::get<std::string>(*key)), location);
      replaced = &it->second;
      added = inserted;
    }
    if (!added) {
      if (!replace_) return Status::Invalid("two current rows share a key");
      Slot& old = slots_[*replaced >> 16];
      // (A row of this same chunk replaced: the chunk stays, counted once more below.)
      if (--old.current == 0 && (*replaced >> 16) != slot) {
        chunk_bytes_ -= old.bytes;
        --held_chunks_;
        old.chunk.reset();
      }
      *replaced = location;
    }
    ++slots_[slot].current;
  }
  return Status::Ok();
}

void KeyedRows::Clear() {
  slots_.clear();
  by_integer_.clear();
  by_text_.clear();
  chunk_bytes_ = 0;
  held_chunks_ = 0;
}

Status KeyedRows::Replace(std::vector<std::unique_ptr<ResultChunk>> chunks, std::int64_t version,
                          const std::unique_lock<std::shared_mutex>&) {
  if (given_up_) return Status::Invalid("the rows were given up");
  std::vector<Slot> slots = std::move(slots_);
  auto by_integer = std::move(by_integer_);
  auto by_text = std::move(by_text_);
  const std::uint64_t chunk_bytes = chunk_bytes_;
  const std::size_t held_chunks = held_chunks_;
  Clear();
  for (std::unique_ptr<ResultChunk>& chunk : chunks) {
    if (Status added = Add(std::move(chunk)); !added.ok()) {
      slots_ = std::move(slots);
      by_integer_ = std::move(by_integer);
      by_text_ = std::move(by_text);
      chunk_bytes_ = chunk_bytes;
      held_chunks_ = held_chunks;
      return added;
    }
  }
  version_ = version;
  ready_ = true;
  return Status::Ok();
}

Status KeyedRows::Apply(std::vector<std::unique_ptr<ResultChunk>> chunks, std::int64_t version,
                        const std::unique_lock<std::shared_mutex>&) {
  if (!ready_) return Status::Invalid("the rows are not ready");
  if (version <= version_) {
    return Status::Invalid("version {} applied after version {}", version, version_);
  }
  for (std::unique_ptr<ResultChunk>& chunk : chunks) {
    QUANTA_RETURN_IF_ERROR(Add(std::move(chunk)));
  }
  version_ = version;
  return Status::Ok();
}

void KeyedRows::GiveUp(const std::unique_lock<std::shared_mutex>&) {
  given_up_ = true;
  ready_ = false;
  Clear();
}

}  // namespace quanta::engine
