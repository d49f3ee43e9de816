#include "switchboard/lookup/etcd/etcd_factory.h"

#include <string>

#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "switchboard/etcd/etcd_client.h"

namespace switchboard {
namespace {

const LookupSourceDescription& Description() {
  static const auto* d = new LookupSourceDescription{
      .scheme = "etcd",
      .forms = {"etcd://host:port[,host:port...]/[key/prefix/]"},
      .summary = "instances registered in etcd under the prefix, watched",
      .parameters = {"service", "request_timeout", "max_retry_delay", "ca", "cert", "key", "tls",
                     "user", "password-file"}};
  return *d;
}

LookupSourceOr BuildEtcdSource(const SourceUri& uri, EtcdSourceConfig config) {
  EtcdClientOptions client_options;
  for (const HostPort& endpoint : config.endpoints) {
    client_options.endpoints.push_back(endpoint.ToString());
  }
  client_options.request_timeout = config.request_timeout;
  if (absl::Status s = ApplyEtcdSecurity(config.security, kEtcdUriParamNames, client_options);
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("source '", uri.text, "': ", s.message()));
  }
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(std::move(client_options));
  if (!client.ok()) {
    return absl::Status(client.status().code(),
                        absl::StrCat("source '", uri.text, "': ", client.status().message()));
  }
  return std::make_unique<EtcdWatcher>(std::shared_ptr<EtcdClient>(*std::move(client)),
                                       std::move(config.watcher));
}

}  // namespace

absl::StatusOr<EtcdSourceConfig> EtcdSourceConfigFromUri(const SourceUri& uri) {
  if (uri.scheme != "etcd") {
    return absl::InvalidArgumentError(absl::StrCat("source '", uri.text, "' is not an etcd URI"));
  }
  const std::string forms = FormsText(Description());
  EtcdSourceConfig config;
  if (uri.authority.empty()) {
    return BadSourceUri(uri.text, "etcd needs at least one endpoint host:port", forms);
  }
  for (const std::string& endpoint : AuthorityHosts(uri)) {
    absl::StatusOr<HostPort> hp = ParseHostPort(endpoint, 2379);
    if (!hp.ok()) return BadSourceUri(uri.text, absl::StrCat("etcd endpoint ", hp.status().message()), forms);
    config.endpoints.push_back(*std::move(hp));
  }
  // The '/' after the endpoints separates; the rest is the prefix, as
  // written ("" by default, as grpc-go; "//sb/" for keys under "/sb/").
  absl::string_view prefix = uri.path;
  absl::ConsumePrefix(&prefix, "/");
  config.watcher.prefix = std::string(prefix);

  if (absl::Status s = CheckKnownParams(uri, Description().parameters); !s.ok()) return s;
  absl::StatusOr<absl::Duration> request_timeout =
      DurationParam(uri, "request_timeout", config.request_timeout);
  if (!request_timeout.ok()) return request_timeout.status();
  config.request_timeout = *request_timeout;
  config.watcher.service = StringParam(uri, "service", "");
  absl::StatusOr<absl::Duration> max_retry_delay =
      DurationParam(uri, "max_retry_delay", config.watcher.max_retry_delay);
  if (!max_retry_delay.ok()) return max_retry_delay.status();
  config.watcher.max_retry_delay = *max_retry_delay;
  config.security.ca_file = StringParam(uri, "ca", "");
  config.security.cert_file = StringParam(uri, "cert", "");
  config.security.key_file = StringParam(uri, "key", "");
  absl::StatusOr<bool> tls = BoolParam(uri, "tls", false);
  if (!tls.ok()) return tls.status();
  config.security.tls = *tls;
  config.security.user = StringParam(uri, "user", "");
  config.security.password_file = StringParam(uri, "password-file", "");
  return config;
}

namespace {

// Percent-encodes what would end or split a query value.
std::string EncodeParam(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '%' || c == '&' || c == '=' || c == '#' || c == '?' || c == '+' ||
        static_cast<unsigned char>(c) <= ' ') {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", static_cast<unsigned char>(c)));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> WithEtcdSecurityDefaults(absl::string_view uri_text,
                                                     const EtcdSecurity& security) {
  absl::StatusOr<SourceUri> uri = ParseSourceUri(uri_text);
  if (!uri.ok()) return uri.status();
  std::string out(uri_text);
  if (uri->scheme != "etcd" || security.empty()) return out;
  bool first = out.find('?') == std::string::npos;
  auto add = [&](absl::string_view name, const std::string& value) {
    if (value.empty() || uri->params.count(std::string(name)) > 0) return;
    absl::StrAppend(&out, first ? "?" : "&", name, "=", EncodeParam(value));
    first = false;
  };
  add("ca", security.ca_file);
  add("cert", security.cert_file);
  add("key", security.key_file);
  add("tls", security.tls ? "true" : "");
  add("user", security.user);
  add("password-file", security.password_file);
  return out;
}

std::unique_ptr<LookupSourceFactory> MakeEtcdSourceFactory() {
  return std::make_unique<ConfigSourceFactory<EtcdSourceConfig>>(
      Description(), EtcdSourceConfigFromUri, BuildEtcdSource);
}

}  // namespace switchboard
