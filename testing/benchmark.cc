#include "testing/benchmark.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"

namespace switchboard::testing {

std::shared_ptr<grpc::Channel> MakeRoundRobinChannel(const std::vector<std::string>& addresses) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(R"({"loadBalancingConfig":[{"round_robin":{}}]})");
  return grpc::CreateCustomChannel(absl::StrCat("ipv4:", absl::StrJoin(addresses, ",")),
                                   grpc::InsecureChannelCredentials(), args);
}

std::shared_ptr<grpc::Channel> MakeXdsChannel(const std::string& service) {
  return grpc::CreateChannel(absl::StrCat("xds:///", service), grpc::InsecureChannelCredentials());
}

absl::StatusOr<std::unique_ptr<EtcdEventStamps>> EtcdEventStamps::Start(
    EtcdClient& client, const std::string& prefix) {
  etcdserverpb::WatchCreateRequest create;
  create.set_key(prefix);
  create.set_range_end(PrefixRangeEnd(prefix));
  absl::StatusOr<std::unique_ptr<WatchStream>> stream = client.Watch(create);
  if (!stream.ok()) return stream.status();
  absl::StatusOr<etcdserverpb::WatchResponse> created = (*stream)->Read();
  if (!created.ok()) return created.status();
  std::unique_ptr<EtcdEventStamps> stamps(new EtcdEventStamps(std::move(*stream)));
  stamps->thread_ = std::thread([s = stamps.get()] { s->Run(); });
  return stamps;
}

EtcdEventStamps::~EtcdEventStamps() {
  stream_->Cancel();
  thread_.join();
}

int64_t EtcdEventStamps::WaitFor(const std::string& key, bool put, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto& stamps = put ? puts_ : deletes_;
  cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] { return stamps.count(key) > 0; });
  auto it = stamps.find(key);
  return it == stamps.end() ? 0 : it->second;
}

void EtcdEventStamps::Run() {
  while (true) {
    absl::StatusOr<etcdserverpb::WatchResponse> response = stream_->Read();
    if (!response.ok()) return;
    int64_t now = absl::GetCurrentTimeNanos();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& event : response->events()) {
      bool put = event.type() == mvccpb::Event::PUT;
      (put ? puts_ : deletes_)[event.kv().key()] = now;
    }
    cv_.notify_all();
  }
}

absl::StatusOr<ProcessUsage> ReadProcessUsage(pid_t pid) {
  ProcessUsage usage;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) return absl::NotFoundError(absl::StrCat("no process ", pid));
  std::string line;
  while (std::getline(status, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() < 2) continue;
    double value = 0;
    if (!absl::SimpleAtod(fields[1], &value)) continue;
    if (fields[0] == "VmRSS:") usage.rss_mb = value / 1024;
    if (fields[0] == "VmHWM:") usage.peak_rss_mb = value / 1024;
    if (fields[0] == "Threads:") usage.threads = static_cast<int>(value);
  }
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name, which may hold spaces: it ends at the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return absl::InternalError("unreadable /proc/<pid>/stat");
  std::vector<std::string> fields =
      absl::StrSplit(text.substr(close + 2), ' ', absl::SkipEmpty());
  // utime and stime are fields 14 and 15 of stat; here 11 and 12 (0-based,
  // counted from the state field, the 3rd).
  if (fields.size() > 12) {
    double ticks = sysconf(_SC_CLK_TCK);
    double utime = 0, stime = 0;
    absl::SimpleAtod(fields[11], &utime);
    absl::SimpleAtod(fields[12], &stime);
    usage.cpu_seconds = (utime + stime) / ticks;
  }
  return usage;
}

void Table::Print() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (size_t r = 0; r < rows_.size(); ++r) {
    std::string line;
    for (size_t i = 0; i < rows_[r].size(); ++i) {
      std::string cell = rows_[r][i];
      // Text left, figures right.
      bool left = i == 0;
      std::string pad(widths[i] - cell.size(), ' ');
      absl::StrAppend(&line, i == 0 ? "" : "  ", left ? cell + pad : pad + cell);
    }
    std::printf("%s\n", line.c_str());
    if (r == 0) {
      size_t total = 0;
      for (size_t w : widths) total += w + 2;
      std::printf("%s\n", std::string(total - 2, '-').c_str());
    }
  }
  std::fflush(stdout);
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

absl::Status EmitJson(const nlohmann::json& result, const std::string& json_path) {
  std::printf("RESULT %s\n", result.dump().c_str());
  std::fflush(stdout);
  if (json_path.empty()) return absl::OkStatus();
  std::ofstream out(json_path);
  out << result.dump(2) << "\n";
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", json_path));
  return absl::OkStatus();
}

nlohmann::json MachineDescription() {
  nlohmann::json machine;
  machine["cores"] = sysconf(_SC_NPROCESSORS_ONLN);
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3) machine["load_average_1m_at_end"] = load[0];
  utsname name{};
  if (uname(&name) == 0) machine["kernel"] = absl::StrCat(name.sysname, " ", name.release);
  return machine;
}

absl::StatusOr<std::unique_ptr<GreeterTestbed>> StartGreeterTestbed(int servers) {
  auto testbed = std::make_unique<GreeterTestbed>();
  auto etcd = EtcdProcess::Start();
  if (!etcd.ok()) return etcd.status();
  testbed->etcd = std::move(*etcd);
  absl::StatusOr<std::string> binary = LocateBuiltBinary("bin/greeter_server");
  if (!binary.ok()) return binary.status();
  testbed->servers = std::make_unique<GreeterFleet>(GreeterFleetOptions{
      .server_binary = *binary, .etcd = testbed->etcd->endpoint(), .log_dir = testbed->logs.path()});
  for (int i = 0; i < servers; ++i) {
    if (absl::StatusOr<int> added = testbed->servers->Add(); !added.ok()) return added.status();
  }
  return testbed;
}

int BenchmarkMain(int argc, char** argv, const char* usage, absl::Status (*run)()) {
  absl::SetProgramUsageMessage(usage);
  absl::ParseCommandLine(argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::Status status = run();
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[0], status.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace switchboard::testing
