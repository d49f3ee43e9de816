#include "switchboard/cli/command_dispatch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard::cli {
namespace {

using ::testing::HasSubstr;

int RunNothing(const Command&, const ParsedFlags&) { return kExitOk; }

const Command kListCommand = {
    .name = "ls",
    .summary = "List things.",
    .usage = "switchboard ls [SERVICE]",
    .flags = {{.name = "json", .help = "JSON", .boolean = true}},
    .max_positionals = 1,
    .positional_name = "SERVICE",
    .run = RunNothing,
};
const Command kUpCommandForTest = {
    .name = "up", .summary = "Run it all.", .usage = "switchboard up", .run = RunNothing};
const std::vector<const Command*> kTable = {&kUpCommandForTest, &kListCommand};

TEST(CommandDispatchTest, ACommandRunsWithItsParsedFlags) {
  Dispatch d = DispatchCommandLine(kTable, {"ls", "greeter", "--json"}, "1.0.0");
  ASSERT_EQ(d.command, &kListCommand);
  EXPECT_TRUE(d.flags.IsSet("json"));
  EXPECT_EQ(d.flags.positionals(), std::vector<std::string>{"greeter"});
  EXPECT_TRUE(d.out.empty() && d.err.empty());
}

TEST(CommandDispatchTest, NoCommandPrintsTheTopHelpOnStderrAsAUsageError) {
  Dispatch d = DispatchCommandLine(kTable, {}, "1.0.0");
  EXPECT_EQ(d.command, nullptr);
  EXPECT_EQ(d.exit_code, kExitUsage);
  EXPECT_TRUE(d.out.empty());
  EXPECT_EQ(d.err, TopHelpText(kTable));
}

TEST(CommandDispatchTest, TopHelpListsEveryCommandOfTheTableInOrder) {
  for (const char* help : {"--help", "-h", "help"}) {
    Dispatch d = DispatchCommandLine(kTable, {help}, "1.0.0");
    EXPECT_EQ(d.exit_code, kExitOk) << help;
    EXPECT_EQ(d.out, TopHelpText(kTable)) << help;
  }
  const std::string text = TopHelpText(kTable);
  EXPECT_THAT(text, HasSubstr("  up         Run it all.\n  ls         List things.\n"));
  EXPECT_THAT(text, HasSubstr("2  usage error"));
}

TEST(CommandDispatchTest, HelpOfACommandIsItsHelpText) {
  EXPECT_EQ(DispatchCommandLine(kTable, {"help", "ls"}, "1.0.0").out, HelpText(kListCommand));
  Dispatch flag = DispatchCommandLine(kTable, {"ls", "--help"}, "1.0.0");
  EXPECT_EQ(flag.command, nullptr);
  EXPECT_EQ(flag.exit_code, kExitOk);
  EXPECT_EQ(flag.out, HelpText(kListCommand));
  // An unknown command after `help`: the top help.
  EXPECT_EQ(DispatchCommandLine(kTable, {"help", "nope"}, "1.0.0").out, TopHelpText(kTable));
}

TEST(CommandDispatchTest, VersionTakesNoArgument) {
  for (const char* version : {"--version", "version"}) {
    Dispatch d = DispatchCommandLine(kTable, {version}, "1.2.3");
    EXPECT_EQ(d.exit_code, kExitOk);
    EXPECT_EQ(d.out, "switchboard 1.2.3\n");
  }
  Dispatch extra = DispatchCommandLine(kTable, {"version", "now"}, "1.2.3");
  EXPECT_EQ(extra.exit_code, kExitUsage);
  EXPECT_EQ(extra.err, "switchboard version: unexpected argument \"now\"\n");
}

TEST(CommandDispatchTest, UnknownCommandIsAUsageErrorNamingIt) {
  Dispatch d = DispatchCommandLine(kTable, {"lss"}, "1.0.0");
  EXPECT_EQ(d.command, nullptr);
  EXPECT_EQ(d.exit_code, kExitUsage);
  EXPECT_EQ(d.err, "switchboard: unknown command \"lss\"\nRun 'switchboard --help' for the list.\n");
}

TEST(CommandDispatchTest, BadFlagsAreAUsageErrorOfTheCommand) {
  Dispatch d = DispatchCommandLine(kTable, {"ls", "--bogus"}, "1.0.0");
  EXPECT_EQ(d.command, nullptr);
  EXPECT_EQ(d.exit_code, kExitUsage);
  EXPECT_EQ(d.err, "switchboard ls: unknown flag --bogus\nRun 'switchboard ls --help' for usage.\n");
}

TEST(CommandDispatchTest, TooManyPositionalsAreAUsageErrorSayingHowMany) {
  Dispatch two = DispatchCommandLine(kTable, {"ls", "a", "b"}, "1.0.0");
  EXPECT_EQ(two.command, nullptr);
  EXPECT_EQ(two.exit_code, kExitUsage);
  EXPECT_EQ(two.err, "switchboard ls: at most one SERVICE\nRun 'switchboard ls --help' for usage.\n");
  Dispatch none = DispatchCommandLine(kTable, {"up", "now"}, "1.0.0");
  EXPECT_EQ(none.exit_code, kExitUsage);
  EXPECT_EQ(none.err,
            "switchboard up: unexpected argument \"now\"\nRun 'switchboard up --help' for usage.\n");
  // Flags are checked before positionals, and --help wins over both.
  EXPECT_THAT(DispatchCommandLine(kTable, {"up", "now", "--x"}, "1.0.0").err,
              HasSubstr("unknown flag --x"));
  EXPECT_EQ(DispatchCommandLine(kTable, {"up", "now", "--help"}, "1.0.0").exit_code, kExitOk);
}

}  // namespace
}  // namespace switchboard::cli
