#include "switchboard/proxy/haproxy_driver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "switchboard/common/log.h"
#include "switchboard/proxy/runtime_api.h"

namespace switchboard::proxy {
namespace {

absl::Status MakeDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--data-dir ", path, ": cannot create it: ", std::strerror(errno)));
}

std::string LogTail(const std::string& path, size_t max_bytes = 1500) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > max_bytes) text = text.substr(text.size() - max_bytes);
  return text;
}

}  // namespace

class HaproxyDriver::SourceObserver : public LookupObserver {
 public:
  explicit SourceObserver(HaproxyDriver* driver) : driver_(driver) {}
  void OnUpdate(SnapshotPtr, const Changeset&) override { driver_->Wake(); }
  // The backends keep the last good view; the operator should know why
  // they stopped following the registry. Reported once per distinct error.
  void OnError(const absl::Status& error) override {
    std::string message(error.message());
    if (message == last_error_) return;
    last_error_ = message;
    driver_->Event(absl::StrCat("lookup source: ", message, " (keeping the servers HAProxy has)"));
  }

 private:
  HaproxyDriver* driver_;
  std::string last_error_;  // the source's thread only
};

HaproxyDriver::HaproxyDriver(std::vector<std::unique_ptr<LookupSource>> sources,
                             HaproxyDriverOptions options)
    : options_(std::move(options)),
      config_path_(options_.data_dir + "/haproxy.cfg"),
      log_path_(options_.data_dir + "/haproxy.log"),
      sources_(std::move(sources)),
      restart_backoff_(options_.restart_backoff) {
  if (options_.config.runtime_socket.empty()) {
    options_.config.runtime_socket = options_.data_dir + "/haproxy.sock";
  }
}

HaproxyDriver::~HaproxyDriver() { Stop(); }

absl::StatusOr<std::unique_ptr<HaproxyDriver>> HaproxyDriver::Start(
    std::vector<std::unique_ptr<LookupSource>> sources, HaproxyDriverOptions options) {
  if (sources.empty()) return absl::InvalidArgumentError("no lookup source given");
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data-dir: give a directory");
  if (absl::Status s = ValidateProxyConfig(options.config); !s.ok()) return s;
  if (absl::Status s = MakeDirectory(options.data_dir); !s.ok()) return s;
  std::unique_ptr<HaproxyDriver> driver(new HaproxyDriver(std::move(sources), std::move(options)));
  const ProxyConfig& config = driver->options_.config;
  // HAProxy would say "cannot bind socket" in its log; this names the flag.
  auto check_free = [](const std::string& flag, const HostPort& address) -> absl::Status {
    if (address.port != 0 && supervisor::CanConnect(address.host, address.port)) {
      return absl::UnavailableError(absl::StrCat(flag, address.ToString(),
                                                 " is already in use (another process listens there)"));
    }
    return absl::OkStatus();
  };
  for (const auto& [service, address] : config.listens) {
    if (absl::Status s = check_free(absl::StrCat("--listen ", service, "="), address); !s.ok()) return s;
  }
  if (config.authority_listen) {
    if (absl::Status s = check_free("--listen-authority ", *config.authority_listen); !s.ok()) return s;
  }
  {
    std::ofstream out(driver->config_path_, std::ios::trunc);
    out << RenderHaproxyConfig(config);
    if (!out.good()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot write ", driver->config_path_));
    }
  }
  if (absl::Status s = driver->CheckVersion(); !s.ok()) return s;
  if (absl::Status s = driver->Launch(); !s.ok()) return s;
  driver->started_at_ = absl::Now();
  for (auto& source : driver->sources_) {
    driver->observers_.push_back(std::make_unique<SourceObserver>(driver.get()));
    source->Start(driver->observers_.back().get());
  }
  driver->worker_ = std::thread([d = driver.get()] { d->WorkerLoop(); });
  return driver;
}

absl::Status HaproxyDriver::CheckVersion() {
  const std::string out_path = options_.data_dir + "/haproxy-version.txt";
  unlink(out_path.c_str());
  absl::StatusOr<std::unique_ptr<supervisor::Subprocess>> process =
      supervisor::Subprocess::Start({options_.binary, "-v"}, {.log_path = out_path});
  if (!process.ok() || !(*process)->WaitExit(absl::Seconds(5))) {
    return absl::NotFoundError(absl::StrCat(
        "cannot run HAProxy (", options_.binary,
        "): install Debian's haproxy package (2.6 or later) or give --haproxy PATH",
        process.ok() ? "" : absl::StrCat(": ", process.status().message())));
  }
  const std::string output = LogTail(out_path, 4096);
  unlink(out_path.c_str());
  return CheckHaproxyVersion(output);
}

absl::Status HaproxyDriver::Launch() {
  unlink(options_.config.runtime_socket.c_str());
  absl::StatusOr<std::unique_ptr<supervisor::Subprocess>> process = supervisor::Subprocess::Start(
      {options_.binary, "-db", "-f", config_path_}, {.log_path = log_path_});
  if (!process.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "cannot run HAProxy (", options_.binary,
        "): install Debian's haproxy package (2.6 or later) or give --haproxy PATH: ",
        process.status().message()));
  }
  haproxy_ = std::move(*process);
  const RuntimeApi api(options_.config.runtime_socket, absl::Milliseconds(500));
  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  while (true) {
    if (!haproxy_->Running()) {
      return absl::UnavailableError(absl::StrCat("HAProxy ", haproxy_->DescribeExit(), " at start (",
                                                 config_path_, "); its log ends:\n",
                                                 LogTail(log_path_)));
    }
    if (api.Send("show info").ok()) break;
    if (absl::Now() > deadline) {
      haproxy_->Kill();
      return absl::UnavailableError(absl::StrCat("HAProxy did not open its runtime API at ",
                                                 api.socket_path(), " within ",
                                                 absl::FormatDuration(options_.ready_timeout)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.haproxy_pid = haproxy_->pid();
  return absl::OkStatus();
}

void HaproxyDriver::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !worker_.joinable() && haproxy_ == nullptr) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& source : sources_) source->Stop();
  if (worker_.joinable()) worker_.join();
  if (haproxy_ != nullptr) {
    haproxy_->Stop(absl::Seconds(3));
    haproxy_.reset();
  }
}

void HaproxyDriver::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void HaproxyDriver::Event(const std::string& message) {
  if (options_.on_event) {
    options_.on_event(message);
  } else {
    SB_LOG(kInfo, "proxy", message);
  }
}

bool HaproxyDriver::WaitUntilInSync(absl::Duration timeout, uint64_t since_round) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                      [&] { return stats_.rounds_in_sync > since_round; });
}

HaproxyDriverStats HaproxyDriver::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void HaproxyDriver::WorkerLoop() {
  bool first = true;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!first) {
        cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.resync_interval),
                     [&] { return stopping_ || woken_; });
      }
      if (stopping_) return;
      woken_ = false;
    }
    first = false;
    if (!haproxy_->Running()) {
      const absl::Duration delay = restart_backoff_.Next();
      Event(absl::StrCat("HAProxy (pid ", haproxy_->pid(), ") ", haproxy_->DescribeExit(),
                         "; starting it again in ", absl::FormatDuration(delay)));
      {
        std::unique_lock<std::mutex> lock(mu_);
        stats_.in_sync = false;
        stats_.haproxy_pid = -1;
        if (cv_.wait_for(lock, absl::ToChronoMilliseconds(delay), [&] { return stopping_; })) return;
      }
      if (absl::Status s = Launch(); !s.ok()) {
        Event(absl::StrCat("HAProxy restart failed: ", s.message()));
        std::lock_guard<std::mutex> lock(mu_);
        stats_.last_error = std::string(s.message());
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.restarts;
      }
      Event(absl::StrCat("HAProxy started again (pid ", haproxy_->pid(),
                         "); adding every server back"));
    }
    bool all_ready = true;
    std::vector<SnapshotPtr> latest;
    for (const auto& source : sources_) {
      all_ready = all_ready && source->Ready();
      latest.push_back(source->Ready() ? source->Current() : nullptr);
    }
    // Before every source answered, an empty view would only be a guess.
    if (!all_ready && absl::Now() < started_at_ + options_.initial_sync_timeout) continue;
    const bool in_sync = SyncOnce(*MergeSnapshots(latest));
    std::lock_guard<std::mutex> lock(mu_);
    stats_.in_sync = in_sync;
    if (in_sync) {
      ++stats_.rounds_in_sync;
      restart_backoff_.Reset();
      cv_.notify_all();
    } else {
      // Look again at once: confirms what was sent, or retries it.
      woken_ = true;
    }
  }
}

bool HaproxyDriver::SyncOnce(const Snapshot& snapshot) {
  const RuntimeApi api(options_.config.runtime_socket);
  const std::set<std::string> proxied = ProxiedServices(options_.config);
  for (const auto& [service, instances] : snapshot.services()) {
    if (proxied.contains(service)) continue;
    bool fresh;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fresh = reported_.insert(service).second;
    }
    if (fresh) {
      Event(absl::StrCat("service ", service, " is registered but not proxied (give --listen ", service,
                         "=HOST:PORT, or --service ", service, " with --listen-authority)"));
    }
  }
  bool equal = true;
  uint64_t sent = 0, refused = 0;
  std::string last_error;
  for (const std::string& service : proxied) {
    absl::StatusOr<std::string> reply = api.Send(absl::StrCat("show servers state ", BackendName(service)));
    absl::StatusOr<LiveBackend> live =
        reply.ok() ? ParseServersState(*reply) : absl::StatusOr<LiveBackend>(reply.status());
    if (!live.ok()) {
      equal = false;
      last_error = std::string(live.status().message());
      break;  // HAProxy is gone or restarting: the next round looks again.
    }
    const std::vector<std::string> commands =
        PlanBackend(service, snapshot.Instances(service), *live, options_.plan);
    if (commands.empty()) continue;
    equal = false;
    for (const std::string& command : commands) {
      ++sent;
      if (absl::Status s = api.Apply(command); !s.ok()) {
        ++refused;
        last_error = std::string(s.message());
        // A `del server` with calls in flight is expected, and retried.
        if (!absl::StrContains(s.message(), "still has connections")) Event(last_error);
      }
    }
    SB_LOG(kInfo, "proxy", service, ": ", absl::StrJoin(commands, "; "));
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.commands_sent += sent;
  stats_.commands_refused += refused;
  if (!last_error.empty()) stats_.last_error = last_error;
  return equal;
}

}  // namespace switchboard::proxy
