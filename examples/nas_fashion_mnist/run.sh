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
