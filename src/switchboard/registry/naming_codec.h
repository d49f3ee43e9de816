// The etcd naming format that grpc-go's etcd resolver reads and writes, so
// that Go services and Switchboard see each other:
//
//   key:   <prefix><service>/<host:port>
//   value: {"Op":0,"Addr":"<host:port>","Metadata":{...}}
//
// The key's address part must be the value's Addr: a record under any
// other key is refused, so a stray key cannot take over a live instance's
// address. (etcd's endpoints.Manager lets a Go program pick any key; the
// format here is the one its resolver documentation writes, target/addr.)
//
// Switchboard's metadata object holds {"weight":3,"zone":"a","version":"1.2",
// "draining":true,"labels":{"k":"v"}}, each field optional. Values written by
// grpc-go's endpoints manager ("Metadata":null, or metadata of another
// shape) decode to default metadata.
//
// Pure functions, no I/O: decoding never throws; a bad record yields a
// Status that names the key and says what is wrong with it.
//
// Example:
//   std::string key = RegistryKey("", instance);  // "greeter/10.0.0.1:50051"
//   std::string value = EncodeInstanceValue(instance);
//   absl::StatusOr<Instance> back = DecodeInstance("", key, value);
#ifndef SWITCHBOARD_REGISTRY_NAMING_CODEC_H_
#define SWITCHBOARD_REGISTRY_NAMING_CODEC_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/core/instance.h"

namespace switchboard {

// Values larger than this are refused: no instance record needs more, and a
// huge value is garbage or an attack.
inline constexpr size_t kMaxInstanceValueBytes = 64 * 1024;

// "<prefix><service>/<address>".
std::string RegistryKey(absl::string_view prefix, const Instance& instance);
// "<prefix><service>/": the prefix under which a service's instances live.
std::string ServiceKeyPrefix(absl::string_view prefix, absl::string_view service);

std::string EncodeInstanceValue(const Instance& instance);

// Decodes one key/value read under `prefix`. InvalidArgument (naming the
// key, escaped and cut to kMaxDisplayBytes) when the key is not
// "<prefix><service>/<Addr>" for the value's own Addr, the value is not the
// naming format, or a metadata field has the wrong type or range.
absl::StatusOr<Instance> DecodeInstance(absl::string_view prefix, absl::string_view key,
                                        absl::string_view value);

// The longest service name a registration may carry.
inline constexpr size_t kMaxServiceNameBytes = 128;

// What a registered service name may be made of, for error messages and
// help texts.
inline constexpr char kServiceNameRule[] =
    "1..128 letters, digits, '.', '-' or '_', starting with a letter or digit";

// Checks a service name before it is registered: kServiceNameRule. A '/'
// would nest it under another service's key prefix (`ls a` would list
// "a/b"), a space or a control character breaks tables and xDS names.
// Names read from etcd are not held to this (grpc-go targets may nest).
absl::Status ValidateServiceName(absl::string_view service);

// Checks an instance before it is registered: the service name, a weight
// in 1..kMaxWeight, and an address "ip:port" a client can dial. A DNS name
// is refused (xDS endpoints are IPs, so the control plane would skip it and
// the instance would never get traffic), and so is a wildcard host
// (0.0.0.0, [::]), which no client can dial.
//
// Example:
//   ValidateInstance({"greeter", "10.0.0.1:50051", {}}).ok() == true
//   ValidateInstance({"greeter", "0.0.0.0:50051", {}})   // InvalidArgument
absl::Status ValidateInstance(const Instance& instance);

}  // namespace switchboard

#endif  // SWITCHBOARD_REGISTRY_NAMING_CODEC_H_
