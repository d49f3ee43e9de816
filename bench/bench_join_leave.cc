// How fast a registration change reaches a client under load: three greeter
// servers (child processes) serve `xds:///greeter` to K client threads in a
// closed loop (embedded mode fed by etcd). In each trial a fourth server,
// in this process, is registered with one etcd put of the registrar's
// record; the time from that put to the first call its handler runs is the
// join time. It is then deregistered (the key deleted); the time from the
// delete to the last call it runs is the leave time. Both stamps come from
// the same clock in the same process.
//
// The baseline is etcd's own notification: a plain etcd watch on the
// registry prefix, in this process, sees the same put and delete; Switchboard
// cannot be faster than that. A raw ADS stream to the same control plane
// stamps when the endpoints push carrying the change arrives, which splits
// the rest between the control plane and gRPC's xDS client.
//
//   bench_join_leave [--trials=30] [--threads=4] [--json=out.json]
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/ads_watch_stream.h"
#include "testing/benchmark.h"
#include "switchboard/client/embedded_discovery.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/etcd_client.h"
#include "testing/etcd_process.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/registry/naming_codec.h"

ABSL_FLAG(int, trials, 30, "join/leave trials");
ABSL_FLAG(int, threads, 4, "client threads calling in a closed loop (K)");
ABSL_FLAG(absl::Duration, serve_time, absl::Milliseconds(200),
          "how long the joined server stays registered in each trial");
ABSL_FLAG(absl::Duration, quiet_time, absl::Milliseconds(300),
          "no call for this long after the delete: the server has left");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::testing {
namespace {

// A greeter server in this process that stamps its first and last call.
class StampingGreeter final : public examples::Greeter::Service {
 public:
  static absl::StatusOr<std::unique_ptr<StampingGreeter>> Start() {
    std::unique_ptr<StampingGreeter> greeter(new StampingGreeter());
    grpc::ServerBuilder builder;
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(greeter.get());
    greeter->server_ = builder.BuildAndStart();
    if (greeter->server_ == nullptr || port == 0) {
      return absl::UnavailableError("cannot listen on 127.0.0.1:0");
    }
    greeter->address_ = absl::StrCat("127.0.0.1:", port);
    return greeter;
  }
  ~StampingGreeter() override { Stop(); }

  void Stop() {
    if (server_ == nullptr) return;
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    server_->Wait();
    server_.reset();
  }

  grpc::Status SayHello(grpc::ServerContext*, const examples::HelloRequest* request,
                        examples::HelloReply* reply) override {
    int64_t now = absl::GetCurrentTimeNanos();
    int64_t unset = 0;
    first_call_nanos_.compare_exchange_strong(unset, now);
    last_call_nanos_.store(now);
    calls_++;
    reply->set_message(absl::StrCat("hello ", request->name()));
    reply->set_served_by(address_);
    return grpc::Status::OK;
  }

  const std::string& address() const { return address_; }
  int64_t first_call_nanos() const { return first_call_nanos_.load(); }
  int64_t last_call_nanos() const { return last_call_nanos_.load(); }
  int64_t calls() const { return calls_.load(); }

 private:
  StampingGreeter() = default;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::atomic<int64_t> first_call_nanos_{0};
  std::atomic<int64_t> last_call_nanos_{0};
  std::atomic<int64_t> calls_{0};
};

// An ADS stream to the embedded control plane, subscribed to greeter like
// the real client, that stamps when each address appears in and leaves the
// endpoints it is sent: where the time between etcd and the client goes.
class EndpointPushStamps {
 public:
  explicit EndpointPushStamps(const std::string& server_address)
      : stub_(AggregatedDiscoveryService::NewStub(
            grpc::CreateChannel(server_address, grpc::InsecureChannelCredentials()))),
        stream_(stub_.get(), "bench-join-leave-probe", {"greeter"},
                [this](const std::vector<ClusterLoadAssignment>& endpoints, int64_t arrived) {
                  OnEndpoints(endpoints, arrived);
                }) {
    stream_.Start();
  }

  bool WaitSubscribed(absl::Duration timeout) { return stream_.WaitEndpoints(timeout); }

  // When `address` was last added (or removed); 0 until it was.
  int64_t WaitFor(const std::string& address, bool added, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    auto& stamps = added ? added_ : removed_;
    cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                 [&] { return stamps.count(address) > 0; });
    auto it = stamps.find(address);
    return it == stamps.end() ? 0 : it->second;
  }

 private:
  void OnEndpoints(const std::vector<ClusterLoadAssignment>& endpoints, int64_t arrived) {
    std::set<std::string> now;
    for (const ClusterLoadAssignment& assignment : endpoints) {
      for (const auto& locality : assignment.endpoints()) {
        for (const auto& endpoint : locality.lb_endpoints()) {
          const auto& socket = endpoint.endpoint().address().socket_address();
          now.insert(absl::StrCat(socket.address(), ":", socket.port_value()));
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& address : now) {
      if (!current_.count(address)) added_[address] = arrived;
    }
    for (const std::string& address : current_) {
      if (!now.count(address)) removed_[address] = arrived;
    }
    current_ = std::move(now);
    cv_.notify_all();
  }

  std::unique_ptr<AggregatedDiscoveryService::Stub> stub_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> current_;
  std::map<std::string, int64_t> added_;
  std::map<std::string, int64_t> removed_;
  // Last: it calls back into the members above until destroyed.
  AdsWatchStream stream_;
};

double MillisBetween(int64_t from_nanos, int64_t to_nanos) {
  return (to_nanos - from_nanos) / 1e6;
}

nlohmann::json Summary(const std::vector<double>& ms) {
  return {{"p50_ms", Median(ms)}, {"p99_ms", Percentile(ms, 99)}, {"max_ms", Max(ms)},
          {"per_trial_ms", ms}};
}

absl::Status Run() {
  int trials = absl::GetFlag(FLAGS_trials);
  if (trials < 1 || trials > 1000) return absl::InvalidArgumentError("--trials: want 1..1000");
  SetLogLevel(LogLevel::kWarn);

  absl::StatusOr<std::unique_ptr<GreeterTestbed>> testbed = StartGreeterTestbed(3);
  if (!testbed.ok()) return testbed.status();
  testing::EtcdProcess* etcd = (*testbed)->etcd.get();
  GreeterFleet& servers = *(*testbed)->servers;
  auto client = EtcdClient::Create({.endpoints = {etcd->endpoint()}});
  if (!client.ok()) return client.status();
  absl::StatusOr<int64_t> lease = (*client)->LeaseGrant(absl::Seconds(120));
  if (!lease.ok()) return lease.status();
  auto stamps = EtcdEventStamps::Start(**client, "greeter/");
  if (!stamps.ok()) return stamps.status();

  auto discovery = StartEmbeddedDiscovery({EtcdSourceUri(etcd->endpoint())});
  if (!discovery.ok()) return discovery.status();
  EndpointPushStamps pushes((*discovery)->server_address());
  if (!pushes.WaitSubscribed(absl::Seconds(10))) {
    return absl::DeadlineExceededError("the probe ADS stream got no endpoints within 10s");
  }
  std::shared_ptr<grpc::Channel> channel = MakeXdsChannel("greeter");
  if (!WaitUntilAllServe(*channel, servers.Addresses(), absl::Seconds(20))) {
    return absl::DeadlineExceededError("the three greeter servers did not all serve within 20s");
  }

  int threads = absl::GetFlag(FLAGS_threads);
  std::printf("bench_join_leave: %d trials, K=%d client threads on xds:///greeter, 3 servers\n",
              trials, threads);
  ClosedLoopCaller load(channel, {.threads = threads, .pause_after_failure = absl::Milliseconds(1)});
  load.Start();
  absl::SleepFor(absl::Milliseconds(300));
  load.BeginWindow();

  std::vector<double> join_ms, leave_ms, etcd_put_ms, etcd_delete_ms, put_rtt_ms;
  std::vector<double> push_add_ms, push_remove_ms;
  int missed_joins = 0;
  for (int trial = 0; trial < trials; ++trial) {
    auto server = StampingGreeter::Start();
    if (!server.ok()) return server.status();
    Instance instance{.service = "greeter", .address = (*server)->address()};
    std::string key = RegistryKey("", instance);

    // Join: one put of the record the registrar writes, under a lease.
    int64_t put_at = absl::GetCurrentTimeNanos();
    absl::StatusOr<int64_t> put = (*client)->Put(key, EncodeInstanceValue(instance), *lease);
    int64_t put_done = absl::GetCurrentTimeNanos();
    if (!put.ok()) return put.status();
    bool joined = testing::WaitFor([&] { return (*server)->first_call_nanos() != 0; },
                                   absl::Seconds(5), absl::Microseconds(100));
    int64_t etcd_put_seen = stamps.value()->WaitFor(key, /*put=*/true, absl::Seconds(1));
    if (!joined) {
      missed_joins++;
    } else {
      join_ms.push_back(MillisBetween(put_at, (*server)->first_call_nanos()));
    }
    if (etcd_put_seen != 0) etcd_put_ms.push_back(MillisBetween(put_at, etcd_put_seen));
    int64_t pushed = pushes.WaitFor(instance.address, /*added=*/true, absl::Seconds(1));
    if (pushed != 0) push_add_ms.push_back(MillisBetween(put_at, pushed));
    put_rtt_ms.push_back(MillisBetween(put_at, put_done));
    absl::SleepFor(absl::GetFlag(FLAGS_serve_time));

    // Leave: the key deleted, as Deregister() does.
    int64_t delete_at = absl::GetCurrentTimeNanos();
    absl::StatusOr<int64_t> deleted = (*client)->Delete(key);
    if (!deleted.ok()) return deleted.status();
    absl::Duration quiet = absl::GetFlag(FLAGS_quiet_time);
    testing::WaitFor(
        [&] {
          int64_t last = std::max((*server)->last_call_nanos(), delete_at);
          return absl::GetCurrentTimeNanos() - last >= absl::ToInt64Nanoseconds(quiet);
        },
        absl::Seconds(5), absl::Milliseconds(5));
    int64_t etcd_delete_seen = stamps.value()->WaitFor(key, /*put=*/false, absl::Seconds(1));
    if (joined) leave_ms.push_back(MillisBetween(delete_at, (*server)->last_call_nanos()));
    if (etcd_delete_seen != 0) etcd_delete_ms.push_back(MillisBetween(delete_at, etcd_delete_seen));
    int64_t push_removed = pushes.WaitFor(instance.address, /*added=*/false, absl::Seconds(1));
    if (push_removed != 0) push_remove_ms.push_back(MillisBetween(delete_at, push_removed));
    (*server)->Stop();
  }
  LoadWindow window = load.EndWindow();
  load.Stop();

  std::printf("\n");
  Table table({"", "p50 ms", "p99 ms", "max ms", "ratio of p50 to etcd's"});
  table.AddRow({"join: put -> first call served", Fixed(Median(join_ms), 2),
                Fixed(Percentile(join_ms, 99), 2), Fixed(Max(join_ms), 2),
                Fixed(Ratio(Median(join_ms), Median(etcd_put_ms)), 1)});
  table.AddRow({"  baseline: put -> etcd watch event", Fixed(Median(etcd_put_ms), 2),
                Fixed(Percentile(etcd_put_ms, 99), 2), Fixed(Max(etcd_put_ms), 2), "1"});
  table.AddRow({"  put -> EDS push at an ADS client", Fixed(Median(push_add_ms), 2),
                Fixed(Percentile(push_add_ms, 99), 2), Fixed(Max(push_add_ms), 2),
                Fixed(Ratio(Median(push_add_ms), Median(etcd_put_ms)), 1)});
  table.AddRow({"  (put round trip)", Fixed(Median(put_rtt_ms), 2),
                Fixed(Percentile(put_rtt_ms, 99), 2), Fixed(Max(put_rtt_ms), 2), ""});
  table.AddRow({"leave: delete -> last call served", Fixed(Median(leave_ms), 2),
                Fixed(Percentile(leave_ms, 99), 2), Fixed(Max(leave_ms), 2),
                Fixed(Ratio(Median(leave_ms), Median(etcd_delete_ms)), 1)});
  table.AddRow({"  baseline: delete -> etcd watch event", Fixed(Median(etcd_delete_ms), 2),
                Fixed(Percentile(etcd_delete_ms, 99), 2), Fixed(Max(etcd_delete_ms), 2), "1"});
  table.AddRow({"  delete -> EDS push at an ADS client", Fixed(Median(push_remove_ms), 2),
                Fixed(Percentile(push_remove_ms, 99), 2), Fixed(Max(push_remove_ms), 2),
                Fixed(Ratio(Median(push_remove_ms), Median(etcd_delete_ms)), 1)});
  table.Print();
  std::printf("%zu of %d servers joined within 5s; %lld calls at %.0f QPS during the run, "
              "failed: %s\n",
              join_ms.size(), trials, static_cast<long long>(window.ok()), window.qps(),
              window.FailureSummary().c_str());

  nlohmann::json result = {{"benchmark", "bench_join_leave"},
                           {"machine", MachineDescription()},
                           {"trials", trials},
                           {"threads", threads},
                           {"missed_joins", missed_joins},
                           {"join", Summary(join_ms)},
                           {"leave", Summary(leave_ms)},
                           {"baseline_etcd_watch_put", Summary(etcd_put_ms)},
                           {"baseline_etcd_watch_delete", Summary(etcd_delete_ms)},
                           {"put_round_trip", Summary(put_rtt_ms)},
                           {"eds_push_add", Summary(push_add_ms)},
                           {"eds_push_remove", Summary(push_remove_ms)},
                           {"join_p50_ratio_to_etcd", Ratio(Median(join_ms), Median(etcd_put_ms))},
                           {"calls_ok", window.ok()},
                           {"calls_failed", window.failures.size()},
                           {"qps", window.qps()}};
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::testing

int main(int argc, char** argv) {
  return switchboard::testing::BenchmarkMain(
      argc, argv,
      "Time from a server's registration to its first call, and from its deregistration to "
      "its last call, under load through xds:///greeter.",
      switchboard::testing::Run);
}
