// A process that registers one instance and keeps it registered until it
// is killed: the "owner" in tests that freeze or kill a registering server.
//
// Usage: registrar_child ETCD_ENDPOINT SERVICE ADDRESS TTL_MS
// Prints "registered" on stdout once the key is written.
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "switchboard/registry/registrar.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s ETCD_ENDPOINT SERVICE ADDRESS TTL_MS\n", argv[0]);
    return 2;
  }
  auto client = switchboard::EtcdClient::Create({.endpoints = {argv[1]}});
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  switchboard::Registrar registrar(std::move(*client),
                                   {.ttl = absl::Milliseconds(std::atoi(argv[4]))});
  absl::Status status = registrar.Start({{argv[2], argv[3], {}}});
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  if (registrar.WaitRegistered(absl::Seconds(30))) {
    std::printf("registered\n");
    std::fflush(stdout);
  }
  while (true) std::this_thread::sleep_for(std::chrono::hours(1));
}
