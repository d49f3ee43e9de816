// The control plane's state as JSON, for /api/* and `switchboard status
// --json`: clients (one per ADS stream), sources, services and their
// instances. Pure functions of the values they are given; the field names
// are documented in docs/observability.md.
//
// Example:
//   nlohmann::json clients = ClientsJson(plane->Clients(), absl::Now());
//   clients[0]["types"]["cds"]["acked_version"]
//
// Threading: pure, thread-safe.
#ifndef SWITCHBOARD_OBSERVABILITY_STATUS_JSON_H_
#define SWITCHBOARD_OBSERVABILITY_STATUS_JSON_H_

#include <vector>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "switchboard/core/snapshot.h"
#include "switchboard/xds/ads_server.h"
#include "switchboard/xds/control_plane.h"

namespace switchboard::observability {

// RFC 3339 UTC with milliseconds; null for InfinitePast.
nlohmann::json TimeJson(absl::Time t);

// An array, ordered by node id then stream number. Each: stream, peer,
// node_id, user_agent, user_agent_version, zone, client_class,
// connected_since, nacking (the last response of some type was rejected
// and nothing accepted since), types{lds|rds|cds|eds: subscribed, wildcard,
// names, sent_version, sent_nonce, awaiting_ack, acked_version,
// nacked_version, last_nack_error, responses_sent, nacks}.
nlohmann::json ClientsJson(const std::vector<xds::ClientStatus>& clients);
// An array: source, up, error, answered, from_cache, instances,
// last_success, consecutive_errors, stale_seconds, updates.
nlohmann::json SourcesJson(const std::vector<xds::SourceStatus>& sources, absl::Time now);
// An array ordered by name: name, instances (count), healthy (not
// draining), and endpoints [address, weight, zone, version, draining,
// labels]. `snapshot` may be null (nothing served yet): [].
nlohmann::json ServicesJson(const SnapshotPtr& snapshot);
// The load clients report (LRS): an array ordered by service then zone:
// service, zone, successful, errored, issued, in_progress, calls_per_second,
// errors_per_second, history [{t (Unix seconds), calls, errors}] (one per
// second with reports, oldest first, the last 5 minutes).
nlohmann::json LoadJson(const std::vector<xds::ServiceZoneLoad>& loads);

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_STATUS_JSON_H_
