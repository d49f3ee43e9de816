// The etcd scheme: etcd://host:port[,host:port...]/[prefix]?service=...
// builds the EtcdWatcher beside it (lookup/etcd/etcd_watcher.h).
//
// Parameters: service (one service only; default every service under the
// prefix), request_timeout and max_retry_delay (durations).
#include "absl/strings/str_cat.h"
#include "switchboard/etcd/etcd_client.h"
#include "switchboard/lookup/source_registry.h"
#include "switchboard/lookup/etcd/etcd_watcher.h"

namespace switchboard {
namespace {

absl::StatusOr<std::unique_ptr<LookupSource>> MakeEtcdSource(const SourceUri& uri) {
  if (absl::Status s = CheckKnownParams(uri, {"service", "request_timeout", "max_retry_delay"});
      !s.ok()) {
    return s;
  }
  EtcdClientOptions client_options;
  for (const HostPort& endpoint : uri.servers) client_options.endpoints.push_back(endpoint.ToString());
  absl::StatusOr<absl::Duration> request_timeout =
      DurationParam(uri, "request_timeout", client_options.request_timeout);
  if (!request_timeout.ok()) return request_timeout.status();
  client_options.request_timeout = *request_timeout;

  EtcdWatcherOptions watcher_options;
  watcher_options.prefix = uri.target;
  watcher_options.service = StringParam(uri, "service", "");
  absl::StatusOr<absl::Duration> max_retry_delay =
      DurationParam(uri, "max_retry_delay", watcher_options.max_retry_delay);
  if (!max_retry_delay.ok()) return max_retry_delay.status();
  watcher_options.max_retry_delay = *max_retry_delay;

  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(std::move(client_options));
  if (!client.ok()) {
    return absl::Status(client.status().code(),
                        absl::StrCat("source '", uri.text, "': ", client.status().message()));
  }
  return std::make_unique<EtcdWatcher>(std::shared_ptr<EtcdClient>(*std::move(client)),
                                       std::move(watcher_options));
}

}  // namespace

absl::Status RegisterBuiltinEtcdLookupSource(LookupSourceRegistry& registry) {
  return RegisterEtcdLookupSource(registry, MakeEtcdSource);
}

}  // namespace switchboard
