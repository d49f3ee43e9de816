#include "switchboard/cli/command_support.h"

#include "switchboard/common/log.h"

#include <signal.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "switchboard/cli/up_state.h"

namespace switchboard::cli {

absl::StatusOr<ParsedFlags> ParseCommandLine(const Command& command,
                                             const std::vector<std::string>& args) {
  return ParseFlags(args, command.flags);
}

std::string HelpText(const Command& command) {
  std::string text = absl::StrCat(command.summary, "\n\nUsage: ", command.usage, "\n");
  if (!command.description.empty()) absl::StrAppend(&text, "\n", command.description);
  if (!command.flags.empty()) {
    absl::StrAppend(&text, "\nFlags (--flag=value or --flag value):\n",
                    FormatFlagHelp(command.flags));
  }
  absl::StrAppend(&text, "\nExit codes: 0 ok, 1 runtime failure, 2 usage error.\n");
  return text;
}

int PrintHelp(const Command& command) {
  std::fputs(HelpText(command).c_str(), stdout);
  return kExitOk;
}

std::string UsageErrorText(const Command& command, absl::string_view message) {
  return absl::StrCat("switchboard ", command.name, ": ", message, "\nRun 'switchboard ",
                      command.name, " --help' for usage.\n");
}

int UsageError(const Command& command, const std::string& message) {
  std::fputs(UsageErrorText(command, message).c_str(), stderr);
  return kExitUsage;
}

int UsageError(const Command& command, const absl::Status& error) {
  return UsageError(command, std::string(error.message()));
}

int RuntimeError(const Command& command, const absl::Status& error) {
  std::fprintf(stderr, "switchboard %s: %s\n", command.name.c_str(),
               std::string(error.message()).c_str());
  return kExitFailure;
}

namespace {
sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal(absl::Duration timeout) {
  sigset_t set = TerminationSignals();
  if (timeout == absl::InfiniteDuration()) {
    int signal = 0;
    while (sigwait(&set, &signal) != 0) {
    }
    return signal;
  }
  timespec ts = absl::ToTimespec(timeout);
  while (true) {
    int signal = sigtimedwait(&set, nullptr, &ts);
    if (signal > 0) return signal;
    if (errno == EAGAIN) return 0;
    // EINTR: another signal; wait again (a little longer than asked, fine).
  }
}

std::vector<FlagSpec> EtcdFlags() {
  return {{.name = "etcd", .value_name = "HOST:PORT[,HOST:PORT]",
           .help = "etcd endpoints",
           .default_text = "the running `switchboard up`'s, else 127.0.0.1:2379"},
          {.name = "prefix", .value_name = "P", .help = "registry key prefix (grpc-go uses none)"},
          {.name = "data-dir", .value_name = "DIR",
           .help = "where `switchboard up` keeps its state",
           .default_text = "$XDG_STATE_HOME/switchboard or ~/.local/state/switchboard"}};
}

absl::StatusOr<std::string> EtcdEndpointsFrom(const ParsedFlags& flags) {
  if (flags.IsSet("etcd") && absl::StripAsciiWhitespace(flags.Get("etcd")).empty()) {
    return absl::InvalidArgumentError(
        "--etcd is empty: give HOST:PORT[,HOST:PORT], or leave --etcd out to use the running "
        "`switchboard up`'s etcd");
  }
  return ResolveEtcdEndpoints(flags.Get("etcd"), flags.Get("data-dir", DefaultDataDir()));
}

FlagSpec LogFormatFlag() {
  return {.name = "log-format", .value_name = "text|json",
          .help = "log lines on stderr as text, or one JSON object per line (time, level, "
                  "component, message, and fields such as service, node, endpoint)",
          .default_text = "text, or $SWITCHBOARD_LOG_FORMAT"};
}

absl::Status ApplyLogFormatFlag(const ParsedFlags& flags) {
  if (!flags.IsSet("log-format")) return absl::OkStatus();
  LogFormat format;
  if (!ParseLogFormat(flags.Get("log-format"), &format)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log-format=", flags.Get("log-format"), ": want text or json"));
  }
  SetLogFormat(format);
  return absl::OkStatus();
}

}  // namespace switchboard::cli
