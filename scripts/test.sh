#!/usr/bin/env bash
# The whole test suite: builds everything, then runs lit (through ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
ninja -C "$BUILD_DIR"
cd "$BUILD_DIR" && ctest --output-on-failure
