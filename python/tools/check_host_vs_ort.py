#!/usr/bin/python3
"""Run every fixture model on the host reference interpreter and on ONNX
Runtime with the same random input, and compare (numpy only, no torch).

  check_host_vs_ort.py --tinyformer BIN --ort-run "node .../ort-run.mjs" \
      --fixtures DIR [--work DIR]

Float models must agree to 1e-4 of the output range. QDQ models round at
every QuantizeLinear, so a last-bit float difference (summation order)
that lands on a rounding boundary moves a value by one quantization step
and the step propagates; for them the bound is --qdq-rtol-range (default
3e-2 of the range) and the top-1 class must agree. Prints one line per model
and "N passed, M failed"; exits 1 if any failed.
"""
import argparse
import glob
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinyformer import npy_tools  # noqa: E402

import numpy as np  # noqa: E402


def input_shape(name):
    m = re.search(r"_(\d+)x(\d+)x(\d+)_", name)
    if not m:
        raise ValueError("cannot read the input shape from %s" % name)
    return (1,) + tuple(int(g) for g in m.groups())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tinyformer", required=True)
    p.add_argument("--ort-run", required=True, help="command that runs ort-run.mjs")
    p.add_argument("--fixtures", required=True, help="folder searched recursively")
    p.add_argument("--work", default=".", help="where inputs/outputs are written")
    p.add_argument("--rtol-range", type=float, default=1e-4)
    p.add_argument("--qdq-rtol-range", type=float, default=3e-2)
    args = p.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    models = sorted(glob.glob(os.path.join(args.fixtures, "**", "*.onnx"), recursive=True))
    passed = failed = 0
    for model in models:
        name = os.path.relpath(model, args.fixtures)
        stem = name.replace(os.sep, "_")[:-5]
        shape = input_shape(os.path.basename(model))
        x = np.random.default_rng(7).uniform(-1, 1, size=shape).astype(np.float32)
        xin = os.path.join(args.work, stem + ".in.npy")
        ours = os.path.join(args.work, stem + ".host.npy")
        ref = os.path.join(args.work, stem + ".ort.npy")
        np.save(xin, x)
        problems = []
        for cmd in ([args.tinyformer, "run", "--host", model, "--input", xin, "--output", ours],
                    shlex.split(args.ort_run) + [model, xin, ref]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                problems.append("%s failed: %s" % (os.path.basename(cmd[0]),
                                                   (r.stderr or r.stdout).strip()))
        if not problems:
            a, e = np.load(ours), np.load(ref)
            qdq = "qdq" in os.path.basename(model)
            res = npy_tools.compare(a, e, args.qdq_rtol_range if qdq else args.rtol_range)
            if not res.ok:
                problems.append(res.message or "max_abs_err %.3g > bound %.3g"
                                % (res.max_abs_err, res.bound))
            elif qdq and not np.array_equal(a.argmax(-1), e.argmax(-1)):
                problems.append("top-1 class differs")
            detail = "max_abs_err=%.3g bound=%.3g" % (res.max_abs_err, res.bound)
        else:
            detail = ""
        if problems:
            failed += 1
            print("FAIL %s %s: %s" % (name, detail, "; ".join(problems)))
        else:
            passed += 1
            print("PASS %s %s" % (name, detail))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not models else 0


if __name__ == "__main__":
    sys.exit(main())
