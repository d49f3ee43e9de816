// `switchboard xds` serving ADS over TLS and mTLS, on real processes: a
// real etcd with a registered instance, the built `switchboard xds` with
// certificates made by openssl, and ADS clients dialling it with and
// without the right credentials; `switchboard bootstrap` writing the
// matching A65 channel creds; bad TLS flags refused at start.
//
// The clients here are ADS streams over grpc::SslCredentials, not gRPC's
// own xDS client: gRPC C++ 1.51 (the library we link) cannot use TLS to
// its xDS server, and @grpc/grpc-js-xds 1.14.1 accepts only the
// google_default and insecure channel creds. What a client that reads A65
// "tls" creds (gRPC-Go >= 1.61) does is this same handshake with the files
// the bootstrap names.
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/registry/naming_codec.h"
#include "testing/ads_watch_stream.h"
#include "testing/child_process.h"
#include "testing/etcd_process.h"
#include "testing/test_certificates.h"

namespace switchboard::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Switchboard() { return BuiltBinary("bin/switchboard"); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Client credentials: trusting `ca`, presenting `cert` and `key` if given.
std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& ca, const std::string& cert = "",
                                              const std::string& key = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = Slurp(ca);
  if (!cert.empty()) {
    options.pem_cert_chain = Slurp(cert);
    options.pem_private_key = Slurp(key);
  }
  return grpc::SslCredentials(options);
}

// One ADS request for the listener of `service` and the first answer: OK
// when the server answered; else how the stream ended. A refused handshake
// ends it at once with UNAVAILABLE, which tells it apart from a server that
// accepted the connection and said nothing (DEADLINE_EXCEEDED).
grpc::Status OneAdsExchange(const std::string& address,
                            std::shared_ptr<grpc::ChannelCredentials> credentials,
                            const std::string& service) {
  using envoy::service::discovery::v3::AggregatedDiscoveryService;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // no connection shared between cases
  auto stub = AggregatedDiscoveryService::NewStub(
      grpc::CreateCustomChannel(address, std::move(credentials), args));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = stub->StreamAggregatedResources(&context);
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.mutable_node()->set_id("xds-tls-test");
  request.set_type_url("type.googleapis.com/envoy.config.listener.v3.Listener");
  request.add_resource_names(service);
  envoy::service::discovery::v3::DiscoveryResponse response;
  if (stream->Write(request) && stream->Read(&response)) {
    context.TryCancel();
    stream->Finish().IgnoreError();
    return grpc::Status::OK;
  }
  return stream->Finish();
}

class XdsTlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    absl::StatusOr<TestCertificates> certs = MakeTestCertificateSet(dir_->path());
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = new TestCertificates(*certs);
    absl::StatusOr<std::unique_ptr<EtcdProcess>> etcd = EtcdProcess::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = etcd->release();
    auto client = EtcdClient::Create({.endpoints = {etcd_->endpoint()}});
    ASSERT_TRUE(client.ok()) << client.status();
    // A registration with no lease: it stays for the whole suite, and no
    // server needs to run behind it to be sent to clients.
    const Instance instance{.service = "greeter", .address = kInstance};
    ASSERT_TRUE((*client)->Put(RegistryKey("", instance), EncodeInstanceValue(instance)).ok());

    // One control plane with TLS, one with mTLS (clients signed by `ca`).
    tls_ = StartXds("tls", {"--tls-cert", certs_->server_cert, "--tls-key", certs_->server_key})
               .release();
    mtls_ = StartXds("mtls", {"--tls-cert", certs_->server_cert, "--tls-key",
                              certs_->server_key, "--tls-client-ca", certs_->ca})
                .release();
  }
  static void TearDownTestSuite() {
    delete tls_;
    delete mtls_;
    delete etcd_;
    delete certs_;
    delete dir_;
  }

  struct Xds {
    std::unique_ptr<ChildProcess> process;
    std::string address;
    std::string log;
  };
  static std::unique_ptr<Xds> StartXds(const std::string& name,
                                       const std::vector<std::string>& tls_flags) {
    auto xds = std::make_unique<Xds>();
    const int port = PickFreePort();
    xds->address = absl::StrCat("127.0.0.1:", port);
    xds->log = dir_->File(name + "-xds.log");
    std::vector<std::string> argv = {Switchboard(), "xds", "--listen", xds->address, "--etcd",
                                     etcd_->endpoint()};
    argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
    auto process = ChildProcess::Start(argv, {.log_path = xds->log});
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return xds;
    xds->process = std::move(*process);
    EXPECT_TRUE(WaitForPort(port, absl::Seconds(10))) << ReadFile(xds->log);
    return xds;
  }

  static CommandResult Run(const std::vector<std::string>& args) {
    static int counter = 0;
    std::vector<std::string> argv = {Switchboard()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunToCompletion(argv, dir_->File(absl::StrCat("run-", ++counter, ".log")));
  }

  static constexpr char kInstance[] = "127.0.0.1:50123";
  static TempDir* dir_;
  static TestCertificates* certs_;
  static EtcdProcess* etcd_;
  static Xds* tls_;
  static Xds* mtls_;
};
TempDir* XdsTlsServerTest::dir_ = nullptr;
TestCertificates* XdsTlsServerTest::certs_ = nullptr;
EtcdProcess* XdsTlsServerTest::etcd_ = nullptr;
XdsTlsServerTest::Xds* XdsTlsServerTest::tls_ = nullptr;
XdsTlsServerTest::Xds* XdsTlsServerTest::mtls_ = nullptr;

TEST_F(XdsTlsServerTest, AClientTrustingTheCaGetsTheEndpointsOverTls) {
  EXPECT_TRUE(WaitForEndpointOverAds(tls_->address, "greeter", kInstance, absl::Seconds(15),
                                     Tls(certs_->ca)))
      << ReadFile(tls_->log);
  EXPECT_THAT(ReadFile(tls_->log), HasSubstr(absl::StrCat("serving xDS on ", tls_->address, " (TLS)")));
}

TEST_F(XdsTlsServerTest, PlaintextAndUntrustingClientsGetNothing) {
  grpc::Status plaintext =
      OneAdsExchange(tls_->address, grpc::InsecureChannelCredentials(), "greeter");
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE) << plaintext.error_message();
  grpc::Status other_ca = OneAdsExchange(tls_->address, Tls(certs_->other_ca), "greeter");
  EXPECT_EQ(other_ca.error_code(), grpc::StatusCode::UNAVAILABLE) << other_ca.error_message();
  EXPECT_THAT(other_ca.error_message(), HasSubstr("certificate verify failed"));
  // The same exchange succeeds with the right CA: the failures above are
  // the credentials', not the test's.
  grpc::Status right = OneAdsExchange(tls_->address, Tls(certs_->ca), "greeter");
  EXPECT_TRUE(right.ok()) << right.error_message() << "\n" << ReadFile(tls_->log);
}

TEST_F(XdsTlsServerTest, MtlsRefusesClientsWithoutACertificateFromTheClientCa) {
  grpc::Status no_cert = OneAdsExchange(mtls_->address, Tls(certs_->ca), "greeter");
  EXPECT_EQ(no_cert.error_code(), grpc::StatusCode::UNAVAILABLE) << no_cert.error_message();
  grpc::Status foreign_cert = OneAdsExchange(
      mtls_->address, Tls(certs_->ca, certs_->other_client_cert, certs_->other_client_key),
      "greeter");
  EXPECT_EQ(foreign_cert.error_code(), grpc::StatusCode::UNAVAILABLE)
      << foreign_cert.error_message();
  EXPECT_TRUE(WaitForEndpointOverAds(mtls_->address, "greeter", kInstance, absl::Seconds(15),
                                     Tls(certs_->ca, certs_->client_cert, certs_->client_key)))
      << ReadFile(mtls_->log);
  EXPECT_THAT(ReadFile(mtls_->log), HasSubstr("(TLS, client certificates required (mTLS))"));
}

TEST_F(XdsTlsServerTest, BootstrapWritesA65TlsCredsThatReachTheServer) {
  CommandResult run = Run({"bootstrap", "--xds", mtls_->address, "--xds-ca", certs_->ca,
                           "--xds-cert", certs_->client_cert, "--xds-key", certs_->client_key});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // Its check dialled the mTLS server with these files, and got an answer.
  EXPECT_THAT(run.output, Not(HasSubstr("warning"))) << run.output;
  nlohmann::json bootstrap = nlohmann::json::parse(run.output, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(bootstrap.is_discarded()) << run.output;
  const nlohmann::json& server = bootstrap["xds_servers"][0];
  EXPECT_EQ(server["server_uri"], mtls_->address);
  EXPECT_EQ(server["channel_creds"],
            nlohmann::json::parse(absl::StrCat(
                R"([{"type":"tls","config":{"ca_certificate_file":")", certs_->ca,
                R"(","certificate_file":")", certs_->client_cert, R"(","private_key_file":")",
                certs_->client_key, R"("}}])")));

  // Without the client certificate, the check is refused by the mTLS
  // server and says so; the bootstrap is printed all the same.
  CommandResult no_cert = Run({"bootstrap", "--xds", mtls_->address, "--xds-ca", certs_->ca});
  EXPECT_EQ(no_cert.exit_code, 0) << no_cert.output;
  EXPECT_THAT(no_cert.output, HasSubstr("warning: nothing serves xDS at " + mtls_->address));
}

TEST_F(XdsTlsServerTest, BadTlsFlagsAreRefusedAtStartNamingFlagAndFile) {
  const std::string missing = dir_->File("missing.pem");
  std::ofstream(dir_->File("notes.txt")) << "not a certificate\n";
  struct Case {
    std::vector<std::string> flags;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--tls-cert", certs_->server_cert}, "--tls-cert needs --tls-key"},
      {{"--tls-key", certs_->server_key}, "--tls-key needs --tls-cert"},
      {{"--tls-client-ca", certs_->ca}, "--tls-client-ca needs --tls-cert and --tls-key"},
      {{"--tls-cert", missing, "--tls-key", certs_->server_key},
       "--tls-cert=" + missing + ": cannot read: No such file or directory"},
      {{"--tls-cert", certs_->server_cert, "--tls-key", dir_->File("notes.txt")},
       "--tls-key=" + dir_->File("notes.txt") + ": not a PEM file"},
      {{"--tls-cert", certs_->server_cert, "--tls-key", certs_->server_key, "--tls-client-ca",
        certs_->server_key},
       "--tls-client-ca=" + certs_->server_key + ": holds no certificate"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"xds", "--listen", "127.0.0.1:0", "--etcd", etcd_->endpoint()};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    CommandResult run = Run(args);
    EXPECT_EQ(run.exit_code, 2) << c.says << "\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr(c.says));
  }
  // PEM files that are not a key pair pass the checks; gRPC refuses them
  // when it listens, and the message names both files.
  CommandResult mismatch = Run({"xds", "--listen", "127.0.0.1:0", "--etcd", etcd_->endpoint(),
                                "--tls-cert", certs_->server_cert, "--tls-key",
                                certs_->client_key});
  EXPECT_EQ(mismatch.exit_code, 1) << mismatch.output;
  EXPECT_THAT(mismatch.output, HasSubstr(absl::StrCat("gRPC refused the TLS certificate ",
                                                      certs_->server_cert, " with the key ",
                                                      certs_->client_key)));
}

}  // namespace
}  // namespace switchboard::testing
