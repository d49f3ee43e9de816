#include "demo/scenarios.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "demo/split_judgement.h"

namespace switchboard::demo {
namespace {

constexpr SplitRule kEvenRule{.tolerance = 0.05, .min_calls = 3000};
// A server "gets calls" when it replied within this window.
constexpr absl::Duration kRecent = absl::Milliseconds(500);

// "1.25s", or "4ms" below a second, where the milliseconds matter.
std::string Secs(absl::Duration d) {
  if (d < absl::Seconds(1)) return absl::StrFormat("%dms", absl::ToInt64Milliseconds(d));
  return absl::StrFormat("%.2fs", absl::ToDoubleSeconds(d));
}

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration poll = absl::Milliseconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(poll);
  }
  return true;
}

// True once every server in `servers` replied within kRecent.
bool WaitAllServing(testing::CallTally& tally, const std::vector<std::string>& servers,
                    absl::Duration timeout) {
  return WaitUntil(
      [&] {
        testing::CallCounts recent = tally.Window(absl::Now(), kRecent);
        return std::all_of(servers.begin(), servers.end(),
                           [&](const std::string& s) { return recent.RepliesFrom(s) > 0; });
      },
      timeout);
}

// The calls that end from now on, once at least `min_replies` replies and
// `min_time` have passed (or `timeout`).
testing::CallCounts Collect(testing::CallTally& tally, int64_t min_replies, absl::Duration min_time,
                   absl::Duration timeout) {
  const testing::CallCounts mark = tally.Total();
  const absl::Time start = absl::Now();
  WaitUntil(
      [&] {
        return absl::Now() - start >= min_time &&
               tally.Total().Minus(mark).replies() >= min_replies;
      },
      timeout, absl::Milliseconds(20));
  return tally.Total().Minus(mark);
}

std::vector<std::string> RunningAddresses(ScenarioStage& stage, int except = -1) {
  std::vector<std::string> out;
  for (size_t i = 0; i < stage.fleet().size(); ++i) {
    if (static_cast<int>(i) != except && stage.fleet().Running(i)) {
      out.push_back(stage.fleet().address(i));
    }
  }
  return out;
}

bool Registered(ScenarioStage& stage, const std::string& address) {
  absl::StatusOr<RangeResult> got = stage.registry().Get(stage.RegistryKeyOf(address));
  return got.ok() && !got->kvs.empty();
}

// A verdict under way: what it is and when it started.
struct VerdictInProgress {
  ScenarioVerdict verdict;
  absl::Time start = absl::Now();
};

VerdictInProgress Begin(int number, std::string title) {
  return {.verdict = {.number = number, .title = std::move(title)}};
}

ScenarioVerdict Finish(VerdictInProgress v, bool passed, std::string detail) {
  v.verdict.passed = passed;
  v.verdict.detail = std::move(detail);
  v.verdict.took = absl::Now() - v.start;
  return v.verdict;
}

}  // namespace

ScenarioVerdict EvenSplit(ScenarioStage& stage, const Narrator& narrate) {
  VerdictInProgress v = Begin(1, "three servers, one client: even split");
  testing::CallTally& tally = stage.caller().tally();
  std::vector<std::string> servers = RunningAddresses(stage);
  narrate(absl::StrCat("waiting until all ", servers.size(), " servers get calls"));
  const absl::Time start = absl::Now();
  if (!WaitAllServing(tally, servers, absl::Seconds(20))) {
    testing::CallCounts recent = tally.Window(absl::Now(), absl::Seconds(1));
    return Finish(v, false,
                  absl::StrCat("not every server got calls within 20s; last second: ",
                               JudgeSplit(recent, servers, kEvenRule).detail,
                               "; failures: ", recent.FailureSummary(), " ",
                               tally.LastFailureMessage("UNAVAILABLE")));
  }
  const absl::Duration ready = absl::Now() - start;
  narrate(absl::StrCat("all serving after ", Secs(ready), "; counting 3000+ calls"));
  testing::CallCounts counts = Collect(tally, kEvenRule.min_calls, absl::Seconds(1), absl::Seconds(30));
  SplitJudgement split = JudgeSplit(counts, servers, kEvenRule);
  return Finish(v, split.passed && counts.failures() == 0,
                absl::StrCat(split.detail, "; failed calls: ", counts.FailureSummary()));
}

ScenarioVerdict KillOneServer(ScenarioStage& stage, const Narrator& narrate) {
  VerdictInProgress v = Begin(2, "kill -9 one server: its share moves to the others");
  testing::CallTally& tally = stage.caller().tally();
  const std::string victim = stage.fleet().address(kVictim);
  if (!WaitAllServing(tally, RunningAddresses(stage), absl::Seconds(20))) {
    return Finish(v, false, "not every server got calls before the kill");
  }
  const testing::CallCounts before = tally.Total();
  narrate(absl::StrCat("kill -9 ", victim));
  const absl::Time killed_at = absl::Now();
  stage.fleet().Kill(kVictim);
  std::vector<std::string> survivors = RunningAddresses(stage);
  bool moved = WaitUntil(
      [&] {
        testing::CallCounts recent = tally.Window(absl::Now(), absl::Milliseconds(200));
        return recent.RepliesFrom(victim) == 0 &&
               std::all_of(survivors.begin(), survivors.end(),
                           [&](const std::string& s) { return recent.RepliesFrom(s) > 0; });
      },
      absl::Seconds(10));
  // Replies that arrived just before the kill may be counted a moment after
  // it (the caller thread timestamps after the call returns): the victim's
  // last reply marks when its share ended.
  const absl::Duration moved_after =
      std::max(absl::ZeroDuration(), tally.LastReplyFrom(victim) - killed_at);
  narrate(absl::StrCat("its last reply came ", Secs(moved_after), " after the kill",
                       "; waiting for its registration to expire (ttl ",
                       absl::FormatDuration(stage.options().ttl), ")"));
  bool expired = WaitUntil([&] { return !Registered(stage, victim); },
                           stage.options().ttl + absl::Seconds(8), absl::Milliseconds(50));
  const absl::Duration expired_after = absl::Now() - killed_at;
  narrate(expired ? absl::StrCat("registration expired after ", Secs(expired_after))
                  : "registration did not expire");
  testing::CallCounts after = Collect(tally, kEvenRule.min_calls, absl::Seconds(1), absl::Seconds(30));
  SplitJudgement split = JudgeSplit(after, survivors, kEvenRule);
  testing::CallCounts since_kill = tally.Total().Minus(before);
  return Finish(
      v, moved && expired && split.passed,
      absl::StrCat(moved ? absl::StrCat("last reply from it ", Secs(moved_after), " after the kill")
                         : "calls did NOT move within 10s",
                   "; failed calls since the kill: ",
                   since_kill.failures(), " (", since_kill.FailureSummary(), ") of ",
                   since_kill.calls(), "; registration expired after ",
                   expired ? Secs(expired_after) : "NEVER", "; afterwards ", split.detail));
}

ScenarioVerdict RestartKilledServer(ScenarioStage& stage, const Narrator& narrate) {
  VerdictInProgress v = Begin(3, "restart it: it gets its third back");
  testing::CallTally& tally = stage.caller().tally();
  const std::string victim = stage.fleet().address(kVictim);
  narrate(absl::StrCat("restarting ", victim, " on the same address"));
  const absl::Time restarted_at = absl::Now();
  if (absl::Status s = stage.fleet().Restart(kVictim); !s.ok()) {
    return Finish(v, false, absl::StrCat("restart failed: ", s.message()));
  }
  bool back = WaitUntil([&] { return tally.LastReplyFrom(victim) > restarted_at; },
                        absl::Seconds(20));
  const absl::Duration back_after = absl::Now() - restarted_at;
  if (!back) return Finish(v, false, "the restarted server got no call within 20s");
  narrate(absl::StrCat("first call served after ", Secs(back_after), "; counting 3000+ calls"));
  WaitAllServing(tally, RunningAddresses(stage), absl::Seconds(10));
  testing::CallCounts counts = Collect(tally, kEvenRule.min_calls, absl::Seconds(1), absl::Seconds(30));
  SplitJudgement split = JudgeSplit(counts, RunningAddresses(stage), kEvenRule);
  return Finish(v, split.passed,
                absl::StrCat("first call after ", Secs(back_after), "; then ", split.detail,
                             "; failed calls: ", counts.FailureSummary()));
}

ScenarioVerdict EtcdOutage(ScenarioStage& stage, const Narrator& narrate, absl::Duration outage) {
  VerdictInProgress v = Begin(4, "stop etcd: calls keep working, no errors");
  testing::CallTally& tally = stage.caller().tally();
  std::vector<std::string> servers = RunningAddresses(stage);
  if (!WaitAllServing(tally, servers, absl::Seconds(20))) {
    return Finish(v, false, "not every server got calls before the outage");
  }
  narrate(absl::StrCat("stopping etcd (", stage.etcd().endpoint(), ") for ",
                       absl::FormatDuration(outage)));
  const testing::CallCounts before = tally.Total();
  const absl::Time stopped_at = absl::Now();
  stage.etcd().Stop();
  bool down = !stage.etcd().Running();
  absl::SleepFor(outage - (absl::Now() - stopped_at));  // the outage itself
  testing::CallCounts during = tally.Total().Minus(before);
  testing::CallCounts last_second = tally.Window(absl::Now(), absl::Seconds(1));
  SplitJudgement split = JudgeSplit(during, servers, {.tolerance = 0.05, .min_calls = 1});
  bool all_served = std::all_of(servers.begin(), servers.end(), [&](const std::string& s) {
    return last_second.RepliesFrom(s) > 0;
  });
  bool passed = down && during.failures() == 0 && during.replies() > 0 && all_served;
  return Finish(v, passed,
                absl::StrCat("etcd down ", Secs(absl::Now() - stopped_at), ": ", during.replies(),
                             " calls served, ", during.failures(), " failed (",
                             during.FailureSummary(), "); ", split.detail,
                             all_served ? "" : "; a server stopped getting calls",
                             down ? "" : "; etcd did not stop"));
}

ScenarioVerdict RegistryChangesAfterOutage(ScenarioStage& stage, const Narrator& narrate) {
  VerdictInProgress v = Begin(5, "start etcd again: registry changes reach the client");
  testing::CallTally& tally = stage.caller().tally();
  if (stage.etcd().Running()) stage.etcd().Stop();
  narrate("starting etcd again");
  const absl::Time start = absl::Now();
  if (absl::Status s = stage.etcd().Start(); !s.ok()) {
    return Finish(v, false, absl::StrCat("etcd did not start: ", s.message()));
  }
  const absl::Duration etcd_back = absl::Now() - start;
  std::vector<std::string> servers = RunningAddresses(stage);
  // etcd kept its data, so the keys are there at once.
  bool restored = WaitUntil(
      [&] {
        return std::all_of(servers.begin(), servers.end(),
                           [&](const std::string& s) { return Registered(stage, s); });
      },
      absl::Seconds(15), absl::Milliseconds(50));
  narrate(absl::StrCat("etcd healthy after ", Secs(etcd_back), "; registrations ",
                       restored ? "present" : "MISSING", "; starting a new server"));

  const absl::Time added_at = absl::Now();
  absl::StatusOr<int> added = stage.fleet().Add();
  if (!added.ok()) return Finish(v, false, absl::StrCat("new server: ", added.status().message()));
  const std::string newcomer = stage.fleet().address(*added);
  bool newcomer_served = WaitUntil([&] { return tally.LastReplyFrom(newcomer) > added_at; },
                                   absl::Seconds(20));
  const absl::Duration newcomer_after = absl::Now() - added_at;
  narrate(newcomer_served
              ? absl::StrCat("new server ", newcomer, " got calls after ", Secs(newcomer_after))
              : absl::StrCat("new server ", newcomer, " got NO calls"));

  // Removal through the registry: on SIGTERM the server marks itself
  // draining and deregisters, then serves on until no call came for 300 ms.
  // Calls that stop while it still serves were moved by the registry, not by
  // a closed connection.
  const std::string removed = stage.fleet().address(kRemoved);
  narrate(absl::StrCat("removing ", removed, ": SIGTERM, it deregisters and drains"));
  const absl::Time removed_at = absl::Now();
  stage.fleet().BeginStop(kRemoved);
  absl::Time exited_at = absl::InfiniteFuture();
  bool removed_stopped = WaitUntil(
      [&] {
        if (exited_at == absl::InfiniteFuture() && !stage.fleet().Running(kRemoved)) {
          exited_at = absl::Now();
        }
        return tally.Window(absl::Now(), kRecent).RepliesFrom(removed) == 0 &&
               absl::Now() - tally.LastReplyFrom(removed) >= kRecent;
      },
      absl::Seconds(15));
  const absl::Time last_call = tally.LastReplyFrom(removed);
  const absl::Duration removed_after = std::max(absl::ZeroDuration(), last_call - removed_at);
  const bool still_running = std::min(exited_at, absl::Now()) - last_call >= absl::Milliseconds(200);
  const bool deregistered = WaitUntil([&] { return !Registered(stage, removed); }, absl::Seconds(5),
                                      absl::Milliseconds(50));
  stage.fleet().Stop(kRemoved);
  narrate(removed_stopped ? absl::StrCat(removed, " got its last call ", Secs(removed_after),
                                         " after the SIGTERM, ",
                                         still_running ? "while still serving" : "AT its exit")
                          : absl::StrCat(removed, " still gets calls"));
  return Finish(
      v, restored && newcomer_served && removed_stopped && still_running && deregistered,
      absl::StrCat("etcd healthy after ", Secs(etcd_back),
                   restored ? "" : "; registrations MISSING", "; new server got calls after ",
                   newcomer_served ? Secs(newcomer_after) : "NEVER",
                   "; removed server got its last call ",
                   removed_stopped ? absl::StrCat(Secs(removed_after), " after its SIGTERM")
                                   : "NEVER (still called 15s later)",
                   still_running ? " while still serving" : " only when its process exited",
                   deregistered ? "" : "; its registration stayed",
                   "; control plane and client not restarted"));
}

ScenarioVerdict AllServersDown(ScenarioStage& stage, const Narrator& narrate) {
  VerdictInProgress v = Begin(6, "stop all servers: fast UNAVAILABLE, then recovery");
  testing::CallTally& tally = stage.caller().tally();
  const std::string service = stage.options().service;
  narrate("stopping every server (SIGTERM: drain, deregister, exit)");
  stage.fleet().StopAll();
  // Fail fast: once the client knows there is no server, calls without
  // wait-for-ready fail at once with UNAVAILABLE.
  testing::GreeterCallOutcome fast;
  bool failed_fast = WaitUntil(
      [&] {
        fast = testing::CallGreeterOnce(stage.channel(), absl::Seconds(2), /*wait_for_ready=*/false);
        return fast.code == grpc::StatusCode::UNAVAILABLE && fast.took < absl::Milliseconds(500);
      },
      absl::Seconds(15), absl::Milliseconds(50));
  const bool names_service = absl::StrContains(fast.message, service);
  narrate(absl::StrCat("call without wait-for-ready: ", testing::StatusCodeName(fast.code), " after ",
                       Secs(fast.took), ": \"", fast.message, "\""));
  const absl::Duration wfr_deadline = absl::Seconds(1);
  testing::GreeterCallOutcome waited = testing::CallGreeterOnce(stage.channel(), wfr_deadline, true);
  // Through a proxy the client's connection is up, so wait-for-ready has
  // nothing to wait for: the proxy's own UNAVAILABLE comes back at once.
  const bool proxied = stage.options().model == BalancingModel::kProxy;
  const bool blocked = proxied ? waited.code == grpc::StatusCode::UNAVAILABLE
                               : waited.code == grpc::StatusCode::DEADLINE_EXCEEDED &&
                                     waited.took >= wfr_deadline * 0.9;
  narrate(absl::StrCat("call with wait-for-ready: ", testing::StatusCodeName(waited.code), " after ",
                       Secs(waited.took)));

  narrate(absl::StrCat("starting ", stage.fleet().address(kVictim), " again"));
  const absl::Time restarted_at = absl::Now();
  absl::Status restarted = stage.fleet().Restart(kVictim);
  bool recovered = restarted.ok() && WaitUntil(
      [&] { return tally.LastReplyFrom(stage.fleet().address(kVictim)) > restarted_at; },
      absl::Seconds(20));
  const absl::Duration recovered_after = absl::Now() - restarted_at;
  testing::GreeterCallOutcome probe = testing::CallGreeterOnce(stage.channel(), absl::Seconds(2), false);
  recovered = recovered && probe.code == grpc::StatusCode::OK;
  return Finish(
      v, failed_fast && names_service && blocked && recovered,
      absl::StrCat("without wait-for-ready: ", testing::StatusCodeName(fast.code), " in ", Secs(fast.took),
                   " (\"", fast.message, "\"", names_service ? "" : absl::StrCat(" does not name '", service, "'"),
                   "); with wait-for-ready: ", testing::StatusCodeName(waited.code), " after ",
                   Secs(waited.took), " (deadline ", absl::FormatDuration(wfr_deadline),
                   "); a server back: calls succeed after ",
                   recovered ? Secs(recovered_after) : "NEVER",
                   restarted.ok() ? "" : absl::StrCat(" (", restarted.message(), ")")));
}

std::vector<ScenarioVerdict> RunAllScenarios(ScenarioStage& stage, const Narrator& narrate) {
  std::vector<ScenarioVerdict> verdicts;
  verdicts.push_back(EvenSplit(stage, narrate));
  verdicts.push_back(KillOneServer(stage, narrate));
  verdicts.push_back(RestartKilledServer(stage, narrate));
  verdicts.push_back(EtcdOutage(stage, narrate));
  verdicts.push_back(RegistryChangesAfterOutage(stage, narrate));
  verdicts.push_back(AllServersDown(stage, narrate));
  return verdicts;
}

std::string FormatVerdict(const ScenarioVerdict& verdict) {
  return absl::StrCat(verdict.passed ? "PASS" : "FAIL", "  ", verdict.number, ". ", verdict.title,
                      " — ", verdict.detail, " (", Secs(verdict.took), ")");
}

}  // namespace switchboard::demo
