#include "ports/pg_message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ports/pg_byte_order.h"
#include "testing/matchers.h"

namespace quanta::ports {
namespace {

// What a client puts on the wire, written here independently of the reader under test.
std::string Int16Bytes(int value) {
  std::string out;
  AppendInt16(out, static_cast<std::int16_t>(value));
  return out;
}
std::string Int32Bytes(std::int64_t value) {
  std::string out;
  AppendInt32(out, static_cast<std::int32_t>(value));
  return out;
}
std::string CStr(std::string_view text) { return std::string(text) + '\0'; }
std::string Typed(char type, const std::string& body) {
  return std::string(1, type) + Int32Bytes(static_cast<std::int64_t>(body.size()) + 4) + body;
}
std::string Untyped(std::int32_t code, const std::string& body) {
  return Int32Bytes(static_cast<std::int64_t>(body.size()) + 8) + Int32Bytes(code) + body;
}
std::string Startup(const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string body;
  for (const auto& [key, value] : parameters) body += CStr(key) + CStr(value);
  body += '\0';
  return Untyped(kPgProtocol30, body);
}

// The next message, which the test has fed completely.
Result<PgFrontendMessage> NextMessage(PgFrontendReader& reader) {
  QUANTA_ASSIGN_OR_RETURN(std::optional<PgFrontendMessage> message, reader.Next());
  if (!message.has_value()) return Status::Internal("the reader wants more bytes");
  return std::move(*message);
}

// Feeds `bytes` in pieces of `piece` bytes and collects every message until the input ends.
Result<std::vector<PgFrontendMessage>> ReadAll(PgFrontendReader& reader, std::string_view bytes,
                                               std::size_t piece) {
  std::vector<PgFrontendMessage> messages;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    reader.Feed(bytes.substr(at, piece));
    while (true) {
      QUANTA_ASSIGN_OR_RETURN(std::optional<PgFrontendMessage> message, reader.Next());
      if (!message) break;
      messages.push_back(std::move(*message));
    }
  }
  return messages;
}

PgMessageLimits MessageLimit(std::uint32_t max_message_bytes) {
  PgMessageLimits limits;
  limits.max_message_bytes = max_message_bytes;
  return limits;
}
PgMessageLimits ParameterLimit(std::size_t max_parameters) {
  PgMessageLimits limits;
  limits.max_parameters = max_parameters;
  return limits;
}

Status ReadError(std::string_view bytes, PgMessageLimits limits = {}, bool typed = true) {
  PgFrontendReader reader(limits);
  std::string input = typed ? Startup({{"user", "u"}}) + std::string(bytes) : std::string(bytes);
  Result<std::vector<PgFrontendMessage>> result = ReadAll(reader, input, input.size());
  if (result.ok()) return Status::Ok();
  return result.status();
}

TEST(PgFrontendReaderTest, ReadsAStartupMessageFedOneByteAtATime) {
  PgFrontendReader reader;
  std::string bytes = Startup({{"user", "alice"}, {"database", "orders"}, {"options", ""}}) +
                      Typed('Q', CStr("SELECT 1"));
  ASSERT_OK_AND_ASSIGN(auto messages, ReadAll(reader, bytes, 1));
  ASSERT_EQ(messages.size(), 2u);
  const auto& startup = std::get<PgStartupMessage>(messages[0]);
  EXPECT_EQ(startup.minor_version(), 0);
  EXPECT_EQ(startup.Parameter("user"), "alice");
  EXPECT_EQ(startup.Parameter("database"), "orders");
  EXPECT_EQ(startup.Parameter("options"), "");
  EXPECT_FALSE(startup.Parameter("application_name").has_value());
  EXPECT_EQ(std::get<PgQuery>(messages[1]).sql, "SELECT 1");
  EXPECT_FALSE(reader.in_startup_phase());
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  EXPECT_EQ(reader.stream_offset(), bytes.size());
}

TEST(PgFrontendReaderTest, StaysInTheStartupPhaseAfterAnSslRequest) {
  PgFrontendReader reader;
  reader.Feed(Untyped(kPgSslRequestCode, ""));
  ASSERT_OK_AND_ASSIGN(PgFrontendMessage message, NextMessage(reader));
  EXPECT_TRUE(std::holds_alternative<PgSslRequest>(message));
  EXPECT_TRUE(reader.in_startup_phase());
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  reader.Feed(Untyped(kPgGssEncRequestCode, ""));
  ASSERT_OK_AND_ASSIGN(message, NextMessage(reader));
  EXPECT_TRUE(std::holds_alternative<PgGssEncRequest>(message));
  reader.Feed(Startup({{"user", "bob"}}));
  ASSERT_OK_AND_ASSIGN(message, NextMessage(reader));
  EXPECT_EQ(std::get<PgStartupMessage>(message).Parameter("user"), "bob");
}

TEST(PgFrontendReaderTest, CountsBytesSentAfterAnSslRequestBeforeTheAnswer) {
  // A client (or an attacker in the middle) that sends plain bytes right behind an SSLRequest:
  // the session must see them before it starts TLS.
  PgFrontendReader reader;
  reader.Feed(Untyped(kPgSslRequestCode, "") + Typed('Q', CStr("SELECT 1")));
  ASSERT_OK_AND_ASSIGN(PgFrontendMessage message, NextMessage(reader));
  EXPECT_TRUE(std::holds_alternative<PgSslRequest>(message));
  EXPECT_EQ(reader.buffered_bytes(), 14u);
}

TEST(PgFrontendReaderTest, ReadsACancelRequest) {
  PgFrontendReader reader;
  reader.Feed(Untyped(kPgCancelRequestCode, Int32Bytes(4242) + Int32Bytes(-77)));
  ASSERT_OK_AND_ASSIGN(PgFrontendMessage message, NextMessage(reader));
  const auto& cancel = std::get<PgCancelRequest>(message);
  EXPECT_EQ(cancel.process_id, 4242);
  EXPECT_EQ(cancel.secret_key, -77);
}

TEST(PgFrontendReaderTest, KeepsTheMinorVersionAndProtocolOptions) {
  PgFrontendReader reader;
  std::string body = CStr("user") + CStr("u") + CStr("_pq_.compression") + CStr("on") + '\0';
  reader.Feed(Untyped(kPgProtocol30 | 2, body));
  ASSERT_OK_AND_ASSIGN(PgFrontendMessage message, NextMessage(reader));
  const auto& startup = std::get<PgStartupMessage>(message);
  EXPECT_EQ(startup.minor_version(), 2);
  EXPECT_EQ(startup.ProtocolOptions(), std::vector<std::string>{"_pq_.compression"});
}

TEST(PgFrontendReaderTest, TheLastOfARepeatedStartupParameterWins) {
  PgFrontendReader reader;
  reader.Feed(Startup({{"user", "a"}, {"user", "b"}}));
  ASSERT_OK_AND_ASSIGN(PgFrontendMessage message, NextMessage(reader));
  EXPECT_EQ(std::get<PgStartupMessage>(message).Parameter("user"), "b");
}

TEST(PgFrontendReaderTest, RefusesOtherProtocolVersions) {
  Status status = ReadError(Untyped(2 << 16, CStr("user") + CStr("u") + '\0'), {}, false);
  EXPECT_EQ(status.code(), ErrorCode::kProtocolViolation);
  EXPECT_EQ(InfoFor(status.code()).sqlstate, "08P01");
  EXPECT_NE(status.message().find("protocol version at byte 4 is 2.0"), std::string::npos)
      << status.message();
  status = ReadError(Untyped(1234 << 16 | 5000, ""), {}, false);
  EXPECT_NE(status.message().find("1234.5000"), std::string::npos) << status.message();
}

TEST(PgFrontendReaderTest, RefusesMalformedStartupPackets) {
  // Shorter than its own header.
  Status status = ReadError(Int32Bytes(4) + Int32Bytes(kPgProtocol30), {}, false);
  EXPECT_NE(status.message().find("length field at byte 0 is 4"), std::string::npos)
      << status.message();
  // Longer than max_startup_bytes: refused from the 4 length bytes alone.
  PgFrontendReader reader;
  reader.Feed(Int32Bytes(10001));
  Result<std::optional<PgFrontendMessage>> next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("10001 bytes, over the limit of 10000"), std::string::npos)
      << next.status().message();
  // A parameter without a value, then the end of the packet.
  status = ReadError(Untyped(kPgProtocol30, CStr("user")), {}, false);
  EXPECT_NE(status.message().find("value of parameter \"user\" at byte 13 has no terminating NUL"),
            std::string::npos)
      << status.message();
  // Bytes after the terminating NUL.
  status = ReadError(Untyped(kPgProtocol30, CStr("user") + CStr("u") + '\0' + "xy"), {}, false);
  EXPECT_NE(status.message().find("2 unexpected bytes"), std::string::npos) << status.message();
  // An SSLRequest with a body.
  status = ReadError(Untyped(kPgSslRequestCode, "abcd"), {}, false);
  EXPECT_NE(status.message().find("SSLRequest is exactly 8 bytes"), std::string::npos)
      << status.message();
  // A CancelRequest without its key.
  status = ReadError(Untyped(kPgCancelRequestCode, Int32Bytes(1)), {}, false);
  EXPECT_NE(status.message().find("CancelRequest is exactly 16 bytes"), std::string::npos)
      << status.message();
}

// Parse + Bind + Describe + Execute + Sync, as libpq's PQexecParams sends them.
std::string ExtendedQuery() {
  std::string parse = CStr("s1") + CStr("SELECT $1::int, $2, $3") + Int16Bytes(3) + Int32Bytes(23) +
                      Int32Bytes(0) + Int32Bytes(25);
  std::string bind = CStr("p1") + CStr("s1") + Int16Bytes(3) + Int16Bytes(1) + Int16Bytes(0) +
                     Int16Bytes(0) + Int16Bytes(3) + Int32Bytes(4) + Int32Bytes(7) +
                     Int32Bytes(-1) + Int32Bytes(0) + Int16Bytes(1) + Int16Bytes(1);
  return Typed('P', parse) + Typed('B', bind) + Typed('D', "P" + CStr("p1")) +
         Typed('E', CStr("p1") + Int32Bytes(100)) + Typed('C', "S" + CStr("s1")) + Typed('H', "") +
         Typed('S', "");
}

void CheckExtendedQuery(const std::vector<PgFrontendMessage>& messages) {
  ASSERT_EQ(messages.size(), 8u);
  const auto& parse = std::get<PgParse>(messages[1]);
  EXPECT_EQ(parse.statement, "s1");
  EXPECT_EQ(parse.query, "SELECT $1::int, $2, $3");
  EXPECT_EQ(parse.parameter_types, (std::vector<std::uint32_t>{23, 0, 25}));
  const auto& bind = std::get<PgBind>(messages[2]);
  EXPECT_EQ(bind.portal, "p1");
  EXPECT_EQ(bind.statement, "s1");
  ASSERT_EQ(bind.parameters.size(), 3u);
  EXPECT_EQ(bind.parameters[0], Int32Bytes(7));
  EXPECT_EQ(bind.parameters[1], std::nullopt);
  EXPECT_EQ(bind.parameters[2], "");  // empty, not NULL
  EXPECT_EQ(bind.ParameterFormat(0), 1);
  EXPECT_EQ(bind.ParameterFormat(1), 0);
  EXPECT_EQ(bind.ResultFormat(0), 1);
  EXPECT_EQ(bind.ResultFormat(5), 1);  // one code applies to every column
  const auto& describe = std::get<PgDescribe>(messages[3]);
  EXPECT_EQ(describe.kind, PgObjectKind::kPortal);
  EXPECT_EQ(describe.name, "p1");
  const auto& execute = std::get<PgExecute>(messages[4]);
  EXPECT_EQ(execute.portal, "p1");
  EXPECT_EQ(execute.max_rows, 100);
  const auto& close = std::get<PgClose>(messages[5]);
  EXPECT_EQ(close.kind, PgObjectKind::kStatement);
  EXPECT_EQ(close.name, "s1");
  EXPECT_TRUE(std::holds_alternative<PgFlush>(messages[6]));
  EXPECT_TRUE(std::holds_alternative<PgSync>(messages[7]));
}

TEST(PgFrontendReaderTest, ReadsTheExtendedQueryProtocolInAnySplit) {
  std::string bytes = Startup({{"user", "u"}}) + ExtendedQuery();
  for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                            std::size_t{64}, bytes.size()}) {
    PgFrontendReader reader;
    ASSERT_OK_AND_ASSIGN(auto messages, ReadAll(reader, bytes, piece));
    CheckExtendedQuery(messages);
  }
  // Every split into two pieces.
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    PgFrontendReader reader;
    std::vector<PgFrontendMessage> messages;
    for (std::string_view part :
         {std::string_view(bytes).substr(0, cut), std::string_view(bytes).substr(cut)}) {
      reader.Feed(part);
      while (true) {
        ASSERT_OK_AND_ASSIGN(auto message, reader.Next());
        if (!message) break;
        messages.push_back(std::move(*message));
      }
    }
    CheckExtendedQuery(messages);
  }
}

TEST(PgFrontendReaderTest, ReadsAuthenticationCopyAndFunctionCallMessages) {
  std::string sasl = CStr("SCRAM-SHA-256") + Int32Bytes(5) + "n,,ab";
  std::string bytes = Typed('p', sasl) + Typed('d', std::string("a\0b", 3)) + Typed('c', "") +
                      Typed('f', CStr("no more")) +
                      Typed('F', Int32Bytes(1598) + Int16Bytes(0) + Int16Bytes(0)) + Typed('X', "");
  PgFrontendReader reader;
  ASSERT_OK_AND_ASSIGN(auto messages, ReadAll(reader, Startup({{"user", "u"}}) + bytes, 5));
  ASSERT_EQ(messages.size(), 7u);
  const auto& password = std::get<PgPasswordMessage>(messages[1]);
  ASSERT_OK_AND_ASSIGN(PgSaslInitialResponse initial, ParseSaslInitialResponse(password.body));
  EXPECT_EQ(initial.mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(initial.data, "n,,ab");
  EXPECT_EQ(std::get<PgCopyData>(messages[2]).data, std::string("a\0b", 3));
  EXPECT_TRUE(std::holds_alternative<PgCopyDone>(messages[3]));
  EXPECT_EQ(std::get<PgCopyFail>(messages[4]).reason, "no more");
  EXPECT_EQ(std::get<PgFunctionCall>(messages[5]).function_oid, 1598u);
  EXPECT_TRUE(std::holds_alternative<PgTerminate>(messages[6]));
  EXPECT_EQ(PgMessageName(messages[5]), "FunctionCall ('F')");
}

TEST(PgPasswordParseTest, ParsesPasswordAndSaslBodies) {
  ASSERT_OK_AND_ASSIGN(std::string password, ParsePasswordMessage(CStr("s3cret")));
  EXPECT_EQ(password, "s3cret");
  EXPECT_FALSE(ParsePasswordMessage("s3cret").ok());            // no NUL
  EXPECT_FALSE(ParsePasswordMessage(CStr("a") + "junk").ok());  // bytes after it
  ASSERT_OK_AND_ASSIGN(PgSaslInitialResponse none,
                       ParseSaslInitialResponse(CStr("SCRAM-SHA-256") + Int32Bytes(-1)));
  EXPECT_FALSE(none.data.has_value());
  Result<PgSaslInitialResponse> overrun =
      ParseSaslInitialResponse(CStr("SCRAM-SHA-256") + Int32Bytes(50) + "short");
  ASSERT_FALSE(overrun.ok());
  EXPECT_EQ(overrun.status().code(), ErrorCode::kProtocolViolation);
  EXPECT_NE(overrun.status().message().find("initial response at byte 23 needs 50 bytes"),
            std::string::npos)
      << overrun.status().message();
  EXPECT_FALSE(ParseSaslInitialResponse(CStr("SCRAM-SHA-256") + Int32Bytes(-2)).ok());
  EXPECT_FALSE(ParseSaslInitialResponse(CStr("SCRAM-SHA-256") + Int32Bytes(1) + "ab").ok());
}

TEST(PgFrontendReaderTest, RefusesAnOversizedMessageFromItsHeaderAlone) {
  PgFrontendReader reader(MessageLimit(1024));
  reader.Feed(Startup({{"user", "u"}}));
  ASSERT_OK(reader.Next());
  reader.Feed(std::string("Q") + Int32Bytes(1 << 30));  // only the header of a 1 GiB query
  Result<std::optional<PgFrontendMessage>> next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), ErrorCode::kTooLarge);
  EXPECT_EQ(InfoFor(next.status().code()).sqlstate, "54000");
  EXPECT_NE(next.status().message().find("Query ('Q') at stream offset 16: length field at byte "
                                         "1 announces 1073741825 bytes, over the limit of 1024"),
            std::string::npos)
      << next.status().message();
  // The error is sticky: the stream cannot be resynchronised.
  reader.Feed(Typed('S', ""));
  EXPECT_FALSE(reader.Next().ok());
}

TEST(PgFrontendReaderTest, AMessageExactlyAtTheLimitIsRead) {
  PgFrontendReader reader(MessageLimit(20));
  std::string query = Typed('Q', CStr(std::string(14, 'x')));  // 1 + 4 + 15 = 20 bytes
  ASSERT_EQ(query.size(), 20u);
  ASSERT_OK_AND_ASSIGN(auto messages, ReadAll(reader, Startup({{"user", "u"}}) + query, 3));
  EXPECT_EQ(messages.size(), 2u);
  EXPECT_EQ(ReadError(Typed('Q', CStr(std::string(15, 'x'))), MessageLimit(20)).code(),
            ErrorCode::kTooLarge);
}

TEST(PgFrontendReaderTest, RefusesUnknownTypesAndBadLengths) {
  Status status = ReadError("Z" + Int32Bytes(4));
  EXPECT_EQ(status.code(), ErrorCode::kProtocolViolation);
  EXPECT_NE(status.message().find("type byte 0x5a at byte 0 is not a frontend message type"),
            std::string::npos)
      << status.message();
  status = ReadError("Q" + Int32Bytes(3));
  EXPECT_NE(status.message().find("length field at byte 1 is 3"), std::string::npos)
      << status.message();
  status = ReadError("Q" + Int32Bytes(-8));
  EXPECT_NE(status.message().find("length field at byte 1 is -8"), std::string::npos)
      << status.message();
}

TEST(PgFrontendReaderTest, NamesTheFieldAndOffsetOfAMalformedMessage) {
  // The query string runs to the end of the message without a NUL.
  Status status = ReadError(Typed('Q', "SELECT 1"));
  EXPECT_EQ(status.message(),
            "Query ('Q') at stream offset 16: query string at byte 5 has no terminating NUL "
            "byte before the end of the message");
  // A Sync with a body.
  status = ReadError(Typed('S', "x"));
  EXPECT_NE(status.message().find("Sync ('S')"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("1 unexpected bytes"), std::string::npos) << status.message();
  // A Describe of something that is neither statement nor portal.
  status = ReadError(Typed('D', "Q" + CStr("x")));
  EXPECT_NE(status.message().find("object kind at byte 5 is 0x51"), std::string::npos)
      << status.message();
  // An Execute whose row count is cut off.
  status = ReadError(Typed('E', CStr("") + Int16Bytes(0)));
  EXPECT_NE(status.message().find("maximum row count at byte 6 is cut off"), std::string::npos)
      << status.message();
}

TEST(PgFrontendReaderTest, RefusesBindMessagesWhoseCountsOverrunTheMessage) {
  std::string names = CStr("") + CStr("");
  // 1000 parameters announced, none sent.
  Status status = ReadError(Typed('B', names + Int16Bytes(0) + Int16Bytes(1000)));
  EXPECT_NE(status.message().find("Bind ('B') at stream offset 16: parameter count at byte 9 is "
                                  "1000, but only 0 bytes follow"),
            std::string::npos)
      << status.message();
  // A negative length other than -1.
  status =
      ReadError(Typed('B', names + Int16Bytes(0) + Int16Bytes(1) + Int32Bytes(-5) + Int16Bytes(0)));
  EXPECT_NE(status.message().find("parameter 1 length at byte 11 is -5"), std::string::npos)
      << status.message();
  // A length beyond the end of the message.
  status = ReadError(
      Typed('B', names + Int16Bytes(0) + Int16Bytes(1) + Int32Bytes(100) + "ab" + Int16Bytes(0)));
  EXPECT_NE(status.message().find("parameter 1 value at byte 15 needs 100 bytes, but only 4"),
            std::string::npos)
      << status.message();
  // Two format codes for three parameters.
  status =
      ReadError(Typed('B', names + Int16Bytes(2) + Int16Bytes(0) + Int16Bytes(0) + Int16Bytes(3) +
                               Int32Bytes(-1) + Int32Bytes(-1) + Int32Bytes(-1) + Int16Bytes(0)));
  EXPECT_NE(status.message().find("parameter count at byte 13 is 3, but 2 parameter format codes"),
            std::string::npos)
      << status.message();
  // A format code that is neither text nor binary.
  status =
      ReadError(Typed('B', names + Int16Bytes(1) + Int16Bytes(2) + Int16Bytes(0) + Int16Bytes(0)));
  EXPECT_NE(status.message().find("parameter format code at byte 9 is 2"), std::string::npos)
      << status.message();
  // A Parse with more parameter types than bytes.
  status = ReadError(Typed('P', CStr("") + CStr("SELECT $1") + Int16Bytes(2) + Int32Bytes(23)));
  EXPECT_NE(status.message().find("parameter type count at byte 16 is 2, but only 4 bytes"),
            std::string::npos)
      << status.message();
}

TEST(PgFrontendReaderTest, EnforcesTheParameterLimit) {
  std::string bind = CStr("") + CStr("") + Int16Bytes(0) + Int16Bytes(3);
  for (int i = 0; i < 3; ++i) bind += Int32Bytes(-1);
  bind += Int16Bytes(0);
  EXPECT_OK(ReadError(Typed('B', bind), ParameterLimit(3)));
  Status status = ReadError(Typed('B', bind), ParameterLimit(2));
  EXPECT_NE(status.message().find("parameter count at byte 9 is 3, over the limit of 2"),
            std::string::npos)
      << status.message();
}

TEST(PgFrontendReaderTest, ReadsCountsAsUnsigned) {
  // 40000 parameter types fits PostgreSQL's unsigned 16-bit count; the bytes must follow.
  std::string parse = CStr("") + CStr("q") + Int16Bytes(40000);
  for (int i = 0; i < 40000; ++i) parse += Int32Bytes(25);
  PgFrontendReader reader;
  ASSERT_OK_AND_ASSIGN(auto messages,
                       ReadAll(reader, Startup({{"user", "u"}}) + Typed('P', parse), 4096));
  EXPECT_EQ(std::get<PgParse>(messages[1]).parameter_types.size(), 40000u);
}

std::string Written(const std::function<void(PgBackendWriter&)>& write) {
  std::string out;
  PgBackendWriter writer(&out);
  write(writer);
  return out;
}

TEST(PgBackendWriterTest, WritesAuthenticationMessages) {
  using namespace std::string_literals;
  EXPECT_EQ(Written([](auto& w) { w.AuthenticationOk(); }), "R\0\0\0\x08\0\0\0\0"s);
  EXPECT_EQ(Written([](auto& w) { w.AuthenticationCleartextPassword(); }),
            "R\0\0\0\x08\0\0\0\x03"s);
  EXPECT_EQ(Written([](auto& w) { w.AuthenticationSasl({"SCRAM-SHA-256"}); }),
            "R\0\0\0\x17\0\0\0\x0aSCRAM-SHA-256\0\0"s);
  EXPECT_EQ(Written([](auto& w) { w.AuthenticationSaslContinue("r=abc"); }),
            "R\0\0\0\x0d\0\0\0\x0br=abc"s);
  EXPECT_EQ(Written([](auto& w) { w.AuthenticationSaslFinal("v=x"); }),
            "R\0\0\0\x0b\0\0\0\x0cv=x"s);
  EXPECT_EQ(Written([](auto& w) { w.RefuseEncryption(); }), "N");
}

TEST(PgBackendWriterTest, WritesSessionMessages) {
  using namespace std::string_literals;
  EXPECT_EQ(Written([](auto& w) { w.ParameterStatus("TimeZone", "UTC"); }),
            "S\0\0\0\x11TimeZone\0UTC\0"s);
  EXPECT_EQ(Written([](auto& w) { w.BackendKeyData(1, -1); }),
            "K\0\0\0\x0c\0\0\0\x01\xff\xff\xff\xff"s);
  EXPECT_EQ(Written([](auto& w) { w.ReadyForQuery(PgTransactionStatus::kIdle); }), "Z\0\0\0\x05I"s);
  EXPECT_EQ(Written([](auto& w) { w.ReadyForQuery(PgTransactionStatus::kFailed); }),
            "Z\0\0\0\x05"
            "E"s);
  EXPECT_EQ(Written([](auto& w) { w.NegotiateProtocolVersion(0, {"_pq_.x"}); }),
            "v\0\0\0\x13\0\x03\0\0\0\0\0\x01_pq_.x\0"s);
  EXPECT_EQ(Written([](auto& w) { w.CommandComplete("SELECT 2"); }), "C\0\0\0\x0dSELECT 2\0"s);
  EXPECT_EQ(Written([](auto& w) {
              w.EmptyQueryResponse();
              w.ParseComplete();
              w.BindComplete();
              w.CloseComplete();
              w.NoData();
              w.PortalSuspended();
              w.CopyDone();
            }),
            "I\0\0\0\x04"
            "1\0\0\0\x04"
            "2\0\0\0\x04"
            "3\0\0\0\x04"
            "n\0\0\0\x04"
            "s\0\0\0\x04"
            "c\0\0\0\x04"s);
  EXPECT_EQ(Written([](auto& w) {
              w.ParameterDescription({23, 25});
            }),
            "t\0\0\0\x0e\0\x02\0\0\0\x17\0\0\0\x19"s);
  EXPECT_EQ(Written([](auto& w) { w.CopyOutResponse(0, {0, 0}); }), "H\0\0\0\x0b\0\0\x02\0\0\0\0"s);
  EXPECT_EQ(Written([](auto& w) { w.CopyData("a\tb\n"); }),
            "d\0\0\0\x08"
            "a\tb\n"s);
}

TEST(PgBackendWriterTest, WritesRowDescriptionAndDataRows) {
  using namespace std::string_literals;
  PgFieldDescription id{"id", 16384, 1, 23, 4, -1, 0};
  PgFieldDescription name{"name", 0, 0, 25, -1, -1, 1};
  EXPECT_EQ(Written([&](auto& w) {
              w.RowDescription({id, name});
            }),
            "T\0\0\0\x32\0\x02"
            "id\0\0\0\x40\0\0\x01\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0"
            "name\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\xff\xff\xff\xff\0\x01"s);
  std::string whole = Written([](auto& w) { w.DataRow({"42", std::nullopt, ""}); });
  EXPECT_EQ(whole,
            "D\0\0\0\x14\0\x03\0\0\0\x02"
            "42\xff\xff\xff\xff\0\0\0\0"s);
  std::string pieces = Written([](PgBackendWriter& w) {
    w.BeginDataRow(3);
    std::string& value = w.BeginValue();
    value += "4";
    value += "2";
    w.EndValue();
    w.AddNull();
    w.AddValue("");
    w.EndDataRow();
  });
  EXPECT_EQ(pieces, whole);
}

TEST(PgBackendWriterTest, WritesErrorFieldsAndDropsNulBytes) {
  using namespace std::string_literals;
  PgErrorFields fields;
  fields.sqlstate = "42P01";
  fields.message = "table \"x\0y\" does not exist"s;
  fields.hint = "list tables";
  fields.position = 15;
  fields.extra = {{'t', "x"}};
  std::string body =
      "SERROR\0VERROR\0C42P01\0Mtable \"xy\" does not exist\0Hlist tables\0P15\0tx\0\0"s;
  EXPECT_EQ(Written([&](auto& w) { w.ErrorResponse(fields); }),
            "E"s + Int32Bytes(static_cast<std::int64_t>(body.size()) + 4) + body);
  fields.severity = "NOTICE";
  std::string notice = Written([&](auto& w) { w.NoticeResponse(fields); });
  EXPECT_EQ(notice[0], 'N');
  EXPECT_NE(notice.find("SNOTICE\0VNOTICE\0"s), std::string::npos);
}

TEST(PgBackendWriterTest, MapsAStatusToItsSqlstate) {
  PgErrorFields fields = PgErrorFields::FromStatus(Status::TooLarge("message too big"), "FATAL");
  EXPECT_EQ(fields.sqlstate, "54000");
  EXPECT_EQ(fields.severity, "FATAL");
  EXPECT_EQ(fields.message, "message too big");
  EXPECT_EQ(PgErrorFields::FromStatus(Status::ProtocolViolation("x")).sqlstate, "08P01");
  EXPECT_EQ(PgErrorFields::FromStatus(Status::AuthFailed("x")).sqlstate, "28P01");
}

TEST(PgBackendWriterTest, AppendsAfterWhatTheBufferHolds) {
  std::string out = "prefix";
  PgBackendWriter writer(&out);
  writer.ReadyForQuery(PgTransactionStatus::kInTransaction);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6), std::string("Z\0\0\0\x05T", 6));
}

}  // namespace
}  // namespace quanta::ports
