// "host:port" endpoints as every lookup source writes and reads them:
// IPv6 hosts in brackets ("[::1]:50051"), ports 1..65535.
//
// Example:
//   absl::StatusOr<HostPort> hp = ParseHostPort("[::1]:5353");
//   hp->host == "::1"; hp->port == 5353; hp->ToString() == "[::1]:5353"
//   ParseListenHostPort("0.0.0.0:0")->port == 0  // listen on any free port
//
// Pure functions, thread-safe.
#ifndef SWITCHBOARD_COMMON_HOST_PORT_H_
#define SWITCHBOARD_COMMON_HOST_PORT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;

  // "host:port", brackets around IPv6 literals.
  std::string ToString() const;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// Parses "host:port" or "[v6]:port". When the port is missing,
// `default_port` is used if given, else it is an error. The host must be a
// DNS name or an IP literal.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text,
                                       std::optional<uint16_t> default_port = std::nullopt);

// The same for an address to listen on: port 0 (any free port, chosen by
// the kernel) is allowed, and the port is required.
absl::StatusOr<HostPort> ParseListenHostPort(absl::string_view text);

// "host:port" with brackets when `host` is an IPv6 literal.
std::string JoinHostPort(absl::string_view host, uint16_t port);

// True for "127.0.0.1" or "::1" style literals.
bool IsIpLiteral(absl::string_view host);

// True for the wildcard ("any address") literals 0.0.0.0 and ::, which a
// server may listen on but no client can dial.
bool IsUnspecifiedIp(absl::string_view host);

// True for names made of letters, digits, '-', '_' and dots, with no empty
// label (a single trailing dot is allowed).
bool IsValidDnsName(absl::string_view name);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_HOST_PORT_H_
