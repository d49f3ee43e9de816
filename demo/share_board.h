// The live view of `switchboard demo`: the share of calls each server got in
// the last second, as bars, plus calls and failures per second. Formatting
// is pure (ShareBoardLines, ShareSummaryLine); LiveBoard writes it to a
// terminal, redrawing in place with ANSI escapes when stdout is a TTY and
// falling back to one plain line per second otherwise (logs, CI).
//
// Example:
//   LiveBoard board(stdout, isatty(STDOUT_FILENO));
//   board.Say("killing 127.0.0.1:41001");     // narration, printed above the bars
//   board.Refresh(tally.Window(now, absl::Seconds(1)), absl::Seconds(1));
//
// Threading: LiveBoard is thread-safe (Say from the scenario thread,
// Refresh from the display thread).
#ifndef SWITCHBOARD_DEMO_SHARE_BOARD_H_
#define SWITCHBOARD_DEMO_SHARE_BOARD_H_

#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "testing/call_tally.h"

namespace switchboard::demo {

// One line per server in `servers` (in order): address, a bar `bar_width`
// wide, the share; then a line with calls/s and failures/s by code.
std::vector<std::string> ShareBoardLines(const testing::CallCounts& window, absl::Duration span,
                                         const std::set<std::string>& servers, int bar_width);
// "calls/s 2950 | 127.0.0.1:41001 33.4% | ... | failed/s 0".
std::string ShareSummaryLine(const testing::CallCounts& window, absl::Duration span,
                             const std::set<std::string>& servers);

class LiveBoard {
 public:
  LiveBoard(std::FILE* out, bool ansi);
  // A narration line: printed at once (plain) or above the bars (ANSI).
  void Say(const std::string& line);
  // Redraws with the counts of the last `span`. Plain mode prints a summary
  // line at most once per second.
  void Refresh(const testing::CallCounts& window, absl::Duration span);
  // Leaves the bars where they are; later output goes below them.
  void Close();

 private:
  std::FILE* const out_;
  const bool ansi_;
  std::mutex mu_;
  std::set<std::string> servers_ ABSL_GUARDED_BY(mu_);  // every server seen so far
  int drawn_lines_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_plain_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace switchboard::demo

#endif  // SWITCHBOARD_DEMO_SHARE_BOARD_H_
