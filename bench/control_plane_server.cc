// The xDS control plane alone in its own process, for bench_control_plane_scale
// to measure from outside (memory and CPU from /proc, pushes over real
// sockets): XdsControlPlane over lookup sources given as URIs.
//
//   bench_control_plane_server <listen host:port> <source URI>...
//
// Prints "listening on <address>" once it serves; runs until SIGTERM/SIGINT.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lookup/source_registry.h"
#include "xds/control_plane.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <listen host:port> <source URI>...\n", argv[0]);
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // Blocked before any thread starts, so that only sigwait() sees them.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (absl::Status s = switchboard::RegisterBuiltinLookupSources(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<switchboard::LookupSource>> sources;
  for (int i = 2; i < argc; ++i) {
    auto source = switchboard::MakeLookupSource(argv[i]);
    if (!source.ok()) {
      std::fprintf(stderr, "%s\n", source.status().ToString().c_str());
      return 1;
    }
    sources.push_back(std::move(*source));
  }
  auto plane = switchboard::xds::XdsControlPlane::Start(std::move(sources),
                                                         {.listen_address = argv[1]});
  if (!plane.ok()) {
    std::fprintf(stderr, "%s\n", plane.status().ToString().c_str());
    return 1;
  }
  (*plane)->WaitUntilServing(absl::Seconds(30));
  std::printf("listening on %s\n", (*plane)->address().c_str());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*plane)->Stop();
  return 0;
}
