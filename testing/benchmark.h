// What the benchmarks share on top of the rest of the testing library (the
// load is ClosedLoopCaller's, the statistics statistics.h's): a testbed of a
// real etcd and greeter servers registered in it, the channels compared, a
// stamp of when etcd itself reports a change, readings of another process's
// memory and CPU from /proc, and the report each benchmark prints (an
// aligned table, then its figures as JSON).
//
// Example:
//   auto testbed = StartGreeterTestbed(3);
//   GreeterFleet& servers = *(*testbed)->servers;
//   ClosedLoopCaller load(MakeRoundRobinChannel(servers.Addresses()), {.threads = 4});
//   load.Start();
//   load.BeginWindow();
//   absl::SleepFor(absl::Seconds(2));
//   LoadWindow window = load.EndWindow();   // qps, latency percentiles, failures
//   load.Stop();
//
// Threading: used from one thread; EtcdEventStamps reads on its own.
#ifndef SWITCHBOARD_TESTING_BENCHMARK_H_
#define SWITCHBOARD_TESTING_BENCHMARK_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/etcd/etcd_client.h"
#include "greeter.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "testing/child_process.h"
#include "testing/closed_loop_caller.h"
#include "testing/etcd_process.h"
#include "testing/greeter_fleet.h"
#include "testing/statistics.h"

namespace switchboard::testing {

// WaitUntilAllServe for each of `variants` (any structs with a `name` and a
// `channel`); the error names the first that was not served by all.
template <typename Variant>
absl::Status WaitUntilEveryVariantServes(const std::vector<Variant>& variants,
                                         const std::vector<std::string>& addresses,
                                         absl::Duration timeout) {
  for (const Variant& variant : variants) {
    if (!WaitUntilAllServe(*variant.channel, addresses, timeout)) {
      return absl::DeadlineExceededError(absl::StrCat(
          variant.name, ": not every server served within ", absl::FormatDuration(timeout)));
    }
  }
  return absl::OkStatus();
}

// A direct channel to `addresses` ("127.0.0.1:50051"...) through the
// `ipv4:` resolver with round_robin: the baseline Switchboard is compared
// with.
std::shared_ptr<grpc::Channel> MakeRoundRobinChannel(const std::vector<std::string>& addresses);
// A channel to `xds:///<service>`.
std::shared_ptr<grpc::Channel> MakeXdsChannel(const std::string& service);

// A plain etcd watch on a key prefix that stamps when each put and delete
// arrives (absl::GetCurrentTimeNanos()): the floor under any discovery built
// on etcd, and the baseline the benchmarks compare with.
class EtcdEventStamps {
 public:
  static absl::StatusOr<std::unique_ptr<EtcdEventStamps>> Start(EtcdClient& client,
                                                                const std::string& prefix);
  ~EtcdEventStamps();

  // When the latest put (or delete) of `key` arrived; 0 if none within
  // `timeout`.
  int64_t WaitFor(const std::string& key, bool put, absl::Duration timeout);

 private:
  explicit EtcdEventStamps(std::unique_ptr<WatchStream> stream) : stream_(std::move(stream)) {}
  void Run();

  std::unique_ptr<WatchStream> stream_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int64_t> puts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> deletes_ ABSL_GUARDED_BY(mu_);
};

struct ProcessUsage {
  double rss_mb = 0;       // resident now
  double peak_rss_mb = 0;  // high-water mark
  double cpu_seconds = 0;  // user + system since it started
  int threads = 0;
};
// Reads /proc/<pid>/status and /proc/<pid>/stat.
absl::StatusOr<ProcessUsage> ReadProcessUsage(pid_t pid);

// --- Report -----------------------------------------------------------------

// A table printed with aligned columns.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "12.3" style formatting for table cells.
std::string Fixed(double value, int decimals = 1);

// The figures of a benchmark run: printed as one JSON line at the end
// ("RESULT {...}") and written to `json_path` when given.
absl::Status EmitJson(const nlohmann::json& result, const std::string& json_path);

// What most benchmarks stand on: a real etcd and `servers` greeter servers
// registered in it (child processes, default GreeterFleet options), all
// stopped when it goes away, servers first.
struct GreeterTestbed {
  std::unique_ptr<EtcdProcess> etcd;
  TempDir logs;
  std::unique_ptr<GreeterFleet> servers;
};
absl::StatusOr<std::unique_ptr<GreeterTestbed>> StartGreeterTestbed(int servers);

// The machine the figures come from: cores, load average, kernel.
nlohmann::json MachineDescription();

// The main() of every benchmark: sets the usage line, parses the flags,
// turns off Abseil's lock-order checking (Debian's Abseil has it on, and a
// real client is not built that way), runs `run` and reports its error.
int BenchmarkMain(int argc, char** argv, const char* usage, absl::Status (*run)());

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_BENCHMARK_H_
