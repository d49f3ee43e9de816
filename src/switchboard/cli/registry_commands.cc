// `switchboard ls`, `switchboard watch` and `switchboard register`: the
// registry seen and written from the command line.
#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "switchboard/cli/commands.h"
#include "switchboard/observability/http_server.h"
#include "switchboard/observability/registration_metrics.h"
#include "switchboard/observability/routes.h"
#include "switchboard/cli/health_gate.h"
#include "switchboard/cli/health_probe.h"
#include "switchboard/cli/instance_format.h"
#include "switchboard/cli/service_readiness.h"
#include "switchboard/cli/version.h"
#include "switchboard/common/close_names.h"
#include "switchboard/common/display_text.h"
#include "switchboard/common/host_port.h"
#include "switchboard/common/log.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/lookup/etcd/etcd_watcher.h"
#include "switchboard/registry/config_keys.h"
#include "switchboard/registry/naming_codec.h"
#include "switchboard/registry/registrar.h"

namespace switchboard::cli {
namespace {

std::vector<FlagSpec> With(std::vector<FlagSpec> flags, const std::vector<FlagSpec>& more) {
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

absl::StatusOr<std::shared_ptr<EtcdClient>> ConnectEtcd(const std::string& endpoints,
                                                       const ParsedFlags& flags) {
  absl::StatusOr<EtcdClientOptions> options = EtcdClientOptionsFrom(flags, endpoints);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(*options);
  if (!client.ok()) return client.status();
  return std::shared_ptr<EtcdClient>(std::move(*client));
}

// A bad flag (InvalidArgument) is a usage error; etcd refusing the user or
// its password, or not answering, is a runtime error.
int ConnectError(const Command& cmd, const absl::Status& error) {
  return error.code() == absl::StatusCode::kInvalidArgument && !absl::StrContains(
      error.message(), "Authenticate") ? UsageError(cmd, error) : RuntimeError(cmd, error);
}

// The services registered under `prefix`, from a range over it.
std::vector<std::string> ServicesIn(const RangeResult& range, const std::string& prefix) {
  std::set<std::string> services;
  for (const KeyValue& kv : range.kvs) {
    if (absl::StatusOr<Instance> i = DecodeInstance(prefix, kv.key, kv.value); i.ok()) {
      services.insert(i->service);
    }
  }
  return {services.begin(), services.end()};
}

// "no instance of service 'greter' is registered (did you mean greeter?)"
// when `service` has no instance (etcd cannot tell an unknown service from
// one whose instances are all gone); nullopt when it has, or etcd fails.
std::optional<std::string> NoInstanceNote(EtcdClient& client, const std::string& prefix,
                                          const std::string& service) {
  absl::StatusOr<RangeResult> mine = client.GetPrefix(ServiceKeyPrefix(prefix, service));
  if (!mine.ok()) return std::nullopt;
  for (const KeyValue& kv : mine->kvs) {
    absl::StatusOr<Instance> i = DecodeInstance(prefix, kv.key, kv.value);
    if (i.ok() && i->service == service) return std::nullopt;
  }
  absl::StatusOr<RangeResult> all = client.GetPrefix(prefix);
  std::vector<std::string> known = all.ok() ? ServicesIn(*all, prefix) : std::vector<std::string>{};
  return absl::StrCat("no instance of service '", TruncateForDisplay(service), "' is registered",
                      DidYouMean(service, known));
}

// What to do about a failed etcd request. "Unreachable" has three common
// causes that need different fixes, told apart by a plain TCP connect to
// the first endpoint: nothing listens (etcd not running); something
// listens but the gRPC connection never came up (https:// to a plaintext
// member, or the reverse); or etcd answers but cannot serve (no leader).
std::string EtcdHint(const absl::Status& error, const std::string& endpoints,
                     const ParsedFlags& flags) {
  const std::string text(error.message());
  if (absl::StrContains(text, "no leader") || absl::StrContains(text, "leader changed")) {
    return absl::StrCat(" (etcd at ", endpoints, " runs but has no leader: its cluster lost "
                        "quorum, more than half of its members are down; restart them)");
  }
  absl::StatusOr<EtcdClientOptions> options = ParseEtcdEndpoints(endpoints);
  if (!options.ok() || options->endpoints.empty()) return "";
  const EtcdSecurity security = EtcdSecurityFrom(flags, endpoints);
  options->tls = options->tls || security.tls || !security.ca_file.empty() ||
                 !security.cert_file.empty();
  const std::string first = options->endpoints[0];
  const bool listening = HealthProbe(HealthCheckKind::kTcp, first).Check(absl::Seconds(1)).ok();
  if (!listening) {
    return absl::StrCat(" (is etcd running at ", endpoints,
                        "? nothing accepts connections at ", first,
                        "; start one with `switchboard up`, or pass --etcd)");
  }
  if (absl::StrContains(text, "unreachable")) {
    return options->tls
               ? absl::StrCat(" (", first, " accepts connections but the TLS handshake failed: "
                              "the member may not speak TLS (try --etcd http://", first,
                              "), its certificate may not be signed by --etcd-ca=",
                              security.ca_file.empty() ? "(system CAs)" : security.ca_file,
                              ", or it refused the client certificate --etcd-cert=",
                              security.cert_file.empty() ? "(none)" : security.cert_file, ")")
               : absl::StrCat(" (", first, " accepts connections but no gRPC connection came "
                              "up: the member may require TLS; try --etcd https://", first, ")");
  }
  return absl::StrCat(" (", first, " accepts connections but did not answer in time: a member "
                      "without a leader, its cluster having lost quorum, cannot serve reads)");
}

}  // namespace

int RunLs(const Command& cmd, const ParsedFlags& flags);
const Command kLsCommand = {
    .name = "ls",
    .summary = "List the instances registered in etcd.",
    .usage = "switchboard ls [SERVICE] [--json] [--etcd HOST:PORT]",
    .description =
        "With SERVICE, only that service's instances. A SERVICE with no instance prints\n"
        "an empty list and exits 0, and says so on stderr, naming registered services\n"
        "with close names (a typo).\n",
    .flags = With({{.name = "json", .help = "print JSON instead of a table", .boolean = true}},
                  EtcdFlags()),
    .max_positionals = 1,
    .positional_name = "SERVICE",
    .run = RunLs,
};

int RunLs(const Command& cmd, const ParsedFlags& flags) {
  const std::string prefix = flags.Get("prefix");
  const std::string service = flags.positionals().empty() ? "" : flags.positionals()[0];
  absl::StatusOr<std::string> etcd_flag = EtcdEndpointsFrom(flags);
  if (!etcd_flag.ok()) return UsageError(cmd, etcd_flag.status());
  const std::string endpoints = *etcd_flag;
  auto client = ConnectEtcd(endpoints, flags);
  if (!client.ok()) return ConnectError(cmd, client.status());

  const std::string key_prefix = service.empty() ? prefix : ServiceKeyPrefix(prefix, service);
  absl::StatusOr<RangeResult> range = (*client)->GetPrefix(key_prefix);
  if (!range.ok()) {
    return RuntimeError(cmd, absl::UnavailableError(absl::StrCat(
                                 range.status().message(), EtcdHint(range.status(), endpoints, flags))));
  }
  std::vector<Instance> instances;
  for (const KeyValue& kv : range->kvs) {
    if (IsConfigKey(prefix, kv.key)) continue;  // route overrides, not instances
    absl::StatusOr<Instance> instance = DecodeInstance(prefix, kv.key, kv.value);
    if (!instance.ok()) {
      std::fprintf(stderr, "switchboard ls: skipping %s\n",
                   std::string(instance.status().message()).c_str());
      continue;
    }
    // "<service>/x/<addr>" lies under "<service>/" but belongs to "<service>/x".
    if (!service.empty() && instance->service != service) continue;
    instances.push_back(std::move(*instance));
  }
  std::sort(instances.begin(), instances.end(), [](const Instance& a, const Instance& b) {
    return std::tie(a.service, a.address) < std::tie(b.service, b.address);
  });
  if (flags.IsSet("json")) {
    std::printf("%s\n", InstancesJson(instances).c_str());
  } else {
    std::fputs(FormatInstanceTable(instances).c_str(), stdout);
    if (std::string zones = FormatZoneSummary(instances); !zones.empty()) {
      std::printf("\n%s", zones.c_str());
    }
  }
  // An empty answer is an answer (exit 0), but a typo should not look like
  // a service whose instances are all down.
  if (!service.empty() && instances.empty()) {
    if (std::optional<std::string> note = NoInstanceNote(**client, prefix, service)) {
      std::fflush(stdout);  // the list first, then what it means
      std::fprintf(stderr, "switchboard ls: %s\n", note->c_str());
    }
  }
  return kExitOk;
}

int RunWatch(const Command& cmd, const ParsedFlags& flags);
const Command kWatchCommand = {
    .name = "watch",
    .summary = "Print registry changes as they happen.",
    .usage = "switchboard watch [SERVICE] [--json] [--etcd HOST:PORT]",
    .description =
        "Prints the instances registered now ('+' lines), then one line per instance\n"
        "added (+), updated (~) or removed (-), until Ctrl-C. With --json, one JSON\n"
        "object per line. Without SERVICE, every service.\n",
    .flags = With({{.name = "json", .help = "one JSON object per line", .boolean = true}},
                  EtcdFlags()),
    .max_positionals = 1,
    .positional_name = "SERVICE",
    .run = RunWatch,
};

namespace {

class ChangePrinter : public LookupObserver {
 public:
  explicit ChangePrinter(bool json) : json_(json) {}
  void OnUpdate(SnapshotPtr snapshot, const Changeset& changes) override {
    for (const std::string& line : FormatChangeset(changes, absl::Now(), json_)) {
      std::printf("%s\n", line.c_str());
    }
    std::fflush(stdout);
    if (failing_) std::fprintf(stderr, "switchboard watch: etcd reachable again\n");
    failing_ = false;
  }
  void OnError(const absl::Status& error) override {
    if (!failing_) {
      std::fprintf(stderr, "switchboard watch: %s; retrying\n",
                   std::string(error.message()).c_str());
    }
    failing_ = true;
  }

 private:
  const bool json_;
  bool failing_ = false;  // owned by the watcher's thread
};

}  // namespace

int RunWatch(const Command& cmd, const ParsedFlags& flags) {
  absl::StatusOr<std::string> etcd_flag = EtcdEndpointsFrom(flags);
  if (!etcd_flag.ok()) return UsageError(cmd, etcd_flag.status());
  const std::string endpoints = *etcd_flag;
  auto client = ConnectEtcd(endpoints, flags);
  if (!client.ok()) return ConnectError(cmd, client.status());
  BlockTerminationSignals();
  // The watcher logs its retries; the printer says it once, plainly.
  SetLogLevel(LogLevel::kError);
  const std::string service = flags.positionals().empty() ? "" : flags.positionals()[0];
  if (!service.empty()) {
    if (std::optional<std::string> note = NoInstanceNote(**client, flags.Get("prefix"), service)) {
      std::fprintf(stderr, "switchboard watch: %s; watching for it\n", note->c_str());
    }
  }
  EtcdWatcher watcher(*client, {.prefix = flags.Get("prefix"), .service = service});
  ChangePrinter printer(flags.IsSet("json"));
  watcher.Start(&printer);
  WaitForTerminationSignal(absl::InfiniteDuration());
  watcher.Stop();
  return kExitOk;
}

int RunRegister(const Command& cmd, const ParsedFlags& flags);
const Command kRegisterCommand = {
    .name = "register",
    .summary = "Keep a server registered while it is healthy (a sidecar for any language).",
    .usage = "switchboard register --service S --addr IP:PORT [flags]",
    .description =
        "Registers the instance in etcd under a lease while its health check passes,\n"
        "withdraws it when --unhealthy-after checks in a row fail, registers it again\n"
        "when a check passes or etcd comes back, and deregisters it on Ctrl-C / SIGTERM.\n"
        "Health checks: grpc (grpc.health.v1 Check, service \"\"), tcp (connect), none.\n"
        "\nExample:\n"
        "  switchboard register --service greeter --addr 127.0.0.1:50051 --meta canary=true\n",
    .flags = With(
        {{.name = "service", .value_name = "S",
          .help = absl::StrCat("service name (required): ", kServiceNameRule)},
         {.name = "addr", .value_name = "IP:PORT",
          .help = "address clients call (required): an IP, not a name or 0.0.0.0"},
         {.name = "meta", .value_name = "K=V", .help = "a label", .repeatable = true},
         {.name = "weight", .value_name = "N", .help = "relative share of traffic, 1..10000",
          .default_text = "1"},
         {.name = "zone", .value_name = "Z", .help = "locality"},
         {.name = "version", .value_name = "V", .help = "software version"},
         {.name = "ttl", .value_name = "DURATION", .help = "lease TTL (whole seconds, at least 1s)", .default_text = "10s"},
         LogFormatFlag(),
         {.name = "http", .value_name = "HOST:PORT",
          .help = "serve /metrics, /healthz and /readyz (registered) here (loopback unless you "
                  "say otherwise)",
          .default_text = "none"},
         {.name = "health", .value_name = "grpc|tcp|none", .help = "health check",
          .default_text = "grpc"},
         {.name = "health-interval", .value_name = "DURATION", .help = "time between checks",
          .default_text = "1s"},
         {.name = "unhealthy-after", .value_name = "N",
          .help = "consecutive failed checks before the instance is withdrawn, 1..100",
          .default_text = "2"}},
        EtcdFlags()),
    .run = RunRegister,
};

namespace {

// Every address `host` resolves to on this machine, for a hint.
std::vector<std::string> AddressesOf(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::vector<std::string> ips;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0) return ips;
  for (addrinfo* a = result; a != nullptr; a = a->ai_next) {
    char ip[INET6_ADDRSTRLEN] = {};
    const void* raw = a->ai_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (inet_ntop(a->ai_family, raw, ip, sizeof(ip)) != nullptr &&
        std::find(ips.begin(), ips.end(), ip) == ips.end()) {
      ips.push_back(ip);
    }
  }
  freeaddrinfo(result);
  return ips;
}

// Parses register's flags into the instance, or says which flag is wrong.
absl::StatusOr<Instance> InstanceFromFlags(const ParsedFlags& flags) {
  Instance instance;
  instance.service = flags.Get("service");
  instance.address = flags.Get("addr");
  if (instance.service.empty()) return absl::InvalidArgumentError("--service is required");
  if (instance.address.empty()) return absl::InvalidArgumentError("--addr is required");
  if (absl::Status s = CheckHostPortFlag("addr", instance.address); !s.ok()) return s;
  if (flags.IsSet("weight")) {
    absl::StatusOr<int64_t> weight =
        ParseIntFlag("weight", flags.Get("weight"), 1, InstanceMetadata::kMaxWeight);
    if (!weight.ok()) return weight.status();
    instance.metadata.weight = static_cast<uint32_t>(*weight);
  }
  instance.metadata.zone = flags.Get("zone");
  instance.metadata.version = flags.Get("version");
  for (const std::string& meta : flags.GetAll("meta")) {
    auto kv = ParseKeyValueFlag("meta", meta);
    if (!kv.ok()) return kv.status();
    instance.metadata.labels[kv->first] = kv->second;
  }
  if (absl::Status s = ValidateServiceName(instance.service); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--service: ", s.message()));
  }
  if (absl::Status s = ValidateInstance(instance); !s.ok()) {
    std::string hint;
    if (absl::StatusOr<HostPort> hp = ParseHostPort(instance.address);
        hp.ok() && !IsIpLiteral(hp->host)) {
      std::vector<std::string> ips = AddressesOf(hp->host);
      hint = ips.empty() ? absl::StrCat(" ('", hp->host, "' does not resolve here)")
                         : absl::StrCat(" ('", hp->host, "' resolves to ", absl::StrJoin(ips, ", "), " here)");
    }
    return absl::InvalidArgumentError(absl::StrCat("--addr=", instance.address, ": ", s.message(), hint));
  }
  return instance;
}

}  // namespace

int RunRegister(const Command& cmd, const ParsedFlags& flags) {
  if (absl::Status s = ApplyLogFormatFlag(flags); !s.ok()) return UsageError(cmd, s);
  absl::StatusOr<Instance> instance = InstanceFromFlags(flags);
  if (!instance.ok()) return UsageError(cmd, instance.status());
  absl::StatusOr<absl::Duration> ttl = ParseDurationFlag("ttl", flags.Get("ttl", "10s"));
  if (!ttl.ok()) return UsageError(cmd, ttl.status());
  if (absl::Status s = ValidateRegistrarOptions({.ttl = *ttl}); !s.ok()) {
    return UsageError(cmd, absl::StrCat("--ttl: ", s.message()));
  }
  absl::StatusOr<absl::Duration> interval =
      ParseDurationFlag("health-interval", flags.Get("health-interval", "1s"));
  if (!interval.ok()) return UsageError(cmd, interval.status());
  // Checks closer together than this only load the server and flap.
  constexpr absl::Duration kMinHealthInterval = absl::Milliseconds(100);
  if (*interval < kMinHealthInterval) {
    return UsageError(cmd, absl::StrCat("--health-interval: ", absl::FormatDuration(*interval),
                                        " is too short; use ",
                                        absl::FormatDuration(kMinHealthInterval), " or more"));
  }
  absl::StatusOr<HealthCheckKind> kind = ParseHealthCheckKind(flags.Get("health", "grpc"));
  if (!kind.ok()) return UsageError(cmd, kind.status());
  absl::StatusOr<int64_t> unhealthy_after =
      ParseIntFlag("unhealthy-after", flags.Get("unhealthy-after", "2"), 1, 100);
  if (!unhealthy_after.ok()) return UsageError(cmd, unhealthy_after.status());
  absl::StatusOr<std::string> etcd_flag = EtcdEndpointsFrom(flags);
  if (!etcd_flag.ok()) return UsageError(cmd, etcd_flag.status());
  const std::string endpoints = *etcd_flag;
  auto client = ConnectEtcd(endpoints, flags);
  if (!client.ok()) return ConnectError(cmd, client.status());

  if (flags.IsSet("http")) {
    if (absl::Status s = CheckHostPortFlag("http", flags.Get("http"), true); !s.ok()) {
      return UsageError(cmd, s);
    }
    absl::StatusOr<HostPort> http_host = ParseListenHostPort(flags.Get("http"));
    if (!observability::IsLoopbackHost(http_host->host)) {
      std::fprintf(stderr, "switchboard register: warning: --http %s is not a loopback address: "
                   "its metrics are readable from the network\n", flags.Get("http").c_str());
    }
  }
  BlockTerminationSignals();
  auto metrics = std::make_shared<observability::RegistrationMetrics>();
  auto registered_now = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<observability::HttpServer> http;
  if (flags.IsSet("http")) {
    observability::Routes routes = observability::BasicRoutes({metrics->registry()});
    routes["/readyz"] = [registered_now] {
      return registered_now->load()
                 ? observability::HttpResponse{.body = "ready: registered\n"}
                 : observability::HttpResponse{.status = 503, .body = "not ready: not registered\n"};
    };
    auto started = observability::HttpServer::Start(flags.Get("http"), std::move(routes));
    if (!started.ok()) {
      return RuntimeError(cmd, absl::Status(started.status().code(),
                                            absl::StrCat("--http ", flags.Get("http"), ": ",
                                                         started.status().message())));
    }
    http = *std::move(started);
  }
  // On SIGTERM with etcd unreachable, waiting long to deregister only
  // delays the exit: the record expires with the lease anyway.
  const RegistrarOptions registrar_options = {.prefix = flags.Get("prefix"),
                                              .ttl = *ttl,
                                              .deregister_timeout = absl::Seconds(1),
                                              .on_keepalive_answer = [metrics](absl::Duration d) {
                                                metrics->OnKeepAlive(d);
                                              }};
  HealthProbe probe(*kind, instance->address);
  std::unique_ptr<Registrar> registrar;
  auto say = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  const std::string health_kind = flags.Get("health", "grpc");
  HealthGate gate({.service = instance->service,
                   .address = instance->address,
                   .health_kind = health_kind,
                   .endpoints = endpoints,
                   .ttl = *ttl,
                   .unhealthy_after = *unhealthy_after});
  const std::string who = gate.who();
  say(absl::StrCat("switchboard register ", kVersion, ": keeping ", who, " registered in etcd ",
                   endpoints,
                   health_kind == "none" ? " (no health check)"
                                         : absl::StrCat(" while its ", health_kind,
                                                        " health check passes")));
  int exit_code = kExitOk;
  while (true) {
    const absl::Time check_start = absl::Now();
    absl::Status health = probe.Check(std::min(*interval, absl::Seconds(1)));
    if (health_kind != "none") metrics->OnHealthCheck(health.ok(), absl::Now() - check_start);
    HealthGate::Decision decision = gate.OnHealthCheck(health);
    for (const std::string& line : decision.messages) say(line);
    if (decision.action == HealthGate::Action::kRegister) {
      registrar = std::make_unique<Registrar>(*client, registrar_options);
      if (absl::Status s = registrar->Start({*instance}); !s.ok()) {
        exit_code = RuntimeError(cmd, s);
        break;
      }
    } else if (decision.action == HealthGate::Action::kWithdraw) {
      if (absl::Status s = registrar->Deregister(); !s.ok()) {
        say(absl::StrCat("could not delete the registration (it expires within ",
                         absl::FormatDuration(*ttl), "): ", s.message()));
      }
      registrar.reset();
      metrics->OnWithdrawn();
    }
    if (registrar != nullptr) {
      const RegistrationState state = registrar->state();
      metrics->OnState(state);
      registered_now->store(state.phase == RegistrationPhase::kRegistered);
      if (std::optional<std::string> line = gate.OnRegistrationState(state)) {
        say(*line);
        // Ready once first registered; later changes only update the status.
        if (state.phase == RegistrationPhase::kRegistered) {
          NotifyReady(*line);
        } else {
          NotifyStatus(*line);
        }
      }
    } else {
      registered_now->store(false);
      for (const std::string& line : decision.messages) NotifyStatus(line);
    }
    if (WaitForTerminationSignal(*interval) != 0) break;
  }
  NotifyStopping();
  if (registrar != nullptr) {
    if (absl::Status s = registrar->Deregister(); s.ok()) {
      say(absl::StrCat("deregistered ", who));
    } else {
      say(absl::StrCat("could not delete the registration (it expires within ",
                       absl::FormatDuration(*ttl), "): ", s.message()));
    }
  }
  return exit_code;
}

}  // namespace switchboard::cli
