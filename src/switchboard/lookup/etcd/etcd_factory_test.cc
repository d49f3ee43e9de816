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
                        "max_retry_delay)"));
  EXPECT_THAT(Parse("etcd://127.0.0.1:2379/?max_retry_delay=soon").status().message(),
              HasSubstr("max_retry_delay='soon'"));
  EXPECT_FALSE(Parse("file:///x.json").ok());
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
