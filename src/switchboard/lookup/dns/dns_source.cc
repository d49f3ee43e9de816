#include "switchboard/lookup/dns/dns_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "switchboard/common/log.h"
#include "switchboard/lookup/dns/dns_records.h"

namespace switchboard {

absl::StatusOr<DnsSourceOptions> DnsSourceOptionsFromUri(const SourceUri& uri) {
  DnsSourceOptions options;
  std::vector<absl::string_view> known(std::begin(kPeriodicParams), std::end(kPeriodicParams));
  known.push_back("service");
  known.push_back("empty_on_nxdomain");
  if (uri.scheme == SourceUri::Scheme::kDns) {
    options.records = DnsSourceOptions::Records::kAddress;
    options.port = uri.port;
    known.push_back("family");
  } else if (uri.scheme == SourceUri::Scheme::kDnsSrv) {
    options.records = DnsSourceOptions::Records::kSrv;
    known.push_back("priority");
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("source '", uri.text, "' is not a dns or dns+srv URI"));
  }
  if (absl::Status s = CheckKnownParams(uri, known); !s.ok()) return s;
  options.name = uri.target;
  if (!uri.servers.empty()) options.server = uri.servers.front();
  options.service = StringParam(
      uri, "service",
      options.records == DnsSourceOptions::Records::kSrv ? ServiceFromSrvName(uri.target) : uri.target);
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

namespace {

std::string DescribeDnsSource(const DnsSourceOptions& options) {
  std::string scheme = options.records == DnsSourceOptions::Records::kSrv ? "dns+srv" : "dns";
  std::string server = options.server.has_value() ? options.server->ToString() : "";
  std::string name = options.records == DnsSourceOptions::Records::kSrv
                         ? options.name
                         : JoinHostPort(options.name, options.port);
  return absl::StrCat(scheme, "://", server, "/", name);
}

}  // namespace

DnsSource::DnsSource(DnsSourceOptions options, std::unique_ptr<DnsClient> client)
    : PeriodicSource(DescribeDnsSource(options), options.periodic),
      options_(std::move(options)),
      client_(client != nullptr ? std::move(client) : MakeAresDnsClient(options_.server)) {}

DnsSource::~DnsSource() { Stop(); }

absl::StatusOr<FetchResult> DnsSource::Fetch(const FetchContext& context) {
  return options_.records == DnsSourceOptions::Records::kSrv ? FetchSrv(context)
                                                             : FetchAddresses(context);
}

void DnsSource::WarnAboutFailedQuestions(const AddressAnswer& answer) const {
  for (const std::string& warning : answer.warnings) {
    SB_LOG(kWarn, "lookup", Describe(), ": ", warning, "; using the other answers for the name");
  }
}

absl::StatusOr<FetchResult> DnsSource::FetchAddresses(const FetchContext& context) {
  FetchResult result;
  // An IP literal needs no lookup ("dns:///127.0.0.1:50051").
  if (IsIpLiteral(options_.name)) {
    result.instances = InstancesFromAddresses(options_.service, {options_.name}, options_.port);
    return result;
  }
  absl::StatusOr<AddressAnswers> answers =
      client_->LookupAddresses({options_.name}, options_.family, context);
  if (!answers.ok()) return answers.status();
  const AddressAnswer& answer = (*answers)[options_.name];
  WarnAboutFailedQuestions(answer);
  if (answer.nonexistent) {
    result.nonexistent = true;
    result.detail = absl::StrCat("DNS name ", options_.name, " does not exist (NXDOMAIN at ",
                                 client_->ServerName(), ")");
    return result;
  }
  result.instances = InstancesFromAddresses(options_.service, answer.addresses, options_.port);
  return result;
}

absl::StatusOr<FetchResult> DnsSource::FetchSrv(const FetchContext& context) {
  FetchResult result;
  absl::StatusOr<SrvAnswer> srv = client_->LookupSrv(options_.name, context);
  if (!srv.ok()) return srv.status();
  if (srv->nonexistent) {
    result.nonexistent = true;
    result.detail = absl::StrCat("SRV name ", options_.name, " does not exist (NXDOMAIN at ",
                                 client_->ServerName(), ")");
    return result;
  }
  // Targets that are IP literals need no lookup; the others are asked
  // together, as absolute names.
  std::map<std::string, std::vector<std::string>> addresses;
  std::vector<std::string> to_resolve;
  for (const SrvRecord& r : srv->records) {
    if (r.target.empty() || r.target == "." || addresses.count(r.target)) continue;
    if (IsIpLiteral(r.target)) {
      addresses[r.target] = {r.target};
    } else if (std::find(to_resolve.begin(), to_resolve.end(), r.target) == to_resolve.end()) {
      to_resolve.push_back(r.target);
    }
  }
  if (!to_resolve.empty()) {
    std::vector<std::string> absolute;
    for (const std::string& t : to_resolve) absolute.push_back(t + ".");
    absl::StatusOr<AddressAnswers> answers =
        client_->LookupAddresses(absolute, AddressFamily::kAny, context);
    if (!answers.ok()) return answers.status();
    for (const std::string& t : to_resolve) {
      const AddressAnswer& answer = (*answers)[t + "."];
      WarnAboutFailedQuestions(answer);
      if (answer.nonexistent) {
        // One dead target does not make the others unusable.
        SB_LOG(kWarn, "lookup", Describe(), ": SRV target ", t, " does not exist; skipped");
        continue;
      }
      addresses[t] = answer.addresses;
    }
  }
  result.instances =
      InstancesFromSrv(options_.service, srv->records, addresses, options_.lowest_priority_only);
  return result;
}

absl::StatusOr<std::unique_ptr<LookupSource>> MakeDnsSource(const SourceUri& uri) {
  absl::StatusOr<DnsSourceOptions> options = DnsSourceOptionsFromUri(uri);
  if (!options.ok()) return options.status();
  return std::make_unique<DnsSource>(*std::move(options));
}

}  // namespace switchboard
