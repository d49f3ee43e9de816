// `switchboard route set|show|clear SERVICE`: the route override of a
// service in etcd (registry/config_keys.h), which every control plane
// watching that etcd applies at once (client/route_override_feed.h).
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "switchboard/cli/commands.h"
#include "switchboard/cli/route_spec.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/registry/config_keys.h"
#include "switchboard/registry/naming_codec.h"
#include "switchboard/xds/policy_file.h"

namespace switchboard::cli {
namespace {

absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(const std::string& endpoints) {
  absl::StatusOr<EtcdClientOptions> options = ParseEtcdEndpoints(endpoints);
  if (!options.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--etcd=", endpoints, ": ", options.status().message()));
  }
  return EtcdClient::Create(*options);
}

// The instances of `service` registered under `prefix`; skips bad records.
absl::StatusOr<std::vector<Instance>> InstancesOf(EtcdClient& client, const std::string& prefix,
                                                  const std::string& service) {
  absl::StatusOr<RangeResult> range = client.GetPrefix(ServiceKeyPrefix(prefix, service));
  if (!range.ok()) return range.status();
  std::vector<Instance> instances;
  for (const KeyValue& kv : range->kvs) {
    absl::StatusOr<Instance> instance = DecodeInstance(prefix, kv.key, kv.value);
    if (instance.ok() && instance->service == service) instances.push_back(*std::move(instance));
  }
  return instances;
}

}  // namespace

int RunRoute(const Command& cmd, const ParsedFlags& flags);
const Command kRouteCommand = {
    .name = "route",
    .summary = "Set, show or clear a service's routes between subsets (canary splits).",
    .usage = "switchboard route set SERVICE [--split S=P,...] [--header MATCH:SUBSET]... [--by FIELD]\n"
             "       switchboard route show SERVICE [--json]\n"
             "       switchboard route clear SERVICE",
    .description =
        "Keeps the routes of SERVICE in etcd, at <prefix>_switchboard/routes/SERVICE, beside\n"
        "the registry; every control plane reading that etcd (switchboard xds, up, embedded\n"
        "discovery) applies a change at once. A service's routes in etcd replace those of\n"
        "the policy file (docs/policy.md); `clear` gives the file's back.\n"
        "Subsets are the values of the instances' version (or of the label --by names).\n"
        "  --split v1=90,v2=10          the default route: percentages summing to 100\n"
        "  --header x-canary=true:v2    calls with header x-canary = \"true\" go to v2\n"
        "  --header x-team^=qa-:v2      ... whose x-team starts with \"qa-\"\n"
        "  --header x-debug:v1          ... that carry x-debug at all\n"
        "Header routes are tried in the order given, then the split (without --split:\n"
        "every instance). A subset no instance has is allowed, with a warning: its share\n"
        "goes to the others until one registers. Examples:\n"
        "  switchboard route set greeter --split v1=90,v2=10\n"
        "  switchboard route set greeter --split v1=100 --header x-canary=true:v2\n",
    .flags = {
        {.name = "split", .value_name = "SUBSET=PERCENT,...", .help = "the default route's split"},
        {.name = "header", .value_name = "MATCH:SUBSET",
         .help = "a header route: NAME=VALUE, NAME^=PREFIX or NAME, then :SUBSET",
         .repeatable = true},
        {.name = "by", .value_name = "FIELD", .help = "what names the subsets: version or a label",
         .default_text = "version"},
        {.name = "json", .help = "show: print the stored JSON", .boolean = true},
        {.name = "etcd", .value_name = "HOST:PORT[,HOST:PORT]", .help = "etcd endpoints",
         .default_text = "the running `switchboard up`'s, else 127.0.0.1:2379"},
        {.name = "prefix", .value_name = "P", .help = "registry key prefix (grpc-go uses none)"},
        {.name = "data-dir", .value_name = "DIR", .help = "where `switchboard up` keeps its state",
         .default_text = "$XDG_STATE_HOME/switchboard or ~/.local/state/switchboard"},
    },
    .max_positionals = 2,
    .positional_name = "ACTION SERVICE",
    .run = RunRoute,
};

int RunRoute(const Command& cmd, const ParsedFlags& flags) {
  if (flags.positionals().size() != 2) {
    return UsageError(cmd, "give an action (set, show or clear) and a SERVICE");
  }
  const std::string action = flags.positionals()[0];
  const std::string service = flags.positionals()[1];
  if (action != "set" && action != "show" && action != "clear") {
    return UsageError(cmd, absl::StrCat("unknown action '", action, "': set, show or clear"));
  }
  if (absl::Status s = ValidateServiceName(service); !s.ok()) return UsageError(cmd, s);
  if (action != "set" && (flags.IsSet("split") || flags.IsSet("header") || flags.IsSet("by"))) {
    return UsageError(cmd, absl::StrCat("--split, --header and --by are for `route set`, not `",
                                        action, "`"));
  }
  if (action != "show" && flags.IsSet("json")) {
    return UsageError(cmd, "--json is for `route show`");
  }
  absl::StatusOr<xds::RoutingPolicy> routing;
  if (action == "set") {
    routing = RoutingFromFlags(flags.Get("by", "version"), flags.Get("split"),
                               flags.GetAll("header"));
    if (!routing.ok()) return UsageError(cmd, routing.status());
  }
  absl::StatusOr<std::string> endpoints = EtcdEndpointsFrom(flags);
  if (!endpoints.ok()) return UsageError(cmd, endpoints.status());
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = Connect(*endpoints);
  if (!client.ok()) return UsageError(cmd, client.status());
  const std::string prefix = flags.Get("prefix");
  const std::string key = RouteConfigKey(prefix, service);

  if (action == "set") {
    absl::StatusOr<std::vector<Instance>> instances = InstancesOf(**client, prefix, service);
    if (!instances.ok()) return RuntimeError(cmd, instances.status());
    std::vector<std::string> missing = SubsetsWithoutInstances(*routing, *instances);
    if (!missing.empty()) {
      std::fprintf(stderr,
                   "switchboard route: warning: no instance of %s has %s %s: until one does, "
                   "its share goes to the other subsets\n",
                   service.c_str(), routing->subsets->by.c_str(),
                   absl::StrJoin(missing, ", ").c_str());
    }
    const std::string value = xds::RoutingToJson(*routing);
    absl::StatusOr<int64_t> revision = (*client)->Put(key, value);
    if (!revision.ok()) return RuntimeError(cmd, revision.status());
    std::printf("%s: routes set (etcd key %s)\n%s", service.c_str(), key.c_str(),
                FormatRouting(*routing).c_str());
    return kExitOk;
  }
  if (action == "clear") {
    absl::StatusOr<int64_t> revision = (*client)->Delete(key);
    if (!revision.ok()) return RuntimeError(cmd, revision.status());
    std::printf("%s: routes cleared (etcd key %s); the policy file's apply\n", service.c_str(),
                key.c_str());
    return kExitOk;
  }
  absl::StatusOr<RangeResult> got = (*client)->Get(key);
  if (!got.ok()) return RuntimeError(cmd, got.status());
  if (got->kvs.empty()) {
    std::printf(flags.IsSet("json") ? "null\n" : "");
    std::fprintf(stderr, "switchboard route: %s has no routes in etcd (key %s); the policy "
                 "file's apply, if any\n", service.c_str(), key.c_str());
    return kExitOk;
  }
  const std::string& value = got->kvs[0].value;
  if (flags.IsSet("json")) {
    std::printf("%s\n", value.c_str());
    return kExitOk;
  }
  absl::StatusOr<xds::RoutingPolicy> stored =
      xds::ParseRoutingJson(value, absl::StrCat("etcd key ", key));
  if (!stored.ok()) return RuntimeError(cmd, stored.status());
  std::printf("%s", FormatRouting(*stored).c_str());
  return kExitOk;
}

}  // namespace switchboard::cli
