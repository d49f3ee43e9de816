#include "switchboard/xds/bootstrap.h"

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

TEST(BootstrapTest, AddressMustBeHostPortOrUnixPath) {
  for (const char* good : {"127.0.0.1:18000", "[::1]:18000", "xds.example.com:443",
                           "unix:/tmp/x.sock", "unix:relative.sock"}) {
    EXPECT_TRUE(CheckXdsServerAddress(good).ok()) << good << ": " << CheckXdsServerAddress(good);
  }
  struct Bad {
    const char* address;
    const char* says;
  };
  for (const Bad& bad : {Bad{"bogus", "'bogus': missing ':port'"},
                         Bad{"127.0.0.1:99999", "'99999' is not a number in 1..65535"},
                         Bad{"127.0.0.1:0", "1..65535"}, Bad{"[::1", "missing ']'"},
                         Bad{"unix:", "no socket path"}, Bad{"", "want HOST:PORT"}}) {
    absl::Status s = CheckXdsServerAddress(bad.address);
    EXPECT_FALSE(s.ok()) << bad.address;
    EXPECT_NE(s.message().find(bad.says), std::string::npos) << bad.address << ": " << s;
  }
  auto made = MakeBootstrapJson({.server_address = "bogus", .node_id = "n"});
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(),
            "bootstrap: xDS server address 'bogus': missing ':port' (want HOST:PORT or unix:PATH)");
}

TEST(BootstrapTest, SharedNodeIdSaysSoAndDiffersEachTime) {
  std::string a = SharedNodeId(), b = SharedNodeId();
  EXPECT_EQ(a.rfind("switchboard-client@", 0), 0u) << a;
  EXPECT_NE(a.find("/shared-"), std::string::npos) << a;
  EXPECT_NE(a, b);
}

TEST(BootstrapTest, DefaultNodeIdIsPerProcess) {
  EXPECT_NE(DefaultNodeId().find(std::to_string(getpid())), std::string::npos);
}

}  // namespace
}  // namespace switchboard::xds
