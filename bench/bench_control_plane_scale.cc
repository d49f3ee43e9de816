// How the xDS control plane copes with many services and many clients:
// etcd holds S services of N instances each; the control plane runs in its
// own process (`switchboard xds`) over that etcd; C ADS streams
// (AdsWatchStream, one connection each, as real clients have) each subscribe
// to a service every stream shares plus a few of their own, walking
// LDS -> RDS -> CDS -> EDS and ACKing every response.
//
// Then one instance record at a time changes in etcd (its weight), and the
// time is taken from the put until every stream subscribed to that service
// holds the new endpoints: for the shared service (a push to all C streams)
// and for a service few streams watch. Baseline: the same put as seen by a
// plain etcd watch in this process. The control plane's memory (RSS) and
// CPU come from /proc: after start-up, with every stream subscribed, and
// over the changes.
//
// Then the route of the shared service changes (`switchboard route set`'s
// etcd key, registry/config_keys.h): its instances are versions v1 and v2,
// and each change sends every call to the other subset, so every stream
// fetches that subset's cluster and endpoints. Timed from the put until
// every stream holds the new subset's endpoints, with the control plane's
// CPU per change: the push cost of a split change. Then the split's
// weights alone change (90/10 <-> 50/50 between subsets every stream
// already has), timed until every stream has had the new route.
//
//   bench_control_plane_scale [--services=1000] [--instances=10] [--streams=1000]
//                             [--changes=40] [--route_changes=20] [--json=out.json]
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "testing/ads_watch_stream.h"
#include "testing/benchmark.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/etcd_client.h"
#include "testing/etcd_process.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/registry/config_keys.h"
#include "switchboard/registry/naming_codec.h"
#include "switchboard/xds/cluster_load_assignment_builder.h"
#include "switchboard/xds/resource_names.h"

ABSL_FLAG(int, services, 1000, "services registered in etcd");
ABSL_FLAG(int, instances, 10, "instances per service");
ABSL_FLAG(int, streams, 1000, "ADS client streams, one connection each");
ABSL_FLAG(int, subscriptions, 4,
          "services each stream watches besides the one every stream shares");
ABSL_FLAG(int, changes, 40, "instance changes timed (half to the shared service)");
ABSL_FLAG(int, route_changes, 20,
          "route changes of the shared service timed (a split moved to the other subset)");
ABSL_FLAG(std::string, json, "", "also write the figures to this file");

namespace switchboard::testing {
namespace {

std::string ServiceName(int s) { return absl::StrCat("svc-", s); }

// The shared service's instances are v1 and v2 (its route changes move
// calls between the two); the version reaches no endpoint set.
Instance MakeInstance(int s, int i, uint32_t weight = 1) {
  return {.service = ServiceName(s),
          .address = absl::StrCat("10.", s / 256, ".", s % 256, ".", i + 1, ":8080"),
          .metadata = {.weight = weight, .version = s == 0 ? (i % 2 == 0 ? "v1" : "v2") : ""}};
}

// The change being waited for, and who has seen it.
class ChangeTracker {
 public:
  explicit ChangeTracker(int streams) : counted_(streams) {
    for (auto& c : counted_) c = -1;
  }

  // `endpoints_name`: the endpoint set to wait for (default: the service's).
  void Expect(int id, const Instance& changed, int subscribers, std::string endpoints_name = "") {
    std::lock_guard<std::mutex> lock(mu_);
    id_ = id;
    const bool any_endpoint = !endpoints_name.empty();
    cluster_ = endpoints_name.empty()
                   ? xds::ResourceName(xds::ResourceKind::kClusterLoadAssignment, changed.service)
                   : std::move(endpoints_name);
    address_ = changed.address;
    weight_ = any_endpoint ? 0 : changed.metadata.weight;
    expected_ = subscribers;
    seen_ = 0;
    last_arrival_ = 0;
    arrivals_.clear();
  }

  // An endpoints response of stream `stream`.
  void OnEndpoints(int stream, const std::vector<ClusterLoadAssignment>& endpoints, int64_t arrived) {
    std::lock_guard<std::mutex> lock(mu_);
    if (id_ < 0 || counted_[stream] == id_) return;
    for (const ClusterLoadAssignment& assignment : endpoints) {
      if (assignment.cluster_name() != cluster_) continue;
      for (const auto& locality : assignment.endpoints()) {
        for (const auto& endpoint : locality.lb_endpoints()) {
          const auto& socket = endpoint.endpoint().address().socket_address();
          // weight_ 0: any endpoint of the set will do.
          if (weight_ == 0 ||
              (absl::StrCat(socket.address(), ":", socket.port_value()) == address_ &&
               endpoint.load_balancing_weight().value() == weight_)) {
            counted_[stream] = id_;
            seen_++;
            last_arrival_ = std::max(last_arrival_, arrived);
            arrivals_.push_back(arrived);
            return;
          }
        }
      }
    }
  }

  // Waits until every subscriber has the change; returns the last arrival
  // and how many saw it.
  std::pair<int64_t, int> Wait(absl::Duration timeout) {
    testing::WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          return seen_ >= expected_;
        },
        timeout, absl::Microseconds(200));
    std::lock_guard<std::mutex> lock(mu_);
    return {last_arrival_, seen_};
  }
  std::vector<int64_t> arrivals() {
    std::lock_guard<std::mutex> lock(mu_);
    return arrivals_;
  }

 private:
  std::mutex mu_;
  int id_ = -1;
  std::string cluster_;
  std::string address_;
  uint32_t weight_ = 0;
  int expected_ = 0;
  int seen_ = 0;
  int64_t last_arrival_ = 0;
  std::vector<int64_t> arrivals_;
  std::vector<int> counted_;  // per stream: the last change id it was counted for
};

absl::Status Populate(EtcdClient& client, int services, int instances) {
  etcdserverpb::TxnRequest txn;
  auto flush = [&]() -> absl::Status {
    if (txn.success_size() == 0) return absl::OkStatus();
    absl::StatusOr<etcdserverpb::TxnResponse> response = client.Txn(txn);
    txn.Clear();
    return response.status();
  };
  for (int s = 0; s < services; ++s) {
    for (int i = 0; i < instances; ++i) {
      Instance instance = MakeInstance(s, i);
      auto* put = txn.add_success()->mutable_request_put();
      put->set_key(RegistryKey("", instance));
      put->set_value(EncodeInstanceValue(instance));
      // etcd takes at most 128 operations per transaction.
      if (txn.success_size() == 100) {
        if (absl::Status status = flush(); !status.ok()) return status;
      }
    }
  }
  return flush();
}

nlohmann::json UsageJson(const ProcessUsage& usage) {
  return {{"rss_mb", usage.rss_mb}, {"peak_rss_mb", usage.peak_rss_mb},
          {"cpu_seconds", usage.cpu_seconds}, {"threads", usage.threads}};
}

absl::Status Run() {
  const int services = absl::GetFlag(FLAGS_services);
  const int instances = absl::GetFlag(FLAGS_instances);
  const int streams = absl::GetFlag(FLAGS_streams);
  const int subscriptions = absl::GetFlag(FLAGS_subscriptions);
  const int changes = absl::GetFlag(FLAGS_changes);
  if (services < 2 || services > 100000) return absl::InvalidArgumentError("--services: want 2..100000");
  if (instances < 1 || instances > 1000) return absl::InvalidArgumentError("--instances: want 1..1000");
  if (streams < 1 || streams > 5000) return absl::InvalidArgumentError("--streams: want 1..5000");
  if (subscriptions < 0 || subscriptions >= services) {
    return absl::InvalidArgumentError("--subscriptions: want 0..services-1");
  }
  if (changes < 2 || changes > 10000) return absl::InvalidArgumentError("--changes: want 2..10000");
  SetLogLevel(LogLevel::kWarn);

  auto etcd = testing::EtcdProcess::Start();
  if (!etcd.ok()) return etcd.status();
  auto client = EtcdClient::Create({.endpoints = {(*etcd)->endpoint()}});
  if (!client.ok()) return client.status();
  absl::Time populate_start = absl::Now();
  if (absl::Status s = Populate(**client, services, instances); !s.ok()) return s;
  absl::Duration populate_time = absl::Now() - populate_start;
  auto stamps = EtcdEventStamps::Start(**client, "svc-");
  if (!stamps.ok()) return stamps.status();
  auto route_stamps = EtcdEventStamps::Start(**client, ConfigKeyPrefix(""));
  if (!route_stamps.ok()) return route_stamps.status();

  absl::StatusOr<std::string> server_binary = LocateBuiltBinary("bin/switchboard");
  if (!server_binary.ok()) return server_binary.status();
  int port = testing::PickFreePort();
  std::string address = absl::StrCat("127.0.0.1:", port);
  testing::TempDir logs;
  absl::Time plane_start = absl::Now();
  auto plane = testing::ChildProcess::Start(
      {*server_binary, "xds", "--listen", address, "--source",
       EtcdSourceUri((*etcd)->endpoint())},
      {.log_path = logs.File("control_plane.log"), .env = {"SWITCHBOARD_LOG=warn"}});
  if (!plane.ok()) return plane.status();
  if (!testing::WaitForPort(port, absl::Seconds(30))) {
    return absl::DeadlineExceededError("the control plane did not listen within 30s");
  }
  pid_t pid = (*plane)->pid();
  std::printf("bench_control_plane_scale: %d services x %d instances in etcd (written in %s), "
              "%d streams\n",
              services, instances, absl::FormatDuration(absl::Trunc(populate_time, absl::Milliseconds(1))).c_str(),
              streams);
  std::fflush(stdout);

  // Streams: stream i watches svc-0 and `subscriptions` services of its own.
  ChangeTracker tracker(streams);
  std::vector<int> subscribers(services, 0);
  std::vector<std::unique_ptr<AggregatedDiscoveryService::Stub>> stubs;
  std::vector<std::unique_ptr<AdsWatchStream>> watchers;
  for (int i = 0; i < streams; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("switchboard.bench.connection", i);  // distinct args: a connection of its own
    stubs.push_back(AggregatedDiscoveryService::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
    std::vector<std::string> watched = {ServiceName(0)};
    subscribers[0]++;
    for (int j = 0; j < subscriptions; ++j) {
      int s = 1 + (i * subscriptions + j) % (services - 1);
      watched.push_back(ServiceName(s));
      subscribers[s]++;
    }
    watchers.push_back(std::make_unique<AdsWatchStream>(
        stubs.back().get(), absl::StrCat("bench-stream-", i), watched,
        [&tracker, i](const std::vector<ClusterLoadAssignment>& endpoints, int64_t arrived) {
          tracker.OnEndpoints(i, endpoints, arrived);
        }));
    watchers.back()->Start();
  }
  int subscribed = 0;
  for (auto& watcher : watchers) {
    absl::Duration left = absl::Seconds(120) - (absl::Now() - plane_start);
    if (watcher->WaitEndpoints(std::max(left, absl::ZeroDuration()))) subscribed++;
  }
  absl::Duration subscribe_time = absl::Now() - plane_start;
  if (subscribed < streams) {
    return absl::DeadlineExceededError(
        absl::StrCat("only ", subscribed, " of ", streams, " streams got their endpoints"));
  }
  absl::StatusOr<ProcessUsage> subscribed_usage = ReadProcessUsage(pid);
  if (!subscribed_usage.ok()) return subscribed_usage.status();
  // Idle: nothing changes; what does the control plane burn?
  absl::SleepFor(absl::Seconds(2));
  absl::StatusOr<ProcessUsage> idle_usage = ReadProcessUsage(pid);
  if (!idle_usage.ok()) return idle_usage.status();
  double idle_cpu = (idle_usage->cpu_seconds - subscribed_usage->cpu_seconds) / 2.0;
  std::printf("  control plane up and %d streams subscribed in %s: RSS %.1f MB\n", streams,
              absl::FormatDuration(absl::Trunc(subscribe_time, absl::Milliseconds(1))).c_str(),
              subscribed_usage->rss_mb);
  std::fflush(stdout);

  // Changes: even ones to the shared service, odd ones to a service with
  // few watchers.
  std::vector<double> shared_ms, single_ms, etcd_ms, median_stream_ms;
  int incomplete = 0;
  absl::Time changes_start = absl::Now();
  double changes_cpu_start = idle_usage->cpu_seconds;
  for (int c = 0; c < changes; ++c) {
    bool to_shared = c % 2 == 0;
    int s = to_shared ? 0 : 1 + (c * 7919) % (services - 1);
    Instance changed = MakeInstance(s, c % instances, /*weight=*/2 + c);
    tracker.Expect(c, changed, subscribers[s]);
    std::string key = RegistryKey("", changed);
    int64_t put_at = absl::GetCurrentTimeNanos();
    absl::StatusOr<int64_t> put = (*client)->Put(key, EncodeInstanceValue(changed));
    if (!put.ok()) return put.status();
    auto [last_arrival, seen] = tracker.Wait(absl::Seconds(10));
    if (seen < subscribers[s]) {
      incomplete++;
      continue;
    }
    double ms = (last_arrival - put_at) / 1e6;
    (to_shared ? shared_ms : single_ms).push_back(ms);
    std::vector<double> per_stream;
    for (int64_t arrival : tracker.arrivals()) per_stream.push_back((arrival - put_at) / 1e6);
    if (to_shared) median_stream_ms.push_back(Median(per_stream));
    int64_t etcd_seen = stamps.value()->WaitFor(key, /*put=*/true, absl::Seconds(1));
    if (etcd_seen != 0) etcd_ms.push_back((etcd_seen - put_at) / 1e6);
    absl::SleepFor(absl::Milliseconds(20));
  }
  double changes_wall = absl::ToDoubleSeconds(absl::Now() - changes_start);
  absl::StatusOr<ProcessUsage> end_usage = ReadProcessUsage(pid);
  if (!end_usage.ok()) return end_usage.status();
  double changes_cpu = end_usage->cpu_seconds - changes_cpu_start;

  // Route changes of the shared service: every call to v1, then to v2, ...
  const int route_changes = absl::GetFlag(FLAGS_route_changes);
  std::vector<double> route_ms, route_etcd_ms;
  int route_incomplete = 0;
  const std::string route_key = RouteConfigKey("", ServiceName(0));
  double route_cpu_start = end_usage->cpu_seconds;
  absl::Time route_start = absl::Now();
  for (int c = 0; c < route_changes; ++c) {
    const std::string subset = c % 2 == 0 ? "v1" : "v2";
    const std::string other = c % 2 == 0 ? "v2" : "v1";
    tracker.Expect(changes + c, MakeInstance(0, 0), subscribers[0],
                   xds::ResourceName(xds::ResourceKind::kClusterLoadAssignment,
                                     xds::SubsetName(ServiceName(0), subset)));
    const std::string value = absl::StrCat(R"({"subsets":{"by":"version"},"split":{")", subset,
                                           R"(":100,")", other, R"(":0}})");
    int64_t put_at = absl::GetCurrentTimeNanos();
    absl::StatusOr<int64_t> put = (*client)->Put(route_key, value);
    if (!put.ok()) return put.status();
    auto [last_arrival, seen] = tracker.Wait(absl::Seconds(10));
    if (seen < subscribers[0]) {
      route_incomplete++;
      continue;
    }
    route_ms.push_back((last_arrival - put_at) / 1e6);
    int64_t etcd_seen = route_stamps.value()->WaitFor(route_key, /*put=*/true, absl::Seconds(1));
    if (etcd_seen != 0) route_etcd_ms.push_back((etcd_seen - put_at) / 1e6);
    absl::SleepFor(absl::Milliseconds(20));
  }
  double route_wall = absl::ToDoubleSeconds(absl::Now() - route_start);
  absl::StatusOr<ProcessUsage> route_usage = ReadProcessUsage(pid);
  if (!route_usage.ok()) return route_usage.status();
  double route_cpu = route_usage->cpu_seconds - route_cpu_start;

  // Weights only: 90/10 <-> 50/50 between subsets every stream already
  // has, the common canary step: one route push, no new cluster. Timed
  // until every stream has had a response since the put (the route).
  std::vector<double> weight_ms;
  int weight_incomplete = 0;
  double weight_cpu_start = route_usage->cpu_seconds;
  absl::Time weight_start = absl::Now();
  for (int c = 0; c <= route_changes && route_changes > 0; ++c) {
    const std::string value = c % 2 == 0
        ? R"({"subsets":{"by":"version"},"split":{"v1":90,"v2":10}})"
        : R"({"subsets":{"by":"version"},"split":{"v1":50,"v2":50}})";
    if (c == 0) {
      // Both subsets subscribed first (not timed).
      tracker.Expect(changes + route_changes + 1, MakeInstance(0, 0), subscribers[0],
                     xds::ResourceName(xds::ResourceKind::kClusterLoadAssignment,
                                       xds::SubsetName(ServiceName(0), "v1")));
    }
    std::vector<uint64_t> before;
    for (auto& watcher : watchers) before.push_back(watcher->responses());
    int64_t put_at = absl::GetCurrentTimeNanos();
    absl::StatusOr<int64_t> put = (*client)->Put(route_key, value);
    if (!put.ok()) return put.status();
    if (c == 0) {
      tracker.Wait(absl::Seconds(10));
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    size_t next = 0;
    bool all = testing::WaitFor(
        [&] {
          while (next < watchers.size() && watchers[next]->responses() > before[next]) next++;
          return next == watchers.size();
        },
        absl::Seconds(10), absl::Microseconds(200));
    if (!all) {
      weight_incomplete++;
      continue;
    }
    weight_ms.push_back((absl::GetCurrentTimeNanos() - put_at) / 1e6);
    absl::SleepFor(absl::Milliseconds(20));
  }
  double weight_wall = absl::ToDoubleSeconds(absl::Now() - weight_start);
  absl::StatusOr<ProcessUsage> weight_usage = ReadProcessUsage(pid);
  if (!weight_usage.ok()) return weight_usage.status();
  double weight_cpu = weight_usage->cpu_seconds - weight_cpu_start;

  for (auto& watcher : watchers) watcher->Cancel();
  watchers.clear();
  (*plane)->Stop(absl::Seconds(5));

  std::printf("\n");
  Table latency({"one instance changed in etcd -> every subscribed stream has it", "streams",
                 "p50 ms", "p99 ms", "max ms", "p50 ratio to etcd's"});
  double etcd_p50 = Median(etcd_ms);
  latency.AddRow({"service every stream watches", absl::StrCat(subscribers[0]),
                  Fixed(Median(shared_ms), 2), Fixed(Percentile(shared_ms, 99), 2),
                  Fixed(Max(shared_ms), 2), Fixed(Ratio(Median(shared_ms), etcd_p50), 1)});
  latency.AddRow({"  (median stream of those)", absl::StrCat(subscribers[0]),
                  Fixed(Median(median_stream_ms), 2), Fixed(Percentile(median_stream_ms, 99), 2),
                  Fixed(Max(median_stream_ms), 2), ""});
  latency.AddRow({"service a few streams watch", "~" + absl::StrCat(streams * subscriptions / (services - 1)),
                  Fixed(Median(single_ms), 2), Fixed(Percentile(single_ms, 99), 2),
                  Fixed(Max(single_ms), 2), Fixed(Ratio(Median(single_ms), etcd_p50), 1)});
  latency.AddRow({"  baseline: plain etcd watch in this process", "1", Fixed(etcd_p50, 2),
                  Fixed(Percentile(etcd_ms, 99), 2), Fixed(Max(etcd_ms), 2), "1"});
  if (route_changes > 0) {
    latency.AddRow({"route of the shared service -> every stream has the new subset's endpoints",
                    absl::StrCat(subscribers[0]), Fixed(Median(route_ms), 2),
                    Fixed(Percentile(route_ms, 99), 2), Fixed(Max(route_ms), 2),
                    Fixed(Ratio(Median(route_ms), Median(route_etcd_ms)), 1)});
    latency.AddRow({"split weights only (90/10 <-> 50/50) -> every stream has the route",
                    absl::StrCat(streams), Fixed(Median(weight_ms), 2),
                    Fixed(Percentile(weight_ms, 99), 2), Fixed(Max(weight_ms), 2),
                    Fixed(Ratio(Median(weight_ms), Median(route_etcd_ms)), 1)});
    latency.AddRow({"  baseline: plain etcd watch of the route key", "1",
                    Fixed(Median(route_etcd_ms), 2), Fixed(Percentile(route_etcd_ms, 99), 2),
                    Fixed(Max(route_etcd_ms), 2), "1"});
  }
  latency.Print();
  std::printf("\n");
  Table usage({"control plane process", "RSS MB", "peak RSS MB", "CPU (cores)", "threads"});
  usage.AddRow({"all streams subscribed", Fixed(subscribed_usage->rss_mb),
                Fixed(subscribed_usage->peak_rss_mb), "", absl::StrCat(subscribed_usage->threads)});
  usage.AddRow({"idle, 2 s", Fixed(idle_usage->rss_mb), Fixed(idle_usage->peak_rss_mb),
                Fixed(idle_cpu, 3), absl::StrCat(idle_usage->threads)});
  usage.AddRow({absl::StrCat("during ", changes, " changes"), Fixed(end_usage->rss_mb),
                Fixed(end_usage->peak_rss_mb), Fixed(changes_cpu / changes_wall, 3),
                absl::StrCat(end_usage->threads)});
  usage.Print();
  if (route_changes > 0) {
    std::printf("route changes: %d, CPU per route change %.1f ms (%.3f cores), not seen by every "
                "stream within 10s: %d\n",
                route_changes, route_cpu / route_changes * 1000, route_cpu / route_wall,
                route_incomplete);
    std::printf("split weight changes: %d, CPU per change %.1f ms (%.3f cores), not seen by every "
                "stream within 10s: %d\n",
                route_changes, weight_cpu / route_changes * 1000, weight_cpu / weight_wall,
                weight_incomplete);
  }
  std::printf("CPU per change: %.1f ms; start-up CPU (list %d keys, build, %d subscriptions): %.2f s;"
              " changes not seen by every subscriber within 10s: %d\n",
              changes_cpu / changes * 1000, services * instances, streams,
              subscribed_usage->cpu_seconds, incomplete);

  auto summary = [](const std::vector<double>& ms) {
    return nlohmann::json{{"p50_ms", Median(ms)}, {"p99_ms", Percentile(ms, 99)},
                          {"max_ms", Max(ms)}, {"samples", ms.size()}, {"per_change_ms", ms}};
  };
  nlohmann::json result = {
      {"benchmark", "bench_control_plane_scale"},
      {"machine", MachineDescription()},
      {"services", services},
      {"instances_per_service", instances},
      {"streams", streams},
      {"subscriptions_per_stream", subscriptions + 1},
      {"changes", changes},
      {"incomplete_changes", incomplete},
      {"push_to_all_streams", summary(shared_ms)},
      {"push_median_stream", summary(median_stream_ms)},
      {"push_to_few_streams", summary(single_ms)},
      {"baseline_etcd_watch", summary(etcd_ms)},
      {"subscribe_all_seconds", absl::ToDoubleSeconds(subscribe_time)},
      {"usage_subscribed", UsageJson(*subscribed_usage)},
      {"usage_end", UsageJson(*end_usage)},
      {"idle_cpu_cores", idle_cpu},
      {"changes_cpu_cores", changes_cpu / changes_wall},
      {"cpu_ms_per_change", changes_cpu / changes * 1000},
      {"route_changes", route_changes},
      {"route_incomplete_changes", route_incomplete},
      {"route_push_to_all_streams", summary(route_ms)},
      {"route_baseline_etcd_watch", summary(route_etcd_ms)},
      {"cpu_ms_per_route_change", route_changes > 0 ? route_cpu / route_changes * 1000 : 0},
      {"split_weights_push_to_all_streams", summary(weight_ms)},
      {"split_weights_incomplete_changes", weight_incomplete},
      {"cpu_ms_per_split_weight_change",
       route_changes > 0 ? weight_cpu / route_changes * 1000 : 0}};
  return EmitJson(result, absl::GetFlag(FLAGS_json));
}

}  // namespace
}  // namespace switchboard::testing

int main(int argc, char** argv) {
  return switchboard::testing::BenchmarkMain(
      argc, argv,
      "Push latency, memory and CPU of the xDS control plane with many services in etcd and "
      "many ADS streams.",
      switchboard::testing::Run);
}
