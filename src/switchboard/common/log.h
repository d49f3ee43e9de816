// Minimal leveled logging to stderr, shared by every Switchboard component.
//
// The level comes from SWITCHBOARD_LOG (error|warn|info|debug; default info).
// Lines carry a UTC timestamp, the level and the component, e.g.
//   2026-11-21T19:40:01.123Z W registrar: lease 694d... lost; registering again
// or, in the JSON format (SetLogFormat, `--log-format=json`,
// SWITCHBOARD_LOG_FORMAT=json), one object per line:
//   {"time":"2026-11-21T19:40:01.123Z","level":"warn","component":"registrar",
//    "message":"lease 694d... lost; registering again","service":"greeter"}
// with the fields given to SB_LOG_WITH (service, node, endpoint, ...).
//
// Example:
//   SB_LOG(kWarn, "watcher", "skipping key ", key, ": ", reason);
//
// Thread-safe: each line is written with one write().
#ifndef SWITCHBOARD_COMMON_LOG_H_
#define SWITCHBOARD_COMMON_LOG_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "absl/strings/str_cat.h"

namespace switchboard {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// True when messages at `level` are printed.
bool LogEnabled(LogLevel level);
// Overrides SWITCHBOARD_LOG for the process (tests, --quiet flags).
void SetLogLevel(LogLevel level);
void LogLine(LogLevel level, absl::string_view component, absl::string_view message);

enum class LogFormat { kText, kJson };
// Overrides SWITCHBOARD_LOG_FORMAT (text|json; default text).
void SetLogFormat(LogFormat format);
// "text" or "json"; InvalidArgument-free: false for anything else.
bool ParseLogFormat(absl::string_view text, LogFormat* format);

// Fields that matter to a reader of the line: "service", "node", "endpoint".
using LogFields = std::map<std::string, std::string>;
void LogLine(LogLevel level, absl::string_view component, absl::string_view message,
             const LogFields& fields);
// Pure: the line LogLine writes (with its newline).
std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          absl::string_view component, absl::string_view message,
                          const LogFields& fields);

}  // namespace switchboard

#define SB_LOG(level, component, ...)                                   \
  do {                                                                  \
    if (::switchboard::LogEnabled(::switchboard::LogLevel::level)) {    \
      ::switchboard::LogLine(::switchboard::LogLevel::level, component, \
                             ::absl::StrCat(__VA_ARGS__));              \
    }                                                                   \
  } while (0)

// SB_LOG with fields, in parentheses:
//   SB_LOG_WITH(kWarn, "xds", ({{"service", name}}), "service ", name, " emptied");
// In the text format the fields are not repeated (the message names them).
#define SB_LOG_WITH(level, component, fields, ...)                                \
  do {                                                                            \
    if (::switchboard::LogEnabled(::switchboard::LogLevel::level)) {              \
      ::switchboard::LogLine(::switchboard::LogLevel::level, component,           \
                             ::absl::StrCat(__VA_ARGS__), ::switchboard::LogFields fields); \
    }                                                                             \
  } while (0)

#endif  // SWITCHBOARD_COMMON_LOG_H_
