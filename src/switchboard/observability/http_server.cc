#include "switchboard/observability/http_server.h"

#include <arpa/inet.h>

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "switchboard/common/host_port.h"
#include "switchboard/common/listen_check.h"
#include "switchboard/common/log.h"

namespace switchboard::observability {
namespace {

constexpr absl::string_view kLog = "http";

}  // namespace

bool IsLoopbackHost(absl::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4;
  if (inet_pton(AF_INET, std::string(host).c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  return false;
}

class HttpServer::Impl {
 public:
  httplib::Server server;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen, std::map<std::string, HttpHandler> routes) {
  absl::StatusOr<HostPort> address = ParseListenHostPort(listen);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP server address ", listen, ": ", address.status().message()));
  }
  std::unique_ptr<HttpServer> self(new HttpServer());
  self->impl_ = std::make_unique<Impl>();
  httplib::Server& server = self->impl_->server;

  // Only GET and HEAD of the routes are served; anything else is refused
  // before routing, so no handler ever sees it.
  server.set_pre_routing_handler([](const httplib::Request& request, httplib::Response& response) {
    if (request.method == "GET" || request.method == "HEAD") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    response.status = 405;
    response.set_header("Allow", "GET, HEAD");
    response.set_content(absl::StrCat("method ", request.method, " not allowed: use GET\n"),
                         "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  auto shared_routes = std::make_shared<const std::map<std::string, HttpHandler>>(std::move(routes));
  for (const auto& [path, handler] : *shared_routes) {
    server.Get(path, [&handler = handler](const httplib::Request&, httplib::Response& response) {
      HttpResponse reply = handler();
      response.status = reply.status;
      response.set_header("Cache-Control", "no-store");
      response.set_content(std::move(reply.body), reply.content_type.c_str());
    });
  }
  // The routes outlive the server: captured by reference above, kept here.
  server.set_error_handler(
      [shared_routes](const httplib::Request& request, httplib::Response& response) {
        if (response.status == 404) {
          response.set_content(absl::StrCat("no such path: ", request.path, "\n"),
                               "text/plain; charset=utf-8");
        }
      });
  server.set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr) {
        SB_LOG(kError, kLog, "handler for ", request.path, " failed");
        response.status = 500;
        response.set_content("internal error\n", "text/plain; charset=utf-8");
      });
  // Nothing served here takes a body; a large one is refused unread.
  server.set_payload_max_length(64 * 1024);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(5);

  // cpp-httplib sets SO_REUSEPORT by default: a second server on a taken
  // port would start and share it. Address reuse alone, as a server wants.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  int port = address->port;
  bool bound = false;
  if (port == 0) {
    port = server.bind_to_any_port(address->host);
    bound = port > 0;
  } else {
    bound = server.bind_to_port(address->host, port);
  }
  if (!bound) {
    absl::Status why = ListenFailure(listen, "HTTP server");
    return why.ok() ? absl::UnavailableError(absl::StrCat("HTTP server: cannot listen on ", listen))
                    : why;
  }
  self->port_ = port;
  self->address_ = JoinHostPort(address->host, static_cast<uint16_t>(port));
  self->thread_ = std::thread([s = self.get()] { s->impl_->server.listen_after_bind(); });
  // stop() is a no-op until the listening loop runs: wait for it, so a
  // Stop() right after Start() cannot leave the thread listening.
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  SB_LOG(kInfo, kLog, "HTTP server listening on http://", self->address_, "/");
  return self;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (impl_ == nullptr) return;
  impl_->server.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace switchboard::observability
