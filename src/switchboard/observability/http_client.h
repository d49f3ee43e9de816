// A GET over HTTP for the command line (`switchboard status` reading a
// running `up`'s /api/status), on cpp-httplib like the server.
//
// Example:
//   absl::StatusOr<std::string> body = HttpGet("127.0.0.1:18080", "/api/status");
//
// Threading: thread-safe; blocks up to `timeout`.
#ifndef SWITCHBOARD_OBSERVABILITY_HTTP_CLIENT_H_
#define SWITCHBOARD_OBSERVABILITY_HTTP_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchboard::observability {

// The body of a 200 answer to GET http://<address><path>. Unavailable
// naming the address when nothing answers; Internal with the status and
// body otherwise.
absl::StatusOr<std::string> HttpGet(const std::string& address, const std::string& path,
                                    absl::Duration timeout = absl::Seconds(5));

}  // namespace switchboard::observability

#endif  // SWITCHBOARD_OBSERVABILITY_HTTP_CLIENT_H_
