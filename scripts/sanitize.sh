#!/usr/bin/env bash
# The lit suite again, with tf-opt / tf-translate / tinyformer built with
# AddressSanitizer in build-asan (CI runs it after scripts/test.sh). It turns
# memory bugs that only show now and then (a reference into a DenseMap kept
# across an insertion) into a certain failure with a stack trace.
#   scripts/sanitize.sh        # after scripts/setup.sh has installed packages
# Environment: BUILD_DIR (default build-asan), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-asan}
PYTHON=${PYTHON:-/usr/bin/python3}
CMAKE_ARGS="-DLLVM_USE_SANITIZER=Address" scripts/setup.sh
# Debian's LLVM libraries are not instrumented, but their headers poison
# BumpPtrAllocator slabs when ASan is on; user poisoning off avoids those
# false reports. Leaks are checked (see lsan.supp for the one exception).
export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp
"$PYTHON" /usr/lib/llvm-19/build/utils/lit/lit.py -sv "$BUILD_DIR/test"
