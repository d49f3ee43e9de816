#include "switchboard/observability/status_json.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"

#include "switchboard/xds/resource_names.h"

namespace switchboard::observability {

nlohmann::json TimeJson(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return nullptr;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

nlohmann::json ClientsJson(const std::vector<xds::ClientStatus>& clients) {
  std::vector<const xds::ClientStatus*> ordered;
  for (const xds::ClientStatus& client : clients) ordered.push_back(&client);
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return std::tie(a->node_id, a->stream) < std::tie(b->node_id, b->stream);
  });
  nlohmann::json out = nlohmann::json::array();
  for (const xds::ClientStatus* client : ordered) {
    nlohmann::json types = nlohmann::json::object();
    bool nacking = false;
    for (const auto& [kind, type] : client->types) {
      // Rejected the last version sent, and has accepted nothing newer.
      if (!type.nacked_version.empty() && type.nacked_version == type.sent_version &&
          type.acked_version != type.sent_version) {
        nacking = true;
      }
      types[absl::AsciiStrToLower(xds::ShortName(kind))] = {
          {"subscribed", type.subscribed},
          {"wildcard", type.wildcard},
          {"names", type.names},
          {"sent_version", type.sent_version},
          {"sent_nonce", type.sent_nonce},
          {"awaiting_ack", type.awaiting_ack},
          {"acked_version", type.acked_version},
          {"nacked_version", type.nacked_version},
          {"last_nack_error", type.last_nack_error},
          {"responses_sent", type.responses_sent},
          {"nacks", type.nacks},
      };
    }
    out.push_back({
        {"stream", client->stream},
        {"peer", client->peer},
        {"node_id", client->node_id},
        {"user_agent", client->user_agent_name},
        {"user_agent_version", client->user_agent_version},
        {"zone", client->zone},
        {"client_class", client->client_class},
        {"connected_since", TimeJson(client->connected_since)},
        {"nacking", nacking},
        {"types", std::move(types)},
    });
  }
  return out;
}

nlohmann::json SourcesJson(const std::vector<xds::SourceStatus>& sources, absl::Time now) {
  nlohmann::json out = nlohmann::json::array();
  for (const xds::SourceStatus& source : sources) {
    bool ever = source.last_success != absl::InfinitePast();
    out.push_back({
        {"source", source.source},
        {"up", source.up},
        {"error", source.error},
        {"answered", source.answered},
        {"from_cache", source.from_cache},
        {"instances", source.instances},
        {"last_success", TimeJson(source.last_success)},
        {"consecutive_errors", source.consecutive_errors},
        {"stale_seconds",
         source.up || !ever ? 0.0 : absl::ToDoubleSeconds(now - source.last_success)},
        {"updates", source.updates},
        {"lists", source.activity.lists},
        {"watch_restarts", source.activity.watch_restarts},
        {"skipped_records", source.activity.skipped_records},
    });
  }
  return out;
}

nlohmann::json ServicesJson(const SnapshotPtr& snapshot) {
  nlohmann::json out = nlohmann::json::array();
  if (snapshot == nullptr) return out;
  for (const auto& [name, instances] : snapshot->services()) {
    nlohmann::json endpoints = nlohmann::json::array();
    int healthy = 0;
    for (const Instance& instance : *instances) {
      if (!instance.metadata.draining) healthy++;
      endpoints.push_back({
          {"address", instance.address},
          {"weight", instance.metadata.weight},
          {"zone", instance.metadata.zone},
          {"version", instance.metadata.version},
          {"draining", instance.metadata.draining},
          {"labels", instance.metadata.labels},
      });
    }
    out.push_back({{"name", name},
                   {"instances", endpoints.size()},
                   {"healthy", healthy},
                   {"endpoints", std::move(endpoints)}});
  }
  return out;
}

nlohmann::json LoadJson(const std::vector<xds::ServiceZoneLoad>& loads) {
  nlohmann::json out = nlohmann::json::array();
  for (const xds::ServiceZoneLoad& load : loads) {
    nlohmann::json history = nlohmann::json::array();
    for (const xds::LoadSample& sample : load.history) {
      history.push_back({{"t", absl::ToUnixSeconds(sample.second)},
                         {"calls", sample.calls},
                         {"errors", sample.errors}});
    }
    out.push_back({{"service", load.service},
                   {"zone", load.zone},
                   {"successful", load.successful_total},
                   {"errored", load.errored_total},
                   {"issued", load.issued_total},
                   {"in_progress", load.in_progress},
                   {"calls_per_second", load.calls_per_second},
                   {"errors_per_second", load.errors_per_second},
                   {"history", std::move(history)}});
  }
  return out;
}

}  // namespace switchboard::observability
