#include "testing/xds_testing.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/child_process.h"

namespace switchboard::testing {

ManualSource::ManualSource(std::vector<Instance> initial, std::string name)
    : name_(std::move(name)), instances_(std::move(initial)) {}

void ManualSource::Start(LookupObserver* observer) {
  SetObserver(observer);
  std::vector<Instance> instances;
  {
    std::lock_guard<std::mutex> lock(mu_);
    instances = instances_;
  }
  Publish(Snapshot::Create(std::move(instances)));
}

void ManualSource::Stop() { SetObserver(nullptr); }

void ManualSource::Set(std::vector<Instance> instances) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    instances_ = instances;
  }
  Publish(Snapshot::Create(std::move(instances)));
}

std::vector<std::unique_ptr<LookupSource>> MakeSources(std::unique_ptr<LookupSource> source) {
  std::vector<std::unique_ptr<LookupSource>> sources;
  sources.push_back(std::move(source));
  return sources;
}

class InProcessGreeter::Service : public switchboard::examples::Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* context,
                        const switchboard::examples::HelloRequest* request,
                        switchboard::examples::HelloReply* reply) override {
    calls_++;
    // request.delay_ms: a slow call, until the client gives up.
    absl::Time answer_at = absl::Now() + absl::Milliseconds(request->delay_ms());
    while (absl::Now() < answer_at && !context->IsCancelled()) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    reply->set_message(absl::StrCat("hello ", request->name()));
    reply->set_served_by(address);
    return grpc::Status::OK;
  }
  std::string address;
  std::atomic<uint64_t> calls_{0};
};

absl::StatusOr<std::unique_ptr<InProcessGreeter>> InProcessGreeter::Start() {
  std::unique_ptr<InProcessGreeter> greeter(new InProcessGreeter());
  greeter->service_ = std::make_unique<Service>();
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(greeter->service_.get());
  greeter->server_ = builder.BuildAndStart();
  if (greeter->server_ == nullptr || port == 0) {
    return absl::UnavailableError("greeter: cannot listen on 127.0.0.1:0");
  }
  greeter->address_ = absl::StrCat("127.0.0.1:", port);
  greeter->service_->address = greeter->address_;
  return greeter;
}

InProcessGreeter::~InProcessGreeter() { Stop(); }

uint64_t InProcessGreeter::calls() const { return service_->calls_; }

void InProcessGreeter::Stop() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    server_->Wait();
    server_.reset();
  }
}

absl::StatusOr<std::vector<std::unique_ptr<InProcessGreeter>>> StartGreeters(int n) {
  std::vector<std::unique_ptr<InProcessGreeter>> servers;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<InProcessGreeter>> server = InProcessGreeter::Start();
    if (!server.ok()) return server.status();
    servers.push_back(std::move(*server));
  }
  return servers;
}

Instance GreeterInstance(const std::string& service, const InProcessGreeter& server,
                         uint32_t weight, bool draining) {
  Instance instance;
  instance.service = service;
  instance.address = server.address();
  instance.metadata.weight = weight;
  instance.metadata.draining = draining;
  instance.metadata.zone = "test-zone";
  return instance;
}

StderrCapture::StderrCapture() {
  char path[] = "/tmp/sb-stderr-XXXXXX";
  int fd = mkstemp(path);
  path_ = path;
  fflush(stderr);
  saved_fd_ = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  close(fd);
}

StderrCapture::~StderrCapture() {
  fflush(stderr);
  dup2(saved_fd_, STDERR_FILENO);
  close(saved_fd_);
  std::string text = Text();
  ssize_t ignored = write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
  unlink(path_.c_str());
}

std::string StderrCapture::Text() const {
  std::ifstream in(path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool StderrCapture::WaitFor(const std::string& needle, absl::Duration timeout) const {
  return testing::WaitFor([&] { return Text().find(needle) != std::string::npos; }, timeout,
                          absl::Milliseconds(20));
}

}  // namespace switchboard::testing
