#include "switchboard/proxy/haproxy_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "switchboard/proxy/runtime_plan.h"

namespace switchboard::proxy {
namespace {

std::string Millis(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d), "ms"); }

// A service name goes into ACLs and messages unquoted: registry names are
// DNS-like, and anything else is refused rather than escaped.
bool PlainServiceName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::set<std::string> ProxiedServices(const ProxyConfig& config) {
  std::set<std::string> services = config.extra_services;
  for (const auto& [service, address] : config.listens) services.insert(service);
  return services;
}

absl::Status ValidateProxyConfig(const ProxyConfig& config) {
  if (config.listens.empty() && !config.authority_listen) {
    return absl::InvalidArgumentError("nothing to listen on: give --listen SERVICE=HOST:PORT or "
                                      "--listen-authority HOST:PORT");
  }
  if (!config.extra_services.empty() && !config.authority_listen) {
    return absl::InvalidArgumentError("--service needs --listen-authority: a service without "
                                      "a port of its own is reached by :authority only");
  }
  std::map<std::string, std::string> owner;  // address -> who listens
  if (config.authority_listen) owner[config.authority_listen->ToString()] = "--listen-authority";
  for (const auto& [service, address] : config.listens) {
    auto [it, fresh] = owner.emplace(address.ToString(), service);
    if (!fresh) {
      return absl::InvalidArgumentError(absl::StrCat("--listen ", service, "=", address.ToString(),
                                                     ": the address is taken by ", it->second));
    }
  }
  for (const std::string& service : ProxiedServices(config)) {
    if (!PlainServiceName(service)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "service name \"", service, "\": only letters, digits, '-', '_' and '.' are proxied"));
    }
  }
  return absl::OkStatus();
}

std::string RenderHaproxyConfig(const ProxyConfig& config) {
  std::string out = absl::StrCat(
      "# Written by `switchboard proxy`; rewritten at each start. The servers\n"
      "# are not here: Switchboard adds them through the runtime API.\n"
      "global\n"
      "  stats socket ", config.runtime_socket, " mode 600 level admin expose-fd listeners\n",
      "  stats timeout 1m\n"
      "\n"
      "defaults\n"
      "  mode http\n"
      "  timeout connect ", Millis(config.connect_timeout), "\n",
      "  timeout client ", Millis(config.idle_timeout), "\n",
      "  timeout server ", Millis(config.idle_timeout), "\n",
      "  timeout http-keep-alive ", Millis(config.idle_timeout), "\n",
      "  # A call that never reached a server is tried again, on another one.\n"
      "  retries ", config.retries, "\n",
      "  retry-on conn-failure empty-response\n"
      "  option redispatch 1\n"
      "  # gRPC calls are independent: any idle server connection may carry one.\n"
      "  http-reuse always\n"
      "\n");
  for (const auto& [service, address] : config.listens) {
    absl::StrAppend(&out, "frontend fe_", service, "\n",
                    "  bind ", address.ToString(), " proto h2\n",
                    "  default_backend ", BackendName(service), "\n\n");
  }
  if (config.authority_listen) {
    absl::StrAppend(&out, "frontend fe_authority\n",
                    "  bind ", config.authority_listen->ToString(), " proto h2\n");
    for (const std::string& service : ProxiedServices(config)) {
      absl::StrAppend(&out, "  use_backend ", BackendName(service),
                      " if { req.hdr(host),field(1,:) -m str ", service, " }\n");
    }
    absl::StrAppend(&out,
                    "  default_backend be_unknown_service\n\n"
                    "backend be_unknown_service\n"
                    "  http-request return status 200 hdr grpc-status 14 hdr grpc-message "
                    "\"switchboard proxy: no service \\\"%[req.hdr(host),field(1,:)]\\\" behind this "
                    "proxy\"\n\n");
  }
  for (const std::string& service : ProxiedServices(config)) {
    absl::StrAppend(&out, "backend ", BackendName(service), "\n",
                    "  balance roundrobin\n",
                    "  http-request return status 200 hdr grpc-status 14 hdr grpc-message "
                    "\"switchboard proxy: no instance of ", service, " is up\" if { nbsrv() lt 1 }\n\n");
  }
  return out;
}

absl::Status CheckHaproxyVersion(absl::string_view version_output) {
  constexpr absl::string_view kMarker = "HAProxy version ";
  const size_t at = version_output.find(kMarker);
  if (at == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot tell the HAProxy version from `haproxy -v`: \"",
        absl::StripAsciiWhitespace(version_output.substr(0, 200)), "\""));
  }
  absl::string_view version = version_output.substr(at + kMarker.size());
  version = version.substr(0, version.find_first_of(" -\n"));
  std::vector<absl::string_view> parts = absl::StrSplit(version, '.');
  int major = 0, minor = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &major) || !absl::SimpleAtoi(parts[1], &minor)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the HAProxy version \"", version, "\""));
  }
  if (major < kMinHaproxyMajor || (major == kMinHaproxyMajor && minor < kMinHaproxyMinor)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "HAProxy ", version, " is too old: the proxy model needs ", kMinHaproxyMajor, ".",
        kMinHaproxyMinor, " or later (dynamic servers in the runtime API)"));
  }
  return absl::OkStatus();
}

}  // namespace switchboard::proxy
