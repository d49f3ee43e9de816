// A live copy of the keys under one etcd prefix (configuration kept beside
// the registry, registry/config_keys.h), handed whole to a callback after
// every change: the route overrides every control plane reading that etcd
// applies at once.
//
// It ranges the prefix, hands over what it found, then watches from the
// next revision and hands over the new whole map after each batch of
// events. On any error (etcd unreachable, compaction) it keeps the last
// map, retries with backoff and lists again, so it converges to what etcd
// holds; the callback only ever sees complete maps.
//
// Example:
//   ConfigWatcher routes(client, RouteConfigPrefix(""),
//                        [](const std::map<std::string, std::string>& kvs) { ... });
//   routes.Start();
//   ...
//   routes.Stop();
//
// Threading: one thread per watcher talks to etcd and calls the callback
// (never two calls at once); Start() and Stop() are thread-safe, Stop()
// blocks until the thread ends.
#ifndef SWITCHBOARD_LOOKUP_ETCD_CONFIG_WATCHER_H_
#define SWITCHBOARD_LOOKUP_ETCD_CONFIG_WATCHER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "switchboard/etcd/etcd_client.h"

namespace switchboard {

class ConfigWatcher {
 public:
  // Key -> value of every key under the prefix.
  using Callback = std::function<void(const std::map<std::string, std::string>& kvs)>;

  ConfigWatcher(std::shared_ptr<EtcdClient> client, std::string prefix, Callback callback);
  ~ConfigWatcher();  // Stop()s.
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  void Start();
  void Stop();
  const std::string& prefix() const { return prefix_; }

 private:
  void Run();
  absl::Status ListAndWatch();
  bool Stopping();

  const std::shared_ptr<EtcdClient> client_;
  const std::string prefix_;
  const Callback callback_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  StreamCanceller canceller_;

  // The watcher's thread only.
  std::map<std::string, std::string> kvs_;
  int64_t revision_ = 0;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_ETCD_CONFIG_WATCHER_H_
