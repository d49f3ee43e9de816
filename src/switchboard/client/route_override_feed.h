// Feeds a control plane the route overrides kept in etcd
// (registry/config_keys.h: "<prefix>_switchboard/routes/<service>", set by
// `switchboard route set`): one ConfigWatcher per etcd source, whose every
// change is parsed and handed to XdsControlPlane::SetRouteOverrides(), so
// that every control plane reading that etcd (`switchboard xds`, `up`,
// embedded mode) applies a route change at once.
//
// A value that does not parse is reported on the log (naming the key) and
// the last good value of that key is kept; a deleted key drops the
// override, and the service's routes are the policy file's again. When two
// etcd sources hold an override for one service, the first source's wins.
//
// Example:
//   auto feed = RouteOverrideFeed::Start({"etcd://127.0.0.1:2379/"}, *plane);
//   ...
//   feed.reset();  // before the plane goes
//
// Threading: the watchers' threads call the plane (thread-safe). The plane
// must outlive the feed.
#ifndef SWITCHBOARD_CLIENT_ROUTE_OVERRIDE_FEED_H_
#define SWITCHBOARD_CLIENT_ROUTE_OVERRIDE_FEED_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "switchboard/lookup/etcd/config_watcher.h"
#include "switchboard/xds/control_plane.h"
#include "switchboard/xds/service_policy.h"

namespace switchboard {

// What a set of route override keys means: service -> routing, with the
// last good value kept for keys whose new value is bad. Pure.
class RouteOverrides {
 public:
  explicit RouteOverrides(std::string registry_prefix) : prefix_(std::move(registry_prefix)) {}
  // Reads every key (`kvs` is the whole prefix); one line per bad value
  // is appended to `problems`.
  void Update(const std::map<std::string, std::string>& kvs, std::vector<std::string>* problems);
  const std::map<std::string, xds::RoutingPolicy>& by_service() const { return by_service_; }

 private:
  std::string prefix_;
  // The last value parsed of each key, and what it gave.
  std::map<std::string, std::pair<std::string, xds::RoutingPolicy>> good_;
  std::map<std::string, xds::RoutingPolicy> by_service_;
};

class RouteOverrideFeed {
 public:
  // Starts a watcher for each etcd:// URI in `source_uris` (others are
  // skipped; none: a feed that does nothing). Errors: an etcd URI whose
  // client cannot be made.
  static absl::StatusOr<std::unique_ptr<RouteOverrideFeed>> Start(
      const std::vector<std::string>& source_uris, xds::XdsControlPlane& plane);
  ~RouteOverrideFeed();

 private:
  explicit RouteOverrideFeed(xds::XdsControlPlane& plane) : plane_(plane) {}
  void OnChange(size_t index, const std::map<std::string, std::string>& kvs);

  xds::XdsControlPlane& plane_;
  std::mutex mu_;
  std::vector<RouteOverrides> overrides_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<ConfigWatcher>> watchers_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_CLIENT_ROUTE_OVERRIDE_FEED_H_
