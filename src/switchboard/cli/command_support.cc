#include "switchboard/cli/command_support.h"

#include "switchboard/common/log.h"

#include <signal.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/cli/up_state.h"
#include "switchboard/lookup/etcd/etcd_factory.h"
#include "switchboard/lookup/source_uri.h"

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
           .default_text = "$XDG_STATE_HOME/switchboard or ~/.local/state/switchboard"},
          EtcdSecurityFlags()[0], EtcdSecurityFlags()[1], EtcdSecurityFlags()[2],
          EtcdSecurityFlags()[3], EtcdSecurityFlags()[4]};
}

std::vector<FlagSpec> EtcdSecurityFlags() {
  return {{.name = "etcd-ca", .value_name = "FILE",
           .help = "CA certificate (PEM) etcd's certificate must be signed by; turns TLS on"},
          {.name = "etcd-cert", .value_name = "FILE",
           .help = "client certificate (PEM) for etcd's --client-cert-auth; needs --etcd-key"},
          {.name = "etcd-key", .value_name = "FILE", .help = "the client certificate's key (PEM)"},
          {.name = "etcd-user", .value_name = "USER",
           .help = "etcd user (auth enabled); its password from --etcd-password-file or "
                   "$SWITCHBOARD_ETCD_PASSWORD"},
          {.name = "etcd-password-file", .value_name = "FILE",
           .help = "file holding the etcd user's password (one line)"}};
}

EtcdSecurity EtcdSecurityFrom(const ParsedFlags& flags, absl::string_view endpoints) {
  return {.ca_file = flags.Get("etcd-ca"),
          .cert_file = flags.Get("etcd-cert"),
          .key_file = flags.Get("etcd-key"),
          .tls = absl::StrContains(endpoints, "https://"),
          .user = flags.Get("etcd-user"),
          .password_file = flags.Get("etcd-password-file")};
}

absl::StatusOr<EtcdClientOptions> EtcdClientOptionsFrom(const ParsedFlags& flags,
                                                         const std::string& endpoints) {
  absl::StatusOr<EtcdClientOptions> options = ParseEtcdEndpoints(endpoints);
  if (!options.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd=", endpoints, ": ", options.status().message()));
  }
  if (absl::Status s = ApplyEtcdSecurity(EtcdSecurityFrom(flags, endpoints), kEtcdFlagNames,
                                         *options);
      !s.ok()) {
    return s;
  }
  return options;
}

absl::StatusOr<std::string> EtcdSourceUriFrom(const ParsedFlags& flags, const std::string& endpoints,
                                              absl::string_view prefix) {
  // Checks the flags now, so that a bad one is named as a flag.
  absl::StatusOr<EtcdClientOptions> options = EtcdClientOptionsFrom(flags, endpoints);
  if (!options.ok()) return options.status();
  return WithEtcdSecurityDefaults(EtcdSourceUri(absl::StrJoin(options->endpoints, ","), prefix),
                                  EtcdSecurityFrom(flags, endpoints));
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
