#include "switchboard/common/log.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace switchboard {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1796140800123);

TEST(FormatLogLineTest, TextKeepsTheClassicShape) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogLevel::kWarn, "registrar", "lease lost",
                          {{"service", "greeter"}}),
            "2026-12-01T16:00:00.123Z W registrar: lease lost\n");
}

TEST(FormatLogLineTest, JsonIsOneObjectPerLineWithTheFields) {
  std::string line = FormatLogLine(LogFormat::kJson, kTime, LogLevel::kInfo, "xds",
                                   "stream \"closed\"\nnext", {{"node", "n1"}, {"service", "s"}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // the message's newline is escaped
  nlohmann::json json = nlohmann::json::parse(line);
  EXPECT_EQ(json["time"], "2026-12-01T16:00:00.123Z");
  EXPECT_EQ(json["level"], "info");
  EXPECT_EQ(json["component"], "xds");
  EXPECT_EQ(json["message"], "stream \"closed\"\nnext");
  EXPECT_EQ(json["node"], "n1");
  EXPECT_EQ(json["service"], "s");
  EXPECT_TRUE(line.rfind("{\"time\":", 0) == 0) << line;
}

TEST(FormatLogLineTest, AFieldCannotReplaceTheMessage) {
  nlohmann::json json = nlohmann::json::parse(FormatLogLine(
      LogFormat::kJson, kTime, LogLevel::kError, "c", "real", {{"message", "fake"}}));
  EXPECT_EQ(json["message"], "real");
}

TEST(FormatLogLineTest, InvalidUtf8IsReplacedNotThrown) {
  std::string line =
      FormatLogLine(LogFormat::kJson, kTime, LogLevel::kDebug, "c", "bad \xff byte", {});
  EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
}

TEST(ParseLogFormatTest, TextOrJson) {
  LogFormat format = LogFormat::kText;
  EXPECT_TRUE(ParseLogFormat("json", &format));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &format));
  EXPECT_EQ(format, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("yaml", &format));
}

}  // namespace
}  // namespace switchboard
