#include "switchboard/registry/naming_codec.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace switchboard {
namespace {

TEST(NamingCodecTest, RoundTripsFullMetadata) {
  Instance in{"greeter", "10.0.0.1:50051",
              {.weight = 3, .zone = "z1", .version = "1.2", .draining = true,
               .labels = {{"team", "core"}}}};
  std::string key = RegistryKey("sb/", in);
  EXPECT_EQ(key, "sb/greeter/10.0.0.1:50051");
  auto out = DecodeInstance("sb/", key, EncodeInstanceValue(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, in);
}

TEST(NamingCodecTest, DefaultMetadataEncodesAsNullLikeGrpcGo) {
  Instance in{"greeter", "127.0.0.1:1", {}};
  EXPECT_EQ(EncodeInstanceValue(in), R"({"Addr":"127.0.0.1:1","Metadata":null,"Op":0})");
}

TEST(NamingCodecTest, DecodesGrpcGoEndpointsManagerValues) {
  auto out = DecodeInstance("", "foo/bar/my-service/1.2.3.4:80",
                            R"({"Op":0,"Addr":"1.2.3.4:80","Metadata":null})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->service, "foo/bar/my-service");
  EXPECT_EQ(out->address, "1.2.3.4:80");
  EXPECT_EQ(out->metadata, InstanceMetadata{});
  // Metadata of a foreign shape is not ours to read: defaults.
  auto other = DecodeInstance("", "s/1.2.3.4:80", R"({"Addr":"1.2.3.4:80","Metadata":"v1"})");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->metadata.weight, 1u);
}

TEST(NamingCodecTest, IPv6Address) {
  auto out = DecodeInstance("", "s/[::1]:80", R"({"Addr":"[::1]:80"})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->service, "s");
}

void ExpectBad(absl::string_view key, absl::string_view value, absl::string_view why) {
  auto out = DecodeInstance("p/", key, value);
  ASSERT_FALSE(out.ok()) << key << " " << value;
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find(key), std::string::npos) << out.status();
  EXPECT_NE(out.status().message().find(why), std::string::npos) << out.status();
}

TEST(NamingCodecTest, GarbageIsRejectedWithTheKeyAndTheReason) {
  ExpectBad("p/s/h:1", "not json", "not JSON");
  ExpectBad("p/s/h:1", "[1,2]", "JSON object");
  ExpectBad("p/s/h:1", R"({"Op":0})", "no Addr");
  ExpectBad("p/s/h:1", R"({"Addr":42})", "Addr must be a string");
  ExpectBad("p/s/h:1", R"({"Addr":"nope"})", "not host:port");
  ExpectBad("p/s/h:1", R"({"Addr":"h:0"})", "not host:port");
  ExpectBad("p/s/h:1", R"({"Addr":"bad host:1"})", "not host:port");
  ExpectBad("p/s/h:1", R"({"Addr":"h:1","Op":1})", "not an add");
  ExpectBad("p/s/h:1", R"({"Addr":"h:1","Op":"0"})", "Op must be an integer");
  ExpectBad("p/s/h:1", R"({"Addr":"h:1","Metadata":{"weight":"3"}})", "weight must be an integer");
  ExpectBad("p/s/h:1", R"({"Addr":"h:1","Metadata":{"weight":0}})", "weight must be 1..");
  ExpectBad("p/s/h:1", R"({"Addr":"h:1","Metadata":{"zone":7}})", "zone must be a string");
  ExpectBad("p/s/h:1", R"({"Addr":"h:1","Metadata":{"draining":"yes"}})", "draining must be a boolean");
  ExpectBad("p/s/h:1", R"({"Addr":"h:1","Metadata":{"labels":{"a":1}}})", "labels.a must be a string");
  ExpectBad("p//h:1", R"({"Addr":"h:1"})", "no service part");
  ExpectBad("p/h:1", R"({"Addr":"h:1"})", "no '/<address>' part");
  ExpectBad("p/noaddress", R"({"Addr":"h:1"})", "no '/<address>' part");
  ExpectBad("p/s/h:1", std::string(kMaxInstanceValueBytes + 1, ' '), "too large");
}

// A key whose address part is not its Addr is refused: otherwise a stray
// "greeter/dup-of-50061" carrying 50061's Addr with weight 10000 would
// take over the live instance's traffic.
TEST(NamingCodecTest, KeyMustBeServiceSlashAddr) {
  ExpectBad("p/greeter/dup-of-50061", R"({"Addr":"127.0.0.1:50061","Metadata":{"weight":10000}})",
            "the key's address part 'dup-of-50061' is not its Addr '127.0.0.1:50061'");
  ExpectBad("p/greeter/127.0.0.1:50062", R"({"Addr":"127.0.0.1:50061"})",
            "must be <service>/<Addr>");
  EXPECT_TRUE(DecodeInstance("p/", "p/greeter/127.0.0.1:50061", R"({"Addr":"127.0.0.1:50061"})").ok());
}

// What a record's author wrote is echoed escaped and cut short.
TEST(NamingCodecTest, ErrorsEchoOutsideTextEscapedAndCut) {
  const std::string long_label(40 * 1024, 'x');
  auto out = DecodeInstance(
      "", "s/1.2.3.4:80",
      absl::StrCat(R"({"Addr":"1.2.3.4:80","Metadata":{"zone":[")", long_label, R"("]}})"));
  ASSERT_FALSE(out.ok());
  EXPECT_LT(out.status().message().size(), 400u) << out.status().message().substr(0, 400);
  EXPECT_NE(out.status().message().find("bytes shown)"), std::string::npos);

  const std::string long_key = absl::StrCat("s/", std::string(100000, 'k'));
  auto long_key_out = DecodeInstance("", long_key, R"({"Addr":"1.2.3.4:80"})");
  ASSERT_FALSE(long_key_out.ok());
  EXPECT_LT(long_key_out.status().message().size(), 800u);

  auto control = DecodeInstance("", "s\n\x1b[2J/1.2.3.4:80", "nope");
  ASSERT_FALSE(control.ok());
  EXPECT_NE(control.status().message().find("'s\\n\\x1b[2J/1.2.3.4:80'"), std::string::npos)
      << control.status();
}

TEST(NamingCodecTest, ValidateInstance) {
  EXPECT_TRUE(ValidateInstance({"greeter", "127.0.0.1:5", {}}).ok());
  EXPECT_TRUE(ValidateInstance({"greeter.v2_eu-1", "[::1]:5", {}}).ok());
  EXPECT_FALSE(ValidateInstance({"", "127.0.0.1:5", {}}).ok());
  EXPECT_FALSE(ValidateInstance({"greeter/", "127.0.0.1:5", {}}).ok());
  EXPECT_FALSE(ValidateInstance({"greeter", "127.0.0.1", {}}).ok());
  EXPECT_FALSE(ValidateInstance({"greeter", "127.0.0.1:70000", {}}).ok());
  EXPECT_FALSE(ValidateInstance({"greeter", "127.0.0.1:1", {.weight = 0}}).ok());
}

void ExpectRefused(const Instance& instance, absl::string_view says) {
  absl::Status status = ValidateInstance(instance);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << instance.service << " " << instance.address;
  EXPECT_NE(status.message().find(says), std::string::npos) << status;
}

// A '/' nests one service under another's key prefix; spaces and control
// characters break tables and xDS names. The message says what is allowed.
TEST(NamingCodecTest, ServiceNamesOutsideTheCharsetAreRefusedSayingWhatIsAllowed) {
  ExpectRefused({"a/b", "127.0.0.1:5", {}}, "service name 'a/b' contains '/'");
  ExpectRefused({"my svc", "127.0.0.1:5", {}}, "contains a space");
  ExpectRefused({"my svc", "127.0.0.1:5", {}}, kServiceNameRule);
  ExpectRefused({"a\nb", "127.0.0.1:5", {}}, "'a\\nb' contains '\\n'");
  ExpectRefused({"-greeter", "127.0.0.1:5", {}}, "does not start with a letter or digit");
  ExpectRefused({std::string(kMaxServiceNameBytes + 1, 'a'), "127.0.0.1:5", {}}, "129 bytes long");
  EXPECT_TRUE(ValidateServiceName(std::string(kMaxServiceNameBytes, 'a')).ok());
}

// xDS endpoints are IPs: a name is skipped by the control plane, a
// wildcard cannot be dialled. Both would register an instance that never
// gets traffic.
TEST(NamingCodecTest, NamesAndWildcardsAreRefusedAsAddresses) {
  ExpectRefused({"greeter", "localhost:50051", {}}, "'localhost' is a name, not an IP address");
  ExpectRefused({"greeter", "localhost:50051", {}}, "e.g. 127.0.0.1:50051");
  ExpectRefused({"greeter", "0.0.0.0:50051", {}}, "no client can dial it");
  ExpectRefused({"greeter", "[::]:50051", {}}, "no client can dial it");
  ExpectRefused({"greeter", "[::0]:50051", {}}, "no client can dial it");
  EXPECT_TRUE(ValidateInstance({"greeter", "[::1]:50051", {}}).ok());
  EXPECT_TRUE(ValidateInstance({"greeter", "10.0.0.1:50051", {}}).ok());
}

}  // namespace
}  // namespace switchboard
