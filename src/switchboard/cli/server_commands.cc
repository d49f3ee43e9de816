// `switchboard up`, `switchboard xds` and `switchboard bootstrap`: the
// registry and the control plane as processes on a developer's machine.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <initializer_list>
#include <memory>

#include <grpcpp/security/credentials.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "switchboard/cli/commands.h"
#include "switchboard/cli/service_readiness.h"
#include "switchboard/cli/up_state.h"
#include "switchboard/cli/version.h"
#include "switchboard/client/route_override_feed.h"
#include "switchboard/common/host_port.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/supervisor/local_etcd.h"
#include "switchboard/lookup/builtin_sources.h"
#include "switchboard/lookup/etcd/etcd_factory.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/observability/callback_metric.h"
#include "switchboard/observability/control_plane_metrics.h"
#include "switchboard/observability/event_feed.h"
#include "switchboard/observability/http_server.h"
#include "switchboard/observability/routes.h"
#include "switchboard/xds/bootstrap.h"
#include "switchboard/xds/control_plane.h"
#include "switchboard/xds/policy_file.h"
#include "switchboard/xds/xds_server_probe.h"
#include "switchboard/xds/xds_server_tls.h"

namespace switchboard::cli {
namespace {

// The policies of --policy FILE; the built-in defaults without it.
absl::StatusOr<xds::PolicyTable> PoliciesFrom(const ParsedFlags& flags) {
  if (!flags.IsSet("policy")) return xds::PolicyTable{};
  absl::StatusOr<xds::PolicyTable> table = xds::LoadPolicyFile(flags.Get("policy"));
  if (!table.ok()) return absl::InvalidArgumentError(absl::StrCat("--policy: ", table.status().message()));
  for (const std::string& caveat : xds::ClientCaveats(*table)) {
    std::fprintf(stderr, "switchboard: --policy: warning: %s\n", caveat.c_str());
  }
  return table;
}

FlagSpec PolicyFlag() {
  return {.name = "policy", .value_name = "FILE",
          .help = "per-service timeout, retry, outlier detection, circuit breaker and LB "
                  "policy (JSON, see docs/policy.md); reloaded on SIGHUP"};
}

// Serves until SIGINT or SIGTERM (returned); on SIGHUP reads the policy
// file again and applies it, or keeps the current policies if it is bad.
int ServeUntilTerminated(const Command& cmd, xds::XdsControlPlane& plane,
                         const ParsedFlags& flags) {
  while (true) {
    int signal = WaitForTerminationSignal(absl::InfiniteDuration());
    if (signal != SIGHUP) return signal;
    if (!flags.IsSet("policy")) {
      std::fprintf(stderr, "switchboard %s: SIGHUP: no --policy file to reload\n", cmd.name.c_str());
      continue;
    }
    absl::StatusOr<xds::PolicyTable> table = PoliciesFrom(flags);
    if (!table.ok()) {
      std::fprintf(stderr, "switchboard %s: SIGHUP: %s; keeping the current policies\n",
                   cmd.name.c_str(), std::string(table.status().message()).c_str());
      continue;
    }
    plane.SetPolicies(*std::move(table));
    std::fprintf(stderr, "switchboard %s: SIGHUP: policies reloaded from %s\n", cmd.name.c_str(),
                 flags.Get("policy").c_str());
  }
}

// `flags` followed by the etcd TLS and auth flags.
std::vector<FlagSpec> WithEtcdSecurityFlags(std::vector<FlagSpec> flags) {
  for (FlagSpec& flag : EtcdSecurityFlags()) flags.push_back(std::move(flag));
  return flags;
}

// Builds (does not start) a source per URI. Nearly every error here is a bad
// command line (an unknown scheme or query parameter, a bad value), so it
// is InvalidArgument prefixed with `flag`, the flag the URI came from.
absl::StatusOr<std::vector<std::unique_ptr<LookupSource>>> MakeSources(
    const std::vector<std::string>& uris, absl::string_view flag) {
  std::vector<std::unique_ptr<LookupSource>> sources;
  for (const std::string& uri : uris) {
    absl::StatusOr<std::unique_ptr<LookupSource>> source = BuiltinLookupSources().Make(uri);
    if (!source.ok()) {
      // Unavailable or PermissionDenied: etcd refusing a user or not
      // answering its authentication, not a bad command line.
      return absl::Status(source.status().code(), absl::StrCat(flag, ": ", source.status().message()));
    }
    sources.push_back(std::move(*source));
  }
  return sources;
}

// `cache_dir`: where each source's last good snapshot is kept, so that a
// restart while a source is unreachable serves it; empty: no cache.
absl::StatusOr<std::unique_ptr<xds::XdsControlPlane>> StartControlPlane(
    std::vector<std::unique_ptr<LookupSource>> sources, const std::string& listen,
    xds::PolicyTable policies, const std::string& cache_dir,
    std::shared_ptr<xds::XdsObserver> observer, xds::XdsServerTls tls = {}) {
  return xds::XdsControlPlane::Start(
      std::move(sources), {.listen_address = listen,
                           .tls = std::move(tls),
                           .policies = std::move(policies),
                           .cache_dir = cache_dir,
                           .observer = std::move(observer)});
}

// Waits until `plane` serves a first catalog, which it does at the latest
// after its initial sync timeout (every source in, or given up waiting),
// then tells systemd it is ready with `status`. The wait is bounded so that
// a signal is not ignored for long if that promise were ever broken.
void NotifyReadyOnceServing(xds::XdsControlPlane& plane, const std::string& status) {
  NotifyStatus("waiting for the first snapshot of every source");
  constexpr absl::Duration kServingDeadline = absl::Seconds(30);
  if (!plane.WaitUntilServing(kServingDeadline)) {
    std::fprintf(stderr, "switchboard: no catalog served after %s; reporting ready anyway\n",
                 absl::FormatDuration(kServingDeadline).c_str());
  }
  NotifyReady(status);
}

// A file flag given empty (`--tls-cert ''`, an unset variable) is an
// error, not a silent "no TLS".
absl::Status CheckFileFlagsNotEmpty(const ParsedFlags& flags,
                                    std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (flags.IsSet(name) && flags.Get(name).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": empty; give a PEM file"));
    }
  }
  return absl::OkStatus();
}

FlagSpec HttpFlag(std::string default_text) {
  return {.name = "http", .value_name = "HOST:PORT",
          .help = "serve the dashboard, /metrics, /healthz, /readyz and /api/ here "
                  "(loopback unless you say otherwise)",
          .default_text = std::move(default_text)};
}

// Checks an --http address; warns (on stderr) when it is reachable from
// other machines: the status pages show every client and instance.
absl::Status CheckHttpFlag(const Command& cmd, const std::string& address) {
  if (absl::Status s = CheckHostPortFlag("http", address, true); !s.ok()) return s;
  std::string host = ParseListenHostPort(address)->host;
  if (!observability::IsLoopbackHost(host)) {
    std::fprintf(stderr,
                 "switchboard %s: warning: --http %s is not a loopback address: metrics, "
                 "clients and instances are readable from the network, without authentication\n",
                 cmd.name.c_str(), address.c_str());
  }
  return absl::OkStatus();
}

// The metrics and HTTP server of a running control plane.
struct PlaneHttp {
  std::shared_ptr<observability::ControlPlaneMetrics> metrics =
      std::make_shared<observability::ControlPlaneMetrics>();
  std::shared_ptr<observability::EventFeed> feed = std::make_shared<observability::EventFeed>();
  // What the control plane is given: both of the above.
  std::shared_ptr<xds::XdsObserver> observer =
      std::make_shared<observability::ObserverFanout>(
          std::vector<std::shared_ptr<xds::XdsObserver>>{metrics, feed});
  std::unique_ptr<observability::HttpServer> server;

  // Collected with the plane's metrics (the supervisor's).
  std::vector<std::shared_ptr<const prometheus::Collectable>> more;

  // Serves `plane`'s routes on `address`; the error names --http.
  absl::Status Start(const xds::XdsControlPlane* plane, const std::string& address) {
    metrics->Attach(plane);
    std::vector<std::shared_ptr<const prometheus::Collectable>> collectables = {metrics};
    collectables.insert(collectables.end(), more.begin(), more.end());
    auto started = observability::HttpServer::Start(
        address, observability::ControlPlaneRoutes(plane, std::move(collectables), feed));
    if (!started.ok()) {
      metrics->Attach(nullptr);
      return absl::Status(started.status().code(),
                          absl::StrCat("--http ", address, ": ", started.status().message()));
    }
    server = *std::move(started);
    return absl::OkStatus();
  }
  // Before the plane stops.
  void Stop() {
    if (server != nullptr) server->Stop();
    metrics->Attach(nullptr);
  }
};

}  // namespace

int RunUp(const Command& cmd, const ParsedFlags& flags);
const Command kUpCommand = {
    .name = "up",
    .summary = "Run a local registry (etcd) and the xDS control plane, until Ctrl-C.",
    .usage = "switchboard up [--data-dir DIR] [--etcd-listen HOST:PORT] [--xds-listen HOST:PORT]",
    .description =
        "Starts a single-node etcd (Debian's etcd-server) under the data dir and keeps it\n"
        "running (restarted with backoff if it dies), and serves xDS from what is\n"
        "registered in it. With --etcd, uses an existing etcd cluster instead.\n"
        "The managed etcd runs without fsync (fast; its last writes are lost on a power\n"
        "cut) unless --etcd-fsync. Its log is <data-dir>/etcd/etcd.log; up's own log goes\n"
        "to stderr. Other subcommands find it through <data-dir>/up.json. Only one `up`\n"
        "runs per data dir. The last registry contents seen are kept in <data-dir>/cache\n"
        "and served after a restart while the registry is unreachable.\n"
        "`up` is for one machine; for several, see docs/deployment.md (an etcd cluster\n"
        "with TLS and auth, `switchboard xds` per host). The --etcd-ca ... flags apply\n"
        "to --etcd.\n",
    .flags = WithEtcdSecurityFlags({
        {.name = "data-dir", .value_name = "DIR", .help = "etcd data, logs, up.json, snapshot cache",
         .default_text = "$XDG_STATE_HOME/switchboard or ~/.local/state/switchboard"},
        {.name = "etcd-listen", .value_name = "HOST:PORT",
         .help = "client address of the managed etcd (peers on PORT+1)",
         .default_text = "127.0.0.1:2379"},
        {.name = "xds-listen", .value_name = "HOST:PORT", .help = "where xDS is served",
         .default_text = "127.0.0.1:18000"},
        {.name = "etcd", .value_name = "HOST:PORT[,HOST:PORT]",
         .help = "use this etcd cluster instead of starting one"},
        {.name = "prefix", .value_name = "P", .help = "registry key prefix"},
        {.name = "etcd-binary", .value_name = "PATH", .help = "the etcd executable",
         .default_text = "etcd"},
        {.name = "etcd-fsync", .help = "make the managed etcd fsync its writes (off by default: "
                                       "fast, but the last writes are lost on a power cut)",
         .boolean = true},
        PolicyFlag(),
        HttpFlag("127.0.0.1:18080, else a free port"),
        LogFormatFlag(),
    }),
    .run = RunUp,
};

int RunUp(const Command& cmd, const ParsedFlags& flags) {
  if (absl::Status s = ApplyLogFormatFlag(flags); !s.ok()) return UsageError(cmd, s);
  const std::string data_dir = flags.Get("data-dir", DefaultDataDir());
  const std::string etcd_listen = flags.Get("etcd-listen", "127.0.0.1:2379");
  const std::string xds_listen = flags.Get("xds-listen", "127.0.0.1:18000");
  if (absl::Status s = CheckHostPortFlag("etcd-listen", etcd_listen); !s.ok()) {
    return UsageError(cmd, s);
  }
  if (absl::Status s = CheckHostPortFlag("xds-listen", xds_listen, true); !s.ok()) {
    return UsageError(cmd, s);
  }
  const std::string http_listen = flags.Get("http", "127.0.0.1:18080");
  if (absl::Status s = CheckHttpFlag(cmd, http_listen); !s.ok()) return UsageError(cmd, s);
  const bool managed = !flags.IsSet("etcd");
  if (!managed && flags.Get("etcd-fsync") == "true") {
    return UsageError(cmd, "--etcd-fsync applies to the etcd `up` runs, not to --etcd's");
  }
  if (!managed && flags.IsSet("etcd-listen")) {
    return UsageError(cmd, "--etcd-listen and --etcd exclude each other: either switchboard "
                           "runs etcd, or it uses yours");
  }
  if (!managed && absl::StripAsciiWhitespace(flags.Get("etcd")).empty()) {
    return UsageError(cmd, "--etcd is empty: give HOST:PORT[,HOST:PORT] of your etcd, or leave "
                           "--etcd out and `up` runs one");
  }
  std::string external_source;
  if (!managed) {
    absl::StatusOr<std::string> uri = EtcdSourceUriFrom(flags, flags.Get("etcd"), flags.Get("prefix"));
    if (!uri.ok()) return UsageError(cmd, uri.status());
    external_source = *uri;
  } else if (!EtcdSecurityFrom(flags, "").empty()) {
    return UsageError(cmd, "--etcd-ca, --etcd-cert, --etcd-key, --etcd-user and "
                           "--etcd-password-file apply to an external etcd: give --etcd");
  }
  const std::string prefix = flags.Get("prefix");

  absl::StatusOr<xds::PolicyTable> policies = PoliciesFrom(flags);
  if (!policies.ok()) return UsageError(cmd, policies.status());

  absl::StatusOr<UpLock> lock = UpLock::Acquire(data_dir);
  if (!lock.ok()) return RuntimeError(cmd, lock.status());
  BlockTerminationSignals();

  std::unique_ptr<supervisor::EtcdSupervisor> supervisor;
  std::string endpoints = flags.Get("etcd");
  if (managed) {
    // Checked by CheckHostPortFlag above. LocalEtcd writes its URLs as
    // host + ":" + port, so an IPv6 host keeps its brackets.
    const HostPort listen = *ParseHostPort(etcd_listen);
    const int port = listen.port;
    supervisor = std::make_unique<supervisor::EtcdSupervisor>(
        supervisor::LocalEtcdOptions{.data_dir = data_dir + "/etcd",
                                .host = IsIpLiteral(listen.host) && absl::StrContains(listen.host, ':')
                                             ? absl::StrCat("[", listen.host, "]")
                                             : listen.host,
                                .client_port = port,
                                .peer_port = port + 1,
                                .binary = flags.Get("etcd-binary", "etcd"),
                                .fsync = flags.Get("etcd-fsync") == "true"},
        [](const std::string& message) {
          std::fprintf(stderr, "switchboard up: %s\n", message.c_str());
        });
    if (absl::Status s = supervisor->Start(); !s.ok()) return RuntimeError(cmd, s);
    endpoints = supervisor->endpoint();
  }

  const std::string source_uri = managed ? EtcdSourceUri(endpoints, prefix) : external_source;
  absl::StatusOr<std::vector<std::unique_ptr<LookupSource>>> sources =
      MakeSources({source_uri}, managed ? "--etcd-listen" : "--etcd");
  if (!sources.ok()) {
    if (supervisor) supervisor->Stop();
    return UsageError(cmd, sources.status());
  }
  PlaneHttp http;
  if (supervisor) {
    http.more.push_back(std::make_shared<observability::CallbackMetric>(
        "switchboard_etcd_restarts_total", "Times the managed etcd was restarted after it died",
        prometheus::MetricType::Counter,
        [s = supervisor.get()] { return static_cast<double>(s->restarts()); }));
  }
  auto plane = StartControlPlane(*std::move(sources), xds_listen, *std::move(policies),
                                 data_dir + "/cache", http.observer);
  if (!plane.ok()) {
    if (supervisor) supervisor->Stop();
    return RuntimeError(cmd, plane.status());
  }
  // Route overrides (`switchboard route set`) kept in the same etcd.
  absl::StatusOr<std::unique_ptr<RouteOverrideFeed>> routes =
      RouteOverrideFeed::Start({source_uri}, **plane);
  if (!routes.ok()) {
    (*plane)->Stop();
    if (supervisor) supervisor->Stop();
    return RuntimeError(cmd, routes.status());
  }
  absl::Status http_started = http.Start(plane->get(), http_listen);
  if (!http_started.ok() && !flags.IsSet("http")) {
    // The default port taken (a second `up` on another data dir, a test
    // run): any free port does, and up.json says which.
    std::fprintf(stderr, "switchboard up: %s; serving HTTP on a free port instead\n",
                 std::string(http_started.message()).c_str());
    http_started = http.Start(plane->get(), "127.0.0.1:0");
  }
  if (!http_started.ok()) {
    (*plane)->Stop();
    if (supervisor) supervisor->Stop();
    return RuntimeError(cmd, http_started);
  }
  const std::string xds_address = (*plane)->address();
  UpState state{.pid = getpid(), .etcd = endpoints, .xds = xds_address,
                .managed_etcd = managed, .data_dir = data_dir, .http = http.server->address()};
  if (absl::Status s = WriteUpState(data_dir, state); !s.ok()) {
    http.Stop();
    (*plane)->Stop();
    if (supervisor) supervisor->Stop();
    return RuntimeError(cmd, s);
  }

  // Commands to copy: with --data-dir when it is not the default, so that
  // they find this `up`.
  const std::string dir_flag =
      data_dir == DefaultDataDir() ? "" : absl::StrCat(" --data-dir ", data_dir);
  std::printf(
      "switchboard up %s (pid %d), data in %s\n"
      "  etcd  %s%s\n"
      "  xDS   %s\n"
      "  HTTP  http://%s/ (dashboard; /metrics, /healthz, /readyz, /api/status)\n"
      "\n"
      "Register servers, from any language:\n"
      "  switchboard register --service greeter --addr HOST:PORT%s\n"
      "or from C++ (DiscoverableServer), e.g.:\n"
      "  greeter_server --etcd=%s\n"
      "Point gRPC clients (C++, Go, Java, Python, Node) at it and dial xds:///<service>:\n"
      "  export GRPC_XDS_BOOTSTRAP_CONFIG=$(switchboard bootstrap%s)\n"
      "See what is registered, and who uses it:\n"
      "  switchboard ls%s\n"
      "  switchboard status%s\n"
      "  switchboard watch greeter%s\n"
      "Ctrl-C stops.\n",
      kVersion, static_cast<int>(getpid()), data_dir.c_str(), endpoints.c_str(),
      managed ? " (managed)" : " (external)", xds_address.c_str(),
      http.server->address().c_str(), dir_flag.c_str(), endpoints.c_str(), dir_flag.c_str(),
      dir_flag.c_str(), dir_flag.c_str(), dir_flag.c_str());
  std::fflush(stdout);
  // The supervisor's Start() returned with etcd answering its health check.
  NotifyReadyOnceServing(**plane, absl::StrCat("etcd ", endpoints, ", xDS on ", xds_address));

  int signal = ServeUntilTerminated(cmd, **plane, flags);
  NotifyStopping();
  std::printf("switchboard up: %s received, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  RemoveUpState(data_dir);
  routes->reset();
  http.Stop();
  (*plane)->Stop();
  if (supervisor) supervisor->Stop();
  return kExitOk;
}

int RunXds(const Command& cmd, const ParsedFlags& flags);
const Command kXdsCommand = {
    .name = "xds",
    .summary = "Serve xDS to gRPC clients from one or more lookup sources.",
    .usage = "switchboard xds [--listen HOST:PORT] [--source URI]... [--cache-dir DIR]\n"
             "       [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]",
    .description = absl::StrCat(
        "Without --source, serves what is registered in the etcd of the running\n"
        "`switchboard up` (or --etcd). With --cache-dir, each source's last good\n"
        "snapshot is kept there, and served after a restart while the source is\n"
        "unreachable. The --etcd-ca ... flags apply to the default source and to every\n"
        "etcd:// --source that does not give its own ca=, cert=, key=, user=,\n"
        "password-file= parameters.\n"
        "With --tls-cert and --tls-key, xDS is served over TLS, and with\n"
        "--tls-client-ca too, only to clients with a certificate signed by that CA\n"
        "(mTLS); their bootstrap: switchboard bootstrap --xds-ca ... [--xds-cert ...\n"
        "--xds-key ...]. Only clients whose gRPC reads A65 \"tls\" channel creds can\n"
        "use it (gRPC-Go >= 1.61); gRPC C++ 1.51 and grpc-js-xds 1.14 cannot, and\n"
        "dial a plaintext control plane on loopback or a unix socket\n"
        "(docs/deployment.md). --http stays plain HTTP. Sources:\n",
        BuiltinLookupSources().Help(), "\n"),
    .flags = WithEtcdSecurityFlags({
        {.name = "listen", .value_name = "HOST:PORT", .help = "where xDS is served",
         .default_text = "127.0.0.1:18000"},
        {.name = "source", .value_name = "URI", .help = "a lookup source", .repeatable = true},
        {.name = "etcd", .value_name = "HOST:PORT[,HOST:PORT]",
         .help = "etcd endpoints of the default source",
         .default_text = "the running `switchboard up`'s, else 127.0.0.1:2379"},
        {.name = "prefix", .value_name = "P", .help = "registry key prefix of the default source"},
        {.name = "data-dir", .value_name = "DIR", .help = "where `switchboard up` keeps its state"},
        {.name = "cache-dir", .value_name = "DIR",
         .help = "keep each source's last good snapshot here (created if missing)",
         .default_text = "no cache"},
        {.name = "tls-cert", .value_name = "FILE",
         .help = "serve xDS over TLS with this certificate (PEM); needs --tls-key",
         .default_text = "plaintext"},
        {.name = "tls-key", .value_name = "FILE", .help = "the certificate's private key (PEM)"},
        {.name = "tls-client-ca", .value_name = "FILE",
         .help = "require client certificates signed by this CA (PEM): mTLS; needs --tls-cert",
         .default_text = "no client certificate asked for"},
        PolicyFlag(),
        HttpFlag("none"),
        LogFormatFlag(),
    }),
    .run = RunXds,
};

int RunXds(const Command& cmd, const ParsedFlags& flags) {
  if (absl::Status s = ApplyLogFormatFlag(flags); !s.ok()) return UsageError(cmd, s);
  const std::string listen = flags.Get("listen", "127.0.0.1:18000");
  if (!absl::StartsWith(listen, "unix:")) {
    if (absl::Status s = CheckHostPortFlag("listen", listen, true); !s.ok()) {
      return UsageError(cmd, s);
    }
  }
  std::vector<std::string> uris = flags.GetAll("source");
  const bool default_source = uris.empty();
  if (default_source) {
    absl::StatusOr<std::string> endpoints = EtcdEndpointsFrom(flags);
    if (!endpoints.ok()) return UsageError(cmd, endpoints.status());
    absl::StatusOr<std::string> uri = EtcdSourceUriFrom(flags, *endpoints, flags.Get("prefix"));
    if (!uri.ok()) return UsageError(cmd, uri.status());
    uris.push_back(*uri);
  } else {
    const EtcdSecurity security = EtcdSecurityFrom(flags, "");
    for (std::string& uri : uris) {
      absl::StatusOr<std::string> secured = WithEtcdSecurityDefaults(uri, security);
      if (!secured.ok()) return UsageError(cmd, absl::StrCat("--source: ", secured.status().message()));
      uri = *secured;
    }
  }
  if (flags.IsSet("cache-dir") && flags.Get("cache-dir").empty()) {
    return UsageError(cmd, "--cache-dir: give a directory");
  }
  if (absl::Status s = CheckFileFlagsNotEmpty(flags, {"tls-cert", "tls-key", "tls-client-ca"});
      !s.ok()) {
    return UsageError(cmd, s);
  }
  const xds::XdsServerTls tls{.cert_file = flags.Get("tls-cert"),
                              .key_file = flags.Get("tls-key"),
                              .client_ca_file = flags.Get("tls-client-ca")};
  // Checked now, so that a bad file is a usage error naming its flag.
  if (absl::Status s = xds::MakeXdsServerCredentials(tls).status(); !s.ok()) {
    return UsageError(cmd, s);
  }
  if (flags.IsSet("http")) {
    if (absl::Status s = CheckHttpFlag(cmd, flags.Get("http")); !s.ok()) return UsageError(cmd, s);
  }
  absl::StatusOr<xds::PolicyTable> policies = PoliciesFrom(flags);
  if (!policies.ok()) return UsageError(cmd, policies.status());
  // Before building sources: an etcd client starts gRPC's threads, which
  // must not take the signals.
  BlockTerminationSignals();
  // Built before anything starts, so that a bad parameter is a usage error.
  absl::StatusOr<std::vector<std::unique_ptr<LookupSource>>> sources =
      MakeSources(uris, default_source ? "--etcd" : "--source");
  if (!sources.ok()) {
    return sources.status().code() == absl::StatusCode::kInvalidArgument
               ? UsageError(cmd, sources.status())
               : RuntimeError(cmd, sources.status());
  }
  PlaneHttp http;
  auto plane = StartControlPlane(*std::move(sources), listen, *std::move(policies),
                                 flags.Get("cache-dir"), http.observer, tls);
  if (!plane.ok()) return RuntimeError(cmd, plane.status());
  // Route overrides (`switchboard route set`) kept in each etcd source.
  absl::StatusOr<std::unique_ptr<RouteOverrideFeed>> routes = RouteOverrideFeed::Start(uris, **plane);
  if (!routes.ok()) return RuntimeError(cmd, routes.status());
  if (flags.IsSet("http")) {
    if (absl::Status s = http.Start(plane->get(), flags.Get("http")); !s.ok()) {
      (*plane)->Stop();
      return RuntimeError(cmd, s);
    }
    std::printf("switchboard xds: HTTP on http://%s/ (/metrics, /healthz, /readyz, /api/status)\n",
                http.server->address().c_str());
  }
  std::printf("switchboard xds %s: serving xDS on %s (%s) from %s\n", kVersion,
              (*plane)->address().c_str(), xds::DescribeXdsServerTls(tls).c_str(),
              absl::StrJoin(uris, ", ").c_str());
  std::printf("clients: export GRPC_XDS_BOOTSTRAP_CONFIG=$(switchboard bootstrap --xds %s%s)\n",
              (*plane)->address().c_str(),
              !tls.enabled()                ? ""
              : tls.client_ca_file.empty() ? " --xds-ca <CA of the server's certificate>"
                                           : " --xds-ca <CA of the server's certificate> "
                                             "--xds-cert <client cert> --xds-key <its key>");
  std::fflush(stdout);
  NotifyReadyOnceServing(**plane, absl::StrCat("serving xDS on ", (*plane)->address()));
  ServeUntilTerminated(cmd, **plane, flags);
  NotifyStopping();
  routes->reset();
  http.Stop();
  (*plane)->Stop();
  return kExitOk;
}

int RunBootstrap(const Command& cmd, const ParsedFlags& flags);
const Command kBootstrapCommand = {
    .name = "bootstrap",
    .summary = "Print the xDS bootstrap JSON that points gRPC clients at Switchboard.",
    .usage = "switchboard bootstrap [--xds HOST:PORT|unix:PATH] [--node-id ID] [--zone ZONE] "
             "[--no-check]\n"
             "       [--xds-ca FILE [--xds-cert FILE --xds-key FILE]]",
    .description =
        "Use it as: export GRPC_XDS_BOOTSTRAP_CONFIG=$(switchboard bootstrap)\n"
        "then dial xds:///<service> from any gRPC client with xDS support.\n"
        "Warns on stderr (and still prints it) when nothing answers xDS at the\n"
        "address within a second.\n"
        "Every client process started with one bootstrap has its node id: gRPC\n"
        "reads it as is. The default id says so (switchboard-client@<host>/shared-<random>,\n"
        "new each time this runs); the control plane's log tells the processes\n"
        "apart by their streams: node \"<id>\" ... at <peer address>, stream <n>.\n"
        "With --zone, the clients' calls go to that zone's instances first and\n"
        "spill to the other zones as the policy's failover rule says (docs/zones.md).\n"
        "With --xds-ca, the clients dial the xDS server over TLS (for `switchboard xds\n"
        "--tls-cert ...`), presenting --xds-cert when it asks for one (--tls-client-ca):\n"
        "gRFC A65 \"tls\" channel creds naming the files by absolute path, which each\n"
        "client reads itself. Only clients that implement A65 accept them (gRPC-Go >=\n"
        "1.61); gRPC C++ 1.51 and grpc-js-xds 1.14 need the default, insecure.\n",
    .flags = {
        {.name = "xds", .value_name = "HOST:PORT", .help = "the xDS server (or unix:PATH)",
         .default_text = "the running `switchboard up`'s, else 127.0.0.1:18000"},
        {.name = "node-id", .value_name = "ID", .help = "the node id of the clients",
         .default_text = "switchboard-client@<host>/shared-<random>"},
        {.name = "zone", .value_name = "ZONE",
         .help = "the clients' zone (node locality): its instances are preferred",
         .default_text = "none: every zone alike"},
        {.name = "data-dir", .value_name = "DIR", .help = "where `switchboard up` keeps its state"},
        {.name = "no-check", .help = "do not check that an xDS server answers at the address",
         .boolean = true},
        {.name = "xds-ca", .value_name = "FILE",
         .help = "CA (PEM) the xDS server's certificate is signed by; turns TLS on",
         .default_text = "insecure channel creds"},
        {.name = "xds-cert", .value_name = "FILE",
         .help = "client certificate (PEM) for a server with --tls-client-ca; needs --xds-key"},
        {.name = "xds-key", .value_name = "FILE", .help = "the client certificate's key (PEM)"},
    },
    .run = RunBootstrap,
};

int RunBootstrap(const Command& cmd, const ParsedFlags& flags) {
  std::string xds = flags.Get("xds");
  if (flags.IsSet("xds")) {
    if (absl::Status s = xds::CheckXdsServerAddress(xds); !s.ok()) {
      return UsageError(cmd, absl::StrCat("--xds=", xds, ": ", s.message()));
    }
  } else {
    std::optional<UpState> up = FindRunningUp(flags.Get("data-dir", DefaultDataDir()));
    xds = up.has_value() ? up->xds : "127.0.0.1:18000";
  }
  if (flags.IsSet("node-id") && flags.Get("node-id").empty()) {
    return UsageError(cmd, "--node-id: empty; give an id, or leave the flag out");
  }
  if (flags.IsSet("zone") && flags.Get("zone").empty()) {
    return UsageError(cmd, "--zone: empty; give a zone, or leave the flag out");
  }
  if (absl::Status s = CheckFileFlagsNotEmpty(flags, {"xds-ca", "xds-cert", "xds-key"}); !s.ok()) {
    return UsageError(cmd, s);
  }
  absl::StatusOr<xds::BootstrapTls> tls = xds::ResolveBootstrapTls(
      {.ca_file = flags.Get("xds-ca"), .cert_file = flags.Get("xds-cert"),
       .key_file = flags.Get("xds-key")});
  if (!tls.ok()) return UsageError(cmd, tls.status());
  absl::StatusOr<std::string> json =
      xds::MakeBootstrapJson({.server_address = xds,
                              .node_id = flags.Get("node-id", xds::SharedNodeId()),
                              .node_zone = flags.Get("zone"),
                              .tls = *tls});
  if (!json.ok()) return UsageError(cmd, json.status());
  if (flags.Get("no-check") != "true") {
    // The check dials as the clients will: over TLS with the same files.
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (tls->enabled()) {
      absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> made =
          xds::MakeXdsChannelCredentials(tls->ca_file, tls->cert_file, tls->key_file,
                                         {"--xds-ca", "--xds-cert", "--xds-key"});
      if (!made.ok()) return UsageError(cmd, made.status());
      credentials = *std::move(made);
    }
    if (absl::Status s = xds::ProbeXdsServer(xds, absl::Seconds(1), credentials); !s.ok()) {
      std::fprintf(stderr,
                   "switchboard bootstrap: warning: %s; clients will wait for it "
                   "(--no-check skips this check)\n",
                   std::string(s.message()).c_str());
    }
  }
  std::printf("%s\n", json->c_str());
  return kExitOk;
}

}  // namespace switchboard::cli
