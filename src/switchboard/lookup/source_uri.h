// Where a lookup source finds its instances, written as one URI. The CLI,
// the control plane and the demo all take sources in this form.
//
// Accepted forms (query parameters after '?', see docs/sources.md):
//   etcd://host:port[,host:port...]/[key/prefix/] instances registered in etcd
//   dns:///name[:port]                          A/AAAA, system resolvers
//   dns://server[:port]/name[:port]             A/AAAA, asking `server`
//   dns+srv:///_service._proto.domain           SRV, system resolvers
//   dns+srv://server[:port]/_service._proto.domain
//   file:///absolute/path/services.json         a JSON file, reloaded on change
//
// Example:
//   absl::StatusOr<SourceUri> uri =
//       ParseSourceUri("dns://127.0.0.1:5353/greeter.test:50051?interval=2s");
//   uri->scheme == SourceUri::Scheme::kDns; uri->servers[0].port == 5353;
//   uri->target == "greeter.test"; uri->port == 50051;
//   uri->params.at("interval") == "2s"
//
// ParseSourceUri is pure and thread-safe. It checks the shape of each form;
// the meaning of the query parameters is checked by the factory of the
// scheme (lookup/source_registry.h).
#ifndef SWITCHBOARD_LOOKUP_SOURCE_URI_H_
#define SWITCHBOARD_LOOKUP_SOURCE_URI_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "switchboard/common/host_port.h"

namespace switchboard {

struct SourceUri {
  enum class Scheme { kEtcd, kDns, kDnsSrv, kFile };

  Scheme scheme = Scheme::kFile;
  // "etcd", "dns", "dns+srv" or "file".
  std::string scheme_name;
  // etcd: the endpoints (at least one). dns, dns+srv: the DNS server to ask
  // (port 53 unless given), or none for the system's resolvers. file: none.
  std::vector<HostPort> servers;
  // etcd: the key prefix: what follows the '/' after the endpoints
  // ("etcd://h:2379/" -> "", "etcd://h:2379/sb/" -> "sb/",
  // "etcd://h:2379//sb/" -> "/sb/"); keys are <prefix><service>/<address>.
  // dns: the host name. dns+srv: the SRV name. file: the absolute path.
  std::string target;
  // dns: the port instances listen on (443 when not given, as gRPC does).
  // Others: 0.
  uint16_t port = 0;
  // Query parameters, percent-decoded. Each name appears at most once.
  std::map<std::string, std::string> params;
  // The URI as given, for logs and errors.
  std::string text;
};

// Parses one of the forms above. The error names the URI, says what is wrong
// and lists the accepted forms.
absl::StatusOr<SourceUri> ParseSourceUri(absl::string_view uri);

// The accepted forms, one per line, for help texts and error messages.
absl::string_view SourceUriForms();

// "etcd://a:2379,b:2379/<prefix>" from etcd endpoints "a:2379,b:2379" (an
// "http://" in front of each is dropped) and a registry key prefix.
std::string EtcdSourceUri(absl::string_view endpoints, absl::string_view prefix = "");

// Typed access to query parameters, for factories. Each returns `fallback`
// when the parameter is absent and an error naming the parameter and the URI
// when its value is malformed.
absl::StatusOr<absl::Duration> DurationParam(const SourceUri& uri, absl::string_view name,
                                             absl::Duration fallback);
absl::StatusOr<bool> BoolParam(const SourceUri& uri, absl::string_view name, bool fallback);
absl::StatusOr<double> DoubleParam(const SourceUri& uri, absl::string_view name, double fallback);
std::string StringParam(const SourceUri& uri, absl::string_view name, absl::string_view fallback);
// An error naming the first parameter not in `known`, so that a typo
// ("intreval=1s") is not silently ignored.
absl::Status CheckKnownParams(const SourceUri& uri, const std::vector<absl::string_view>& known);

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_SOURCE_URI_H_
