#!/usr/bin/python3
"""Randomized sparse layers, bit-exact on the emulator against the host reference.

  python/tools/random_sparse_layers.py [--cases 40] [--seed 0] [--first 0] [--boards m7,m4]
      [--tinyformer build/bin/tinyformer] [--work DIR]

Each case draws a layer (conv kxk with k in {1, 3, 5}, stride 1 or 2, padding
or none, odd or even widths; a linear layer over 1..19 tokens; a whole
self-attention block over one sequence or a batch of 2-4, some with a
score bias or mask, its four projections pruned), a sparsity in
[0, 0.99] and a pattern (unstructured, 4x1 or 1x4 blocks), prunes a seeded
random float ONNX model by magnitude, compiles it with plain `tinyformer
compile` (every other case with --sparse force, sparse_code, sparse_csr and
sparse_rle in turn, so that every sparse kernel runs at every sparsity) and runs one random input on the emulator and on the
host INT8 reference: the outputs must be identical. Prints one line per case
and a summary; exits 1 on any mismatch or failure.
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench"))
import random_layers  # noqa: E402
import run_bench  # noqa: E402
import sparse_bench  # noqa: E402


def draw(rng):
    """(model, description, ops of the layer measured)."""
    if rng.random() < 0.12:
        # A self-attention block (random_layers' spellings, over one
        # sequence or a batch of them, with or without a score bias); its
        # Q/K/V and output projections are pruned.
        b = random_layers.Builder(rng)
        gen = [random_layers.gen_mhsa, random_layers.gen_mhsa, random_layers.gen_mhsa_batch,
               random_layers.gen_mhsa_bias][int(rng.integers(0, 4))]
        x_shape, y, out_shape, desc, _ = gen(rng, b)
        return b.model(x_shape, y, out_shape), desc, ["mhsa"]
    if rng.random() < 0.6:
        k = int(rng.choice([1, 3, 5]))
        s = int(rng.choice([1, 2]))
        p = int(rng.integers(0, k // 2 + 1))
        cin, cout = int(rng.integers(1, 17)), int(rng.integers(1, 21))
        h, w = int(rng.integers(max(k - 2 * p, 1), 10)), int(rng.integers(max(k - 2 * p, 1), 11))
        wt = run_bench._weights(rng, (cout, cin, k, k), cin * k * k)
        b = rng.normal(0, 0.2, cout)
        node = helper.make_node("Conv", ["x", "W", "B"], ["y"], kernel_shape=[k, k],
                                pads=[p, p, p, p], strides=[s, s])
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        m = run_bench._model([node], [("W", wt), ("B", b)], (1, cin, h, w), "y", (1, cout, oh, ow))
        return m, "conv%dx%d s%d p%d %dx%dx%d->%d" % (k, k, s, p, cin, h, w, cout), CONV_FC
    # One token (batch 1) in a third of the linear layers.
    t = 1 if rng.random() < 0.33 else int(rng.integers(2, 20))
    k, n = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    if t == 1:
        return run_bench.gemm_model(rng, k, n), "fc %d->%d" % (k, n), CONV_FC
    return run_bench.tokens_fc_model(rng, t, k, n), "fc %d tokens %d->%d" % (t, k, n), CONV_FC


CONV_FC = ["conv2d", "fully_connected"]


def prune_model(model, sparsity, block):
    """Prunes every weight (initializers named W..., 2-D or more) by
    magnitude; returns the block shape used (None: unstructured, also where
    the shape does not divide)."""
    from onnx import numpy_helper
    matmul_weights = {n.input[1] for n in model.graph.node if n.op_type == "MatMul"}
    used = None
    for init in model.graph.initializer:
        w = numpy_helper.to_array(init)
        if not init.name.startswith("W") or w.ndim < 2:
            continue
        # MatMul weights are [in, out]: prune the [out, in] view.
        transposed = init.name in matmul_weights
        v = w.T if transposed else w
        r = sparse_bench.rows_view(v)
        blk = block if block and r.shape[0] % block[0] == 0 and r.shape[1] % block[1] == 0 else None
        p = sparse_bench.prune(v, sparsity, blk)
        init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(p.T if transposed else p),
                                              init.name))
        used = used or blk
    return used


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--first", type=int, default=0, help="first case's number (to rerun one case)")
    p.add_argument("--boards", default="m7,m4")
    p.add_argument("--tinyformer", default=os.path.join(REPO, "build", "bin", "tinyformer"))
    p.add_argument("--work")
    args = p.parse_args(argv)
    work = args.work or tempfile.mkdtemp(prefix="tf-random-sparse-")
    boards = args.boards.split(",")
    failed, sparse_kernels = 0, 0
    for i in range(args.first, args.first + args.cases):
        rng = np.random.default_rng([args.seed, i])
        model, what, ops = draw(rng)
        sparsity = float(rng.choice([0.0, 0.3, 0.5, 0.75, 0.9, 0.95, 0.99, rng.uniform(0, 0.99)]))
        block = [None, None, (4, 1), (1, 4)][int(rng.integers(0, 4))]
        blk = prune_model(model, sparsity, block)
        # Boards alternate every two cases, so that each board gets both the
        # cost model's choice and the forced sparse kernels.
        board = boards[(i // 2) % len(boards)]
        row = dict(errors=[])
        ns = argparse.Namespace(tinyformer=args.tinyformer, board=board)
        # Odd cases force a sparse kernel: sparse_code, sparse_csr and
        # sparse_rle in turn.
        flags = [] if i % 2 == 0 else [
            "--sparse", "force", "--sparse-format", {1: "code", 3: "csr", 5: "rle"}[i % 6]]
        run_bench.measure(ns, row, os.path.join(work, "case%03d" % i), model, rng,
                          ops, flags)
        ok = row.get("bit_exact") is True and not row["errors"]
        failed += not ok
        sparse_kernels += str(row.get("kernel")).startswith("sparse_")
        print("case %3d %-3s %-34s sparsity %.2f %-5s kernel %-16s %s" % (
            i, board, what, sparsity, "%dx%d" % blk if blk else "-", row.get("kernel"),
            "bit-exact" if ok else "FAIL %s" % row["errors"]), flush=True)
    print("%d cases, %d with the sparse kernel, %d failed" % (args.cases, sparse_kernels, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
