#include "switchboard/common/host_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace switchboard {

std::string HostPort::ToString() const { return JoinHostPort(host, port); }

std::string JoinHostPort(absl::string_view host, uint16_t port) {
  if (host.find(':') != absl::string_view::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

bool IsIpLiteral(absl::string_view host) {
  std::string h(host);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

bool IsUnspecifiedIp(absl::string_view host) {
  std::string h(host);
  in_addr v4;
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return v4.s_addr == htonl(INADDR_ANY);
  in6_addr v6;
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_UNSPECIFIED(&v6);
  return false;
}

bool IsValidDnsName(absl::string_view name) {
  if (absl::EndsWith(name, ".")) name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return false;
    }
  }
  return true;
}

namespace {

// `min_port`: 1 for an address to dial, 0 for one to listen on.
absl::StatusOr<HostPort> Parse(absl::string_view text, std::optional<uint16_t> default_port,
                               uint32_t min_port) {
  HostPort out;
  absl::string_view port_text;
  bool has_port = false;
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': missing ']' after IPv6 address"));
    }
    out.host = std::string(text.substr(1, close - 1));
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return absl::InvalidArgumentError(absl::StrCat("'", text, "': expected ':port' after ']'"));
      }
      port_text = rest.substr(1);
      has_port = true;
    }
    if (!IsIpLiteral(out.host) || out.host.find(':') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': '", out.host, "' is not an IPv6 address"));
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon != absl::string_view::npos && text.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "': IPv6 addresses must be written in brackets, e.g. [::1]:50051"));
    }
    if (colon == absl::string_view::npos) {
      out.host = std::string(text);
    } else {
      out.host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
      has_port = true;
    }
    if (out.host.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': missing host"));
    }
    if (!IsIpLiteral(out.host) && !IsValidDnsName(out.host)) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': '", out.host,
                                                     "' is neither a DNS name nor an IP address"));
    }
  }
  if (!has_port) {
    if (!default_port.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': missing ':port'"));
    }
    out.port = *default_port;
    return out;
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < min_port || port > 65535 ||
      !absl::ascii_isdigit(port_text.empty() ? 'x' : port_text[0])) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': port '", port_text,
                                                   "' is not a number in ", min_port, "..65535"));
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text,
                                       std::optional<uint16_t> default_port) {
  return Parse(text, default_port, /*min_port=*/1);
}

absl::StatusOr<HostPort> ParseListenHostPort(absl::string_view text) {
  return Parse(text, std::nullopt, /*min_port=*/0);
}

}  // namespace switchboard
