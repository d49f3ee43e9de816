#include "switchboard/common/pem_file.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchboard {
namespace {

using ::testing::HasSubstr;

class PemFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/pem-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
};

TEST_F(PemFileTest, ReadsACertificateAndAKey) {
  const std::string cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const std::string key = "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n";
  absl::StatusOr<std::string> read_cert =
      ReadPemFile("--tls-cert", Write("cert.pem", cert), PemKind::kCertificate);
  ASSERT_TRUE(read_cert.ok()) << read_cert.status();
  EXPECT_EQ(*read_cert, cert);
  absl::StatusOr<std::string> read_key =
      ReadPemFile("--tls-key", Write("key.pem", key), PemKind::kPrivateKey);
  ASSERT_TRUE(read_key.ok()) << read_key.status();
  EXPECT_EQ(*read_key, key);
}

TEST_F(PemFileTest, AMissingFileNamesTheSettingTheFileAndWhy) {
  const std::string path = dir_ + "/nope.pem";
  absl::StatusOr<std::string> read = ReadPemFile("--tls-cert", path, PemKind::kCertificate);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(read.status().message(),
            "--tls-cert=" + path + ": cannot read: No such file or directory");
}

TEST_F(PemFileTest, ADirectoryIsNotAFile) {
  absl::StatusOr<std::string> read = ReadPemFile("--tls-key", dir_, PemKind::kPrivateKey);
  EXPECT_THAT(read.status().message(), HasSubstr("--tls-key=" + dir_ + ": cannot read"));
}

TEST_F(PemFileTest, TextThatIsNotPemIsRefused) {
  const std::string path = Write("notes.txt", "hello\n");
  EXPECT_EQ(ReadPemFile("--xds-ca", path, PemKind::kCertificate).status().message(),
            "--xds-ca=" + path + ": not a PEM file (no -----BEGIN line)");
  const std::string empty = Write("empty.pem", "");
  EXPECT_EQ(ReadPemFile("--xds-ca", empty, PemKind::kCertificate).status().message(),
            "--xds-ca=" + empty + ": empty");
  EXPECT_EQ(ReadPemFile("--xds-ca", "", PemKind::kCertificate).status().message(),
            "--xds-ca: give a file");
}

TEST_F(PemFileTest, AKeyGivenAsTheCertificateAndTheReverseAreNamed) {
  const std::string key =
      Write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n");
  EXPECT_THAT(ReadPemFile("--tls-cert", key, PemKind::kCertificate).status().message(),
              HasSubstr("--tls-cert=" + key + ": holds no certificate"));
  const std::string cert =
      Write("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  EXPECT_THAT(ReadPemFile("--tls-key", cert, PemKind::kPrivateKey).status().message(),
              HasSubstr("--tls-key=" + cert + ": holds no private key"));
}

}  // namespace
}  // namespace switchboard
