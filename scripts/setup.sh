#!/usr/bin/env bash
# Installs everything Switchboard needs to build, run and test on Debian 12.
# Idempotent: safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config make ccache git ca-certificates
  # gRPC, protobuf, Abseil, c-ares, JSON
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libc-ares-dev nlohmann-json3-dev
  # the registry and the official etcd API protos (plus what they import)
  etcd-server etcd-client golang-etcd-server-dev golang-github-gogo-protobuf-dev
  golang-github-grpc-ecosystem-grpc-gateway-dev
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev dnsmasq-base procps iproute2 openssl
  # observability: metrics model and text format, the embedded HTTP server,
  # promtool to validate the exposition, a headless browser for the dashboard
  prometheus-cpp-dev libcpp-httplib-dev prometheus chromium chromium-driver
  # the proxy model drives HAProxy; readiness notification for systemd units
  haproxy libsystemd-dev
  # the Debian package: dpkg-shlibdeps computes its Depends; systemd-analyze
  # verifies its units
  dpkg-dev systemd
)
# npm: the xDS protos ship inside @grpc/grpc-js-xds; the Node client test uses
# it too. A machine that already has Node.js and npm (from any source) keeps
# them: Debian's npm package conflicts with other Node.js builds.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Proto files and the Node test client come from npm, versions pinned in
# third_party/npm/package-lock.json.
if [ ! -d third_party/npm/node_modules/@grpc/grpc-js-xds/deps ]; then
  (cd third_party/npm && npm ci --no-audit --no-fund --loglevel=error)
fi
