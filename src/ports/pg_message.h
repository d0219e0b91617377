#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace quanta::ports {

// The PostgreSQL frontend/backend protocol, version 3.0: the messages a client sends, read
// incrementally from whatever pieces the socket delivers, and the messages a server sends,
// appended to an output buffer. Nothing here does I/O; the SQL port's session feeds bytes in and
// writes the buffer out. Errors are Status values: kProtocolViolation (SQLSTATE 08P01) for a
// malformed message (an oversized startup packet included, as in PostgreSQL), kTooLarge (54000)
// for a typed message beyond max_message_bytes; after either, the connection must be closed, as
// PostgreSQL does.

/// Protocol 3.0 as the startup message spells it: major << 16 | minor.
inline constexpr std::int32_t kPgProtocol30 = 3 << 16;
/// The codes that take the place of a protocol version in the untyped startup phase.
inline constexpr std::int32_t kPgSslRequestCode = 80877103;
inline constexpr std::int32_t kPgGssEncRequestCode = 80877104;
inline constexpr std::int32_t kPgCancelRequestCode = 80877102;

/// The bounds the reader enforces before it buffers a message.
struct PgMessageLimits {
  /// A typed message, its type byte and length field included. Checked against the length
  /// field as soon as the 5-byte header has arrived, before any of the body is buffered.
  std::uint32_t max_message_bytes = 64u * 1024 * 1024;
  /// The startup packet (PostgreSQL allows 10000 bytes).
  std::uint32_t max_startup_bytes = 10000;
  /// Parameters of one Parse or Bind message, and format codes of one Bind.
  std::size_t max_parameters = 65535;
};

/// StartupMessage: the protocol version and the connection parameters (user, database,
/// options, application_name, client_encoding, ...), in the order sent.
struct PgStartupMessage {
  std::int32_t protocol = kPgProtocol30;  ///< 3 << 16 | minor; the major version is always 3
  std::vector<std::pair<std::string, std::string>> parameters;

  /// The value of parameter `name`; when sent twice, the last one (PostgreSQL's rule).
  std::optional<std::string_view> Parameter(std::string_view name) const;
  /// The minor version the client asked for (0 for 3.0). A server that speaks only 3.0
  /// answers a higher one with NegotiateProtocolVersion and carries on in 3.0.
  int minor_version() const { return protocol & 0xFFFF; }
  /// Names of the protocol options (parameters starting with "_pq_."), which a 3.0 server
  /// lists as unrecognized in NegotiateProtocolVersion.
  std::vector<std::string> ProtocolOptions() const;
};

/// SSLRequest: the client asks for TLS before the startup message. A server without TLS
/// answers with the single byte 'N' (PgBackendWriter::RefuseEncryption) and reads on.
struct PgSslRequest {};
/// GSSENCRequest: the client asks for GSSAPI encryption; answered like SSLRequest.
struct PgGssEncRequest {};
/// CancelRequest: sent on a fresh connection to cancel the query of another one.
struct PgCancelRequest {
  std::int32_t process_id = 0;
  std::int32_t secret_key = 0;
};

/// Query ('Q'): simple query protocol, one string that may hold several statements.
struct PgQuery {
  std::string sql;
};

/// Parse ('P'): prepares `query` as statement `statement` ("" is the unnamed statement).
struct PgParse {
  std::string statement;
  std::string query;
  std::vector<std::uint32_t> parameter_types;  ///< OIDs; 0 leaves a parameter's type open
};

/// Bind ('B'): makes portal `portal` from prepared statement `statement`.
struct PgBind {
  std::string portal;
  std::string statement;
  /// Empty (all text), one (applies to all) or one per parameter; each 0 (text) or 1 (binary).
  std::vector<std::int16_t> parameter_formats;
  std::vector<std::optional<std::string>> parameters;  ///< nullopt is SQL NULL
  /// Empty (all text), one (applies to all) or one per result column; each 0 or 1.
  std::vector<std::int16_t> result_formats;

  /// The format of parameter `index` after the one-applies-to-all rule: 0 text, 1 binary.
  std::int16_t ParameterFormat(std::size_t index) const;
  /// The format of result column `index` after the same rule.
  std::int16_t ResultFormat(std::size_t index) const;
};

/// Which kind of object Describe and Close name.
enum class PgObjectKind : char { kStatement = 'S', kPortal = 'P' };

/// Describe ('D'): asks for ParameterDescription + RowDescription of a statement, or the
/// RowDescription of a portal.
struct PgDescribe {
  PgObjectKind kind = PgObjectKind::kStatement;
  std::string name;
};

/// Execute ('E'): runs a portal; `max_rows` 0 (or negative) means all rows.
struct PgExecute {
  std::string portal;
  std::int32_t max_rows = 0;
};

/// Close ('C'): drops a prepared statement or portal.
struct PgClose {
  PgObjectKind kind = PgObjectKind::kStatement;
  std::string name;
};

struct PgFlush {};      ///< Flush ('H'): send what is buffered
struct PgSync {};       ///< Sync ('S'): end of an extended-query batch
struct PgTerminate {};  ///< Terminate ('X'): the client is closing

/// 'p': PasswordMessage, SASLInitialResponse or SASLResponse; which one it is depends on the
/// authentication request the server sent last, so the reader keeps the raw body and the
/// session parses it with ParsePasswordMessage / ParseSaslInitialResponse (a SASLResponse is
/// the body itself).
struct PgPasswordMessage {
  std::string body;
};

/// CopyData ('d'), CopyDone ('c'), CopyFail ('f'): COPY FROM STDIN traffic.
struct PgCopyData {
  std::string data;
};
struct PgCopyDone {};
struct PgCopyFail {
  std::string reason;
};

/// FunctionCall ('F'): the legacy fast-path interface. Only the function OID is read, so that
/// the session can refuse the call by name; the arguments are skipped.
struct PgFunctionCall {
  std::uint32_t function_oid = 0;
};

/// Any message a client sends, in either phase.
using PgFrontendMessage =
    std::variant<PgStartupMessage, PgSslRequest, PgGssEncRequest, PgCancelRequest, PgQuery, PgParse,
                 PgBind, PgDescribe, PgExecute, PgClose, PgFlush, PgSync, PgTerminate,
                 PgPasswordMessage, PgCopyData, PgCopyDone, PgCopyFail, PgFunctionCall>;

/// A name for the message, for logs and errors: "Bind ('B')", "StartupMessage".
std::string_view PgMessageName(const PgFrontendMessage& message);

/// Reads frontend messages from a byte stream delivered in arbitrary pieces. It starts in the
/// untyped startup phase (length + code packets: StartupMessage, SSLRequest, GSSENCRequest,
/// CancelRequest) and switches to typed messages after the StartupMessage. Not thread-safe:
/// one reader per connection, used by the connection's strand.
class PgFrontendReader {
 public:
  explicit PgFrontendReader(PgMessageLimits limits = {});

  /// Appends bytes received from the client. Cheap; all parsing happens in Next.
  void Feed(std::string_view bytes);

  /// The next complete message, or nullopt when more bytes are needed. A malformed or
  /// oversized message gives an error naming the message, the field and the byte offset; the
  /// error is sticky (every later call returns it), since the stream cannot be resynchronised.
  Result<std::optional<PgFrontendMessage>> Next();

  /// True until a StartupMessage has been read.
  bool in_startup_phase() const { return startup_phase_; }
  /// Bytes fed but not yet returned as messages. After an SSLRequest is answered, a non-zero
  /// count means the client sent plain bytes it should have sent inside TLS; a server should
  /// close such a connection rather than read them (PostgreSQL's fix for CVE-2021-23214).
  std::size_t buffered_bytes() const { return buffer_.size() - read_position_; }
  /// Bytes consumed as complete messages so far (the stream offset of the next message).
  std::uint64_t stream_offset() const { return stream_offset_; }

 private:
  Result<std::optional<PgFrontendMessage>> NextStartup();
  Result<std::optional<PgFrontendMessage>> NextTyped();
  void Consume(std::size_t bytes);

  PgMessageLimits limits_;
  std::string buffer_;
  std::size_t read_position_ = 0;
  std::uint64_t stream_offset_ = 0;
  bool startup_phase_ = true;
  Status error_;
};

/// Parses the body of a PasswordMessage (answer to AuthenticationCleartextPassword): one
/// NUL-terminated string and nothing after it.
Result<std::string> ParsePasswordMessage(std::string_view body);

/// The body of a SASLInitialResponse: the mechanism the client chose and its first message
/// (nullopt when the client sent length -1, i.e. no initial response).
struct PgSaslInitialResponse {
  std::string mechanism;
  std::optional<std::string> data;
};
Result<PgSaslInitialResponse> ParseSaslInitialResponse(std::string_view body);

/// The transaction state ReadyForQuery reports.
enum class PgTransactionStatus : char { kIdle = 'I', kInTransaction = 'T', kFailed = 'E' };

/// One column of a RowDescription.
struct PgFieldDescription {
  std::string name;
  std::uint32_t table_oid = 0;      ///< 0 when the column is not a table column
  std::int16_t column_attr = 0;     ///< the column's attribute number, or 0
  std::uint32_t type_oid = 0;       ///< see pg_types.h
  std::int16_t type_size = -1;      ///< pg_type.typlen: negative for variable width
  std::int32_t type_modifier = -1;  ///< pg_attribute.atttypmod, -1 when none
  std::int16_t format = 0;          ///< 0 text, 1 binary
};

/// The fields of an ErrorResponse or NoticeResponse. Empty strings and a zero position are
/// left out of the message.
struct PgErrorFields {
  std::string severity = "ERROR";  ///< ERROR, FATAL, PANIC / WARNING, NOTICE, INFO, LOG...
  std::string sqlstate = "XX000";
  std::string message;
  std::string detail;
  std::string hint;
  int position = 0;  ///< 1-based character position in the query string
  /// Any other field (e.g. {'W', where}, {'s', schema}, {'t', table}, {'c', column}), in order.
  std::vector<std::pair<char, std::string>> extra;

  /// The fields for a failed Status: its SQLSTATE from the shared error table, its message.
  static PgErrorFields FromStatus(const Status& status, std::string severity = "ERROR");
};

/// Appends backend messages to a caller-owned buffer, which the session sends and clears.
/// Each call appends one whole message, except DataRow, which is written in pieces so that a
/// row costs no allocation beyond the buffer's own growth. Strings are C strings on the wire:
/// a NUL byte inside one is dropped rather than allowed to cut the message. Not thread-safe.
class PgBackendWriter {
 public:
  /// `buffer` must outlive the writer; messages are appended after what it already holds.
  explicit PgBackendWriter(std::string* buffer) : out_(*buffer) {}

  /// The single byte 'N' that refuses an SSLRequest or GSSENCRequest (not a framed message).
  void RefuseEncryption();
  void AuthenticationOk();
  void AuthenticationCleartextPassword();
  /// AuthenticationSASL with the mechanisms offered, e.g. {"SCRAM-SHA-256"}.
  void AuthenticationSasl(const std::vector<std::string>& mechanisms);
  void AuthenticationSaslContinue(std::string_view data);
  void AuthenticationSaslFinal(std::string_view data);
  void ParameterStatus(std::string_view name, std::string_view value);
  void BackendKeyData(std::int32_t process_id, std::int32_t secret_key);
  void ReadyForQuery(PgTransactionStatus status);
  /// NegotiateProtocolVersion: the newest minor version this server supports and the protocol
  /// options it did not recognise.
  void NegotiateProtocolVersion(std::int32_t newest_minor,
                                const std::vector<std::string>& unrecognized_options);

  void RowDescription(const std::vector<PgFieldDescription>& fields);
  void ParameterDescription(const std::vector<std::uint32_t>& type_oids);
  /// DataRow from whole values; nullopt is NULL.
  void DataRow(const std::vector<std::optional<std::string_view>>& values);

  /// The DataRow fast path: BeginDataRow(n), then for each of the n columns either AddNull,
  /// AddValue, or BeginValue + appending the encoded value to the returned buffer + EndValue;
  /// then EndDataRow. The writer checks nothing about the count: the caller writes n columns.
  void BeginDataRow(std::int16_t column_count);
  void AddNull();
  void AddValue(std::string_view encoded);
  /// Starts a value whose bytes the caller appends to the returned buffer (e.g. with the
  /// pg_types encoders); EndValue writes its length.
  std::string& BeginValue();
  void EndValue();
  void EndDataRow();

  /// CommandComplete with its tag: "SELECT 5", "INSERT 0 1", "BEGIN"...
  void CommandComplete(std::string_view tag);
  void EmptyQueryResponse();
  void ErrorResponse(const PgErrorFields& fields);
  void NoticeResponse(const PgErrorFields& fields);
  void ParseComplete();
  void BindComplete();
  void CloseComplete();
  void NoData();
  void PortalSuspended();
  /// CopyOutResponse: overall format (0 text, 1 binary) and one format per column.
  void CopyOutResponse(std::int8_t overall_format, const std::vector<std::int16_t>& column_formats);
  void CopyData(std::string_view data);
  /// The CopyData fast path: BeginCopyData, append the row's bytes to the returned buffer,
  /// then EndCopyData writes the message's length.
  std::string& BeginCopyData();
  void EndCopyData();
  void CopyDone();

 private:
  std::size_t Begin(char type);
  void End(std::size_t start);
  void AppendCString(std::string_view text);
  void Fields(char type, const PgErrorFields& fields);

  std::string& out_;
  std::size_t row_start_ = 0;
  std::size_t value_start_ = 0;
};

}  // namespace quanta::ports
