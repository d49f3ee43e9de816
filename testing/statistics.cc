#include "testing/statistics.h"

#include <algorithm>
#include <cmath>

namespace switchboard::testing {

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = p / 100.0 * (values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(rank));
  size_t above = std::min(below + 1, values.size() - 1);
  double fraction = rank - below;
  return values[below] + (values[above] - values[below]) * fraction;
}

double Max(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

double Ratio(double a, double b) { return b == 0 ? 0 : a / b; }

}  // namespace switchboard::testing
