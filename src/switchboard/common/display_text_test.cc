#include "switchboard/common/display_text.h"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

TEST(DisplayTextTest, EscapesControlCharactersOnly) {
  EXPECT_EQ(EscapeForDisplay("greeter"), "greeter");
  EXPECT_EQ(EscapeForDisplay("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(EscapeForDisplay("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(EscapeForDisplay(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapeForDisplay("\x7f"), "\\x7f");
  EXPECT_EQ(EscapeForDisplay("zone-\xc3\xa9"), "zone-\xc3\xa9");  // UTF-8 stays
}

TEST(DisplayTextTest, TruncatesLongTextAndSaysSo) {
  EXPECT_EQ(TruncateForDisplay("short", 200), "short");
  std::string shown = TruncateForDisplay(std::string(40000, 'x'), 200);
  EXPECT_EQ(shown, std::string(200, 'x') + " (200 of 40000 bytes shown)");
  // Escaped after the cut: the limit is on the input.
  EXPECT_EQ(TruncateForDisplay("\n\n\n\n", 2), "\\n\\n (2 of 4 bytes shown)");
}

TEST(DisplayTextTest, NeverSplitsAUtf8Character) {
  // "é" is two bytes: a cut inside it backs up before it.
  EXPECT_EQ(TruncateForDisplay("ab\xc3\xa9" "cd", 3), "ab (2 of 6 bytes shown)");
}

}  // namespace
}  // namespace switchboard
