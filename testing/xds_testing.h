// Test support for the xDS control plane and embedded mode: a lookup source
// the test publishes into, in-process greeter servers that say who served a
// call, and a capture of this process's log lines. The calls and their
// tally are the load generator's (closed_loop_caller.h).
//
// Example:
//   auto source = std::make_unique<ManualSource>();
//   ManualSource* feed = source.get();
//   auto plane = XdsControlPlane::Start(MakeSources(std::move(source)), {...});
//   auto server = InProcessGreeter::Start();
//   feed->Set({GreeterInstance("greeter", **server)});
//   CallCounts counts = CallGreeter(stub.get(), 3000);   // closed_loop_caller.h
//
// ManualSource is thread-safe; InProcessGreeter is used
// from the test's thread.
#ifndef SWITCHBOARD_TESTING_XDS_TESTING_H_
#define SWITCHBOARD_TESTING_XDS_TESTING_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchboard/core/lookup_source.h"
#include "greeter.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "testing/closed_loop_caller.h"

namespace switchboard::testing {

// A LookupSource whose snapshot the test sets. Start() publishes the
// current instances (so the first delivery happens at once).
class ManualSource : public PublishingSource {
 public:
  explicit ManualSource(std::vector<Instance> initial = {}, std::string name = "manual://test");
  std::string Describe() const override { return name_; }
  void Start(LookupObserver* observer) override;
  void Stop() override;
  // Replaces every instance.
  void Set(std::vector<Instance> instances);

 private:
  const std::string name_;
  std::mutex mu_;
  std::vector<Instance> instances_;
};

std::vector<std::unique_ptr<LookupSource>> MakeSources(std::unique_ptr<LookupSource> source);

// A greeter server on 127.0.0.1:<free port> in this process; its replies
// carry served_by = its address, after the request's delay_ms.
class InProcessGreeter {
 public:
  static absl::StatusOr<std::unique_ptr<InProcessGreeter>> Start();
  ~InProcessGreeter();
  const std::string& address() const { return address_; }
  uint64_t calls() const;
  void Stop();

 private:
  class Service;
  InProcessGreeter() = default;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// `n` greeters; the first error if one does not start.
absl::StatusOr<std::vector<std::unique_ptr<InProcessGreeter>>> StartGreeters(int n);

Instance GreeterInstance(const std::string& service, const InProcessGreeter& server,
                         uint32_t weight = 1, bool draining = false);

// Redirects this process's stderr (where log lines go) into a file while
// alive; Text() reads it back. The destructor restores stderr and replays
// what was captured, so the test's own log stays complete.
class StderrCapture {
 public:
  StderrCapture();
  ~StderrCapture();
  std::string Text() const;
  // True once `needle` has been written, false at `timeout`.
  bool WaitFor(const std::string& needle, absl::Duration timeout) const;

 private:
  std::string path_;
  int saved_fd_ = -1;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTING_XDS_TESTING_H_
