// Names close to a mistyped one, for "no such service" errors: "greter"
// finds "greeter", "Greeter" and "greeter-v2" is not found unless it is a
// couple of edits away.
//
// Example:
//   CloseNames("greter", {"billing", "greeter"}) == {"greeter"}
//   DidYouMean("greter", {"billing", "greeter"}) == " (did you mean greeter?)"
//
// Pure functions, thread-safe.
#ifndef SWITCHBOARD_COMMON_CLOSE_NAMES_H_
#define SWITCHBOARD_COMMON_CLOSE_NAMES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace switchboard {

// The candidates at most a few edits (insertion, deletion, substitution,
// swap of two neighbours, ignoring case) from `name`: 1 for names up to 4
// characters, 2 up to 8, 3 beyond. Closest first, then alphabetical; at
// most `max_results`; never `name` itself.
std::vector<std::string> CloseNames(absl::string_view name,
                                    const std::vector<std::string>& candidates,
                                    size_t max_results = 3);

// " (did you mean a, b or c?)" from CloseNames, or "" when none is close.
std::string DidYouMean(absl::string_view name, const std::vector<std::string>& candidates);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_CLOSE_NAMES_H_
