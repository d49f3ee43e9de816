#include "testing/peer_bridge.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace switchboard::testing {
namespace {

// Bytes held per direction before the bridge stops reading from the sender:
// a frozen receiver must not make the bridge buffer without bound.
constexpr size_t kMaxPending = 256 * 1024;

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// The inode of the socket 127.0.0.1:client_port -> 127.0.0.1:server_port, 0
// if /proc/net/tcp has none.
uint64_t SocketInode(int client_port, int server_port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    unsigned local_addr, local_port, remote_addr, remote_port, state;
    uint64_t inode;
    if (std::sscanf(line.c_str(), " %*d: %X:%X %X:%X %X %*X:%*X %*X:%*X %*X %*u %*u %" SCNu64,
                    &local_addr, &local_port, &remote_addr, &remote_port, &state, &inode) != 6) {
      continue;
    }
    if (static_cast<int>(local_port) == client_port &&
        static_cast<int>(remote_port) == server_port && inode != 0) {
      return inode;
    }
  }
  return 0;
}

}  // namespace

pid_t LoopbackConnectionOwner(int client_port, int server_port,
                              const std::vector<pid_t>& candidates) {
  uint64_t inode = SocketInode(client_port, server_port);
  if (inode == 0) return -1;
  const std::string wanted = absl::StrCat("socket:[", inode, "]");
  for (pid_t pid : candidates) {
    std::error_code error;
    std::filesystem::directory_iterator fds(absl::StrCat("/proc/", pid, "/fd"), error);
    if (error) continue;  // gone, or not ours to read
    for (const auto& fd : fds) {
      if (std::filesystem::read_symlink(fd.path(), error).string() == wanted) return pid;
    }
  }
  return -1;
}

// One forwarded connection: side 0 is the sender (accepted), side 1 the
// member's real peer port. pending[s] holds bytes still to be written to
// side s.
struct PeerBridge::Connection {
  int fd[2] = {-1, -1};
  std::string pending[2];
  int sender = kUnknownSender;
  bool closing = false;
  bool paused = false;

  ~Connection() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
};

absl::StatusOr<std::unique_ptr<PeerBridge>> PeerBridge::Start(int listen_port, int target_port) {
  int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(listen_port);
  if (bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd, 64) != 0) {
    int error = errno;
    close(listen_fd);
    return absl::UnavailableError(absl::StrCat(
        "peer bridge cannot listen on 127.0.0.1:", listen_port, ": ", std::strerror(error)));
  }
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    close(listen_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  return std::unique_ptr<PeerBridge>(new PeerBridge(listen_port, target_port, listen_fd, wake_fd));
}

PeerBridge::PeerBridge(int listen_port, int target_port, int listen_fd, int wake_fd)
    : listen_port_(listen_port),
      target_port_(target_port),
      listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      thread_([this] { Loop(); }) {}

PeerBridge::~PeerBridge() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  connections_.clear();
  close(listen_fd_);
  close(wake_fd_);
}

void PeerBridge::Wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

void PeerBridge::ChangePolicy(const std::function<void()>& change) {
  std::unique_lock<std::mutex> lock(mu_);
  change();
  uint64_t version = ++policy_version_;
  Wake();
  // Bounded: the loop never blocks for long, but a test must not hang here.
  applied_.wait_for(lock, std::chrono::seconds(5),
                    [&] { return applied_version_ >= version || stopping_; });
}

void PeerBridge::SetSenderProcess(int sender, pid_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  sender_pids_[sender] = pid;
}

void PeerBridge::Refuse(int sender) {
  ChangePolicy([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { refused_.insert(sender); });
}

void PeerBridge::Allow(int sender) {
  ChangePolicy([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { refused_.erase(sender); });
}

void PeerBridge::SetRefuseAll(bool refuse_all) {
  ChangePolicy([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { refuse_all_ = refuse_all; });
}

void PeerBridge::Pause(int sender) {
  ChangePolicy([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { paused_.insert(sender); });
}

void PeerBridge::Resume(int sender) {
  ChangePolicy([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { paused_.erase(sender); });
}

void PeerBridge::SetPauseAll(bool pause_all) {
  ChangePolicy([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { pause_all_ = pause_all; });
}

std::map<int, int> PeerBridge::ConnectionsBySender() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_by_sender_;
}

bool PeerBridge::RefusedLocked(int sender) const {
  return refuse_all_ || refused_.count(sender) > 0;
}

bool PeerBridge::PausedLocked(int sender) const { return pause_all_ || paused_.count(sender) > 0; }

int PeerBridge::IdentifySender(int client_fd) {
  sockaddr_in peer{};
  socklen_t length = sizeof(peer);
  if (getpeername(client_fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    return kUnknownSender;
  }
  std::map<int, pid_t> senders;
  {
    std::lock_guard<std::mutex> lock(mu_);
    senders = sender_pids_;
  }
  std::vector<pid_t> pids;
  for (const auto& [sender, pid] : senders) pids.push_back(pid);
  pid_t owner = LoopbackConnectionOwner(ntohs(peer.sin_port), listen_port_, pids);
  for (const auto& [sender, pid] : senders) {
    if (pid == owner) return sender;
  }
  return kUnknownSender;
}

void PeerBridge::AcceptOne() {
  int client_fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (client_fd < 0) return;
  auto connection = std::make_unique<Connection>();
  connection->fd[0] = client_fd;
  connection->sender = IdentifySender(client_fd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (RefusedLocked(connection->sender)) return;  // closed by ~Connection
  }
  int server_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server_fd < 0) return;
  connection->fd[1] = server_fd;
  // Loopback connects at once, or is refused at once; the timeout covers a
  // frozen member whose accept queue is full.
  timeval timeout{0, 500000};
  setsockopt(server_fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in target = Loopback(target_port_);
  if (connect(server_fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) return;
  SetNonBlocking(server_fd);
  connections_.push_back(std::move(connection));
}

void PeerBridge::Loop() {
  std::vector<pollfd> fds;
  std::vector<Connection*> polled;  // polled[k] owns fds[2 + 2k] and fds[3 + 2k]
  char buffer[64 * 1024];
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) break;
      for (auto& connection : connections_) {
        if (RefusedLocked(connection->sender)) connection->closing = true;
        connection->paused = PausedLocked(connection->sender);
      }
      std::erase_if(connections_, [](const auto& c) { return c->closing; });
      connections_by_sender_.clear();
      for (auto& connection : connections_) ++connections_by_sender_[connection->sender];
      applied_version_ = policy_version_;
    }
    applied_.notify_all();

    fds.clear();
    polled.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& connection : connections_) {
      // A paused connection is not polled at all: a hang-up would wake the
      // loop again and again.
      if (connection->paused) continue;
      polled.push_back(connection.get());
      for (int side = 0; side < 2; ++side) {
        short events = 0;
        if (connection->pending[1 - side].size() < kMaxPending) events |= POLLIN;
        if (!connection->pending[side].empty()) events |= POLLOUT;
        fds.push_back({connection->fd[side], events, 0});
      }
    }
    if (poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
    }
    if (fds[1].revents & POLLIN) AcceptOne();

    for (size_t k = 0; k < polled.size(); ++k) {
      Connection& connection = *polled[k];
      for (int side = 0; side < 2 && !connection.closing; ++side) {
        const pollfd& p = fds[2 + 2 * k + side];
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
          ssize_t n = read(connection.fd[side], buffer, sizeof(buffer));
          if (n > 0) {
            connection.pending[1 - side].append(buffer, n);
          } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            // One side is done: pass on what is left, best effort, and end
            // the connection (rafthttp never half-closes).
            const std::string& rest = connection.pending[1 - side];
            if (!rest.empty()) {
              [[maybe_unused]] ssize_t w =
                  send(connection.fd[1 - side], rest.data(), rest.size(), MSG_NOSIGNAL);
            }
            connection.closing = true;
          }
        }
        if (!connection.closing && (p.revents & POLLOUT) && !connection.pending[side].empty()) {
          std::string& out = connection.pending[side];
          ssize_t n = send(connection.fd[side], out.data(), out.size(), MSG_NOSIGNAL);
          if (n > 0) {
            out.erase(0, n);
          } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            connection.closing = true;
          }
        }
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  applied_version_ = policy_version_;
  applied_.notify_all();
}

}  // namespace switchboard::testing
