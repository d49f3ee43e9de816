#!/usr/bin/env bash
# Installs this build into a temporary prefix, builds examples/consumer
# against it twice (CMake find_package, then pkg-config with make), and runs
# the two programs against a real etcd: the CMake-built server registers,
# the pkg-config-built client reaches it by xds:///name, and the other way
# round.
#
#   consumer_install_test.sh <build dir> <source dir>
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d /tmp/switchboard-consumer.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_for <seconds> <command...>: polls the command until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" --strip >"$work/install.log" || {
  cat "$work/install.log"; fail "cmake --install $build --prefix $prefix"; }
[ -x "$prefix/bin/switchboard" ] || fail "no bin/switchboard in $prefix"
config=$(find "$prefix" -name SwitchboardConfig.cmake | head -1)
[ -n "$config" ] || fail "no SwitchboardConfig.cmake in $prefix"
pc=$(find "$prefix" -name switchboard.pc | head -1)
[ -n "$pc" ] || fail "no switchboard.pc in $prefix"

launcher=()
if command -v ccache >/dev/null && [ -z "${CCACHE_DISABLE:-}" ]; then launcher=(ccache); fi

# The two builds run side by side; unoptimised, as compiling is what
# costs here.
# 1. CMake: find_package(Switchboard CONFIG REQUIRED).
(
  cmake -S "$source/examples/consumer" -B "$work/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE= \
    -DCMAKE_PREFIX_PATH="$prefix" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER=ccache} &&
  cmake --build "$work/cmake-build"
) >"$work/cmake.log" 2>&1 &
cmake_build=$!
# 2. pkg-config: the Makefile beside it.
mkdir -p "$work/pc-build"
PKG_CONFIG_PATH=$(dirname "$pc") make -s -f "$source/examples/consumer/Makefile" \
  O="$work/pc-build" CXX="${launcher[*]} g++" CXXFLAGS=-O0 >"$work/make.log" 2>&1 || {
  cat "$work/make.log"; fail "building the consumer with pkg-config"; }
wait $cmake_build || { cat "$work/cmake.log"; fail "building the consumer with CMake (find_package)"; }
echo "built the consumer with CMake and with pkg-config in ${SECONDS}s"

# 3. A real etcd.
client_port=$(free_port)
peer_port=$(free_port)
etcd --name consumer-test --data-dir "$work/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$client_port" \
  --advertise-client-urls "http://127.0.0.1:$client_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "consumer-test=http://127.0.0.1:$peer_port" >"$work/etcd.log" 2>&1 &
pids+=($!)
etcd_up() { etcdctl --endpoints="127.0.0.1:$client_port" endpoint health >/dev/null 2>&1; }
wait_for 20 etcd_up || { cat "$work/etcd.log"; fail "etcd did not start"; }

# run_pair <server binary> <client binary> <service>
run_pair() {
  local server=$1 client=$2 service=$3
  "$server" server "127.0.0.1:$client_port" "$service" >"$work/$service.server.log" 2>&1 &
  local server_pid=$!
  pids+=($server_pid)
  serving() { grep -q '^serving ' "$work/$service.server.log"; }
  wait_for 20 serving || { cat "$work/$service.server.log"; fail "$server did not start serving"; }
  local address
  address=$(sed -n 's/^serving //p' "$work/$service.server.log")
  local reply
  reply=$(timeout 30 "$client" client "127.0.0.1:$client_port" "$service" 2>"$work/$service.client.log") || {
    cat "$work/$service.client.log"; fail "$client could not reach xds:///$service"; }
  [ "$reply" = "reply hello consumer from $address" ] || fail "unexpected reply: $reply"
  echo "xds:///$service: $reply"
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "$server exited with $? on SIGTERM"
}
run_pair "$work/cmake-build/consumer" "$work/pc-build/consumer" hello-cmake
run_pair "$work/pc-build/consumer" "$work/cmake-build/consumer" hello-pkgconfig
echo "PASS"
