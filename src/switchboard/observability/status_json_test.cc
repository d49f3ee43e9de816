#include "switchboard/observability/status_json.h"

#include "gtest/gtest.h"

namespace switchboard::observability {
namespace {

using xds::ResourceKind;

TEST(ClientsJsonTest, ShowsTypesAndMarksANackingClient) {
  xds::ClientStatus good{.stream = 2, .node_id = "b", .user_agent_name = "grpc-c++",
                         .user_agent_version = "1.51.1", .zone = "z1",
                         .connected_since = absl::FromUnixSeconds(0)};
  good.types[ResourceKind::kCluster] = {.subscribed = true, .names = {"greeter"},
                                        .sent_version = "v1", .sent_nonce = "3",
                                        .acked_version = "v1"};
  xds::ClientStatus bad{.stream = 1, .node_id = "a"};
  bad.types[ResourceKind::kListener] = {.subscribed = true, .sent_version = "v2",
                                        .acked_version = "v1", .nacked_version = "v2",
                                        .last_nack_error = "bad listener", .nacks = 1};
  nlohmann::json json = ClientsJson({good, bad});
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["node_id"], "a");  // ordered by node id
  EXPECT_TRUE(json[0]["nacking"]);
  EXPECT_EQ(json[0]["types"]["lds"]["last_nack_error"], "bad listener");
  EXPECT_FALSE(json[1]["nacking"]);
  EXPECT_EQ(json[1]["types"]["cds"]["acked_version"], "v1");
  EXPECT_EQ(json[1]["types"]["cds"]["names"], nlohmann::json::array({"greeter"})) << json.dump();
  EXPECT_EQ(json[1]["zone"], "z1");
  EXPECT_EQ(json[1]["connected_since"], "1970-01-01T00:00:00.000Z");
}

TEST(ClientsJsonTest, AcceptedNewerVersionIsNotNacking) {
  xds::ClientStatus client{.node_id = "a"};
  client.types[ResourceKind::kListener] = {.sent_version = "v3", .acked_version = "v3",
                                           .nacked_version = "v2", .nacks = 1};
  EXPECT_FALSE(ClientsJson({client})[0]["nacking"]);
}

TEST(SourcesJsonTest, StaleSecondsCountOnlyWhileDown) {
  absl::Time now = absl::FromUnixSeconds(100);
  nlohmann::json json = SourcesJson(
      {{.source = "up", .up = true, .last_success = absl::FromUnixSeconds(10)},
       {.source = "down", .up = false, .last_success = absl::FromUnixSeconds(40),
        .consecutive_errors = 3}},
      now);
  EXPECT_EQ(json[0]["stale_seconds"], 0.0);
  EXPECT_EQ(json[1]["stale_seconds"], 60.0);
  EXPECT_EQ(json[1]["consecutive_errors"], 3);
}

TEST(ServicesJsonTest, NullSnapshotIsEmpty) { EXPECT_EQ(ServicesJson(nullptr).size(), 0u); }

TEST(TimeJsonTest, NeverIsNull) { EXPECT_TRUE(TimeJson(absl::InfinitePast()).is_null()); }

}  // namespace
}  // namespace switchboard::observability
