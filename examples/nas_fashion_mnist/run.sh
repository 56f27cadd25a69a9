#!/bin/sh
# The searched Fashion-MNIST model, end to end (CPU; see README.md for the
# figures and the time each step took on the 2-core build machine).
#   examples/nas_fashion_mnist/run.sh [WORK_DIR]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=${1:-/tmp/nas_fashion_mnist}
EPOCHS=${EPOCHS:-8}
THREADS=${THREADS:-1}
BUDGET="--flash 1048576 --sram 327680 --cpu cortex-m7"
mkdir -p "$WORK"
# 1. SuperNAS: the space whose subnets within the budgets (and 5 M
#    instructions, ~23 ms at 216 MHz) have the most capacity.
$PYTHON "$REPO/tools/nas/supernas.py" --out "$WORK/supernas" $BUDGET \
  --max-instructions 5000000 --samples 1000
# 2. Its supernet, sandwich rule with in-place distillation.
$PYTHON "$REPO/tools/nas/train_supernet.py" --out "$WORK/supernet" \
  --space "$WORK/supernas/space.json" --epochs "$EPOCHS" --threads "$THREADS"
# 3. Subnet search: accuracy vs instructions within the budgets.
$PYTHON "$REPO/tools/nas/search.py" --supernet "$WORK/supernet/supernet.pt" \
  --out "$WORK/search" $BUDGET --max-instructions 5000000 --trials 160 --workers 2
# 4. SparseNAS on the chosen subnet: per-layer sparsity and pattern,
#    fine-tuned, pruned, exported.
$PYTHON "$REPO/tools/nas/sparsenas.py" --supernet "$WORK/supernet/supernet.pt" \
  --arch "$WORK/search/arch.json" --out "$WORK/sparse" $BUDGET --trials 300 \
  --finetune-steps 3000 --workers 2
for f in model.onnx calib.npy search.json pareto.png sparsenas_log.json; do
  cp "$WORK/sparse/$f" "$HERE/$f"
done
cp "$WORK/search/pareto.png" "$HERE/subnet_pareto.png"
cp "$WORK/supernas/supernas.json" "$WORK/search/search_log.json" "$HERE/"
# 5. The INT8 model on the full test set (host reference, bit-exact with the
#    device; 100 samples on the emulated M7 too), inputs scaled as search.json
#    says: (pixel / 255 - input_mean) / input_std.
$PYTHON - "$REPO" "$HERE/search.json" "$WORK" <<'PY'
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1] + "/python")
from tinyformer import datasets
r = json.load(open(sys.argv[2]))
x, y = datasets.load_fashion_mnist(datasets.DEFAULT_FASHION_MNIST_DIR, "test")
x = (x[:, None].astype(np.float32) / 255.0 - r["input_mean"]) / r["input_std"]
np.save(sys.argv[3] + "/test_images.npy", x.astype(np.float32))
np.save(sys.argv[3] + "/test_labels.npy", y.astype(np.int64))
PY
"$REPO/build/bin/tinyformer" compile "$HERE/model.onnx" --calib "$HERE/calib.npy" \
  --cpu cortex-m7 -o "$WORK/build"
"$REPO/build/bin/tinyformer" eval "$WORK/build" --data "$WORK/test_images.npy" \
  --labels "$WORK/test_labels.npy" --board m7 --board-samples 100
