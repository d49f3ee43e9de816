#include "switchboard/lookup/source_uri.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "switchboard/common/host_port.h"

namespace switchboard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SourceUriTest, SplitsSchemeAuthorityPathAndQuery) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri("DNS://127.0.0.1:5353/greeter.test:50051?interval=2s");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->scheme, "dns");
  EXPECT_EQ(uri->authority, "127.0.0.1:5353");
  EXPECT_EQ(uri->path, "/greeter.test:50051");
  EXPECT_EQ(uri->params.at("interval"), "2s");
  EXPECT_EQ(uri->text, "DNS://127.0.0.1:5353/greeter.test:50051?interval=2s");

  uri = ParseSourceUri("etcd://127.0.0.1:2379,[::1]:23790,etcd.test/switchboard/services/");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_THAT(AuthorityHosts(*uri), ElementsAre("127.0.0.1:2379", "[::1]:23790", "etcd.test"));
  EXPECT_EQ(uri->path, "/switchboard/services/");

  uri = ParseSourceUri("anything://");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->scheme, "anything");
  EXPECT_TRUE(uri->authority.empty());
  EXPECT_TRUE(AuthorityHosts(*uri).empty());
  EXPECT_TRUE(uri->path.empty());
}

TEST(SourceUriTest, PathIsPercentDecoded) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri("file:///etc/switchboard/services%20v2.json?interval=1s");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->path, "/etc/switchboard/services v2.json");
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
  EXPECT_THAT(CheckKnownParams(*uri, {"interval", "service"}).message(),
              HasSubstr("for dns (known: interval, service)"));

  EXPECT_THAT(ParseSourceUri("dns:///a.test:1?interval=1s&interval=2s").status().message(),
              HasSubstr("twice"));
  EXPECT_FALSE(ParseSourceUri("dns:///a.test:1?x=%zz").ok());
  EXPECT_THAT(ParseSourceUri("dns:///a.test:1?=1").status().message(), HasSubstr("has no name"));
  uri = ParseSourceUri("dns:///a.test:1?interval=soon");
  ASSERT_TRUE(uri.ok());
  EXPECT_THAT(DurationParam(*uri, "interval", absl::Seconds(1)).status().message(),
              HasSubstr("interval='soon'"));
}

TEST(SourceUriTest, BadSyntaxNamesTheUri) {
  for (const char* bad : {"greeter.test:50051", "", "dns:/a:1", "://x", "dns:///a:1#frag"}) {
    absl::Status status = ParseSourceUri(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("bad source URI '", bad, "'"))) << bad;
  }
}

TEST(SourceUriTest, BadSourceUriListsTheForms) {
  absl::Status status = BadSourceUri("x://y", "no good", "  x://host");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "bad source URI 'x://y': no good; accepted forms:\n  x://host");
}

TEST(SourceUriTest, EtcdSourceUriFromEndpointsParsesBack) {
  EXPECT_EQ(EtcdSourceUri("127.0.0.1:2379"), "etcd://127.0.0.1:2379/");
  std::string uri = EtcdSourceUri("http://a:2379,,b:2379", "sb/");
  EXPECT_EQ(uri, "etcd://a:2379,b:2379/sb/");
  absl::StatusOr<SourceUri> parsed = ParseSourceUri(uri);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->scheme, "etcd");
  EXPECT_THAT(AuthorityHosts(*parsed), ElementsAre("a:2379", "b:2379"));
  EXPECT_EQ(parsed->path, "/sb/");
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
