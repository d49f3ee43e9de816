#!/usr/bin/env bash
# Installs what is missing, builds, and runs the live demo: a private etcd and
# xDS control plane, three greeter servers and a client under load, through
# six scenarios (about a minute). Extra arguments go to `switchboard demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target switchboard greeter_server greeter_client
exec "$BUILD_DIR/bin/switchboard" demo "$@"
