// A pull source that finds a service's instances in DNS, the way a
// Kubernetes headless service or a classic SRV-published fleet is found.
//
//   dns:///greeter.test:50051               A/AAAA records, all on port 50051
//   dns+srv:///_grpc._tcp.greeter.test      SRV records: host, port, weight
//                                           and priority per instance
//   dns://127.0.0.1:5353/greeter.test:50051 ask that server, not the system's
//
// NXDOMAIN is an authoritative "no instances" and empties the set (unless
// empty_on_nxdomain=false); a name that exists with no records of the type
// asked empties it too. Timeouts, SERVFAIL, REFUSED and an unreachable server
// are errors: the last good set stays. Each question stands alone, though:
// an AAAA refused while the A is answered (a server that knows only IPv4
// for the name) is a warning in the log, and the A records are used. SRV mapping: see dns_records.h.
//
// Example:
//   DnsSource source(*DnsSourceOptionsFromUri(   // lookup/dns/dns_factory.h
//       *ParseSourceUri("dns+srv://127.0.0.1:5353/_grpc._tcp.greeter.test")));
//   source.Start(&observer);
//
// Threading: as PeriodicSource.
#ifndef SWITCHBOARD_LOOKUP_DNS_DNS_SOURCE_H_
#define SWITCHBOARD_LOOKUP_DNS_DNS_SOURCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "switchboard/common/host_port.h"
#include "switchboard/lookup/dns/dns_client.h"
#include "switchboard/lookup/periodic_source.h"

namespace switchboard {

struct DnsSourceOptions {
  enum class Records { kAddress, kSrv };

  Records records = Records::kAddress;
  // The host name (kAddress) or SRV name (kSrv) to look up.
  std::string name;
  // kAddress: the port every address serves on.
  uint16_t port = 0;
  // The service name instances are published under.
  std::string service;
  // Asked instead of the system's resolvers when set.
  std::optional<HostPort> server;
  // kAddress: which record types to ask for.
  AddressFamily family = AddressFamily::kAny;
  // kSrv: publish only the records of the lowest priority present.
  bool lowest_priority_only = false;
  // empty_on_nonexistent is what NXDOMAIN does.
  PeriodicOptions periodic;
};

class DnsSource : public PeriodicSource {
 public:
  // `client` null: c-ares asking options.server (or the system's resolvers).
  explicit DnsSource(DnsSourceOptions options, std::unique_ptr<DnsClient> client = nullptr);
  ~DnsSource() override;

 protected:
  absl::StatusOr<FetchResult> Fetch(const FetchContext& context) override;

 private:
  absl::StatusOr<FetchResult> FetchAddresses(const FetchContext& context);
  absl::StatusOr<FetchResult> FetchSrv(const FetchContext& context);
  // Logs the questions about a name that failed while a sibling answered.
  void WarnAboutFailedQuestions(const AddressAnswer& answer) const;

  const DnsSourceOptions options_;
  // Loop thread only.
  std::unique_ptr<DnsClient> client_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_DNS_DNS_SOURCE_H_
