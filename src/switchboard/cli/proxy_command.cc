// `switchboard proxy`: the proxy model. HAProxy (Debian's package) in front
// of the registry for clients that cannot speak xDS; see docs/proxy.md.
#include <signal.h>

#include <cstdio>
#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "switchboard/cli/commands.h"
#include "switchboard/cli/up_state.h"
#include "switchboard/cli/version.h"
#include "switchboard/common/host_port.h"
#include "switchboard/lookup/builtin_sources.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/proxy/haproxy_driver.h"

namespace switchboard::cli {
namespace {

// "greeter=127.0.0.1:9001" -> ("greeter", 127.0.0.1:9001).
absl::Status AddListen(const std::string& text, proxy::ProxyConfig& config) {
  std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('=', 1));
  if (parts.first.empty() || parts.second.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen ", text, ": give SERVICE=HOST:PORT, e.g. greeter=127.0.0.1:9001"));
  }
  absl::StatusOr<HostPort> address = ParseListenHostPort(parts.second);
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--listen ", text, ": ", address.status().message()));
  }
  if (!config.listens.emplace(parts.first, *address).second) {
    return absl::InvalidArgumentError(absl::StrCat("--listen ", text, ": service ", parts.first,
                                                   " is given twice"));
  }
  return absl::OkStatus();
}

absl::StatusOr<proxy::HaproxyDriverOptions> OptionsFrom(const ParsedFlags& flags) {
  proxy::HaproxyDriverOptions options;
  options.data_dir = flags.Get("data-dir");
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data-dir: give a directory");
  options.binary = flags.Get("haproxy", "haproxy");
  for (const std::string& listen : flags.GetAll("listen")) {
    if (absl::Status s = AddListen(listen, options.config); !s.ok()) return s;
  }
  if (flags.IsSet("listen-authority")) {
    absl::StatusOr<HostPort> address = ParseListenHostPort(flags.Get("listen-authority"));
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen-authority ", flags.Get("listen-authority"), ": ", address.status().message()));
    }
    options.config.authority_listen = *address;
  }
  for (const std::string& service : flags.GetAll("service")) options.config.extra_services.insert(service);
  const std::string check = flags.Get("check", "tcp");
  if (check != "tcp" && check != "none") {
    return absl::InvalidArgumentError(absl::StrCat("--check ", check, ": give tcp or none"));
  }
  options.plan.active_check = check == "tcp";
  if (flags.IsSet("retries")) {
    int retries = 0;
    if (!absl::SimpleAtoi(flags.Get("retries"), &retries) || retries < 0 || retries > 10) {
      return absl::InvalidArgumentError(absl::StrCat("--retries ", flags.Get("retries"), ": give 0..10"));
    }
    options.config.retries = retries;
  }
  if (absl::Status s = proxy::ValidateProxyConfig(options.config); !s.ok()) return s;
  return options;
}

}  // namespace

int RunProxy(const Command& cmd, const ParsedFlags& flags);
const Command kProxyCommand = {
    .name = "proxy",
    .summary = "Run HAProxy in front of the registry, for clients that cannot speak xDS.",
    .usage = "switchboard proxy --data-dir DIR --listen SERVICE=HOST:PORT... "
             "[--listen-authority HOST:PORT] [--source URI]...",
    .description = absl::StrCat(
        "Starts and supervises haproxy (Debian's package, 2.6 or later), and keeps\n"
        "its backends equal to the registry through its runtime API. A client dials\n"
        "the service's own port (--listen greeter=127.0.0.1:9001, target\n"
        "ipv4:127.0.0.1:9001), or the --listen-authority port with the service as\n"
        "the HTTP/2 :authority. Without --source, follows the etcd of the running\n"
        "`switchboard up` (or --etcd). Sources:\n", BuiltinLookupSources().Help(), "\n"),
    .flags = {
        {.name = "data-dir", .value_name = "DIR",
         .help = "where haproxy.cfg, haproxy.sock and haproxy.log are kept (created if missing)"},
        {.name = "listen", .value_name = "SERVICE=HOST:PORT",
         .help = "a frontend of its own for SERVICE", .repeatable = true},
        {.name = "listen-authority", .value_name = "HOST:PORT",
         .help = "one frontend for every proxied service, chosen by :authority"},
        {.name = "service", .value_name = "NAME",
         .help = "a service reached through --listen-authority only", .repeatable = true},
        {.name = "check", .value_name = "tcp|none",
         .help = "active TCP checks of every server, and passive ejection of servers whose calls "
                 "fail (none: neither)",
         .default_text = "tcp"},
        {.name = "retries", .value_name = "N",
         .help = "attempts of a call that never reached a server", .default_text = "3"},
        {.name = "haproxy", .value_name = "PATH", .help = "the haproxy binary",
         .default_text = "haproxy on PATH"},
        {.name = "source", .value_name = "URI", .help = "a lookup source", .repeatable = true},
        {.name = "etcd", .value_name = "HOST:PORT[,HOST:PORT]",
         .help = "etcd endpoints of the default source",
         .default_text = "the running `switchboard up`'s, else 127.0.0.1:2379"},
        {.name = "prefix", .value_name = "P", .help = "registry key prefix of the default source"},
    },
    .run = RunProxy,
};

int RunProxy(const Command& cmd, const ParsedFlags& flags) {
  absl::StatusOr<proxy::HaproxyDriverOptions> options = OptionsFrom(flags);
  if (!options.ok()) return UsageError(cmd, options.status());
  std::vector<std::string> uris = flags.GetAll("source");
  if (uris.empty()) {
    if (flags.IsSet("etcd") && flags.Get("etcd").empty()) {
      return UsageError(cmd, "--etcd is empty: give HOST:PORT[,HOST:PORT]");
    }
    uris.push_back(EtcdSourceUri(ResolveEtcdEndpoints(flags.Get("etcd"), DefaultDataDir()),
                                 flags.Get("prefix")));
  }
  BlockTerminationSignals();
  std::vector<std::unique_ptr<LookupSource>> sources;
  for (const std::string& uri : uris) {
    absl::StatusOr<std::unique_ptr<LookupSource>> source = BuiltinLookupSources().Make(uri);
    if (!source.ok()) return UsageError(cmd, source.status());
    sources.push_back(*std::move(source));
  }
  options->on_event = [](const std::string& message) {
    std::fprintf(stderr, "switchboard proxy: %s\n", message.c_str());
  };
  auto driver = proxy::HaproxyDriver::Start(std::move(sources), *options);
  if (!driver.ok()) return RuntimeError(cmd, driver.status());
  std::vector<std::string> listening;
  for (const auto& [service, address] : options->config.listens) {
    listening.push_back(absl::StrCat(service, " on ", address.ToString()));
  }
  if (options->config.authority_listen) {
    listening.push_back(absl::StrCat("any service by :authority on ",
                                     options->config.authority_listen->ToString()));
  }
  std::printf("switchboard proxy %s: HAProxy (pid %d) serves %s, from %s\n", kVersion,
              static_cast<int>((*driver)->Stats().haproxy_pid), absl::StrJoin(listening, "; ").c_str(),
              absl::StrJoin(uris, ", ").c_str());
  std::fflush(stdout);
  int signal;
  do {
    signal = WaitForTerminationSignal(absl::InfiniteDuration());
  } while (signal == SIGHUP);
  std::printf("switchboard proxy: %s received, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  (*driver)->Stop();
  return kExitOk;
}

}  // namespace switchboard::cli
