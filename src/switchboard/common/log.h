// Minimal leveled logging to stderr, shared by every Switchboard component.
//
// The level comes from SWITCHBOARD_LOG (error|warn|info|debug; default info).
// Lines carry a UTC timestamp, the level and the component, e.g.
//   2026-11-21T19:40:01.123Z W registrar: lease 694d... lost; registering again
//
// Example:
//   SB_LOG(kWarn, "watcher", "skipping key ", key, ": ", reason);
//
// Thread-safe: each line is written with one write().
#ifndef SWITCHBOARD_COMMON_LOG_H_
#define SWITCHBOARD_COMMON_LOG_H_

#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"

namespace switchboard {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// True when messages at `level` are printed.
bool LogEnabled(LogLevel level);
// Overrides SWITCHBOARD_LOG for the process (tests, --quiet flags).
void SetLogLevel(LogLevel level);
void LogLine(LogLevel level, absl::string_view component, absl::string_view message);

}  // namespace switchboard

#define SB_LOG(level, component, ...)                                   \
  do {                                                                  \
    if (::switchboard::LogEnabled(::switchboard::LogLevel::level)) {    \
      ::switchboard::LogLine(::switchboard::LogLevel::level, component, \
                             ::absl::StrCat(__VA_ARGS__));              \
    }                                                                   \
  } while (0)

#endif  // SWITCHBOARD_COMMON_LOG_H_
