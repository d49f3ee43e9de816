// A deploy under load: three greeter servers (child processes registered in
// etcd) serve K client threads in a closed loop and are restarted one after
// another, each with a graceful drain (SIGTERM: DiscoverableServer marks
// itself draining, deregisters, waits until calls stop arriving, then shuts
// down letting calls in flight finish). The next server is restarted once
// the previous one serves again. Counted: failed calls over the whole
// rollout. Switchboard (`xds:///greeter`, embedded mode) against a direct
// `ipv4:` round_robin channel, in alternating rounds.
//
//   bench_rolling_restart [--rounds=2] [--threads=4] [--json=out.json]
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

ABSL_FLAG(int, rounds, 2, "rolling restarts of all three servers, per variant");
ABSL_FLAG(int, threads, 4, "client threads calling in a closed loop (K)");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::testing {
namespace {

struct RoundFigures {
  int64_t failed = 0;
  double seconds = 0;
  double qps = 0;
  std::string failure_summary;
};

struct Variant {
  std::string name;
  std::shared_ptr<grpc::Channel> channel;
  std::vector<RoundFigures> rounds;

  std::vector<double> Failed() const {
    std::vector<double> values;
    for (const RoundFigures& r : rounds) values.push_back(static_cast<double>(r.failed));
    return values;
  }
  std::vector<double> Seconds() const {
    std::vector<double> values;
    for (const RoundFigures& r : rounds) values.push_back(r.seconds);
    return values;
  }
  std::vector<double> Qps() const {
    std::vector<double> values;
    for (const RoundFigures& r : rounds) values.push_back(r.qps);
    return values;
  }
};

absl::StatusOr<RoundFigures> RollOut(Variant& variant, GreeterFleet& servers, int threads) {
  ClosedLoopCaller load(variant.channel, {.threads = threads, .pause_after_failure = absl::Milliseconds(1)});
  load.Start();
  absl::SleepFor(absl::Milliseconds(300));
  load.BeginWindow();
  absl::Time start = absl::Now();
  for (int i = 0; i < static_cast<int>(servers.size()); ++i) {
    servers.Stop(i);  // SIGTERM; returns once the server has drained and exited
    if (absl::Status s = servers.Restart(i); !s.ok()) return s;
    // The next one goes only when this one serves again, as a deploy would.
    if (!WaitUntilAllServe(*variant.channel, {servers.address(i)}, absl::Seconds(20))) {
      return absl::DeadlineExceededError(
          absl::StrCat(variant.name, ": restarted ", servers.address(i), " did not serve in 20s"));
    }
  }
  absl::SleepFor(absl::Milliseconds(300));
  LoadWindow window = load.EndWindow();
  load.Stop();
  return RoundFigures{.failed = static_cast<int64_t>(window.failures.size()),
                      .seconds = absl::ToDoubleSeconds(absl::Now() - start),
                      .qps = window.qps(),
                      .failure_summary = window.FailureSummary()};
}

absl::Status Run() {
  int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < 1 || rounds > 50) return absl::InvalidArgumentError("--rounds: want 1..50");
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
  if (absl::Status s = WaitUntilEveryVariantServes(variants, servers.Addresses(), absl::Seconds(20));
      !s.ok()) {
    return s;
  }

  std::printf("bench_rolling_restart: 3 servers restarted one by one with drain, K=%d, "
              "%d round(s) per variant\n",
              threads, rounds);
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < variants.size(); ++i) {
      Variant& variant = variants[(i + round) % variants.size()];
      absl::StatusOr<RoundFigures> figures = RollOut(variant, servers, threads);
      if (!figures.ok()) return figures.status();
      std::printf("  %-18s rollout in %.1f s: %lld failed (%s)\n", variant.name.c_str(),
                  figures->seconds, static_cast<long long>(figures->failed),
                  figures->failure_summary.c_str());
      std::fflush(stdout);
      variant.rounds.push_back(*figures);
      // Both channels see every server again before the next rollout; one
      // that did not come back fails that rollout, which waits for it.
      WaitUntilEveryVariantServes(variants, servers.Addresses(), absl::Seconds(20)).IgnoreError();
    }
  }

  std::printf("\n");
  Table table({"variant", "failed calls per rollout (median)", "max", "rollout s (median)",
               "QPS (median)"});
  nlohmann::json result = {{"benchmark", "bench_rolling_restart"},
                           {"machine", MachineDescription()},
                           {"threads", threads},
                           {"rounds", rounds}};
  for (const Variant& variant : variants) {
    table.AddRow({variant.name, Fixed(Median(variant.Failed()), 1),
                  Fixed(Max(variant.Failed()), 0), Fixed(Median(variant.Seconds()), 1),
                  Fixed(Median(variant.Qps()), 0)});
    result[variant.name == "xds:///greeter" ? "switchboard" : "baseline"] = {
        {"failed_per_rollout", variant.Failed()},
        {"failed_median", Median(variant.Failed())},
        {"rollout_seconds", variant.Seconds()},
        {"qps", variant.Qps()}};
  }
  table.Print();
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::testing

int main(int argc, char** argv) {
  return switchboard::testing::BenchmarkMain(
      argc, argv,
      "Failed calls while three servers are restarted one after another with a graceful "
      "drain, through xds:///greeter and through a direct round_robin channel.",
      switchboard::testing::Run);
}
