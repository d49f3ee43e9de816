#include "bench_support.h"

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

namespace switchboard::bench {

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = p / 100.0 * (values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(rank));
  size_t above = std::min(below + 1, values.size() - 1);
  double fraction = rank - below;
  return values[below] + (values[above] - values[below]) * fraction;
}

double Max(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

double Ratio(double a, double b) { return b == 0 ? 0 : a / b; }

std::string LoadWindow::FailureSummary() const {
  if (failures.empty()) return "none";
  std::map<std::string, int> by_code;
  for (const FailedCall& failure : failures) {
    by_code[absl::StatusCodeToString(static_cast<absl::StatusCode>(failure.code))]++;
  }
  std::vector<std::string> parts;
  for (const auto& [code, count] : by_code) parts.push_back(absl::StrCat(code, "=", count));
  return absl::StrJoin(parts, " ");
}

absl::Duration ProcessCpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) + absl::DurationFromTimeval(usage.ru_stime);
}

GreeterLoad::GreeterLoad(std::shared_ptr<grpc::Channel> channel, LoadOptions options)
    : channel_(std::move(channel)),
      stub_(examples::Greeter::NewStub(channel_)),
      options_(options) {
  for (int i = 0; i < options_.threads; ++i) records_.push_back(std::make_unique<ThreadRecord>());
}

GreeterLoad::~GreeterLoad() { Stop(); }

void GreeterLoad::Start() {
  stopping_ = false;
  window_start_ = absl::Now();
  for (auto& record : records_) {
    threads_.emplace_back([this, r = record.get()] { Loop(r); });
  }
}

void GreeterLoad::Loop(ThreadRecord* record) {
  examples::HelloRequest request;
  request.set_name("bench");
  while (!stopping_.load(std::memory_order_relaxed)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    examples::HelloReply reply;
    auto start = std::chrono::steady_clock::now();
    grpc::Status status = stub_->SayHello(&context, request, &reply);
    auto end = std::chrono::steady_clock::now();
    if (status.ok()) {
      double us = std::chrono::duration<double, std::micro>(end - start).count();
      std::lock_guard<std::mutex> lock(record->mu);
      record->ok++;
      record->latencies_us.push_back(us);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(record->mu);
      record->failures.push_back({absl::Now(), status.error_code(), status.error_message()});
    }
    absl::SleepFor(options_.pause_after_failure);
  }
}

void GreeterLoad::BeginWindow() {
  for (auto& record : records_) {
    std::lock_guard<std::mutex> lock(record->mu);
    record->ok = 0;
    record->latencies_us.clear();
    record->failures.clear();
  }
  window_start_ = absl::Now();
  window_start_cpu_ = ProcessCpuTime();
}

LoadWindow GreeterLoad::EndWindow() {
  LoadWindow window;
  for (auto& record : records_) {
    std::lock_guard<std::mutex> lock(record->mu);
    window.ok += record->ok;
    window.latencies_us.insert(window.latencies_us.end(), record->latencies_us.begin(),
                               record->latencies_us.end());
    window.failures.insert(window.failures.end(), record->failures.begin(),
                           record->failures.end());
  }
  window.length = absl::Now() - window_start_;
  window.process_cpu = ProcessCpuTime() - window_start_cpu_;
  std::sort(window.failures.begin(), window.failures.end(),
            [](const FailedCall& a, const FailedCall& b) { return a.at < b.at; });
  return window;
}

void GreeterLoad::Stop() {
  stopping_ = true;
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

absl::StatusOr<std::string> CallOnce(grpc::Channel& channel, absl::Duration deadline) {
  // A stub per call is cheap: it only holds the channel.
  auto stub = examples::Greeter::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  examples::HelloRequest request;
  request.set_name("bench");
  examples::HelloReply reply;
  grpc::Status status = stub->SayHello(&context, request, &reply);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return reply.served_by();
}

bool WaitUntilAllServe(grpc::Channel& channel, const std::vector<std::string>& addresses,
                       absl::Duration timeout) {
  std::set<std::string> seen;
  return testing::WaitFor(
      [&] {
        absl::StatusOr<std::string> served_by = CallOnce(channel);
        if (served_by.ok()) seen.insert(*served_by);
        return std::all_of(addresses.begin(), addresses.end(),
                           [&](const std::string& a) { return seen.count(a) > 0; });
      },
      timeout, absl::Milliseconds(1));
}

std::shared_ptr<grpc::Channel> MakeRoundRobinChannel(const std::vector<std::string>& addresses) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(R"({"loadBalancingConfig":[{"round_robin":{}}]})");
  return grpc::CreateCustomChannel(absl::StrCat("ipv4:", absl::StrJoin(addresses, ",")),
                                   grpc::InsecureChannelCredentials(), args);
}

std::shared_ptr<grpc::Channel> MakeXdsChannel(const std::string& service) {
  return grpc::CreateChannel(absl::StrCat("xds:///", service), grpc::InsecureChannelCredentials());
}

absl::StatusOr<std::string> BuiltBinary(const std::string& relative) {
  char exe[4096] = {};
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return absl::InternalError("cannot read /proc/self/exe");
  std::string path(exe, n);
  // <build>/bench/<name> -> <build>
  for (int i = 0; i < 2; ++i) path = path.substr(0, path.rfind('/'));
  std::string binary = absl::StrCat(path, "/", relative);
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(binary, " not found: build it first (cmake --build ",
                                            path, " --target ",
                                            relative.substr(relative.rfind('/') + 1), ")"));
  }
  return binary;
}

absl::StatusOr<int> GreeterChildren::Add() {
  Server server;
  server.port = testing::PickFreePort();
  server.address = absl::StrCat("127.0.0.1:", server.port);
  servers_.push_back(std::move(server));
  int index = static_cast<int>(servers_.size()) - 1;
  if (absl::Status s = Launch(index); !s.ok()) return s;
  return index;
}

absl::Status GreeterChildren::Launch(int index) {
  Server& server = servers_.at(index);
  std::vector<std::string> argv = {
      options_.binary,
      absl::StrCat("--listen=", server.address),
      absl::StrCat("--etcd=", options_.etcd),
      absl::StrCat("--service=", options_.service),
      absl::StrCat("--ttl=", absl::FormatDuration(options_.ttl)),
      absl::StrCat("--drain_timeout=", absl::FormatDuration(options_.drain_timeout))};
  testing::ChildOptions child_options;
  if (!options_.log_dir.empty()) {
    child_options.log_path = absl::StrCat(options_.log_dir, "/greeter-", index, ".log");
  }
  auto process = testing::ChildProcess::Start(argv, child_options);
  if (!process.ok()) return process.status();
  server.process = std::move(*process);
  if (!testing::WaitForPort(server.port, absl::Seconds(10))) {
    return absl::DeadlineExceededError(
        absl::StrCat("greeter server ", server.address, " did not listen within 10s"));
  }
  return absl::OkStatus();
}

absl::Status GreeterChildren::Restart(int index) {
  Server& server = servers_.at(index);
  if (server.process != nullptr && server.process->Running()) server.process->Kill();
  // The old socket may linger for a moment after the process exits.
  testing::WaitForPortClosed(server.port, absl::Seconds(2));
  return Launch(index);
}

void GreeterChildren::Kill(int index) {
  Server& server = servers_.at(index);
  if (server.process != nullptr) server.process->Kill();
}

void GreeterChildren::Stop(int index, absl::Duration grace) {
  Server& server = servers_.at(index);
  if (server.process != nullptr) server.process->Stop(grace);
}

std::vector<std::string> GreeterChildren::Addresses() const {
  std::vector<std::string> addresses;
  for (const Server& server : servers_) addresses.push_back(server.address);
  return addresses;
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
  auto etcd = testing::EtcdProcess::Start();
  if (!etcd.ok()) return etcd.status();
  testbed->etcd = std::move(*etcd);
  absl::StatusOr<std::string> binary = BuiltBinary("bin/greeter_server");
  if (!binary.ok()) return binary.status();
  testbed->servers = std::make_unique<GreeterChildren>(GreeterChildren::Options{
      .binary = *binary, .etcd = testbed->etcd->endpoint(), .log_dir = testbed->logs.path()});
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

}  // namespace switchboard::bench
