// The etcd scheme's form and parameters; no etcd needed.
#include "switchboard/lookup/etcd/etcd_factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<EtcdSourceConfig> Parse(absl::string_view uri) {
  return EtcdSourceConfigFromUri(*ParseSourceUri(uri));
}

TEST(EtcdSourceFactoryTest, SeveralEndpointsAndPrefix) {
  absl::StatusOr<EtcdSourceConfig> config =
      Parse("etcd://127.0.0.1:2379,[::1]:23790,etcd.test/switchboard/services/");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->endpoints.size(), 3u);
  EXPECT_EQ(config->endpoints[0], (HostPort{"127.0.0.1", 2379}));
  EXPECT_EQ(config->endpoints[1], (HostPort{"::1", 23790}));
  EXPECT_EQ(config->endpoints[2], (HostPort{"etcd.test", 2379}));
  EXPECT_EQ(config->watcher.prefix, "switchboard/services/");
}

TEST(EtcdSourceFactoryTest, PrefixIsWhatFollowsTheSeparatingSlash) {
  EXPECT_EQ(Parse("etcd://127.0.0.1:2379")->watcher.prefix, "");
  EXPECT_EQ(Parse("etcd://127.0.0.1:2379/")->watcher.prefix, "");
  EXPECT_EQ(Parse("etcd://127.0.0.1:2379//sb/?service=greeter")->watcher.prefix, "/sb/");
}

TEST(EtcdSourceFactoryTest, NeedsEndpoints) {
  EXPECT_THAT(Parse("etcd:///services/").status().message(), HasSubstr("endpoint"));
  EXPECT_THAT(Parse("etcd:///services/").status().message(),
              HasSubstr("accepted forms:\n  etcd://host:port[,host:port...]/[key/prefix/]"));
  EXPECT_THAT(Parse("etcd://127.0.0.1:0/p").status().message(), HasSubstr("1..65535"));
}

TEST(EtcdSourceFactoryTest, Parameters) {
  absl::StatusOr<EtcdSourceConfig> config =
      Parse("etcd://127.0.0.1:2379/?service=greeter&request_timeout=3s&max_retry_delay=200ms");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->watcher.service, "greeter");
  EXPECT_EQ(config->request_timeout, absl::Seconds(3));
  EXPECT_EQ(config->watcher.max_retry_delay, absl::Milliseconds(200));
  EXPECT_THAT(Parse("etcd://127.0.0.1:2379/?colour=red").status().message(),
              HasSubstr("unknown parameter 'colour' for etcd (known: service, request_timeout, "
                        "max_retry_delay, ca, cert, key, tls, user, password-file)"));
  EXPECT_THAT(Parse("etcd://127.0.0.1:2379/?max_retry_delay=soon").status().message(),
              HasSubstr("max_retry_delay='soon'"));
  EXPECT_FALSE(Parse("file:///x.json").ok());
}

TEST(EtcdSourceFactoryTest, TlsAndAuthParameters) {
  absl::StatusOr<EtcdSourceConfig> config = Parse(
      "etcd://127.0.0.1:2379/?ca=/etc/sb/ca.pem&cert=/etc/sb/c.pem&key=/etc/sb/k.pem&tls=true"
      "&user=sb&password-file=/etc/sb/pw");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->security.ca_file, "/etc/sb/ca.pem");
  EXPECT_EQ(config->security.cert_file, "/etc/sb/c.pem");
  EXPECT_EQ(config->security.key_file, "/etc/sb/k.pem");
  EXPECT_TRUE(config->security.tls);
  EXPECT_EQ(config->security.user, "sb");
  EXPECT_EQ(config->security.password_file, "/etc/sb/pw");
  EXPECT_THAT(Parse("etcd://127.0.0.1:2379/?tls=maybe").status().message(),
              HasSubstr("tls='maybe' is not true or false"));
  // Files are read when the source is made; the error names the parameter.
  absl::StatusOr<std::unique_ptr<LookupSource>> source = MakeEtcdSourceFactory()->Create(
      *ParseSourceUri("etcd://127.0.0.1:2379/?ca=/nonexistent/ca.pem"));
  ASSERT_FALSE(source.ok());
  EXPECT_THAT(source.status().message(), HasSubstr("ca=/nonexistent/ca.pem: cannot read"));
}

TEST(EtcdSourceFactoryTest, FlagsBecomeParametersWhereTheUriHasNone) {
  EtcdSecurity security{.ca_file = "/a b/ca.pem", .user = "sb", .password_file = "/pw&x"};
  EXPECT_EQ(*WithEtcdSecurityDefaults("etcd://h:2379/p/", security),
            "etcd://h:2379/p/?ca=/a%20b/ca.pem&user=sb&password-file=/pw%26x");
  EXPECT_EQ(*WithEtcdSecurityDefaults("etcd://h:2379/?user=me", security),
            "etcd://h:2379/?user=me&ca=/a%20b/ca.pem&password-file=/pw%26x");
  EXPECT_EQ(*WithEtcdSecurityDefaults("file:///x.json", security), "file:///x.json");
  EXPECT_EQ(*WithEtcdSecurityDefaults("etcd://h:2379/", {}), "etcd://h:2379/");
  absl::StatusOr<EtcdSourceConfig> round_trip =
      Parse(*WithEtcdSecurityDefaults("etcd://h:2379/p/", security));
  ASSERT_TRUE(round_trip.ok()) << round_trip.status();
  EXPECT_EQ(round_trip->security.ca_file, "/a b/ca.pem");
  EXPECT_EQ(round_trip->security.password_file, "/pw&x");
}

TEST(EtcdSourceFactoryTest, DescribesItself) {
  std::unique_ptr<LookupSourceFactory> factory = MakeEtcdSourceFactory();
  EXPECT_EQ(factory->description().scheme, "etcd");
  EXPECT_TRUE(factory->Validate(*ParseSourceUri("etcd://127.0.0.1:2379/?service=greeter")).ok());
  absl::StatusOr<std::unique_ptr<LookupSource>> source =
      factory->Create(*ParseSourceUri("etcd://127.0.0.1:2379/?service=greeter"));
  ASSERT_TRUE(source.ok()) << source.status();
}

}  // namespace
}  // namespace switchboard
