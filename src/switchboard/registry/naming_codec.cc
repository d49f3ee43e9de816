#include "switchboard/registry/naming_codec.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "switchboard/common/display_text.h"
#include "switchboard/common/host_port.h"

namespace switchboard {
namespace {

using json = nlohmann::json;

// Keys and values come from anyone who can write to etcd: the message
// shows them escaped and cut short (a 100 KB key must not make a 100 KB
// warning, a "\n" in it must not forge a log line).
absl::Status Bad(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("registry key '", TruncateForDisplay(key), "': ", why));
}

std::string Shown(const json& value) { return TruncateForDisplay(value.dump()); }

// "host:port" with a port 1..65535; IPv6 hosts in brackets.
bool ValidAddress(absl::string_view address) { return ParseHostPort(address).ok(); }

absl::Status DecodeMetadata(absl::string_view key, const json& m, InstanceMetadata* out) {
  // grpc-go writes null; other Go programs may put any value there. Only an
  // object is Switchboard's to read.
  if (!m.is_object()) return absl::OkStatus();
  if (auto it = m.find("weight"); it != m.end() && !it->is_null()) {
    if (!it->is_number_integer() && !it->is_number_unsigned()) {
      return Bad(key, absl::StrCat("Metadata.weight must be an integer, got ", Shown(*it)));
    }
    int64_t weight = it->get<int64_t>();
    if (weight < 1 || weight > InstanceMetadata::kMaxWeight) {
      return Bad(key, absl::StrCat("Metadata.weight must be 1..", InstanceMetadata::kMaxWeight,
                                   ", got ", weight));
    }
    out->weight = static_cast<uint32_t>(weight);
  }
  for (auto [name, field] : {std::pair{"zone", &out->zone}, std::pair{"version", &out->version}}) {
    if (auto it = m.find(name); it != m.end() && !it->is_null()) {
      if (!it->is_string()) {
        return Bad(key, absl::StrCat("Metadata.", name, " must be a string, got ", Shown(*it)));
      }
      *field = it->get<std::string>();
    }
  }
  if (auto it = m.find("draining"); it != m.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return Bad(key, absl::StrCat("Metadata.draining must be a boolean, got ", Shown(*it)));
    }
    out->draining = it->get<bool>();
  }
  if (auto it = m.find("labels"); it != m.end() && !it->is_null()) {
    if (!it->is_object()) {
      return Bad(key, absl::StrCat("Metadata.labels must be an object, got ", Shown(*it)));
    }
    for (const auto& [label, value] : it->items()) {
      if (!value.is_string()) {
        return Bad(key, absl::StrCat("Metadata.labels.", TruncateForDisplay(label), " must be a string, got ",
                                     Shown(value)));
      }
      out->labels[label] = value.get<std::string>();
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string RegistryKey(absl::string_view prefix, const Instance& instance) {
  return absl::StrCat(prefix, instance.service, "/", instance.address);
}

std::string ServiceKeyPrefix(absl::string_view prefix, absl::string_view service) {
  return absl::StrCat(prefix, service, "/");
}

std::string EncodeInstanceValue(const Instance& instance) {
  json metadata = json::object();
  const InstanceMetadata& m = instance.metadata;
  if (m.weight != 1) metadata["weight"] = m.weight;
  if (!m.zone.empty()) metadata["zone"] = m.zone;
  if (!m.version.empty()) metadata["version"] = m.version;
  if (m.draining) metadata["draining"] = true;
  if (!m.labels.empty()) metadata["labels"] = m.labels;
  // Field order as grpc-go marshals its struct: Op, Addr, Metadata.
  json value = json::object();
  value["Op"] = 0;
  value["Addr"] = instance.address;
  value["Metadata"] = metadata.empty() ? json(nullptr) : metadata;
  // nlohmann orders object keys alphabetically; "Addr" < "Metadata" < "Op"
  // is fine for any JSON reader, Go's included.
  return value.dump();
}

absl::Status ValidateServiceName(absl::string_view service) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("service name '", EscapeForDisplay(service),
                                                   "' ", why, ": use ", kServiceNameRule));
  };
  if (service.empty()) return absl::InvalidArgumentError(absl::StrCat("empty service name: use ", kServiceNameRule));
  if (service.size() > kMaxServiceNameBytes) {
    return bad(absl::StrCat("is ", service.size(), " bytes long"));
  }
  if (!absl::ascii_isalnum(service.front())) return bad("does not start with a letter or digit");
  for (char c : service) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != '_') {
      const std::string what =
          c == ' ' ? "a space" : absl::StrCat("'", EscapeForDisplay(absl::string_view(&c, 1)), "'");
      return bad(absl::StrCat("contains ", what));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateInstance(const Instance& instance) {
  if (absl::Status s = ValidateServiceName(instance.service); !s.ok()) return s;
  absl::StatusOr<HostPort> address = ParseHostPort(instance.address);
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad address '", EscapeForDisplay(instance.address), "' for service ", instance.service,
        ": want ip:port with a port 1..65535 ([v6]:port for IPv6)"));
  }
  if (!IsIpLiteral(address->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address '", instance.address, "' for service ", instance.service, ": '", address->host,
        "' is a name, not an IP address; clients get endpoints as IPs through xDS, so a name "
        "would never get traffic: register the IP the server listens on, e.g. ",
        JoinHostPort("127.0.0.1", address->port)));
  }
  if (IsUnspecifiedIp(address->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address '", instance.address, "' for service ", instance.service,
        ": a wildcard address means \"every interface\" to a server, but no client can dial it: "
        "register an IP of this machine, e.g. ", JoinHostPort("127.0.0.1", address->port)));
  }
  if (instance.metadata.weight < 1 || instance.metadata.weight > InstanceMetadata::kMaxWeight) {
    return absl::InvalidArgumentError(absl::StrCat("bad weight ", instance.metadata.weight,
                                                   " for ", instance.address, ": want 1..",
                                                   InstanceMetadata::kMaxWeight));
  }
  return absl::OkStatus();
}

absl::StatusOr<Instance> DecodeInstance(absl::string_view prefix, absl::string_view key,
                                        absl::string_view value) {
  if (!absl::StartsWith(key, prefix)) return Bad(key, absl::StrCat("not under prefix '", prefix, "'"));
  absl::string_view rest = key.substr(prefix.size());
  if (value.size() > kMaxInstanceValueBytes) {
    return Bad(key, absl::StrCat("value too large (", value.size(), " bytes, limit ",
                                 kMaxInstanceValueBytes, ")"));
  }
  json doc = json::parse(value.begin(), value.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Bad(key, "value is not JSON");
  if (!doc.is_object()) return Bad(key, absl::StrCat("value must be a JSON object, got ", doc.type_name()));
  auto op = doc.find("Op");
  if (op != doc.end() && !op->is_null()) {
    if (!op->is_number_integer() && !op->is_number_unsigned()) {
      return Bad(key, absl::StrCat("Op must be an integer, got ", Shown(*op)));
    }
    // Op 1 is grpc-go's old "delete" update; only an add describes an instance.
    if (op->get<int64_t>() != 0) return Bad(key, absl::StrCat("Op ", Shown(*op), " is not an add (0)"));
  }
  auto addr = doc.find("Addr");
  if (addr == doc.end()) return Bad(key, "value has no Addr");
  if (!addr->is_string()) return Bad(key, absl::StrCat("Addr must be a string, got ", Shown(*addr)));
  Instance instance;
  instance.address = addr->get<std::string>();
  if (!ValidAddress(instance.address)) {
    return Bad(key, absl::StrCat("Addr '", TruncateForDisplay(instance.address), "' is not host:port"));
  }
  // The key must be "<service>/<Addr>", as grpc-go's resolver writes it.
  // Taking the service from any "<service>/<anything>" key would let a
  // stray key ("greeter/dup-of-50061") carrying a live instance's Addr take
  // that instance over, with its own weight.
  std::string suffix = absl::StrCat("/", instance.address);
  if (!absl::EndsWith(rest, suffix)) {
    size_t slash = rest.rfind('/');
    if (slash == absl::string_view::npos) return Bad(key, "key has no '/<address>' part");
    return Bad(key, absl::StrCat("the key's address part '", TruncateForDisplay(rest.substr(slash + 1)),
                                 "' is not its Addr '", instance.address,
                                 "': a record's key must be <service>/<Addr>"));
  }
  instance.service = std::string(rest.substr(0, rest.size() - suffix.size()));
  if (instance.service.empty()) return Bad(key, "key has no service part");
  if (auto m = doc.find("Metadata"); m != doc.end()) {
    if (absl::Status s = DecodeMetadata(key, *m, &instance.metadata); !s.ok()) return s;
  }
  return instance;
}

}  // namespace switchboard
