// Every command against a 3-member etcd cluster with TLS (client
// certificates required) and user/password auth, on loopback, with
// certificates made by openssl: `register` writes, `ls` reads, `xds`
// (given an etcd:// URI carrying its settings) serves the registration to
// an ADS client; a wrong password, an untrusted client certificate and a
// wrong CA each fail with an error naming what is wrong.
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "testing/ads_watch_stream.h"
#include "testing/child_process.h"
#include "testing/secure_etcd_cluster.h"

namespace switchboard::testing {
namespace {

using ::testing::HasSubstr;

using RunResult = CommandResult;

RunResult RunCommand(const TempDir& dir, std::vector<std::string> args,
                     std::vector<std::string> env = {},
                     absl::Duration timeout = absl::Seconds(20)) {
  static int counter = 0;
  return RunToCompletion(args, dir.File(absl::StrCat("run-", ++counter, ".log")), std::move(env),
                         timeout);
}

std::string Switchboard() { return BuiltBinary("bin/switchboard"); }

class EtcdTlsAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto secure = SecureEtcdCluster::Start(dir_->path());
    ASSERT_TRUE(secure.ok()) << secure.status();
    secure_ = secure->release();
    certs_ = &secure_->certs();
    std::ofstream(dir_->File("wrong-password")) << "not-it\n";
  }
  static void TearDownTestSuite() {
    delete secure_;
    delete dir_;
  }

  static std::string Endpoints() { return secure_->endpoints_csv(); }
  // The flags of a client with the right certificate and user.
  static std::vector<std::string> SecurityFlags() { return secure_->ClientFlags(); }
  static std::vector<std::string> Command(std::vector<std::string> args,
                                          const std::vector<std::string>& flags) {
    args.insert(args.begin(), Switchboard());
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  static TempDir* dir_;
  static SecureEtcdCluster* secure_;
  static const TestCertificates* certs_;
};
TempDir* EtcdTlsAuthTest::dir_ = nullptr;
SecureEtcdCluster* EtcdTlsAuthTest::secure_ = nullptr;
const TestCertificates* EtcdTlsAuthTest::certs_ = nullptr;

TEST_F(EtcdTlsAuthTest, RegisterListAndDiscoverOverXds) {
  const std::string addr = absl::StrCat("127.0.0.1:", PickFreePort());
  // The password from the environment here, from a file below.
  std::vector<std::string> register_flags = SecurityFlags();
  register_flags.resize(register_flags.size() - 2);
  auto sidecar = ChildProcess::Start(
      Command({"register", "--service", "greeter", "--addr", addr, "--health", "none"}, register_flags),
      {.log_path = dir_->File("register.log"), .env = {"SWITCHBOARD_ETCD_PASSWORD=sb-password"}});
  ASSERT_TRUE(sidecar.ok()) << sidecar.status();

  RunResult ls;
  ASSERT_TRUE(WaitFor([&] {
    ls = RunCommand(*dir_, Command({"ls", "greeter", "--json"}, SecurityFlags()));
    return ls.exit_code == 0 && ls.output.find(addr) != std::string::npos;
  }, absl::Seconds(15))) << ls.output << "\nregister: " << ReadFile(dir_->File("register.log"));

  // xds with the settings as etcd:// URI parameters.
  const int xds_port = PickFreePort();
  const std::string uri = absl::StrCat(
      "etcd://", Endpoints(), "/sb/?ca=", certs_->ca, "&cert=", certs_->client_cert,
      "&key=", certs_->client_key, "&user=sb&password-file=", secure_->password_file());
  auto xds = ChildProcess::Start(
      {Switchboard(), "xds", "--listen", absl::StrCat("127.0.0.1:", xds_port), "--source", uri},
      {.log_path = dir_->File("xds.log")});
  ASSERT_TRUE(xds.ok()) << xds.status();
  ASSERT_TRUE(WaitForPort(xds_port, absl::Seconds(10))) << ReadFile(dir_->File("xds.log"));

  EXPECT_TRUE(WaitForEndpointOverAds(absl::StrCat("127.0.0.1:", xds_port), "greeter", addr,
                                     absl::Seconds(15)))
      << ReadFile(dir_->File("xds.log"));
  (*xds)->Stop();
  (*sidecar)->Stop();
}

TEST_F(EtcdTlsAuthTest, AWrongPasswordIsNamed) {
  std::vector<std::string> flags = SecurityFlags();
  flags.back() = dir_->File("wrong-password");
  RunResult ls = RunCommand(*dir_, Command({"ls"}, flags));
  EXPECT_NE(ls.exit_code, 0) << ls.output;
  EXPECT_THAT(ls.output, HasSubstr("Authenticate as sb"));
  EXPECT_THAT(ls.output, HasSubstr("authentication failed"));

  RunResult xds = RunCommand(*dir_, Command({"xds", "--listen", "127.0.0.1:0"}, flags));
  EXPECT_NE(xds.exit_code, 0) << xds.output;
  EXPECT_THAT(xds.output, HasSubstr("Authenticate as sb"));
}

TEST_F(EtcdTlsAuthTest, AnUntrustedClientCertificateIsNamed) {
  RunResult ls = RunCommand(*dir_, Command({"ls"}, {"--etcd", Endpoints(), "--etcd-ca", certs_->ca,
                                             "--etcd-cert", certs_->other_client_cert,
                                             "--etcd-key", certs_->other_client_key}));
  EXPECT_EQ(ls.exit_code, 1) << ls.output;
  EXPECT_THAT(ls.output, HasSubstr("--etcd-cert=" + certs_->other_client_cert));
}

TEST_F(EtcdTlsAuthTest, AWrongCaIsNamed) {
  RunResult ls = RunCommand(*dir_, Command({"ls"}, {"--etcd", Endpoints(), "--etcd-ca", certs_->other_ca,
                                             "--etcd-cert", certs_->client_cert,
                                             "--etcd-key", certs_->client_key}));
  EXPECT_EQ(ls.exit_code, 1) << ls.output;
  EXPECT_THAT(ls.output, HasSubstr("--etcd-ca=" + certs_->other_ca));
}

TEST_F(EtcdTlsAuthTest, APasswordIsNeverTakenFromTheCommandLine) {
  RunResult ls = RunCommand(*dir_, Command({"ls"}, {"--etcd", Endpoints(), "--etcd-user", "sb"}));
  EXPECT_EQ(ls.exit_code, 2) << ls.output;
  EXPECT_THAT(ls.output, HasSubstr("--etcd-user=sb needs a password"));
  RunResult flag = RunCommand(*dir_, Command({"ls"}, {"--etcd", Endpoints(), "--etcd-password", "x"}));
  EXPECT_EQ(flag.exit_code, 2) << flag.output;
}

}  // namespace
}  // namespace switchboard::testing
