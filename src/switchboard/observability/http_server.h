// The one HTTP server of a Switchboard process: /metrics, /healthz,
// /readyz, the JSON API and the dashboard are routes on it. It is
// cpp-httplib underneath (kept out of this header: it is large); this class
// binds, refuses what is not a GET of a known path, and runs the server on
// its own threads.
//
// Refused cleanly, the server going on: unknown paths (404), methods other
// than GET and HEAD (405, with Allow), a request line or header longer than
// 8 KiB (cpp-httplib's limits: the request is refused and the connection
// closed).
//
// Example:
//   auto server = HttpServer::Start("127.0.0.1:9464",
//       {{"/healthz", [] { return HttpResponse{.body = "ok\n"}; }}});
//   if (!server.ok()) return server.status();  // names the address
//   ... (*server)->address() == "127.0.0.1:9464"
//
// Threading: Start() and Stop() block (binding, joining); handlers run on
// the server's worker threads, concurrently, and must be thread-safe.
#ifndef SWITCHBOARD_OBSERVABILITY_HTTP_SERVER_H_
#define SWITCHBOARD_OBSERVABILITY_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard::observability {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using HttpHandler = std::function<HttpResponse()>;

// True for 127.0.0.0/8, ::1 and "localhost": where the server binds unless
// told otherwise.
bool IsLoopbackHost(absl::string_view host);

class HttpServer {
 public:
  // Binds `listen` ("host:port", "[::1]:port"; port 0 picks a free one)
  // and serves `routes` (exact paths). InvalidArgument for an address that
  // does not parse; the port in use or not permitted, named.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& listen, std::map<std::string, HttpHandler> routes);
  ~HttpServer();  // Stop()s.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting and joins the server's threads. Idempotent.
  void Stop();
  // "127.0.0.1:41234": the address with the port actually bound.
  const std::string& address() const { return address_; }
  int port() const { return port_; }

 private:
  class Impl;
  HttpServer() = default;

  std::unique_ptr<Impl> impl_;
  std::string address_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_HTTP_SERVER_H_
