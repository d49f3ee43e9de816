#include "switchboard/common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace switchboard {
namespace {

LogLevel LevelFromEnv() {
  const char* env = std::getenv("SWITCHBOARD_LOG");
  if (env == nullptr) return LogLevel::kInfo;
  std::string v = absl::AsciiStrToLower(env);
  if (v == "error") return LogLevel::kError;
  if (v == "warn" || v == "warning") return LogLevel::kWarn;
  if (v == "debug") return LogLevel::kDebug;
  return LogLevel::kInfo;
}

LogFormat FormatFromEnv() {
  const char* env = std::getenv("SWITCHBOARD_LOG_FORMAT");
  LogFormat format = LogFormat::kText;
  if (env != nullptr) ParseLogFormat(env, &format);
  return format;
}

std::atomic<int>& Format() {
  static std::atomic<int> format{static_cast<int>(FormatFromEnv())};
  return format;
}

std::atomic<int>& Level() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnv())};
  return level;
}

}  // namespace

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= Level().load(std::memory_order_relaxed); }

void SetLogLevel(LogLevel level) { Level().store(static_cast<int>(level)); }

void SetLogFormat(LogFormat format) { Format().store(static_cast<int>(format)); }

bool ParseLogFormat(absl::string_view text, LogFormat* format) {
  if (text == "text") {
    *format = LogFormat::kText;
    return true;
  }
  if (text == "json") {
    *format = LogFormat::kJson;
    return true;
  }
  return false;
}

std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          absl::string_view component, absl::string_view message,
                          const LogFields& fields) {
  const std::string when = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  if (format == LogFormat::kText) {
    static constexpr char kLetters[] = {'E', 'W', 'I', 'D'};
    return absl::StrCat(when, " ", std::string(1, kLetters[static_cast<int>(level)]), " ",
                        component, ": ", message, "\n");
  }
  static constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
  // Ordered as a reader scans: time, level, component, message, then fields.
  nlohmann::ordered_json line;
  line["time"] = when;
  line["level"] = kNames[static_cast<int>(level)];
  line["component"] = std::string(component);
  line["message"] = std::string(message);
  for (const auto& [name, value] : fields) {
    if (!line.contains(name)) line[name] = value;
  }
  // Invalid UTF-8 (a peer's bytes) is replaced, never an exception.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void LogLine(LogLevel level, absl::string_view component, absl::string_view message,
             const LogFields& fields) {
  std::string line = FormatLogLine(static_cast<LogFormat>(Format().load()), absl::Now(), level,
                                   component, message, fields);
  // One write() per line keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void LogLine(LogLevel level, absl::string_view component, absl::string_view message) {
  LogLine(level, component, message, {});
}

}  // namespace switchboard
