#include "switchboard/cli/command_line.h"

#include <gtest/gtest.h>

namespace switchboard::cli {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {.name = "service", .value_name = "S"},
    {.name = "ttl", .value_name = "DURATION"},
    {.name = "meta", .value_name = "K=V", .repeatable = true},
    {.name = "json", .boolean = true},
};

TEST(ParseFlagsTest, EqualsAndSpaceFormsAreTheSame) {
  auto a = ParseFlags({"--service=greeter", "--ttl", "10s"}, kSpecs);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Get("service"), "greeter");
  EXPECT_EQ(a->Get("ttl"), "10s");
  auto b = ParseFlags({"--service", "greeter", "--ttl=10s"}, kSpecs);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->Get("service"), "greeter");
  EXPECT_EQ(b->Get("ttl"), "10s");
}

TEST(ParseFlagsTest, SingleDashAlsoWorks) {
  auto a = ParseFlags({"-service=greeter"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Get("service"), "greeter");
}

TEST(ParseFlagsTest, Booleans) {
  auto a = ParseFlags({"--json"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->IsSet("json"));
  auto b = ParseFlags({"--json=false"}, kSpecs);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->IsSet("json"));
  auto c = ParseFlags({"--json=yes"}, kSpecs);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--json"), std::string::npos);
  // A boolean does not swallow the next argument.
  auto d = ParseFlags({"--json", "greeter"}, kSpecs);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->positionals(), std::vector<std::string>{"greeter"});
}

TEST(ParseFlagsTest, RepeatableKeepsOrder) {
  auto a = ParseFlags({"--meta", "a=1", "--meta=b=2"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->GetAll("meta"), (std::vector<std::string>{"a=1", "b=2"}));
}

TEST(ParseFlagsTest, ErrorsNameTheFlag) {
  auto unknown = ParseFlags({"--sevrice=x"}, kSpecs);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "unknown flag --sevrice");
  auto missing = ParseFlags({"--service"}, kSpecs);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "--service needs a value: --service=S");
  auto swallowed = ParseFlags({"--service", "--json"}, kSpecs);
  ASSERT_FALSE(swallowed.ok());
  EXPECT_NE(swallowed.status().message().find("--service needs a value"), std::string::npos);
  auto twice = ParseFlags({"--service=a", "--service=b"}, kSpecs);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "--service given twice");
}

TEST(ParseFlagsTest, HelpPositionalsAndDoubleDash) {
  auto a = ParseFlags({"greeter", "--help", "--", "--json"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->help());
  EXPECT_EQ(a->positionals(), (std::vector<std::string>{"greeter", "--json"}));
  EXPECT_FALSE(a->IsSet("json"));
  EXPECT_EQ(a->Get("service", "fallback"), "fallback");
}

TEST(FormatFlagHelpTest, AlignsAndShowsDefaults) {
  std::string help = FormatFlagHelp({{.name = "ttl", .value_name = "DURATION", .help = "lease",
                                      .default_text = "10s"},
                                     {.name = "json", .help = "JSON", .boolean = true},
                                     {.name = "meta", .value_name = "K=V", .help = "label",
                                      .repeatable = true}});
  EXPECT_EQ(help,
            "  --ttl DURATION  lease [default: 10s]\n"
            "  --json          JSON\n"
            "  --meta K=V      label (repeatable)\n");
}

TEST(ParseDurationFlagTest, AcceptsUnitsRejectsTheRest) {
  EXPECT_EQ(*ParseDurationFlag("ttl", "10s"), absl::Seconds(10));
  EXPECT_EQ(*ParseDurationFlag("ttl", "500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDurationFlag("ttl", "1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDurationFlag("ttl", "1.5s"), absl::Milliseconds(1500));
  for (const char* bad : {"10", "", "-1s", "0s", "ten seconds", "inf"}) {
    auto d = ParseDurationFlag("ttl", bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_NE(d.status().message().find("--ttl="), std::string::npos) << d.status();
    EXPECT_NE(d.status().message().find("10s"), std::string::npos);
  }
}

TEST(ParseIntFlagTest, Range) {
  EXPECT_EQ(*ParseIntFlag("weight", "3", 1, 10000), 3);
  EXPECT_FALSE(ParseIntFlag("weight", "0", 1, 10000).ok());
  EXPECT_FALSE(ParseIntFlag("weight", "x", 1, 10000).ok());
  EXPECT_EQ(ParseIntFlag("weight", "10001", 1, 10000).status().message(),
            "--weight=10001: want a whole number in 1..10000");
}

TEST(ParseKeyValueFlagTest, SplitsOnFirstEquals) {
  auto kv = ParseKeyValueFlag("meta", "url=http://a?b=c");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "url");
  EXPECT_EQ(kv->second, "http://a?b=c");
  EXPECT_EQ(ParseKeyValueFlag("meta", "empty=")->second, "");
  EXPECT_FALSE(ParseKeyValueFlag("meta", "novalue").ok());
  EXPECT_FALSE(ParseKeyValueFlag("meta", "=v").ok());
  EXPECT_NE(ParseKeyValueFlag("meta", "x").status().message().find("--meta"), std::string::npos);
}

TEST(CheckHostPortFlagTest, Forms) {
  EXPECT_TRUE(CheckHostPortFlag("addr", "127.0.0.1:50051").ok());
  EXPECT_TRUE(CheckHostPortFlag("addr", "[::1]:50051").ok());
  EXPECT_TRUE(CheckHostPortFlag("addr", "localhost:1").ok());
  EXPECT_FALSE(CheckHostPortFlag("addr", "127.0.0.1").ok());
  EXPECT_FALSE(CheckHostPortFlag("addr", ":50051").ok());
  EXPECT_FALSE(CheckHostPortFlag("addr", "::1:50051").ok());
  EXPECT_FALSE(CheckHostPortFlag("addr", "h:0").ok());
  EXPECT_TRUE(CheckHostPortFlag("listen", "h:0", /*allow_port_zero=*/true).ok());
  EXPECT_FALSE(CheckHostPortFlag("addr", "h:70000").ok());
  EXPECT_NE(CheckHostPortFlag("addr", "h").message().find("--addr=h"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::cli
