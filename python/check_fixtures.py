#!/usr/bin/python3
"""Developer check (needs torch, onnx, node + tools/ort-run): run every fixture in
test/fixtures/models through ONNX Runtime (tools/ort-run/ort-run.mjs) on an input from
npy_tools.make_input(seed 0) and compare with the torch model it was exported from
(float model, or the calibrated fake-quant model for *_qdq).

  /usr/bin/python3 python/check_fixtures.py [--dir test/fixtures/models] [--rtol-range 1e-4]

Exit 0 iff ORT ran every file and every float file matches torch within the tolerance
(QDQ files are reported, and must keep the same argmax; fake-quant in torch and ORT's
QuantizeLinear may put a value on different sides of a rounding boundary).
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tinyformer import fixtures as F  # noqa: E402
from tinyformer import npy_tools  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME_RE = re.compile(r"^(\w+?)_(\d+)x(\d+)x(\d+)_op(\d+)_(float|qdq)\.onnx$")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", default=os.path.join(ROOT, "test/fixtures/models"))
    p.add_argument("--rtol-range", type=float, default=1e-4)
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    runner = os.path.join(ROOT, "tools/ort-run/ort-run.mjs")
    files = sorted(glob.glob(os.path.join(args.dir, "*.onnx")) +
                   glob.glob(os.path.join(args.dir, "*", "*.onnx")))
    cache = {}
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            rel = os.path.relpath(path, args.dir)
            m = NAME_RE.match(os.path.basename(path))
            if not m:
                print("SKIP %s (name)" % rel)
                continue
            name, c, h, w, opset, kind = m.groups()
            shape = (int(c), int(h), int(w))
            x = npy_tools.make_input((1,) + shape, seed=0)
            xin = os.path.join(tmp, "in.npy")
            yout = os.path.join(tmp, "out.npy")
            np.save(xin, x)
            r = subprocess.run(["node", runner, path, xin, yout], capture_output=True, text=True)
            if r.returncode != 0:
                print("FAIL %-48s ort-run: %s" % (rel, r.stderr.strip()))
                failures += 1
                continue
            y = np.load(yout)
            key = (name, shape)
            if key not in cache:
                model = F.build_model(name, shape)
                cache[key] = (model, F.fx_fake_quant(model, shape))
            ref_model = cache[key][0] if kind == "float" else cache[key][1]
            with torch.no_grad():
                ref = ref_model(torch.from_numpy(x)).numpy()
            res = npy_tools.compare(y, ref, args.rtol_range)
            same_argmax = y.shape == ref.shape and int(y.argmax()) == int(ref.argmax())
            ok = res.ok if kind == "float" else (not res.message and same_argmax)
            if not ok:
                failures += 1
            print("%s %-48s out%s max_abs_err=%.3g bound=%.3g range=%.3g argmax %s" % (
                "ok  " if ok else "FAIL", rel, tuple(y.shape), res.max_abs_err, res.bound,
                res.value_range, "same" if same_argmax else "DIFFERENT"))
    print("%d files, %d failures" % (len(files), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
