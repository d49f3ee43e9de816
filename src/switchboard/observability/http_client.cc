#include "switchboard/observability/http_client.h"

#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "switchboard/common/host_port.h"

namespace switchboard::observability {

absl::StatusOr<std::string> HttpGet(const std::string& address, const std::string& path,
                                    absl::Duration timeout) {
  absl::StatusOr<HostPort> target = ParseHostPort(address);
  if (!target.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP address ", address, ": ",
                                                   target.status().message()));
  }
  httplib::Client client(target->host, target->port);
  auto micros = absl::ToInt64Microseconds(timeout);
  client.set_connection_timeout(micros / 1000000, micros % 1000000);
  client.set_read_timeout(micros / 1000000, micros % 1000000);
  httplib::Result result = client.Get(path.c_str());
  if (!result) {
    return absl::UnavailableError(absl::StrCat("nothing answers HTTP at ", address, " (",
                                               httplib::to_string(result.error()), ")"));
  }
  if (result->status != 200) {
    return absl::InternalError(absl::StrCat("GET http://", address, path, ": ", result->status,
                                            " ", result->body));
  }
  return result->body;
}

}  // namespace switchboard::observability
