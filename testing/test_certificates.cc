#include "testing/test_certificates.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "testing/child_process.h"

namespace switchboard::testing {

absl::StatusOr<TestCertificates> MakeTestCertificateSet(const std::string& dir) {
  // One shell script: key and self-signed CA, then each leaf signed by it.
  const std::string script = R"(set -e
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { key "$1.key"; openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=$1"; }
# leaf <name> <ca> <cn> <extensions>
leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$3"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" \
    -days 2 -extfile "$1.ext" 2>/dev/null
}
ca ca
ca other-ca
leaf server ca 127.0.0.1 "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth"
leaf client ca switchboard "extendedKeyUsage=clientAuth"
leaf other-client other-ca switchboard "extendedKeyUsage=clientAuth"
)";
  const std::string log = dir + "/openssl.log";
  auto child = ChildProcess::Start({"/bin/bash", "-c", script, "make-certificates", dir},
                                   {.log_path = log});
  if (!child.ok()) return child.status();
  if (!(*child)->WaitExit(absl::Seconds(30)) || !WIFEXITED((*child)->exit_status()) ||
      WEXITSTATUS((*child)->exit_status()) != 0) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return absl::InternalError(absl::StrCat("openssl could not make test certificates in ", dir,
                                            ": ", text.str()));
  }
  auto path = [&](const char* name) { return absl::StrCat(dir, "/", name); };
  return TestCertificates{.ca = path("ca.pem"),
                          .server_cert = path("server.pem"),
                          .server_key = path("server.key"),
                          .client_cert = path("client.pem"),
                          .client_key = path("client.key"),
                          .other_ca = path("other-ca.pem"),
                          .other_client_cert = path("other-client.pem"),
                          .other_client_key = path("other-client.key")};
}

}  // namespace switchboard::testing
