#!/usr/bin/python3
"""SuperNAS: picks the search space to train, by the subnets that fit the device
under the compiler's cost model (TinyFormer's SuperNAS, TinyNAS's rule).

  tools/nas/supernas.py --out DIR [--flash 1048576] [--sram 327680] [--cpu cortex-m7]
                        [--max-instructions N] [--samples 2000] [--hw 28] [--cin 1]
                        [--widths 0.5,0.75,1,1.25] [--stages 1,2] [--spaces A.json,...]

Candidate spaces: the default hybrid space (python/tinyformer/supernet.py)
with every width multiplier (stem, stages, embedding) and number of conv
stages before the transformer (where it starts), or the given JSON spaces.
For each, `--samples` subnets are drawn uniformly and priced by the cost
model's bindings (instructions, weights' flash, the planner's arena): a
space scores the mean MACs of its subnets that fit flash, SRAM and the
instruction ceiling (more capacity within the budgets, more accuracy), if at
least 10% of them fit. Writes DIR/supernas.json (per space: the share that
fits, MACs and instruction quantiles, the time taken), DIR/supernas.png (the
MACs of the fitting subnets per space, as CDFs) and DIR/space.json (the
chosen space, for tools/nas/train_supernet.py --space).
"""
import argparse
import copy
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import numpy as np  # noqa: E402

from tinyformer import nas, supernet  # noqa: E402

MIN_FIT = 0.10


def scaled(n, w, step=4):
    return max(step, int(round(n * w / step)) * step)


def candidate_spaces(hw, cin, widths, stage_counts):
    base = supernet.default_space(hw=hw, cin=cin)
    for stages in stage_counts:
        for w in widths:
            s = copy.deepcopy(base)
            s["stages"] = s["stages"][:stages]
            s["stem"]["width"] = sorted({scaled(v, w) for v in s["stem"]["width"]})
            for st in s["stages"]:
                st["width"] = sorted({scaled(v, w) for v in st["width"]})
            t = s["transformer"]
            t["embed"] = sorted({scaled(v, w, 8) for v in t["embed"]})
            yield "w%g_s%d" % (w, stages), s


def score_space(space, budget, samples, seed):
    rng = random.Random(seed)
    fits, t0 = [], time.time()
    for _ in range(samples):
        arch = supernet.sample_arch(space, rng)
        e = budget.check(space, arch)
        if e["fits"]:
            fits.append((e["macs"], e["estimated_instructions"], e["weight_bytes"],
                         e["sram_bytes"]))
    seconds = time.time() - t0
    r = {"subnets": supernet.count_subnets(space), "samples": samples,
         "fit_share": len(fits) / samples, "seconds": seconds,
         "candidates_per_second": samples / seconds if seconds else 0}
    if fits:
        a = np.array(fits, float)
        r.update({"macs_mean": float(a[:, 0].mean()),
                  "macs_quantiles": [float(q) for q in np.percentile(a[:, 0], [10, 50, 90])],
                  "instructions_quantiles": [float(q) for q in np.percentile(a[:, 1], [10, 50, 90])],
                  "fitting_macs": [float(v) for v in a[:, 0]]})
    r["score"] = r.get("macs_mean", 0.0) if r["fit_share"] >= MIN_FIT else 0.0
    return r


def plot(path, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, r in results.items():
        v = np.sort(r.get("fitting_macs", []))
        if len(v):
            ax.plot(v / 1e6, np.linspace(0, 1, len(v)), label="%s (%.0f%% fit)" % (
                name, 100 * r["fit_share"]))
    ax.set_xlabel("MACs of subnets within the budgets (millions)")
    ax.set_ylabel("cumulative share")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--flash", type=int, default=1 << 20)
    p.add_argument("--sram", type=int, default=320 * 1024)
    p.add_argument("--cpu", default="cortex-m7")
    p.add_argument("--max-instructions", type=int, default=0)
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--hw", type=int, default=28)
    p.add_argument("--cin", type=int, default=1)
    p.add_argument("--widths", default="0.5,0.75,1,1.25")
    p.add_argument("--stages", default="1,2")
    p.add_argument("--spaces", help="comma-separated JSON spaces instead of the grid")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    budget = nas.Budget(a.flash, a.sram, a.cpu, a.max_instructions)
    if a.spaces:
        spaces = [(os.path.basename(f), json.load(open(f))) for f in a.spaces.split(",")]
    else:
        spaces = list(candidate_spaces(a.hw, a.cin, [float(w) for w in a.widths.split(",")],
                                       [int(s) for s in a.stages.split(",")]))
    os.makedirs(a.out, exist_ok=True)
    results = {}
    for name, space in spaces:
        r = score_space(space, budget, a.samples, a.seed)
        results[name] = dict(r, space=space)
        print("%-10s %5.1f%% fit  mean MACs %8.0f  instructions p50 %10.0f  (%.0f candidates/s)"
              % (name, 100 * r["fit_share"], r.get("macs_mean", 0),
                 (r.get("instructions_quantiles") or [0, 0])[1], r["candidates_per_second"]),
              flush=True)
    best = max(results, key=lambda n: results[n]["score"])
    if results[best]["score"] <= 0:
        print("no space has %d%% of its subnets within the budgets" % (100 * MIN_FIT))
        return 1
    json.dump(results[best]["space"], open(os.path.join(a.out, "space.json"), "w"), indent=1)
    log = {"command": " ".join(sys.argv), "budgets": vars(a), "chosen": best,
           "rule": "highest mean MACs of the subnets within the budgets, with >= %d%% fitting"
                   % (100 * MIN_FIT),
           "spaces": {n: {k: v for k, v in r.items() if k != "fitting_macs"}
                      for n, r in results.items()}}
    json.dump(log, open(os.path.join(a.out, "supernas.json"), "w"), indent=1)
    plot(os.path.join(a.out, "supernas.png"), results)
    print("chosen: %s -> %s" % (best, os.path.join(a.out, "space.json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
