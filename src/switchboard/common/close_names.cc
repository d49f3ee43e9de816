#include "switchboard/common/close_names.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchboard {
namespace {

// Optimal string alignment distance, case-insensitive: typos are mostly
// one wrong, missing, extra or swapped letter.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  const std::string x = absl::AsciiStrToLower(a), y = absl::AsciiStrToLower(b);
  std::vector<std::vector<size_t>> d(x.size() + 1, std::vector<size_t>(y.size() + 1));
  for (size_t i = 0; i <= x.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= y.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= x.size(); ++i) {
    for (size_t j = 1; j <= y.size(); ++j) {
      const size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[x.size()][y.size()];
}

}  // namespace

std::vector<std::string> CloseNames(absl::string_view name,
                                    const std::vector<std::string>& candidates,
                                    size_t max_results) {
  const size_t allowed = name.size() <= 4 ? 1 : name.size() <= 8 ? 2 : 3;
  std::vector<std::pair<size_t, std::string>> close;
  for (const std::string& candidate : candidates) {
    if (candidate == name) continue;
    // Far longer or shorter names cannot be close: skip the table.
    const size_t gap = candidate.size() > name.size() ? candidate.size() - name.size()
                                                      : name.size() - candidate.size();
    if (gap > allowed) continue;
    const size_t distance = EditDistance(name, candidate);
    if (distance <= allowed) close.emplace_back(distance, candidate);
  }
  std::sort(close.begin(), close.end());
  close.erase(std::unique(close.begin(), close.end()), close.end());
  std::vector<std::string> names;
  for (size_t i = 0; i < close.size() && names.size() < max_results; ++i) {
    names.push_back(close[i].second);
  }
  return names;
}

std::string DidYouMean(absl::string_view name, const std::vector<std::string>& candidates) {
  std::vector<std::string> close = CloseNames(name, candidates);
  if (close.empty()) return "";
  std::string list = close.back();
  if (close.size() > 1) {
    list = absl::StrCat(absl::StrJoin(close.begin(), close.end() - 1, ", "), " or ", close.back());
  }
  return absl::StrCat(" (did you mean ", list, "?)");
}

}  // namespace switchboard
