#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test (unit,
# integration on real etcd/DNS/gRPC, and the end-to-end scenarios).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` or `-R watcher`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
# CI builds from scratch every time: a compiler cache left on the machine
# could only hide a build problem there.
if [ -n "${CI:-}" ]; then export CCACHE_DISABLE=1; fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 -j2 "$@"
