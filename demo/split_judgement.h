// Pure verdicts on how calls split across servers, shared by the demo and
// the scenario tests so that both judge by the same rule.
//
// Example:
//   SplitJudgement j = JudgeSplit(counts, {"127.0.0.1:1", "127.0.0.1:2"},
//                                 {.tolerance = 0.05, .min_calls = 3000});
//   if (!j.passed) std::cerr << j.detail;   // "127.0.0.1:1 61.0% (want 45.0-55.0%) ..."
#ifndef SWITCHBOARD_DEMO_SPLIT_JUDGEMENT_H_
#define SWITCHBOARD_DEMO_SPLIT_JUDGEMENT_H_

#include <string>
#include <vector>

#include "testing/call_tally.h"

namespace switchboard::demo {

struct SplitRule {
  // Each expected server's share must be within this of an equal share
  // (0.05: 33.3% ± 5 points for three servers).
  double tolerance = 0.05;
  // Fewer replies than this cannot be judged.
  int64_t min_calls = 3000;
};

struct SplitJudgement {
  bool passed = false;
  // "127.0.0.1:1 33.1%, 127.0.0.1:2 33.6%, 127.0.0.1:3 33.3% of 3120 calls",
  // plus what was wrong when not passed.
  std::string detail;
};

// Passes when `counts` has at least min_calls replies, every expected server
// got an equal share within the tolerance, and no other server got any.
SplitJudgement JudgeSplit(const testing::CallCounts& counts, const std::vector<std::string>& expected,
                          const SplitRule& rule);

// "33.1%".
std::string Percent(double fraction);

}  // namespace switchboard::demo

#endif  // SWITCHBOARD_DEMO_SPLIT_JUDGEMENT_H_
