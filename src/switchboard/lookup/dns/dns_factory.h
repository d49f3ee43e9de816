// The dns and dns+srv schemes: their URI forms, parsed into
// DnsSourceOptions, and their factories (lookup/lookup_source_factory.h).
//
//   dns:///name[:port]                        A/AAAA, system resolvers
//   dns://server[:port]/name[:port]           A/AAAA, asking `server` (port 53)
//   dns+srv:///_service._proto.domain         SRV, system resolvers
//   dns+srv://server[:port]/_service._proto.domain
//
// Example:
//   absl::StatusOr<DnsSourceOptions> options = DnsSourceOptionsFromUri(
//       *ParseSourceUri("dns://127.0.0.1:5353/greeter.test:50051?family=ipv4"));
//   options->server == HostPort{"127.0.0.1", 5353}; options->port == 50051;
//   DnsSource source(*std::move(options));
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_LOOKUP_DNS_DNS_FACTORY_H_
#define SWITCHBOARD_LOOKUP_DNS_DNS_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "switchboard/lookup/dns/dns_source.h"
#include "switchboard/lookup/lookup_source_factory.h"
#include "switchboard/lookup/source_uri.h"

namespace switchboard {

// A dns or dns+srv URI as DnsSourceOptions. The port defaults to 443 (as
// gRPC's); query parameters: service (default: the DNS name; for SRV, the
// name without its "_service._proto." labels), empty_on_nxdomain (default
// true), family=any|ipv4|ipv6 (dns), priority=all|lowest (dns+srv), and the
// periodic ones (interval, timeout, jitter, max_backoff).
absl::StatusOr<DnsSourceOptions> DnsSourceOptionsFromUri(const SourceUri& uri);

// The factory of "dns" (A/AAAA records).
std::unique_ptr<LookupSourceFactory> MakeDnsAddressSourceFactory();
// The factory of "dns+srv" (SRV records).
std::unique_ptr<LookupSourceFactory> MakeDnsSrvSourceFactory();

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_DNS_DNS_FACTORY_H_
