#include "testing/chaos_soak.h"

#include <stdlib.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "switchboard/etcd/etcd_client.h"
#include "testing/call_tally.h"
#include "testing/closed_loop_caller.h"
#include "testing/greeter_fleet.h"
#include "testing/child_process.h"
#include "testing/etcd_cluster.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/registry/naming_codec.h"
#include "switchboard/xds/bootstrap.h"

namespace switchboard::testing {
namespace {

// What a fault strikes; faults on one kind of target never overlap.
enum Category { kBackends = 0, kEtcd = 1, kControlPlane = 2 };

Category CategoryOf(FaultKind kind) {
  switch (kind) {
    case FaultKind::kBackendKill:
    case FaultKind::kBackendFreeze: return kBackends;
    case FaultKind::kEtcdKill:
    case FaultKind::kEtcdFreeze: return kEtcd;
    case FaultKind::kControlPlaneKill: return kControlPlane;
  }
  return kControlPlane;
}

absl::Duration HoldOf(FaultKind kind, const ChaosSoakOptions& o) {
  switch (kind) {
    case FaultKind::kBackendKill: return o.backend_down;
    case FaultKind::kBackendFreeze: return o.backend_freeze;
    case FaultKind::kEtcdKill: return o.etcd_down;
    case FaultKind::kEtcdFreeze: return o.etcd_freeze;
    case FaultKind::kControlPlaneKill: return o.control_plane_down;
  }
  return absl::ZeroDuration();
}

// Time to come back after a fault ends (a restart, a member catching up)
// before the same kind of target is struck again.
absl::Duration RecoveryOf(Category category) {
  return category == kEtcd ? absl::Seconds(2) : absl::Seconds(1);
}

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d)); }

std::string CodesSummary(const std::map<std::string, int64_t>& codes) {
  if (codes.empty()) return "none";
  std::vector<std::string> parts;
  for (const auto& [code, count] : codes) parts.push_back(absl::StrCat(code, "=", count));
  return absl::StrJoin(parts, " ");
}

// Failures counted over one short stretch of the soak.
struct FailureSample {
  absl::Time at;  // the end of the stretch
  std::map<std::string, int64_t> failures_by_code;
};

// Copies the caller's running totals every `period`, so that failures can
// be placed in time afterwards (the tally's own history is short).
class FailureSampler {
 public:
  FailureSampler(testing::CallTally& tally, absl::Duration period)
      : tally_(tally), period_(period), last_(tally.Total()), thread_([this] { Run(); }) {}
  ~FailureSampler() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
    Sample();
  }
  std::vector<FailureSample> samples() {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }

 private:
  void Run() {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
      }
      absl::SleepFor(period_);
      Sample();
    }
  }
  void Sample() {
    testing::CallCounts total = tally_.Total();
    testing::CallCounts delta = total.Minus(last_);
    last_ = total;
    std::lock_guard<std::mutex> lock(mu_);
    if (delta.failures() > 0) samples_.push_back({absl::Now(), delta.failures_by_code});
  }

  testing::CallTally& tally_;
  const absl::Duration period_;
  testing::CallCounts last_;  // owned by whichever thread samples; Stop() joins first
  std::mutex mu_;
  bool stopping_ = false;
  std::vector<FailureSample> samples_;
  std::thread thread_;
};

// `switchboard xds` as a child process, always on the same port.
class ControlPlaneProcess {
 public:
  ControlPlaneProcess(std::vector<std::string> argv, int port, std::string log_path)
      : argv_(std::move(argv)), port_(port), log_path_(std::move(log_path)) {}

  absl::Status Start() {
    auto process =
        ChildProcess::Start(argv_, {.log_path = log_path_, .env = {"SWITCHBOARD_LOG=warn"}});
    if (!process.ok()) return process.status();
    process_ = std::move(*process);
    if (!WaitForPort(port_, absl::Seconds(20))) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the control plane did not listen on 127.0.0.1:", port_, " within 20s; see ", log_path_));
    }
    return absl::OkStatus();
  }
  void Kill() {
    if (process_) process_->Kill();
  }
  bool Running() { return process_ && process_->Running(); }

 private:
  const std::vector<std::string> argv_;
  const int port_;
  const std::string log_path_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace

std::string FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kBackendKill: return "backend kill -9";
    case FaultKind::kBackendFreeze: return "backend freeze";
    case FaultKind::kEtcdKill: return "etcd member kill -9";
    case FaultKind::kEtcdFreeze: return "etcd member freeze";
    case FaultKind::kControlPlaneKill: return "control plane kill -9";
  }
  return "unknown fault";
}

std::vector<PlannedFault> PlanFaults(const ChaosSoakOptions& options) {
  std::mt19937_64 rng(options.seed);
  auto uniform_gap = [&] {
    std::uniform_real_distribution<double> seconds(absl::ToDoubleSeconds(options.min_gap),
                                                   absl::ToDoubleSeconds(options.max_gap));
    return absl::Seconds(seconds(rng));
  };
  std::vector<PlannedFault> plan;
  absl::Duration free_at[3] = {absl::ZeroDuration(), absl::ZeroDuration(), absl::ZeroDuration()};
  absl::Duration t = absl::ZeroDuration();
  while (true) {
    t += std::max(uniform_gap(), absl::Milliseconds(100));
    if (t >= options.duration) break;
    std::vector<FaultKind> candidates;
    for (FaultKind kind : kAllFaultKinds) {
      Category category = CategoryOf(kind);
      if (category == kBackends && options.backends < 1) continue;
      // Only a cluster that keeps its quorum without one member.
      if (category == kEtcd && options.etcd_members < 3) continue;
      if (free_at[category] > t) continue;
      if (t + HoldOf(kind, options) + RecoveryOf(category) > options.duration) continue;
      candidates.push_back(kind);
    }
    if (candidates.empty()) continue;
    // A kind of target first, then a fault of that kind: the control plane,
    // with one kind of fault, is not struck more often than the rest.
    std::vector<Category> categories;
    for (FaultKind kind : candidates) {
      if (std::find(categories.begin(), categories.end(), CategoryOf(kind)) == categories.end()) {
        categories.push_back(CategoryOf(kind));
      }
    }
    Category category = categories[rng() % categories.size()];
    std::erase_if(candidates, [&](FaultKind kind) { return CategoryOf(kind) != category; });
    FaultKind kind = candidates[rng() % candidates.size()];
    int target = 0;
    if (category == kBackends) target = static_cast<int>(rng() % options.backends);
    if (category == kEtcd) target = static_cast<int>(rng() % options.etcd_members);
    plan.push_back({.kind = kind, .target = target, .start = t, .hold = HoldOf(kind, options)});
    free_at[category] = t + HoldOf(kind, options) + RecoveryOf(category);
  }
  return plan;
}

std::map<FaultKind, int64_t> ChaosSoakReport::FailuresByKind() const {
  std::map<FaultKind, int64_t> by_kind;
  for (FaultKind kind : kAllFaultKinds) by_kind[kind] = 0;
  for (const FaultOutcome& fault : faults) by_kind[fault.plan.kind] += fault.failed_calls;
  return by_kind;
}

std::map<FaultKind, int64_t> ChaosSoakReport::FailuresByKindAlone() const {
  std::map<FaultKind, int64_t> by_kind;
  for (FaultKind kind : kAllFaultKinds) by_kind[kind] = 0;
  for (const FaultOutcome& fault : faults) by_kind[fault.plan.kind] += fault.failed_calls_alone;
  return by_kind;
}

std::string ChaosSoakReport::Summary() const {
  std::string out = absl::StrFormat(
      "chaos soak, seed %d: %d faults in %s, %d calls, %d failed (%s)\n", seed, faults.size(),
      Seconds(length), calls, failed_calls, CodesSummary(failures_by_code));
  // "failed": during the fault or just after; "alone": of those, while no
  // other fault was in progress.
  out += absl::StrFormat("  %-8s %-8s %-22s %-18s %-7s %-7s %-7s %s\n", "at", "ended", "fault",
                         "target", "held", "failed", "alone", "codes");
  for (const FaultOutcome& f : faults) {
    out += absl::StrFormat("  %-8s %-8s %-22s %-18s %-7s %-7d %-7d %s%s\n", Seconds(f.began),
                           Seconds(f.ended), FaultKindName(f.plan.kind), f.target,
                           Seconds(f.plan.hold), f.failed_calls, f.failed_calls_alone,
                           CodesSummary(f.failures_by_code),
                           f.error.empty() ? "" : absl::StrCat("  ERROR: ", f.error));
  }
  out += absl::StrFormat("  %-24s %-7s %-7s %s\n", "by kind", "faults", "failed", "alone");
  std::map<FaultKind, int> counts;
  for (const FaultOutcome& f : faults) ++counts[f.plan.kind];
  std::map<FaultKind, int64_t> alone = FailuresByKindAlone();
  for (const auto& [kind, failed] : FailuresByKind()) {
    out += absl::StrFormat("  %-24s %-7d %-7d %d\n", FaultKindName(kind), counts[kind], failed,
                           alone[kind]);
  }
  out += absl::StrFormat("  %-24s %-7s %-7d %s\n", "no fault in progress", "",
                         unattributed_failures, CodesSummary(unattributed_by_code));
  for (const auto& [code, message] : last_failure_message) {
    out += absl::StrCat("  last ", code, ": ", message, "\n");
  }
  if (end_check_problems.empty()) {
    out += "  end check: every live server registered in etcd and receiving calls\n";
  } else {
    for (const std::string& problem : end_check_problems) {
      out += absl::StrCat("  end check FAILED: ", problem, "\n");
    }
  }
  return out;
}

absl::StatusOr<ChaosSoakReport> RunChaosSoak(const ChaosSoakOptions& options) {
  if (options.greeter_server_binary.empty() || options.switchboard_binary.empty()) {
    return absl::InvalidArgumentError(
        "chaos soak: greeter_server_binary and switchboard_binary are required");
  }
  if (options.backends < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("chaos soak: backends must be at least 1, not ", options.backends));
  }
  auto say = [&](const std::string& line) {
    if (options.on_event) options.on_event(line);
  };
  TempDir temp;
  const std::string log_dir = options.log_dir.empty() ? temp.path() : options.log_dir;

  absl::StatusOr<std::unique_ptr<EtcdCluster>> started =
      EtcdCluster::Start({.members = options.etcd_members});
  if (!started.ok()) return started.status();
  EtcdCluster& cluster = **started;
  const std::string etcd = cluster.endpoints_csv();
  say(absl::StrCat("etcd cluster up: ", etcd));

  testing::GreeterFleet backends({.server_binary = options.greeter_server_binary,
                                .etcd = etcd,
                                .service = options.service,
                                .log_dir = log_dir});
  for (int i = 0; i < options.backends; ++i) {
    absl::StatusOr<int> added = backends.Add();
    if (!added.ok()) return added.status();
  }

  int port = PickFreePort();
  if (port < 0) return absl::UnavailableError("no free loopback port for the control plane");
  const std::string plane_address = absl::StrCat("127.0.0.1:", port);
  ControlPlaneProcess plane({options.switchboard_binary, "xds", "--listen", plane_address,
                             "--source", EtcdSourceUri(etcd)},
                            port, absl::StrCat(log_dir, "/control_plane.log"));
  if (absl::Status s = plane.Start(); !s.ok()) return s;

  absl::StatusOr<std::string> bootstrap =
      xds::MakeBootstrapJson({.server_address = plane_address, .node_id = xds::DefaultNodeId()});
  if (!bootstrap.ok()) return bootstrap.status();
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), /*overwrite=*/1);
  auto channel = grpc::CreateCustomChannel(absl::StrCat("xds:///", options.service),
                                           grpc::InsecureChannelCredentials(),
                                           testing::FastReconnectChannelArguments());
  testing::ClosedLoopCaller caller(channel, {.threads = options.caller_threads,
                                           .deadline = options.call_deadline,
                                           // Leaves the machine some room for the servers.
                                           .pause = absl::Milliseconds(2)});
  caller.Start();
  const std::vector<std::string> addresses = backends.Addresses();
  auto all_served_since = [&](absl::Time since) {
    for (const std::string& address : addresses) {
      if (caller.tally().LastReplyFrom(address) <= since) return false;
    }
    return true;
  };
  if (!WaitFor([&] { return all_served_since(absl::InfinitePast()); }, absl::Seconds(30))) {
    return absl::DeadlineExceededError(absl::StrCat(
        "chaos soak: not every greeter served through xds:///", options.service,
        " within 30s before any fault; failures: ", caller.tally().Total().FailureSummary()));
  }

  // The schedule, as begin and end events in time order.
  ChaosSoakReport report;
  report.seed = options.seed;
  std::vector<PlannedFault> plan = PlanFaults(options);
  struct Event {
    absl::Duration at;
    int fault;
    bool begin;
  };
  std::vector<Event> events;
  for (int i = 0; i < static_cast<int>(plan.size()); ++i) {
    events.push_back({plan[i].start, i, true});
    events.push_back({plan[i].start + plan[i].hold, i, false});
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.at < b.at; });
  std::vector<absl::Time> began(plan.size(), absl::InfiniteFuture());
  std::vector<absl::Time> ended(plan.size(), absl::InfiniteFuture());
  report.faults.resize(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    FaultOutcome& f = report.faults[i];
    f.plan = plan[i];
    switch (CategoryOf(plan[i].kind)) {
      case kBackends: f.target = backends.address(plan[i].target); break;
      case kEtcd: f.target = absl::StrCat("etcd m", plan[i].target); break;
      case kControlPlane: f.target = "switchboard xds"; break;
    }
  }

  const testing::CallCounts before = caller.tally().Total();
  const absl::Time start = absl::Now();
  FailureSampler sampler(caller.tally(), absl::Milliseconds(100));
  say(absl::StrCat("chaos soak, seed ", options.seed, ": ", plan.size(), " faults over ",
                   absl::FormatDuration(options.duration)));
  for (const Event& event : events) {
    // The schedule's clock, not a wait for a condition: faults strike on time.
    absl::SleepFor(start + event.at - absl::Now());
    FaultOutcome& f = report.faults[event.fault];
    const int target = f.plan.target;
    absl::Status status;
    if (event.begin) began[event.fault] = absl::Now();
    switch (f.plan.kind) {
      case FaultKind::kBackendKill:
        if (event.begin) {
          backends.Kill(target);
        } else {
          status = backends.Restart(target);
        }
        break;
      case FaultKind::kBackendFreeze:
        if (event.begin) {
          backends.Freeze(target);
        } else {
          backends.Thaw(target);
        }
        break;
      case FaultKind::kEtcdKill:
        if (event.begin) {
          cluster.Kill(target);
        } else {
          status = cluster.Restart(target);
        }
        break;
      case FaultKind::kEtcdFreeze:
        if (event.begin) {
          cluster.Freeze(target);
        } else {
          cluster.Thaw(target);
        }
        break;
      case FaultKind::kControlPlaneKill:
        if (event.begin) {
          plane.Kill();
        } else {
          status = plane.Start();
        }
        break;
    }
    if (!event.begin) ended[event.fault] = absl::Now();
    if (!status.ok()) f.error = std::string(status.message());
    say(absl::StrCat(Seconds(absl::Now() - start), " ", event.begin ? "begin" : "end  ", " ",
                     FaultKindName(f.plan.kind), " ", f.target,
                     status.ok() ? "" : absl::StrCat(": ", status.message())));
  }

  // The end check: every live server registered and receiving calls again.
  const absl::Time settle_start = absl::Now();
  if (absl::Status s = cluster.WaitHealthy(absl::Seconds(10)); !s.ok()) {
    report.end_check_problems.push_back(std::string(s.message()));
  }
  if (!plane.Running()) report.end_check_problems.push_back("the control plane is not running");
  absl::StatusOr<std::unique_ptr<EtcdClient>> client =
      EtcdClient::Create({.endpoints = cluster.endpoints()});
  if (!client.ok()) return client.status();
  const std::string key_prefix = ServiceKeyPrefix("", options.service);
  std::vector<std::string> unregistered;
  auto all_registered = [&] {
    absl::StatusOr<RangeResult> range = (*client)->GetPrefix(key_prefix);
    if (!range.ok()) return false;
    unregistered.clear();
    for (size_t i = 0; i < addresses.size(); ++i) {
      if (!backends.Running(i)) continue;
      bool found = std::any_of(range->kvs.begin(), range->kvs.end(), [&](const KeyValue& kv) {
        return kv.key == key_prefix + addresses[i];
      });
      if (!found) unregistered.push_back(addresses[i]);
    }
    return unregistered.empty();
  };
  if (!WaitFor(all_registered, options.settle_timeout, absl::Milliseconds(100))) {
    report.end_check_problems.push_back(
        absl::StrCat("not registered in etcd ", absl::FormatDuration(options.settle_timeout),
                     " after the last fault: ", absl::StrJoin(unregistered, ", ")));
  }
  WaitFor([&] { return all_served_since(settle_start); }, options.settle_timeout,
          absl::Milliseconds(50));
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (!backends.Running(i)) {
      report.end_check_problems.push_back(absl::StrCat(addresses[i], " is not running"));
    } else if (caller.tally().LastReplyFrom(addresses[i]) <= settle_start) {
      report.end_check_problems.push_back(absl::StrCat(addresses[i], " received no call in the ",
                                                       absl::FormatDuration(options.settle_timeout),
                                                       " after the last fault"));
    }
  }

  caller.Stop();
  sampler.Stop();
  const absl::Time stop = absl::Now();
  report.length = stop - start;
  testing::CallCounts during = caller.tally().Total().Minus(before);
  report.calls = during.calls();

  // Each failure counts against every fault in progress or just ended.
  const absl::Duration period = absl::Milliseconds(100);
  for (const FailureSample& sample : sampler.samples()) {
    if (sample.at < start) continue;
    std::vector<size_t> active;
    for (size_t i = 0; i < plan.size(); ++i) {
      absl::Time end = ended[i] == absl::InfiniteFuture() ? stop : ended[i];
      if (sample.at > began[i] && sample.at - period <= end + options.attribution_grace) {
        active.push_back(i);
      }
    }
    const bool attributed = !active.empty();
    for (size_t i : active) {
      for (const auto& [code, count] : sample.failures_by_code) {
        report.faults[i].failed_calls += count;
        report.faults[i].failures_by_code[code] += count;
        if (active.size() == 1) report.faults[i].failed_calls_alone += count;
      }
    }
    for (const auto& [code, count] : sample.failures_by_code) {
      report.failed_calls += count;
      report.failures_by_code[code] += count;
      if (!attributed) {
        report.unattributed_failures += count;
        report.unattributed_by_code[code] += count;
      }
    }
  }
  for (const auto& [code, count] : report.failures_by_code) {
    report.last_failure_message[code] = caller.tally().LastFailureMessage(code);
  }
  for (size_t i = 0; i < plan.size(); ++i) {
    report.faults[i].began = began[i] - start;
    report.faults[i].ended = (ended[i] == absl::InfiniteFuture() ? stop : ended[i]) - start;
  }
  return report;
}

}  // namespace switchboard::testing
