// Fields every resource builder fills the same way. Internal to the
// builders (listener_builder.cc, route_configuration_builder.cc, ...).
//
// Example:
//   SetDuration(absl::Seconds(2), action->mutable_timeout());
//   SetAds(rds->mutable_config_source());
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_PROTO_FIELDS_H_
#define SWITCHBOARD_XDS_PROTO_FIELDS_H_

#include <cstdint>

#include "absl/time/time.h"
#include "envoy/config/core/v3/config_source.pb.h"
#include "google/protobuf/duration.pb.h"

namespace switchboard::xds {

inline void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  int64_t nanos = absl::ToInt64Nanoseconds(d);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

// Every ConfigSource we send: "over the same ADS stream", xDS v3.
inline void SetAds(envoy::config::core::v3::ConfigSource* source) {
  source->mutable_ads();
  source->set_resource_api_version(envoy::config::core::v3::V3);
}

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_PROTO_FIELDS_H_
