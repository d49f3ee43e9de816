#include "switchboard/lookup/lookup_source_factory.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchboard {

std::string FormsText(const LookupSourceDescription& description) {
  return absl::StrCat("  ", absl::StrJoin(description.forms, "\n  "));
}

}  // namespace switchboard
