// Data-path cost of Switchboard: unary SayHello calls in a closed loop from
// K threads to three greeter servers on 127.0.0.1, through `xds:///greeter`
// (embedded mode, fed by the etcd registry the servers registered in) and,
// as the baseline, through a direct `ipv4:a,b,c` channel with round_robin
// to the same servers. The two variants run in alternating rounds (A B B A
// ...) so that noise from other work on the machine hits both alike; the
// figures are medians over rounds, and the ratio is Switchboard's over the
// baseline's.
//
//   bench_data_path [--threads=1,4,16] [--rounds=5] [--round_time=2s] [--json=out.json]
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
#include "bench_support.h"
#include "client/embedded_discovery.h"
#include "common/log.h"
#include "harness/etcd_process.h"

ABSL_FLAG(std::string, threads, "1,4,16", "client thread counts K, comma-separated");
ABSL_FLAG(int, rounds, 5, "rounds per variant and K");
ABSL_FLAG(absl::Duration, round_time, absl::Seconds(2), "measured time of one round");
ABSL_FLAG(absl::Duration, warmup, absl::Milliseconds(300), "unmeasured time before each round");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::bench {
namespace {

struct RoundFigures {
  double qps = 0;
  double p50_us = 0;
  double p99_us = 0;
  int64_t failures = 0;
};

RoundFigures RunRound(const std::shared_ptr<grpc::Channel>& channel, int threads) {
  GreeterLoad load(channel, {.threads = threads});
  load.Start();
  absl::SleepFor(absl::GetFlag(FLAGS_warmup));
  load.BeginWindow();
  absl::SleepFor(absl::GetFlag(FLAGS_round_time));
  LoadWindow window = load.EndWindow();
  load.Stop();
  return {window.qps(), window.p50_us(), window.p99_us(),
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
  int64_t Failures() const {
    int64_t total = 0;
    for (const RoundFigures& r : rounds) total += r.failures;
    return total;
  }
  nlohmann::json Json() const {
    return {{"qps_median", MedianQps()},
            {"p50_us_median", MedianP50()},
            {"p99_us_median", MedianP99()},
            {"failures", Failures()},
            {"qps_per_round", Field(&RoundFigures::qps)},
            {"p50_us_per_round", Field(&RoundFigures::p50_us)},
            {"p99_us_per_round", Field(&RoundFigures::p99_us)}};
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

absl::Status Run() {
  absl::StatusOr<std::vector<int>> thread_counts = ParseThreadCounts(absl::GetFlag(FLAGS_threads));
  if (!thread_counts.ok()) return thread_counts.status();
  int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < 1 || rounds > 100) return absl::InvalidArgumentError("--rounds: want 1..100");
  SetLogLevel(LogLevel::kWarn);

  auto etcd = testing::EtcdProcess::Start();
  if (!etcd.ok()) return etcd.status();
  absl::StatusOr<std::string> greeter_binary = BuiltBinary("examples/greeter/greeter_server");
  if (!greeter_binary.ok()) return greeter_binary.status();
  testing::TempDir logs;
  GreeterChildren servers({.binary = *greeter_binary, .etcd = (*etcd)->endpoint(),
                           .log_dir = logs.path()});
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<int> added = servers.Add();
    if (!added.ok()) return added.status();
  }

  auto discovery = StartEmbeddedDiscovery({absl::StrCat("etcd://", (*etcd)->endpoint(), "/")});
  if (!discovery.ok()) return discovery.status();
  std::shared_ptr<grpc::Channel> switchboard = MakeXdsChannel("greeter");
  std::shared_ptr<grpc::Channel> direct = MakeRoundRobinChannel(servers.Addresses());
  for (const auto& channel : {switchboard, direct}) {
    if (!WaitUntilAllServe(*channel, servers.Addresses(), absl::Seconds(20))) {
      return absl::DeadlineExceededError("the three greeter servers did not all serve within 20s");
    }
  }

  std::printf("bench_data_path: 3 greeter servers, %d round(s) of %s per variant and K\n", rounds,
              absl::FormatDuration(absl::GetFlag(FLAGS_round_time)).c_str());
  Table table({"K", "variant", "QPS", "p50 us", "p99 us", "failed", "QPS ratio"});
  nlohmann::json result = {{"benchmark", "bench_data_path"}, {"machine", MachineDescription()}};
  for (int k : *thread_counts) {
    VariantFigures with_switchboard, baseline;
    std::vector<double> paired_ratios;
    for (int round = 0; round < rounds; ++round) {
      // A B, then B A: neither variant always runs first.
      RoundFigures a, b;
      if (round % 2 == 0) {
        a = RunRound(switchboard, k);
        b = RunRound(direct, k);
      } else {
        b = RunRound(direct, k);
        a = RunRound(switchboard, k);
      }
      with_switchboard.rounds.push_back(a);
      baseline.rounds.push_back(b);
      paired_ratios.push_back(Ratio(a.qps, b.qps));
    }
    double ratio = Ratio(with_switchboard.MedianQps(), baseline.MedianQps());
    table.AddRow({absl::StrCat(k), "xds:///greeter", Fixed(with_switchboard.MedianQps(), 0),
                  Fixed(with_switchboard.MedianP50()), Fixed(with_switchboard.MedianP99()),
                  absl::StrCat(with_switchboard.Failures()), Fixed(ratio, 3)});
    table.AddRow({absl::StrCat(k), "ipv4 round_robin", Fixed(baseline.MedianQps(), 0),
                  Fixed(baseline.MedianP50()), Fixed(baseline.MedianP99()),
                  absl::StrCat(baseline.Failures()), "1"});
    result["threads"][absl::StrCat(k)] = {{"switchboard", with_switchboard.Json()},
                                          {"baseline", baseline.Json()},
                                          {"qps_ratio_of_medians", ratio},
                                          {"qps_ratio_median_of_pairs", Median(paired_ratios)}};
    std::printf("  K=%d: QPS %0.f vs %0.f, ratio %.3f (median of paired rounds %.3f)\n", k,
                with_switchboard.MedianQps(), baseline.MedianQps(), ratio, Median(paired_ratios));
    std::fflush(stdout);
  }
  std::printf("\n");
  table.Print();
  result["rounds"] = rounds;
  result["round_seconds"] = absl::ToDoubleSeconds(absl::GetFlag(FLAGS_round_time));
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Closed-loop SayHello throughput and latency through xds:///greeter (Switchboard "
      "embedded mode) against a direct round_robin channel.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = switchboard::bench::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "bench_data_path: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
