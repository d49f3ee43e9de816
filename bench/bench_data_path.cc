// Data-path cost of Switchboard: unary SayHello calls in a closed loop from
// K threads to three greeter servers on 127.0.0.1, through `xds:///greeter`
// (embedded mode, fed by the etcd registry the servers registered in) and,
// as the baseline, through a direct `ipv4:a,b,c` channel with round_robin
// to the same servers. The variants run in short alternating rounds (A B C,
// B C A, ...) so that noise from other work on the machine hits all alike;
// the figures are medians over rounds, and the ratios are Switchboard's over
// the baseline's: of the medians, and the median of each round's ratio. A third variant, the same servers under a name whose routes
// carry no retry policy, separates the cost of gRPC's retry machinery from
// the rest of the xDS path.
//
//   bench_data_path [--threads=1,4,16] [--rounds=16] [--round_time=500ms]
//                   [--no_retry_variant=false] [--json=out.json]
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "testing/benchmark.h"
#include "switchboard/client/embedded_discovery.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/etcd_client.h"
#include "testing/etcd_process.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/registry/registrar.h"

ABSL_FLAG(std::string, threads, "1,4,16", "client thread counts K, comma-separated");
ABSL_FLAG(int, rounds, 16, "rounds per variant and K");
ABSL_FLAG(absl::Duration, round_time, absl::Milliseconds(500), "measured time of one round");
ABSL_FLAG(absl::Duration, warmup, absl::Milliseconds(100), "unmeasured time before each round");
ABSL_FLAG(bool, no_retry_variant, true,
          "also run xds:///greeter-noretry, the same servers with routes that carry no retry "
          "policy, to show what the retry machinery costs per call");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::testing {
namespace {

struct RoundFigures {
  double qps = 0;
  double p50_us = 0;
  double p99_us = 0;
  double cpu_us_per_call = 0;
  int64_t failures = 0;
};

RoundFigures RunRound(const std::shared_ptr<grpc::Channel>& channel, int threads) {
  ClosedLoopCaller load(channel, {.threads = threads, .pause_after_failure = absl::Milliseconds(1)});
  load.Start();
  absl::SleepFor(absl::GetFlag(FLAGS_warmup));
  load.BeginWindow();
  absl::SleepFor(absl::GetFlag(FLAGS_round_time));
  LoadWindow window = load.EndWindow();
  load.Stop();
  return {window.qps(), window.p50_us(), window.p99_us(), window.cpu_us_per_call(),
          static_cast<int64_t>(window.failures.size())};
}

struct VariantFigures {
  std::vector<RoundFigures> rounds;
  std::vector<double> Field(double RoundFigures::*field) const {
    std::vector<double> values;
    for (const RoundFigures& r : rounds) values.push_back(r.*field);
    return values;
  }
  double MedianQps() const { return Median(Field(&RoundFigures::qps)); }
  double MedianP50() const { return Median(Field(&RoundFigures::p50_us)); }
  double MedianP99() const { return Median(Field(&RoundFigures::p99_us)); }
  double MedianCpu() const { return Median(Field(&RoundFigures::cpu_us_per_call)); }
  int64_t Failures() const {
    int64_t total = 0;
    for (const RoundFigures& r : rounds) total += r.failures;
    return total;
  }
  nlohmann::json Json() const {
    return {{"qps_median", MedianQps()},
            {"p50_us_median", MedianP50()},
            {"p99_us_median", MedianP99()},
            {"client_cpu_us_per_call_median", MedianCpu()},
            {"failures", Failures()},
            {"qps_per_round", Field(&RoundFigures::qps)},
            {"p50_us_per_round", Field(&RoundFigures::p50_us)},
            {"p99_us_per_round", Field(&RoundFigures::p99_us)},
            {"client_cpu_us_per_call_per_round", Field(&RoundFigures::cpu_us_per_call)}};
  }
};

absl::StatusOr<std::vector<int>> ParseThreadCounts(const std::string& text) {
  std::vector<int> counts;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int k = 0;
    if (!absl::SimpleAtoi(part, &k) || k < 1 || k > 256) {
      return absl::InvalidArgumentError(absl::StrCat("--threads: bad count '", part, "'"));
    }
    counts.push_back(k);
  }
  if (counts.empty()) return absl::InvalidArgumentError("--threads: no count given");
  return counts;
}

// One way of reaching the servers.
struct Variant {
  std::string name;
  std::shared_ptr<grpc::Channel> channel;
  VariantFigures figures;
};

absl::Status Run() {
  absl::StatusOr<std::vector<int>> thread_counts = ParseThreadCounts(absl::GetFlag(FLAGS_threads));
  if (!thread_counts.ok()) return thread_counts.status();
  int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < 1 || rounds > 100) return absl::InvalidArgumentError("--rounds: want 1..100");
  SetLogLevel(LogLevel::kWarn);

  absl::StatusOr<std::unique_ptr<GreeterTestbed>> testbed = StartGreeterTestbed(3);
  if (!testbed.ok()) return testbed.status();
  testing::EtcdProcess* etcd = (*testbed)->etcd.get();
  GreeterFleet& servers = *(*testbed)->servers;

  // The same three servers also under a second name whose routes carry no
  // retry policy: it shows what the retry machinery costs per call.
  bool with_no_retry = absl::GetFlag(FLAGS_no_retry_variant);
  auto etcd_client = EtcdClient::Create({.endpoints = {etcd->endpoint()}});
  if (!etcd_client.ok()) return etcd_client.status();
  Registrar no_retry_registrar(std::move(*etcd_client), {.ttl = absl::Seconds(10)});
  if (with_no_retry) {
    std::vector<Instance> instances;
    for (const std::string& address : servers.Addresses()) {
      instances.push_back({.service = "greeter-noretry", .address = address});
    }
    if (absl::Status s = no_retry_registrar.Start(instances); !s.ok()) return s;
    if (!no_retry_registrar.WaitRegistered(absl::Seconds(10))) {
      return absl::DeadlineExceededError("could not register greeter-noretry within 10s");
    }
  }

  EmbeddedDiscoveryOptions discovery_options;
  discovery_options.source_uris = {EtcdSourceUri(etcd->endpoint())};
  discovery_options.policies.per_service["greeter-noretry"].retry.reset();
  auto discovery = StartEmbeddedDiscovery(std::move(discovery_options));
  if (!discovery.ok()) return discovery.status();

  std::vector<Variant> variants;
  variants.push_back({"xds:///greeter", MakeXdsChannel("greeter")});
  if (with_no_retry) variants.push_back({"  same, no retry policy", MakeXdsChannel("greeter-noretry")});
  variants.push_back({"ipv4 round_robin", MakeRoundRobinChannel(servers.Addresses())});
  const size_t switchboard = 0;
  const size_t baseline = variants.size() - 1;
  if (absl::Status s = WaitUntilEveryVariantServes(variants, servers.Addresses(), absl::Seconds(20));
      !s.ok()) {
    return s;
  }

  std::printf("bench_data_path: 3 greeter servers, %d round(s) of %s per variant and K\n", rounds,
              absl::FormatDuration(absl::GetFlag(FLAGS_round_time)).c_str());
  Table table({"K", "variant", "QPS", "p50 us", "p99 us", "client CPU us/call", "failed",
               "QPS ratio", "paired ratio"});
  nlohmann::json result = {{"benchmark", "bench_data_path"}, {"machine", MachineDescription()}};
  for (int k : *thread_counts) {
    for (Variant& variant : variants) variant.figures = {};
    std::vector<std::vector<double>> paired_ratios(variants.size());
    for (int round = 0; round < rounds; ++round) {
      // Each round starts with the next variant, so none always runs first.
      std::vector<RoundFigures> figures(variants.size());
      for (size_t i = 0; i < variants.size(); ++i) {
        size_t v = (i + round) % variants.size();
        figures[v] = RunRound(variants[v].channel, k);
      }
      for (size_t v = 0; v < variants.size(); ++v) {
        variants[v].figures.rounds.push_back(figures[v]);
        paired_ratios[v].push_back(Ratio(figures[v].qps, figures[baseline].qps));
      }
    }
    nlohmann::json& at_k = result["threads"][absl::StrCat(k)];
    for (size_t v = 0; v < variants.size(); ++v) {
      const VariantFigures& f = variants[v].figures;
      double ratio = Ratio(f.MedianQps(), variants[baseline].figures.MedianQps());
      table.AddRow({absl::StrCat(k), variants[v].name, Fixed(f.MedianQps(), 0),
                    Fixed(f.MedianP50()), Fixed(f.MedianP99()), Fixed(f.MedianCpu()),
                    absl::StrCat(f.Failures()), Fixed(ratio, 3),
                    Fixed(Median(paired_ratios[v]), 3)});
      nlohmann::json figures = f.Json();
      figures["qps_ratio_of_medians"] = ratio;
      figures["qps_ratio_median_of_paired_rounds"] = Median(paired_ratios[v]);
      std::string key = v == switchboard ? "switchboard"
                        : v == baseline  ? "baseline"
                                         : "switchboard_no_retry";
      at_k[key] = figures;
    }
    const VariantFigures& a = variants[switchboard].figures;
    const VariantFigures& b = variants[baseline].figures;
    std::printf(
        "  K=%d: QPS %0.f vs %0.f, ratio %.3f (median of paired rounds %.3f); client CPU per "
        "call %.1f vs %.1f us\n",
        k, a.MedianQps(), b.MedianQps(), Ratio(a.MedianQps(), b.MedianQps()),
        Median(paired_ratios[switchboard]), a.MedianCpu(), b.MedianCpu());
    std::fflush(stdout);
  }
  std::printf("\n");
  table.Print();
  result["rounds"] = rounds;
  result["round_seconds"] = absl::ToDoubleSeconds(absl::GetFlag(FLAGS_round_time));
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::testing

int main(int argc, char** argv) {
  return switchboard::testing::BenchmarkMain(
      argc, argv,
      "Closed-loop SayHello throughput and latency through xds:///greeter (Switchboard "
      "embedded mode) against a direct round_robin channel.",
      switchboard::testing::Run);
}
