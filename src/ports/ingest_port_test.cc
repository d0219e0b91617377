#include "ports/ingest_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SplitRecordsTest, TakesEachNonBlankLineOfNdjsonAsItIs) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> records,
                       SplitRecords("{\"a\": 1}\r\n\n  \n{not json\n{\"b\":2}", ""));
  EXPECT_THAT(records, ElementsAre("{\"a\": 1}", "{not json", "{\"b\":2}"));
}

TEST(SplitRecordsTest, TakesEachElementOfAnArrayOnOneLine) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> records,
      SplitRecords("[{\"b\": 1,\n \"a\": \"x\\ny\"},\n 7, [1,\r\n2], {\"a\": 1, \"a\": 2}]", ""));
  EXPECT_THAT(records, ElementsAre("{\"b\":1,\"a\":\"x\\ny\"}", "7", "[1,2]", "{\"a\":1,\"a\":2}"));
  ASSERT_OK_AND_ASSIGN(records, SplitRecords("  [ ]  ", "application/json; charset=utf-8"));
  EXPECT_THAT(records, ElementsAre());
}

TEST(SplitRecordsTest, ReadsArraysThatOnlyNlohmannJsonReads) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> records,
      SplitRecords("[{\"n\": 123456789012345678901234567890}, {\"s\": \"[[\"}]", ""));
  EXPECT_THAT(records, ElementsAre("{\"n\":123456789012345678901234567890}", "{\"s\":\"[[\"}"));
}

TEST(SplitRecordsTest, KeepsEveryDigitOfANumberAsSent) {
  // A double reads 1.0000000000000001 as 1, and -9223372036854775809 as -2^63: the records
  // keep the digits, for the checks to judge.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> records,
                       SplitRecords("[{\"q\": 1.0000000000000001}, {\"q\": 1e2},\n"
                                    " {\"q\": -9223372036854775809, \"s\": \"a, \\\"b]\"}]",
                                    ""));
  EXPECT_THAT(records, ElementsAre("{\"q\":1.0000000000000001}", "{\"q\":1e2}",
                                   "{\"q\":-9223372036854775809,\"s\":\"a, \\\"b]\"}"));
}

TEST(SplitRecordsTest, RefusesHostileNestingWithoutRecursingPerLevel) {
  // Deep enough to overflow a recursive writer's stack: refused with the depth named.
  std::string deep = std::string(200000, '[') + std::string(200000, ']');
  Result<std::vector<std::string>> records = SplitRecords("[" + deep + "]", "");
  ASSERT_FALSE(records.ok());
  EXPECT_THAT(records.status().message(), HasSubstr("200001 levels deep"));
}

TEST(SplitRecordsTest, RefusesABodyThatIsNotAnArray) {
  for (std::string body : {"[{\"a\": 1}", "[1, 2,]", "{\"a\": 1}", "[\"caf\xC3\"]"}) {
    Result<std::vector<std::string>> records = SplitRecords(body, "application/json");
    ASSERT_FALSE(records.ok()) << body;
    EXPECT_THAT(records.status().message(), HasSubstr("not a JSON array of records")) << body;
  }
}

TEST(SplitRecordsTest, SaysWhereAndWhyAnArrayBodyIsNotJson) {
  auto message = [](const std::string& body) {
    Result<std::vector<std::string>> records = SplitRecords(body, "application/json");
    return records.ok() ? std::string("accepted") : records.status().message();
  };
  // Offsets count from the body's first byte, blanks before the array included.
  EXPECT_THAT(message("  [{\"a\": 1},]"),
              ::testing::StartsWith("the body is not a JSON array of records: not valid JSON at "
                                    "byte 12: unexpected ']'"));
  EXPECT_THAT(message("[{\"a\": 1}] xyz"),
              HasSubstr("not valid JSON at byte 11: invalid literal; expected end of input"));
  EXPECT_THAT(message("[{\"a\": 1}, {\"b\": "),
              HasSubstr("not valid JSON at its end (byte 16): unexpected end of input"));
  EXPECT_THAT(message("[{\"a\": \"caf\xC3\"}]"),
              HasSubstr("at byte 12: invalid string: ill-formed UTF-8 byte"));
  EXPECT_THAT(message("[{\"a\": 1}]"), "accepted");
}

HttpRequest WithContentType(std::optional<std::string> content_type) {
  HttpRequest request;
  request.method = "POST";
  if (content_type) request.headers.emplace_back("content-type", *content_type);
  return request;
}

TEST(RefuseIngestMediaTypeTest, ReadsNdjsonJsonCurlsDefaultAndNoType) {
  for (std::optional<std::string> type :
       {std::optional<std::string>(), std::optional<std::string>(""),
        std::optional<std::string>("application/x-ndjson"),
        std::optional<std::string>("application/jsonl"),
        std::optional<std::string>("Application/JSON; charset=utf-8"),
        std::optional<std::string>("application/x-www-form-urlencoded")}) {
    EXPECT_FALSE(RefuseIngestMediaType(WithContentType(type))) << type.value_or("(none)");
  }
}

TEST(RefuseIngestMediaTypeTest, RefusesOtherTypesWith415NamingTheAcceptedOnes) {
  for (std::string type : {"text/csv", "application/xml", "multipart/form-data; boundary=x",
                           "application/octet-stream", "text/plain"}) {
    std::optional<HttpResponse> refused = RefuseIngestMediaType(WithContentType(type));
    ASSERT_TRUE(refused) << type;
    EXPECT_EQ(refused->status, 415);
    nlohmann::json error = nlohmann::json::parse(refused->body)["error"];
    EXPECT_EQ(error["code"], "unsupported_media_type");
    std::string message = error["message"];
    EXPECT_THAT(message, HasSubstr("Content-Type '" + type + "'"));
    EXPECT_THAT(message, HasSubstr("application/x-ndjson, application/jsonl, application/json"));
  }
}

HttpRequest WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest request;
  request.method = "POST";
  request.headers = std::move(headers);
  return request;
}

TEST(IngestIdempotencyKeyTest, TakesTheOneKeyOrNone) {
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> key,
                       IngestIdempotencyKey(WithHeaders({{"idempotency-key", "batch-1"}})));
  EXPECT_EQ(key, "batch-1");
  ASSERT_OK_AND_ASSIGN(key, IngestIdempotencyKey(WithHeaders({})));
  EXPECT_EQ(key, std::nullopt);
}

TEST(IngestIdempotencyKeyTest, RefusesTwoKeysNamingTheHeaderAndBothValues) {
  Result<std::optional<std::string>> two = IngestIdempotencyKey(
      WithHeaders({{"Idempotency-Key", "batch-1"}, {"idempotency-key", "batch-2"}}));
  EXPECT_EQ(two.status().code(), ErrorCode::kUsage);
  EXPECT_EQ(two.status().message(),
            "header Idempotency-Key given twice ('batch-1' and 'batch-2'); give it once");
  Result<std::optional<std::string>> three = IngestIdempotencyKey(
      WithHeaders({{"Idempotency-Key", "a"}, {"Idempotency-Key", "b"}, {"Idempotency-Key", "a"}}));
  EXPECT_EQ(three.status().message(),
            "header Idempotency-Key given 3 times ('a', 'b', 'a'); give it once");
  // Two Content-Types leave open how the body is to be read.
  Result<std::optional<std::string>> types = IngestIdempotencyKey(WithHeaders(
      {{"Content-Type", "application/json"}, {"Content-Type", "application/x-ndjson"}}));
  EXPECT_THAT(types.status().message(), HasSubstr("header Content-Type given twice"));
  Result<std::optional<std::string>> empty =
      IngestIdempotencyKey(WithHeaders({{"Idempotency-Key", ""}}));
  EXPECT_THAT(empty.status().message(), HasSubstr("Idempotency-Key must have 1 to 200"));
}

}  // namespace
}  // namespace quanta::ports
