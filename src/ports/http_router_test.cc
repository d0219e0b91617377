#include "ports/http_router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ports/http_target.h"
#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

HttpHandler Answer(std::string text) {
  return [text](const HttpRequest&) { return HttpResponse::Text(200, text); };
}

std::string Answered(const RouteMatch& match) {
  if (match.route == nullptr) return "<none>";
  return match.route->handler(HttpRequest()).body;
}

std::vector<std::string> Segments(std::string_view path) {
  Result<HttpTarget> target = ParseHttpTarget(path);
  EXPECT_TRUE(target.ok()) << target.status().ToString();
  return target.ok() ? target->segments : std::vector<std::string>{};
}

TEST(HttpRouterTest, MatchesLiteralsAndNamedSegments) {
  HttpRouter router;
  ASSERT_OK(router.Add("GET", "/", Answer("root")));
  ASSERT_OK(router.Add("GET", "/healthz", Answer("health")));
  ASSERT_OK(router.Add("GET", "/v1/products/{domain}/{product}/datasets/{name}", Answer("read")));
  EXPECT_EQ(Answered(router.Match("GET", Segments("/"))), "root");
  EXPECT_EQ(Answered(router.Match("GET", Segments("/healthz"))), "health");
  RouteMatch match = router.Match("GET", Segments("/v1/products/orders/orders/datasets/current"));
  EXPECT_EQ(Answered(match), "read");
  EXPECT_EQ(match.params["domain"], "orders");
  EXPECT_EQ(match.params["product"], "orders");
  EXPECT_EQ(match.params["name"], "current");
}

TEST(HttpRouterTest, NoMatchForOtherShapesOrEmptySegments) {
  HttpRouter router;
  ASSERT_OK(router.Add("GET", "/items/{id}", Answer("item")));
  EXPECT_EQ(Answered(router.Match("GET", Segments("/items"))), "<none>");
  EXPECT_EQ(Answered(router.Match("GET", Segments("/items/"))), "<none>");
  EXPECT_EQ(Answered(router.Match("GET", Segments("/items/1/more"))), "<none>");
  EXPECT_EQ(Answered(router.Match("GET", Segments("/healthz"))), "<none>");
  EXPECT_TRUE(router.Match("GET", Segments("/healthz")).allowed_methods.empty());
}

TEST(HttpRouterTest, LiteralBeatsParameterWhateverTheOrderAdded) {
  HttpRouter router;
  ASSERT_OK(router.Add("GET", "/products/{id}", Answer("by id")));
  ASSERT_OK(router.Add("GET", "/products/search", Answer("search")));
  EXPECT_EQ(Answered(router.Match("GET", Segments("/products/search"))), "search");
  EXPECT_EQ(Answered(router.Match("GET", Segments("/products/42"))), "by id");
}

TEST(HttpRouterTest, DecodedSlashStaysInsideItsSegment) {
  HttpRouter router;
  ASSERT_OK(router.Add("GET", "/files/{name}", Answer("file")));
  RouteMatch match = router.Match("GET", Segments("/files/a%2Fb"));
  EXPECT_EQ(Answered(match), "file");
  EXPECT_EQ(match.params["name"], "a/b");
}

TEST(HttpRouterTest, OtherMethodsOfAPathAreListedFor405AndHeadFallsBackToGet) {
  HttpRouter router;
  ASSERT_OK(router.Add("GET", "/items/{id}", Answer("get")));
  ASSERT_OK(router.Add("PUT", "/items/{id}", Answer("put")));
  RouteMatch wrong = router.Match("DELETE", Segments("/items/1"));
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_EQ(wrong.allowed_methods, (std::vector<std::string>{"GET", "HEAD", "PUT"}));
  EXPECT_EQ(Answered(router.Match("HEAD", Segments("/items/1"))), "get");
}

TEST(HttpRouterTest, RejectsMalformedPatternsAndClashes) {
  HttpRouter router;
  EXPECT_EQ(router.Add("GET", "items", Answer("")).code(), ErrorCode::kUsage);
  EXPECT_EQ(router.Add("GET", "/items/{}", Answer("")).code(), ErrorCode::kUsage);
  EXPECT_EQ(router.Add("GET", "/items/{1x}", Answer("")).code(), ErrorCode::kUsage);
  EXPECT_EQ(router.Add("GET", "/items/id{id}", Answer("")).code(), ErrorCode::kUsage);
  EXPECT_EQ(router.Add("GET", "/a/{x}/b/{x}", Answer("")).code(), ErrorCode::kUsage);
  EXPECT_EQ(router.Add("get", "/items", Answer("")).code(), ErrorCode::kUsage);
  ASSERT_OK(router.Add("GET", "/items/{id}", Answer("")));
  Status clash = router.Add("GET", "/items/{name}", Answer(""));
  EXPECT_EQ(clash.code(), ErrorCode::kUsage);
  EXPECT_NE(clash.message().find("/items/{id}"), std::string::npos) << clash.message();
  EXPECT_OK(router.Add("POST", "/items/{name}", Answer("")));
}

TEST(HttpTargetTest, SplitsPathAndQuery) {
  ASSERT_OK_AND_ASSIGN(HttpTarget target, ParseHttpTarget("/a/b%20c?x=1&y=&z&x=2&w=a+b%2B"));
  EXPECT_EQ(target.path, "/a/b c");
  EXPECT_EQ(target.segments, (std::vector<std::string>{"a", "b c"}));
  ASSERT_EQ(target.query.size(), 5u);
  EXPECT_EQ(target.query[0], (std::pair<std::string, std::string>{"x", "1"}));
  EXPECT_EQ(target.query[1].second, "");
  EXPECT_EQ(target.query[2].first, "z");
  EXPECT_EQ(target.query[4].second, "a b+");
}

TEST(HttpTargetTest, AbsoluteFormKeepsItsPathAndQuery) {
  ASSERT_OK_AND_ASSIGN(HttpTarget target, ParseHttpTarget("http://x/healthz"));
  EXPECT_EQ(target.path, "/healthz");
  EXPECT_THAT(target.segments, ElementsAre("healthz"));
  EXPECT_THAT(target.query, IsEmpty());

  ASSERT_OK_AND_ASSIGN(target,
                       ParseHttpTarget("HTTPS://127.0.0.1:7070/v1/products/a%20b?limit=2&x=%3A"));
  EXPECT_EQ(target.path, "/v1/products/a b");
  EXPECT_THAT(target.segments, ElementsAre("v1", "products", "a b"));
  EXPECT_THAT(target.query, ElementsAre(Pair("limit", "2"), Pair("x", ":")));

  ASSERT_OK_AND_ASSIGN(target, ParseHttpTarget("http://[::1]:7070"));
  EXPECT_EQ(target.path, "/");
  EXPECT_THAT(target.segments, IsEmpty());
}

TEST(HttpTargetTest, RefusesWhatIsNeitherAPathNorAnHttpUrl) {
  for (std::string target :
       {"*", "relative", "/bad%zz", "example.com:443", "ftp://x/healthz", "http:/healthz",
        "http:///healthz", "http://x/a%zz", "http://x/#top", "/a b"}) {
    Result<HttpTarget> parsed = ParseHttpTarget(target);
    ASSERT_FALSE(parsed.ok()) << target;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kUsage) << target;
    EXPECT_THAT(parsed.status().message(), HasSubstr("request target")) << target;
  }
}

}  // namespace
}  // namespace quanta::ports
