// A GoogleTest fixture with a real etcd member and a client of it, for the
// tests that write and read the registry themselves.
//
// Example:
//   class RegistrarTest : public testing::EtcdTest {
//    protected:
//     RegistrarTest() : EtcdTest(absl::Milliseconds(500)) {}
//   };
//   TEST_F(RegistrarTest, Registers) { ASSERT_TRUE(client_->Put("k", "v").ok()); }
//
// Header-only, so that the testing library itself needs no GoogleTest.
// Threading: as any fixture, set up and torn down on the test's thread;
// the client is thread-safe.
#ifndef SWITCHBOARD_TESTING_ETCD_TEST_H_
#define SWITCHBOARD_TESTING_ETCD_TEST_H_

#include <memory>
#include <optional>
#include <utility>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "switchboard/etcd/etcd_client.h"
#include "testing/etcd_process.h"

namespace switchboard::testing {

class EtcdTest : public ::testing::Test {
 protected:
  // `request_timeout`: of the clients NewClient() makes (and client_);
  // none keeps EtcdClientOptions' default.
  explicit EtcdTest(std::optional<absl::Duration> request_timeout = std::nullopt)
      : request_timeout_(request_timeout) {}

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EtcdProcess>> etcd = EtcdProcess::Start();
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = std::move(*etcd);
    client_ = NewClient();
    ASSERT_NE(client_, nullptr);
  }

  // A new client of the member; null (with a test failure) if it cannot be made.
  std::shared_ptr<EtcdClient> NewClient() {
    EtcdClientOptions options{.endpoints = {etcd_->endpoint()}};
    if (request_timeout_) options.request_timeout = *request_timeout_;
    absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    return std::move(*client);
  }

  std::unique_ptr<EtcdProcess> etcd_;
  std::shared_ptr<EtcdClient> client_;

 private:
  const std::optional<absl::Duration> request_timeout_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_ETCD_TEST_H_
