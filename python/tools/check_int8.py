#!/usr/bin/python3
"""Compile every fixture to INT8, run it on the emulated Cortex-M and on
the host INT8 reference, and (for QDQ models) compare with ONNX Runtime.

  check_int8.py --tinyformer BIN --fixtures DIR --work DIR
                [--ort-run "node .../ort-run.mjs"] [--boards m7,m4]

Per model: the emulator output must equal the host reference bit for bit
(the oracle); for QDQ models the INT8 output must be within 1 LSB of ONNX
Runtime's on at least 99% of the outputs (ORT's float output is turned back
into the int8 step it came from) for the CNNs; the transformers' distance to
ORT is printed but not gated (integer LayerNorm, the table GELU and the fused
attention's single rounding differ from ORT's float ops between QDQ pairs). Float models are calibrated on a random
batch (QDQ models only for the values they leave unquantized). Prints one line per model (with arena vs its lower bound and
instructions) and "N passed, M failed"; exits 1 if any failed.
"""
import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys

import numpy as np

CNNS = ("small_cnn", "mobilenetv2", "resnet8")
TRANSFORMERS = ("tiny_vit", "hybrid")


def input_shape(name):
    m = re.search(r"_(\d+)x(\d+)x(\d+)_", name)
    return (1,) + tuple(int(g) for g in m.groups())


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError("%s\n%s" % (" ".join(cmd), r.stdout))
    return r.stdout


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tinyformer", required=True)
    p.add_argument("--fixtures", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--ort-run", help="command that runs ort-run.mjs")
    p.add_argument("--boards", default="m7")
    p.add_argument("--inputs", type=int, default=4, help="test inputs per model")
    p.add_argument("--filter", default="", help="only models whose name has this")
    a = p.parse_args(argv)
    os.makedirs(a.work, exist_ok=True)
    models = sorted(m for m in glob.glob(os.path.join(a.fixtures, "*.onnx"))
                    if os.path.basename(m).startswith(CNNS + TRANSFORMERS)
                    and a.filter in m)
    passed = failed = 0
    for model in models:
        name = os.path.basename(model)
        stem = name[:-5]
        shape = input_shape(name)
        work = os.path.join(a.work, stem)
        os.makedirs(work, exist_ok=True)
        rng = np.random.RandomState(1)
        calib = os.path.join(work, "calib.npy")
        np.save(calib, rng.rand(16, *shape[1:]).astype(np.float32))
        x = rng.rand(a.inputs, *shape[1:]).astype(np.float32)
        xpath = os.path.join(work, "x.npy")
        np.save(xpath, x)
        build = os.path.join(work, "build")
        try:
            # QDQ models take their scales from the model; the batch only
            # calibrates what the model leaves unquantized.
            cmd = [a.tinyformer, "compile", model, "-o", build, "--calib", calib]
            run(cmd)
            report = json.load(open(os.path.join(build, "compile_report.json")))
            host = os.path.join(work, "host.npy")
            run([a.tinyformer, "run", "--host", build, "--input", xpath,
                 "--output", host])
            ref = np.load(host)
            notes = []
            ok = True
            for board in a.boards.split(","):
                emu = os.path.join(work, "emu_%s.npy" % board)
                rpt = os.path.join(work, "run_%s.json" % board)
                run([a.tinyformer, "run", build, "--input", xpath, "--output",
                     emu, "--board", board, "--report", rpt])
                got = np.load(emu)
                same = np.array_equal(got, ref)
                ok &= same
                instr = json.load(open(rpt))["instructions"]
                notes.append("%s %s %d instr" % (board, "bit-exact" if same
                                                 else "MISMATCH", instr))
            if a.ort_run and "_qdq" in name:
                out = report["output"]
                diffs = []
                for i in range(a.inputs):
                    xi = os.path.join(work, "x%d.npy" % i)
                    yi = os.path.join(work, "ort%d.npy" % i)
                    np.save(xi, x[i:i + 1])
                    run(shlex.split(a.ort_run) + [model, xi, yi])
                    y = np.load(yi).reshape(-1)
                    q = np.rint(y / out["scale"]) + out["zero_point"]
                    diffs.append(np.abs(q - ref[i].reshape(-1).astype(np.int64)))
                d = np.concatenate(diffs)
                within = float(np.mean(d <= 1))
                if name.startswith(CNNS):
                    ok &= within >= 0.99
                notes.append("ORT within 1 LSB %.1f%% (max %d)" % (100 * within, d.max()))
            notes.append("arena %d / lower bound %d" % (report["arena_bytes"],
                                                       report["arena_lower_bound"]))
            if report.get("arena_bytes_untiled", report["arena_bytes"]) != report["arena_bytes"]:
                notes.append("untiled attention %d" % report["arena_bytes_untiled"])
            notes.append("flash %d" % report["flash_bytes"])
        except RuntimeError as e:
            ok = False
            notes = [str(e)]
        print("%s %s: %s" % ("PASS" if ok else "FAIL", name, "; ".join(notes)))
        sys.stdout.flush()
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
