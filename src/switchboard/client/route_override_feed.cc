#include "switchboard/client/route_override_feed.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "switchboard/common/log.h"
#include "switchboard/lookup/etcd/etcd_factory.h"
#include "switchboard/lookup/source_uri.h"
#include "switchboard/registry/config_keys.h"
#include "switchboard/xds/policy_file.h"

namespace switchboard {
namespace {
constexpr char kComponent[] = "routes";
}  // namespace

void RouteOverrides::Update(const std::map<std::string, std::string>& kvs,
                            std::vector<std::string>* problems) {
  std::map<std::string, std::pair<std::string, xds::RoutingPolicy>> good;
  for (const auto& [key, value] : kvs) {
    std::optional<std::string> service = ServiceOfRouteConfigKey(prefix_, key);
    if (!service.has_value()) continue;
    auto before = good_.find(key);
    if (before != good_.end() && before->second.first == value) {
      good.insert(*before);
      continue;
    }
    absl::StatusOr<xds::RoutingPolicy> routing =
        xds::ParseRoutingJson(value, absl::StrCat("etcd key ", key));
    if (routing.ok()) {
      good[key] = {value, *std::move(routing)};
      continue;
    }
    if (problems != nullptr) {
      problems->push_back(absl::StrCat(routing.status().message(),
                                       before != good_.end() ? "; keeping its last good value"
                                                             : "; ignored"));
    }
    if (before != good_.end()) good.insert(*before);
  }
  good_ = std::move(good);
  by_service_.clear();
  for (const auto& [key, entry] : good_) {
    by_service_[*ServiceOfRouteConfigKey(prefix_, key)] = entry.second;
  }
}

absl::StatusOr<std::unique_ptr<RouteOverrideFeed>> RouteOverrideFeed::Start(
    const std::vector<std::string>& source_uris, xds::XdsControlPlane& plane) {
  std::unique_ptr<RouteOverrideFeed> feed(new RouteOverrideFeed(plane));
  std::vector<std::pair<std::shared_ptr<EtcdClient>, std::string>> etcds;
  for (const std::string& text : source_uris) {
    if (!absl::StartsWith(text, "etcd:")) continue;
    absl::StatusOr<SourceUri> uri = ParseSourceUri(text);
    if (!uri.ok()) return uri.status();
    absl::StatusOr<EtcdSourceConfig> config = EtcdSourceConfigFromUri(*uri);
    if (!config.ok()) return config.status();
    EtcdClientOptions options;
    for (const HostPort& endpoint : config->endpoints) options.endpoints.push_back(endpoint.ToString());
    options.request_timeout = config->request_timeout;
    absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(std::move(options));
    if (!client.ok()) return client.status();
    etcds.emplace_back(std::move(*client), config->watcher.prefix);
  }
  {
    std::lock_guard<std::mutex> lock(feed->mu_);
    for (const auto& [client, prefix] : etcds) feed->overrides_.emplace_back(prefix);
  }
  for (size_t i = 0; i < etcds.size(); ++i) {
    RouteOverrideFeed* self = feed.get();
    feed->watchers_.push_back(std::make_unique<ConfigWatcher>(
        etcds[i].first, RouteConfigPrefix(etcds[i].second),
        [self, i](const std::map<std::string, std::string>& kvs) { self->OnChange(i, kvs); }));
  }
  for (auto& watcher : feed->watchers_) watcher->Start();
  return feed;
}

RouteOverrideFeed::~RouteOverrideFeed() {
  for (auto& watcher : watchers_) watcher->Stop();
}

void RouteOverrideFeed::OnChange(size_t index, const std::map<std::string, std::string>& kvs) {
  std::vector<std::string> problems;
  std::map<std::string, xds::RoutingPolicy> merged;
  {
    std::lock_guard<std::mutex> lock(mu_);
    overrides_[index].Update(kvs, &problems);
    // The first source's override of a service wins.
    for (const RouteOverrides& source : overrides_) {
      for (const auto& [service, routing] : source.by_service()) merged.try_emplace(service, routing);
    }
  }
  for (const std::string& problem : problems) SB_LOG(kWarn, kComponent, problem);
  plane_.SetRouteOverrides(std::move(merged));
}

}  // namespace switchboard
