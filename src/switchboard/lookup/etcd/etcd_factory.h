// The etcd scheme: instances registered in etcd (registry/naming_codec.h),
// watched by an EtcdWatcher. Its URI form, parsed into EtcdSourceConfig,
// and its factory (lookup/lookup_source_factory.h).
//
//   etcd://host:port[,host:port...]/[key/prefix/]?service=greeter
//   etcd://h:2379/?ca=/etc/ssl/etcd-ca.pem&cert=c.pem&key=k.pem&user=sb&password-file=/etc/sb/pw
//
// Endpoints default to port 2379. The key prefix is what follows the '/'
// after the endpoints, as written: "etcd://h:2379/" -> "" (grpc-go's
// layout), "etcd://h:2379/sb/" -> "sb/", "etcd://h:2379//sb/" -> "/sb/".
//
// Example:
//   absl::StatusOr<EtcdSourceConfig> config =
//       EtcdSourceConfigFromUri(*ParseSourceUri("etcd://127.0.0.1:2379/?service=greeter"));
//   config->endpoints[0] == HostPort{"127.0.0.1", 2379}; config->watcher.service == "greeter";
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_LOOKUP_ETCD_ETCD_FACTORY_H_
#define SWITCHBOARD_LOOKUP_ETCD_ETCD_FACTORY_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/common/host_port.h"
#include "switchboard/etcd/etcd_security.h"
#include "switchboard/lookup/etcd/etcd_watcher.h"
#include "switchboard/lookup/lookup_source_factory.h"
#include "switchboard/lookup/source_uri.h"

namespace switchboard {

struct EtcdSourceConfig {
  // At least one.
  std::vector<HostPort> endpoints;
  // How long one etcd request may take (EtcdClientOptions::request_timeout).
  absl::Duration request_timeout = EtcdClientOptions{}.request_timeout;
  // prefix, service and max_retry_delay from the URI.
  EtcdWatcherOptions watcher;
  // TLS and auth (etcd/etcd_security.h): files are read when the source
  // is made, not when the URI is parsed.
  EtcdSecurity security;
};

// Query parameters: service (one service only; default every service under
// the prefix), request_timeout and max_retry_delay (durations); TLS: ca,
// cert, key (PEM files), tls=true (system CAs); auth: user and
// password-file (else SWITCHBOARD_ETCD_PASSWORD).
absl::StatusOr<EtcdSourceConfig> EtcdSourceConfigFromUri(const SourceUri& uri);

// `uri` with the settings of `security` added as query parameters where it
// has none of its own: how --etcd-ca and the other flags reach etcd://
// sources. Other schemes are returned as they are.
absl::StatusOr<std::string> WithEtcdSecurityDefaults(absl::string_view uri,
                                                     const EtcdSecurity& security);

// The factory of "etcd". Create() makes the etcd client (which connects
// lazily) and the watcher, not started.
std::unique_ptr<LookupSourceFactory> MakeEtcdSourceFactory();

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_ETCD_ETCD_FACTORY_H_
