#include "ports/pg_message.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "ports/pg_byte_order.h"

namespace quanta::ports {
namespace {

// Names by PgFrontendMessage alternative, in variant order.
constexpr std::array<std::string_view, std::variant_size_v<PgFrontendMessage>> kMessageNames = {
    "StartupMessage", "SSLRequest",     "GSSENCRequest",     "CancelRequest",  "Query ('Q')",
    "Parse ('P')",    "Bind ('B')",     "Describe ('D')",    "Execute ('E')",  "Close ('C')",
    "Flush ('H')",    "Sync ('S')",     "Terminate ('X')",   "password ('p')", "CopyData ('d')",
    "CopyDone ('c')", "CopyFail ('f')", "FunctionCall ('F')"};

// The name of a typed message by its type byte, or empty when the byte is no frontend type.
std::string_view TypedMessageName(char type) {
  switch (type) {
    case 'Q':
      return "Query ('Q')";
    case 'P':
      return "Parse ('P')";
    case 'B':
      return "Bind ('B')";
    case 'D':
      return "Describe ('D')";
    case 'E':
      return "Execute ('E')";
    case 'C':
      return "Close ('C')";
    case 'H':
      return "Flush ('H')";
    case 'S':
      return "Sync ('S')";
    case 'X':
      return "Terminate ('X')";
    case 'p':
      return "password ('p')";
    case 'd':
      return "CopyData ('d')";
    case 'c':
      return "CopyDone ('c')";
    case 'f':
      return "CopyFail ('f')";
    case 'F':
      return "FunctionCall ('F')";
    default:
      return {};
  }
}

// Reads the fields of one complete message body and names the message, the field and the
// byte offset (from the start of the message, its type byte or length field included) in
// every error.
class FieldReader {
 public:
  FieldReader(std::string_view message_name, std::string_view body, std::size_t header_bytes,
              std::uint64_t stream_offset)
      : name_(message_name),
        body_(body),
        header_bytes_(header_bytes),
        stream_offset_(stream_offset) {}

  std::size_t remaining() const { return body_.size() - position_; }

  // The body offset of the next field, for errors about a field already read.
  std::size_t position() const { return position_; }

  // An error about `field`, which starts at the body offset `at`.
  Status ErrorAt(std::size_t at, std::string_view field, std::string_view reason) const {
    return Status::ProtocolViolation("{} at stream offset {}: {} at byte {} {}", name_,
                                     stream_offset_, field, header_bytes_ + at, reason);
  }
  // An error about `field`, which starts at the current position.
  Status Error(std::string_view field, std::string_view reason) const {
    return ErrorAt(position_, field, reason);
  }

  Result<std::string> CString(std::string_view field) {
    const char* start = body_.data() + position_;
    const void* nul = std::memchr(start, '\0', remaining());
    if (nul == nullptr) {
      return Error(field, "has no terminating NUL byte before the end of the message");
    }
    std::size_t length = static_cast<const char*>(nul) - start;
    std::string value(start, length);
    position_ += length + 1;
    return value;
  }

  Result<std::int16_t> Int16(std::string_view field) {
    if (remaining() < 2) return Error(field, "is cut off: the message ends before its 2 bytes");
    std::int16_t value = LoadInt16(body_.data() + position_);
    position_ += 2;
    return value;
  }

  Result<std::int32_t> Int32(std::string_view field) {
    if (remaining() < 4) return Error(field, "is cut off: the message ends before its 4 bytes");
    std::int32_t value = LoadInt32(body_.data() + position_);
    position_ += 4;
    return value;
  }

  Result<char> Byte(std::string_view field) {
    if (remaining() < 1) return Error(field, "is missing: the message ends before it");
    return body_[position_++];
  }

  // A count of items of `item_bytes` each that follow: unsigned 16 bits (as PostgreSQL reads
  // them), at most `limit`, and the items must fit in what remains of the message.
  Result<std::size_t> Count(std::string_view field, std::size_t item_bytes, std::size_t limit) {
    std::size_t at = position_;
    QUANTA_ASSIGN_OR_RETURN(std::int16_t raw, Int16(field));
    std::size_t count = static_cast<std::uint16_t>(raw);
    if (count > limit) {
      return ErrorAt(at, field,
                     fmt::format("is {}, over the limit of {} (max_parameters)", count, limit));
    }
    if (count * item_bytes > remaining()) {
      return ErrorAt(at, field,
                     fmt::format("is {}, but only {} bytes follow for items of at least {} bytes",
                                 count, remaining(), item_bytes));
    }
    return count;
  }

  Result<std::string_view> Bytes(std::string_view field, std::size_t count) {
    if (count > remaining()) {
      return Error(field, fmt::format("needs {} bytes, but only {} remain in the message", count,
                                      remaining()));
    }
    std::string_view bytes = body_.substr(position_, count);
    position_ += count;
    return bytes;
  }

  std::string_view Rest() {
    std::string_view rest = body_.substr(position_);
    position_ = body_.size();
    return rest;
  }

  // The message must hold nothing after its last field.
  Status End() const {
    if (remaining() == 0) return Status::Ok();
    return Error(
        "the end of the message",
        fmt::format("is not reached: {} unexpected bytes follow the last field", remaining()));
  }

 private:
  std::string_view name_;
  std::string_view body_;
  std::size_t header_bytes_;
  std::uint64_t stream_offset_;
  std::size_t position_ = 0;
};

Result<std::int16_t> FormatCode(FieldReader& reader, std::string_view field) {
  std::size_t at = reader.position();
  QUANTA_ASSIGN_OR_RETURN(std::int16_t code, reader.Int16(field));
  if (code != 0 && code != 1) {
    return reader.ErrorAt(at, field,
                          fmt::format("is {}; a format code is 0 (text) or 1 (binary)", code));
  }
  return code;
}

Result<PgObjectKind> ObjectKind(FieldReader& reader) {
  std::size_t at = reader.position();
  QUANTA_ASSIGN_OR_RETURN(char kind, reader.Byte("object kind"));
  if (kind == 'S') return PgObjectKind::kStatement;
  if (kind == 'P') return PgObjectKind::kPortal;
  return reader.ErrorAt(at, "object kind",
                        fmt::format("is 0x{:02x}; it must be 'S' (statement) or 'P' (portal)",
                                    static_cast<unsigned char>(kind)));
}

Result<PgFrontendMessage> ParseBind(FieldReader& reader, const PgMessageLimits& limits) {
  PgBind bind;
  QUANTA_ASSIGN_OR_RETURN(bind.portal, reader.CString("portal name"));
  QUANTA_ASSIGN_OR_RETURN(bind.statement, reader.CString("statement name"));
  QUANTA_ASSIGN_OR_RETURN(std::size_t format_count,
                          reader.Count("parameter format count", 2, limits.max_parameters));
  bind.parameter_formats.reserve(format_count);
  for (std::size_t i = 0; i < format_count; ++i) {
    QUANTA_ASSIGN_OR_RETURN(std::int16_t code, FormatCode(reader, "parameter format code"));
    bind.parameter_formats.push_back(code);
  }
  // Each parameter needs at least its 4-byte length.
  std::size_t count_at = reader.position();
  QUANTA_ASSIGN_OR_RETURN(std::size_t parameter_count,
                          reader.Count("parameter count", 4, limits.max_parameters));
  if (format_count > 1 && format_count != parameter_count) {
    return reader.ErrorAt(count_at, "parameter count",
                          fmt::format("is {}, but {} parameter format codes were sent; send "
                                      "none, one, or one per parameter",
                                      parameter_count, format_count));
  }
  bind.parameters.reserve(parameter_count);
  for (std::size_t i = 0; i < parameter_count; ++i) {
    std::string field = fmt::format("parameter {} length", i + 1);
    std::size_t at = reader.position();
    QUANTA_ASSIGN_OR_RETURN(std::int32_t length, reader.Int32(field));
    if (length == -1) {
      bind.parameters.emplace_back(std::nullopt);
      continue;
    }
    if (length < 0) {
      return reader.ErrorAt(at, field,
                            fmt::format("is {}; a length is -1 (NULL) or at least 0", length));
    }
    QUANTA_ASSIGN_OR_RETURN(
        std::string_view value,
        reader.Bytes(fmt::format("parameter {} value", i + 1), static_cast<std::size_t>(length)));
    bind.parameters.emplace_back(std::string(value));
  }
  QUANTA_ASSIGN_OR_RETURN(std::size_t result_count,
                          reader.Count("result format count", 2, limits.max_parameters));
  bind.result_formats.reserve(result_count);
  for (std::size_t i = 0; i < result_count; ++i) {
    QUANTA_ASSIGN_OR_RETURN(std::int16_t code, FormatCode(reader, "result format code"));
    bind.result_formats.push_back(code);
  }
  QUANTA_RETURN_IF_ERROR(reader.End());
  return PgFrontendMessage(std::move(bind));
}

Result<PgFrontendMessage> ParseTyped(char type, FieldReader& reader,
                                     const PgMessageLimits& limits) {
  switch (type) {
    case 'Q': {
      PgQuery query;
      QUANTA_ASSIGN_OR_RETURN(query.sql, reader.CString("query string"));
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(std::move(query));
    }
    case 'P': {
      PgParse parse;
      QUANTA_ASSIGN_OR_RETURN(parse.statement, reader.CString("statement name"));
      QUANTA_ASSIGN_OR_RETURN(parse.query, reader.CString("query string"));
      QUANTA_ASSIGN_OR_RETURN(std::size_t count,
                              reader.Count("parameter type count", 4, limits.max_parameters));
      parse.parameter_types.reserve(count);
      for (std::size_t i = 0; i < count; ++i) {
        QUANTA_ASSIGN_OR_RETURN(std::int32_t oid, reader.Int32("parameter type OID"));
        parse.parameter_types.push_back(static_cast<std::uint32_t>(oid));
      }
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(std::move(parse));
    }
    case 'B':
      return ParseBind(reader, limits);
    case 'D': {
      PgDescribe describe;
      QUANTA_ASSIGN_OR_RETURN(describe.kind, ObjectKind(reader));
      QUANTA_ASSIGN_OR_RETURN(describe.name, reader.CString("name"));
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(std::move(describe));
    }
    case 'E': {
      PgExecute execute;
      QUANTA_ASSIGN_OR_RETURN(execute.portal, reader.CString("portal name"));
      QUANTA_ASSIGN_OR_RETURN(execute.max_rows, reader.Int32("maximum row count"));
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(std::move(execute));
    }
    case 'C': {
      PgClose close;
      QUANTA_ASSIGN_OR_RETURN(close.kind, ObjectKind(reader));
      QUANTA_ASSIGN_OR_RETURN(close.name, reader.CString("name"));
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(std::move(close));
    }
    case 'H':
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(PgFlush{});
    case 'S':
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(PgSync{});
    case 'X':
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(PgTerminate{});
    case 'p':
      return PgFrontendMessage(PgPasswordMessage{std::string(reader.Rest())});
    case 'd':
      return PgFrontendMessage(PgCopyData{std::string(reader.Rest())});
    case 'c':
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(PgCopyDone{});
    case 'f': {
      PgCopyFail fail;
      QUANTA_ASSIGN_OR_RETURN(fail.reason, reader.CString("error message"));
      QUANTA_RETURN_IF_ERROR(reader.End());
      return PgFrontendMessage(std::move(fail));
    }
    case 'F': {
      QUANTA_ASSIGN_OR_RETURN(std::int32_t oid, reader.Int32("function OID"));
      reader.Rest();
      return PgFrontendMessage(PgFunctionCall{static_cast<std::uint32_t>(oid)});
    }
    default:
      return Status::Internal("TypedMessageName and ParseTyped disagree about type byte {}",
                              static_cast<int>(type));
  }
}

// Once the buffer's consumed prefix is larger than this and than the unread rest, it is
// dropped; below it the bytes are kept so that small messages cost no memmove each.
constexpr std::size_t kCompactAfterBytes = 64 * 1024;

}  // namespace

std::optional<std::string_view> PgStartupMessage::Parameter(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const auto& [key, value] : parameters) {
    if (key == name) found = value;
  }
  return found;
}

std::vector<std::string> PgStartupMessage::ProtocolOptions() const {
  std::vector<std::string> options;
  for (const auto& [key, value] : parameters) {
    if (key.starts_with("_pq_.")) options.push_back(key);
  }
  return options;
}

std::int16_t PgBind::ParameterFormat(std::size_t index) const {
  if (parameter_formats.empty()) return 0;
  if (parameter_formats.size() == 1) return parameter_formats[0];
  return index < parameter_formats.size() ? parameter_formats[index] : 0;
}

std::int16_t PgBind::ResultFormat(std::size_t index) const {
  if (result_formats.empty()) return 0;
  if (result_formats.size() == 1) return result_formats[0];
  return index < result_formats.size() ? result_formats[index] : 0;
}

std::string_view PgMessageName(const PgFrontendMessage& message) {
  return kMessageNames[message.index()];
}

PgFrontendReader::PgFrontendReader(PgMessageLimits limits) : limits_(limits) {}

void PgFrontendReader::Feed(std::string_view bytes) {
  if (!error_.ok()) return;
  if (read_position_ == buffer_.size()) {
    buffer_.clear();
    read_position_ = 0;
  } else if (read_position_ > kCompactAfterBytes && read_position_ > buffered_bytes()) {
    buffer_.erase(0, read_position_);
    read_position_ = 0;
  }
  buffer_.append(bytes);
}

void PgFrontendReader::Consume(std::size_t bytes) {
  read_position_ += bytes;
  stream_offset_ += bytes;
}

Result<std::optional<PgFrontendMessage>> PgFrontendReader::Next() {
  if (!error_.ok()) return error_;
  Result<std::optional<PgFrontendMessage>> result = startup_phase_ ? NextStartup() : NextTyped();
  if (!result.ok()) error_ = result.status();
  return result;
}

Result<std::optional<PgFrontendMessage>> PgFrontendReader::NextStartup() {
  std::string_view pending(buffer_.data() + read_position_, buffered_bytes());
  if (pending.size() < 4) return std::optional<PgFrontendMessage>();
  std::int32_t length = LoadInt32(pending.data());
  if (length < 8) {
    return Status::ProtocolViolation(
        "startup packet at stream offset {}: length field at byte 0 is {}; a startup packet "
        "has at least 8 bytes",
        stream_offset_, length);
  }
  // A protocol violation rather than "too large", as in PostgreSQL: a length this big is
  // almost always a client speaking another protocol (TLS without SSLRequest, HTTP).
  if (static_cast<std::uint32_t>(length) > limits_.max_startup_bytes) {
    return Status::ProtocolViolation(
        "startup packet at stream offset {}: length field at byte 0 announces {} bytes, over the "
        "limit of {} bytes (max_startup_bytes); is the client speaking the PostgreSQL protocol?",
        stream_offset_, length, limits_.max_startup_bytes);
  }
  if (pending.size() < static_cast<std::size_t>(length)) return std::optional<PgFrontendMessage>();
  std::int32_t code = LoadInt32(pending.data() + 4);
  std::string_view body = pending.substr(8, static_cast<std::size_t>(length) - 8);
  auto fixed_length = [&](std::string_view name, std::int32_t expected) -> Status {
    if (length == expected) return Status::Ok();
    return Status::ProtocolViolation(
        "{} at stream offset {}: length field at byte 0 is {}; a {} is exactly {} bytes", name,
        stream_offset_, length, name, expected);
  };
  PgFrontendMessage message;
  if (code == kPgSslRequestCode) {
    QUANTA_RETURN_IF_ERROR(fixed_length("SSLRequest", 8));
    message = PgSslRequest{};
  } else if (code == kPgGssEncRequestCode) {
    QUANTA_RETURN_IF_ERROR(fixed_length("GSSENCRequest", 8));
    message = PgGssEncRequest{};
  } else if (code == kPgCancelRequestCode) {
    QUANTA_RETURN_IF_ERROR(fixed_length("CancelRequest", 16));
    message = PgCancelRequest{LoadInt32(body.data()), LoadInt32(body.data() + 4)};
  } else {
    if ((code >> 16) != 3) {
      return Status::ProtocolViolation(
          "StartupMessage at stream offset {}: protocol version at byte 4 is {}.{}; Quanta speaks "
          "protocol 3.0 (PostgreSQL 7.4 and later)",
          stream_offset_, code >> 16, code & 0xFFFF);
    }
    PgStartupMessage startup;
    startup.protocol = code;
    FieldReader reader("StartupMessage", body, 8, stream_offset_);
    while (true) {
      QUANTA_ASSIGN_OR_RETURN(std::string name, reader.CString("parameter name"));
      if (name.empty()) break;
      QUANTA_ASSIGN_OR_RETURN(std::string value,
                              reader.CString(fmt::format("value of parameter \"{}\"", name)));
      startup.parameters.emplace_back(std::move(name), std::move(value));
    }
    QUANTA_RETURN_IF_ERROR(reader.End());
    message = std::move(startup);
    startup_phase_ = false;
  }
  Consume(static_cast<std::size_t>(length));
  return std::optional<PgFrontendMessage>(std::move(message));
}

Result<std::optional<PgFrontendMessage>> PgFrontendReader::NextTyped() {
  std::string_view pending(buffer_.data() + read_position_, buffered_bytes());
  if (pending.empty()) return std::optional<PgFrontendMessage>();
  char type = pending[0];
  std::string_view name = TypedMessageName(type);
  if (name.empty()) {
    return Status::ProtocolViolation(
        "message at stream offset {}: type byte 0x{:02x} at byte 0 is not a frontend message "
        "type",
        stream_offset_, static_cast<unsigned char>(type));
  }
  if (pending.size() < 5) return std::optional<PgFrontendMessage>();
  std::int32_t length = LoadInt32(pending.data() + 1);
  if (length < 4) {
    return Status::ProtocolViolation(
        "{} at stream offset {}: length field at byte 1 is {}; it counts itself, so it is at "
        "least 4",
        name, stream_offset_, length);
  }
  // The length field excludes the type byte.
  std::uint64_t total = static_cast<std::uint64_t>(length) + 1;
  if (total > limits_.max_message_bytes) {
    return Status::TooLarge(
        "{} at stream offset {}: length field at byte 1 announces {} bytes, over the limit of {} "
        "bytes (max_message_bytes)",
        name, stream_offset_, total, limits_.max_message_bytes);
  }
  if (pending.size() < total) return std::optional<PgFrontendMessage>();
  FieldReader reader(name, pending.substr(5, total - 5), 5, stream_offset_);
  QUANTA_ASSIGN_OR_RETURN(PgFrontendMessage message, ParseTyped(type, reader, limits_));
  Consume(total);
  return std::optional<PgFrontendMessage>(std::move(message));
}

Result<std::string> ParsePasswordMessage(std::string_view body) {
  FieldReader reader("PasswordMessage ('p')", body, 5, 0);
  QUANTA_ASSIGN_OR_RETURN(std::string password, reader.CString("password"));
  QUANTA_RETURN_IF_ERROR(reader.End());
  return password;
}

Result<PgSaslInitialResponse> ParseSaslInitialResponse(std::string_view body) {
  FieldReader reader("SASLInitialResponse ('p')", body, 5, 0);
  PgSaslInitialResponse response;
  QUANTA_ASSIGN_OR_RETURN(response.mechanism, reader.CString("mechanism name"));
  std::size_t at = reader.position();
  QUANTA_ASSIGN_OR_RETURN(std::int32_t length, reader.Int32("initial response length"));
  if (length < -1) {
    return reader.ErrorAt(at, "initial response length",
                          fmt::format("is {}; it is -1 (none) or at least 0", length));
  }
  if (length >= 0) {
    QUANTA_ASSIGN_OR_RETURN(std::string_view data,
                            reader.Bytes("initial response", static_cast<std::size_t>(length)));
    response.data = std::string(data);
  }
  QUANTA_RETURN_IF_ERROR(reader.End());
  return response;
}

PgErrorFields PgErrorFields::FromStatus(const Status& status, std::string severity) {
  PgErrorFields fields;
  fields.severity = std::move(severity);
  fields.sqlstate = std::string(InfoFor(status.code()).sqlstate);
  fields.message = status.message();
  return fields;
}

std::size_t PgBackendWriter::Begin(char type) {
  out_.push_back(type);
  std::size_t start = out_.size();
  out_.append(4, '\0');
  return start;
}

void PgBackendWriter::End(std::size_t start) {
  PatchInt32(out_, start, static_cast<std::int32_t>(out_.size() - start));
}

void PgBackendWriter::AppendCString(std::string_view text) {
  if (std::memchr(text.data(), '\0', text.size()) == nullptr) {
    out_.append(text);
  } else {
    for (char c : text) {
      if (c != '\0') out_.push_back(c);
    }
  }
  out_.push_back('\0');
}

void PgBackendWriter::RefuseEncryption() { out_.push_back('N'); }

void PgBackendWriter::AuthenticationOk() {
  std::size_t start = Begin('R');
  AppendInt32(out_, 0);
  End(start);
}

void PgBackendWriter::AuthenticationCleartextPassword() {
  std::size_t start = Begin('R');
  AppendInt32(out_, 3);
  End(start);
}

void PgBackendWriter::AuthenticationSasl(const std::vector<std::string>& mechanisms) {
  std::size_t start = Begin('R');
  AppendInt32(out_, 10);
  for (const std::string& mechanism : mechanisms) AppendCString(mechanism);
  out_.push_back('\0');
  End(start);
}

void PgBackendWriter::AuthenticationSaslContinue(std::string_view data) {
  std::size_t start = Begin('R');
  AppendInt32(out_, 11);
  out_.append(data);
  End(start);
}

void PgBackendWriter::AuthenticationSaslFinal(std::string_view data) {
  std::size_t start = Begin('R');
  AppendInt32(out_, 12);
  out_.append(data);
  End(start);
}

void PgBackendWriter::ParameterStatus(std::string_view name, std::string_view value) {
  std::size_t start = Begin('S');
  AppendCString(name);
  AppendCString(value);
  End(start);
}

void PgBackendWriter::BackendKeyData(std::int32_t process_id, std::int32_t secret_key) {
  std::size_t start = Begin('K');
  AppendInt32(out_, process_id);
  AppendInt32(out_, secret_key);
  End(start);
}

void PgBackendWriter::ReadyForQuery(PgTransactionStatus status) {
  std::size_t start = Begin('Z');
  out_.push_back(static_cast<char>(status));
  End(start);
}

void PgBackendWriter::NegotiateProtocolVersion(
    std::int32_t newest_minor, const std::vector<std::string>& unrecognized_options) {
  std::size_t start = Begin('v');
  AppendInt32(out_, kPgProtocol30 | newest_minor);
  AppendInt32(out_, static_cast<std::int32_t>(unrecognized_options.size()));
  for (const std::string& option : unrecognized_options) AppendCString(option);
  End(start);
}

void PgBackendWriter::RowDescription(const std::vector<PgFieldDescription>& fields) {
  std::size_t start = Begin('T');
  AppendInt16(out_, static_cast<std::int16_t>(fields.size()));
  for (const PgFieldDescription& field : fields) {
    AppendCString(field.name);
    AppendInt32(out_, static_cast<std::int32_t>(field.table_oid));
    AppendInt16(out_, field.column_attr);
    AppendInt32(out_, static_cast<std::int32_t>(field.type_oid));
    AppendInt16(out_, field.type_size);
    AppendInt32(out_, field.type_modifier);
    AppendInt16(out_, field.format);
  }
  End(start);
}

void PgBackendWriter::ParameterDescription(const std::vector<std::uint32_t>& type_oids) {
  std::size_t start = Begin('t');
  AppendInt16(out_, static_cast<std::int16_t>(type_oids.size()));
  for (std::uint32_t oid : type_oids) AppendInt32(out_, static_cast<std::int32_t>(oid));
  End(start);
}

void PgBackendWriter::DataRow(const std::vector<std::optional<std::string_view>>& values) {
  BeginDataRow(static_cast<std::int16_t>(values.size()));
  for (const auto& value : values) {
    if (value) {
      AddValue(*value);
    } else {
      AddNull();
    }
  }
  EndDataRow();
}

void PgBackendWriter::BeginDataRow(std::int16_t column_count) {
  row_start_ = Begin('D');
  AppendInt16(out_, column_count);
}

void PgBackendWriter::AddNull() { AppendInt32(out_, -1); }

void PgBackendWriter::AddValue(std::string_view encoded) {
  AppendInt32(out_, static_cast<std::int32_t>(encoded.size()));
  out_.append(encoded);
}

std::string& PgBackendWriter::BeginValue() {
  value_start_ = out_.size();
  out_.append(4, '\0');
  return out_;
}

void PgBackendWriter::EndValue() {
  PatchInt32(out_, value_start_, static_cast<std::int32_t>(out_.size() - value_start_ - 4));
}

void PgBackendWriter::EndDataRow() { End(row_start_); }

void PgBackendWriter::CommandComplete(std::string_view tag) {
  std::size_t start = Begin('C');
  AppendCString(tag);
  End(start);
}

void PgBackendWriter::EmptyQueryResponse() { End(Begin('I')); }

void PgBackendWriter::Fields(char type, const PgErrorFields& fields) {
  std::size_t start = Begin(type);
  auto field = [&](char code, std::string_view value) {
    if (value.empty()) return;
    out_.push_back(code);
    AppendCString(value);
  };
  field('S', fields.severity);
  field('V', fields.severity);
  field('C', fields.sqlstate);
  field('M', fields.message);
  field('D', fields.detail);
  field('H', fields.hint);
  if (fields.position > 0) field('P', fmt::format("{}", fields.position));
  for (const auto& [code, value] : fields.extra) field(code, value);
  out_.push_back('\0');
  End(start);
}

void PgBackendWriter::ErrorResponse(const PgErrorFields& fields) { Fields('E', fields); }

void PgBackendWriter::NoticeResponse(const PgErrorFields& fields) { Fields('N', fields); }

void PgBackendWriter::ParseComplete() { End(Begin('1')); }

void PgBackendWriter::BindComplete() { End(Begin('2')); }

void PgBackendWriter::CloseComplete() { End(Begin('3')); }

void PgBackendWriter::NoData() { End(Begin('n')); }

void PgBackendWriter::PortalSuspended() { End(Begin('s')); }

void PgBackendWriter::CopyOutResponse(std::int8_t overall_format,
                                      const std::vector<std::int16_t>& column_formats) {
  std::size_t start = Begin('H');
  out_.push_back(static_cast<char>(overall_format));
  AppendInt16(out_, static_cast<std::int16_t>(column_formats.size()));
  for (std::int16_t format : column_formats) AppendInt16(out_, format);
  End(start);
}

void PgBackendWriter::CopyData(std::string_view data) {
  std::size_t start = Begin('d');
  out_.append(data);
  End(start);
}

std::string& PgBackendWriter::BeginCopyData() {
  row_start_ = Begin('d');
  return out_;
}

void PgBackendWriter::EndCopyData() { End(row_start_); }

void PgBackendWriter::CopyDone() { End(Begin('c')); }

}  // namespace quanta::ports
