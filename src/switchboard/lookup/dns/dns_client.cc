#include "switchboard/lookup/dns/dns_client.h"

namespace switchboard {

absl::StatusOr<AddressAnswers> CombineAddressOutcomes(
    const std::vector<AddressQuestionOutcome>& outcomes) {
  using Kind = AddressQuestionOutcome::Kind;
  struct Tally {
    bool answered = false;
    bool all_nonexistent = true;  // among the answered questions
    const absl::Status* first_failure = nullptr;
  };
  std::map<std::string, Tally> tallies;
  for (const AddressQuestionOutcome& o : outcomes) {
    Tally& t = tallies[o.name];
    if (o.kind == Kind::kFailed) {
      if (t.first_failure == nullptr) t.first_failure = &o.error;
      continue;
    }
    t.answered = true;
    if (o.kind != Kind::kNonexistent) t.all_nonexistent = false;
  }
  AddressAnswers answers;
  for (const auto& [name, tally] : tallies) {
    if (!tally.answered) return *tally.first_failure;
    answers[name].nonexistent = tally.all_nonexistent;
  }
  for (const AddressQuestionOutcome& o : outcomes) {
    AddressAnswer& answer = answers[o.name];
    if (o.kind == Kind::kFailed) {
      answer.warnings.push_back(std::string(o.error.message()));
    } else if (o.kind == Kind::kRecords) {
      answer.addresses.insert(answer.addresses.end(), o.addresses.begin(), o.addresses.end());
    }
  }
  return answers;
}

}  // namespace switchboard
