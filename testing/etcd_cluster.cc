#include "testing/etcd_cluster.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace switchboard::testing {
namespace {

// Short reconnect backoff: a restarted member must be asked again at once,
// not after gRPC's default second-and-growing wait.
std::shared_ptr<grpc::Channel> MemberChannel(const std::string& endpoint,
                                            std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 300);
  return grpc::CreateCustomChannel(endpoint, credentials, args);
}

// Distinct from every other cluster this machine runs at the same time.
std::string ReadPem(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string UniqueClusterToken() {
  static std::atomic<int> counter{0};
  return absl::StrCat("switchboard-test-", getpid(), "-", counter++, "-",
                      absl::ToUnixNanos(absl::Now()));
}

// True once /proc says the process is (or is no longer) stopped by a signal.
bool WaitStopped(pid_t pid, bool stopped) {
  return WaitFor(
      [&] {
        std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // "pid (comm) S ...": the state follows the last ')'.
        size_t paren = stat.rfind(')');
        if (paren == std::string::npos || paren + 2 >= stat.size()) return true;  // gone
        return (stat[paren + 2] == 'T') == stopped;
      },
      absl::Seconds(2), absl::Milliseconds(1));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(EtcdClusterOptions options) {
  if (options.members < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("an etcd cluster needs at least one member, not ", options.members));
  }
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster());
  if (cluster->dir_.path().empty()) {
    return absl::InternalError("cannot create a temp dir for the etcd cluster");
  }
  // A port may be taken between picking and binding: try a few sets.
  absl::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    status = cluster->StartMembers(options);
    if (status.ok()) return cluster;
    for (Member& member : cluster->members_) {
      if (member.etcd == nullptr) continue;  // never got that far
      member.etcd->Kill();
      member.etcd->WipeData().IgnoreError();
    }
    cluster->members_.clear();
  }
  return status;
}

absl::Status EtcdCluster::StartMembers(EtcdClusterOptions options) {
  const int n = options.members;
  const bool tls = !options.cert_file.empty();
  if (tls) {
    grpc::SslCredentialsOptions ssl{.pem_root_certs = ReadPem(options.ca_file),
                                    .pem_private_key = ReadPem(options.client_key_file),
                                    .pem_cert_chain = ReadPem(options.client_cert_file)};
    credentials_ = grpc::SslCredentials(ssl);
  } else {
    credentials_ = grpc::InsecureChannelCredentials();
  }
  // Client, peer and bridge ports; with TLS a metrics port for /health.
  const int per_member = tls ? 4 : 3;
  std::set<int> ports;
  while (static_cast<int>(ports.size()) < per_member * n) {
    int port = PickFreePort();
    if (port < 0) return absl::UnavailableError("no free loopback port for etcd");
    ports.insert(port);
  }
  std::vector<int> picked(ports.begin(), ports.end());
  auto client_port = [&](int i) { return picked[per_member * i]; };
  auto peer_port = [&](int i) { return picked[per_member * i + 1]; };
  auto bridge_port = [&](int i) { return picked[per_member * i + 2]; };
  auto metrics_port = [&](int i) { return tls ? picked[per_member * i + 3] : 0; };

  std::vector<std::string> initial_cluster;
  for (int i = 0; i < n; ++i) {
    initial_cluster.push_back(absl::StrCat("m", i, "=http://127.0.0.1:", bridge_port(i)));
  }
  const std::string token = UniqueClusterToken();
  members_.resize(n);
  for (int i = 0; i < n; ++i) {
    auto bridge = PeerBridge::Start(bridge_port(i), peer_port(i));
    if (!bridge.ok()) return bridge.status();
    members_[i].bridge = std::move(*bridge);
    members_[i].etcd = std::make_unique<supervisor::LocalEtcd>(
        supervisor::LocalEtcdOptions{.data_dir = dir_.File(absl::StrCat("m", i)),
                                .client_port = client_port(i),
                                .peer_port = peer_port(i),
                                .name = absl::StrCat("m", i),
                                .ready_timeout = options.ready_timeout,
                                .initial_cluster = absl::StrJoin(initial_cluster, ","),
                                .initial_cluster_token = token,
                                .advertise_peer_port = bridge_port(i),
                                .cert_file = options.cert_file,
                                .key_file = options.key_file,
                                .client_ca_file = options.client_ca_file,
                                .metrics_port = metrics_port(i)});
    members_[i].channel = MemberChannel(members_[i].etcd->endpoint(), credentials_);
  }
  // All at once: no member is healthy before a majority runs.
  for (int i = 0; i < n; ++i) {
    if (absl::Status s = members_[i].etcd->Launch(); !s.ok()) return s;
    RegisterProcess(i);
  }
  absl::Time deadline = absl::Now() + options.ready_timeout;
  for (int i = 0; i < n; ++i) {
    absl::Status s =
        members_[i].etcd->WaitHealthy(std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat("etcd member m", i, ": ", s.message()));
  }
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<EtcdMemberStatus> status = MemberStatus(i, absl::Seconds(5));
    if (!status.ok()) return status.status();
    members_[i].id = status->member_id;
  }
  return absl::OkStatus();
}

EtcdCluster::~EtcdCluster() {
  for (Member& member : members_) {
    if (member.frozen) member.etcd->Signal(SIGCONT);
    member.etcd->Kill();
  }
  // The bridges close with the members.
  members_.clear();
}

std::string EtcdCluster::endpoint(int i) const { return members_.at(i).etcd->endpoint(); }

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> result;
  for (int i = 0; i < size(); ++i) result.push_back(endpoint(i));
  return result;
}

std::string EtcdCluster::endpoints_csv() const { return absl::StrJoin(endpoints(), ","); }

bool EtcdCluster::running(int i) { return members_.at(i).etcd->Running(); }

void EtcdCluster::RegisterProcess(int i) {
  pid_t pid = members_[i].etcd->pid();
  for (Member& member : members_) member.bridge->SetSenderProcess(i, pid);
}

void EtcdCluster::Stop(int i) {
  Member& member = members_.at(i);
  // A frozen process cannot act on SIGTERM.
  if (member.frozen) Thaw(i);
  member.etcd->Stop();
}

void EtcdCluster::Kill(int i) {
  Member& member = members_.at(i);
  member.etcd->Kill();
  member.frozen = false;
}

void EtcdCluster::Freeze(int i) {
  Member& member = members_.at(i);
  member.etcd->Signal(SIGSTOP);
  member.frozen = true;
  WaitStopped(member.etcd->pid(), true);
}

void EtcdCluster::Thaw(int i) {
  Member& member = members_.at(i);
  member.etcd->Signal(SIGCONT);
  member.frozen = false;
  WaitStopped(member.etcd->pid(), false);
}

absl::Status EtcdCluster::Restart(int i) {
  Member& member = members_.at(i);
  if (running(i)) {
    return absl::FailedPreconditionError(
        absl::StrCat("etcd member m", i, " is still running; stop or kill it first"));
  }
  const supervisor::LocalEtcdOptions& options = member.etcd->options();
  // The old process's ports may linger briefly.
  for (int port : {options.client_port, options.peer_port}) {
    if (!WaitForPortClosed(port, absl::Seconds(5))) {
      return absl::UnavailableError(
          absl::StrCat("etcd member m", i, ": port ", port, " still busy"));
    }
  }
  if (absl::Status s = member.etcd->Launch(); !s.ok()) return s;
  RegisterProcess(i);
  member.channel = MemberChannel(member.etcd->endpoint(), credentials_);
  // An isolated member cannot become healthy; it serves once it listens.
  if (member.isolated) {
    if (WaitForPort(options.client_port, options.ready_timeout)) return absl::OkStatus();
    return absl::DeadlineExceededError(
        absl::StrCat("isolated etcd member m", i, " does not listen; log tail:\n", Log(i)));
  }
  return member.etcd->WaitHealthy(options.ready_timeout);
}

absl::StatusOr<EtcdMemberStatus> EtcdCluster::MemberStatus(int i, absl::Duration deadline) {
  auto stub = etcdserverpb::Maintenance::NewStub(members_.at(i).channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  etcdserverpb::StatusResponse response;
  grpc::Status status = stub->Status(&context, etcdserverpb::StatusRequest(), &response);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("etcd member m", i, " (", endpoint(i), "): Status: ", status.error_message()));
  }
  return EtcdMemberStatus{.member_id = response.header().member_id(),
                          .leader_id = response.leader(),
                          .raft_term = response.raftterm()};
}

std::vector<std::optional<EtcdMemberStatus>> EtcdCluster::AskAll(absl::Duration deadline) {
  struct Call {
    grpc::ClientContext context;
    etcdserverpb::StatusRequest request;
    etcdserverpb::StatusResponse response;
    grpc::Status status;
    bool asked = false;
  };
  std::vector<Call> calls(members_.size());
  std::vector<std::unique_ptr<etcdserverpb::Maintenance::Stub>> stubs;
  std::mutex mu;
  std::condition_variable done;
  int outstanding = 0;
  for (int i = 0; i < size(); ++i) {
    if (!running(i) || members_[i].frozen) continue;
    Call& call = calls[i];
    call.asked = true;
    call.context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    stubs.push_back(etcdserverpb::Maintenance::NewStub(members_[i].channel));
    {
      std::lock_guard<std::mutex> lock(mu);
      ++outstanding;
    }
    stubs.back()->async()->Status(&call.context, &call.request, &call.response,
                                  [&, i](grpc::Status status) {
                                    std::lock_guard<std::mutex> lock(mu);
                                    calls[i].status = std::move(status);
                                    if (--outstanding == 0) done.notify_all();
                                  });
  }
  {
    // Every call ends by its deadline.
    std::unique_lock<std::mutex> lock(mu);
    done.wait(lock, [&] { return outstanding == 0; });
  }
  std::vector<std::optional<EtcdMemberStatus>> result(members_.size());
  for (int i = 0; i < size(); ++i) {
    if (!calls[i].asked || !calls[i].status.ok()) continue;
    const auto& response = calls[i].response;
    result[i] = EtcdMemberStatus{.member_id = response.header().member_id(),
                                 .leader_id = response.leader(),
                                 .raft_term = response.raftterm()};
  }
  return result;
}

int EtcdCluster::IndexOf(uint64_t member_id) const {
  for (int i = 0; i < size(); ++i) {
    if (member_id != 0 && members_[i].id == member_id) return i;
  }
  return -1;
}

std::string EtcdCluster::Describe(const std::vector<std::optional<EtcdMemberStatus>>& statuses) {
  std::vector<std::string> parts;
  for (int i = 0; i < size(); ++i) {
    std::string said;
    if (!running(i)) {
      said = "down";
    } else if (members_[i].frozen) {
      said = "frozen";
    } else if (!statuses[i].has_value()) {
      said = "no answer";
    } else if (statuses[i]->leader_id == 0) {
      said = absl::StrCat("no leader, term ", statuses[i]->raft_term);
    } else {
      int leader = IndexOf(statuses[i]->leader_id);
      said = absl::StrCat("leader ", leader >= 0 ? absl::StrCat("m", leader) : "unknown", ", term ",
                          statuses[i]->raft_term);
    }
    parts.push_back(absl::StrCat("m", i, " (", endpoint(i), "): ", said));
  }
  return absl::StrJoin(parts, "; ");
}

absl::StatusOr<int> EtcdCluster::Leader(absl::Duration timeout) {
  const int majority = size() / 2 + 1;
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::vector<std::optional<EtcdMemberStatus>> statuses = AskAll(absl::Milliseconds(300));
    std::map<uint64_t, int> votes;
    for (const auto& status : statuses) {
      if (status.has_value() && status->leader_id != 0) ++votes[status->leader_id];
    }
    for (const auto& [leader_id, count] : votes) {
      int leader = IndexOf(leader_id);
      if (count >= majority && leader >= 0) return leader;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no leader named by a majority (", majority, " of ", size(),
                       ") of the etcd members within ", absl::FormatDuration(timeout), ": ",
                       Describe(statuses)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status EtcdCluster::WaitHealthy(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::vector<std::optional<EtcdMemberStatus>> statuses = AskAll(absl::Milliseconds(300));
    std::set<uint64_t> leaders;
    bool all_answered = true;
    bool any = false;
    for (int i = 0; i < size(); ++i) {
      if (!running(i) || members_[i].frozen) continue;
      any = true;
      if (!statuses[i].has_value()) {
        all_answered = false;
      } else {
        leaders.insert(statuses[i]->leader_id);
      }
    }
    if (any && all_answered && leaders.size() == 1 && *leaders.begin() != 0 &&
        IndexOf(*leaders.begin()) >= 0) {
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("the running etcd members do not agree on a leader within ",
                       absl::FormatDuration(timeout), ": ", Describe(statuses)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

void EtcdCluster::Isolate(int i) {
  members_.at(i).isolated = true;
  members_[i].bridge->SetRefuseAll(true);
  for (int j = 0; j < size(); ++j) {
    if (j != i) members_[j].bridge->Refuse(i);
  }
}

void EtcdCluster::Heal(int i) {
  members_.at(i).isolated = false;
  members_[i].bridge->SetRefuseAll(false);
  for (int j = 0; j < size(); ++j) {
    if (j != i) members_[j].bridge->Allow(i);
  }
}

void EtcdCluster::PausePeerTraffic(int i) {
  members_.at(i).bridge->SetPauseAll(true);
  for (int j = 0; j < size(); ++j) {
    if (j != i) members_[j].bridge->Pause(i);
  }
}

void EtcdCluster::ResumePeerTraffic(int i) {
  members_.at(i).bridge->SetPauseAll(false);
  for (int j = 0; j < size(); ++j) {
    if (j != i) members_[j].bridge->Resume(i);
  }
}

std::string EtcdCluster::Log(int i) const { return members_.at(i).etcd->LogTail(16 * 1024); }

}  // namespace switchboard::testing
