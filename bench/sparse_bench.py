#!/usr/bin/python3
"""Sparse layers against CMSIS-NN dense and against our dense kernels.

  bench/sparse_bench.py [--board m4|m7] [--layers a,b,d,e]
                        [--sparsities 0.5,0.75,0.9,0.95] [--blocks 4x1,1x4]
                        [--seed 0] [--markdown FILE] [--json FILE] [--work DIR]

Builds layers a, b, d, e of ../shared/BENCHMARKS.md (bench/run_bench.py's
models, same seeds) with their weights magnitude-pruned: unstructured at each
sparsity, and with 4x1 / 1x4 blocks at 90% (4 output rows / 4 input columns
of the OHWI reduction, scored by L1). Each is compiled five times: plain
`tinyformer compile` (the cost model picks the kernel), with --flash capped at
the dense int8 model's flash, with `--sparse off` (our dense kernels, int8
and int16 weights as the cost model picks them, and int8 only) and with
`--sparse-format rle` (TinyFormer's run-length format, the baseline). Every
build runs one random input on the emulator (exact instruction counts of the
layer) and the host INT8 reference, and must be bit-exact. Rows:
instructions, speed-up over CMSIS-NN dense, over our dense and over the
run-length baseline, the kernel chosen and the flash vs the dense int8
model's.
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_bench  # noqa: E402

LAYERS = {"a": "conv3x3 16x16x32->32", "b": "conv1x1 16x16x64->64",
          "d": "FC 256->256", "e": "FC 64 tokens 128->128"}


def rows_view(w):
    """[rows, columns] with columns in OHWI order (the kernels' view)."""
    if w.ndim == 4:
        return np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(w.shape[0], -1)
    return w


def from_rows_view(v, shape):
    if len(shape) == 4:
        o, i, kh, kw = shape
        return np.ascontiguousarray(v.reshape(o, kh, kw, i).transpose(0, 3, 1, 2))
    return v


def prune(w, sparsity, block):
    """Zero the smallest blocks (L1) of w so that `sparsity` of it is zero."""
    v = rows_view(w).copy()
    bh, bw = block or (1, 1)
    r, c = v.shape
    rb, cb = r // bh, c // bw
    score = np.abs(v[:rb * bh, :cb * bw]).reshape(rb, bh, cb, bw).sum(axis=(1, 3))
    k = int(round(sparsity * score.size))
    order = np.argsort(score, axis=None, kind="stable")[:k]
    mask = np.ones(score.size, bool)
    mask[order] = False
    mask = np.repeat(np.repeat(mask.reshape(rb, cb), bh, 0), bw, 1)
    v[:rb * bh, :cb * bw] *= mask
    v = v + 0.0  # no -0.0
    return from_rows_view(v, w.shape).astype(np.float32)


def pruned_model(key, seed, sparsity, block):
    _, build, _, _, _, _ = run_bench.LAYERS[key]
    rng = np.random.default_rng([seed, ord(key)])
    model = build(rng)
    for init in model.graph.initializer:
        if init.name == "W":
            w = numpy_helper.to_array(init)
            # MatMul weights are [K, N]: prune in the [N, K] view.
            tr = key == "e"
            p = prune(w.T if tr else w, sparsity, block)
            init.CopyFrom(numpy_helper.from_array(p.T if tr else p, "W"))
    return model, rng


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", choices=["m4", "m7"], default="m4")
    p.add_argument("--layers", default="a,b,d,e")
    p.add_argument("--sparsities", default="0.5,0.75,0.9,0.95")
    p.add_argument("--blocks", default="4x1,1x4")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown")
    p.add_argument("--json")
    p.add_argument("--work")
    p.add_argument("--tinyformer", default=os.path.join(run_bench.REPO, "build", "bin", "tinyformer"))
    args = p.parse_args(argv)
    args.work = args.work or tempfile.mkdtemp(prefix="tf-sparse-bench-")
    cmsis = run_bench.CMSIS_NN
    cases = []
    for key in args.layers.split(","):
        for s in filter(None, args.sparsities.split(",")):
            cases.append((key, float(s), None))
        for b in filter(None, args.blocks.split(",")):
            bh, bw = (int(x) for x in b.split("x"))
            cases.append((key, 0.9, (bh, bw)))
    rows = []
    for key, sparsity, block in cases:
        label = "%s %d%%%s" % (key, round(sparsity * 100), " %dx%d" % block if block else "")
        row = dict(key=key, layer=LAYERS[key], sparsity=sparsity,
                   block="%dx%d" % block if block else "-", cmsis_nn=cmsis.get(key), errors=[])
        builds = {}
        for name, flags in (("dense_int8", ["--sparse", "off", "--weight-storage", "int8"]),
                            ("dense", ["--sparse", "off"]),
                            ("sparse", []),
                            # TinyFormer's run-length format: the baseline.
                            ("rle", ["--sparse", "force", "--sparse-format", "rle"])):
            model, rng = pruned_model(key, args.seed, sparsity, block)
            r = dict(errors=[])
            d = os.path.join(args.work, "%s_%s_%s_%s" % (key, label.split()[1], row["block"], name))
            run_bench.measure(args, r, d, model, rng, ["conv2d", "fully_connected", "Conv", "Gemm", "MatMul"], flags)
            builds[name] = r
        cap = builds["dense_int8"].get("flash_bytes")
        if cap:
            model, rng = pruned_model(key, args.seed, sparsity, block)
            r = dict(errors=[])
            d = os.path.join(args.work, "%s_%s_%s_capped" % (key, label.split()[1], row["block"]))
            run_bench.measure(args, r, d, model, rng, ["conv2d", "fully_connected"], ["--flash", str(cap)])
            builds["capped"] = r
        for name, r in builds.items():
            row[name] = {k: r.get(k) for k in ("instructions", "kernel", "weight_format",
                                                "flash_bytes", "arena_bytes", "bit_exact",
                                                "estimated_instructions", "errors")}
        rows.append(row)
        s, dn, cp = row["sparse"], row["dense"], row.get("capped", {})
        print("%-10s %-8s sparse %9s (%-12s) est %9s  dense %9s  capped %9s (%s)  x%.2f cmsis  x%.2f ours  flash %s / dense8 %s  exact %s/%s/%s" % (
            label, key, s.get("instructions"), s.get("kernel"), s.get("estimated_instructions"),
            dn.get("instructions"), cp.get("instructions"), cp.get("kernel"),
            (row["cmsis_nn"] or 0) / float(s.get("instructions") or 1),
            (dn.get("instructions") or 0) / float(s.get("instructions") or 1),
            s.get("flash_bytes"), row["dense_int8"].get("flash_bytes"),
            s.get("bit_exact"), dn.get("bit_exact"), cp.get("bit_exact")), flush=True)
        for name in builds:
            if builds[name]["errors"]:
                print("   %s: %s" % (name, builds[name]["errors"]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(board=args.board, seed=args.seed, rows=rows), f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("| layer | sparsity | blocks | ours (plain compile) | kernel | CMSIS-NN / ours | our dense / ours | run-length baseline / ours | flash capped at dense int8: ours | CMSIS / capped | flash / dense int8 (run-length) | bit-exact |\n")
            f.write("|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---|\n")
            for row in rows:
                s, dn, cp, d8, rl = (row["sparse"], row["dense"], row.get("capped", {}),
                                     row["dense_int8"], row["rle"])
                si = s.get("instructions") or 0
                d8f = max(d8.get("flash_bytes") or 1, 1)
                f.write("| %s %s | %d%% | %s | %s | %s | %.1fx | %.2fx | %.1fx | %s | %.1fx | %.2f (%.2f) | %s |\n" % (
                    row["key"], row["layer"], round(row["sparsity"] * 100), row["block"], f"{si:,}",
                    s.get("kernel"), (row["cmsis_nn"] or 0) / max(si, 1),
                    (dn.get("instructions") or 0) / max(si, 1),
                    (rl.get("instructions") or 0) / max(si, 1),
                    f"{cp.get('instructions') or 0:,}", (row["cmsis_nn"] or 0) / max(cp.get("instructions") or 1, 1),
                    (s.get("flash_bytes") or 0) / d8f, (rl.get("flash_bytes") or 0) / d8f,
                    all(b.get("bit_exact") for b in (s, dn, cp, d8, rl) if b)))
    bad = [r for r in rows if not all((r.get(n) or {}).get("bit_exact") for n in ("sparse", "dense", "dense_int8", "rle"))]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
