#!/usr/bin/python3
"""Fit kernels' rates (alpha per MAC, beta per output, gamma per call) to emulator counts.

  bench/fit_rates.py DIR [DIR ...] [--kernels all|sparse_code,conv2d,...] [--json FILE]

Reads every case folder under the DIRs that bench/cost_corpus.py,
python/tools/random_sparse_layers.py, python/tools/random_layers.py --keep
or bench/sparse_bench.py left (--work): the layer's compile_report.json
(kernel, cpu, kernel_macs, output_bytes, estimated_sized_instructions,
estimated_instructions) and run.json (the emulator's instructions of that
layer). The registry prices a layer as sized + alpha * kernel_macs + beta *
outputs + gamma, where `sized` comes from the kernel's sizes function
(packing, loop overheads). Per kernel and CPU this fits (alpha8, alpha16,
beta, gamma) by least squares to measured - sized (relative errors, so that
small and large layers count alike; alpha16 prices int16 weights, alpha8
int8), and prints them with the fit's error, beside the error of the current
estimate. Copy the fitted figures into lib/Kernels/KernelRegistry.cpp.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np



def reports(dirs):
    """(compile report, run report) pairs: random_sparse_layers.py and
    sparse_bench.py leave CASE/run.json beside CASE/build/; random_layers.py
    (--keep) leaves BUILD/run_report.json inside each BUILD."""
    for d in dirs:
        for run in glob.glob(os.path.join(d, "**", "run.json"), recursive=True):
            yield os.path.join(os.path.dirname(run), "build", "compile_report.json"), run
        for run in glob.glob(os.path.join(d, "**", "run_report.json"), recursive=True):
            yield os.path.join(os.path.dirname(run), "compile_report.json"), run


def cases(dirs, kernels):
    for comp, run in reports(dirs):
        if not os.path.exists(comp):
            continue
        with open(run) as f:
            r = json.load(f)
        with open(comp) as f:
            c = json.load(f)
        measured = {l.get("name"): l.get("instructions") for l in r.get("layers", [])}
        for layer in c.get("layers", []):
            if (kernels is None or layer.get("kernel") in kernels) and \
                    "estimated_sized_instructions" in layer:
                n = measured.get(layer["name"])
                if n:
                    yield c["cpu"], layer, n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+")
    p.add_argument("--kernels", default="all",
                   help="comma-separated kernels to fit (default: every kernel found)")
    p.add_argument("--json", help="write the fitted rates here")
    a = p.parse_args(argv)
    groups = {}
    kernels = None if a.kernels == "all" else a.kernels.split(",")
    for cpu, layer, n in cases(a.dirs, kernels):
        groups.setdefault((layer["kernel"], cpu), []).append((layer, n))
    if not groups:
        print("no %s layers with estimated_sized_instructions found under %s"
              % (a.kernels, ", ".join(a.dirs)))
        return 1
    out = {}
    print("%-16s %-10s %5s %7s %7s %6s %6s   %-22s %-22s" % (
        "kernel", "cpu", "cases", "alpha8", "alpha16", "beta", "gamma", "fit error (median, p90)",
        "current estimate error"))
    for (kernel, cpu), rows in sorted(groups.items()):
        km = np.array([l["kernel_macs"] for l, _ in rows], float)
        outs = np.array([l["output_bytes"] for l, _ in rows], float)
        est = np.array([l["estimated_instructions"] for l, _ in rows], float)
        meas = np.array([n for _, n in rows], float)
        extra = np.array([l["estimated_sized_instructions"] for l, _ in rows], float)
        # Relative least squares: every layer counts alike, small or large.
        is16 = np.array([l.get("weight_storage") == "int16" for l, _ in rows])
        w = 1.0 / meas
        cols = [km * ~is16, km * is16, outs, np.ones_like(km)]
        # Only the storages present get a rate; where the work is the outputs
        # (elementwise kernels) alpha and beta are one rate: beta.
        per_output = np.allclose(km, outs)
        keep = [bool((~is16).any()) and not per_output, bool(is16.any()) and not per_output,
                True, True]
        A = np.stack([c for c, k in zip(cols, keep) if k], axis=1) * w[:, None]
        x, *_ = np.linalg.lstsq(A, (meas - extra) * w, rcond=None)
        if x[-1] < 0 or x[-2] < 0:
            # A negative cost is no cost: fit without the per-call term.
            keep[3] = False
            A = A[:, :-1]
            x, *_ = np.linalg.lstsq(A, (meas - extra) * w, rcond=None)
        full = iter(x)
        alpha8, alpha16, beta, gamma = [float(next(full)) if k else 0.0 for k in keep]
        fit = extra + alpha8 * km * ~is16 + alpha16 * km * is16 + beta * outs + gamma
        err = np.abs(fit - meas) / meas
        err0 = np.abs(est - meas) / meas
        print("%-16s %-10s %5d %7.3f %7.3f %6.2f %6.0f   %5.1f%%, %5.1f%%          %5.1f%%, %5.1f%%" % (
            kernel, cpu, len(rows), alpha8, alpha16, beta, gamma, 100 * np.median(err),
            100 * np.percentile(err, 90), 100 * np.median(err0), 100 * np.percentile(err0, 90)))
        out["%s/%s" % (kernel, cpu)] = dict(alpha8=round(alpha8, 3), alpha16=round(alpha16, 3),
                                            beta=round(beta, 2), gamma=round(gamma),
                                            cases=len(rows))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
