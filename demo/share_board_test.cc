#include "demo/share_board.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace switchboard::demo {
namespace {

testing::CallCounts Counts() {
  testing::CallCounts c;
  c.replies_by_server = {{"a:1", 50}, {"b:2", 50}};
  c.failures_by_code = {{"UNAVAILABLE", 3}};
  return c;
}

TEST(ShareBoardTest, BarsAndRates) {
  std::vector<std::string> lines = ShareBoardLines(Counts(), absl::Seconds(1), {"a:1", "b:2", "c:3"}, 10);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "  a:1 █████·····  50.0%");
  EXPECT_EQ(lines[2], "  c:3 ··········   0.0%");
  EXPECT_EQ(lines[3], "  calls/s 100   failed/s 3 (UNAVAILABLE=3)");
}

TEST(ShareBoardTest, SummaryLine) {
  EXPECT_EQ(ShareSummaryLine(Counts(), absl::Seconds(2), {"a:1", "b:2"}),
            "calls/s 50 | a:1 50.0% | b:2 50.0% | failed/s 2");
}

TEST(LiveBoardTest, PlainModeHasNoEscapes) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    LiveBoard board(out, /*ansi=*/false);
    board.Say("hello");
    board.Refresh(Counts(), absl::Seconds(1));
    board.Refresh(Counts(), absl::Seconds(1));  // within a second: skipped
  }
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  EXPECT_EQ(text, "hello\n  calls/s 100 | a:1 50.0% | b:2 50.0% | failed/s 3\n");
}

TEST(LiveBoardTest, AnsiModeRedrawsInPlace) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    LiveBoard board(out, /*ansi=*/true);
    board.Refresh(Counts(), absl::Seconds(1));
    board.Refresh(Counts(), absl::Seconds(1));
    board.Say("between");
  }
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  // The second refresh moves up over the 3 lines drawn by the first.
  EXPECT_NE(text.find("\x1b[3A\x1b[J"), std::string::npos);
  EXPECT_NE(text.find("between\n"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::demo
