#include "demo/share_board.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "demo/split_judgement.h"

namespace switchboard::demo {
namespace {

double PerSecond(int64_t count, absl::Duration span) {
  const double seconds = absl::ToDoubleSeconds(span);
  return seconds <= 0 ? 0.0 : static_cast<double>(count) / seconds;
}

}  // namespace

std::vector<std::string> ShareBoardLines(const testing::CallCounts& window, absl::Duration span,
                                         const std::set<std::string>& servers, int bar_width) {
  std::vector<std::string> lines;
  size_t name_width = 0;
  for (const std::string& s : servers) name_width = std::max(name_width, s.size());
  for (const std::string& server : servers) {
    const double share = window.Share(server);
    const int filled = static_cast<int>(std::lround(share * bar_width));
    std::string bar;
    for (int i = 0; i < bar_width; ++i) bar += i < filled ? "█" : "·";
    lines.push_back(absl::StrFormat("  %-*s %s %6s", static_cast<int>(name_width), server, bar,
                                    demo::Percent(share)));
  }
  lines.push_back(absl::StrFormat("  calls/s %.0f   failed/s %.0f (%s)",
                                  PerSecond(window.replies(), span),
                                  PerSecond(window.failures(), span), window.FailureSummary()));
  return lines;
}

std::string ShareSummaryLine(const testing::CallCounts& window, absl::Duration span,
                             const std::set<std::string>& servers) {
  std::string line = absl::StrFormat("calls/s %.0f", PerSecond(window.replies(), span));
  for (const std::string& server : servers) {
    absl::StrAppend(&line, " | ", server, " ", demo::Percent(window.Share(server)));
  }
  absl::StrAppend(&line, absl::StrFormat(" | failed/s %.0f", PerSecond(window.failures(), span)));
  return line;
}

LiveBoard::LiveBoard(std::FILE* out, bool ansi) : out_(out), ansi_(ansi) {}

void LiveBoard::Say(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ansi_ && drawn_lines_ > 0) {
    // Print above the bars: move up over them, clear, and let the next
    // Refresh draw them again below.
    std::fprintf(out_, "\x1b[%dA\x1b[J", drawn_lines_);
    drawn_lines_ = 0;
  }
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void LiveBoard::Refresh(const testing::CallCounts& window, absl::Duration span) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [server, count] : window.replies_by_server) servers_.insert(server);
  if (!ansi_) {
    const absl::Time now = absl::Now();
    if (now - last_plain_ < absl::Seconds(1)) return;
    last_plain_ = now;
    std::fprintf(out_, "  %s\n", ShareSummaryLine(window, span, servers_).c_str());
    std::fflush(out_);
    return;
  }
  std::vector<std::string> lines = ShareBoardLines(window, span, servers_, 40);
  std::string text;
  if (drawn_lines_ > 0) text = absl::StrFormat("\x1b[%dA", drawn_lines_);
  absl::StrAppend(&text, "\x1b[J");
  for (const std::string& l : lines) absl::StrAppend(&text, l, "\n");
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  drawn_lines_ = static_cast<int>(lines.size());
}

void LiveBoard::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  drawn_lines_ = 0;
}

}  // namespace switchboard::demo
