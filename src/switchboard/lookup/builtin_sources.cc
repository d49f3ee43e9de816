#include "switchboard/lookup/builtin_sources.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "switchboard/lookup/dns/dns_factory.h"
#include "switchboard/lookup/etcd/etcd_factory.h"
#include "switchboard/lookup/file/file_factory.h"

namespace switchboard {
namespace {

LookupSourceRegistry BuildBuiltinLookupSources() {
  std::vector<std::unique_ptr<LookupSourceFactory>> factories;
  factories.push_back(MakeEtcdSourceFactory());
  factories.push_back(MakeDnsAddressSourceFactory());
  factories.push_back(MakeDnsSrvSourceFactory());
  factories.push_back(MakeFileSourceFactory());
  absl::StatusOr<LookupSourceRegistry> registry = LookupSourceRegistry::Create(std::move(factories));
  if (!registry.ok()) {
    // Two built-in factories claiming one scheme: a programming error that
    // every test would show.
    std::fprintf(stderr, "built-in lookup sources: %s\n", registry.status().ToString().c_str());
    std::abort();
  }
  return *std::move(registry);
}

}  // namespace

const LookupSourceRegistry& BuiltinLookupSources() {
  static const LookupSourceRegistry* registry = new LookupSourceRegistry(BuildBuiltinLookupSources());
  return *registry;
}

absl::StatusOr<std::unique_ptr<LookupSource>> MakeLookupSource(absl::string_view uri) {
  return BuiltinLookupSources().Make(uri);
}

}  // namespace switchboard
