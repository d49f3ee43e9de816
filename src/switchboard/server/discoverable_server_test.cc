// DiscoverableServer against a real etcd: registered once it listens,
// drained (NOT_SERVING, marked draining, deregistered) on shutdown, and a
// drain that waits for clients to stop calling, bounded.
#include "switchboard/server/discoverable_server.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "switchboard/cli/health_probe.h"
#include "greeter.grpc.pb.h"
#include "switchboard/etcd/watch_runner.h"
#include "testing/etcd_process.h"
#include "testing/etcd_test.h"
#include "switchboard/registry/naming_codec.h"

namespace switchboard {
namespace {

using cli::HealthCheckKind;
using cli::HealthProbe;
using testing::EtcdProcess;
using testing::WaitFor;

// A server needs a service besides health; its methods are never called.
class UnusedGreeter : public examples::Greeter::Service {};

class DiscoverableServerTest : public testing::EtcdTest {
 protected:
  DiscoverableServerOptions Options() {
    return {.service = "greeter",
            .listen_address = "127.0.0.1:0",
            .etcd = {.endpoints = {etcd_->endpoint()}},
            .registrar = {.ttl = absl::Seconds(10)},
            .wait_registered = true};
  }

  // The record of `address`, decoded; NotFound when absent.
  absl::StatusOr<Instance> Record(const std::string& address) {
    std::string key = absl::StrCat("greeter/", address);
    auto range = client_->Get(key);
    if (!range.ok()) return range.status();
    if (range->kvs.empty()) return absl::NotFoundError(key);
    return DecodeInstance("", key, range->kvs[0].value);
  }

  UnusedGreeter greeter_;
};

TEST_F(DiscoverableServerTest, RegistersOnceListeningAndServesHealth) {
  grpc::ServerBuilder builder;
  builder.RegisterService(&greeter_);
  auto server = DiscoverableServer::Start(builder, Options());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->address(), absl::StrCat("127.0.0.1:", (*server)->port()));
  absl::StatusOr<Instance> record = Record((*server)->address());
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_FALSE(record->metadata.draining);
  EXPECT_EQ((*server)->registration().phase, RegistrationPhase::kRegistered);
  HealthProbe probe(HealthCheckKind::kGrpc, (*server)->address());
  EXPECT_TRUE(probe.Check(absl::Seconds(2)).ok());
}

TEST_F(DiscoverableServerTest, AWildcardListenerRegistersAnAddressClientsCanDial) {
  grpc::ServerBuilder builder;
  builder.RegisterService(&greeter_);
  DiscoverableServerOptions options = Options();
  options.listen_address = "0.0.0.0:0";
  auto server = DiscoverableServer::Start(builder, options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_FALSE(absl::StartsWith((*server)->address(), "0.0.0.0")) << (*server)->address();
  EXPECT_TRUE(Record((*server)->address()).ok());
}

TEST_F(DiscoverableServerTest, ShutdownGoesNotServingMarksDrainingThenDeregisters) {
  grpc::ServerBuilder builder;
  builder.RegisterService(&greeter_);
  auto server = DiscoverableServer::Start(builder, Options());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->address();
  const std::string key = absl::StrCat("greeter/", address);
  auto registered = client_->Get(key);
  ASSERT_TRUE(registered.ok() && !registered->kvs.empty());
  const int64_t from = registered->kvs[0].mod_revision;
  // What a client sees of its health during the drain, from another thread.
  std::atomic<bool> saw_not_serving{false}, done{false};
  std::thread observer([&] {
    HealthProbe probe(HealthCheckKind::kGrpc, address);
    while (!done) {
      absl::Status health = probe.Check(absl::Milliseconds(200));
      if (absl::StrContains(health.message(), "NOT_SERVING")) saw_not_serving = true;
      absl::SleepFor(absl::Milliseconds(10));
    }
  });
  absl::Time start = absl::Now();
  absl::Status status = (*server)->Shutdown();
  absl::Duration took = absl::Now() - start;
  done = true;
  observer.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(saw_not_serving);
  EXPECT_TRUE(absl::IsNotFound(Record(address).status()));
  // The record's history: marked draining first, then deleted.
  std::vector<std::string> history;
  etcdserverpb::WatchCreateRequest create;
  create.set_key(key);
  create.set_start_revision(from + 1);
  StreamCanceller canceller;
  RunWatch(*client_, create, canceller, {}, [&](const etcdserverpb::WatchResponse& response) {
    for (const mvccpb::Event& event : response.events()) {
      if (event.type() == mvccpb::Event::DELETE) {
        history.push_back("deleted");
        return absl::CancelledError("seen the end");
      }
      absl::StatusOr<Instance> i = DecodeInstance("", key, event.kv().value());
      history.push_back(i.ok() && i->metadata.draining ? "draining" : "serving");
    }
    return absl::OkStatus();
  }).IgnoreError();
  EXPECT_EQ(history, (std::vector<std::string>{"draining", "deleted"}));
  // The observer's health checks are calls: the drain waited for a quiet
  // period after them, and no longer than its timeout.
  EXPECT_GE(took, Options().drain_quiet_period);
  EXPECT_LT(took, Options().drain_timeout + Options().shutdown_grace + absl::Seconds(1));
}

TEST_F(DiscoverableServerTest, TheDrainIsBoundedWhenCallsNeverStop) {
  grpc::ServerBuilder builder;
  builder.RegisterService(&greeter_);
  DiscoverableServerOptions options = Options();
  options.drain_timeout = absl::Milliseconds(800);
  auto server = DiscoverableServer::Start(builder, options);
  ASSERT_TRUE(server.ok()) << server.status();
  // A client that ignores discovery: it calls every 20 ms whatever happens
  // (the calls fail, unimplemented, but they arrive).
  std::atomic<bool> done{false};
  auto stub = examples::Greeter::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  std::thread stubborn([&] {
    while (!done) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(200)));
      examples::HelloRequest request;
      examples::HelloReply reply;
      stub->SayHello(&context, request, &reply).ok();
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  absl::Time start = absl::Now();
  EXPECT_TRUE((*server)->Shutdown().ok());
  absl::Duration took = absl::Now() - start;
  done = true;
  stubborn.join();
  EXPECT_GE(took, options.drain_timeout);
  EXPECT_LT(took, options.drain_timeout + options.shutdown_grace + absl::Seconds(1));
}

TEST_F(DiscoverableServerTest, APortInUseIsNamedAndNothingIsRegistered) {
  grpc::ServerBuilder first_builder;
  first_builder.RegisterService(&greeter_);
  auto first = DiscoverableServer::Start(first_builder, Options());
  ASSERT_TRUE(first.ok()) << first.status();
  UnusedGreeter other;
  grpc::ServerBuilder second_builder;
  second_builder.RegisterService(&other);
  DiscoverableServerOptions options = Options();
  options.listen_address = (*first)->address();
  auto second = DiscoverableServer::Start(second_builder, options);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::StrContains(second.status().message(), "already in use")) << second.status();
  absl::StatusOr<Instance> record = Record((*first)->address());
  ASSERT_TRUE(record.ok());
  EXPECT_EQ((*first)->registration().lease_id, [&] {
    auto range = client_->Get(absl::StrCat("greeter/", (*first)->address()));
    return range.ok() && !range->kvs.empty() ? range->kvs[0].lease : int64_t{-1};
  }());
}

}  // namespace
}  // namespace switchboard
