// A program outside the Switchboard tree, built against an installed
// Switchboard (find_package or pkg-config). Two roles:
//
//   consumer server <etcd host:port> <service>
//       serves Hello on a free loopback port, registered in etcd by
//       DiscoverableServer; prints "serving <address>", drains on SIGTERM.
//   consumer client <etcd host:port> <service>
//       embedded discovery (no control plane to run), then one call to
//       xds:///<service>; prints "reply <message> from <address>", exit 0.
#include <signal.h>

#include <cstdio>
#include <string>

#include <grpcpp/grpcpp.h>

#include "hello.grpc.pb.h"
#include "switchboard/client/embedded_discovery.h"
#include "switchboard/server/discoverable_server.h"

namespace {

class HelloService final : public consumer::Hello::Service {
 public:
  std::string address;
  grpc::Status Say(grpc::ServerContext*, const consumer::SayRequest* request,
                   consumer::SayReply* reply) override {
    reply->set_message("hello " + request->name());
    reply->set_served_by(address);
    return grpc::Status::OK;
  }
};

int Serve(const std::string& etcd, const std::string& service) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto etcd_options = switchboard::ParseEtcdEndpoints(etcd);
  if (!etcd_options.ok()) {
    std::fprintf(stderr, "consumer: %s\n", etcd_options.status().ToString().c_str());
    return 2;
  }
  HelloService hello;
  grpc::ServerBuilder builder;
  builder.RegisterService(&hello);
  auto server = switchboard::DiscoverableServer::Start(
      builder, {.service = service, .listen_address = "127.0.0.1:0", .etcd = *etcd_options});
  if (!server.ok()) {
    std::fprintf(stderr, "consumer: %s\n", server.status().ToString().c_str());
    return 1;
  }
  hello.address = (*server)->address();
  std::printf("serving %s\n", hello.address.c_str());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  return (*server)->Shutdown().ok() ? 0 : 1;
}

int Call(const std::string& etcd, const std::string& service) {
  switchboard::EmbeddedDiscoveryOptions options;
  options.source_uris = {"etcd://" + etcd + "/"};
  auto discovery = switchboard::StartEmbeddedDiscovery(std::move(options));
  if (!discovery.ok()) {
    std::fprintf(stderr, "consumer: %s\n", discovery.status().ToString().c_str());
    return 1;
  }
  auto channel = grpc::CreateChannel("xds:///" + service, grpc::InsecureChannelCredentials());
  auto stub = consumer::Hello::NewStub(channel);
  consumer::SayRequest request;
  request.set_name("consumer");
  consumer::SayReply reply;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.set_wait_for_ready(true);
  grpc::Status status = stub->Say(&context, request, &reply);
  if (!status.ok()) {
    std::fprintf(stderr, "consumer: xds:///%s: %s\n", service.c_str(),
                 status.error_message().c_str());
    return 1;
  }
  std::printf("reply %s from %s\n", reply.message().c_str(), reply.served_by().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || (std::string(argv[1]) != "server" && std::string(argv[1]) != "client")) {
    std::fprintf(stderr, "usage: consumer server|client <etcd host:port> <service>\n");
    return 2;
  }
  return std::string(argv[1]) == "server" ? Serve(argv[2], argv[3]) : Call(argv[2], argv[3]);
}
