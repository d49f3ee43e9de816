// What a crash costs the clients: three greeter servers (child processes,
// registered in etcd with a 2 s TTL) serve K client threads in a closed
// loop; one server is killed with SIGKILL (no drain, no deregistration).
// Counted: the calls that failed, and the time from the kill until the last
// failure. Switchboard (`xds:///greeter`, embedded mode; its routes retry
// UNAVAILABLE by default) against a direct `ipv4:` round_robin channel, in
// alternating trials; the killed server is restarted on its address before
// the next trial.
//
//   bench_failover [--trials=4] [--threads=4] [--json=out.json]
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/benchmark.h"
#include "switchboard/client/embedded_discovery.h"
#include "switchboard/common/log.h"
#include "testing/etcd_process.h"
#include "switchboard/lookup/source_uri.h"

ABSL_FLAG(int, trials, 4, "kills per variant");
ABSL_FLAG(int, threads, 4, "client threads calling in a closed loop (K)");
ABSL_FLAG(absl::Duration, after_kill, absl::Milliseconds(2500),
          "how long calls are watched after the kill");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::testing {
namespace {

struct TrialFigures {
  int64_t failed = 0;
  double errors_for_ms = 0;  // kill -> last failure; 0 when none failed
  double qps = 0;
  std::string failure_summary;
};

struct Variant {
  std::string name;
  std::shared_ptr<grpc::Channel> channel;
  std::vector<TrialFigures> trials;

  std::vector<double> Field(double TrialFigures::*field) const {
    std::vector<double> values;
    for (const TrialFigures& t : trials) values.push_back(t.*field);
    return values;
  }
  std::vector<double> Failed() const {
    std::vector<double> values;
    for (const TrialFigures& t : trials) values.push_back(static_cast<double>(t.failed));
    return values;
  }
  int64_t TotalFailed() const {
    int64_t total = 0;
    for (const TrialFigures& t : trials) total += t.failed;
    return total;
  }
};

absl::StatusOr<TrialFigures> RunTrial(Variant& variant, GreeterFleet& servers, int victim,
                                      int threads) {
  ClosedLoopCaller load(variant.channel, {.threads = threads, .pause_after_failure = absl::Milliseconds(1)});
  load.Start();
  absl::SleepFor(absl::Milliseconds(300));
  load.BeginWindow();
  absl::SleepFor(absl::Milliseconds(500));
  absl::Time killed_at = absl::Now();
  servers.Kill(victim);
  absl::SleepFor(absl::GetFlag(FLAGS_after_kill));
  LoadWindow window = load.EndWindow();
  load.Stop();

  TrialFigures figures;
  figures.qps = window.qps();
  figures.failure_summary = window.FailureSummary();
  for (const FailedCall& failure : window.failures) {
    figures.failed++;
    figures.errors_for_ms =
        std::max(figures.errors_for_ms, absl::ToDoubleMilliseconds(failure.at - killed_at));
  }
  return figures;
}

absl::Status Run() {
  int trials = absl::GetFlag(FLAGS_trials);
  if (trials < 1 || trials > 100) return absl::InvalidArgumentError("--trials: want 1..100");
  int threads = absl::GetFlag(FLAGS_threads);
  SetLogLevel(LogLevel::kWarn);

  absl::StatusOr<std::unique_ptr<GreeterTestbed>> testbed = StartGreeterTestbed(3);
  if (!testbed.ok()) return testbed.status();
  testing::EtcdProcess* etcd = (*testbed)->etcd.get();
  GreeterFleet& servers = *(*testbed)->servers;
  auto discovery = StartEmbeddedDiscovery({EtcdSourceUri(etcd->endpoint())});
  if (!discovery.ok()) return discovery.status();

  std::vector<Variant> variants;
  variants.push_back({"xds:///greeter", MakeXdsChannel("greeter")});
  variants.push_back({"ipv4 round_robin", MakeRoundRobinChannel(servers.Addresses())});
  auto all_serve = [&] {
    return WaitUntilEveryVariantServes(variants, servers.Addresses(), absl::Seconds(20));
  };
  if (absl::Status s = all_serve(); !s.ok()) return s;

  std::printf("bench_failover: kill -9 one of 3 servers under K=%d, %d trial(s) per variant\n",
              threads, trials);
  for (int trial = 0; trial < trials; ++trial) {
    for (size_t i = 0; i < variants.size(); ++i) {
      // Alternate which variant goes first; a different victim each time.
      Variant& variant = variants[(i + trial) % variants.size()];
      int victim = (trial * 2 + static_cast<int>(i)) % 3;
      absl::StatusOr<TrialFigures> figures = RunTrial(variant, servers, victim, threads);
      if (!figures.ok()) return figures.status();
      std::printf("  %-18s killed %s: %lld failed (%s), errors for %.0f ms\n",
                  variant.name.c_str(), servers.address(victim).c_str(),
                  static_cast<long long>(figures->failed), figures->failure_summary.c_str(),
                  figures->errors_for_ms);
      std::fflush(stdout);
      variant.trials.push_back(*figures);
      if (absl::Status s = servers.Restart(victim); !s.ok()) return s;
      if (absl::Status s = all_serve(); !s.ok()) return s;
    }
  }

  std::printf("\n");
  Table table({"variant", "failed calls per kill (median)", "max", "total", "errors for ms (median)",
               "max ms", "QPS (median)"});
  nlohmann::json result = {{"benchmark", "bench_failover"},
                           {"machine", MachineDescription()},
                           {"threads", threads},
                           {"trials", trials}};
  for (const Variant& variant : variants) {
    table.AddRow({variant.name, Fixed(Median(variant.Failed()), 1), Fixed(Max(variant.Failed()), 0),
                  absl::StrCat(variant.TotalFailed()),
                  Fixed(Median(variant.Field(&TrialFigures::errors_for_ms)), 0),
                  Fixed(Max(variant.Field(&TrialFigures::errors_for_ms)), 0),
                  Fixed(Median(variant.Field(&TrialFigures::qps)), 0)});
    result[variant.name == "xds:///greeter" ? "switchboard" : "baseline"] = {
        {"failed_per_kill", variant.Failed()},
        {"failed_total", variant.TotalFailed()},
        {"failed_median", Median(variant.Failed())},
        {"errors_for_ms", variant.Field(&TrialFigures::errors_for_ms)},
        {"qps", variant.Field(&TrialFigures::qps)}};
  }
  table.Print();
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::testing

int main(int argc, char** argv) {
  return switchboard::testing::BenchmarkMain(
      argc, argv,
      "Failed calls and time to recover when one of three servers is killed with SIGKILL, "
      "through xds:///greeter and through a direct round_robin channel.",
      switchboard::testing::Run);
}
