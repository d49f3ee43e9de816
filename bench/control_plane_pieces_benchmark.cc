// Micro-benchmarks (google benchmark) of the steps one registry change goes
// through inside the control plane, at the sizes of
// bench_control_plane_scale: the watcher's new snapshot and changeset, the
// catalog build, the changed-service set, and one stream's response. They
// say where the push latency of a large registry comes from.
//
//   bench_control_plane_pieces [--benchmark_filter=Catalog]
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "switchboard/core/snapshot.h"
#include "switchboard/xds/ads_stream_state.h"
#include "switchboard/xds/resource_names.h"
#include "switchboard/xds/resource_catalog.h"

namespace switchboard::xds {
namespace {

std::vector<Instance> Registry(int services, int instances, uint32_t weight_of_first = 1) {
  std::vector<Instance> all;
  for (int s = 0; s < services; ++s) {
    for (int i = 0; i < instances; ++i) {
      all.push_back({.service = absl::StrCat("svc-", s),
                     .address = absl::StrCat("10.", s / 256, ".", s % 256, ".", i + 1, ":8080"),
                     .metadata = {.weight = s == 0 && i == 0 ? weight_of_first : 1}});
    }
  }
  return all;
}

void BM_SnapshotCreate(benchmark::State& state) {
  std::vector<Instance> all = Registry(state.range(0), 10);
  for (auto _ : state) benchmark::DoNotOptimize(Snapshot::Create(all));
}
BENCHMARK(BM_SnapshotCreate)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_DiffOneChange(benchmark::State& state) {
  SnapshotPtr before = Snapshot::Create(Registry(state.range(0), 10));
  SnapshotPtr after = Snapshot::Create(Registry(state.range(0), 10, 2));
  for (auto _ : state) benchmark::DoNotOptimize(Diff(*before, *after));
}
BENCHMARK(BM_DiffOneChange)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_CatalogBuild(benchmark::State& state) {
  SnapshotPtr snapshot = Snapshot::Create(Registry(state.range(0), 10));
  PolicyTable policies;
  for (auto _ : state) benchmark::DoNotOptimize(ResourceCatalog::Build(*snapshot, policies, {}));
}
BENCHMARK(BM_CatalogBuild)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// What the control plane does: one instance changed, the rest reused. The
// watcher derives each snapshot from the last with WithServices(), so the
// untouched services share their instance lists with the previous catalog.
void BM_CatalogBuildFromPrevious(benchmark::State& state) {
  PolicyTable policies;
  SnapshotPtr before = Snapshot::Create(Registry(state.range(0), 10));
  CatalogPtr previous = ResourceCatalog::Build(*before, policies, {});
  std::vector<Instance> svc0 = before->Instances("svc-0");
  svc0[0].metadata.weight = 2;
  SnapshotPtr changed = Snapshot::WithServices(*before, {{"svc-0", svc0}}, 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ResourceCatalog::Build(*changed, policies, {}, nullptr, previous.get()));
  }
}
BENCHMARK(BM_CatalogBuildFromPrevious)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// The same from a snapshot built from scratch: every service's instances
// are compared by value.
void BM_CatalogBuildFromPreviousByValue(benchmark::State& state) {
  PolicyTable policies;
  CatalogPtr previous = ResourceCatalog::Build(*Snapshot::Create(Registry(state.range(0), 10)), policies, {});
  SnapshotPtr changed = Snapshot::Create(Registry(state.range(0), 10, 2));
  for (auto _ : state) {
    benchmark::DoNotOptimize(ResourceCatalog::Build(*changed, policies, {}, nullptr, previous.get()));
  }
}
BENCHMARK(BM_CatalogBuildFromPreviousByValue)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_ChangedServices(benchmark::State& state) {
  PolicyTable policies;
  CatalogPtr before = ResourceCatalog::Build(*Snapshot::Create(Registry(state.range(0), 10)), policies, {});
  CatalogPtr after = ResourceCatalog::Build(*Snapshot::Create(Registry(state.range(0), 10, 2)), policies, {});
  for (auto _ : state) benchmark::DoNotOptimize(ChangedServices(before.get(), *after));
}
BENCHMARK(BM_ChangedServices)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// One stream watching 5 services gets the change of one of them.
void BM_StreamCatalogChange(benchmark::State& state) {
  PolicyTable policies;
  CatalogPtr before = ResourceCatalog::Build(*Snapshot::Create(Registry(1000, 10)), policies, {});
  CatalogPtr after = ResourceCatalog::Build(*Snapshot::Create(Registry(1000, 10, 2)), policies, {});
  std::set<std::string> changed = ChangedServices(before.get(), *after);
  std::vector<std::string> services = {"svc-0", "svc-1", "svc-2", "svc-3", "svc-4"};
  for (auto _ : state) {
    state.PauseTiming();
    AdsStreamState stream("bench");
    for (ResourceKind kind : kAllResourceKinds) {
      DiscoveryRequest request;
      request.set_type_url(std::string(TypeUrl(kind)));
      for (const std::string& s : services) request.add_resource_names(ResourceName(kind, s));
      AdsStreamState::Step first = stream.OnRequest(request, before.get(), absl::Now());
      // ACKed, as a live client has by the time the next change comes.
      request.set_version_info(first.responses[0]->version_info());
      request.set_response_nonce(first.responses[0]->nonce());
      stream.OnRequest(request, before.get(), absl::Now());
    }
    state.ResumeTiming();
    benchmark::DoNotOptimize(stream.OnCatalogChange(*after, changed, absl::Now()));
  }
}
BENCHMARK(BM_StreamCatalogChange)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace switchboard::xds

BENCHMARK_MAIN();
