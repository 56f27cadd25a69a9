#!/usr/bin/env bash
# libFuzzer (clang-19, with ASan and UBSan) on the ONNX importer and the .npy
# reader: builds the two targets in build-fuzz, then runs each for
# FUZZ_SECONDS (default 120) on a seed corpus of the shipped models and
# arrays. Any crash, hang (> 10 s per input), out-of-memory (> 2 GB) or leak
# fails the script, with the input that caused it in build-fuzz/crashes.
#   scripts/fuzz.sh                  # after scripts/setup.sh (the packages)
#   FUZZ_SECONDS=3600 scripts/fuzz.sh
# Environment: BUILD_DIR (default build-fuzz), FUZZ_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-120}
export CCACHE_BASEDIR="$PWD"
cmake -G Ninja -S . -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
  -DLLVM_DIR=/usr/lib/llvm-19/lib/cmake/llvm \
  -DLLVM_USE_LINKER=lld \
  "-DLLVM_USE_SANITIZER=Address;Undefined" \
  "-DLLVM_UBSAN_FLAGS=-fsanitize=undefined -fno-sanitize=vptr -fno-sanitize-recover=all" \
  -DTINYFORMER_FUZZERS=ON -DPython3_EXECUTABLE=${PYTHON:-/usr/bin/python3} >/dev/null
ninja -C "$BUILD_DIR" onnx-import-fuzzer npy-fuzzer

# Seeds: every model and array in the repository (fixtures, examples).
corpus() {
  local dir="$BUILD_DIR/corpus/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  git ls-files "*.$1" | while read -r f; do
    [ "$(stat -c %s "$f")" -le 2000000 ] && cp "$f" "$dir/$(echo "$f" | tr / _)"
  done
  echo "$dir"
}
mkdir -p "$BUILD_DIR/crashes"
export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1
for target in onnx-import-fuzzer:onnx npy-fuzzer:npy; do
  fuzzer=${target%%:*}
  seeds=$(corpus "${target##*:}")
  echo "fuzz: $fuzzer for ${FUZZ_SECONDS}s on $(ls "$seeds" | wc -l) seeds"
  rc=0
  "$BUILD_DIR/bin/$fuzzer" "$seeds" -max_total_time="$FUZZ_SECONDS" \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=1048576 \
    -artifact_prefix="$BUILD_DIR/crashes/$fuzzer-" -print_final_stats=1 \
    > "$BUILD_DIR/$fuzzer.log" 2>&1 || rc=$?
  grep -E "^(Done|stat::|==[0-9]+==|SUMMARY)|ERROR|Test unit written" \
    "$BUILD_DIR/$fuzzer.log" | head -n 20
  [ "$rc" = 0 ] || { echo "fuzz: $fuzzer failed (log: $BUILD_DIR/$fuzzer.log)"; exit 1; }
done
echo "fuzz: no crash"
