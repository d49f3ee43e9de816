// The example greeter server: a plain gRPC service made discoverable with
// DiscoverableServer. It registers itself in etcd, answers SayHello with
// the address that served the call, and drains on SIGTERM/SIGINT.
//
//   greeter_server --etcd=127.0.0.1:2379 --listen=127.0.0.1:0 --weight=2
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "greeter.grpc.pb.h"
#include "switchboard/server/discoverable_server.h"

ABSL_FLAG(std::string, service, "greeter", "service name to register");
ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to listen on (port 0: any free port)");
ABSL_FLAG(std::string, advertise, "", "host:port to register (default: listen host, bound port)");
ABSL_FLAG(std::string, etcd, "127.0.0.1:2379", "etcd endpoints, host:port[,host:port]");
ABSL_FLAG(std::string, prefix, "", "registry key prefix");
ABSL_FLAG(int, weight, 1, "relative share of traffic, 1..10000");
ABSL_FLAG(std::string, zone, "", "locality of this instance");
ABSL_FLAG(std::string, version, "", "software version registered (names its subset, docs/canary.md)");
ABSL_FLAG(absl::Duration, ttl, absl::Seconds(10), "registration lease TTL");
ABSL_FLAG(int, fail_percent, 0,
          "answer this share of calls (0..100) with INTERNAL: a sick instance, for outlier "
          "detection demos and tests");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(5), "longest wait for clients to move away");

namespace {

class GreeterService final : public switchboard::examples::Greeter::Service {
 public:
  void set_address(std::string address) { address_ = std::move(address); }
  void set_fail_percent(int percent) { fail_percent_ = percent; }

  grpc::Status SayHello(grpc::ServerContext* context,
                        const switchboard::examples::HelloRequest* request,
                        switchboard::examples::HelloReply* reply) override {
    // A slow call on request; stops waiting when the client gives up.
    absl::Time answer_at = absl::Now() + absl::Milliseconds(request->delay_ms());
    while (absl::Now() < answer_at && !context->IsCancelled()) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    // Failures spread evenly: call n fails when the running share falls short.
    uint64_t n = calls_.fetch_add(1, std::memory_order_relaxed);
    if ((n + 1) * fail_percent_ / 100 > n * fail_percent_ / 100) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "failing on purpose (--fail_percent)");
    }
    reply->set_message("hello " + request->name());
    reply->set_served_by(address_);
    return grpc::Status::OK;
  }

 private:
  std::string address_;
  int fail_percent_ = 0;
  std::atomic<uint64_t> calls_{0};
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("An example gRPC server that registers itself with Switchboard.");
  absl::ParseCommandLine(argc, argv);

  // Signals are taken by sigwait() below, not by a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto etcd = switchboard::ParseEtcdEndpoints(absl::GetFlag(FLAGS_etcd));
  if (!etcd.ok()) {
    std::fprintf(stderr, "greeter_server: --etcd: %s\n", etcd.status().message().data());
    return 2;
  }
  if (absl::GetFlag(FLAGS_fail_percent) < 0 || absl::GetFlag(FLAGS_fail_percent) > 100) {
    std::fprintf(stderr, "greeter_server: --fail_percent=%d: want 0..100\n",
                 absl::GetFlag(FLAGS_fail_percent));
    return 2;
  }
  int weight = absl::GetFlag(FLAGS_weight);
  if (weight < 1 || weight > 10000) {
    std::fprintf(stderr, "greeter_server: --weight=%d: want 1..10000\n", weight);
    return 2;
  }

  GreeterService greeter;
  grpc::ServerBuilder builder;
  builder.RegisterService(&greeter);
  auto server = switchboard::DiscoverableServer::Start(
      builder, {.service = absl::GetFlag(FLAGS_service),
                .listen_address = absl::GetFlag(FLAGS_listen),
                .advertise_address = absl::GetFlag(FLAGS_advertise),
                .metadata = {.weight = static_cast<uint32_t>(weight), .zone = absl::GetFlag(FLAGS_zone),
                             .version = absl::GetFlag(FLAGS_version)},
                .etcd = *etcd,
                .registrar = {.prefix = absl::GetFlag(FLAGS_prefix), .ttl = absl::GetFlag(FLAGS_ttl)},
                .drain_timeout = absl::GetFlag(FLAGS_drain_timeout)});
  if (!server.ok()) {
    std::fprintf(stderr, "greeter_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  greeter.set_address((*server)->address());
  greeter.set_fail_percent(absl::GetFlag(FLAGS_fail_percent));
  std::printf("serving %s at %s\n", absl::GetFlag(FLAGS_service).c_str(),
              (*server)->address().c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  absl::Status status = (*server)->Shutdown();
  return status.ok() ? 0 : 1;
}
