// Makes a C++ gRPC server discoverable: once it listens, its address is
// registered in etcd (under a lease kept alive by a Registrar) and it serves
// grpc.health.v1; on shutdown it drains — health NOT_SERVING, marked
// draining, deregistered — waits (bounded) until clients have stopped
// sending it calls, then shuts down, letting calls in flight finish.
//
// Example:
//   GreeterImpl greeter;
//   grpc::ServerBuilder builder;
//   builder.RegisterService(&greeter);
//   auto server = DiscoverableServer::Start(builder, {
//       .service = "greeter",
//       .listen_address = "127.0.0.1:0",
//       .etcd = {.endpoints = {"127.0.0.1:2379"}}});
//   if (!server.ok()) { ... }
//   ...                       // until SIGTERM
//   (*server)->Shutdown();    // drain, deregister, stop
//
// Threading: Start() and Shutdown() are called from one thread; the
// accessors are thread-safe.
#ifndef SWITCHBOARD_SERVER_DISCOVERABLE_SERVER_H_
#define SWITCHBOARD_SERVER_DISCOVERABLE_SERVER_H_

#include <atomic>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/core/instance.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/registry/registrar.h"

namespace switchboard {

struct DiscoverableServerOptions {
  // The name clients ask for ("greeter" for xds:///greeter); letters,
  // digits, '.', '-', '_' (kServiceNameRule in registry/naming_codec.h).
  std::string service;
  // Where to listen; port 0 picks a free one.
  std::string listen_address = "127.0.0.1:0";
  // The ip:port registered for clients; default: the listen host (for a
  // wildcard host, this machine's IPv4 address; for a name, its first
  // address, resolved once at start) with the bound port.
  std::string advertise_address;
  InstanceMetadata metadata;
  EtcdClientOptions etcd;
  RegistrarOptions registrar;
  // Drain: stop waiting once no call arrived for `drain_quiet_period`, and
  // in any case after `drain_timeout`.
  absl::Duration drain_quiet_period = absl::Milliseconds(300);
  absl::Duration drain_timeout = absl::Seconds(5);
  // Calls still running at shutdown get this long to finish.
  absl::Duration shutdown_grace = absl::Seconds(2);
  // Credentials for the listening port; default insecure.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Don't wait for etcd at start-up; registration goes on in the background.
  bool wait_registered = false;
};

class DiscoverableServer {
 public:
  // Adds the listening port, health service and call tracking to `builder`,
  // starts the server and starts registering it. InvalidArgument, before
  // anything listens, for a bad service name or advertise address.
  static absl::StatusOr<std::unique_ptr<DiscoverableServer>> Start(grpc::ServerBuilder& builder,
                                                                   DiscoverableServerOptions options);
  ~DiscoverableServer();  // Shutdown() if not done

  // Drains, deregisters and stops; returns the deregistration error, if
  // any (the registration then expires with its lease). Idempotent.
  absl::Status Shutdown();

  const std::string& address() const { return address_; }
  int port() const { return port_; }
  grpc::Server* server() { return server_.get(); }
  RegistrationState registration() const { return registrar_->state(); }
  bool WaitRegistered(absl::Duration timeout) { return registrar_->WaitRegistered(timeout); }

  // Calls received so far, and in flight now.
  int64_t calls_started() const;
  int64_t calls_in_flight() const;

  struct CallStats;

 private:
  DiscoverableServer() = default;

  DiscoverableServerOptions options_;
  std::string address_;
  int port_ = 0;
  std::shared_ptr<CallStats> stats_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Registrar> registrar_;
  bool shut_down_ = false;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_DISCOVERABLE_SERVER_H_
