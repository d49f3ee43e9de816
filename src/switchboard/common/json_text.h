// Parsing JSON text for the files a user writes (services file, policy
// file), with errors that point at the spot: "<path>:3:17: <what>".
//
// Example:
//   absl::StatusOr<nlohmann::json> doc = ParseJsonText(text, "/etc/sb/policy.json");
#ifndef SWITCHBOARD_COMMON_JSON_TEXT_H_
#define SWITCHBOARD_COMMON_JSON_TEXT_H_

#include <cstddef>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace switchboard {

struct TextPosition {
  int line = 1;    // 1-based
  int column = 1;  // 1-based, in bytes
  friend bool operator==(const TextPosition&, const TextPosition&) = default;
};

// Line and column of the byte at `offset` (0-based) in `text`. An offset at
// or past the end gives the position just after the last byte.
TextPosition PositionOfOffset(absl::string_view text, size_t offset);

// The document in `text`; a syntax error reads "<path>:<line>:<col>: ...".
// `path` only names the file in errors.
absl::StatusOr<nlohmann::json> ParseJsonText(absl::string_view text, absl::string_view path);

}  // namespace switchboard

#endif  // SWITCHBOARD_COMMON_JSON_TEXT_H_
