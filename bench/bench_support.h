// What every benchmark shares: summary statistics over repeated runs, a
// closed-loop greeter load that records each call's latency and outcome,
// greeter server child processes registered in a real etcd, a stamp of when
// etcd itself reports a change, readings of
// another process's memory and CPU from /proc, and the report each
// benchmark prints (an aligned table, then its figures as JSON).
//
// Example:
//   auto etcd = testing::EtcdProcess::Start();
//   GreeterChildren servers(*GreeterServerBinary(), (*etcd)->endpoint(), log_dir);
//   servers.Add();  servers.Add();  servers.Add();
//   GreeterLoad load(MakeRoundRobinChannel(servers.Addresses()), {.threads = 4});
//   load.Start();
//   load.BeginWindow();
//   absl::SleepFor(absl::Seconds(2));
//   LoadWindow window = load.EndWindow();   // qps, latency percentiles, failures
//   load.Stop();
//
// Threading: GreeterLoad's methods are called from one thread; its callers
// run on their own threads. The rest is used from one thread.
#ifndef SWITCHBOARD_BENCH_BENCH_SUPPORT_H_
#define SWITCHBOARD_BENCH_BENCH_SUPPORT_H_

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
#include "harness/child_process.h"
#include "harness/etcd_process.h"
#include "nlohmann/json.hpp"

namespace switchboard::bench {

// --- Statistics -------------------------------------------------------------

// The p-th percentile (0..100) with linear interpolation; 0 when empty.
double Percentile(std::vector<double> values, double p);
inline double Median(std::vector<double> values) { return Percentile(std::move(values), 50); }
double Max(const std::vector<double>& values);
// a / b, 0 when b is 0.
double Ratio(double a, double b);

// --- Load -------------------------------------------------------------------

struct LoadOptions {
  int threads = 4;
  absl::Duration deadline = absl::Seconds(2);
  // Pause after a failed call, so that fast failures do not spin.
  absl::Duration pause_after_failure = absl::Milliseconds(1);
};

// One failed call.
struct FailedCall {
  absl::Time at;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
};

// What the load did between BeginWindow() and EndWindow().
struct LoadWindow {
  absl::Duration length;
  int64_t ok = 0;
  // Latency of every successful call, microseconds.
  std::vector<double> latencies_us;
  std::vector<FailedCall> failures;
  // CPU time this whole process used during the window (user + system).
  absl::Duration process_cpu;

  double qps() const { return ok / absl::ToDoubleSeconds(length); }
  double p50_us() const { return Percentile(latencies_us, 50); }
  double p99_us() const { return Percentile(latencies_us, 99); }
  // "UNAVAILABLE=3 DEADLINE_EXCEEDED=1", or "none".
  // Process CPU per successful call, microseconds: what the client side of
  // a call costs, much less sensitive than QPS to other work on the machine.
  double cpu_us_per_call() const {
    return ok == 0 ? 0 : absl::ToDoubleMicroseconds(process_cpu) / ok;
  }
  std::string FailureSummary() const;
};

// User + system CPU time used by this process so far.
absl::Duration ProcessCpuTime();

// `threads` threads each calling SayHello over one shared channel in a
// closed loop (the next call starts when the previous one ends). Records
// are kept per thread, so recording costs no shared lock on the hot path.
class GreeterLoad {
 public:
  GreeterLoad(std::shared_ptr<grpc::Channel> channel, LoadOptions options);
  ~GreeterLoad();  // Stop()s

  void Start();
  // Forgets what was recorded so far and starts a new window.
  void BeginWindow();
  // What was recorded since BeginWindow().
  LoadWindow EndWindow();
  // Joins the threads (calls in flight end first, bounded by the deadline).
  void Stop();

 private:
  struct ThreadRecord {
    std::mutex mu;
    int64_t ok ABSL_GUARDED_BY(mu) = 0;
    std::vector<double> latencies_us ABSL_GUARDED_BY(mu);
    std::vector<FailedCall> failures ABSL_GUARDED_BY(mu);
  };
  void Loop(ThreadRecord* record);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<examples::Greeter::Stub> stub_;
  const LoadOptions options_;
  std::vector<std::unique_ptr<ThreadRecord>> records_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  absl::Time window_start_;
  absl::Duration window_start_cpu_;
};

// One SayHello; the address that served it, or the error.
absl::StatusOr<std::string> CallOnce(grpc::Channel& channel,
                                     absl::Duration deadline = absl::Seconds(2));
// Calls until every one of `addresses` has served at least once; false at
// the timeout.
bool WaitUntilAllServe(grpc::Channel& channel, const std::vector<std::string>& addresses,
                       absl::Duration timeout);

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

// --- Processes --------------------------------------------------------------

// A binary of this build: <build>/<relative>, found from this executable's
// own path (<build>/bench/<name>). NotFound names the path tried.
absl::StatusOr<std::string> BuiltBinary(const std::string& relative);

// Greeter servers (examples/greeter/greeter_server) as child processes, each
// registered in etcd by itself. Every server keeps its port across restarts.
class GreeterChildren {
 public:
  struct Options {
    std::string binary;
    std::string etcd;
    std::string log_dir;
    std::string service = "greeter";
    absl::Duration ttl = absl::Seconds(2);
    absl::Duration drain_timeout = absl::Seconds(2);
  };
  explicit GreeterChildren(Options options) : options_(std::move(options)) {}

  // Starts one more server and waits until it listens. Returns its index.
  absl::StatusOr<int> Add();
  absl::Status Restart(int index);
  // kill -9: no drain, no deregistration.
  void Kill(int index);
  // SIGTERM: the server drains, deregisters and exits; waits for it.
  void Stop(int index, absl::Duration grace = absl::Seconds(10));

  const std::string& address(int index) const { return servers_.at(index).address; }
  std::vector<std::string> Addresses() const;
  size_t size() const { return servers_.size(); }

 private:
  struct Server {
    int port = 0;
    std::string address;
    std::unique_ptr<testing::ChildProcess> process;
  };
  absl::Status Launch(int index);

  const Options options_;
  std::vector<Server> servers_;
};

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
// registered in it (child processes, default GreeterChildren options), all
// stopped when it goes away, servers first.
struct GreeterTestbed {
  std::unique_ptr<testing::EtcdProcess> etcd;
  testing::TempDir logs;
  std::unique_ptr<GreeterChildren> servers;
};
absl::StatusOr<std::unique_ptr<GreeterTestbed>> StartGreeterTestbed(int servers);

// The machine the figures come from: cores, load average, kernel.
nlohmann::json MachineDescription();

// The main() of every benchmark: sets the usage line, parses the flags,
// turns off Abseil's lock-order checking (Debian's Abseil has it on, and a
// real client is not built that way), runs `run` and reports its error.
int BenchmarkMain(int argc, char** argv, const char* usage, absl::Status (*run)());

}  // namespace switchboard::bench

#endif  // SWITCHBOARD_BENCH_BENCH_SUPPORT_H_
