#!/usr/bin/env bash
# The lit suite again, with tf-opt / tf-translate / tinyformer built with
# AddressSanitizer and UndefinedBehaviorSanitizer in build-asan (CI runs it
# after scripts/test.sh). Memory bugs that show only now and then (a
# reference into a DenseMap kept across an insertion) fail every time, with
# a stack trace; undefined behaviour (signed overflow in the integer
# reference, shifts out of range) stops the tool instead of going on.
#   scripts/sanitize.sh        # installs what is missing, like setup.sh
# Environment: BUILD_DIR (default build-asan), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-asan}
PYTHON=${PYTHON:-/usr/bin/python3}
# Debian's libLLVM is built without RTTI: no vptr checks.
scripts/setup.sh "-DLLVM_USE_SANITIZER=Address;Undefined" \
  "-DLLVM_UBSAN_FLAGS=-fsanitize=undefined -fno-sanitize=vptr -fno-sanitize-recover=all"
# Debian's LLVM libraries are not instrumented, but their headers poison
# BumpPtrAllocator slabs when ASan is on; user poisoning off avoids those
# false reports. Leaks are checked (see lsan.supp for the one exception).
export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1
"$PYTHON" /usr/lib/llvm-19/build/utils/lit/lit.py -sv "$BUILD_DIR/test"
