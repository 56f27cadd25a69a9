#!/usr/bin/env bash
# The main job: compile the shipped Fashion-MNIST CNN to INT8 for Cortex-M7,
# run N test images on the emulated board (QEMU mps2-an500) and print the
# accuracy (int8 on the emulator vs float in torch), instructions per
# inference, flash and SRAM.
#   scripts/demo.sh [N]        (default 200 images)
# Environment: BUILD_DIR (default build), PYTHON (default /usr/bin/python3),
# BOARD (m7 | m4, default m7), EXAMPLE (default examples/fashion_mnist; also
# examples/fashion_mnist_hybrid, the transformer, and the pruned
# examples/*_pruned80 / *_pruned90, shown beside their dense originals).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
BOARD=${BOARD:-m7}
N=${1:-200}
EX=${EXAMPLE:-examples/fashion_mnist}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
CPU=cortex-m7; [ "$BOARD" = m4 ] && CPU=cortex-m4

"$BUILD_DIR"/bin/tinyformer compile "$EX/model.onnx" --calib "$EX/calib.npy" \
  --cpu "$CPU" --name fmnist -o "$OUT/fmnist"
"$PYTHON" python/tools/fmnist_test_batch.py -n "$N" --images "$OUT/x.npy" --labels "$OUT/labels.npy" >/dev/null
"$BUILD_DIR"/bin/tinyformer run "$OUT/fmnist" --board "$BOARD" --input "$OUT/x.npy" \
  --output "$OUT/y.npy" --report "$OUT/run.json"
# A pruned example names its dense original in metrics.json: run that too,
# on the same images, and show the two side by side.
DENSE=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["dense"]["dir"])' \
  "$EX/metrics.json" 2>/dev/null || true)
COMPARE=()
if [ -n "$DENSE" ] && [ -f "$DENSE/model.onnx" ]; then
  "$BUILD_DIR"/bin/tinyformer compile "$DENSE/model.onnx" --calib "$DENSE/calib.npy" \
    --cpu "$CPU" --name dense -o "$OUT/dense"
  "$BUILD_DIR"/bin/tinyformer run "$OUT/dense" --board "$BOARD" --input "$OUT/x.npy" \
    --output "$OUT/yd.npy" --report "$OUT/rund.json"
  COMPARE=(--dense-name "$DENSE" --dense-int8 "$OUT/yd.npy"
           --dense-float-logits "$DENSE/float_logits_first1000.npy" --dense-report "$OUT/rund.json")
fi
"$PYTHON" python/tools/demo_report.py --labels "$OUT/labels.npy" --int8 "$OUT/y.npy" \
  --float-logits "$EX/float_logits_first1000.npy" --report "$OUT/run.json" \
  --compile-report "$OUT/fmnist/compile_report.json" "${COMPARE[@]}"
