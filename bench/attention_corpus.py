#!/usr/bin/python3
"""Model-sized attention blocks for fitting the cost model's attention terms.

  bench/attention_corpus.py [--cases 24] [--seed 5] [--boards m4,m7]
                            [--work DIR] [--json FILE]

The calibration corpus (bench/cost_corpus.py) draws attention blocks of 1-40
tokens; models run 49-256. This draws blocks as models have them (S 16-160,
E 32-128, 1-8 heads of at least 8 columns, int8 or int16 weights): the
bench's torch attention block (python/tinyformer/fixtures.py's Attention,
seeded weights, opset 13), plain `tinyformer compile --weight-storage W`,
one emulator run per board, bit-exact against the host reference. For each
block it prints the measured `mhsa` instructions, the estimate, and fits the
overhead terms of lib/Kernels/TransformerKernels.cpp's attentionOverhead
(per score H*S^2, per element S*E, per head H) by least squares on relative
errors to measured - alpha * kernel_macs, alpha from the registry (the
compile report's estimate minus its sized part, over kernel_macs).
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import run_bench  # noqa: E402  (attention_model, run_tool)


def draw(rng):
    s = int(rng.integers(16, 161))
    e = int(rng.choice([32, 48, 64, 96, 128]))
    heads = [h for h in (1, 2, 4, 8) if e % h == 0 and e // h >= 8]
    return s, e, int(rng.choice(heads)), str(rng.choice(["int8", "int16"]))


def measure(args, d, model, board, storage, rng):
    os.makedirs(d, exist_ok=True)
    x_shape = tuple(dd.dim_value for dd in model.graph.input[0].type.tensor_type.shape.dim)
    mpath, cpath, xpath = (os.path.join(d, n) for n in ("model.onnx", "calib.npy", "x.npy"))
    onnx.save(model, mpath)
    np.save(cpath, rng.uniform(-1.0, 1.5, size=(4,) + x_shape).astype(np.float32))
    np.save(xpath, rng.uniform(-1.0, 1.5, size=x_shape).astype(np.float32))
    b = os.path.join(d, "build_" + board)
    cpu = run_bench.CPU_OF_BOARD[board]
    r = run_bench.run_tool([args.tinyformer, "compile", mpath, "--calib", cpath, "--cpu", cpu,
                            "--weight-storage", storage, "-o", b])
    if r.returncode:
        return None, "compile: " + r.stderr[-300:]
    ye, yh, rp = (os.path.join(d, n + "_" + board) for n in ("ye.npy", "yh.npy", "run.json"))
    r = run_bench.run_tool([args.tinyformer, "run", b, "--input", xpath, "--output", ye,
                            "--board", board, "--report", rp])
    if r.returncode:
        return None, "run: " + r.stderr[-300:]
    r = run_bench.run_tool([args.tinyformer, "run", "--host", b, "--input", xpath,
                            "--output", yh])
    exact = r.returncode == 0 and np.array_equal(np.load(ye), np.load(yh))
    crep = json.load(open(os.path.join(b, "compile_report.json")))
    rrep = json.load(open(rp))
    cl = [l for l in crep["layers"] if l.get("op") == "mhsa"]
    rl = [l for l in rrep["layers"] if l.get("op") == "mhsa"]
    if len(cl) != 1 or len(rl) != 1:
        return None, "not one fused mhsa layer"
    return dict(kernel=cl[0]["kernel"], kernel_macs=cl[0]["kernel_macs"],
                estimated=cl[0]["estimated_instructions"],
                sized=cl[0]["estimated_sized_instructions"],
                measured=rl[0]["instructions"], bit_exact=exact), None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=24)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--boards", default="m4,m7")
    p.add_argument("--work", default="/tmp/tf_attention_corpus")
    p.add_argument("--json")
    p.add_argument("--tinyformer", default=os.path.join(REPO, "build", "bin", "tinyformer"))
    a = p.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    rows, failed = [], 0
    for i in range(a.cases):
        s, e, h, storage = draw(rng)
        model = run_bench.attention_model(rng, s, e, h)
        for board in a.boards.split(","):
            row, err = measure(a, os.path.join(a.work, "case%03d" % i), model, board,
                               storage, rng)
            if row is None or not row["bit_exact"]:
                failed += 1
                print("FAIL case %d S=%d E=%d H=%d %s %s: %s" % (i, s, e, h, storage, board,
                                                                 err or "not bit-exact"))
                continue
            row.update(case=i, S=s, E=e, H=h, storage=storage, board=board)
            rows.append(row)
            print("case %3d %s S=%3d E=%3d H=%d %-5s %-16s measured %9d estimate %9d (%+.1f%%)"
                  % (i, board, s, e, h, storage, row["kernel"], row["measured"],
                     row["estimated"], 100.0 * (row["estimated"] / row["measured"] - 1)),
                  flush=True)
    dense = [r for r in rows if r["kernel"] == "mhsa"]
    if dense:
        feats = np.array([[r["H"] * r["S"] ** 2, r["S"] * r["E"], r["H"]] for r in dense], float)
        base = np.array([r["estimated"] - r["sized"] for r in dense], float)  # alpha * MACs
        y = np.array([r["measured"] for r in dense], float) - base
        w = 1.0 / np.array([r["measured"] for r in dense], float)
        coef, *_ = np.linalg.lstsq(feats * w[:, None], y * w, rcond=None)
        fit = base + feats @ coef
        meas = np.array([r["measured"] for r in dense], float)
        cur = np.array([r["estimated"] for r in dense], float)
        print("attentionOverhead fit (dense mhsa, %d runs): per score %.1f, per S*E %.1f, "
              "per head %.0f" % (len(dense), *coef))
        print("  error of the fit: median %.1f%%, p90 %.1f%%; of the current estimate: "
              "median %.1f%%, p90 %.1f%%"
              % tuple(100 * v for v in (np.median(abs(fit / meas - 1)),
                                        np.percentile(abs(fit / meas - 1), 90),
                                        np.median(abs(cur / meas - 1)),
                                        np.percentile(abs(cur / meas - 1), 90))))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    print("%d runs, %d failed" % (len(rows), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
