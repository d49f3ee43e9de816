// A real N-member etcd cluster (Debian's etcd binary) on loopback, for tests
// of what clients and registrations do when members fail: stop, kill -9,
// freeze (SIGSTOP), restart with data kept, and network partitions between
// members. Built on the product's LocalEtcd, with the same fast raft timings
// as the single-member EtcdProcess, and a PeerBridge in front of every
// member's peer port so that members can be cut off from each other while
// their client ports stay reachable. Always cleaned up.
//
// Example:
//   auto cluster = EtcdCluster::Start();
//   ASSERT_TRUE(cluster.ok()) << cluster.status();
//   std::string endpoints = (*cluster)->endpoints_csv();  // "127.0.0.1:A,127.0.0.1:B,..."
//   absl::StatusOr<int> leader = (*cluster)->Leader();
//   (*cluster)->Isolate(*leader);     // the other two elect a new leader
//   (*cluster)->Heal(*leader);
//   ASSERT_TRUE((*cluster)->WaitHealthy(absl::Seconds(10)).ok());
//
// With TLS: EtcdCluster::Start({.cert_file = certs.server_cert, .key_file =
// certs.server_key, .client_ca_file = certs.ca, .ca_file = certs.ca,
// .client_cert_file = certs.client_cert, .client_key_file = certs.client_key}).
//
// Threading: used from one thread at a time (the bridges forward on their
// own threads).
#ifndef SWITCHBOARD_TESTING_ETCD_CLUSTER_H_
#define SWITCHBOARD_TESTING_ETCD_CLUSTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/supervisor/local_etcd.h"
#include "testing/child_process.h"
#include "testing/peer_bridge.h"

namespace switchboard::testing {

struct EtcdClusterOptions {
  int members = 3;
  absl::Duration ready_timeout = absl::Seconds(30);
  // TLS on every member's client port (PEM files, e.g. from
  // test_certificates.h); with client_ca_file, clients must show a
  // certificate signed by it. Peers talk plain HTTP on loopback.
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  // What the cluster's own status channels show (both empty: none).
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
};

// What one member says of itself (Maintenance.Status).
struct EtcdMemberStatus {
  uint64_t member_id = 0;
  uint64_t leader_id = 0;  // 0: no leader
  uint64_t raft_term = 0;
};

class EtcdCluster {
 public:
  // Starts every member and waits until each serves (a leader elected,
  // /health true). Errors carry the failing member's log tail.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(EtcdClusterOptions options = {});
  ~EtcdCluster();  // kills (and thaws) every member, heals and closes bridges

  int size() const { return static_cast<int>(members_.size()); }
  // Client "127.0.0.1:PORT" of member i.
  std::string endpoint(int i) const;
  std::vector<std::string> endpoints() const;
  // "127.0.0.1:A,127.0.0.1:B,127.0.0.1:C".
  std::string endpoints_csv() const;
  // Member i's raft id, as Status and MemberList report it.
  uint64_t member_id(int i) const { return members_.at(i).id; }
  bool running(int i);
  bool frozen(int i) const { return members_.at(i).frozen; }

  // SIGTERM (thawing first) / kill -9.
  void Stop(int i);
  void Kill(int i);
  // SIGSTOP / SIGCONT: the member keeps its sockets but answers nothing.
  // Both return once the kernel has stopped (or resumed) the process.
  void Freeze(int i);
  void Thaw(int i);
  // Starts a stopped or killed member again on the same ports with its data
  // kept, and waits until it serves.
  absl::Status Restart(int i);

  // Member i's own view, with a short deadline (a frozen or cut-off member
  // answers late or not at all).
  absl::StatusOr<EtcdMemberStatus> MemberStatus(int i,
                                                absl::Duration deadline = absl::Milliseconds(300));
  // The index of the member that leads now: asks every running, unfrozen
  // member and waits until a majority of the cluster names the same leader.
  absl::StatusOr<int> Leader(absl::Duration timeout = absl::Seconds(10));
  // Waits until every running, unfrozen member names the same leader.
  absl::Status WaitHealthy(absl::Duration timeout);

  // Partition: member i is cut off from its peers in both directions; its
  // client port stays reachable.
  void Isolate(int i);
  void Heal(int i);
  // Slow network: no peer byte moves to or from member i, but connections
  // stay open (no reset for raft to notice).
  void PausePeerTraffic(int i);
  void ResumePeerTraffic(int i);

  // The open peer connections into member i, by sending member
  // (PeerBridge::kUnknownSender: not a member's process).
  std::map<int, int> PeerConnectionsInto(int i) const {
    return members_.at(i).bridge->ConnectionsBySender();
  }

  // The tail of member i's log, for failure messages.
  std::string Log(int i) const;

 private:
  struct Member {
    std::unique_ptr<supervisor::LocalEtcd> etcd;
    std::unique_ptr<PeerBridge> bridge;
    std::shared_ptr<grpc::Channel> channel;
    uint64_t id = 0;
    bool frozen = false;
    bool isolated = false;
  };

  EtcdCluster() = default;
  absl::Status StartMembers(EtcdClusterOptions options);
  // Tells every bridge which process member i now is.
  void RegisterProcess(int i);
  // Every running, unfrozen member's status, asked in parallel; nullopt for
  // those that did not answer.
  std::vector<std::optional<EtcdMemberStatus>> AskAll(absl::Duration deadline);
  std::string Describe(const std::vector<std::optional<EtcdMemberStatus>>& statuses);
  int IndexOf(uint64_t member_id) const;

  TempDir dir_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::vector<Member> members_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_ETCD_CLUSTER_H_
