#!/usr/bin/python3
"""The cost model's calibration corpus: random layers of every kernel, dense and
sparse, compiled for and measured on both emulated boards.

  bench/cost_corpus.py --work DIR [--dense N] [--sparse N] [--extra N] [--seed S]
  bench/fit_rates.py DIR          # then: the rates per kernel and CPU, residuals

Runs python/tools/random_layers.py (every kind of its cycle: conv, depthwise,
FC over a batch and over tokens, add, pools, softmax, activations, transpose,
conv -> flatten -> gemm, LayerNorm, GELU, matmuls, attention; int8 and int16
weights) with --keep on both boards for N cases, its extra kinds (gates,
upsampling, means, pads, PReLU) for N cases each, and
python/tools/random_sparse_layers.py for N sparse cases (code / csr / rle /
mhsa kernels, sparsities 0-99%, M7 and M4 alternating). Every case is also a
bit-exactness check. Each case folder keeps the compile report (estimates,
kernel MACs, outputs) and the emulator's per-layer counts that fit_rates.py
reads. Models nobody fitted on are measured by bench/cost_accuracy.py.
"""
import argparse
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(REPO, "python", "tools")


def run(cmd):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", required=True)
    p.add_argument("--dense", type=int, default=132, help="random_layers.py cases (22 kinds)")
    p.add_argument("--extra", type=int, default=6, help="cases of each extra kind")
    p.add_argument("--sparse", type=int, default=120, help="random_sparse_layers.py cases")
    p.add_argument("--seed", type=int, default=700)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--tinyformer", default=os.path.join(REPO, "build", "bin", "tinyformer"))
    a = p.parse_args(argv)
    py = sys.executable
    dense = [py, os.path.join(TOOLS, "random_layers.py"), "--boards", "m4,m7", "--m4-every", "1",
             "--keep", "--no-float-check", "--jobs", str(a.jobs), "--tinyformer", a.tinyformer]
    failed = 0
    if a.dense:
        failed += run(dense + ["--count", str(a.dense), "--seed", str(a.seed),
                               "--work", os.path.join(a.work, "dense")]) != 0
    if a.extra:
        for i, kind in enumerate(["gate", "upsample", "mean", "pad", "prelu"]):
            failed += run(dense + ["--kind", kind, "--count", str(a.extra),
                                   "--seed", str(a.seed + 1 + i),
                                   "--work", os.path.join(a.work, kind)]) != 0
    if a.sparse:
        failed += run([py, os.path.join(TOOLS, "random_sparse_layers.py"), "--cases",
                       str(a.sparse), "--seed", str(a.seed + 10), "--tinyformer", a.tinyformer,
                       "--work", os.path.join(a.work, "sparse")]) != 0
    print("corpus in %s (%d runs with failures)" % (a.work, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
