// The etcd client against a real etcd.
#include "etcd/etcd_client.h"

#include <gtest/gtest.h>

#include "harness/etcd_process.h"

namespace switchboard {
namespace {

using testing::EtcdProcess;

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdProcess::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = std::move(*etcd);
    auto client = EtcdClient::Create({.endpoints = {etcd_->endpoint()}});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  std::unique_ptr<EtcdProcess> etcd_;
  std::unique_ptr<EtcdClient> client_;
};

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
