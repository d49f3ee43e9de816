// A TCP forwarder on loopback placed in front of one etcd member's peer
// port, so that tests can cut the network between members without root or a
// firewall. The member listens for peers on its real port but advertises the
// bridge's port; everything its peers send it goes through the bridge.
//
// One bridge per member is not enough to partition a member X: X also sends
// over connections it dials itself to the other members' bridges. So each
// bridge tells its connections apart by sender, and isolating X means: X's
// own bridge refuses everyone, and every other bridge refuses X.
//
// Who is connecting is asked of the kernel, not of the traffic: the
// connecting socket's port, found in /proc/net/tcp, gives the socket's inode,
// and the sender is the registered process that holds that inode. etcd's
// X-Server-From header would not do: probes, version checks and lease
// renewals forwarded to the leader do not carry it, and a keep-alive
// connection opened by a probe may later carry raft messages.
//
// Example:
//   auto bridge = PeerBridge::Start(/*listen_port=*/advertised, /*target_port=*/real_peer);
//   ASSERT_TRUE(bridge.ok()) << bridge.status();
//   (*bridge)->SetSenderProcess(/*sender=*/1, member1_pid);
//   (*bridge)->Refuse(1);        // member 1's connections closed, new ones refused
//   (*bridge)->Allow(1);
//   (*bridge)->Pause(1);         // connections stay open, no byte moves
//
// Threading: all methods are thread-safe. The bridge forwards on its own
// thread (one poll loop); policy changes take effect before they return
// for connections already open.
#ifndef SWITCHBOARD_TESTING_PEER_BRIDGE_H_
#define SWITCHBOARD_TESTING_PEER_BRIDGE_H_

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

namespace switchboard::testing {

class PeerBridge {
 public:
  // A connection whose sender is not a registered process.
  static constexpr int kUnknownSender = -1;

  // Listens on 127.0.0.1:listen_port and forwards each connection to
  // 127.0.0.1:target_port. Fails, naming the port, if it cannot listen.
  static absl::StatusOr<std::unique_ptr<PeerBridge>> Start(int listen_port, int target_port);
  ~PeerBridge();  // closes every connection and joins the thread

  PeerBridge(const PeerBridge&) = delete;
  PeerBridge& operator=(const PeerBridge&) = delete;

  int listen_port() const { return listen_port_; }
  int target_port() const { return target_port_; }

  // Sender `sender` now runs as `pid` (again after each restart). New
  // connections from that process are labelled `sender`.
  void SetSenderProcess(int sender, pid_t pid);
  // Closes the open connections from `sender` and refuses new ones, until
  // Allow(sender).
  void Refuse(int sender);
  void Allow(int sender);
  // Closes every connection and refuses every new one while set.
  void SetRefuseAll(bool refuse_all);
  // No byte of `sender`'s connections moves until Resume(sender), but they
  // stay open: a network that stalls rather than breaks.
  void Pause(int sender);
  void Resume(int sender);
  // The same for every connection, while set.
  void SetPauseAll(bool pause_all);

  // Open forwarded connections, per sender (kUnknownSender included).
  std::map<int, int> ConnectionsBySender() const;

 private:
  struct Connection;

  PeerBridge(int listen_port, int target_port, int listen_fd, int wake_fd);
  void Loop();
  void Wake();
  void AcceptOne();
  int IdentifySender(int client_fd);
  bool RefusedLocked(int sender) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool PausedLocked(int sender) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a policy change and waits until the loop has applied it.
  void ChangePolicy(const std::function<void()>& change);

  const int listen_port_;
  const int target_port_;
  const int listen_fd_;
  const int wake_fd_;  // eventfd: a policy change or shutdown

  mutable std::mutex mu_;
  std::condition_variable applied_;
  std::map<int, pid_t> sender_pids_ ABSL_GUARDED_BY(mu_);
  std::set<int> refused_ ABSL_GUARDED_BY(mu_);
  bool refuse_all_ ABSL_GUARDED_BY(mu_) = false;
  std::set<int> paused_ ABSL_GUARDED_BY(mu_);
  bool pause_all_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped by each policy change, copied by the loop once applied.
  uint64_t policy_version_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t applied_version_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, int> connections_by_sender_ ABSL_GUARDED_BY(mu_);

  // Owned by the loop's thread.
  std::vector<std::unique_ptr<Connection>> connections_;
  std::thread thread_;
};

// The process among `candidates` that holds the client end of the loopback
// TCP connection from 127.0.0.1:client_port to 127.0.0.1:server_port, or -1.
// Reads /proc/net/tcp and /proc/<pid>/fd.
pid_t LoopbackConnectionOwner(int client_port, int server_port,
                              const std::vector<pid_t>& candidates);

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_PEER_BRIDGE_H_
