// The dns and dns+srv schemes' forms; parameters: dns_source_test.cc.
#include "switchboard/lookup/dns/dns_factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<DnsSourceOptions> Parse(absl::string_view uri) {
  return DnsSourceOptionsFromUri(*ParseSourceUri(uri));
}

TEST(DnsSourceFactoryTest, DnsWithSystemResolvers) {
  absl::StatusOr<DnsSourceOptions> options = Parse("dns:///greeter.default.svc.cluster.local:50051");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->records, DnsSourceOptions::Records::kAddress);
  EXPECT_FALSE(options->server.has_value());
  EXPECT_EQ(options->name, "greeter.default.svc.cluster.local");
  EXPECT_EQ(options->port, 50051);
}

TEST(DnsSourceFactoryTest, DnsWithServerAndDefaultPorts) {
  absl::StatusOr<DnsSourceOptions> options = Parse("dns://127.0.0.1:5353/greeter.test:50051");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->server, (HostPort{"127.0.0.1", 5353}));

  options = Parse("dns://[::1]/greeter.test");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->server, (HostPort{"::1", 53}));
  EXPECT_EQ(options->port, 443);
}

TEST(DnsSourceFactoryTest, DnsRejectsBadNames) {
  EXPECT_FALSE(Parse("dns:///").ok());
  EXPECT_FALSE(Parse("dns:///bad..name:1").ok());
  EXPECT_FALSE(Parse("dns:///a/b:1").ok());
  EXPECT_FALSE(Parse("dns:///host:port").ok());
  EXPECT_FALSE(Parse("dns://1.2.3.4:99999/host:1").ok());
  EXPECT_THAT(Parse("dns:///").status().message(),
              HasSubstr("accepted forms:\n  dns:///name[:port]\n  dns://server[:port]/name[:port]"));
}

TEST(DnsSourceFactoryTest, DnsSrv) {
  absl::StatusOr<DnsSourceOptions> options =
      Parse("dns+srv://127.0.0.1:5353/_grpc._tcp.greeter.test?service=greeter");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->records, DnsSourceOptions::Records::kSrv);
  EXPECT_EQ(options->name, "_grpc._tcp.greeter.test");
  EXPECT_EQ(options->port, 0);
  EXPECT_EQ(options->service, "greeter");
  EXPECT_TRUE(Parse("dns+srv:///_grpc._tcp.example.com").ok());
}

TEST(DnsSourceFactoryTest, DnsSrvRejectsPortsAndNonSrvNames) {
  EXPECT_THAT(Parse("dns+srv:///_grpc._tcp.example.com:50051").status().message(), HasSubstr("no port"));
  EXPECT_THAT(Parse("dns+srv:///greeter.example.com").status().message(),
              HasSubstr("_service._proto.domain"));
}

TEST(DnsSourceFactoryTest, TwoFactoriesDescribeTheirOwnParameters) {
  std::unique_ptr<LookupSourceFactory> dns = MakeDnsAddressSourceFactory();
  std::unique_ptr<LookupSourceFactory> srv = MakeDnsSrvSourceFactory();
  EXPECT_EQ(dns->description().scheme, "dns");
  EXPECT_EQ(srv->description().scheme, "dns+srv");
  EXPECT_THAT(dns->description().parameters, ::testing::Contains("family"));
  EXPECT_THAT(srv->description().parameters, ::testing::Contains("priority"));
  EXPECT_TRUE(dns->Validate(*ParseSourceUri("dns:///a.test:1?family=ipv6")).ok());
  EXPECT_THAT(srv->Validate(*ParseSourceUri("dns+srv:///_grpc._tcp.greeter.test?family=x")).message(),
              HasSubstr("unknown parameter 'family'"));
  absl::StatusOr<std::unique_ptr<LookupSource>> source = dns->Create(*ParseSourceUri("dns:///a.test:1"));
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Describe(), "dns:///a.test:1");
}

}  // namespace
}  // namespace switchboard
