// Versions of served resources as content hashes: the same resource gets
// the same version in every process and across restarts, so a client that
// reconnects to a restarted control plane is not sent what it already has,
// and combined versions (a stream's, a service's) need no counter.
//
// Example:
//   std::string version = ResourceVersion(BuildClusterLoadAssignment("greeter", instances));
//   uint64_t combined = Fnv1a64(version, Fnv1a64(name));
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_RESOURCE_VERSION_H_
#define SWITCHBOARD_XDS_RESOURCE_VERSION_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace switchboard::xds {

// Hex of a 64-bit FNV-1a hash of the resource's deterministic
// serialization: 16 characters.
std::string ResourceVersion(const google::protobuf::Message& resource);
// 64-bit FNV-1a, exposed for combining versions.
uint64_t Fnv1a64(absl::string_view bytes, uint64_t seed = 14695981039346656037ull);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_RESOURCE_VERSION_H_
