#include "switchboard/xds/resource_version.h"

#include "absl/strings/str_format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace switchboard::xds {

uint64_t Fnv1a64(absl::string_view bytes, uint64_t seed) {
  uint64_t hash = seed;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string ResourceVersion(const google::protobuf::Message& resource) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    resource.SerializeToCodedStream(&coded);
  }
  return absl::StrFormat("%016x", Fnv1a64(bytes));
}

}  // namespace switchboard::xds
