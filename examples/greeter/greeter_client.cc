// The example greeter client: Switchboard embedded in a C++ client. One call
// at start-up (StartEmbeddedDiscovery) and `xds:///greeter` balances over
// the greeter servers registered in etcd; the rest is plain gRPC. With
// GRPC_XDS_BOOTSTRAP(_CONFIG) set it uses that control plane instead
// (`export GRPC_XDS_BOOTSTRAP_CONFIG=$(switchboard bootstrap)`). It calls
// SayHello and prints how many replies each server gave.
//
//   greeter_client --source=etcd://127.0.0.1:2379/ --calls=300
//   greeter_client --duration=10s --threads=4      # closed loop, then counts
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <map>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "switchboard/client/embedded_discovery.h"
#include "greeter.grpc.pb.h"

ABSL_FLAG(std::vector<std::string>, source, {"etcd://127.0.0.1:2379/"},
          "lookup source URIs, comma-separated (etcd://, dns:///, file:///)");
ABSL_FLAG(std::string, service, "greeter", "service to call: the channel target is xds:///SERVICE");
ABSL_FLAG(int, calls, 100, "calls to make, one after the other (ignored with --duration)");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "call in a closed loop for this long instead of --calls");
ABSL_FLAG(int, threads, 1, "threads calling in parallel with --duration");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(2), "deadline of each call");

namespace {

struct Counts {
  std::mutex mu;
  std::map<std::string, int> by_server;
  std::map<std::string, int> failures;  // "UNAVAILABLE: message" -> count
};

void Call(switchboard::examples::Greeter::Stub& stub, Counts& counts) {
  switchboard::examples::HelloRequest request;
  request.set_name("greeter_client");
  switchboard::examples::HelloReply reply;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_deadline)));
  grpc::Status status = stub.SayHello(&context, request, &reply);
  std::lock_guard<std::mutex> lock(counts.mu);
  if (status.ok()) {
    ++counts.by_server[reply.served_by()];
  } else {
    ++counts.failures[absl::StrCat("code ", status.error_code(), ": ", status.error_message())];
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Calls the greeter through Switchboard's embedded mode and prints the replies per server.");
  absl::ParseCommandLine(argc, argv);

  // Control-plane mode: a bootstrap in the environment names a control plane
  // (`switchboard up` / `switchboard xds`), and nothing else is needed.
  // Embedded mode otherwise: before the first xds:/// channel, start the
  // control plane on a unix socket and point this process's gRPC at it.
  std::unique_ptr<switchboard::EmbeddedDiscovery> embedded;
  if (std::getenv("GRPC_XDS_BOOTSTRAP") != nullptr ||
      std::getenv("GRPC_XDS_BOOTSTRAP_CONFIG") != nullptr) {
    std::fprintf(stderr, "greeter_client: using the control plane named by the xDS bootstrap\n");
  } else {
    auto discovery = switchboard::StartEmbeddedDiscovery(absl::GetFlag(FLAGS_source));
    if (!discovery.ok()) {
      std::fprintf(stderr, "greeter_client: %s\n", discovery.status().ToString().c_str());
      return 1;
    }
    embedded = std::move(*discovery);
  }
  auto channel = grpc::CreateChannel("xds:///" + absl::GetFlag(FLAGS_service),
                                     grpc::InsecureChannelCredentials());
  auto stub = switchboard::examples::Greeter::NewStub(channel);

  Counts counts;
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Time start = absl::Now();
  if (duration > absl::ZeroDuration()) {
    std::vector<std::thread> threads;
    for (int t = 0; t < std::max(1, absl::GetFlag(FLAGS_threads)); ++t) {
      threads.emplace_back([&] {
        while (absl::Now() - start < duration) Call(*stub, counts);
      });
    }
    for (std::thread& t : threads) t.join();
  } else {
    for (int i = 0; i < absl::GetFlag(FLAGS_calls); ++i) Call(*stub, counts);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  int replies = 0;
  for (const auto& [server, n] : counts.by_server) replies += n;
  int failed = 0;
  for (const auto& [why, n] : counts.failures) failed += n;
  std::printf("%d replies, %d failed, in %.1fs\n", replies, failed, seconds);
  for (const auto& [server, n] : counts.by_server) {
    std::printf("  %-24s %6d  %5.1f%%\n", server.c_str(), n, replies ? 100.0 * n / replies : 0.0);
  }
  for (const auto& [why, n] : counts.failures) std::printf("  failed %6d  %s\n", n, why.c_str());
  return replies > 0 ? 0 : 1;
}
