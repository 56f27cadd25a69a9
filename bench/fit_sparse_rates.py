#!/usr/bin/python3
"""Fit the sparse kernels' rates (alpha per MAC, beta per output) to emulator counts.

  bench/fit_sparse_rates.py DIR [DIR ...] [--json FILE]

Reads every case folder under the DIRs that python/tools/random_sparse_layers.py
or bench/sparse_bench.py left (--work): the layer's compile_report.json
(kernel, cpu, kernel_macs, output_bytes, estimated_sized_instructions,
estimated_instructions) and run.json (the emulator's instructions of that
layer). The registry prices a layer as sized + alpha * kernel_macs + beta *
outputs + gamma, where `sized` comes from the kernel's sizes function
(packing, loop overheads). Per kernel and CPU this fits (alpha, beta, gamma)
by least squares to measured - sized (relative errors, so that small and
large layers count alike), and prints them with the fit's error, beside the
error of the current estimate. Copy the fitted figures into lib/Kernels/KernelRegistry.cpp.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np

KERNELS = ("sparse_code", "sparse_csr")


def cases(dirs):
    for d in dirs:
        for run in glob.glob(os.path.join(d, "**", "run.json"), recursive=True):
            folder = os.path.dirname(run)
            comp = os.path.join(folder, "build", "compile_report.json")
            if not os.path.exists(comp):
                continue
            with open(run) as f:
                r = json.load(f)
            with open(comp) as f:
                c = json.load(f)
            measured = {l.get("name"): l.get("instructions") for l in r.get("layers", [])}
            for layer in c.get("layers", []):
                if layer.get("kernel") in KERNELS and "estimated_sized_instructions" in layer:
                    n = measured.get(layer["name"])
                    if n:
                        yield c["cpu"], layer, n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+")
    p.add_argument("--json", help="write the fitted rates here")
    a = p.parse_args(argv)
    groups = {}
    for cpu, layer, n in cases(a.dirs):
        groups.setdefault((layer["kernel"], cpu), []).append((layer, n))
    if not groups:
        print("no sparse layers with estimated_sized_instructions found under %s"
              % ", ".join(a.dirs))
        return 1
    out = {}
    print("%-12s %-10s %5s %7s %6s %6s   %-22s %-22s" % (
        "kernel", "cpu", "cases", "alpha", "beta", "gamma", "fit error (median, p90)",
        "current estimate error"))
    for (kernel, cpu), rows in sorted(groups.items()):
        km = np.array([l["kernel_macs"] for l, _ in rows], float)
        outs = np.array([l["output_bytes"] for l, _ in rows], float)
        est = np.array([l["estimated_instructions"] for l, _ in rows], float)
        meas = np.array([n for _, n in rows], float)
        extra = np.array([l["estimated_sized_instructions"] for l, _ in rows], float)
        # Relative least squares: every layer counts alike, small or large.
        w = 1.0 / meas
        A = np.stack([km, outs, np.ones_like(km)], axis=1) * w[:, None]
        (alpha, beta, gamma), *_ = np.linalg.lstsq(A, (meas - extra) * w, rcond=None)
        if gamma < 0 or beta < 0:
            # A negative cost is no cost: fit without the per-call term.
            gamma = 0.0
            (alpha, beta), *_ = np.linalg.lstsq(A[:, :2], (meas - extra) * w, rcond=None)
        fit = extra + alpha * km + beta * outs + gamma
        err = np.abs(fit - meas) / meas
        err0 = np.abs(est - meas) / meas
        print("%-12s %-10s %5d %7.3f %6.2f %6.0f   %5.1f%%, %5.1f%%          %5.1f%%, %5.1f%%" % (
            kernel, cpu, len(rows), alpha, beta, gamma, 100 * np.median(err),
            100 * np.percentile(err, 90), 100 * np.median(err0), 100 * np.percentile(err0, 90)))
        out["%s/%s" % (kernel, cpu)] = dict(alpha=round(float(alpha), 3),
                                            beta=round(float(beta), 2),
                                            gamma=round(float(gamma)), cases=len(rows))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
