#include "switchboard/supervisor/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

extern char** environ;

namespace switchboard::supervisor {
namespace {

// Every child started and not yet reaped, for KillAllSubprocessesForExit().
std::mutex& LiveMu() {
  static std::mutex mu;
  return mu;
}
std::set<pid_t>& LivePids() {
  static std::set<pid_t> pids;
  return pids;
}
void Forget(pid_t pid) {
  std::lock_guard<std::mutex> lock(LiveMu());
  LivePids().erase(pid);
}

}  // namespace

void KillAllSubprocessesForExit() {
  std::set<pid_t> pids;
  {
    std::lock_guard<std::mutex> lock(LiveMu());
    pids.swap(LivePids());
  }
  for (pid_t pid : pids) {
    kill(pid, SIGKILL);
    kill(pid, SIGCONT);
  }
  for (pid_t pid : pids) waitpid(pid, nullptr, 0);
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(std::vector<std::string> argv,
                                                              SubprocessOptions options) {
  if (argv.empty()) return absl::InvalidArgumentError("Subprocess::Start: empty argv");
  pid_t parent = getpid();
  // Everything that allocates happens before fork().
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  // An extra variable replaces the parent's of the same name: getenv()
  // would find the parent's first.
  auto name_of = [](absl::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::set<absl::string_view> overridden;
  for (const auto& e : options.env) overridden.insert(name_of(e));
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!overridden.count(name_of(*e))) env_strings.emplace_back(*e);
  }
  for (const auto& e : options.env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string log_path = options.log_path.empty() ? "/dev/null" : options.log_path;

  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(error_pipe[0]);
    close(error_pipe[1]);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    close(error_pipe[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    setpgid(0, 0);
    // Signals the parent blocks (sigwait) must not stay blocked in the child.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execvpe(args[0], args.data(), envp.data());
    int err = errno;
    ssize_t ignored = write(error_pipe[1], &err, sizeof(err));
    (void)ignored;
    _exit(127);
  }
  close(error_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(error_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(error_pipe[0]);
  if (n == sizeof(child_errno)) {
    waitpid(pid, nullptr, 0);
    return absl::NotFoundError(absl::StrCat("cannot run ", argv[0], ": ", strerror(child_errno)));
  }
  {
    std::lock_guard<std::mutex> lock(LiveMu());
    LivePids().insert(pid);
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, std::move(argv)));
}

Subprocess::~Subprocess() {
  if (status_ == -1) Kill();
}

bool Subprocess::Running() {
  if (status_ != -1) return false;
  int status;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    Forget(pid_);
    return false;
  }
  // Reaped elsewhere (KillAllSubprocessesForExit): gone all the same.
  if (r < 0 && errno == ECHILD) {
    status_ = 0;
    return false;
  }
  return true;
}

void Subprocess::Signal(int signal) {
  if (Running()) kill(pid_, signal);
}

bool Subprocess::WaitExit(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (Running()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

int Subprocess::Stop(absl::Duration grace) {
  if (!Running()) return status_;
  kill(pid_, SIGTERM);
  kill(pid_, SIGCONT);
  if (!WaitExit(grace)) return Kill();
  return status_;
}

int Subprocess::Kill() {
  if (!Running()) return status_;
  kill(pid_, SIGKILL);
  kill(pid_, SIGCONT);  // a stopped child must run to die
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
  Forget(pid_);
  return status_;
}

std::string Subprocess::DescribeExit() const {
  if (status_ == -1) return "running";
  if (WIFEXITED(status_)) return absl::StrCat("exited with ", WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return absl::StrCat("killed by signal ", WTERMSIG(status_));
  return absl::StrCat("wait status ", status_);
}

absl::StatusOr<int> PickFreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("no free port on 127.0.0.1: ", strerror(err)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool CanConnect(const std::string& host, int port, absl::Duration timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) == 1) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      ok = err == 0;
    }
  }
  close(fd);
  return ok;
}

}  // namespace switchboard::supervisor
