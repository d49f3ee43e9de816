// Where a lookup source finds its instances, written as one URI: the CLI,
// the control plane and the demo all take sources in this form. This is the
// generic half of reading one: scheme, authority, path and query
// parameters, with no knowledge of any scheme. What a scheme accepts is
// checked by its factory (lookup/lookup_source_factory.h), which parses the
// URI into its own typed config; the registry (lookup/source_registry.h)
// picks the factory by scheme.
//
//   <scheme>://<authority>/<path>?<name>=<value>&...
//
// Example:
//   absl::StatusOr<SourceUri> uri =
//       ParseSourceUri("dns://127.0.0.1:5353/greeter.test:50051?interval=2s");
//   uri->scheme == "dns"; uri->authority == "127.0.0.1:5353";
//   uri->path == "/greeter.test:50051"; uri->params.at("interval") == "2s"
//   absl::StatusOr<absl::Duration> interval =
//       DurationParam(*uri, "interval", absl::Seconds(5));   // 2s
//
// Everything here is pure and thread-safe.
#ifndef SWITCHBOARD_LOOKUP_SOURCE_URI_H_
#define SWITCHBOARD_LOOKUP_SOURCE_URI_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace switchboard {

struct SourceUri {
  // Lower-cased: "etcd", "dns", "dns+srv", "file", or any other a factory
  // registers.
  std::string scheme;
  // Between "://" and the next '/', as written: "h1:2379,h2:2379",
  // "127.0.0.1:5353", "localhost", or empty.
  std::string authority;
  // From that '/' on, percent-decoded ("/greeter.test:50051"); empty when
  // the URI has no '/' after the authority.
  std::string path;
  // Query parameters, percent-decoded. Each name appears at most once.
  std::map<std::string, std::string> params;
  // The URI as given, for logs and errors.
  std::string text;
};

// Splits `uri` into its parts. Fails (InvalidArgument naming the URI) on a
// missing "<scheme>://", a fragment, a bad %-escape, a parameter with no
// name or one given twice; the scheme itself is not checked here.
absl::StatusOr<SourceUri> ParseSourceUri(absl::string_view uri);

// The comma-separated entries of the authority ("a:1,b:2" -> {"a:1", "b:2"});
// none when it is empty. Empty entries are kept, for the factory to refuse.
std::vector<std::string> AuthorityHosts(const SourceUri& uri);

// "bad source URI '<uri>': <why>; accepted forms:\n<forms>", InvalidArgument:
// what a factory says when a URI of its scheme has the wrong shape.
absl::Status BadSourceUri(absl::string_view uri, absl::string_view why, absl::string_view forms);

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
// An error naming the first parameter not in `known` and listing the known
// ones, so that a typo ("intreval=1s") is not silently ignored.
absl::Status CheckKnownParams(const SourceUri& uri, const std::vector<std::string>& known);

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_SOURCE_URI_H_
