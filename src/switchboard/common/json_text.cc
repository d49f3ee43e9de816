#include "switchboard/common/json_text.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace switchboard {
namespace {

// The part of nlohmann's message after its own position prefix.
std::string SyntaxMessage(const nlohmann::json::parse_error& e) {
  std::string what = e.what();
  size_t colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

TextPosition PositionOfOffset(absl::string_view text, size_t offset) {
  TextPosition position;
  size_t end = std::min(offset, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++position.line;
      position.column = 1;
    } else {
      ++position.column;
    }
  }
  return position;
}

absl::StatusOr<nlohmann::json> ParseJsonText(absl::string_view text, absl::string_view path) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts the bytes read, the offending one included.
    TextPosition at = PositionOfOffset(text, e.byte == 0 ? 0 : e.byte - 1);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", at.line, ":", at.column, ": ", SyntaxMessage(e)));
  }
}

}  // namespace switchboard
