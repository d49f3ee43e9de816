#include "switchboard/common/display_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace switchboard {

std::string EscapeForDisplay(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += absl::StrFormat("\\x%02x", byte);
    }
  }
  return out;
}

std::string TruncateForDisplay(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return EscapeForDisplay(text);
  size_t cut = max_bytes;
  // Never split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(EscapeForDisplay(text.substr(0, cut)), " (", cut, " of ", text.size(),
                      " bytes shown)");
}

}  // namespace switchboard
