#include "switchboard/core/snapshot.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace switchboard {

Snapshot::Snapshot(ServiceMap services, int64_t revision)
    : services_(std::move(services)), revision_(revision) {
  for (const auto& [name, list] : services_) size_ += list->size();
}

namespace {

// Sorts one service's instances by address; of duplicate addresses the
// last one wins.
void SortUnique(std::vector<Instance>& list) {
  // Stable so that "last one wins" holds for duplicate addresses.
  std::stable_sort(list.begin(), list.end(),
                   [](const Instance& a, const Instance& b) { return a.address < b.address; });
  std::vector<Instance> unique;
  unique.reserve(list.size());
  for (Instance& instance : list) {
    if (!unique.empty() && unique.back().address == instance.address) {
      unique.back() = std::move(instance);
    } else {
      unique.push_back(std::move(instance));
    }
  }
  list = std::move(unique);
}

// The one-pass merge of two lists sorted by (service, address).
void MergeDiff(const std::vector<Instance>& a, const std::vector<Instance>& b, Changeset& changes) {
  auto key_less = [](const Instance& x, const Instance& y) {
    return std::tie(x.service, x.address) < std::tie(y.service, y.address);
  };
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && key_less(a[i], b[j]))) {
      changes.removed.push_back(a[i++]);
    } else if (i == a.size() || key_less(b[j], a[i])) {
      changes.added.push_back(b[j++]);
    } else {
      if (!(a[i].metadata == b[j].metadata)) changes.updated.push_back(b[j]);
      ++i;
      ++j;
    }
  }
}

}  // namespace

std::shared_ptr<const Snapshot> Snapshot::Create(std::vector<Instance> instances,
                                                 int64_t revision) {
  std::map<std::string, std::vector<Instance>, std::less<>> grouped;
  for (Instance& instance : instances) {
    grouped[instance.service].push_back(std::move(instance));
  }
  ServiceMap services;
  for (auto& [name, list] : grouped) {
    SortUnique(list);
    services.emplace_hint(services.end(), name,
                          std::make_shared<const std::vector<Instance>>(std::move(list)));
  }
  return std::shared_ptr<const Snapshot>(new Snapshot(std::move(services), revision));
}

std::shared_ptr<const Snapshot> Snapshot::WithServices(
    const Snapshot& base, std::map<std::string, std::vector<Instance>> replaced, int64_t revision) {
  // Copies pointers only: the untouched services share base's lists.
  ServiceMap services = base.services_;
  for (auto& [name, list] : replaced) {
    if (list.empty()) {
      services.erase(name);
      continue;
    }
    SortUnique(list);
    services[name] = std::make_shared<const std::vector<Instance>>(std::move(list));
  }
  return std::shared_ptr<const Snapshot>(new Snapshot(std::move(services), revision));
}

std::shared_ptr<const Snapshot> Snapshot::Empty() {
  static const auto* empty = new std::shared_ptr<const Snapshot>(Create({}));
  return *empty;
}

const std::vector<Instance>& Snapshot::Instances(absl::string_view service) const {
  static const auto* none = new std::vector<Instance>();
  auto it = services_.find(service);
  return it == services_.end() ? *none : *it->second;
}

Snapshot::InstanceList Snapshot::SharedInstances(absl::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? nullptr : it->second;
}

bool Snapshot::SameInstances(const Snapshot& other) const {
  return std::equal(services_.begin(), services_.end(), other.services_.begin(),
                    other.services_.end(), [](const auto& a, const auto& b) {
                      return a.first == b.first && (a.second == b.second || *a.second == *b.second);
                    });
}

bool Snapshot::HasService(absl::string_view service) const {
  return services_.find(service) != services_.end();
}

std::vector<Instance> Snapshot::All() const {
  std::vector<Instance> all;
  all.reserve(size_);
  for (const auto& [name, list] : services_) all.insert(all.end(), list->begin(), list->end());
  return all;
}

std::set<std::string> Changeset::Services() const {
  std::set<std::string> services;
  for (const auto* list : {&added, &removed, &updated}) {
    for (const Instance& i : *list) services.insert(i.service);
  }
  return services;
}

std::string Changeset::Summary() const {
  return absl::StrCat("+", added.size(), " -", removed.size(), " ~", updated.size());
}

Changeset Diff(const Snapshot& before, const Snapshot& after) {
  // Both sides are sorted by (service, address): one merge pass.
  Changeset changes;
  MergeDiff(before.All(), after.All(), changes);
  return changes;
}

Changeset DiffServices(const Snapshot& before, const Snapshot& after,
                       const std::set<std::string>& services) {
  // Services in name order, each list by address: the changes come out in
  // the order Diff() gives them.
  Changeset changes;
  for (const std::string& service : services) {
    MergeDiff(before.Instances(service), after.Instances(service), changes);
  }
  return changes;
}

SnapshotPtr MergeSnapshots(const std::vector<SnapshotPtr>& snapshots) {
  std::vector<SnapshotPtr> present;
  for (const SnapshotPtr& s : snapshots) {
    if (s != nullptr) present.push_back(s);
  }
  if (present.empty()) return Snapshot::Empty();
  if (present.size() == 1) return present.front();
  std::vector<Instance> all;
  // Snapshot::Create keeps the last of duplicate addresses: add the sources
  // in reverse so the first source wins.
  for (auto it = present.rbegin(); it != present.rend(); ++it) {
    std::vector<Instance> instances = (*it)->All();
    all.insert(all.end(), std::make_move_iterator(instances.begin()),
               std::make_move_iterator(instances.end()));
  }
  return Snapshot::Create(std::move(all));
}

}  // namespace switchboard
