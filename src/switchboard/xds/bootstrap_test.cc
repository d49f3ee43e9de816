#include "switchboard/xds/bootstrap.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
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

TEST(BootstrapTest, TlsIsTheA65ChannelCredsWithTheFiles) {
  auto text = MakeBootstrapJson({.server_address = "xds.internal:18000", .node_id = "n",
                                 .tls = {.ca_file = "/etc/sb/ca.pem",
                                         .cert_file = "/etc/sb/client.pem",
                                         .key_file = "/etc/sb/client.key"}});
  ASSERT_TRUE(text.ok()) << text.status();
  const auto creds = nlohmann::json::parse(*text)["xds_servers"][0]["channel_creds"];
  ASSERT_EQ(creds.size(), 1u) << creds;
  EXPECT_EQ(creds[0], nlohmann::json::parse(R"({"type":"tls","config":{
      "ca_certificate_file":"/etc/sb/ca.pem","certificate_file":"/etc/sb/client.pem",
      "private_key_file":"/etc/sb/client.key"}})"));
  // Without a client certificate: the CA alone.
  auto ca_only = MakeBootstrapJson({.server_address = "xds.internal:18000", .node_id = "n",
                                    .tls = {.ca_file = "/etc/sb/ca.pem"}});
  ASSERT_TRUE(ca_only.ok()) << ca_only.status();
  EXPECT_EQ(nlohmann::json::parse(*ca_only)["xds_servers"][0]["channel_creds"][0]["config"],
            nlohmann::json::parse(R"({"ca_certificate_file":"/etc/sb/ca.pem"})"));
}

TEST(BootstrapTest, TlsFilesMustBeAbsoluteAndPaired) {
  auto relative = MakeBootstrapJson(
      {.server_address = "a:1", .node_id = "n", .tls = {.ca_file = "certs/ca.pem"}});
  EXPECT_THAT(relative.status().message(),
              ::testing::HasSubstr("TLS file 'certs/ca.pem' is not an absolute path"));
  auto half = MakeBootstrapJson({.server_address = "a:1", .node_id = "n",
                                 .tls = {.ca_file = "/ca.pem", .cert_file = "/c.pem"}});
  EXPECT_THAT(half.status().message(), ::testing::HasSubstr("needs the key file"));
  auto no_ca = MakeBootstrapJson({.server_address = "a:1", .node_id = "n",
                                  .tls = {.cert_file = "/c.pem", .key_file = "/k.pem"}});
  EXPECT_THAT(no_ca.status().message(), ::testing::HasSubstr("need the CA file"));
}

class ResolveBootstrapTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/bootstrap-tls-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ + "/ca.pem") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::ofstream(dir_ + "/client.pem") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::ofstream(dir_ + "/client.key") << "-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ResolveBootstrapTlsTest, RelativePathsBecomeAbsolute) {
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  absl::StatusOr<BootstrapTls> tls =
      ResolveBootstrapTls({.ca_file = "ca.pem", .cert_file = "./client.pem", .key_file = "client.key"});
  std::filesystem::current_path(before);
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_EQ(tls->ca_file, dir_ + "/ca.pem");
  EXPECT_EQ(tls->cert_file, dir_ + "/client.pem");
  EXPECT_EQ(tls->key_file, dir_ + "/client.key");
}

TEST_F(ResolveBootstrapTlsTest, AMissingOrWrongFileIsNamedWithItsFlag) {
  EXPECT_EQ(ResolveBootstrapTls({.ca_file = dir_ + "/nope.pem"}).status().message(),
            "--xds-ca=" + dir_ + "/nope.pem: cannot read: No such file or directory");
  EXPECT_THAT(ResolveBootstrapTls({.ca_file = dir_ + "/ca.pem", .cert_file = dir_ + "/client.key",
                                   .key_file = dir_ + "/client.key"})
                  .status()
                  .message(),
              ::testing::HasSubstr("--xds-cert=" + dir_ + "/client.key: holds no certificate"));
  EXPECT_EQ(ResolveBootstrapTls({.ca_file = dir_ + "/ca.pem", .key_file = dir_ + "/client.key"})
                .status()
                .message(),
            "--xds-key needs --xds-cert (the certificate of that key)");
  EXPECT_THAT(ResolveBootstrapTls({.cert_file = dir_ + "/client.pem", .key_file = dir_ + "/client.key"})
                  .status()
                  .message(),
              ::testing::HasSubstr("--xds-cert and --xds-key need --xds-ca"));
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
