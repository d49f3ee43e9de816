#include "switchboard/lookup/source_uri.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard {
namespace {

using ::testing::HasSubstr;

TEST(SourceUriTest, EtcdWithSeveralEndpointsAndPrefix) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri("etcd://127.0.0.1:2379,[::1]:23790,etcd.test/switchboard/services/");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->scheme, SourceUri::Scheme::kEtcd);
  EXPECT_EQ(uri->scheme_name, "etcd");
  ASSERT_EQ(uri->servers.size(), 3u);
  EXPECT_EQ(uri->servers[0], (HostPort{"127.0.0.1", 2379}));
  EXPECT_EQ(uri->servers[1], (HostPort{"::1", 23790}));
  EXPECT_EQ(uri->servers[2], (HostPort{"etcd.test", 2379}));
  EXPECT_EQ(uri->target, "switchboard/services/");
}

TEST(SourceUriTest, EtcdPrefixIsWhatFollowsTheSeparatingSlash) {
  EXPECT_EQ(ParseSourceUri("etcd://127.0.0.1:2379")->target, "");
  EXPECT_EQ(ParseSourceUri("etcd://127.0.0.1:2379/")->target, "");
  EXPECT_EQ(ParseSourceUri("etcd://127.0.0.1:2379//sb/?service=greeter")->target, "/sb/");
}

TEST(SourceUriTest, EtcdNeedsEndpointsAndPrefix) {
  EXPECT_THAT(ParseSourceUri("etcd:///services/").status().message(), HasSubstr("endpoint"));
  EXPECT_THAT(ParseSourceUri("etcd://127.0.0.1:0/p").status().message(), HasSubstr("1..65535"));
}

TEST(SourceUriTest, DnsWithSystemResolvers) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri("dns:///greeter.default.svc.cluster.local:50051");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->scheme, SourceUri::Scheme::kDns);
  EXPECT_TRUE(uri->servers.empty());
  EXPECT_EQ(uri->target, "greeter.default.svc.cluster.local");
  EXPECT_EQ(uri->port, 50051);
}

TEST(SourceUriTest, DnsWithServerAndDefaultPorts) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri("dns://127.0.0.1:5353/greeter.test:50051");
  ASSERT_TRUE(uri.ok()) << uri.status();
  ASSERT_EQ(uri->servers.size(), 1u);
  EXPECT_EQ(uri->servers[0], (HostPort{"127.0.0.1", 5353}));

  uri = ParseSourceUri("dns://[::1]/greeter.test");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->servers[0], (HostPort{"::1", 53}));
  EXPECT_EQ(uri->port, 443);
}

TEST(SourceUriTest, DnsRejectsBadNames) {
  EXPECT_FALSE(ParseSourceUri("dns:///").ok());
  EXPECT_FALSE(ParseSourceUri("dns:///bad..name:1").ok());
  EXPECT_FALSE(ParseSourceUri("dns:///a/b:1").ok());
  EXPECT_FALSE(ParseSourceUri("dns:///host:port").ok());
  EXPECT_FALSE(ParseSourceUri("dns://1.2.3.4:99999/host:1").ok());
}

TEST(SourceUriTest, DnsSrv) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri("dns+srv://127.0.0.1:5353/_grpc._tcp.greeter.test?service=greeter");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->scheme, SourceUri::Scheme::kDnsSrv);
  EXPECT_EQ(uri->target, "_grpc._tcp.greeter.test");
  EXPECT_EQ(uri->port, 0);
  EXPECT_EQ(uri->params.at("service"), "greeter");
  EXPECT_TRUE(ParseSourceUri("dns+srv:///_grpc._tcp.example.com").ok());
}

TEST(SourceUriTest, DnsSrvRejectsPortsAndNonSrvNames) {
  EXPECT_THAT(ParseSourceUri("dns+srv:///_grpc._tcp.example.com:50051").status().message(),
              HasSubstr("no port"));
  EXPECT_THAT(ParseSourceUri("dns+srv:///greeter.example.com").status().message(),
              HasSubstr("_service._proto.domain"));
}

TEST(SourceUriTest, File) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri("file:///etc/switchboard/services%20v2.json?interval=1s");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->scheme, SourceUri::Scheme::kFile);
  EXPECT_EQ(uri->target, "/etc/switchboard/services v2.json");
  EXPECT_TRUE(ParseSourceUri("file://localhost/tmp/s.json").ok());
  EXPECT_THAT(ParseSourceUri("file://tmp/s.json").status().message(), HasSubstr("three slashes"));
  EXPECT_FALSE(ParseSourceUri("file:///tmp/").ok());
  EXPECT_FALSE(ParseSourceUri("file://").ok());
}

TEST(SourceUriTest, QueryParameters) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri("dns:///a.test:1?interval=200ms&service=gr%65eter&empty_on_nxdomain=false");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->params.size(), 3u);
  EXPECT_EQ(*DurationParam(*uri, "interval", absl::Seconds(5)), absl::Milliseconds(200));
  EXPECT_EQ(*DurationParam(*uri, "timeout", absl::Seconds(2)), absl::Seconds(2));
  EXPECT_EQ(StringParam(*uri, "service", "x"), "greeter");
  EXPECT_FALSE(*BoolParam(*uri, "empty_on_nxdomain", true));
  EXPECT_TRUE(CheckKnownParams(*uri, {"interval", "service", "empty_on_nxdomain"}).ok());
  EXPECT_THAT(CheckKnownParams(*uri, {"interval", "service"}).message(),
              HasSubstr("unknown parameter 'empty_on_nxdomain'"));

  EXPECT_THAT(ParseSourceUri("dns:///a.test:1?interval=1s&interval=2s").status().message(),
              HasSubstr("twice"));
  EXPECT_FALSE(ParseSourceUri("dns:///a.test:1?x=%zz").ok());
  uri = ParseSourceUri("dns:///a.test:1?interval=soon");
  ASSERT_TRUE(uri.ok());
  EXPECT_THAT(DurationParam(*uri, "interval", absl::Seconds(1)).status().message(),
              HasSubstr("interval='soon'"));
}

TEST(SourceUriTest, BadUrisShowTheAcceptedForms) {
  for (const char* bad : {"greeter.test:50051", "http://x/y", "", "dns:/a:1"}) {
    absl::Status status = ParseSourceUri(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("dns+srv:///_service._proto.domain")) << bad;
    EXPECT_THAT(status.message(), HasSubstr(bad)) << bad;
  }
}

TEST(SourceUriTest, EtcdSourceUriFromEndpointsParsesBack) {
  EXPECT_EQ(EtcdSourceUri("127.0.0.1:2379"), "etcd://127.0.0.1:2379/");
  std::string uri = EtcdSourceUri("http://a:2379,,b:2379", "sb/");
  EXPECT_EQ(uri, "etcd://a:2379,b:2379/sb/");
  absl::StatusOr<SourceUri> parsed = ParseSourceUri(uri);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->scheme, SourceUri::Scheme::kEtcd);
  ASSERT_EQ(parsed->servers.size(), 2u);
  EXPECT_EQ(parsed->servers[1].ToString(), "b:2379");
  EXPECT_EQ(parsed->target, "sb/");
}

TEST(HostPortTest, ParsesAndFormats) {
  EXPECT_EQ(ParseHostPort("[::1]:50051")->ToString(), "[::1]:50051");
  EXPECT_EQ(ParseHostPort("a.test", 80)->ToString(), "a.test:80");
  EXPECT_FALSE(ParseHostPort("::1:50051").ok());
  EXPECT_FALSE(ParseHostPort("a.test").ok());
  EXPECT_FALSE(ParseHostPort(":50").ok());
  EXPECT_FALSE(ParseHostPort("a.test:+5").ok());
  EXPECT_FALSE(ParseHostPort("[a.test]:5").ok());
  EXPECT_EQ(JoinHostPort("fe80::1", 5), "[fe80::1]:5");
}

}  // namespace
}  // namespace switchboard
