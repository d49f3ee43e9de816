// A chaos soak on real processes: a three-member etcd cluster, greeter
// servers registered in it, the control plane as `switchboard xds`, and a
// client calling xds:///greeter throughout, while a bounded, seeded schedule
// of faults strikes them one after another (overlapping across kinds):
// greeter kill -9 and restart, greeter freeze, etcd member kill -9 and
// restart, etcd member freeze, control plane kill -9 and restart. Never more
// than one etcd member is down at once.
//
// The report counts failed calls by the fault(s) in progress or just ended
// when they failed, and ends with a check that every live server is
// registered in etcd and receiving calls. Used by the short soak test
// (tests/integration/chaos_soak_test.cc) and the long soak program
// (bench/soak_chaos.cc).
//
// Example:
//   absl::StatusOr<ChaosSoakReport> report = RunChaosSoak({
//       .duration = absl::Seconds(60), .seed = 7,
//       .greeter_server_binary = BuiltBinary("bin/greeter_server"),
//       .switchboard_binary = BuiltBinary("bin/switchboard")});
//   ASSERT_TRUE(report.ok()) << report.status();
//   std::printf("%s", report->Summary().c_str());
//   EXPECT_EQ(report->failed_calls, 0);
//   EXPECT_TRUE(report->end_check_problems.empty());
//
// Threading: RunChaosSoak blocks its caller for the whole soak and must be
// called from a thread that outlives it (the children die with the thread
// that started them). Call it once per process: gRPC's xDS client reads its
// bootstrap once.
#ifndef SWITCHBOARD_TESTING_CHAOS_SOAK_H_
#define SWITCHBOARD_TESTING_CHAOS_SOAK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard::testing {

enum class FaultKind {
  kBackendKill,       // kill -9, restarted on its address after the hold
  kBackendFreeze,     // SIGSTOP, SIGCONT after the hold
  kEtcdKill,          // kill -9 of one member, restarted with its data
  kEtcdFreeze,        // SIGSTOP of one member
  kControlPlaneKill,  // kill -9 of `switchboard xds`, restarted on its port
};
inline constexpr FaultKind kAllFaultKinds[] = {FaultKind::kBackendKill, FaultKind::kBackendFreeze,
                                               FaultKind::kEtcdKill, FaultKind::kEtcdFreeze,
                                               FaultKind::kControlPlaneKill};

// "backend kill -9", "etcd member freeze", ...
std::string FaultKindName(FaultKind kind);

// One fault of the schedule, relative to the soak's start.
struct PlannedFault {
  FaultKind kind;
  int target = 0;  // backend or etcd member index; 0 for the control plane
  absl::Duration start;
  absl::Duration hold;  // how long the target stays down or frozen
};

struct ChaosSoakOptions {
  // How long faults are scheduled for (the soak takes a little longer:
  // start-up, the last recovery, the end check).
  absl::Duration duration = absl::Seconds(60);
  uint64_t seed = 1;
  int backends = 3;
  int etcd_members = 3;
  // Time between the starts of two faults, uniformly in [min, max].
  absl::Duration min_gap = absl::Seconds(1);
  absl::Duration max_gap = absl::Seconds(3);
  absl::Duration backend_down = absl::Seconds(1);
  absl::Duration backend_freeze = absl::Seconds(2);
  absl::Duration etcd_down = absl::Seconds(3);
  absl::Duration etcd_freeze = absl::Seconds(5);
  absl::Duration control_plane_down = absl::Seconds(1);

  int caller_threads = 4;
  // Longer than the longest backend freeze: a call that lands on a frozen
  // server is slow, not failed, once the server thaws.
  absl::Duration call_deadline = absl::Seconds(5);
  // A failure counts against every fault in progress, or ended less than
  // this long before.
  absl::Duration attribution_grace = absl::Seconds(2);
  // How long the end check waits for every live server to be registered
  // and served.
  absl::Duration settle_timeout = absl::Seconds(20);

  std::string greeter_server_binary;
  std::string switchboard_binary;
  std::string service = "greeter";
  // Logs of every process; empty: a temporary directory, removed after.
  std::string log_dir;
  // Progress lines ("12.3s etcd member freeze m1 ..."), as they happen.
  std::function<void(const std::string& line)> on_event;
};

// The schedule RunChaosSoak follows: pure, the same for the same options.
// Faults of one kind of target (greeters, etcd, control plane) never
// overlap, so at most one etcd member is down at a time, and the last
// fault ends before `duration`.
std::vector<PlannedFault> PlanFaults(const ChaosSoakOptions& options);

// What one fault did.
struct FaultOutcome {
  PlannedFault plan;
  std::string target;  // "127.0.0.1:40123", "etcd m1", "switchboard xds"

  absl::Duration began;  // since the soak's start
  absl::Duration ended;
  // Calls that failed while this fault was in progress or just ended...
  int64_t failed_calls = 0;
  std::map<std::string, int64_t> failures_by_code;
  // ...and those of them during which no other fault was: what this fault
  // alone is to blame for.
  int64_t failed_calls_alone = 0;
  std::string error;  // when the fault itself could not be dealt (a restart failed)
};

struct ChaosSoakReport {
  uint64_t seed = 0;
  absl::Duration length;  // of the load
  int64_t calls = 0;
  int64_t failed_calls = 0;
  std::map<std::string, int64_t> failures_by_code;
  std::vector<FaultOutcome> faults;
  // Failures while no fault was in progress or just ended.
  int64_t unattributed_failures = 0;
  std::map<std::string, int64_t> unattributed_by_code;
  // The last message of each failure code, to say why.
  std::map<std::string, std::string> last_failure_message;
  // Empty when every live server was registered and served at the end.
  std::vector<std::string> end_check_problems;

  // Failed calls per fault kind (a failure during two faults counts for
  // both).
  std::map<FaultKind, int64_t> FailuresByKind() const;
  // Failed calls per fault kind while no other fault was in progress.
  std::map<FaultKind, int64_t> FailuresByKindAlone() const;
  // The report as aligned text: every fault with its failures, a line per
  // kind, the unattributed failures and the end check.
  std::string Summary() const;
};

// Starts everything, runs the schedule under load, checks the end state and
// stops everything. An error only when the soak could not be set up; what
// went wrong during it is in the report.
absl::StatusOr<ChaosSoakReport> RunChaosSoak(const ChaosSoakOptions& options);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_CHAOS_SOAK_H_
