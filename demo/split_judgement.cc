#include "demo/split_judgement.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace switchboard::demo {

std::string Percent(double fraction) { return absl::StrFormat("%.1f%%", fraction * 100.0); }

SplitJudgement JudgeSplit(const testing::CallCounts& counts, const std::vector<std::string>& expected,
                          const SplitRule& rule) {
  SplitJudgement out;
  const int64_t replies = counts.replies();
  std::vector<std::string> shares;
  std::vector<std::string> problems;
  const double fair = expected.empty() ? 0.0 : 1.0 / static_cast<double>(expected.size());
  for (const std::string& server : expected) {
    const double share = counts.Share(server);
    shares.push_back(absl::StrCat(server, " ", Percent(share)));
    if (std::abs(share - fair) > rule.tolerance) {
      problems.push_back(absl::StrCat(server, " got ", Percent(share), ", want ",
                                      Percent(std::max(0.0, fair - rule.tolerance)), "-",
                                      Percent(fair + rule.tolerance)));
    }
  }
  for (const auto& [server, count] : counts.replies_by_server) {
    if (std::find(expected.begin(), expected.end(), server) != expected.end()) continue;
    shares.push_back(absl::StrCat(server, " ", Percent(counts.Share(server))));
    problems.push_back(absl::StrCat(server, " should get no calls but got ", count));
  }
  if (expected.empty()) problems.push_back("no server expected");
  if (replies < rule.min_calls) {
    problems.push_back(absl::StrCat("only ", replies, " replies, want at least ", rule.min_calls));
  }
  out.passed = problems.empty();
  out.detail = absl::StrCat(absl::StrJoin(shares, ", "), " of ", replies, " calls");
  if (!out.passed) absl::StrAppend(&out.detail, " — ", absl::StrJoin(problems, "; "));
  return out;
}

}  // namespace switchboard::demo
