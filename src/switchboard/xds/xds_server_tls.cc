#include "switchboard/xds/xds_server_tls.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/strings/str_cat.h"
#include "switchboard/common/pem_file.h"

namespace switchboard::xds {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeXdsServerCredentials(
    const XdsServerTls& tls, const XdsServerTlsNames& names) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  if (tls.cert_file.empty() && tls.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        names.client_ca, " needs ", names.cert, " and ", names.key,
        " (the server's own certificate: client certificates are asked for over TLS)"));
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        tls.cert_file.empty()
            ? absl::StrCat(names.key, " needs ", names.cert, " (the certificate of that key)")
            : absl::StrCat(names.cert, " needs ", names.key, " (the certificate's private key)"));
  }
  absl::StatusOr<std::string> cert = ReadPemFile(names.cert, tls.cert_file, PemKind::kCertificate);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPemFile(names.key, tls.key_file, PemKind::kPrivateKey);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({.private_key = *key, .cert_chain = *cert});
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca =
        ReadPemFile(names.client_ca, tls.client_ca_file, PemKind::kCertificate);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

std::string DescribeXdsServerTls(const XdsServerTls& tls) {
  if (!tls.enabled()) return "plaintext";
  return tls.client_ca_file.empty() ? "TLS" : "TLS, client certificates required (mTLS)";
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeXdsChannelCredentials(
    const std::string& ca_file, const std::string& cert_file, const std::string& key_file,
    const XdsClientTlsNames& names) {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        cert_file.empty()
            ? absl::StrCat(names.key, " needs ", names.cert, " (the certificate of that key)")
            : absl::StrCat(names.cert, " needs ", names.key, " (the certificate's private key)"));
  }
  grpc::SslCredentialsOptions options;
  if (!ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPemFile(names.ca, ca_file, PemKind::kCertificate);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
  }
  if (!cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPemFile(names.cert, cert_file, PemKind::kCertificate);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPemFile(names.key, key_file, PemKind::kPrivateKey);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

}  // namespace switchboard::xds
