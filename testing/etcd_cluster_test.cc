// The cluster test bed itself, on a real three-member etcd: a partition
// really cuts a member off (the rest elect a leader and accept writes, the
// cut-off member cannot serve a linearizable read), and freezes, kill -9 and
// restarts behave as they would on separate machines.
#include "testing/etcd_cluster.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace switchboard::testing {
namespace {

absl::Status Put(const std::string& endpoint, const std::string& key, const std::string& value,
                 absl::Duration deadline = absl::Seconds(2)) {
  auto stub =
      etcdserverpb::KV::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  etcdserverpb::PutResponse response;
  grpc::Status status = stub->Put(&context, request, &response);
  if (!status.ok())
    return absl::UnavailableError(
        absl::StrCat(endpoint, ": Put ", key, ": ", status.error_message()));
  return absl::OkStatus();
}

// A linearizable read: only a member in touch with a quorum can serve it.
absl::StatusOr<std::string> Get(const std::string& endpoint, const std::string& key,
                                absl::Duration deadline = absl::Seconds(2)) {
  auto stub =
      etcdserverpb::KV::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  etcdserverpb::RangeResponse response;
  grpc::Status status = stub->Range(&context, request, &response);
  if (!status.ok())
    return absl::UnavailableError(
        absl::StrCat(endpoint, ": Range ", key, ": ", status.error_message()));
  if (response.kvs_size() == 0) return absl::NotFoundError(absl::StrCat(endpoint, ": no ", key));
  return response.kvs(0).value();
}

std::unique_ptr<EtcdCluster> StartCluster() {
  auto cluster = EtcdCluster::Start();
  EXPECT_TRUE(cluster.ok()) << cluster.status();
  return cluster.ok() ? std::move(*cluster) : nullptr;
}

// A leader other than `old`, named by a majority.
absl::StatusOr<int> NewLeader(EtcdCluster& cluster, int old, absl::Duration timeout) {
  absl::StatusOr<int> leader;
  WaitFor(
      [&] {
        leader = cluster.Leader(absl::Milliseconds(500));
        return leader.ok() && *leader != old;
      },
      timeout);
  if (leader.ok() && *leader == old) {
    return absl::DeadlineExceededError(absl::StrCat("m", old, " still leads"));
  }
  return leader;
}

TEST(EtcdClusterTest, StartsWithDistinctMembersAndOneLeader) {
  auto cluster = StartCluster();
  ASSERT_NE(cluster, nullptr);
  ASSERT_EQ(cluster->size(), 3);
  EXPECT_EQ(cluster->endpoints_csv(), absl::StrJoin(cluster->endpoints(), ","));
  std::set<uint64_t> ids;
  for (int i = 0; i < 3; ++i) ids.insert(cluster->member_id(i));
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_FALSE(ids.count(0));
  absl::StatusOr<int> leader = cluster->Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  ASSERT_TRUE(cluster->WaitHealthy(absl::Seconds(5)).ok());
  ASSERT_TRUE(Put(cluster->endpoint(0), "k", "v").ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get(cluster->endpoint(i), "k").value_or(""), "v");
  // Every bridge knows who is connecting: members only, each of the others.
  for (int i = 0; i < 3; ++i) {
    std::map<int, int> senders;
    EXPECT_TRUE(WaitFor(
        [&] {
          senders = cluster->PeerConnectionsInto(i);
          return senders.size() == 2 && !senders.count(i);
        },
        absl::Seconds(5)))
        << "into m" << i << ": " << senders.size() << " senders, unknown "
        << senders[PeerBridge::kUnknownSender];
    EXPECT_FALSE(senders.count(PeerBridge::kUnknownSender));
  }
}

TEST(EtcdClusterTest, IsolatedLeaderIsReplacedAndRejoinsAfterHeal) {
  auto cluster = StartCluster();
  ASSERT_NE(cluster, nullptr);
  absl::StatusOr<int> old_leader = cluster->Leader();
  ASSERT_TRUE(old_leader.ok()) << old_leader.status();
  const int cut = *old_leader;

  cluster->Isolate(cut);
  absl::StatusOr<int> new_leader = NewLeader(*cluster, cut, absl::Seconds(10));
  ASSERT_TRUE(new_leader.ok()) << new_leader.status() << "\n" << cluster->Log(cut);
  ASSERT_TRUE(Put(cluster->endpoint(*new_leader), "during", "partition").ok());
  for (int i = 0; i < 3; ++i) {
    if (i == cut) continue;
    EXPECT_EQ(Get(cluster->endpoint(i), "during").value_or(""), "partition") << "m" << i;
  }
  // The cut-off member reaches no quorum: no linearizable read, and it
  // knows no leader or only the one it lost.
  absl::StatusOr<std::string> stale = Get(cluster->endpoint(cut), "during", absl::Seconds(1));
  EXPECT_TRUE(absl::IsUnavailable(stale.status()))
      << "the isolated member answered " << stale.status();
  absl::StatusOr<EtcdMemberStatus> cut_status = cluster->MemberStatus(cut);
  ASSERT_TRUE(cut_status.ok()) << cut_status.status();  // its client port is still reachable
  EXPECT_NE(cut_status->leader_id, cluster->member_id(*new_leader));
  // Nor does a partition heal by itself.
  EXPECT_FALSE(cluster->WaitHealthy(absl::Milliseconds(500)).ok());

  cluster->Heal(cut);
  absl::Status healthy = cluster->WaitHealthy(absl::Seconds(10));
  ASSERT_TRUE(healthy.ok()) << healthy;
  absl::StatusOr<std::string> caught_up;
  ASSERT_TRUE(WaitFor(
      [&] {
        caught_up = Get(cluster->endpoint(cut), "during", absl::Milliseconds(500));
        return caught_up.ok();
      },
      absl::Seconds(10)))
      << caught_up.status();
  EXPECT_EQ(*caught_up, "partition");
}

TEST(EtcdClusterTest, IsolatedFollowerCannotServeButTheRestCan) {
  auto cluster = StartCluster();
  ASSERT_NE(cluster, nullptr);
  absl::StatusOr<int> leader = cluster->Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int cut = (*leader + 1) % 3;
  ASSERT_TRUE(Put(cluster->endpoint(*leader), "before", "cut").ok());
  cluster->Isolate(cut);
  ASSERT_TRUE(Put(cluster->endpoint(*leader), "after", "cut").ok());
  absl::StatusOr<std::string> read = Get(cluster->endpoint(cut), "after", absl::Seconds(1));
  EXPECT_TRUE(absl::IsUnavailable(read.status()))
      << "the isolated member answered " << read.status();
  // The other two keep a leader between them. Not always the same one:
  // with 50 ms election timeouts, a loaded machine can delay a heartbeat
  // long enough for the remaining follower to start an election.
  absl::StatusOr<int> still = cluster->Leader();
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_NE(*still, cut);
  EXPECT_TRUE(Put(cluster->endpoint(*still), "still", "cut").ok());
  cluster->Heal(cut);
  ASSERT_TRUE(cluster->WaitHealthy(absl::Seconds(10)).ok());
  EXPECT_TRUE(
      WaitFor([&] { return Get(cluster->endpoint(cut), "after", absl::Milliseconds(500)).ok(); },
              absl::Seconds(10)));
}

TEST(EtcdClusterTest, FrozenLeaderIsReplacedAndThawedRejoins) {
  auto cluster = StartCluster();
  ASSERT_NE(cluster, nullptr);
  absl::StatusOr<int> old_leader = cluster->Leader();
  ASSERT_TRUE(old_leader.ok()) << old_leader.status();
  cluster->Freeze(*old_leader);
  EXPECT_TRUE(cluster->frozen(*old_leader));
  EXPECT_FALSE(cluster->MemberStatus(*old_leader).ok());  // answers nothing
  absl::StatusOr<int> new_leader = NewLeader(*cluster, *old_leader, absl::Seconds(10));
  ASSERT_TRUE(new_leader.ok()) << new_leader.status();
  ASSERT_TRUE(Put(cluster->endpoint(*new_leader), "k", "while frozen").ok());
  cluster->Thaw(*old_leader);
  absl::Status healthy = cluster->WaitHealthy(absl::Seconds(10));
  ASSERT_TRUE(healthy.ok()) << healthy;
  EXPECT_TRUE(WaitFor(
      [&] {
        return Get(cluster->endpoint(*old_leader), "k", absl::Milliseconds(500)).value_or("") ==
               "while frozen";
      },
      absl::Seconds(10)));
}

TEST(EtcdClusterTest, PausedPeerTrafficCostsTheLeadership) {
  auto cluster = StartCluster();
  ASSERT_NE(cluster, nullptr);
  absl::StatusOr<int> old_leader = cluster->Leader();
  ASSERT_TRUE(old_leader.ok()) << old_leader.status();
  cluster->PausePeerTraffic(*old_leader);
  absl::StatusOr<int> new_leader = NewLeader(*cluster, *old_leader, absl::Seconds(10));
  EXPECT_TRUE(new_leader.ok()) << new_leader.status();
  cluster->ResumePeerTraffic(*old_leader);
  absl::Status healthy = cluster->WaitHealthy(absl::Seconds(10));
  EXPECT_TRUE(healthy.ok()) << healthy;
}

TEST(EtcdClusterTest, KilledMemberRestartsWithItsData) {
  auto cluster = StartCluster();
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(Put(cluster->endpoint(0), "before", "kill").ok());
  absl::StatusOr<int> leader = cluster->Leader();
  ASSERT_TRUE(leader.ok()) << leader.status();
  const int victim = *leader;
  cluster->Kill(victim);
  EXPECT_FALSE(cluster->running(victim));
  absl::StatusOr<int> new_leader = NewLeader(*cluster, victim, absl::Seconds(10));
  ASSERT_TRUE(new_leader.ok()) << new_leader.status();
  ASSERT_TRUE(Put(cluster->endpoint(*new_leader), "while", "down").ok());
  EXPECT_FALSE(cluster->Restart(*new_leader).ok());  // still running: refused

  absl::Status restarted = cluster->Restart(victim);
  ASSERT_TRUE(restarted.ok()) << restarted << "\n" << cluster->Log(victim);
  absl::Status healthy = cluster->WaitHealthy(absl::Seconds(10));
  ASSERT_TRUE(healthy.ok()) << healthy;
  EXPECT_EQ(Get(cluster->endpoint(victim), "before").value_or(""), "kill");
  EXPECT_EQ(Get(cluster->endpoint(victim), "while").value_or(""), "down");

  // A graceful stop and restart too.
  cluster->Stop(victim);
  EXPECT_FALSE(cluster->running(victim));
  ASSERT_TRUE(cluster->Restart(victim).ok()) << cluster->Log(victim);
  EXPECT_EQ(Get(cluster->endpoint(victim), "before").value_or(""), "kill");
}

TEST(EtcdClusterTest, RefusesAnEmptyCluster) {
  auto cluster = EtcdCluster::Start({.members = 0});
  ASSERT_FALSE(cluster.ok());
  EXPECT_NE(cluster.status().message().find("at least one member"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::testing
