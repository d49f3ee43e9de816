// Text that comes from outside (registry keys and values, names a user
// typed) made safe to print on one line of a terminal or a log: control
// characters escaped, so a key holding "\n" or an escape sequence cannot
// forge lines or repaint the terminal, and long text cut short, so one
// 100 KB key does not make every warning 100 KB.
//
// Example:
//   EscapeForDisplay("a\nb") == "a\\nb"
//   TruncateForDisplay(std::string(40000, 'x'), 200)
//       == "xxx...x (200 of 40000 bytes shown)"  // 200 x's
//
// Pure functions, thread-safe.
#ifndef SWITCHBOARD_COMMON_DISPLAY_TEXT_H_
#define SWITCHBOARD_COMMON_DISPLAY_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace switchboard {

// How much of an outside value a warning or an error message echoes.
inline constexpr size_t kMaxDisplayBytes = 200;

// `text` with bytes below 0x20 and 0x7f written as \n, \r, \t or \xNN;
// everything else (UTF-8 included) as is.
std::string EscapeForDisplay(absl::string_view text);

// EscapeForDisplay of at most the first `max_bytes` bytes of `text` (cut at
// a UTF-8 character boundary), followed by " (N of M bytes shown)" when
// something was cut.
std::string TruncateForDisplay(absl::string_view text, size_t max_bytes = kMaxDisplayBytes);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_DISPLAY_TEXT_H_
