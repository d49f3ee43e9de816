#include "switchboard/common/close_names.h"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

using Names = std::vector<std::string>;

TEST(CloseNamesTest, FindsTyposOfKnownNames) {
  const Names known = {"billing", "greeter", "greeter-v2", "inventory"};
  EXPECT_EQ(CloseNames("greter", known), Names({"greeter"}));    // a letter missing
  EXPECT_EQ(CloseNames("geerter", known), Names({"greeter"}));   // two swapped
  EXPECT_EQ(CloseNames("Greeter", known), Names({"greeter"}));   // case
  EXPECT_EQ(CloseNames("billign", known), Names({"billing"}));
  EXPECT_EQ(CloseNames("greeter-v3", known), Names({"greeter-v2", "greeter"}));
}

TEST(CloseNamesTest, NothingCloseGivesNothing) {
  EXPECT_TRUE(CloseNames("payments", {"billing", "greeter"}).empty());
  EXPECT_TRUE(CloseNames("ab", {"xy"}).empty());
  EXPECT_TRUE(CloseNames("greeter", {"greeter"}).empty());  // itself is not a suggestion
  EXPECT_TRUE(CloseNames("greeter", {}).empty());
}

TEST(CloseNamesTest, DidYouMeanReadsAsASentence) {
  EXPECT_EQ(DidYouMean("greter", {"billing", "greeter"}), " (did you mean greeter?)");
  EXPECT_EQ(DidYouMean("svc1", {"svc2", "svc3"}), " (did you mean svc2 or svc3?)");
  EXPECT_EQ(DidYouMean("svc", {"svc1", "svc2", "svc3"}), " (did you mean svc1, svc2 or svc3?)");
  EXPECT_EQ(DidYouMean("payments", {"greeter"}), "");
}

}  // namespace
}  // namespace switchboard
