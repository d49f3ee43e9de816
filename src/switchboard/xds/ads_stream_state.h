// The protocol state of one ADS stream (state-of-the-world variant), with no
// I/O: subscriptions per resource type, the version and nonce last sent,
// ACK/NACK bookkeeping, and which responses a request or a catalog change
// calls for. The transport (ads_server.h) feeds it requests and catalogs and
// writes out what it returns; unit tests drive it directly.
//
// Rules it implements:
//   - A request whose response_nonce is not the last one sent for its type
//     is stale and ignored (the client has a newer response in flight).
//   - A request with error_detail is a NACK: reported, nothing resent; the
//     client keeps the last version it accepted until a new one comes.
//   - A request whose names differ from the current subscription is
//     answered at once with the subscribed resources that exist. A listener
//     nobody knows is answered with a stand-in that fails calls fast naming
//     the service (BuildUnknownServiceListener); an unknown cluster is left
//     out, which SotW clients read as "does not exist".
//   - A catalog change is sent only to streams subscribed to a changed
//     resource, and only when the version for that type actually differs.
//   - Route configurations and endpoints (types whose absence from a
//     response does not mean deletion) are sent alone on a catalog change:
//     only the changed ones, not every subscribed one, when the client has
//     acknowledged the previous response of that type. While a response is
//     unacknowledged (maybe still queued), the next one is complete, so it
//     can replace a queued one without losing anything.
//   - Such a partial push is the same for every stream subscribed to all it
//     carries: PrepareSharedPushes() builds it once per catalog, with a
//     version and nonce of the catalog's own ("c<generation>", which no
//     per-stream nonce looks like), and each stream hands out the one
//     shared message for the transport to serialize once. Not for a change
//     that includes a resource clients get tailored (a route with a
//     timeout: a resource with variants, client_class.h): that goes out
//     stream by stream.
//   - Each stream gets its client class's variant of every resource: the
//     class is read once from the node of its first request
//     (ClassifyClient()), and versions are computed over what it gets.
//   - Requests that arrive before the first catalog are answered when it
//     comes.
//   - While the catalog is incomplete (a source has not answered yet), a
//     listener or cluster subscription naming a resource the catalog lacks
//     (or any wildcard one) is held unanswered, as before the first
//     catalog: the missing service may belong to the silent source, and
//     "does not exist" would make a client drop it. A client that had the
//     resources keeps using them meanwhile. The hold ends with the first
//     catalog that has the names, or is complete.
//   - Resource types this server does not serve are reported and ignored.
//
// Example:
//   AdsStreamState stream("ipv4:127.0.0.1:4242");
//   AdsStreamState::Step step = stream.OnRequest(request, catalog.get(), absl::Now());
//   for (auto& response : step.responses) Write(response);
//   for (auto& event : step.events) Log(event);
//
// Threading: not thread-safe; the transport serialises calls per stream.
#ifndef SWITCHBOARD_XDS_ADS_STREAM_STATE_H_
#define SWITCHBOARD_XDS_ADS_STREAM_STATE_H_

#include <array>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "switchboard/xds/client_class.h"
#include "switchboard/xds/resource_catalog.h"
#include "switchboard/xds/resource_names.h"

namespace switchboard::xds {

using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

// The partial push of one resource type after a catalog change, shared by
// every stream it suits (see the rules above).
struct SharedPush {
  // Names of the resources of this type the response carries.
  std::set<std::string> names;
  std::shared_ptr<const DiscoveryResponse> response;
};
using SharedPushes = std::map<ResourceKind, SharedPush>;

// Pure: the shared partial pushes of route configurations and endpoints
// for the resources `changed` (ChangedResourcesByKind()) in `catalog`. `generation` numbers catalogs;
// a new one for every call.
SharedPushes PrepareSharedPushes(const ResourceCatalog& catalog, const ChangedByKind& changed,
                                 uint64_t generation);

class AdsStreamState {
 public:
  // Something worth telling an operator; the transport logs it.
  struct Event {
    enum class Severity { kDebug, kInfo, kWarn };
    Severity severity = Severity::kInfo;
    std::string message;
  };
  // What one input calls for. Responses are shared, read-only: a shared
  // push is the same object in many streams' steps.
  struct Step {
    std::vector<std::shared_ptr<const DiscoveryResponse>> responses;
    std::vector<Event> events;
  };
  // One resource type's state, for tests and status pages.
  struct TypeStatus {
    bool subscribed = false;
    bool wildcard = false;
    std::set<std::string> names;
    std::string sent_version;  // last version sent ("" before any)
    std::string sent_nonce;
    bool awaiting_ack = false;
    std::string acked_version;   // last version the client accepted
    std::string nacked_version;  // last version it rejected ("" if none)
    std::string last_nack_error;
    // When the last response was sent (ACK latency is measured from it).
    absl::Time sent_at = absl::InfinitePast();
    uint64_t responses_sent = 0;
    uint64_t nacks = 0;
  };

  // `peer` names the stream in events until the client's node id is known.
  // Without `debug_events`, steps carry no kDebug event (one per response
  // and ACK: text nobody reads unless debug logging is on). `number` (when
  // not 0) tells apart streams of one node id and peer in events: processes
  // started from one bootstrap share its node id, and all unix socket
  // peers read "unix:".
  explicit AdsStreamState(std::string peer, bool debug_events = true, uint64_t number = 0);

  // One request from the client. `catalog` is null before the first one is
  // built.
  Step OnRequest(const DiscoveryRequest& request, const ResourceCatalog* catalog, absl::Time now);
  // A new catalog; `changed_services` are those whose resources differ from
  // the previous catalog (ChangedServices()).
  Step OnCatalogChange(const ResourceCatalog& catalog, const std::set<std::string>& changed_services,
                       absl::Time now);
  // The same with the changed resources told per kind by name
  // (ChangedResourcesByKind()): a type none of whose resources changed is
  // skipped without recomputing its version. What it sends is the same.
  // `shared` (PrepareSharedPushes() of the same change), when given, is
  // handed out instead of a partial response of the stream's own.
  Step OnCatalogChangeByKind(const ResourceCatalog& catalog, const ChangedByKind& changed,
                             absl::Time now, const SharedPushes* shared = nullptr);
  // Reports (once per response) responses not acknowledged within
  // `ack_timeout`: a client that stopped processing its stream.
  Step CheckUnacked(absl::Time now, absl::Duration ack_timeout);

  // The node id the client sent ("" until its first request).
  const std::string& node_id() const { return node_id_; }
  // "node <id> (<user agent>) at <peer>" for messages.
  std::string Describe() const;
  // The class of client it serves, which picks the variants it gets
  // (client_class.h); the default class until the first request.
  const ClientClass& client_class() const { return client_class_; }
  TypeStatus Status(ResourceKind kind) const;
  // NACKs received over every type; cheaper than summing Status().
  uint64_t nacks() const;

 private:
  struct TypeState {
    TypeStatus status;
    // Answer at the first catalog even if none of the names changed (the
    // subscription changed while there was no catalog).
    bool needs_response = false;
    absl::Time sent_at;
    bool unacked_reported = false;
    // Unknown names already reported, so a client retrying is not logged
    // again and again.
    std::set<std::string> reported_missing;
    // Names already reported as held (incomplete catalog), likewise.
    std::set<std::string> reported_held;
  };

  // The response for `kind` with the current subscription; sets the state
  // as sent. Null when it is held (an incomplete catalog lacks a name; see
  // the rules above): the state then waits for the next catalog. `version`: VersionFor() when the caller has it already.
  // `only`, when not null, limits the resources sent to those named (a
  // partial response).
  std::shared_ptr<const DiscoveryResponse> Respond(ResourceKind kind, TypeState& state,
                                                   const ResourceCatalog& catalog, absl::Time now,
                                                   Step& step, std::string version = "",
                                                   const std::set<std::string>* only = nullptr);
  // True (and the state marked as waiting) when `kind`'s response must be
  // held for an incomplete `catalog`.
  bool Hold(ResourceKind kind, TypeState& state, const ResourceCatalog& catalog, Step& step);
  // Records `response` as sent for `kind` and says so in a debug event.
  void MarkSent(ResourceKind kind, TypeState& state, const DiscoveryResponse& response,
                absl::Time now, Step& step);
  // True when the stream subscribes to every resource in `names`.
  bool SubscribesToAll(const TypeState& state, const std::set<std::string>& names) const;
  // The version the client would get for `kind` now, without sending.
  std::string VersionFor(ResourceKind kind, const TypeState& state,
                         const ResourceCatalog& catalog) const;
  std::vector<std::string> SubscribedNames(ResourceKind kind, const TypeState& state,
                                           const ResourceCatalog& catalog) const;
  // True when the stream subscribes to one of `changed_names`.
  bool Touches(const TypeState& state, const std::set<std::string>& changed_names) const;

  // The state of `kind`; null while the client has not asked for it.
  TypeState* State(ResourceKind kind) {
    auto& slot = types_[static_cast<size_t>(kind)];
    return slot.has_value() ? &*slot : nullptr;
  }
  const TypeState* State(ResourceKind kind) const {
    const auto& slot = types_[static_cast<size_t>(kind)];
    return slot.has_value() ? &*slot : nullptr;
  }

  std::string peer_;
  uint64_t number_ = 0;
  const bool debug_events_;
  std::string node_id_;
  std::string user_agent_;
  bool node_seen_ = false;
  ClientClass client_class_;
  // Indexed by ResourceKind: touched for every stream on every change, so
  // kept inline rather than in a node-based map.
  std::array<std::optional<TypeState>, std::size(kAllResourceKinds)> types_;
  uint64_t nacks_ = 0;
  std::set<std::string> reported_unknown_types_;
  uint64_t next_nonce_ = 1;
};

}  // namespace switchboard::xds

#endif  // SWITCHBOARD_XDS_ADS_STREAM_STATE_H_
