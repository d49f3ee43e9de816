// The proxy model's cost: unary SayHello calls in a closed loop from a few
// client threads to K greeter servers on 127.0.0.1 (K = 1, 4, 16), three
// ways, in short alternating rounds so that noise from other work on the
// machine hits all alike (figures are medians over rounds):
//   - proxy:  `ipv4:127.0.0.1:<port>`, a plain channel to HAProxy, which
//             `switchboard proxy`'s driver keeps equal to the registry;
//   - xds:    `xds:///<service>` (embedded discovery from the same etcd);
//   - direct: `ipv4:a,b,c` with round_robin, the baseline.
// Also: the HAProxy process's CPU per call through it (from
// /proc/<pid>/stat), and the time from a registration in etcd to the first
// call the proxy sends to the new instance.
//
//   bench_proxy [--servers=1,4,16] [--threads=4] [--rounds=6] [--round_time=500ms]
//               [--joins=10] [--json=out.json]
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "switchboard/client/embedded_discovery.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/lookup/builtin_sources.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/proxy/haproxy_driver.h"
#include "switchboard/registry/registrar.h"
#include "testing/benchmark.h"

ABSL_FLAG(std::string, servers, "1,4,16", "server counts K, comma-separated");
ABSL_FLAG(int, threads, 4, "client threads calling in a closed loop");
ABSL_FLAG(int, rounds, 6, "rounds per variant and K");
ABSL_FLAG(absl::Duration, round_time, absl::Milliseconds(500), "measured time of one round");
ABSL_FLAG(absl::Duration, warmup, absl::Milliseconds(100), "unmeasured time before each round");
ABSL_FLAG(int, joins, 10, "registrations timed until their first call through the proxy");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::testing {
namespace {

struct RoundFigures {
  double qps = 0, p50_us = 0, p99_us = 0, client_cpu_us = 0, proxy_cpu_us = 0;
  int64_t failures = 0;
};

struct Variant {
  std::string name;
  std::shared_ptr<grpc::Channel> channel;
  bool through_proxy = false;
  std::vector<RoundFigures> rounds;
  double Median(double RoundFigures::*field) const {
    std::vector<double> values;
    for (const RoundFigures& r : rounds) values.push_back(r.*field);
    return testing::Median(values);
  }
  int64_t Failures() const {
    int64_t total = 0;
    for (const RoundFigures& r : rounds) total += r.failures;
    return total;
  }
};

double CpuSeconds(pid_t pid) {
  absl::StatusOr<ProcessUsage> usage = ReadProcessUsage(pid);
  return usage.ok() ? usage->cpu_seconds : 0;
}

RoundFigures RunRound(const Variant& variant, pid_t haproxy) {
  ClosedLoopCaller load(variant.channel, {.threads = absl::GetFlag(FLAGS_threads),
                                          .pause_after_failure = absl::Milliseconds(1)});
  load.Start();
  absl::SleepFor(absl::GetFlag(FLAGS_warmup));
  const double proxy_cpu_before = CpuSeconds(haproxy);
  load.BeginWindow();
  absl::SleepFor(absl::GetFlag(FLAGS_round_time));
  LoadWindow window = load.EndWindow();
  const double proxy_cpu = CpuSeconds(haproxy) - proxy_cpu_before;
  load.Stop();
  return {.qps = window.qps(), .p50_us = window.p50_us(), .p99_us = window.p99_us(),
          .client_cpu_us = window.cpu_us_per_call(),
          .proxy_cpu_us = window.ok() == 0 ? 0 : proxy_cpu * 1e6 / window.ok(),
          .failures = static_cast<int64_t>(window.failures.size())};
}

absl::StatusOr<std::vector<int>> ParseCounts(const std::string& text) {
  std::vector<int> counts;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int k = 0;
    if (!absl::SimpleAtoi(part, &k) || k < 1 || k > 64) {
      return absl::InvalidArgumentError(absl::StrCat("--servers: bad count '", part, "'"));
    }
    counts.push_back(k);
  }
  if (counts.empty()) return absl::InvalidArgumentError("--servers: no count given");
  return counts;
}

std::string ServiceFor(int k) { return absl::StrCat("greeter-k", k); }

absl::Status Run() {
  absl::StatusOr<std::vector<int>> counts = ParseCounts(absl::GetFlag(FLAGS_servers));
  if (!counts.ok()) return counts.status();
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < 1 || rounds > 100) return absl::InvalidArgumentError("--rounds: want 1..100");
  SetLogLevel(LogLevel::kWarn);
  int max_k = 0;
  for (int k : *counts) max_k = std::max(max_k, k);

  absl::StatusOr<std::unique_ptr<GreeterTestbed>> testbed = StartGreeterTestbed(max_k);
  if (!testbed.ok()) return testbed.status();
  EtcdProcess* etcd = (*testbed)->etcd.get();
  GreeterFleet& servers = *(*testbed)->servers;
  auto etcd_client = EtcdClient::Create({.endpoints = {etcd->endpoint()}});
  if (!etcd_client.ok()) return etcd_client.status();
  std::shared_ptr<EtcdClient> client = std::move(*etcd_client);

  // The first K servers under greeter-kK, each service with a port of its own.
  Registrar registrar(client, {.ttl = absl::Seconds(10)});
  std::vector<Instance> instances;
  proxy::HaproxyDriverOptions options{.data_dir = (*testbed)->logs.File("proxy")};
  std::map<int, std::vector<std::string>> addresses;
  for (int k : *counts) {
    for (int i = 0; i < k; ++i) {
      addresses[k].push_back(servers.address(i));
      instances.push_back({.service = ServiceFor(k), .address = servers.address(i)});
    }
    options.config.listens[ServiceFor(k)] = {"127.0.0.1", static_cast<uint16_t>(PickFreePort())};
  }
  const std::string join_service = "greeter-join";
  const uint16_t join_port = static_cast<uint16_t>(PickFreePort());
  options.config.listens[join_service] = {"127.0.0.1", join_port};
  if (absl::Status s = registrar.Start(instances); !s.ok()) return s;
  if (!registrar.WaitRegistered(absl::Seconds(10))) {
    return absl::DeadlineExceededError("could not register the benchmark's services within 10s");
  }
  auto source = MakeLookupSource(EtcdSourceUri(etcd->endpoint()));
  if (!source.ok()) return source.status();
  std::vector<std::unique_ptr<LookupSource>> sources;
  sources.push_back(std::move(*source));
  auto driver = proxy::HaproxyDriver::Start(std::move(sources), options);
  if (!driver.ok()) return driver.status();
  const pid_t haproxy = (*driver)->Stats().haproxy_pid;

  EmbeddedDiscoveryOptions discovery_options;
  discovery_options.source_uris = {EtcdSourceUri(etcd->endpoint())};
  auto discovery = StartEmbeddedDiscovery(std::move(discovery_options));
  if (!discovery.ok()) return discovery.status();

  std::printf("bench_proxy: K greeter servers, %d client threads, %d round(s) of %s per variant\n",
              absl::GetFlag(FLAGS_threads), rounds,
              absl::FormatDuration(absl::GetFlag(FLAGS_round_time)).c_str());
  Table table({"K", "variant", "QPS", "p50 us", "p99 us", "client CPU us/call",
               "HAProxy CPU us/call", "failed", "QPS / direct"});
  nlohmann::json result = {{"benchmark", "bench_proxy"}, {"machine", MachineDescription()},
                           {"threads", absl::GetFlag(FLAGS_threads)}, {"rounds", rounds}};
  for (int k : *counts) {
    const uint16_t port = options.config.listens[ServiceFor(k)].port;
    std::vector<Variant> variants;
    variants.push_back({.name = "proxy", .channel = grpc::CreateChannel(
                                             absl::StrCat("ipv4:127.0.0.1:", port),
                                             grpc::InsecureChannelCredentials()),
                        .through_proxy = true});
    variants.push_back({.name = "xds", .channel = MakeXdsChannel(ServiceFor(k))});
    variants.push_back({.name = "direct", .channel = MakeRoundRobinChannel(addresses[k])});
    if (absl::Status s = WaitUntilEveryVariantServes(variants, addresses[k], absl::Seconds(20));
        !s.ok()) {
      return s;
    }
    for (int round = 0; round < rounds; ++round) {
      for (size_t i = 0; i < variants.size(); ++i) {
        Variant& v = variants[(i + round) % variants.size()];
        v.rounds.push_back(RunRound(v, v.through_proxy ? haproxy : -1));
      }
    }
    const double direct_qps = variants.back().Median(&RoundFigures::qps);
    for (const Variant& v : variants) {
      table.AddRow({absl::StrCat(k), v.name, Fixed(v.Median(&RoundFigures::qps), 0),
                    Fixed(v.Median(&RoundFigures::p50_us)), Fixed(v.Median(&RoundFigures::p99_us)),
                    Fixed(v.Median(&RoundFigures::client_cpu_us)),
                    v.through_proxy ? Fixed(v.Median(&RoundFigures::proxy_cpu_us)) : "-",
                    absl::StrCat(v.Failures()), Fixed(Ratio(v.Median(&RoundFigures::qps), direct_qps), 3)});
      nlohmann::json& figures = result["servers"][absl::StrCat(k)][v.name];
      figures = {{"qps_median", v.Median(&RoundFigures::qps)},
                 {"p50_us_median", v.Median(&RoundFigures::p50_us)},
                 {"p99_us_median", v.Median(&RoundFigures::p99_us)},
                 {"client_cpu_us_per_call_median", v.Median(&RoundFigures::client_cpu_us)},
                 {"failures", v.Failures()}};
      if (v.through_proxy) figures["haproxy_cpu_us_per_call_median"] = v.Median(&RoundFigures::proxy_cpu_us);
    }
    std::printf("  K=%d done\n", k);
    std::fflush(stdout);
  }

  // Registration -> first call through the proxy: the instance is put in
  // etcd at t0; calls go to the proxy's port until one is answered.
  auto join_channel = grpc::CreateChannel(absl::StrCat("ipv4:127.0.0.1:", join_port),
                                          grpc::InsecureChannelCredentials());
  auto join_stub = examples::Greeter::NewStub(join_channel);
  std::vector<double> join_ms;
  for (int j = 0; j < absl::GetFlag(FLAGS_joins); ++j) {
    Registrar joining(client, {.ttl = absl::Seconds(10)});
    const absl::Time t0 = absl::Now();
    if (absl::Status s = joining.Start({{.service = join_service, .address = servers.address(j % max_k)}});
        !s.ok()) {
      return s;
    }
    bool served = WaitFor([&] { return CallGreeterOnce(*join_stub, absl::Milliseconds(200)).code ==
                                       grpc::StatusCode::OK; },
                          absl::Seconds(10), absl::Milliseconds(2));
    if (!served) return absl::DeadlineExceededError("a registration was not served through the proxy in 10s");
    join_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    if (absl::Status s = joining.Deregister(); !s.ok()) return s;
    joining.Stop();
    // Gone from the proxy again before the next registration.
    WaitFor([&] { return CallGreeterOnce(*join_stub, absl::Milliseconds(200)).code != grpc::StatusCode::OK; },
            absl::Seconds(10), absl::Milliseconds(5));
  }
  std::printf("\n");
  table.Print();
  std::printf("\nregistration -> first call through the proxy: median %.1f ms, max %.1f ms (%zu joins)\n",
              Median(join_ms), *std::max_element(join_ms.begin(), join_ms.end()), join_ms.size());
  result["registration_to_first_proxied_call_ms"] = {{"median", Median(join_ms)},
                                                      {"max", *std::max_element(join_ms.begin(), join_ms.end())},
                                                      {"all", join_ms}};
  (*driver)->Stop();
  registrar.Stop();
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::testing

int main(int argc, char** argv) {
  return switchboard::testing::BenchmarkMain(
      argc, argv,
      "Closed-loop SayHello throughput, latency and CPU through HAProxy driven by switchboard "
      "proxy, against xds:///... and a direct round_robin channel, at K servers.",
      switchboard::testing::Run);
}
