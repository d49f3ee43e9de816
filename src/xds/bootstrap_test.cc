#include "xds/bootstrap.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace switchboard::xds {
namespace {

TEST(BootstrapTest, HasWhatGrpcClientsNeed) {
  auto text = MakeBootstrapJson({.server_address = "unix:/tmp/x.sock", .node_id = "n1",
                                 .node_zone = "z"});
  ASSERT_TRUE(text.ok()) << text.status();
  auto json = nlohmann::json::parse(*text);
  const auto& server = json["xds_servers"][0];
  EXPECT_EQ(server["server_uri"], "unix:/tmp/x.sock");
  EXPECT_EQ(server["channel_creds"][0]["type"], "insecure");
  EXPECT_EQ(server["server_features"], nlohmann::json::array({"xds_v3"}));
  EXPECT_EQ(json["node"]["id"], "n1");
  EXPECT_EQ(json["node"]["locality"]["zone"], "z");
  EXPECT_FALSE(json["node"].contains("cluster"));
}

TEST(BootstrapTest, NodeAlwaysHasALocality) {
  // grpc-js-xds refuses a bootstrap whose node has no locality.
  auto json = nlohmann::json::parse(*MakeBootstrapJson({.server_address = "a:1", .node_id = "n"}));
  EXPECT_TRUE(json["node"]["locality"].is_object());
}

TEST(BootstrapTest, ErrorsNameTheMissingField) {
  auto no_server = MakeBootstrapJson({.node_id = "n1"});
  EXPECT_FALSE(no_server.ok());
  EXPECT_NE(no_server.status().message().find("server address"), std::string::npos);
  auto no_node = MakeBootstrapJson({.server_address = "127.0.0.1:1"});
  EXPECT_NE(no_node.status().message().find("node id"), std::string::npos);
}

TEST(BootstrapTest, DefaultNodeIdIsPerProcess) {
  EXPECT_NE(DefaultNodeId().find(std::to_string(getpid())), std::string::npos);
}

}  // namespace
}  // namespace switchboard::xds
