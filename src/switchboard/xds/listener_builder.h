// Builds the Listener a gRPC client asks for first (`xds:///<service>`
// asks for listener "<service>"): an api_listener whose
// HttpConnectionManager fetches the route configuration over ADS, or
// carries it inline when the policy says so, and ends with the router
// filter gRPC requires.
//
// Example:
//   Listener listener = BuildListener("greeter", policy);
//   Listener stand_in = BuildUnknownServiceListener("gretter");
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_XDS_LISTENER_BUILDER_H_
#define SWITCHBOARD_XDS_LISTENER_BUILDER_H_

#include "absl/strings/string_view.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "switchboard/xds/route_configuration_builder.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard::xds {

using envoy::config::listener::v3::Listener;

// `live`: the service's subsets with a serving instance, for an inline
// route configuration (route_configuration_builder.h).
Listener BuildListener(absl::string_view service, const ServicePolicy& policy,
                       const LiveSubsets& live = {});

// The listener sent for a name no source knows. gRPC clients of this
// generation wait 15 s before treating a never-seen listener as missing;
// this one arrives at once and routes nowhere (no virtual host), so calls
// fail fast with UNAVAILABLE "could not find VirtualHost for <name> ...",
// naming the service. When the service appears, the real listener replaces
// it and the channel recovers by itself.
Listener BuildUnknownServiceListener(absl::string_view name);

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_LISTENER_BUILDER_H_
