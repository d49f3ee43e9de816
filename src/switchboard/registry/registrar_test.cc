// The registrar against a real etcd: registration, lease loss, etcd outages.
#include "switchboard/registry/registrar.h"

#include <signal.h>

#include <thread>

#include <gtest/gtest.h>

#include "testing/etcd_process.h"
#include "testing/etcd_test.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::EtcdProcess;
using testing::WaitFor;

constexpr char kKey[] = "greeter/127.0.0.1:50051";
const Instance kInstance{"greeter", "127.0.0.1:50051", {.weight = 2, .zone = "z1"}};

class RegistrarTest : public testing::EtcdTest {
 protected:
  RegistrarTest() : EtcdTest(absl::Milliseconds(500)) {}

  // The key's value, or "" when absent (or etcd unreachable).
  std::string Value(const std::string& key) {
    auto range = client_->Get(key);
    if (!range.ok() || range->kvs.empty()) return "";
    return range->kvs[0].value;
  }
  bool Present(const std::string& key) { return !Value(key).empty(); }
};

TEST_F(RegistrarTest, RegistersInTheNamingFormat) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(2)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5))) << registrar.state().last_error;
  EXPECT_EQ(Value(kKey),
            R"({"Addr":"127.0.0.1:50051","Metadata":{"weight":2,"zone":"z1"},"Op":0})");
  auto range = client_->Get(kKey);
  EXPECT_EQ(range->kvs[0].lease, registrar.state().lease_id);
  EXPECT_EQ(registrar.state().phase, RegistrationPhase::kRegistered);
  // The lease outlives its TTL while keep-alives flow.
  absl::SleepFor(absl::Seconds(3));
  EXPECT_TRUE(Present(kKey));
  EXPECT_EQ(registrar.state().registrations, 1);
}

TEST_F(RegistrarTest, RejectsBadInstances) {
  Registrar registrar(NewClient(), {});
  absl::Status status = registrar.Start({{"greeter", "no-port", {}}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("no-port"), std::string::npos);
}

TEST_F(RegistrarTest, DeregisterRemovesTheKeyAtOnce) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  int64_t lease = registrar.state().lease_id;
  ASSERT_TRUE(registrar.Deregister().ok());
  EXPECT_FALSE(Present(kKey));
  EXPECT_LT(*client_->LeaseTimeToLive(lease), absl::ZeroDuration());
  EXPECT_EQ(registrar.state().phase, RegistrationPhase::kStopped);
}

TEST_F(RegistrarTest, DeregisterKeepsTryingWhileEtcdIsBrieflyAway) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  etcd_->Stop();
  absl::Status status;
  std::thread deregistering([&] { status = registrar.Deregister(); });
  // etcd is restarted from this thread: a child dies with the thread that
  // started it (PR_SET_PDEATHSIG).
  absl::SleepFor(absl::Milliseconds(500));  // the outage being survived
  ASSERT_TRUE(etcd_->Restart().ok());
  deregistering.join();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_FALSE(Present(kKey));
}

TEST_F(RegistrarTest, DeregisterGivesUpAfterItsTimeoutNamingEtcd) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(10),
                                    .deregister_timeout = absl::Seconds(1)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  etcd_->Kill();
  absl::Time start = absl::Now();
  absl::Status status = registrar.Deregister();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(etcd_->endpoint()), std::string::npos) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(RegistrarTest, DroppedClientLetsTheKeyExpireAfterTheTtl) {
  auto registrar = std::make_unique<Registrar>(NewClient(), RegistrarOptions{.ttl = absl::Seconds(2)});
  ASSERT_TRUE(registrar->Start({kInstance}).ok());
  ASSERT_TRUE(registrar->WaitRegistered(absl::Seconds(5)));
  absl::Time dropped = absl::Now();
  registrar.reset();  // no Deregister: like a crash
  EXPECT_TRUE(Present(kKey));
  ASSERT_TRUE(WaitFor([&] { return !Present(kKey); }, absl::Seconds(6)));
  absl::Duration gone_after = absl::Now() - dropped;
  std::printf("key gone %.2f s after the owner went away (TTL 2 s)\n", absl::ToDoubleSeconds(gone_after));
  EXPECT_GE(gone_after, absl::Seconds(1));
}

TEST_F(RegistrarTest, FrozenOwnerLetsTheKeyExpireAfterTheTtl) {
  auto owner = ChildProcess::Start({testing::BuiltBinary("testing/registrar_child"),
                                    etcd_->endpoint(), "greeter", "127.0.0.1:50051", "2000"});
  ASSERT_TRUE(owner.ok()) << owner.status();
  ASSERT_TRUE(WaitFor([&] { return Present(kKey); }, absl::Seconds(10)));
  (*owner)->Signal(SIGSTOP);
  absl::Time frozen = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return !Present(kKey); }, absl::Seconds(6)));
  std::printf("key gone %.2f s after the owner froze (TTL 2 s)\n",
              absl::ToDoubleSeconds(absl::Now() - frozen));
  // Thawed, the owner notices its lease is gone and registers again.
  (*owner)->Signal(SIGCONT);
  EXPECT_TRUE(WaitFor([&] { return Present(kKey); }, absl::Seconds(5)));
}

TEST_F(RegistrarTest, ComesBackWithinASecondAfterEtcdIsKilledAndWiped) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  int64_t old_lease = registrar.state().lease_id;

  etcd_->Kill();
  ASSERT_TRUE(WaitFor([&] { return registrar.state().phase == RegistrationPhase::kRetrying; },
                      absl::Seconds(5)));
  EXPECT_FALSE(registrar.state().last_error.ok());
  ASSERT_TRUE(etcd_->Restart(/*wipe_data=*/true).ok());
  absl::Time reachable = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return Present(kKey); }, absl::Seconds(1)))
      << "not registered within 1 s of etcd being reachable; state: "
      << PhaseName(registrar.state().phase) << " " << registrar.state().last_error;
  std::printf("registered again %.0f ms after etcd was reachable\n",
              absl::ToDoubleMilliseconds(absl::Now() - reachable));
  EXPECT_TRUE(WaitFor([&] { return registrar.state().phase == RegistrationPhase::kRegistered; },
                      absl::Seconds(1)));
  EXPECT_NE(registrar.state().lease_id, old_lease);
  EXPECT_EQ(registrar.state().registrations, 2);
}

TEST_F(RegistrarTest, SurvivesEtcdDownForThirtySeconds) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(5)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  etcd_->Stop();
  // The outage itself lasts 30 s; the registrar must keep trying throughout.
  absl::Time until = absl::Now() + absl::Seconds(30);
  while (absl::Now() < until) {
    absl::SleepFor(absl::Seconds(1));
    if (absl::Now() - (until - absl::Seconds(30)) > absl::Seconds(2)) {
      ASSERT_EQ(registrar.state().phase, RegistrationPhase::kRetrying);
    }
  }
  EXPECT_NE(registrar.state().last_error.message().find(etcd_->endpoint()), std::string::npos)
      << registrar.state().last_error;
  ASSERT_TRUE(etcd_->Restart(/*wipe_data=*/false).ok());
  absl::Time reachable = absl::Now();
  // The data was kept, but the lease expired during the outage.
  ASSERT_TRUE(WaitFor([&] {
    return Present(kKey) && registrar.state().phase == RegistrationPhase::kRegistered;
  }, absl::Seconds(3)));
  std::printf("registered again %.0f ms after a 30 s outage\n",
              absl::ToDoubleMilliseconds(absl::Now() - reachable));
  EXPECT_TRUE(WaitFor([&] { return Present(kKey); }, absl::Seconds(6)));
}

TEST_F(RegistrarTest, RestoresAKeyDeletedByHandAfterAReconnect) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  ASSERT_TRUE(client_->Delete(kKey).ok());
  etcd_->Kill();
  ASSERT_TRUE(etcd_->Restart(/*wipe_data=*/false).ok());
  ASSERT_TRUE(WaitFor([&] { return Present(kKey); }, absl::Seconds(5)));
  EXPECT_EQ(registrar.state().registrations, 1);  // same lease, keys rewritten
}

TEST_F(RegistrarTest, DrainingIsWrittenToTheValue) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  ASSERT_TRUE(registrar.SetDraining(true).ok());
  auto decoded = DecodeInstance("", kKey, Value(kKey));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->metadata.draining);
}

}  // namespace
}  // namespace switchboard

namespace switchboard {
namespace {

// The guard's tests: records changed behind the registrar's back.
class RegistrarGuardTest : public RegistrarTest {
 protected:
  int64_t LeaseOf(const std::string& key) {
    auto range = client_->Get(key);
    if (!range.ok() || range->kvs.empty()) return -1;
    return range->kvs[0].lease;
  }
};

TEST_F(RegistrarGuardTest, ARecordDeletedByHandIsWrittenAgainWithinASecond) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  std::string before = Value(kKey);
  // The guard watches from the revision of its write on, so it sees the
  // delete even if its watch is not open yet.
  ASSERT_TRUE(client_->Delete(kKey).ok());
  absl::Time deleted = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return Present(kKey); }, absl::Seconds(1)))
      << "not restored within a second";
  std::printf("restored %.1f ms after the delete\n",
              absl::ToDoubleMilliseconds(absl::Now() - deleted));
  EXPECT_EQ(Value(kKey), before);
  EXPECT_EQ(LeaseOf(kKey), registrar.state().lease_id);
  EXPECT_GE(registrar.state().restored, 1);
}

TEST_F(RegistrarGuardTest, ARecordOverwrittenWithoutALeaseIsWrittenBack) {
  Registrar registrar(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(registrar.Start({kInstance}).ok());
  ASSERT_TRUE(registrar.WaitRegistered(absl::Seconds(5)));
  std::string before = Value(kKey);
  ASSERT_TRUE(client_->Put(kKey, R"({"Op":0,"Addr":"127.0.0.1:50051","Metadata":{"weight":10000}})").ok());
  ASSERT_TRUE(WaitFor([&] { return Value(kKey) == before; }, absl::Seconds(1))) << Value(kKey);
  EXPECT_EQ(LeaseOf(kKey), registrar.state().lease_id);
}

TEST_F(RegistrarGuardTest, TwoRegistrantsForOneAddressAreReportedNotFoughtOver) {
  Registrar first(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(first.Start({kInstance}).ok());
  ASSERT_TRUE(first.WaitRegistered(absl::Seconds(5)));
  Instance other = kInstance;
  other.metadata.weight = 7;
  auto second = std::make_unique<Registrar>(NewClient(), RegistrarOptions{.ttl = absl::Seconds(10)});
  ASSERT_TRUE(second->Start({other}).ok());
  ASSERT_TRUE(second->WaitRegistered(absl::Seconds(5)));
  int64_t second_lease = second->state().lease_id;
  // The first sees the takeover and steps back, reporting it.
  ASSERT_TRUE(WaitFor([&] { return !first.state().conflicts.empty(); }, absl::Seconds(2)));
  EXPECT_EQ(first.state().conflicts, std::vector<std::string>{kKey});
  // No tug of war: the record stays the second's for a while.
  auto revision_now = [&] {
    auto range = client_->Get(kKey);
    return range.ok() && !range->kvs.empty() ? range->kvs[0].mod_revision : -1;
  };
  int64_t revision = revision_now();
  absl::SleepFor(absl::Seconds(1));  // the time a fight would take to show
  EXPECT_EQ(revision_now(), revision);
  EXPECT_EQ(LeaseOf(kKey), second_lease);
  // A change of the first's (draining) is not written over the second's.
  EXPECT_TRUE(first.SetDraining(true).ok());
  EXPECT_EQ(LeaseOf(kKey), second_lease);
  // The second goes away: its lease revoked takes its record; the first
  // writes its own again.
  ASSERT_TRUE(second->Deregister().ok());
  second.reset();
  ASSERT_TRUE(WaitFor([&] { return LeaseOf(kKey) == first.state().lease_id; }, absl::Seconds(2)));
  EXPECT_TRUE(first.state().conflicts.empty());
}

TEST_F(RegistrarGuardTest, DeregisterLeavesAnotherRegistrantsRecordAlone) {
  auto first = std::make_unique<Registrar>(NewClient(), RegistrarOptions{.ttl = absl::Seconds(10)});
  ASSERT_TRUE(first->Start({kInstance}).ok());
  ASSERT_TRUE(first->WaitRegistered(absl::Seconds(5)));
  Registrar second(NewClient(), {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(second.Start({kInstance}).ok());
  ASSERT_TRUE(second.WaitRegistered(absl::Seconds(5)));
  ASSERT_TRUE(first->Deregister().ok());
  EXPECT_EQ(LeaseOf(kKey), second.state().lease_id);
}

TEST(RegistrarOptionsTest, TtlsEtcdCannotGrantAreRefused) {
  EXPECT_TRUE(ValidateRegistrarOptions({.ttl = absl::Seconds(1)}).ok());
  EXPECT_TRUE(ValidateRegistrarOptions({.ttl = absl::Seconds(10)}).ok());
  absl::Status short_ttl = ValidateRegistrarOptions({.ttl = absl::Milliseconds(500)});
  EXPECT_EQ(short_ttl.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_ttl.message().find("500ms"), std::string::npos) << short_ttl;
  EXPECT_FALSE(ValidateRegistrarOptions({.ttl = absl::Milliseconds(2500)}).ok());
}

}  // namespace
}  // namespace switchboard
