#include "testing/call_tally.h"

#include <gtest/gtest.h>

namespace switchboard::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(CallTallyTest, CountsRepliesPerServerAndFailuresPerCode) {
  CallTally tally;
  tally.RecordReply(kT0, "a");
  tally.RecordReply(kT0, "a");
  tally.RecordReply(kT0, "b");
  tally.RecordFailure(kT0, "UNAVAILABLE", "no server");
  CallCounts total = tally.Total();
  EXPECT_EQ(total.replies(), 3);
  EXPECT_EQ(total.failures(), 1);
  EXPECT_EQ(total.calls(), 4);
  EXPECT_EQ(total.RepliesFrom("a"), 2);
  EXPECT_EQ(total.RepliesFrom("nobody"), 0);
  EXPECT_DOUBLE_EQ(total.Share("a"), 2.0 / 3.0);
  EXPECT_EQ(total.FailureSummary(), "UNAVAILABLE=1");
  EXPECT_EQ(tally.LastFailureMessage("UNAVAILABLE"), "no server");
  EXPECT_EQ(tally.LastFailureMessage("INTERNAL"), "");
}

TEST(CallTallyTest, ShareIsZeroWithoutReplies) {
  CallCounts empty;
  EXPECT_EQ(empty.Share("a"), 0.0);
  EXPECT_EQ(empty.FailureSummary(), "none");
}

TEST(CallTallyTest, WindowSeesOnlyRecentCalls) {
  CallTally tally(absl::Milliseconds(100), absl::Seconds(10));
  tally.RecordReply(kT0, "old");
  tally.RecordReply(kT0 + absl::Seconds(2), "new");
  tally.RecordReply(kT0 + absl::Seconds(2) + absl::Milliseconds(950), "new");
  CallCounts last_second = tally.Window(kT0 + absl::Seconds(3), absl::Seconds(1));
  EXPECT_EQ(last_second.RepliesFrom("old"), 0);
  EXPECT_EQ(last_second.RepliesFrom("new"), 1);
  CallCounts last_two = tally.Window(kT0 + absl::Seconds(3), absl::Milliseconds(1500));
  EXPECT_EQ(last_two.RepliesFrom("new"), 2);
}

TEST(CallTallyTest, HistoryIsBounded) {
  CallTally tally(absl::Milliseconds(100), absl::Seconds(1));
  tally.RecordReply(kT0, "a");
  tally.RecordReply(kT0 + absl::Seconds(5), "b");
  CallCounts all = tally.Window(kT0 + absl::Seconds(5), absl::Seconds(10));
  EXPECT_EQ(all.RepliesFrom("a"), 0);  // pruned from the window buckets
  EXPECT_EQ(tally.Total().RepliesFrom("a"), 1);  // but kept in the total
}

TEST(CallTallyTest, OutOfOrderRecordsLandInTheirBucket) {
  CallTally tally(absl::Milliseconds(100), absl::Seconds(10));
  tally.RecordReply(kT0 + absl::Milliseconds(250), "late");
  tally.RecordReply(kT0 + absl::Milliseconds(50), "early");
  CallCounts first_bucket = tally.Window(kT0 + absl::Milliseconds(99), absl::Milliseconds(100));
  EXPECT_EQ(first_bucket.RepliesFrom("early"), 0);  // no bucket of its own: counted late
  EXPECT_EQ(tally.Window(kT0 + absl::Milliseconds(299), absl::Seconds(1)).replies(), 2);
}

TEST(CallTallyTest, MinusGivesWhatHappenedSinceAMark) {
  CallTally tally;
  tally.RecordReply(kT0, "a");
  tally.RecordFailure(kT0, "UNAVAILABLE", "");
  CallCounts mark = tally.Total();
  tally.RecordReply(kT0, "a");
  tally.RecordReply(kT0, "b");
  CallCounts since = tally.Total().Minus(mark);
  EXPECT_EQ(since.RepliesFrom("a"), 1);
  EXPECT_EQ(since.RepliesFrom("b"), 1);
  EXPECT_EQ(since.failures(), 0);
  EXPECT_TRUE(since.failures_by_code.empty());
}

TEST(CallTallyTest, LastReplyFrom) {
  CallTally tally;
  EXPECT_EQ(tally.LastReplyFrom("a"), absl::InfinitePast());
  tally.RecordReply(kT0, "a");
  EXPECT_EQ(tally.LastReplyFrom("a"), kT0);
}

}  // namespace
}  // namespace switchboard::testing
