// The long chaos soak: minutes of seeded faults — greeter kill -9 and
// freezes, etcd member kill -9 and freezes (one member at a time), control
// plane kill -9 — on real processes while a client calls xds:///greeter.
// Prints every fault as it strikes, then the failed calls by fault, the end
// check, and the figures as a RESULT line. Stops by itself.
//
//   soak_chaos [--duration=10m] [--seed=N] [--backends=3] [--threads=4] [--deadline=5s]
//              [--log_dir=DIR] [--json=out.json]
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/benchmark.h"
#include "switchboard/common/log.h"
#include "testing/chaos_soak.h"

ABSL_FLAG(absl::Duration, duration, absl::Minutes(10), "how long faults are scheduled for");
ABSL_FLAG(uint64_t, seed, 0, "the schedule's seed; 0: from the clock (printed)");
ABSL_FLAG(int, backends, 3, "greeter servers");
ABSL_FLAG(int, threads, 4, "client threads calling in a closed loop");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(5),
          "each call's deadline (shorter than the 2s greeter freeze: frozen servers fail calls)");
ABSL_FLAG(std::string, log_dir, "", "keep every process's log here (default: a temp dir, removed)");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::testing {
namespace {

absl::Status Run() {
  absl::Duration duration = absl::GetFlag(FLAGS_duration);
  if (duration < absl::Seconds(10) || duration > absl::Hours(24)) {
    return absl::InvalidArgumentError("--duration: want 10s..24h");
  }
  int backends = absl::GetFlag(FLAGS_backends);
  if (backends < 1 || backends > 50) return absl::InvalidArgumentError("--backends: want 1..50");
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1 || threads > 64) return absl::InvalidArgumentError("--threads: want 1..64");
  absl::Duration deadline = absl::GetFlag(FLAGS_deadline);
  if (deadline < absl::Milliseconds(10))
    return absl::InvalidArgumentError("--deadline: want 10ms or more");
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) seed = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()));
  SetLogLevel(LogLevel::kWarn);

  absl::StatusOr<std::string> greeter = LocateBuiltBinary("bin/greeter_server");
  if (!greeter.ok()) return greeter.status();
  absl::StatusOr<std::string> switchboard = LocateBuiltBinary("bin/switchboard");
  if (!switchboard.ok()) return switchboard.status();

  std::printf("soak_chaos: seed %llu (--seed=%llu runs this schedule again), %s of faults\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
              absl::FormatDuration(duration).c_str());
  std::fflush(stdout);
  absl::StatusOr<testing::ChaosSoakReport> report = testing::RunChaosSoak({
      .duration = duration,
      .seed = seed,
      .backends = backends,
      .caller_threads = threads,
      .call_deadline = deadline,
      .greeter_server_binary = *greeter,
      .switchboard_binary = *switchboard,
      .log_dir = absl::GetFlag(FLAGS_log_dir),
      .on_event =
          [](const std::string& line) {
            std::printf("  %s\n", line.c_str());
            std::fflush(stdout);
          },
  });
  if (!report.ok()) return report.status();
  std::printf("\n%s", report->Summary().c_str());

  nlohmann::json by_kind = nlohmann::json::object();
  std::map<testing::FaultKind, int> counts;
  for (const testing::FaultOutcome& fault : report->faults) ++counts[fault.plan.kind];
  std::map<testing::FaultKind, int64_t> alone = report->FailuresByKindAlone();
  for (const auto& [kind, failed] : report->FailuresByKind()) {
    by_kind[testing::FaultKindName(kind)] = {
        {"faults", counts[kind]}, {"failed_calls", failed}, {"failed_calls_alone", alone[kind]}};
  }
  int fault_errors = 0;
  for (const testing::FaultOutcome& fault : report->faults) fault_errors += !fault.error.empty();
  nlohmann::json result = {{"benchmark", "soak_chaos"},
                           {"machine", MachineDescription()},
                           {"seed", seed},
                           {"duration_s", absl::ToDoubleSeconds(report->length)},
                           {"backends", backends},
                           {"threads", threads},
                           {"deadline_ms", absl::ToDoubleMilliseconds(deadline)},
                           {"faults", report->faults.size()},
                           {"fault_errors", fault_errors},
                           {"calls", report->calls},
                           {"failed_calls", report->failed_calls},
                           {"failures_by_code", report->failures_by_code},
                           {"failed_by_fault_kind", by_kind},
                           {"failed_without_fault", report->unattributed_failures},
                           {"end_check_ok", report->end_check_problems.empty()},
                           {"end_check_problems", report->end_check_problems}};
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::testing

int main(int argc, char** argv) {
  return switchboard::testing::BenchmarkMain(
      argc, argv,
      "Minutes of seeded faults (kill -9 and freezes of greeters, etcd members and the control "
      "plane) under load through xds:///greeter; failed calls counted by fault.",
      switchboard::testing::Run);
}
