#include "switchboard/observability/http_server.h"

#include <string>

#include "gtest/gtest.h"
#include "httplib.h"

namespace switchboard::observability {
namespace {

std::unique_ptr<HttpServer> StartHello() {
  auto server = HttpServer::Start(
      "127.0.0.1:0", {{"/hello", [] { return HttpResponse{.body = "hello\n"}; }}});
  EXPECT_TRUE(server.ok()) << server.status();
  return std::move(*server);
}

TEST(HttpServerTest, ServesAKnownPath) {
  auto server = StartHello();
  httplib::Client client("127.0.0.1", server->port());
  auto reply = client.Get("/hello");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "hello\n");
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));
}

TEST(HttpServerTest, UnknownPathIs404NamingIt) {
  auto server = StartHello();
  httplib::Client client("127.0.0.1", server->port());
  auto reply = client.Get("/nope");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->body, "no such path: /nope\n");
}

TEST(HttpServerTest, MethodsOtherThanGetAre405) {
  auto server = StartHello();
  httplib::Client client("127.0.0.1", server->port());
  auto post = client.Post("/hello", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto del = client.Delete("/hello");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  auto put = client.Put("/nope", "x", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
}

TEST(HttpServerTest, HugeHeaderIsRefusedAndTheServerGoesOn) {
  auto server = StartHello();
  {
    httplib::Client client("127.0.0.1", server->port());
    httplib::Headers headers = {{"X-Huge", std::string(64 * 1024, 'a')}};
    auto reply = client.Get("/hello", headers);
    // Refused: an error status, or the connection closed without an answer.
    if (reply) EXPECT_GE(reply->status, 400);
  }
  {
    httplib::Client client("127.0.0.1", server->port());
    auto reply = client.Get(("/" + std::string(32 * 1024, 'p')).c_str());
    if (reply) EXPECT_GE(reply->status, 400);
  }
  httplib::Client client("127.0.0.1", server->port());
  auto reply = client.Get("/hello");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST(HttpServerTest, PortInUseIsAnErrorNamingIt) {
  auto first = StartHello();
  std::string address = first->address();
  auto second = HttpServer::Start(address, {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(address), std::string::npos) << second.status();
}

TEST(HttpServerTest, BadAddressIsInvalidArgument) {
  auto server = HttpServer::Start("nowhere", {});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("nowhere"), std::string::npos);
}

TEST(HttpServerTest, StopsRightAfterStart) {
  auto server = StartHello();
  server->Stop();
  server->Stop();
}

TEST(IsLoopbackHostTest, Loopback) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.1.2.3"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
}

}  // namespace
}  // namespace switchboard::observability
