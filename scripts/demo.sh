#!/usr/bin/env bash
# The main job on a shipped example: inspect a model, run it on the host
# reference interpreter and compare with ONNX Runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
MODEL=${1:-test/fixtures/models/tiny_vit_1x28x28_op17_float.onnx}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

"$BUILD_DIR"/bin/tinyformer inspect "$MODEL"
shape=$(sed -n 's/.*_\([0-9]*\)x\([0-9]*\)x\([0-9]*\)_.*/1x\1x\2x\3/p' <<<"$(basename "$MODEL")")
"$PYTHON" python/tools/make_input.py --shape "${shape:-1x1x28x28}" --seed 0 -o "$OUT/x.npy"
"$BUILD_DIR"/bin/tinyformer run --host "$MODEL" --input "$OUT/x.npy" --output "$OUT/host.npy"
node tools/ort-run/ort-run.mjs "$MODEL" "$OUT/x.npy" "$OUT/ort.npy"
echo "host reference output: $("$PYTHON" -c "import numpy as np; print(np.round(np.load('$OUT/host.npy'), 4).tolist())")"
"$PYTHON" python/tools/compare_npy.py "$OUT/host.npy" "$OUT/ort.npy"
