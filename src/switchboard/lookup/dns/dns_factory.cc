#include "switchboard/lookup/dns/dns_factory.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "switchboard/common/host_port.h"
#include "switchboard/lookup/dns/dns_records.h"
#include "switchboard/lookup/periodic_source.h"

namespace switchboard {
namespace {

std::vector<std::string> Parameters(absl::string_view scheme_specific) {
  std::vector<std::string> out = {"service", "empty_on_nxdomain", std::string(scheme_specific)};
  for (absl::string_view name : kPeriodicParams) out.emplace_back(name);
  return out;
}

const LookupSourceDescription& AddressDescription() {
  static const auto* d = new LookupSourceDescription{
      .scheme = "dns",
      .forms = {"dns:///name[:port]", "dns://server[:port]/name[:port]"},
      .summary = "A/AAAA records of a name, all serving on the port (443 if none)",
      .parameters = Parameters("family")};
  return *d;
}

const LookupSourceDescription& SrvDescription() {
  static const auto* d = new LookupSourceDescription{
      .scheme = "dns+srv",
      .forms = {"dns+srv:///_service._proto.domain",
                "dns+srv://server[:port]/_service._proto.domain"},
      .summary = "SRV records: host, port, weight and priority per instance",
      .parameters = Parameters("priority")};
  return *d;
}

// An empty authority means the system's resolvers.
absl::Status ParseDnsServer(const SourceUri& uri, absl::string_view forms,
                            std::optional<HostPort>& server) {
  if (uri.authority.empty()) return absl::OkStatus();
  absl::StatusOr<HostPort> parsed = ParseHostPort(uri.authority, 53);
  if (!parsed.ok()) return BadSourceUri(uri.text, absl::StrCat("DNS server ", parsed.status().message()), forms);
  server = *std::move(parsed);
  return absl::OkStatus();
}

bool IsSrvName(absl::string_view name) {
  std::vector<absl::string_view> labels = absl::StrSplit(name, '.');
  return labels.size() >= 3 && absl::StartsWith(labels[0], "_") && labels[0].size() > 1 &&
         absl::StartsWith(labels[1], "_") && labels[1].size() > 1;
}

// The name (and for dns the port) of the path.
absl::Status ParseAddressTarget(const SourceUri& uri, absl::string_view forms, DnsSourceOptions& out) {
  absl::string_view name_port = uri.path;
  if (!absl::ConsumePrefix(&name_port, "/") || name_port.empty()) {
    return BadSourceUri(uri.text, "dns needs a name after the server: dns:///name:port", forms);
  }
  if (name_port.find('/') != absl::string_view::npos) {
    return BadSourceUri(uri.text, absl::StrCat("'", name_port, "' is not a name[:port]"), forms);
  }
  absl::StatusOr<HostPort> hp = ParseHostPort(name_port, 443);
  if (!hp.ok()) return BadSourceUri(uri.text, hp.status().message(), forms);
  out.name = hp->host;
  out.port = hp->port;
  return absl::OkStatus();
}

absl::Status ParseSrvTarget(const SourceUri& uri, absl::string_view forms, DnsSourceOptions& out) {
  absl::string_view name = uri.path;
  if (!absl::ConsumePrefix(&name, "/") || name.empty()) {
    return BadSourceUri(uri.text, "dns+srv needs an SRV name: dns+srv:///_grpc._tcp.example.com", forms);
  }
  if (name.find(':') != absl::string_view::npos) {
    return BadSourceUri(uri.text, "dns+srv takes no port: SRV records carry the ports", forms);
  }
  if (!IsValidDnsName(name) || !IsSrvName(name)) {
    return BadSourceUri(uri.text,
                        absl::StrCat("'", name, "' is not an SRV name _service._proto.domain"), forms);
  }
  out.name = std::string(name);
  return absl::OkStatus();
}

LookupSourceOr BuildDnsSource(const SourceUri&, DnsSourceOptions options) {
  return std::make_unique<DnsSource>(std::move(options));
}

}  // namespace

absl::StatusOr<DnsSourceOptions> DnsSourceOptionsFromUri(const SourceUri& uri) {
  DnsSourceOptions options;
  const LookupSourceDescription* description;
  if (uri.scheme == "dns") {
    options.records = DnsSourceOptions::Records::kAddress;
    description = &AddressDescription();
  } else if (uri.scheme == "dns+srv") {
    options.records = DnsSourceOptions::Records::kSrv;
    description = &SrvDescription();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("source '", uri.text, "' is not a dns or dns+srv URI"));
  }
  const std::string forms = FormsText(*description);
  if (absl::Status s = ParseDnsServer(uri, forms, options.server); !s.ok()) return s;
  absl::Status target = options.records == DnsSourceOptions::Records::kSrv
                            ? ParseSrvTarget(uri, forms, options)
                            : ParseAddressTarget(uri, forms, options);
  if (!target.ok()) return target;
  if (absl::Status s = CheckKnownParams(uri, description->parameters); !s.ok()) return s;
  options.service = StringParam(
      uri, "service",
      options.records == DnsSourceOptions::Records::kSrv ? ServiceFromSrvName(options.name) : options.name);
  if (options.service.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("source '", uri.text, "': service is empty"));
  }
  std::string family = StringParam(uri, "family", "any");
  if (family == "any") {
    options.family = AddressFamily::kAny;
  } else if (family == "ipv4") {
    options.family = AddressFamily::kIpv4;
  } else if (family == "ipv6") {
    options.family = AddressFamily::kIpv6;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("source '", uri.text, "': family='", family, "' is not any, ipv4 or ipv6"));
  }
  std::string priority = StringParam(uri, "priority", "all");
  if (priority != "all" && priority != "lowest") {
    return absl::InvalidArgumentError(
        absl::StrCat("source '", uri.text, "': priority='", priority, "' is not all or lowest"));
  }
  options.lowest_priority_only = priority == "lowest";
  absl::StatusOr<PeriodicOptions> periodic = PeriodicOptionsFromUri(uri);
  if (!periodic.ok()) return periodic.status();
  options.periodic = *periodic;
  absl::StatusOr<bool> empty_on_nxdomain = BoolParam(uri, "empty_on_nxdomain", true);
  if (!empty_on_nxdomain.ok()) return empty_on_nxdomain.status();
  options.periodic.empty_on_nonexistent = *empty_on_nxdomain;
  return options;
}

std::unique_ptr<LookupSourceFactory> MakeDnsAddressSourceFactory() {
  return std::make_unique<ConfigSourceFactory<DnsSourceOptions>>(
      AddressDescription(), DnsSourceOptionsFromUri, BuildDnsSource);
}

std::unique_ptr<LookupSourceFactory> MakeDnsSrvSourceFactory() {
  return std::make_unique<ConfigSourceFactory<DnsSourceOptions>>(
      SrvDescription(), DnsSourceOptionsFromUri, BuildDnsSource);
}

}  // namespace switchboard
