#!/usr/bin/env bash
# Installs everything TinyFormer needs on a fresh Debian 12 (as root, or with
# sudo), configures and builds it. Idempotent: installed packages are skipped
# and the build is incremental (ccache).
#   scripts/setup.sh            # packages + npm reference runtime + build
#   scripts/setup.sh -DX=Y ...  # the same, with extra configure arguments
# Environment: BUILD_DIR (default build), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PYTHON=${PYTHON:-/usr/bin/python3}

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

# Build, test and emulator packages, all from Debian 12 (bookworm).
PACKAGES="cmake ninja-build g++-12 ccache clang-19 libclang-rt-19-dev lld-19 lld llvm-19 llvm-19-dev
  llvm-19-tools libmlir-19-dev mlir-19-tools libonnx-dev libprotobuf-dev
  protobuf-compiler libabsl-dev python3 python3-onnx python3-numpy python3-torch python3-matplotlib
  python3-dev python3-pytest pybind11-dev zlib1g-dev python3-optuna python3-distributed
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm dataset-fashion-mnist"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js runs ONNX Runtime, the reference the interpreter is checked against.
# A node already on PATH (e.g. nodesource's) is used as it is.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing="$missing nodejs npm"
fi
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

# onnxruntime-node, pinned by tools/ort-run/package-lock.json. Its postinstall
# would download CUDA binaries (fails offline); the CPU ones are in the package.
if [ ! -d tools/ort-run/node_modules/onnxruntime-node ]; then
  (cd tools/ort-run && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)
fi

export CCACHE_BASEDIR="$PWD"
cmake -G Ninja -S . -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=gcc-12 -DCMAKE_CXX_COMPILER=g++-12 \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
  -DLLVM_DIR=/usr/lib/llvm-19/lib/cmake/llvm \
  -DLLVM_USE_LINKER=lld \
  -DPython3_EXECUTABLE="$PYTHON" "$@" >/dev/null
ninja -C "$BUILD_DIR" tf-opt tf-translate tinyformer tinyformer-cost-layers
