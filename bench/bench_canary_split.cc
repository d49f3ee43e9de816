// How fast a canary split change reaches a client under load: etcd holds a
// greeter of two versions (one in-process server each, v1 and v2); the
// control plane runs as `switchboard xds` over that etcd; a C++ client
// calls `xds:///greeter` in a closed loop. Each round moves every call to
// the other version, and the time is taken from the change until the first
// call lands on the new version:
//   - as `switchboard route set greeter --split ...` (the CLI process, from
//     its start), and
//   - as the CLI's etcd write alone (the key `route set` writes).
// Baseline in the same run: the same write as seen by a plain etcd watch in
// this process (the floor under anything built on etcd).
//
//   bench_canary_split [--rounds=20] [--json=out.json]
#include <unistd.h>

#include <cstdio>
#include <set>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "switchboard/common/log.h"
#include "switchboard/registry/config_keys.h"
#include "switchboard/registry/naming_codec.h"
#include "switchboard/xds/bootstrap.h"
#include "testing/benchmark.h"
#include "testing/xds_testing.h"

ABSL_FLAG(int, rounds, 20, "split changes timed, per way of changing it");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::testing {
namespace {

absl::Status Run() {
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < 2 || rounds > 1000) return absl::InvalidArgumentError("--rounds: want 2..1000");
  SetLogLevel(LogLevel::kWarn);
  auto etcd = EtcdProcess::Start();
  if (!etcd.ok()) return etcd.status();
  auto client = EtcdClient::Create({.endpoints = {(*etcd)->endpoint()}});
  if (!client.ok()) return client.status();
  auto stamps = EtcdEventStamps::Start(**client, ConfigKeyPrefix(""));
  if (!stamps.ok()) return stamps.status();
  std::map<std::string, std::unique_ptr<InProcessGreeter>> servers;
  for (const std::string version : {"v1", "v2"}) {
    auto server = InProcessGreeter::Start();
    if (!server.ok()) return server.status();
    Instance instance = GreeterInstance("greeter", **server);
    instance.metadata.version = version;
    if (auto put = (*client)->Put(RegistryKey("", instance), EncodeInstanceValue(instance));
        !put.ok()) {
      return put.status();
    }
    servers[version] = std::move(*server);
  }
  absl::StatusOr<std::string> binary = LocateBuiltBinary("bin/switchboard");
  if (!binary.ok()) return binary.status();
  TempDir dir;
  const std::string socket = dir.File("ads.sock");
  auto plane = ChildProcess::Start(
      {*binary, "xds", "--listen", "unix:" + socket, "--etcd", (*etcd)->endpoint()},
      {.log_path = dir.File("control_plane.log"), .env = {"SWITCHBOARD_LOG=warn"}});
  if (!plane.ok()) return plane.status();
  if (!WaitFor([&] { return access(socket.c_str(), F_OK) == 0; }, absl::Seconds(10))) {
    return absl::DeadlineExceededError("the control plane did not listen within 10s");
  }
  auto bootstrap = xds::MakeBootstrapJson({.server_address = "unix:" + socket, .node_id = "bench"});
  if (!bootstrap.ok()) return bootstrap.status();
  setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrap->c_str(), 1);
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 1);
  auto channel = MakeXdsChannel("greeter");
  ClosedLoopCaller caller(channel, {.threads = 2});
  caller.Start();
  if (!WaitFor([&] { return caller.tally().Total().replies() > 100; }, absl::Seconds(20))) {
    return absl::DeadlineExceededError("the client got no reply within 20s");
  }

  const std::string key = RouteConfigKey("", "greeter");
  auto split = [](const std::string& to) {
    return to == "v1" ? std::string("v1=100,v2=0") : std::string("v1=0,v2=100");
  };
  // Times one change made by `change` towards `to`: ms until the first
  // call on `to`; and the etcd watch's ms for the write.
  auto time_change = [&](const std::string& to, const std::function<absl::Status()>& change,
                         std::vector<double>& first_call_ms,
                         std::vector<double>& etcd_ms) -> absl::Status {
    // Settle on the other version first (not timed).
    const std::string from = to == "v1" ? "v2" : "v1";
    const CallCounts mark = caller.tally().Total();
    const int64_t start = absl::GetCurrentTimeNanos();
    if (absl::Status s = change(); !s.ok()) return s;
    bool seen = WaitFor(
        [&] { return caller.tally().Total().Minus(mark).RepliesFrom(servers[to]->address()) > 0; },
        absl::Seconds(10), absl::Microseconds(100));
    const int64_t arrived = absl::GetCurrentTimeNanos();
    if (!seen) return absl::DeadlineExceededError(absl::StrCat("no call on ", to, " within 10s"));
    first_call_ms.push_back((arrived - start) / 1e6);
    if (int64_t at = (*stamps)->WaitFor(key, /*put=*/true, absl::Seconds(1)); at != 0) {
      etcd_ms.push_back((at - start) / 1e6);
    }
    // Until the old version gets no more calls, so the next round starts clean.
    WaitFor(
        [&] {
          CallCounts recent = caller.tally().Window(absl::Now(), absl::Milliseconds(100));
          return recent.replies() > 0 && recent.RepliesFrom(servers[from]->address()) == 0;
        },
        absl::Seconds(5));
    return absl::OkStatus();
  };
  auto put = [&](const std::string& to) -> absl::Status {
    std::string value = absl::StrCat(R"({"subsets":{"by":"version"},"split":{"v1":)",
                                     to == "v1" ? 100 : 0, R"(,"v2":)", to == "v2" ? 100 : 0, "}}");
    return (*client)->Put(key, value).status();
  };
  auto cli = [&](const std::string& to) -> absl::Status {
    auto child = ChildProcess::Start({*binary, "route", "set", "greeter", "--split", split(to),
                                      "--etcd", (*etcd)->endpoint()});
    if (!child.ok()) return child.status();
    if (!(*child)->WaitExit(absl::Seconds(10)) || (*child)->exit_status() != 0) {
      return absl::InternalError("switchboard route set failed");
    }
    return absl::OkStatus();
  };
  if (absl::Status s = put("v1"); !s.ok()) return s;
  WaitFor([&] { return caller.tally().Window(absl::Now(), absl::Milliseconds(200)).RepliesFrom(
                           servers["v2"]->address()) == 0; },
          absl::Seconds(10));
  // Failures are counted from here: every call up to now went to v1.
  const CallCounts warm = caller.tally().Total();
  std::vector<double> put_ms, put_etcd_ms, cli_ms, cli_etcd_ms;
  for (int r = 0; r < rounds; ++r) {
    const std::string to = r % 2 == 0 ? "v2" : "v1";
    if (absl::Status s = time_change(to, [&] { return put(to); }, put_ms, put_etcd_ms); !s.ok()) {
      return s;
    }
  }
  for (int r = 0; r < rounds; ++r) {
    const std::string to = r % 2 == 0 ? "v2" : "v1";
    if (absl::Status s = time_change(to, [&] { return cli(to); }, cli_ms, cli_etcd_ms); !s.ok()) {
      return s;
    }
  }
  caller.Stop();
  const CallCounts total = caller.tally().Total().Minus(warm);
  (*plane)->Stop(absl::Seconds(5));

  std::printf("bench_canary_split: %d rounds each way, a C++ client under load (2 threads)\n\n",
              rounds);
  Table table({"split change -> first call on the new subset", "p50 ms", "p99 ms", "max ms",
               "p50 ratio to etcd's"});
  table.AddRow({"`switchboard route set` (the CLI process, from its start)", Fixed(Median(cli_ms), 2),
                Fixed(Percentile(cli_ms, 99), 2), Fixed(Max(cli_ms), 2),
                Fixed(Ratio(Median(cli_ms), Median(cli_etcd_ms)), 1)});
  table.AddRow({"  baseline: its write seen by a plain etcd watch", Fixed(Median(cli_etcd_ms), 2),
                Fixed(Percentile(cli_etcd_ms, 99), 2), Fixed(Max(cli_etcd_ms), 2), "1"});
  table.AddRow({"the route key written to etcd", Fixed(Median(put_ms), 2),
                Fixed(Percentile(put_ms, 99), 2), Fixed(Max(put_ms), 2),
                Fixed(Ratio(Median(put_ms), Median(put_etcd_ms)), 1)});
  table.AddRow({"  baseline: the write seen by a plain etcd watch", Fixed(Median(put_etcd_ms), 2),
                Fixed(Percentile(put_etcd_ms, 99), 2), Fixed(Max(put_etcd_ms), 2), "1"});
  table.Print();
  std::printf("calls during the changes: %lld, failed: %lld (%s)\n", static_cast<long long>(total.calls()),
              static_cast<long long>(total.failures()), total.FailureSummary().c_str());
  auto summary = [](const std::vector<double>& ms) {
    return nlohmann::json{{"p50_ms", Median(ms)}, {"p99_ms", Percentile(ms, 99)},
                          {"max_ms", Max(ms)}, {"samples", ms.size()}};
  };
  nlohmann::json result = {{"benchmark", "bench_canary_split"},
                           {"machine", MachineDescription()},
                           {"rounds", rounds},
                           {"cli_to_first_call", summary(cli_ms)},
                           {"cli_baseline_etcd_watch", summary(cli_etcd_ms)},
                           {"put_to_first_call", summary(put_ms)},
                           {"put_baseline_etcd_watch", summary(put_etcd_ms)},
                           {"calls", total.calls()},
                           {"failed_calls", total.failures()}};
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::testing

int main(int argc, char** argv) {
  return switchboard::testing::BenchmarkMain(
      argc, argv,
      "Time from a canary split change (switchboard route set) to the first call on the new "
      "subset, with an etcd watch as the baseline.",
      switchboard::testing::Run);
}
