#include "ports/http_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace quanta::ports {
namespace {

TEST(HttpErrorTest, StatusErrorsUseTheSharedTable) {
  HttpResponse response = ErrorResponse(Status::Invalid("field x: expected a number"));
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.content_type, "application/json");
  nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "invalid_document");
  EXPECT_EQ(body["error"]["message"], "field x: expected a number");
  EXPECT_EQ(body["error"]["status"], 422);
  EXPECT_EQ(ErrorResponse(Status::NotFound("x")).status, 404);
  EXPECT_EQ(ErrorResponse(Status::Internal("x")).status, 500);
}

TEST(HttpErrorTest, FaultsHaveTheirOwnStatusAndCode) {
  HttpResponse response = ErrorResponse(HttpFault::kBodyTooLarge, "too big");
  EXPECT_EQ(response.status, 413);
  nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "body_too_large");
  EXPECT_EQ(body["error"]["status"], 413);
  EXPECT_EQ(ErrorResponse(HttpFault::kRequestTimeout, "").status, 408);
  EXPECT_EQ(ErrorResponse(HttpFault::kHeaderTooLarge, "").status, 431);
  EXPECT_EQ(ErrorResponse(HttpFault::kTooManyConnections, "").status, 503);
}

TEST(HttpErrorTest, InvalidUtf8InAMessageStillGivesValidJson) {
  std::string body = ErrorBody("malformed_request", "bad byte \xff here", 400);
  nlohmann::json parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed["error"]["status"], 400);
}

}  // namespace
}  // namespace quanta::ports
