#include "switchboard/proxy/haproxy_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "switchboard/proxy/runtime_api.h"

namespace switchboard::proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ProxyConfig TwoServices() {
  return {.runtime_socket = "/tmp/x/haproxy.sock",
          .listens = {{"greeter", {"127.0.0.1", 9001}}, {"billing", {"127.0.0.1", 9002}}},
          .authority_listen = HostPort{"127.0.0.1", 9000},
          .extra_services = {"search"}};
}

TEST(HaproxyConfigTest, OneFrontendPerServiceAndOneByAuthority) {
  const std::string text = RenderHaproxyConfig(TwoServices());
  EXPECT_THAT(text, HasSubstr("stats socket /tmp/x/haproxy.sock mode 600 level admin expose-fd listeners"));
  EXPECT_THAT(text, HasSubstr("frontend fe_greeter\n  bind 127.0.0.1:9001 proto h2\n  default_backend be_greeter\n"));
  EXPECT_THAT(text, HasSubstr("frontend fe_billing\n  bind 127.0.0.1:9002 proto h2\n"));
  EXPECT_THAT(text, Not(HasSubstr("frontend fe_search")));
  EXPECT_THAT(text, HasSubstr("frontend fe_authority\n  bind 127.0.0.1:9000 proto h2\n"));
  EXPECT_THAT(text, HasSubstr("use_backend be_search if { req.hdr(host),field(1,:) -m str search }"));
  EXPECT_THAT(text, HasSubstr("backend be_greeter\n  balance roundrobin\n"));
  EXPECT_THAT(text, HasSubstr("grpc-status 14 hdr grpc-message \"switchboard proxy: no instance of greeter is up\" if { nbsrv() lt 1 }"));
  EXPECT_THAT(text, HasSubstr("retry-on conn-failure empty-response"));
  EXPECT_THAT(text, HasSubstr("option redispatch"));
}

TEST(HaproxyConfigTest, WithoutAuthorityListenerNoUnknownServiceBackend) {
  ProxyConfig config{.runtime_socket = "/s", .listens = {{"greeter", {"127.0.0.1", 9001}}}};
  EXPECT_TRUE(ValidateProxyConfig(config).ok());
  EXPECT_THAT(RenderHaproxyConfig(config), Not(HasSubstr("fe_authority")));
}

TEST(HaproxyConfigTest, ValidationNamesTheBadThing) {
  EXPECT_TRUE(ValidateProxyConfig(TwoServices()).ok());
  EXPECT_THAT(std::string(ValidateProxyConfig({.runtime_socket = "/s"}).message()),
              HasSubstr("--listen"));
  ProxyConfig same_port{.runtime_socket = "/s",
                        .listens = {{"a", {"127.0.0.1", 9001}}, {"b", {"127.0.0.1", 9001}}}};
  EXPECT_THAT(std::string(ValidateProxyConfig(same_port).message()),
              HasSubstr("--listen b=127.0.0.1:9001: the address is taken by a"));
  ProxyConfig bad_name{.runtime_socket = "/s", .listens = {{"a b", {"127.0.0.1", 9001}}}};
  EXPECT_THAT(std::string(ValidateProxyConfig(bad_name).message()), HasSubstr("\"a b\""));
  ProxyConfig extra_alone{.runtime_socket = "/s", .listens = {{"a", {"127.0.0.1", 9001}}},
                          .extra_services = {"b"}};
  EXPECT_THAT(std::string(ValidateProxyConfig(extra_alone).message()),
              HasSubstr("--service needs --listen-authority"));
}

TEST(HaproxyVersionTest, TwoSixAndLaterPass) {
  EXPECT_TRUE(CheckHaproxyVersion("HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/\n"
                                  "Status: long-term supported branch\n").ok());
  EXPECT_TRUE(CheckHaproxyVersion("HAProxy version 3.0.5 2024/09/19\n").ok());
  absl::Status old = CheckHaproxyVersion("HAProxy version 2.4.22-0+deb11u1 2023/02/14\n");
  EXPECT_EQ(old.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(old.message()), HasSubstr("HAProxy 2.4.22 is too old: the proxy model needs 2.6"));
  EXPECT_EQ(CheckHaproxyVersion("haproxy: command not found").code(), absl::StatusCode::kInvalidArgument);
}

TEST(RuntimeReplyTest, ConfirmationsAndSilenceSucceed) {
  EXPECT_TRUE(RuntimeReplySucceeded("\n"));
  EXPECT_TRUE(RuntimeReplySucceeded("New server registered.\n\n"));
  EXPECT_TRUE(RuntimeReplySucceeded("Server deleted.\n"));
  EXPECT_FALSE(RuntimeReplySucceeded("Server still has connections attached to it, cannot remove it.\n"));
  EXPECT_FALSE(RuntimeReplySucceeded("No such server.\n"));
}

}  // namespace
}  // namespace switchboard::proxy
