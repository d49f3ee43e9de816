#include "switchboard/xds/ads_stream_state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "switchboard/common/close_names.h"
#include "switchboard/xds/listener_builder.h"
#include "switchboard/xds/resource_version.h"

namespace switchboard::xds {
namespace {

using Severity = AdsStreamState::Event::Severity;

void Emit(AdsStreamState::Step& step, Severity severity, std::string message) {
  step.events.push_back({severity, std::move(message)});
}

// LDS and CDS: a name left out of a state-of-the-world response does not
// exist. Also the only types for which an empty first request is a wildcard.
bool AbsenceMeansDeleted(ResourceKind kind) {
  return kind == ResourceKind::kListener || kind == ResourceKind::kCluster;
}

// True when `requested` is exactly `current`, in order (gRPC clients send
// names sorted). False when unsure (another order, repeated names): the
// caller then compares them as sets.
bool SameNames(const google::protobuf::RepeatedPtrField<std::string>& requested,
               const std::set<std::string>& current) {
  if (static_cast<size_t>(requested.size()) != current.size()) return false;
  auto it = current.begin();
  for (const std::string& name : requested) {
    if (name != *it++) return false;
  }
  return true;
}

}  // namespace

SharedPushes PrepareSharedPushes(const ResourceCatalog& catalog, const ChangedByKind& changed,
                                 uint64_t generation) {
  SharedPushes pushes;
  for (const auto& [kind, names] : changed) {
    if (AbsenceMeansDeleted(kind) || names.empty()) continue;
    auto response = std::make_shared<DiscoveryResponse>();
    response->set_type_url(std::string(TypeUrl(kind)));
    response->mutable_control_plane()->set_identifier("switchboard");
    uint64_t hash = Fnv1a64(TypeUrl(kind));
    SharedPush push;
    bool same_for_every_client = true;
    for (const std::string& name : names) {
      const CatalogResource* resource = catalog.Lookup(kind, name);
      if (resource == nullptr) continue;  // gone: nothing to tell (absence is no deletion)
      // A resource with variants (a route with a timeout) differs by
      // client: such a change goes out stream by stream.
      if (!resource->variants.empty()) {
        same_for_every_client = false;
        break;
      }
      *response->add_resources() = resource->resource.resource;
      hash = Fnv1a64(resource->resource.version, Fnv1a64(name, hash));
      push.names.insert(name);
    }
    if (!same_for_every_client || push.names.empty()) continue;
    response->set_version_info(absl::StrFormat("%016x", hash));
    response->set_nonce(absl::StrCat("c", generation));
    push.response = std::move(response);
    pushes.emplace(kind, std::move(push));
  }
  return pushes;
}

AdsStreamState::AdsStreamState(std::string peer, bool debug_events, uint64_t number)
    : peer_(std::move(peer)), number_(number), debug_events_(debug_events) {}

std::string AdsStreamState::Describe() const {
  std::string stream = number_ == 0 ? "" : absl::StrCat(", stream ", number_);
  if (!node_seen_) return absl::StrCat("stream from ", peer_, stream);
  return absl::StrCat("node \"", node_id_, "\" (", user_agent_, ") at ", peer_, stream);
}

AdsStreamState::TypeStatus AdsStreamState::Status(ResourceKind kind) const {
  const TypeState* state = State(kind);
  if (state == nullptr) return TypeStatus{};
  TypeStatus status = state->status;
  status.sent_at = state->sent_at;
  return status;
}

uint64_t AdsStreamState::nacks() const {
  return nacks_;
}

std::vector<std::string> AdsStreamState::SubscribedNames(ResourceKind kind, const TypeState& state,
                                                         const ResourceCatalog& catalog) const {
  if (state.status.wildcard) return catalog.Names(kind);
  return {state.status.names.begin(), state.status.names.end()};
}

std::string AdsStreamState::VersionFor(ResourceKind kind, const TypeState& state,
                                       const ResourceCatalog& catalog) const {
  uint64_t hash = Fnv1a64(TypeUrl(kind));
  auto add = [&](const std::string& name) {
    const ServedResource* resource = catalog.Find(kind, name, client_class_);
    hash = Fnv1a64(name, hash);
    hash = Fnv1a64(resource == nullptr ? absl::string_view("-") : resource->version, hash);
  };
  // Runs for every subscribed stream on every change: no copy of the names.
  if (state.status.wildcard) {
    for (const std::string& name : catalog.Names(kind)) add(name);
  } else {
    for (const std::string& name : state.status.names) add(name);
  }
  return absl::StrFormat("%016x", hash);
}

bool AdsStreamState::Touches(const TypeState& state,
                             const std::set<std::string>& changed_names) const {
  if (state.status.wildcard) return !changed_names.empty();
  // Walk the smaller side: usually one changed resource against a few names.
  const std::set<std::string>& smaller =
      changed_names.size() < state.status.names.size() ? changed_names : state.status.names;
  const std::set<std::string>& larger =
      &smaller == &changed_names ? state.status.names : changed_names;
  for (const std::string& name : smaller) {
    if (larger.count(name) > 0) return true;
  }
  return false;
}

bool AdsStreamState::SubscribesToAll(const TypeState& state,
                                     const std::set<std::string>& names) const {
  if (state.status.wildcard) return true;
  return std::includes(state.status.names.begin(), state.status.names.end(), names.begin(),
                       names.end());
}

void AdsStreamState::MarkSent(ResourceKind kind, TypeState& state,
                              const DiscoveryResponse& response, absl::Time now, Step& step) {
  TypeStatus& status = state.status;
  status.sent_version = response.version_info();
  status.sent_nonce = response.nonce();
  status.awaiting_ack = true;
  status.responses_sent++;
  state.needs_response = false;
  state.sent_at = now;
  state.unacked_reported = false;
  if (!debug_events_) return;
  Emit(step, Severity::kDebug,
       absl::StrCat("sending ", ShortName(kind), " version ", status.sent_version, " (",
                    response.resources_size(), " resources, nonce ", status.sent_nonce, ") to ",
                    Describe()));
}

bool AdsStreamState::Hold(ResourceKind kind, TypeState& state, const ResourceCatalog& catalog,
                          Step& step) {
  if (catalog.complete()) {
    state.reported_held.clear();
    return false;
  }
  // Absence is no deletion for the other types: Respond() leaves out what
  // is not known yet.
  if (!AbsenceMeansDeleted(kind)) return false;
  std::vector<std::string> held;
  bool hold = state.status.wildcard;
  if (hold && state.reported_held.insert("*").second) held.push_back("*");
  for (const std::string& name : state.status.names) {
    if (catalog.Find(kind, name, client_class_) != nullptr) continue;
    hold = true;
    if (state.reported_held.insert(name).second) held.push_back(name);
  }
  if (!hold) {
    state.reported_held.clear();
    return false;
  }
  state.needs_response = true;
  if (!held.empty()) {
    Emit(step, Severity::kInfo,
         absl::StrCat(Describe(), " asked for ", ShortName(kind), " \"",
                      absl::StrJoin(held, "\", \""),
                      "\": not known yet and not every source has answered; held until they have"));
  }
  return true;
}

std::shared_ptr<const DiscoveryResponse> AdsStreamState::Respond(
    ResourceKind kind, TypeState& state, const ResourceCatalog& catalog, absl::Time now,
    Step& step, std::string version, const std::set<std::string>* only) {
  if (Hold(kind, state, catalog, step)) return nullptr;
  auto response = std::make_shared<DiscoveryResponse>();
  response->set_type_url(std::string(TypeUrl(kind)));
  response->mutable_control_plane()->set_identifier("switchboard");
  std::vector<std::string> missing;
  std::vector<std::string> not_yet;  // incomplete catalog: may exist
  for (const std::string& name : SubscribedNames(kind, state, catalog)) {
    if (only != nullptr && only->count(name) == 0) continue;
    const ServedResource* resource = catalog.Find(kind, name, client_class_);
    if (resource == nullptr) {
      if (!catalog.complete()) {
        if (state.reported_held.insert(name).second) not_yet.push_back(name);
        continue;
      }
      if (state.reported_missing.insert(name).second) missing.push_back(name);
      if (kind == ResourceKind::kListener) {
        response->add_resources()->PackFrom(BuildUnknownServiceListener(name));
      }
      continue;
    }
    state.reported_missing.erase(name);
    *response->add_resources() = resource->resource;
  }
  if (!not_yet.empty()) {
    Emit(step, Severity::kInfo,
         absl::StrCat(Describe(), " asked for ", ShortName(kind), " \"",
                      absl::StrJoin(not_yet, "\", \""),
                      "\": not known yet and not every source has answered; left out until they have"));
  }
  if (!missing.empty()) {
    // A typo in the client's target is the usual cause: name the services
    // that are close (one hint for the first name, the usual single one).
    std::optional<std::string> asked = ServiceOfResourceName(kind, missing.front());
    const std::string close =
        DidYouMean(asked.has_value() ? *asked : missing.front(), catalog.Services());
    Emit(step, Severity::kWarn,
         absl::StrCat(Describe(), " asked for ", ShortName(kind), " \"",
                      absl::StrJoin(missing, "\", \""), "\": no such service", close,
                      kind == ResourceKind::kListener
                          ? " (answered with a listener that fails its calls)"
                          : AbsenceMeansDeleted(kind) ? " (answered as does-not-exist)" : "",
                      catalog.degraded().empty() ? "" : absl::StrCat("; ", catalog.degraded())));
  }
  response->set_version_info(version.empty() ? VersionFor(kind, state, catalog) : std::move(version));
  response->set_nonce(absl::StrCat(next_nonce_++));
  MarkSent(kind, state, *response, now, step);
  return response;
}

AdsStreamState::Step AdsStreamState::OnRequest(const DiscoveryRequest& request,
                                               const ResourceCatalog* catalog, absl::Time now) {
  Step step;
  if (!node_seen_ && request.has_node()) {
    node_seen_ = true;
    node_id_ = request.node().id();
    client_class_ = ClassifyClient(request.node());
    user_agent_ = client_class_.description;
    Emit(step, Severity::kInfo,
         absl::StrCat("new ADS stream: ", Describe(),
                      client_class_.ring_hash ? "" : "; RING_HASH tailored to ROUND_ROBIN",
                      client_class_.exact_route_timeout
                          ? ""
                          : absl::StrCat("; route timeouts sent ",
                                         absl::FormatDuration(kCoreTimeoutPadding),
                                         " longer (its clock runs early, grpc#34547)")));
  }

  std::optional<ResourceKind> kind = KindOfTypeUrl(request.type_url());
  if (!kind.has_value()) {
    if (reported_unknown_types_.insert(request.type_url()).second) {
      Emit(step, Severity::kWarn,
           absl::StrCat(Describe(), " asked for resource type \"", request.type_url(),
                        "\", which this server does not serve; ignored"));
    }
    return step;
  }

  auto& slot = types_[static_cast<size_t>(*kind)];
  bool first = !slot.has_value();
  if (first) slot.emplace();
  TypeState& state = *slot;
  TypeStatus& status = state.status;

  if (!request.response_nonce().empty()) {
    if (request.response_nonce() != status.sent_nonce) {
      if (debug_events_) {
        Emit(step, Severity::kDebug,
             absl::StrCat(Describe(), ": stale ", ShortName(*kind), " request (nonce ",
                          request.response_nonce(), ", latest ", status.sent_nonce, "); ignored"));
      }
      return step;
    }
    status.awaiting_ack = false;
    if (request.has_error_detail()) {
      status.nacks++;
      nacks_++;
      status.nacked_version = status.sent_version;
      status.last_nack_error = request.error_detail().message();
      Emit(step, Severity::kWarn,
           absl::StrCat(Describe(), " rejected (NACK) ", ShortName(*kind), " version ",
                        status.sent_version, ": ", request.error_detail().message(),
                        request.version_info().empty()
                            ? "; it has no earlier version to fall back on"
                            : absl::StrCat("; it keeps using version ", request.version_info())));
    } else {
      status.acked_version = request.version_info();
      if (debug_events_) {
        Emit(step, Severity::kDebug,
             absl::StrCat(Describe(), " accepted ", ShortName(*kind), " version ",
                          request.version_info()));
      }
    }
  }

  // Most requests are ACKs naming what the stream already watches: tell
  // so without building a set (a thousand of them follow every push). A
  // wildcard has no names, and an empty request keeps it.
  if (!first && SameNames(request.resource_names(), status.names)) return step;
  std::set<std::string> names(request.resource_names().begin(), request.resource_names().end());
  bool wildcard = status.wildcard;
  if (first) wildcard = names.empty() && AbsenceMeansDeleted(*kind);
  else if (!names.empty()) wildcard = false;
  bool subscription_changed = first || names != status.names || wildcard != status.wildcard;
  status.subscribed = true;
  status.names = std::move(names);
  status.wildcard = wildcard;
  if (!subscription_changed) return step;

  if (catalog == nullptr) {
    state.needs_response = true;
    return step;
  }
  if (auto response = Respond(*kind, state, *catalog, now, step)) {
    step.responses.push_back(std::move(response));
  }
  return step;
}

AdsStreamState::Step AdsStreamState::OnCatalogChange(const ResourceCatalog& catalog,
                                                     const std::set<std::string>& changed_services,
                                                     absl::Time now) {
  // Every name a changed service owns now, and its conventional names: a
  // service gone from `catalog` owned at least those.
  ChangedByKind changed;
  for (ResourceKind kind : kAllResourceKinds) {
    std::set<std::string>& names = changed[kind];
    for (const std::string& service : changed_services) {
      for (std::string& name : catalog.NamesOf(kind, service)) names.insert(std::move(name));
      names.insert(ResourceName(kind, service));
    }
  }
  return OnCatalogChangeByKind(catalog, changed, now);
}

AdsStreamState::Step AdsStreamState::OnCatalogChangeByKind(const ResourceCatalog& catalog,
                                                           const ChangedByKind& changed,
                                                           absl::Time now,
                                                           const SharedPushes* shared) {
  static const std::set<std::string> kNone;
  Step step;
  for (ResourceKind kind : kAllResourceKinds) {
    TypeState* slot = State(kind);
    if (slot == nullptr) continue;
    TypeState& state = *slot;
    if (state.needs_response) {
      if (auto response = Respond(kind, state, catalog, now, step)) {
        step.responses.push_back(std::move(response));
      }
      continue;
    }
    auto of_kind = changed.find(kind);
    const std::set<std::string>& changed_of_kind =
        of_kind == changed.end() ? kNone : of_kind->second;
    if (!Touches(state, changed_of_kind)) continue;
    // With thousands of streams on one service, sending one changed
    // resource instead of every subscribed one is most of the work saved.
    bool partial = !AbsenceMeansDeleted(kind) && !state.status.awaiting_ack;
    if (partial && shared != nullptr) {
      auto push = shared->find(kind);
      // Touches() said a subscribed resource changed, so no version check.
      if (push != shared->end() && SubscribesToAll(state, push->second.names)) {
        MarkSent(kind, state, *push->second.response, now, step);
        step.responses.push_back(push->second.response);
        continue;
      }
    }
    std::string version = VersionFor(kind, state, catalog);
    if (version == state.status.sent_version) continue;
    if (auto response = Respond(kind, state, catalog, now, step, std::move(version),
                                partial ? &changed_of_kind : nullptr)) {
      step.responses.push_back(std::move(response));
    }
  }
  return step;
}

AdsStreamState::Step AdsStreamState::CheckUnacked(absl::Time now, absl::Duration ack_timeout) {
  Step step;
  for (ResourceKind kind : kAllResourceKinds) {
    TypeState* slot = State(kind);
    if (slot == nullptr) continue;
    TypeState& state = *slot;
    if (!state.status.awaiting_ack || state.unacked_reported) continue;
    if (now - state.sent_at < ack_timeout) continue;
    state.unacked_reported = true;
    Emit(step, Severity::kWarn,
         absl::StrCat(Describe(), " has not acknowledged ", ShortName(kind), " version ",
                      state.status.sent_version, " (nonce ", state.status.sent_nonce, ") for ",
                      absl::FormatDuration(now - state.sent_at),
                      "; is the client stuck? Other streams are not affected"));
  }
  return step;
}

}  // namespace switchboard::xds
