#include "switchboard/xds/xds_server_tls.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <grpcpp/security/server_credentials.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchboard::xds {
namespace {

using ::testing::HasSubstr;

// The checks before gRPC sees the files; that gRPC serves with real
// certificates is tests/xds/xds_tls_server_test.cc.
class XdsServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/xds-server-tls-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    cert_ = Write("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    key_ = Write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_, cert_, key_;
};

TEST_F(XdsServerTlsTest, NoSettingsArePlaintextAsBefore) {
  XdsServerTls tls;
  EXPECT_FALSE(tls.enabled());
  EXPECT_EQ(DescribeXdsServerTls(tls), "plaintext");
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeXdsServerCredentials(tls);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_NE(*credentials, nullptr);
}

TEST_F(XdsServerTlsTest, ACertificateAndItsKeyAreTlsAndAClientCaIsMtls) {
  XdsServerTls tls{.cert_file = cert_, .key_file = key_};
  EXPECT_EQ(DescribeXdsServerTls(tls), "TLS");
  EXPECT_TRUE(MakeXdsServerCredentials(tls).ok());
  tls.client_ca_file = cert_;
  EXPECT_EQ(DescribeXdsServerTls(tls), "TLS, client certificates required (mTLS)");
  EXPECT_TRUE(MakeXdsServerCredentials(tls).ok());
}

TEST_F(XdsServerTlsTest, HalfAPairIsRefusedNamingTheMissingFlag) {
  EXPECT_EQ(MakeXdsServerCredentials({.cert_file = cert_}).status().message(),
            "--tls-cert needs --tls-key (the certificate's private key)");
  EXPECT_EQ(MakeXdsServerCredentials({.key_file = key_}).status().message(),
            "--tls-key needs --tls-cert (the certificate of that key)");
  EXPECT_THAT(MakeXdsServerCredentials({.client_ca_file = cert_}).status().message(),
              HasSubstr("--tls-client-ca needs --tls-cert and --tls-key"));
}

TEST_F(XdsServerTlsTest, BadFilesAreNamedWithTheirFlag) {
  const std::string missing = dir_ + "/missing.pem";
  absl::Status status = MakeXdsServerCredentials({.cert_file = missing, .key_file = key_}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "--tls-cert=" + missing + ": cannot read: No such file or directory");
  EXPECT_THAT(MakeXdsServerCredentials({.cert_file = cert_, .key_file = cert_}).status().message(),
              HasSubstr("--tls-key=" + cert_ + ": holds no private key"));
  const std::string text = Write("notes.txt", "not a certificate\n");
  EXPECT_THAT(MakeXdsServerCredentials({.cert_file = cert_, .key_file = key_, .client_ca_file = text})
                  .status()
                  .message(),
              HasSubstr("--tls-client-ca=" + text + ": not a PEM file"));
}

TEST_F(XdsServerTlsTest, OtherNamesForOtherCallers) {
  XdsServerTlsNames names{"tls.cert_file", "tls.key_file", "tls.client_ca_file"};
  EXPECT_EQ(MakeXdsServerCredentials({.cert_file = cert_}, names).status().message(),
            "tls.cert_file needs tls.key_file (the certificate's private key)");
}

TEST_F(XdsServerTlsTest, ClientCredentialsCheckTheirFilesToo) {
  XdsClientTlsNames names{"--xds-ca", "--xds-cert", "--xds-key"};
  EXPECT_TRUE(MakeXdsChannelCredentials(cert_, "", "", names).ok());
  EXPECT_TRUE(MakeXdsChannelCredentials(cert_, cert_, key_, names).ok());
  EXPECT_EQ(MakeXdsChannelCredentials(cert_, cert_, "", names).status().message(),
            "--xds-cert needs --xds-key (the certificate's private key)");
  EXPECT_THAT(MakeXdsChannelCredentials(dir_ + "/none.pem", "", "", names).status().message(),
              HasSubstr("--xds-ca=" + dir_ + "/none.pem: cannot read"));
}

}  // namespace
}  // namespace switchboard::xds
