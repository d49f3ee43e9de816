#include "switchboard/etcd/etcd_security.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "testing/child_process.h"

namespace switchboard {
namespace {

class EtcdSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv(kEtcdPasswordEnv); }
  void TearDown() override { unsetenv(kEtcdPasswordEnv); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  switchboard::testing::TempDir dir_;
};

TEST_F(EtcdSecurityTest, NothingGivenLeavesThePlainClient) {
  EtcdClientOptions options;
  ASSERT_TRUE(ApplyEtcdSecurity({}, kEtcdFlagNames, options).ok());
  EXPECT_FALSE(options.tls);
  EXPECT_TRUE(options.username.empty());
}

TEST_F(EtcdSecurityTest, FilesTurnTlsOn) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
  EtcdClientOptions options;
  ASSERT_TRUE(ApplyEtcdSecurity({.ca_file = Write("ca.pem", pem), .cert_file = Write("c.pem", pem),
                                 .key_file = Write("k.pem", pem)},
                                kEtcdFlagNames, options)
                  .ok());
  EXPECT_TRUE(options.tls);
  EXPECT_EQ(options.ca_file, dir_.path() + "/ca.pem");
  EXPECT_EQ(options.key_file, dir_.path() + "/k.pem");
}

TEST_F(EtcdSecurityTest, ErrorsNameTheSettingAndTheFile) {
  EtcdClientOptions options;
  absl::Status s = ApplyEtcdSecurity({.ca_file = "/nonexistent/ca.pem"}, kEtcdFlagNames, options);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--etcd-ca=/nonexistent/ca.pem: cannot read"), std::string::npos)
      << s;
  s = ApplyEtcdSecurity({.ca_file = Write("junk", "not pem")}, kEtcdUriParamNames, options);
  EXPECT_NE(s.message().find("ca=" + dir_.path() + "/junk: not a PEM file"), std::string::npos)
      << s;
  s = ApplyEtcdSecurity({.cert_file = Write("c.pem", "-----BEGIN")}, kEtcdFlagNames, options);
  EXPECT_NE(s.message().find("--etcd-cert needs --etcd-key"), std::string::npos) << s;
  s = ApplyEtcdSecurity({.password_file = Write("p", "pw\n")}, kEtcdFlagNames, options);
  EXPECT_NE(s.message().find("--etcd-password-file needs --etcd-user"), std::string::npos) << s;
}

TEST_F(EtcdSecurityTest, PasswordFromFileWithoutItsNewline) {
  EtcdClientOptions options;
  ASSERT_TRUE(ApplyEtcdSecurity({.user = "sb", .password_file = Write("p", "s3cret\n")},
                                kEtcdFlagNames, options)
                  .ok());
  EXPECT_EQ(options.username, "sb");
  EXPECT_EQ(options.password, "s3cret");
  absl::Status s =
      ApplyEtcdSecurity({.user = "sb", .password_file = Write("e", "\n")}, kEtcdFlagNames, options);
  EXPECT_NE(s.message().find(": empty"), std::string::npos) << s;
}

TEST_F(EtcdSecurityTest, PasswordFromTheEnvironmentElseAClearError) {
  EtcdClientOptions options;
  absl::Status s = ApplyEtcdSecurity({.user = "sb"}, kEtcdFlagNames, options);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--etcd-user=sb needs a password"), std::string::npos) << s;
  EXPECT_NE(s.message().find("SWITCHBOARD_ETCD_PASSWORD"), std::string::npos) << s;
  setenv(kEtcdPasswordEnv, "from-env", 1);
  ASSERT_TRUE(ApplyEtcdSecurity({.user = "sb"}, kEtcdFlagNames, options).ok());
  EXPECT_EQ(options.password, "from-env");
}

}  // namespace
}  // namespace switchboard
