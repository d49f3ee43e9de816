// The base configuration `switchboard proxy` writes for HAProxy: one
// frontend per --listen service (calls find their service by port), an
// optional frontend that routes by the HTTP/2 :authority (one listener for
// many services), one backend per service with a dynamic balance algorithm
// (roundrobin) so that servers can be added at run time, and the runtime
// API socket. The servers themselves are never in the file: they come
// through the runtime API (runtime_plan.h), again after every restart.
//
// Calls that cannot be served are answered by HAProxy itself as gRPC
// UNAVAILABLE (HTTP 200, grpc-status 14 and a grpc-message naming the
// service), never a reset: an unknown :authority ("no service \"x\" behind
// this proxy"), or a service with no server up ("no instance of greeter is
// up").
//
// Example:
//   ProxyConfig config{.runtime_socket = "/var/lib/sb/haproxy.sock",
//                      .listens = {{"greeter", {"127.0.0.1", 9001}}},
//                      .authority_listen = HostPort{"127.0.0.1", 9000}};
//   std::string text = RenderHaproxyConfig(config);   // write to haproxy.cfg
//
// Threading: pure; use from any thread.
#ifndef SWITCHBOARD_PROXY_HAPROXY_CONFIG_H_
#define SWITCHBOARD_PROXY_HAPROXY_CONFIG_H_

#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "switchboard/common/host_port.h"

namespace switchboard::proxy {

struct ProxyConfig {
  // The runtime API's unix socket (level admin).
  std::string runtime_socket;
  // Service -> the address its own frontend listens on.
  std::map<std::string, HostPort> listens;
  // The frontend that routes by :authority (host, port stripped), if any.
  std::optional<HostPort> authority_listen;
  // Services reached only through the authority frontend (no port of
  // their own). Every service of `listens` is reachable there too.
  std::set<std::string> extra_services;
  // Attempts of a call that never reached a server (connection refused,
  // empty response), each on another server when there is one.
  int retries = 3;
  absl::Duration connect_timeout = absl::Seconds(1);
  // How long an idle client or server connection is kept; gRPC deadlines,
  // not these, bound calls.
  absl::Duration idle_timeout = absl::Minutes(5);
};

// Every service with a backend: those of `listens` and `extra_services`.
std::set<std::string> ProxiedServices(const ProxyConfig& config);

// InvalidArgument naming the bad thing: no listener at all, a service name
// HAProxy cannot carry, two frontends on one address.
absl::Status ValidateProxyConfig(const ProxyConfig& config);

// The haproxy.cfg text.
std::string RenderHaproxyConfig(const ProxyConfig& config);

// The oldest HAProxy the proxy model works with: dynamic servers in the
// runtime API (`add server`, `del server`) and `http-request return` with
// headers, in a long-term release.
inline constexpr int kMinHaproxyMajor = 2;
inline constexpr int kMinHaproxyMinor = 6;

// Checks the output of `haproxy -v` ("HAProxy version 2.6.12-1+deb12u4
// 2026/10/17 - https://haproxy.org/"): FailedPrecondition naming the
// version found and the one needed when it is older, InvalidArgument when
// there is no version in it.
absl::Status CheckHaproxyVersion(absl::string_view version_output);

}  // namespace switchboard::proxy

#endif  // SWITCHBOARD_PROXY_HAPROXY_CONFIG_H_
