// Immutable snapshots of the instances a lookup source knows, and the
// changeset between two of them.
//
// A snapshot is built once and never edited: a source that learns something
// new builds a new snapshot and swaps it in whole, so readers on any thread
// hold a std::shared_ptr<const Snapshot> without locks.
//
// Example:
//   auto before = Snapshot::Create({});
//   auto after = Snapshot::Create({{"greeter", "127.0.0.1:50051", {}}});
//   Changeset changes = Diff(*before, *after);  // changes.added.size() == 1
#ifndef SWITCHBOARD_CORE_SNAPSHOT_H_
#define SWITCHBOARD_CORE_SNAPSHOT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "switchboard/core/instance.h"

namespace switchboard {

class Snapshot {
 public:
  // One service's instances, sorted by address, addresses unique. Shared:
  // a snapshot derived with WithServices() holds the very lists of the
  // services it did not replace, so "same pointer" means "unchanged".
  using InstanceList = std::shared_ptr<const std::vector<Instance>>;
  // service name -> its instances.
  using ServiceMap = std::map<std::string, InstanceList, std::less<>>;

  // Groups `instances` by service and sorts them. When an address appears
  // twice in a service the last one wins. `revision` is the source's own
  // version of this view (etcd revision, DNS generation...), 0 if none.
  static std::shared_ptr<const Snapshot> Create(std::vector<Instance> instances,
                                                int64_t revision = 0);
  static std::shared_ptr<const Snapshot> Empty();
  // `base` with the instances of some services replaced: each entry of
  // `replaced` is a service's whole new instance list (grouped, sorted and
  // deduplicated as Create() does; empty drops the service). Equal to
  // Create() over the result's instances, without regrouping and sorting
  // every other service: a source that knows which services one event
  // touched pays for those.
  static std::shared_ptr<const Snapshot> WithServices(
      const Snapshot& base, std::map<std::string, std::vector<Instance>> replaced,
      int64_t revision);

  // The instances of `service`; empty when the service is unknown.
  const std::vector<Instance>& Instances(absl::string_view service) const;
  // The same, shared; null when the service is unknown.
  InstanceList SharedInstances(absl::string_view service) const;
  bool HasService(absl::string_view service) const;
  const ServiceMap& services() const { return services_; }
  // Total number of instances over all services.
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t revision() const { return revision_; }
  // All instances, ordered by (service, address).
  std::vector<Instance> All() const;

  // Same instances (revision ignored).
  bool SameInstances(const Snapshot& other) const;

 private:
  Snapshot(ServiceMap services, int64_t revision);

  ServiceMap services_;
  size_t size_ = 0;
  int64_t revision_ = 0;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// What changed between two snapshots, instance by instance.
struct Changeset {
  std::vector<Instance> added;    // in `after` only
  std::vector<Instance> removed;  // in `before` only
  std::vector<Instance> updated;  // in both, metadata differs (the new value)

  bool empty() const { return added.empty() && removed.empty() && updated.empty(); }
  size_t size() const { return added.size() + removed.size() + updated.size(); }
  // The services any of the changes touch.
  std::set<std::string> Services() const;
  // "+2 -1 ~0" style summary for logs.
  std::string Summary() const;
};

// Pure: the changes that turn `before` into `after`. O(n) over both.
Changeset Diff(const Snapshot& before, const Snapshot& after);
// Diff() restricted to `services`; equal to Diff() when no other service
// differs (as after WithServices()). O(instances of those services).
Changeset DiffServices(const Snapshot& before, const Snapshot& after,
                       const std::set<std::string>& services);

// The union of several sources' snapshots. When two sources know the same
// (service, address), the earlier source in the list wins. Null entries
// (sources not ready yet) are skipped.
SnapshotPtr MergeSnapshots(const std::vector<SnapshotPtr>& snapshots);

}  // namespace switchboard

#endif  // SWITCHBOARD_CORE_SNAPSHOT_H_
