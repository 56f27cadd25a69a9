#!/usr/bin/python3
"""Summarise the Fashion-MNIST demo: INT8 accuracy on the emulated Cortex-M
against the float model's, and the cost figures of the run.

  demo_report.py --labels L.npy --int8 Y.npy --float-logits F.npy
                 --report run.json --compile-report compile_report.json
                 [--dense-name DIR --dense-int8 Y.npy --dense-float-logits F.npy
                  --dense-report run.json]

With the --dense-* files (a pruned example's dense original, run on the same
images), prints the two side by side: accuracy, instructions and flash.
"""
import argparse
import json
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--labels", required=True)
    p.add_argument("--int8", required=True, help="int8 logits from tinyformer run")
    p.add_argument("--float-logits", required=True,
                   help="torch float logits of the same images (first N used)")
    p.add_argument("--report", required=True)
    p.add_argument("--compile-report", required=True)
    p.add_argument("--min-agreement", type=float, default=0.0,
                   help="exit 1 if int8 vs float top-1 agreement is below this")
    p.add_argument("--dense-name", help="the dense model compared with (its folder)")
    p.add_argument("--dense-int8")
    p.add_argument("--dense-float-logits")
    p.add_argument("--dense-report")
    a = p.parse_args()
    labels = np.load(a.labels)
    q = np.load(a.int8).reshape(len(labels), -1)
    f = np.load(a.float_logits)[:len(labels)]
    run = json.load(open(a.report))
    comp = json.load(open(a.compile_report))
    acc_q = float(np.mean(q.argmax(1) == labels))
    acc_f = float(np.mean(f.argmax(1) == labels))
    agree = float(np.mean(q.argmax(1) == f.argmax(1)))
    print("Fashion-MNIST, %d test images, %s" % (len(labels), run["target"]))
    print("  accuracy int8 on the emulator  %.2f%%" % (100 * acc_q))
    print("  accuracy float (torch)         %.2f%%" % (100 * acc_f))
    print("  top-1 agreement int8 vs float  %.2f%%" % (100 * agree))
    print("  instructions per inference     %d (mean %.0f), %d MACs, %.2f per MAC"
          % (run["instructions"], run["instructions_mean"], comp["macs"],
             run["instructions"] / comp["macs"]))
    print("  flash                          %d bytes (code + constants)" % run["flash_bytes"])
    print("  SRAM                           %d bytes (arena %d, lower bound %d; stack %d)"
          % (run["sram_bytes"], run["arena_bytes"], run["arena_lower_bound"],
             run["stack_bytes"]))
    print("  per layer (instructions; zeros of the weight):")
    sparsity = {l["name"]: l["sparsity"] for l in comp["layers"] if "sparsity" in l}
    for l in run["layers"]:
        name = l.get("name", "?")
        zeros = "%3.0f%%" % (100 * sparsity[name]) if name in sparsity else "   -"
        print("    %-28s %-16s %-6s %9d  (est. %d)  %s" % (
            name[-28:], l.get("kernel", "?"), l.get("weight_format", "-"),
            l["instructions"], l.get("estimated_instructions", 0), zeros))
    if a.dense_report:
        dense = json.load(open(a.dense_report))
        dq = np.load(a.dense_int8).reshape(len(labels), -1)
        df = np.load(a.dense_float_logits)[:len(labels)]
        dacc_q = float(np.mean(dq.argmax(1) == labels))
        dacc_f = float(np.mean(df.argmax(1) == labels))
        print("  beside the dense model (%s), same images:" % a.dense_name)
        print("    %-24s %12s %12s %8s" % ("", "this model", "dense", "ratio"))
        print("    %-24s %11.2f%% %11.2f%%" % ("accuracy int8", 100 * acc_q, 100 * dacc_q))
        print("    %-24s %11.2f%% %11.2f%%" % ("accuracy float", 100 * acc_f, 100 * dacc_f))
        for what, key in (("instructions", "instructions"), ("flash bytes", "flash_bytes"),
                          ("SRAM bytes", "sram_bytes")):
            print("    %-24s %12d %12d %7.2fx" % (what, run[key], dense[key],
                                                   run[key] / dense[key]))
    if agree < a.min_agreement:
        print("error: agreement %.4f below --min-agreement %.4f" % (agree, a.min_agreement))
        sys.exit(1)


if __name__ == "__main__":
    main()
