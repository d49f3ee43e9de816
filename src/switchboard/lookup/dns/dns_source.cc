#include "switchboard/lookup/dns/dns_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "switchboard/common/log.h"
#include "switchboard/lookup/dns/dns_records.h"

namespace switchboard {

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

}  // namespace switchboard
