// The JSON format of the file source, and its parser. Pure: text in,
// instances or an error out.
//
//   {
//     "services": {
//       "greeter": [
//         "127.0.0.1:50051",
//         {"address": "127.0.0.1:50052", "weight": 2, "zone": "eu-west-1a",
//          "version": "1.4.2", "draining": false, "labels": {"canary": "true"}}
//       ],
//       "billing": []
//     }
//   }
//
// "services" maps each service name to its instances: a "host:port" string,
// or an object whose only required key is "address" ("addr" is accepted as
// a short form). weight is an integer 1..10000 (default 1); zone, version
// and label values are strings; draining is a boolean. An empty list means
// the service has no instances. Unknown keys inside an instance are errors
// (a misspelt "wieght" must not silently become weight 1); other top-level
// keys than "services" are ignored, for the writer's own bookkeeping.
//
// Errors name the file and where: "<path>:3:17: syntax error ..." for JSON
// syntax, "<path>: services.greeter[1].weight: ..." for content.
//
// Example:
//   absl::StatusOr<std::vector<Instance>> instances =
//       ParseServicesFile(R"({"services": {"greeter": ["127.0.0.1:50051"]}})", "/etc/sb.json");
#ifndef SWITCHBOARD_LOOKUP_FILE_SERVICES_FILE_H_
#define SWITCHBOARD_LOOKUP_FILE_SERVICES_FILE_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "switchboard/common/json_text.h"
#include "switchboard/core/instance.h"

namespace switchboard {

// Parses the file's `text`; `path` only names the file in errors.
absl::StatusOr<std::vector<Instance>> ParseServicesFile(absl::string_view text, absl::string_view path);

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_FILE_SERVICES_FILE_H_
