#include "ports/http_client.h"

#include <gtest/gtest.h>

#include <thread>

#include "ports/http_error.h"
#include "ports/http_server.h"
#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using namespace std::chrono_literals;

TEST(ParseNodeUrlTest, TakesHostPortAndPrefix) {
  ASSERT_OK_AND_ASSIGN(NodeAddress address, ParseNodeUrl("http://127.0.0.1:7070"));
  EXPECT_EQ(address.host, "127.0.0.1");
  EXPECT_EQ(address.port, 7070);
  EXPECT_EQ(address.base_path, "");
  EXPECT_EQ(address.url, "http://127.0.0.1:7070");

  ASSERT_OK_AND_ASSIGN(address, ParseNodeUrl("http://node.example/quanta/"));
  EXPECT_EQ(address.host, "node.example");
  EXPECT_EQ(address.port, 80);
  EXPECT_EQ(address.base_path, "/quanta");
  EXPECT_EQ(address.url, "http://node.example/quanta");

  ASSERT_OK_AND_ASSIGN(address, ParseNodeUrl("http://[::1]:7070"));
  EXPECT_EQ(address.host, "::1");
  EXPECT_EQ(address.port, 7070);
}

TEST(ParseNodeUrlTest, RefusesWhatIsNotAnHttpNodeUrl) {
  for (const char* url : {"127.0.0.1:7070", "https://127.0.0.1:7070", "ftp://host:21",
                          "http://127.0.0.1:99999", "http://127.0.0.1:0", "http://:7070",
                          "http://u:p@127.0.0.1:7070", "http://127.0.0.1:7070/?x=1"}) {
    Result<NodeAddress> address = ParseNodeUrl(url);
    ASSERT_FALSE(address.ok()) << url;
    EXPECT_EQ(address.status().code(), ErrorCode::kUsage) << url;
    EXPECT_NE(address.status().message().find(url), std::string::npos)
        << address.status().message();
    EXPECT_NE(address.status().message().find("expected http://HOST:PORT"), std::string::npos);
  }
  EXPECT_NE(ParseNodeUrl("https://h:1").status().message().find("https is not supported"),
            std::string::npos);
}

// A real HttpServer on a free port with routes that answer the way a node can.
class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.limits.idle_timeout = 200ms;
    options.limits.max_body_bytes = 1024;
    ASSERT_OK_AND_ASSIGN(server_, HttpServer::Listen(options));
    HttpRouter& router = server_->router();
    ASSERT_OK(router.Add("GET", "/v1/node", [](const HttpRequest&) {
      return HttpResponse::Json(200, {{"version", "0.1.0"}});
    }));
    ASSERT_OK(router.Add("PUT", "/v1/echo/{name}", [](const HttpRequest& request) {
      return HttpResponse::Json(201, {{"name", request.PathParam("name")},
                                      {"body", request.body},
                                      {"contentType", request.Header("Content-Type").value_or("")},
                                      {"key", request.Header("Idempotency-Key").value_or("")},
                                      {"purge", request.Query("purge").value_or("")}});
    }));
    ASSERT_OK(router.Add("GET", "/v1/missing", [](const HttpRequest&) {
      return ErrorResponse(Status::NotFound("product orders/nope is not deployed"));
    }));
    ASSERT_OK(router.Add("GET", "/v1/proxy-error", [](const HttpRequest&) {
      return HttpResponse::Text(502, "<html>Bad Gateway</html>", "text/html");
    }));
    ASSERT_OK(router.Add(
        "GET", "/v1/slow",
        [](const HttpRequest&) {
          std::this_thread::sleep_for(1500ms);
          return HttpResponse::Text(200, "late");
        },
        RouteOptions{HandlerMode::kBlocking}));
    ASSERT_OK(server_->Start());
  }

  void TearDown() override {
    if (server_) server_->Stop(1s);
  }

  HttpClient Client(HttpClientOptions options = {}) {
    Result<NodeAddress> address = ParseNodeUrl(server_->url());
    EXPECT_TRUE(address.ok());
    return HttpClient(*address, options);
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpClientTest, GetsJson) {
  HttpClientRequest request;
  request.target = "/v1/node";
  ASSERT_OK_AND_ASSIGN(HttpClientResponse response, HttpRequestTo(server_->url(), request));
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.success());
  EXPECT_OK(response.ErrorStatus());
  EXPECT_EQ(response.Header("content-type"), "application/json");
  ASSERT_OK_AND_ASSIGN(nlohmann::json body, response.JsonBody());
  EXPECT_EQ(body["version"], "0.1.0");
}

TEST_F(HttpClientTest, SendsBodyContentTypeHeadersAndQuery) {
  HttpClient client = Client();
  HttpClientRequest request;
  request.method = "PUT";
  request.target = "/v1/echo/orders?purge=true";
  request.body = "{\"a\":1}\n{\"a\":2}\n";
  request.content_type = "application/x-ndjson";
  request.headers = {{"Idempotency-Key", "file-abc-0"}};
  ASSERT_OK_AND_ASSIGN(HttpClientResponse response, client.Send(request));
  EXPECT_EQ(response.status, 201);
  ASSERT_OK_AND_ASSIGN(nlohmann::json body, response.JsonBody());
  EXPECT_EQ(body["name"], "orders");
  EXPECT_EQ(body["body"], request.body);
  EXPECT_EQ(body["contentType"], "application/x-ndjson");
  EXPECT_EQ(body["key"], "file-abc-0");
  EXPECT_EQ(body["purge"], "true");
}

TEST_F(HttpClientTest, KeepsOneConnectionForManyRequests) {
  HttpClient client = Client();
  HttpClientRequest request;
  request.target = "/v1/node";
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpClientResponse response, client.Send(request));
    EXPECT_EQ(response.status, 200);
  }
  EXPECT_EQ(server_->stats().accepted_connections, 1u);
}

TEST_F(HttpClientTest, ReconnectsWhenTheNodeClosedAnIdleConnection) {
  HttpClient client = Client();
  HttpClientRequest request;
  request.target = "/v1/node";
  ASSERT_OK(client.Send(request));
  // Longer than the server's idle timeout: the server closes the kept-alive connection.
  std::this_thread::sleep_for(1s);
  ASSERT_OK_AND_ASSIGN(HttpClientResponse response, client.Send(request));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(server_->stats().accepted_connections, 2u);
}

TEST_F(HttpClientTest, QuantaErrorBodyBecomesItsStatus) {
  HttpClientRequest request;
  request.target = "/v1/missing";
  ASSERT_OK_AND_ASSIGN(HttpClientResponse response, HttpRequestTo(server_->url(), request));
  EXPECT_EQ(response.status, 404);
  Status status = response.ErrorStatus();
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_EQ(status.message(), "product orders/nope is not deployed");
}

TEST_F(HttpClientTest, RouteNotFoundOfTheServerIsNotFound) {
  HttpClientRequest request;
  request.method = "DELETE";
  request.target = "/v1/products/orders/orders";
  ASSERT_OK_AND_ASSIGN(HttpClientResponse response, HttpRequestTo(server_->url(), request));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.ErrorStatus().code(), ErrorCode::kNotFound);
  EXPECT_NE(response.ErrorStatus().message().find("no route"), std::string::npos);
}

TEST_F(HttpClientTest, NonJsonErrorBodyIsQuoted) {
  HttpClientRequest request;
  request.target = "/v1/proxy-error";
  ASSERT_OK_AND_ASSIGN(HttpClientResponse response, HttpRequestTo(server_->url(), request));
  EXPECT_EQ(response.status, 502);
  Status status = response.ErrorStatus();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kIoError);  // the CLI's exit 2: the node was not reached
  EXPECT_EQ(status.message(),
            "the server answered 502 Bad Gateway with a body that is not a Quanta error: "
            "'<html>Bad Gateway</html>'; is it a Quanta node? (`quanta node` prints the URL it "
            "serves)");
  Result<nlohmann::json> json = response.JsonBody();
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("not JSON"), std::string::npos);
}

TEST_F(HttpClientTest, ReadsTheAnswerToABodyOverTheLimit) {
  HttpClientRequest request;
  request.method = "PUT";
  request.target = "/v1/echo/big";
  request.body = std::string(4 * 1024 * 1024, 'x');
  ASSERT_OK_AND_ASSIGN(HttpClientResponse response, HttpRequestTo(server_->url(), request));
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.ErrorStatus().code(), ErrorCode::kUsage);
}

TEST_F(HttpClientTest, TimesOutWithAClearMessage) {
  HttpClientOptions options;
  options.timeout = 200ms;
  HttpClientRequest request;
  request.target = "/v1/slow";
  Result<HttpClientResponse> response = HttpRequestTo(server_->url(), request, options);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(response.status().message(),
            "GET " + server_->url() + "/v1/slow: no answer from the node within 200ms");
}

TEST_F(HttpClientTest, NoNodeListeningSaysHowToStartOne) {
  std::string url = server_->url();
  server_->Stop(1s);
  server_.reset();
  HttpClientRequest request;
  request.target = "/v1/node";
  Result<HttpClientResponse> response = HttpRequestTo(url, request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(
      response.status().message(),
      "no node listening at " + url +
          "; start one with `quanta node`, or point --node (or QUANTA_NODE) at a running one");
}

TEST(HttpRequestToTest, BadUrlIsAUsageError) {
  Result<HttpClientResponse> response = HttpRequestTo("localhost", HttpClientRequest{});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kUsage);
}

}  // namespace
}  // namespace quanta::ports
