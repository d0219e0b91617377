#include "ports/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "ports/http_error.h"
#include "ports/http_test_client.h"
#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using namespace std::chrono_literals;
using testing::TestClient;
using testing::TestReply;

// A server on a free port with small limits, and routes that the tests below use.
class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpLimits limits = SmallLimits(), int event_threads = 2) {
    HttpServerOptions options;
    options.port = 0;
    options.event_threads = event_threads;
    options.blocking_threads = 4;
    options.limits = limits;
    ASSERT_OK_AND_ASSIGN(server_, HttpServer::Listen(options));
    HttpRouter& router = server_->router();
    ASSERT_OK(router.Add("GET", "/hello",
                         [](const HttpRequest&) { return HttpResponse::Text(200, "hello"); }));
    ASSERT_OK(router.Add(
        "GET", "/v1/products/{domain}/{product}/datasets/{name}", [](const HttpRequest& request) {
          nlohmann::json query = nlohmann::json::object();
          for (const auto& [key, value] : request.query) query[key] = value;
          return HttpResponse::Json(200, {{"domain", request.PathParam("domain")},
                                          {"product", request.PathParam("product")},
                                          {"name", request.PathParam("name")},
                                          {"route", request.route},
                                          {"query", query}});
        }));
    ASSERT_OK(router.Add("POST", "/echo", [](const HttpRequest& request) {
      return HttpResponse::Text(200, request.body);
    }));
    ASSERT_OK(router.Add(
        "POST", "/big",
        [](const HttpRequest& request) {
          return HttpResponse::Json(200, {{"bytes", request.body.size()}});
        },
        RouteOptions{HandlerMode::kBlocking, 64 * 1024}));
    ASSERT_OK(router.Add(
        "GET", "/slow",
        [this](const HttpRequest&) {
          slow_started_ = true;
          if (hold_slow_) {
            // Held until the test lets go (a bound, so that a failing test still ends).
            for (int i = 0; i < 30'000 && hold_slow_; ++i) std::this_thread::sleep_for(1ms);
          } else {
            std::this_thread::sleep_for(800ms);
          }
          return HttpResponse::Text(200, "slow done");
        },
        RouteOptions{HandlerMode::kBlocking}));
    ASSERT_OK(router.Add("GET", "/echo-path-header/{x}", [](const HttpRequest& request) {
      HttpResponse response = HttpResponse::Text(200, "ok");
      response.headers.emplace_back("Quanta-Path", request.path);  // decoded: a slip
      return response;
    }));
    ASSERT_OK(router.Add("GET", "/throws", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("boom");
    }));
    ASSERT_OK(router.Add("GET", "/stream", [this](const HttpRequest& request) {
      std::size_t total = std::stoul(request.Query("bytes").value_or("1000"));
      return HttpResponse::Stream("application/octet-stream", [this, total](BodyWriter& writer) {
        std::string chunk(64 * 1024, 'x');
        std::size_t sent = 0;
        while (sent < total) {
          std::size_t size = std::min(chunk.size(), total - sent);
          if (!writer.Write(chunk.substr(0, size))) return Status::IoError("client went away");
          sent += size;
          produced_ = sent;
        }
        stream_finished_ = true;
        return Status::Ok();
      });
    }));
    ASSERT_OK(router.Add("GET", "/stream-fails-early", [](const HttpRequest&) {
      return HttpResponse::Stream("application/x-ndjson", [](BodyWriter&) {
        return Status::NotFound("dataset 'nope' does not exist");
      });
    }));
    ASSERT_OK(router.Add("GET", "/events", [this](const HttpRequest&) {
      return HttpResponse::Stream("text/event-stream", [this](BodyWriter& writer) {
        int id = 0;
        while (!writer.WaitForStop(20ms)) {
          if (!writer.Write("id: " + std::to_string(++id) + "\ndata: tick\n\n")) break;
        }
        events_ended_ = true;
        return Status::Ok();
      });
    }));
    ASSERT_OK(server_->Start());
  }

  static HttpLimits SmallLimits() {
    HttpLimits limits;
    limits.max_header_bytes = 4096;
    limits.max_body_bytes = 1024;
    limits.request_timeout = 1500ms;
    limits.idle_timeout = 1500ms;
    limits.write_timeout = 3s;
    limits.max_connections = 8;
    limits.stream_buffer_bytes = 256 * 1024;
    return limits;
  }

  void TearDown() override {
    if (server_) server_->Stop(2s);
  }

  static nlohmann::json ErrorOf(const TestReply& reply) {
    nlohmann::json body = nlohmann::json::parse(reply.body, nullptr, false);
    return body.is_object() && body.contains("error") ? body["error"] : nlohmann::json();
  }

  // The server still answers a fresh client.
  void ExpectServing() {
    TestClient client(server_->port());
    auto reply = client.Request("GET", "/hello");
    ASSERT_TRUE(reply.has_value()) << "the server stopped answering";
    EXPECT_EQ(reply->status, 200);
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<bool> slow_started_{false};
  std::atomic<bool> hold_slow_{false};  // /slow waits until this is false again
  std::atomic<std::size_t> produced_{0};
  std::atomic<bool> stream_finished_{false};
  std::atomic<bool> events_ended_{false};
};

TEST_F(HttpServerTest, ReportsTheBoundPortAndAnswers) {
  StartServer();
  EXPECT_NE(server_->port(), 0);
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(server_->port()));
  TestClient client(server_->port());
  auto reply = client.Request("GET", "/hello");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "hello");
  EXPECT_EQ(reply->headers["Server"], "quanta");
}

TEST_F(HttpServerTest, PathParametersAndQueryAreDecoded) {
  StartServer();
  TestClient client(server_->port());
  auto reply = client.Request(
      "GET",
      "/v1/products/orders/order%20state/datasets/current?limit=10&as_of=2026-01-01T00%3A00&q=a+b");
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  nlohmann::json body = nlohmann::json::parse(reply->body);
  EXPECT_EQ(body["domain"], "orders");
  EXPECT_EQ(body["product"], "order state");
  EXPECT_EQ(body["name"], "current");
  EXPECT_EQ(body["route"], "/v1/products/{domain}/{product}/datasets/{name}");
  EXPECT_EQ(body["query"]["limit"], "10");
  EXPECT_EQ(body["query"]["as_of"], "2026-01-01T00:00");
  EXPECT_EQ(body["query"]["q"], "a b");
}

TEST_F(HttpServerTest, AnAbsoluteFormTargetIsServedByItsPathAndQuery) {
  StartServer();
  TestClient client(server_->port());
  auto hello = client.Request("GET", "http://x/hello");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->status, 200) << hello->body;
  EXPECT_EQ(hello->body, "hello");
  auto dataset = client.Request("GET", "http://127.0.0.1/v1/products/a/b/datasets/c?limit=3");
  ASSERT_TRUE(dataset);
  ASSERT_EQ(dataset->status, 200) << dataset->body;
  EXPECT_EQ(nlohmann::json::parse(dataset->body)["query"]["limit"], "3");
}

TEST_F(HttpServerTest, UnknownRouteIs404AndWrongMethodIs405WithJsonErrors) {
  StartServer();
  TestClient client(server_->port());
  auto missing = client.Request("GET", "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers["Content-Type"], "application/json");
  EXPECT_EQ(ErrorOf(*missing)["code"], "not_found");
  EXPECT_EQ(ErrorOf(*missing)["status"], 404);
  EXPECT_NE(ErrorOf(*missing)["message"].get<std::string>().find("/nope"), std::string::npos);

  auto wrong_method = client.Request("DELETE", "/hello");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->headers["Allow"], "GET, HEAD");
  EXPECT_EQ(ErrorOf(*wrong_method)["code"], "method_not_allowed");
}

TEST_F(HttpServerTest, ALineBreakInAHeaderValueNeverStartsAnotherHeader) {
  StartServer();
  TestClient client(server_->port());
  auto reply = client.Request("GET", "/echo-path-header/a%0D%0AX-Injected:%20yes");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->headers.count("X-Injected"), 0u);
  EXPECT_EQ(reply->headers["Quanta-Path"], "/echo-path-header/a  X-Injected: yes");
  EXPECT_EQ(reply->body, "ok");
}

TEST_F(HttpServerTest, A404QuotesThePathAsSentNotDecoded) {
  StartServer();
  TestClient client(server_->port());
  // Decoded, this path holds a line break, an escape character and a byte that is not UTF-8.
  auto escaped = client.Request("GET", "/v1/nope%0A%1B%FF%2Fx?limit=%0A");
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->status, 404);
  EXPECT_EQ(ErrorOf(*escaped)["message"], "no route for GET /v1/nope%0A%1B%FF%2Fx");
  auto absolute = client.Request("GET", "http://127.0.0.1/v1/n%C3%B6pe");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(ErrorOf(*absolute)["message"], "no route for GET /v1/n%C3%B6pe");
  auto wrong_method = client.Request("DELETE", "/hell%6F");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(ErrorOf(*wrong_method)["message"],
            "DELETE is not allowed on /hell%6F; allowed: GET, HEAD");
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  TestClient client(server_->port());
  for (int i = 0; i < 5; ++i) {
    auto reply = client.Request("POST", "/echo", "ping " + std::to_string(i));
    ASSERT_TRUE(reply) << "request " << i;
    EXPECT_EQ(reply->body, "ping " + std::to_string(i));
    EXPECT_TRUE(reply->keep_alive);
  }
  EXPECT_EQ(server_->stats().accepted_connections, 1u);
}

TEST_F(HttpServerTest, HeadGetsHeadersWithoutBody) {
  StartServer();
  TestClient client(server_->port());
  auto reply = client.Request("HEAD", "/hello");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->headers["Content-Length"], "5");
  EXPECT_TRUE(reply->body.empty());
  auto after = client.Request("GET", "/hello");  // the connection is still in step
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "hello");
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndServerGoesOn) {
  StartServer();
  TestClient client(server_->port());
  auto reply = client.Request("GET", "/throws");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 500);
  EXPECT_EQ(ErrorOf(*reply)["code"], "internal");
  EXPECT_NE(reply->body.find("boom"), std::string::npos);
  ExpectServing();
}

TEST_F(HttpServerTest, BlockingHandlersDoNotBlockTheEventLoop) {
  StartServer(SmallLimits(), /*event_threads=*/1);
  // The slow handlers are held until the quick request has its answer: if they blocked the
  // event loop, that answer could not come.
  hold_slow_ = true;
  std::vector<std::future<int>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::async(std::launch::async, [this] {
      TestClient client(server_->port());
      auto reply = client.Request("GET", "/slow");
      return reply ? reply->status : 0;
    }));
  }
  while (!slow_started_) std::this_thread::sleep_for(5ms);
  TestClient client(server_->port());
  auto reply = client.Request("GET", "/hello");
  hold_slow_ = false;
  ASSERT_TRUE(reply) << "a quick request waited for slow blocking handlers";
  EXPECT_EQ(reply->status, 200);
  for (auto& status : slow) EXPECT_EQ(status.get(), 200);
}

TEST_F(HttpServerTest, BodyWithinTheRouteLimitIsRead) {
  StartServer();
  TestClient client(server_->port());
  std::string body(60 * 1024, 'b');  // above the default limit, within /big's own 64 KiB
  auto reply = client.Request("POST", "/big", body);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(nlohmann::json::parse(reply->body)["bytes"], body.size());
}

TEST_F(HttpServerTest, DeclaredHugeBodyIs413BeforeAnyBodyIsSent) {
  StartServer();
  TestClient client(server_->port());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n"));
  auto reply = client.Read(5s);
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(ErrorOf(*reply)["code"], "body_too_large");
  EXPECT_NE(ErrorOf(*reply)["message"].get<std::string>().find("1073741824"), std::string::npos);
  EXPECT_FALSE(reply->keep_alive);
  EXPECT_TRUE(client.WaitForClose(5s));
  ExpectServing();
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413WhileItArrives) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string chunk = "200\r\n" + std::string(512, 'c') + "\r\n";
  for (int i = 0; i < 3; ++i) client.Send(chunk);  // 1536 bytes > 1024, and no last chunk
  auto reply = client.Read(5s);
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(ErrorOf(*reply)["code"], "body_too_large");
}

TEST_F(HttpServerTest, ExpectContinueWithinLimitGets100ThenTheAnswer) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.Read(5s);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("12345"));
  auto reply = client.Read(5s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "12345");
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  StartServer();
  TestClient client(server_->port());
  auto reply = client.Request("GET", "/hello", "", "X-Big: " + std::string(8000, 'h') + "\r\n");
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_EQ(reply->status, 431);
  EXPECT_EQ(ErrorOf(*reply)["code"], "header_too_large");
  ExpectServing();
}

struct MalformedCase {
  const char* name;
  const char* bytes;
};

class MalformedRequestTest : public HttpServerTest,
                             public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(MalformedRequestTest, Is400ThenCloseAndOthersAreServed) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(GetParam().bytes));
  auto reply = client.Read(5s);
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_EQ(reply->status, 400);
  nlohmann::json error = ErrorOf(*reply);
  EXPECT_EQ(error["status"], 400);
  EXPECT_FALSE(error["message"].get<std::string>().empty());
  EXPECT_FALSE(reply->keep_alive);
  EXPECT_TRUE(client.WaitForClose(5s));
  ExpectServing();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedRequestTest,
    ::testing::Values(
        MalformedCase{"BadChunkSize",
                      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "zz\r\nhello\r\n0\r\n\r\n"},
        MalformedCase{"BadRequestLine", "GARBAGE\r\n\r\n"},
        MalformedCase{"BadVersion", "GET /hello HTTP/9\r\nHost: x\r\n\r\n"},
        MalformedCase{"BadContentLength",
                      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"},
        MalformedCase{"TwoContentLengths",
                      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                      "Content-Length: 2\r\n\r\nab"}),
    [](const auto& info) { return std::string(info.param.name); });

struct CodingCase {
  const char* name;
  const char* coding;
};

class UnsupportedTransferCodingTest : public HttpServerTest,
                                      public ::testing::WithParamInterface<CodingCase> {};

// A body whose end the server cannot find must not be read as the next request (request
// smuggling): the request is refused with 501 and the connection closed, so the request
// hidden in the body is never served.
TEST_P(UnsupportedTransferCodingTest, Is501ThenCloseWithoutServingTheBody) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(std::string("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") +
                          GetParam().coding +
                          "\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto reply = client.Read(5s);
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_EQ(reply->status, 501) << reply->body;
  nlohmann::json error = ErrorOf(*reply);
  EXPECT_EQ(error["code"], "not_supported");
  std::string message = error["message"];
  EXPECT_NE(message.find(std::string("Transfer-Encoding '") + GetParam().coding + "'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("chunked"), std::string::npos) << message;
  EXPECT_FALSE(reply->keep_alive);
  EXPECT_FALSE(client.Read(3s)) << "the request in the body was served";
  ExpectServing();
}

INSTANTIATE_TEST_SUITE_P(Codings, UnsupportedTransferCodingTest,
                         ::testing::Values(CodingCase{"Identity", "identity"},
                                           CodingCase{"Unknown", "foo"},
                                           CodingCase{"GzipThenChunked", "gzip, chunked"},
                                           CodingCase{"ChunkedThenGzip", "chunked, gzip"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(HttpServerTest, ChunkedAloneInAnyCaseIsRead) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                  "Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  auto reply = client.Read(5s);
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(reply->body, "hello");
  EXPECT_TRUE(reply->keep_alive);
}

TEST_F(HttpServerTest, ACompressedBodyIs415NamingTheCodingBeforeItIsRead) {
  StartServer();
  for (std::string coding : {"gzip", "br", "identity, gzip"}) {
    TestClient client(server_->port());
    auto reply = client.Request("POST", "/echo", "\x1f\x8b compressed",
                                "Content-Encoding: " + coding + "\r\n");
    ASSERT_TRUE(reply) << client.last_error().message();
    EXPECT_EQ(reply->status, 415) << coding << ": " << reply->body;
    EXPECT_EQ(ErrorOf(*reply)["code"], "unsupported_media_type");
    EXPECT_NE(ErrorOf(*reply)["message"].get<std::string>().find("Content-Encoding '" + coding),
              std::string::npos)
        << reply->body;
    EXPECT_EQ(reply->headers["Accept-Encoding"], "identity");
  }
  TestClient client(server_->port());
  auto identity = client.Request("POST", "/echo", "plain", "Content-Encoding: identity\r\n");
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->status, 200);
  EXPECT_EQ(identity->body, "plain");
  auto no_body = client.Request("GET", "/hello", "", "Content-Encoding: gzip\r\n");
  ASSERT_TRUE(no_body);
  EXPECT_EQ(no_body->status, 200) << "a request without a body has nothing to decode";
}

TEST_F(HttpServerTest, BadPercentEscapeIs400AndTheConnectionStaysUsable) {
  StartServer();
  TestClient client(server_->port());
  auto reply = client.Request("GET", "/a%zz");
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(ErrorOf(*reply)["code"], "bad_target");
  auto after = client.Request("GET", "/hello");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "hello");
}

TEST_F(HttpServerTest, SlowClientGets408WithinTheRequestTimeout) {
  StartServer();  // request timeout 1.5 s
  TestClient client(server_->port());
  std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  std::optional<TestReply> reply;
  for (char c : request) {
    if (!client.Send(std::string(1, c))) break;
    std::this_thread::sleep_for(250ms);
    if (std::chrono::steady_clock::now() - start > 2s) break;
  }
  reply = client.Read(3s);
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_EQ(reply->status, 408);
  EXPECT_EQ(ErrorOf(*reply)["code"], "request_timeout");
  EXPECT_TRUE(client.WaitForClose(3s));
  ExpectServing();
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpLimits limits = SmallLimits();
  limits.idle_timeout = 300ms;
  StartServer(limits);
  TestClient client(server_->port());
  ASSERT_TRUE(client.Request("GET", "/hello"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.WaitForClose(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503) {
  HttpLimits limits = SmallLimits();
  limits.max_connections = 3;
  StartServer(limits);
  std::vector<std::unique_ptr<TestClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<TestClient>(server_->port()));
    ASSERT_TRUE(held.back()->Request("GET", "/hello"));  // now surely accepted and counted
  }
  TestClient extra(server_->port());
  auto reply = extra.Read(3s);
  ASSERT_TRUE(reply) << extra.last_error().message();
  EXPECT_EQ(reply->status, 503);
  EXPECT_EQ(ErrorOf(*reply)["code"], "too_many_connections");
  EXPECT_EQ(server_->stats().rejected_connections, 1u);
  held.clear();  // closing frees the places
  for (int attempt = 0; attempt < 100 && server_->stats().open_connections > 0; ++attempt) {
    std::this_thread::sleep_for(10ms);
  }
  ExpectServing();
}

TEST_F(HttpServerTest, StreamedBodyFollowsTheReaderWithBoundedBuffering) {
  StartServer();
  const std::size_t total = 96ull * 1024 * 1024;
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRequest("GET", "/stream?bytes=" + std::to_string(total)));
  // Read nothing for a while: the producer must stall, not race ahead into memory.
  std::this_thread::sleep_for(700ms);
  std::size_t produced_while_stalled = produced_.load();
  EXPECT_FALSE(stream_finished_.load());
  EXPECT_LT(produced_while_stalled, 40ull * 1024 * 1024)
      << "the producer was not held back by the unread socket";
  auto reply = client.Read(60s);
  ASSERT_TRUE(reply) << client.last_error().message();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->headers["Transfer-Encoding"], "chunked");
  EXPECT_EQ(reply->body.size(), total);
  EXPECT_TRUE(stream_finished_.load());
  auto after = client.Request("GET", "/hello");  // keep-alive after a chunked body
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "hello");
}

TEST_F(HttpServerTest, StreamThatFailsBeforeWritingIsAJsonError) {
  StartServer();
  TestClient client(server_->port());
  auto reply = client.Request("GET", "/stream-fails-early");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(ErrorOf(*reply)["code"], "not_found");
  EXPECT_NE(reply->body.find("nope"), std::string::npos);
}

TEST_F(HttpServerTest, ClientLeavingAStreamStopsTheProducer) {
  StartServer();
  {
    TestClient client(server_->port());
    ASSERT_TRUE(client.SendRequest("GET", "/stream?bytes=100000000000"));
    std::this_thread::sleep_for(200ms);
  }  // the client disconnects mid-stream
  for (int i = 0; i < 300 && server_->stats().active_requests > 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server_->stats().active_requests, 0u);
  EXPECT_FALSE(stream_finished_.load());
  ExpectServing();
}

TEST_F(HttpServerTest, StopLetsInFlightRequestsFinishAndRefusesNewOnes) {
  StartServer();
  auto slow = std::async(std::launch::async, [this] {
    TestClient client(server_->port());
    auto reply = client.Request("GET", "/slow");
    return reply ? reply->body : std::string("no reply");
  });
  while (!slow_started_) std::this_thread::sleep_for(5ms);
  std::uint16_t port = server_->port();
  DrainOutcome outcome = server_->Stop(5s);
  EXPECT_TRUE(outcome.clean);
  EXPECT_EQ(slow.get(), "slow done");
  TestClient late(port);
  EXPECT_FALSE(late.connected() && late.Request("GET", "/hello").has_value());
}

TEST_F(HttpServerTest, StopTellsEventStreamsToEndAndCutsWhatOverstaysTheDeadline) {
  StartServer();
  TestClient events(server_->port());
  ASSERT_TRUE(events.SendRequest("GET", "/events"));
  std::this_thread::sleep_for(100ms);
  // Clean: the stream ended when told to, rather than being cut at the deadline.
  DrainOutcome outcome = server_->Stop(3s);
  EXPECT_TRUE(outcome.clean);
  EXPECT_TRUE(events_ended_.load());
  auto reply = events.Read(2s);  // the stream ended properly, with the last chunk
  ASSERT_TRUE(reply) << events.last_error().message();
  EXPECT_NE(reply->body.find("data: tick"), std::string::npos);
}

TEST_F(HttpServerTest, StopCutsConnectionsStillBusyAtTheDeadline) {
  StartServer();
  TestClient reader(server_->port());
  ASSERT_TRUE(reader.SendRequest("GET", "/stream?bytes=100000000000"));  // never read
  std::this_thread::sleep_for(200ms);
  auto start = std::chrono::steady_clock::now();
  DrainOutcome outcome = server_->Stop(300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_FALSE(outcome.clean);
  EXPECT_EQ(outcome.forced_connections, 1u);
}

TEST_F(HttpServerTest, ListenOnABusyPortNamesTheAddress) {
  StartServer();
  HttpServerOptions options;
  options.port = server_->port();
  auto second = HttpServer::Listen(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kIoError);
  EXPECT_NE(second.status().message().find("127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << second.status().message();
}

TEST(HttpServerListenTest, RejectsAnAddressThatIsNotAnIp) {
  HttpServerOptions options;
  options.address = "not-an-address";
  auto server = HttpServer::Listen(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), ErrorCode::kUsage);
}

TEST(HttpServerObserverTest, ReportsEveryExchangeWithItsRoute) {
  HttpServerOptions options;
  ASSERT_OK_AND_ASSIGN(auto server, HttpServer::Listen(options));
  ASSERT_OK(server->router().Add(
      "GET", "/items/{id}", [](const HttpRequest&) { return HttpResponse::Text(200, "item"); }));
  std::mutex mutex;
  std::vector<HttpExchange> seen;
  server->SetExchangeObserver([&](const HttpExchange& exchange) {
    std::lock_guard lock(mutex);
    seen.push_back(exchange);
  });
  ASSERT_OK(server->Start());
  TestClient client(server->port());
  ASSERT_TRUE(client.Request("GET", "/items/7"));
  ASSERT_TRUE(client.Request("GET", "/missing"));
  server->Stop(1s);
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].route, "/items/{id}");
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_GT(seen[0].response_bytes, 0u);
  EXPECT_EQ(seen[1].route, "");
  EXPECT_EQ(seen[1].status, 404);
}

}  // namespace
}  // namespace quanta::ports
