// The etcd client against a real etcd.
#include "switchboard/etcd/etcd_client.h"

#include <sys/wait.h>

#include <gtest/gtest.h>

#include "testing/etcd_process.h"
#include "testing/etcd_test.h"

namespace switchboard {
namespace {

using testing::EtcdProcess;

class EtcdClientTest : public testing::EtcdTest {};

TEST_F(EtcdClientTest, PutGetPrefixDelete) {
  ASSERT_TRUE(client_->Put("svc/a", "1").ok());
  ASSERT_TRUE(client_->Put("svc/b", "2").ok());
  ASSERT_TRUE(client_->Put("svd/c", "3").ok());
  auto range = client_->GetPrefix("svc/");
  ASSERT_TRUE(range.ok()) << range.status();
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[0].key, "svc/a");
  EXPECT_EQ(range->kvs[1].value, "2");
  EXPECT_GT(range->revision, 0);
  EXPECT_EQ(*client_->DeletePrefix("svc/"), 2);
  EXPECT_EQ(client_->GetPrefix("")->kvs.size(), 1u);
  EXPECT_EQ(*client_->Delete("svd/c"), 1);
}

TEST_F(EtcdClientTest, LeaseGrantKeepAliveRevoke) {
  auto lease = client_->LeaseGrant(absl::Seconds(5));
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(client_->Put("k", "v", *lease).ok());
  auto ttl = client_->LeaseTimeToLive(*lease);
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(*ttl, absl::ZeroDuration());

  auto stream = client_->LeaseKeepAlive();
  ASSERT_TRUE(stream.ok()) << stream.status();
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(*lease);
  ASSERT_TRUE((*stream)->Write(request).ok());
  auto response = (*stream)->Read();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->ttl(), 5);

  ASSERT_TRUE(client_->LeaseRevoke(*lease).ok());
  EXPECT_TRUE(client_->Get("k")->kvs.empty());
  EXPECT_LT(*client_->LeaseTimeToLive(*lease), absl::ZeroDuration());
}

TEST_F(EtcdClientTest, WatchSeesPutsAndDeletes) {
  etcdserverpb::WatchCreateRequest create;
  create.set_key("w/");
  create.set_range_end("w0");
  create.set_prev_kv(true);
  auto stream = client_->Watch(create);
  ASSERT_TRUE(stream.ok()) << stream.status();
  auto created = (*stream)->Read();
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->created());
  ASSERT_TRUE(client_->Put("w/x", "1").ok());
  ASSERT_TRUE(client_->Delete("w/x").ok());
  int puts = 0, deletes = 0;
  while (puts + deletes < 2) {
    auto response = (*stream)->Read();
    ASSERT_TRUE(response.ok()) << response.status();
    for (const auto& event : response->events()) {
      if (event.type() == mvccpb::Event::PUT) ++puts;
      if (event.type() == mvccpb::Event::DELETE) {
        ++deletes;
        EXPECT_EQ(event.prev_kv().value(), "1");
      }
    }
  }
  (*stream)->Cancel();
  EXPECT_FALSE((*stream)->Read().ok());
}

TEST_F(EtcdClientTest, ErrorsNameEndpointAndOperation) {
  etcd_->Kill();
  auto put = client_->Put("greeter/x", "v");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(put.status().message().find(etcd_->endpoint()), std::string::npos) << put.status();
  EXPECT_NE(put.status().message().find("Put greeter/x"), std::string::npos) << put.status();
}

TEST_F(EtcdClientTest, FailsOverToTheNextEndpoint) {
  int dead = testing::PickFreePort();
  auto client = EtcdClient::Create(
      {.endpoints = {absl::StrCat("127.0.0.1:", dead), etcd_->endpoint()}});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Put("f", "1").ok());
  EXPECT_EQ((*client)->current_endpoint(), etcd_->endpoint());
}

TEST(EtcdEndpointsTest, ParsesListsAndRejectsGarbage) {
  auto options = ParseEtcdEndpoints("http://127.0.0.1:2379, 127.0.0.1:22379");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->endpoints, (std::vector<std::string>{"127.0.0.1:2379", "127.0.0.1:22379"}));
  EXPECT_FALSE(options->tls);
  EXPECT_TRUE(ParseEtcdEndpoints("https://etcd:2379")->tls);
  auto bad = ParseEtcdEndpoints("127.0.0.1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("127.0.0.1"), std::string::npos);
  EXPECT_FALSE(ParseEtcdEndpoints("").ok());
  EXPECT_FALSE(ParseEtcdEndpoints("h:port").ok());
}

}  // namespace
}  // namespace switchboard

namespace switchboard {
namespace {

// Runs etcdctl against `endpoint`; true when it exits 0.
bool Etcdctl(const std::string& endpoint, std::vector<std::string> args,
             const std::string& user = "") {
  std::vector<std::string> argv = {"etcdctl", "--endpoints=" + endpoint};
  if (!user.empty()) argv.push_back("--user=" + user);
  argv.insert(argv.end(), args.begin(), args.end());
  auto process = testing::ChildProcess::Start(argv, {.env = {"ETCDCTL_API=3"}});
  if (!process.ok() || !(*process)->WaitExit(absl::Seconds(10))) return false;
  return WIFEXITED((*process)->exit_status()) && WEXITSTATUS((*process)->exit_status()) == 0;
}

TEST(EtcdAuthTest, AuthenticatesWithUserAndPasswordAndNamesTheUserWhenRefused) {
  auto etcd = testing::EtcdProcess::Start();
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  std::string endpoint = (*etcd)->endpoint();
  ASSERT_TRUE(Etcdctl(endpoint, {"user", "add", "root:s3cret", "--interactive=false"}));
  ASSERT_TRUE(Etcdctl(endpoint, {"auth", "enable"}));

  auto anonymous = EtcdClient::Create({.endpoints = {endpoint}});
  ASSERT_TRUE(anonymous.ok());
  EXPECT_FALSE((*anonymous)->Put("k", "v").ok());

  auto client = EtcdClient::Create(
      {.endpoints = {endpoint}, .username = "root", .password = "s3cret"});
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Put("k", "v").ok());
  auto lease = (*client)->LeaseGrant(absl::Seconds(5));
  ASSERT_TRUE(lease.ok()) << lease.status();
  etcdserverpb::WatchCreateRequest create;
  create.set_key("k");
  auto watch = (*client)->Watch(create);
  ASSERT_TRUE(watch.ok());
  auto created = (*watch)->Read();
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->created());

  auto wrong = EtcdClient::Create({.endpoints = {endpoint}, .username = "root", .password = "nope"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("Authenticate as root"), std::string::npos)
      << wrong.status();
}

}  // namespace
}  // namespace switchboard

namespace switchboard {
namespace {

// etcd serving clients over TLS, requiring client certificates signed by
// the test CA; healthy once etcdctl, with a client certificate, says so.
absl::StatusOr<std::unique_ptr<testing::ChildProcess>> StartTlsEtcd(const testing::TempDir& dir,
                                                                   int client_port) {
  int peer_port = testing::PickFreePort();
  std::string client = absl::StrCat("https://127.0.0.1:", client_port);
  std::string peer = absl::StrCat("http://127.0.0.1:", peer_port);
  auto etcd = testing::ChildProcess::Start(
      {"etcd", "--name", "tls", "--data-dir", dir.File("data"), "--listen-client-urls", client,
       "--advertise-client-urls", client, "--listen-peer-urls", peer,
       "--initial-advertise-peer-urls", peer, "--initial-cluster", "tls=" + peer,
       "--unsafe-no-fsync", "--heartbeat-interval", "10", "--election-timeout", "50",
       "--cert-file", dir.File("server.pem"), "--key-file", dir.File("server-key.pem"),
       "--client-cert-auth", "--trusted-ca-file", dir.File("ca.pem")},
      {.log_path = dir.File("etcd.log")});
  if (!etcd.ok()) return etcd.status();
  bool healthy = testing::WaitFor([&] {
    return Etcdctl(client, {"--cacert=" + dir.File("ca.pem"), "--cert=" + dir.File("client.pem"),
                            "--key=" + dir.File("client-key.pem"), "endpoint", "health"});
  }, absl::Seconds(20), absl::Milliseconds(50));
  if (!healthy) return absl::UnavailableError("etcd with TLS did not become healthy");
  return etcd;
}

TEST(EtcdTlsTest, TalksTlsWithClientCertificatesAndRefusesWithout) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::MakeTestCertificates(dir.path()).ok());
  int port = testing::PickFreePort();
  std::string endpoint = absl::StrCat("127.0.0.1:", port);
  auto etcd = StartTlsEtcd(dir, port);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto client = EtcdClient::Create({.endpoints = {endpoint},
                                    .ca_file = dir.File("ca.pem"),
                                    .cert_file = dir.File("client.pem"),
                                    .key_file = dir.File("client-key.pem")});
  ASSERT_TRUE(client.ok()) << client.status();
  auto put = (*client)->Put("k", "v");
  ASSERT_TRUE(put.ok()) << put.status();

  // No client certificate: refused, and the error names the endpoint.
  auto anonymous = EtcdClient::Create({.endpoints = {endpoint},
                                       .request_timeout = absl::Milliseconds(500),
                                       .ca_file = dir.File("ca.pem")});
  ASSERT_TRUE(anonymous.ok());
  auto refused = (*anonymous)->Put("k", "v");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(endpoint), std::string::npos);

  // A missing file is named.
  auto missing = EtcdClient::Create({.endpoints = {endpoint}, .ca_file = dir.File("nope.pem")});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.pem"), std::string::npos);
}

}  // namespace
}  // namespace switchboard
