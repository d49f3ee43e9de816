// Embedded mode end to end: one StartEmbeddedDiscovery() call, then plain
// `xds:///` channels and generated stubs balance over instances from two
// merged sources (an object the test publishes into, and a file:// URI).
#include "switchboard/client/embedded_discovery.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"
#include "nlohmann/json.hpp"
#include "switchboard/xds/snapshot_cache.h"
#include "testing/xds_testing.h"

namespace switchboard {
namespace {

using switchboard::examples::Greeter;
using switchboard::testing::TempDir;
using switchboard::testing::WaitFor;
using testing::CallCounts;
using testing::CallGreeter;
using testing::CallTally;
using testing::CallOnce;
using testing::GreeterInstance;
using testing::ManualSource;

std::unique_ptr<Greeter::Stub> StubFor(const std::string& service) {
  return Greeter::NewStub(
      grpc::CreateChannel(absl::StrCat("xds:///", service), grpc::InsecureChannelCredentials()));
}

TEST(EmbeddedDiscoveryTest, PlainChannelsBalanceOverMergedSources) {
  ASSERT_EQ(std::getenv("GRPC_XDS_BOOTSTRAP_CONFIG"), nullptr);
  auto started = testing::StartGreeters(3);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& servers = *started;
  // "billing" comes from a services file...
  TempDir dir;
  std::string file = dir.File("services.json");
  std::ofstream(file) << nlohmann::json{{"services", {{"billing", {servers[2]->address()}}}}}.dump();
  // ...and "greeter" from a source object.
  auto manual = std::make_unique<ManualSource>(std::vector<Instance>{
      GreeterInstance("greeter", *servers[0]), GreeterInstance("greeter", *servers[1])});
  ManualSource* feed = manual.get();

  EmbeddedDiscoveryOptions options;
  options.source_uris = {absl::StrCat("file://", file)};
  options.sources.push_back(std::move(manual));
  options.node_id = "embedded-test";
  options.cache_dir = dir.File("cache");
  absl::Time start = absl::Now();
  auto discovery = StartEmbeddedDiscovery(std::move(options));
  ASSERT_TRUE(discovery.ok()) << discovery.status();
  std::printf("  StartEmbeddedDiscovery took %s\n",
              absl::FormatDuration(absl::Now() - start).c_str());
  EXPECT_TRUE((*discovery)->bootstrap_installed());
  ASSERT_NE(std::getenv("GRPC_XDS_BOOTSTRAP_CONFIG"), nullptr);
  EXPECT_NE(std::string(std::getenv("GRPC_XDS_BOOTSTRAP_CONFIG")).find((*discovery)->server_address()),
            std::string::npos);
  EXPECT_STREQ(std::getenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS"), "100");
  EXPECT_EQ((*discovery)->server_address().rfind("unix:", 0), 0u);

  // A second one in the same process is refused.
  EmbeddedDiscoveryOptions again;
  again.sources.push_back(std::make_unique<ManualSource>());
  auto second = StartEmbeddedDiscovery(std::move(again));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();

  auto greeter = StubFor("greeter");
  auto first_call = CallOnce(greeter.get());
  ASSERT_TRUE(first_call.ok()) << first_call.status();
  std::printf("  first call through a fresh xds:/// channel %s after start\n",
              absl::FormatDuration(absl::Now() - start).c_str());
  CallTally tally;
  CallCounts counts = CallGreeter(greeter.get(), 1000, tally);
  EXPECT_EQ(counts.failures(), 0) << tally.LastFailure();
  EXPECT_NEAR(counts.Share(servers[0]->address()), 0.5, 0.05);
  EXPECT_NEAR(counts.Share(servers[1]->address()), 0.5, 0.05);

  auto billing = StubFor("billing");
  auto billed = CallOnce(billing.get());
  ASSERT_TRUE(billed.ok()) << billed.status();
  EXPECT_EQ(*billed, servers[2]->address());

  // Changes flow: greeter moves entirely to the third server.
  feed->Set({GreeterInstance("greeter", *servers[2])});
  EXPECT_TRUE(WaitFor([&] { return *CallOnce(greeter.get()) == servers[2]->address(); },
                      absl::Seconds(1)));
  // ...and reach the cache (written at most once a second).
  xds::SnapshotCache cache(dir.File("cache"));
  EXPECT_TRUE(WaitFor([&] {
    auto entry = cache.Load(feed->Describe());
    return entry.ok() && entry->snapshot->All() == std::vector<Instance>{
        GreeterInstance("greeter", *servers[2])};
  }, absl::Seconds(5)));

  // Unknown sources are reported by name.
  EmbeddedDiscoveryOptions bad;
  bad.source_uris = {"nosuch://x/y"};
  auto refused = StartEmbeddedDiscovery(std::move(bad));
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("nosuch://x/y"), std::string::npos) << refused.status();
}

}  // namespace
}  // namespace switchboard
