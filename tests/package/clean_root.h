// A throw-away root to install a Debian package into with `dpkg -i`: this
// machine's own root as the read-only lower layer of an overlay, an empty
// upper layer in a test directory, mounted (with /proc, /dev and fresh
// /run and /tmp) in a private mount namespace that a `sleep` process
// holds. Whatever dpkg and the maintainer scripts write lands in the upper
// layer only, and the package's dependencies are those installed here, as
// dpkg's own status file on this machine says — a chroot with the
// package's dependencies, without a network to debootstrap from.
//
// Example:
//   auto root = CleanRoot::Start(dir.File("root"));
//   ASSERT_TRUE(root.ok()) << root.status();
//   std::filesystem::copy(deb, (*root)->HostPath("/tmp/pkg.deb"));
//   CommandResult installed = (*root)->Run({"dpkg", "-i", "/tmp/pkg.deb"}, dir.File("dpkg.log"));
//   auto server = ChildProcess::Start((*root)->Command({"/usr/bin/switchboard", "xds"}, "switchboard"));
//
// Needs root (mount namespaces, overlayfs). The namespace ends with its
// last process: the holder, killed on destruction, and what Command()
// started (the caller stops those). Threading: one thread at a time.
#ifndef SWITCHBOARD_TESTS_PACKAGE_CLEAN_ROOT_H_
#define SWITCHBOARD_TESTS_PACKAGE_CLEAN_ROOT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/child_process.h"

namespace switchboard::testing {

class CleanRoot {
 public:
  // `dir` is made and holds the layers. FailedPrecondition when not root;
  // other errors carry the mount commands' output.
  static absl::StatusOr<std::unique_ptr<CleanRoot>> Start(const std::string& dir);
  ~CleanRoot() = default;  // the holder is killed with its Subprocess

  // The argv that runs `argv` chrooted into the root, as `user` (and its
  // group) when not empty, as chroot(8) would. Its pid is the command's own.
  std::vector<std::string> Command(const std::vector<std::string>& argv,
                                   const std::string& user = "") const;
  // Runs Command(argv, user) to its end.
  CommandResult Run(const std::vector<std::string>& argv, const std::string& log_path,
                    const std::string& user = "", absl::Duration timeout = absl::Seconds(60)) const;
  // Where `path` inside the root is seen from this process (through the
  // holder's /proc/<pid>/root), to read and write files there.
  std::string HostPath(const std::string& path) const;

 private:
  CleanRoot() = default;
  std::string merged_;
  std::unique_ptr<ChildProcess> holder_;
};

}  // namespace switchboard::testing

#endif  // SWITCHBOARD_TESTS_PACKAGE_CLEAN_ROOT_H_
