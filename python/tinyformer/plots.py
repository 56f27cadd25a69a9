#!/usr/bin/python3
"""Pictures of a build: the arena's memory map over time and the per-layer
instruction profile (matplotlib, PNG).

  plots.py --compile-report BUILD/compile_report.json [--run-report run.json]
           --out DIR

memory_map.png: every arena buffer as a box, its steps (the ops that run,
in order) across and its bytes up, as the planner placed it
(compile_report.json "arena_map" / "steps"); the arena size and its lower
bound as lines. layer_profile.png: instructions per layer, the cost model's
estimate and, with a `tinyformer run --report` file, the emulator's count.
`tinyformer compile --plots DIR` and `tinyformer run --plots DIR` call it.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def memory_map(report, path):
    steps = report["steps"]
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(steps) + 2), 4.5))
    colors = plt.get_cmap("tab20").colors
    for i, b in enumerate(report["arena_map"]):
        ax.broken_barh([(b["first_step"] - 0.45, b["last_step"] - b["first_step"] + 0.9)],
                       (b["offset"], b["bytes"]), facecolors=colors[i % len(colors)],
                       edgecolor="black", linewidth=0.4)
    ax.axhline(report["arena_bytes"], color="red", linewidth=1,
               label="arena %d B" % report["arena_bytes"])
    ax.axhline(report["arena_lower_bound"], color="gray", linestyle="--", linewidth=1,
               label="lower bound %d B" % report["arena_lower_bound"])
    ax.set_xticks(range(len(steps)))
    ax.set_xticklabels([s[-28:] for s in steps], rotation=70, ha="right", fontsize=7)
    ax.set_xlim(-0.6, len(steps) - 0.4)
    ax.set_ylim(0, max(report["arena_bytes"], 1) * 1.08)
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title("%s: arena memory map (%s)" % (report["name"], report["cpu"]))
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def layer_profile(report, path, run=None):
    layers = [l for l in report["layers"] if l["kernel"] != "alias"]
    names = [l["name"][-28:] for l in layers]
    estimated = [l["estimated_instructions"] for l in layers]
    fig, ax = plt.subplots(figsize=(max(6, 0.4 * len(layers) + 2), 4.5))
    x = range(len(layers))
    if run is None:
        ax.bar(x, estimated, color="tab:blue", label="estimated (cost model)")
        title = "estimated instructions per layer"
    else:
        measured_by_name = {}
        for l in run["layers"]:
            measured_by_name[l.get("name")] = measured_by_name.get(l.get("name"), 0) + l["instructions"]
        measured = [measured_by_name.get(l["name"], 0) for l in layers]
        ax.bar([i - 0.2 for i in x], estimated, width=0.4, color="tab:blue",
               label="estimated (cost model)")
        ax.bar([i + 0.2 for i in x], measured, width=0.4, color="tab:orange",
               label="measured (%s)" % run.get("target", "emulator"))
        title = "instructions per layer: %d measured" % run["instructions"]
    ax.set_xticks(list(x))
    ax.set_xticklabels(names, rotation=70, ha="right", fontsize=7)
    ax.set_ylabel("instructions")
    ax.set_title("%s: %s" % (report["name"], title))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--compile-report", required=True)
    p.add_argument("--run-report")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    report = json.load(open(a.compile_report))
    run = json.load(open(a.run_report)) if a.run_report else None
    os.makedirs(a.out, exist_ok=True)
    written = []
    if run is None:
        written.append(os.path.join(a.out, "memory_map.png"))
        memory_map(report, written[-1])
    written.append(os.path.join(a.out, "layer_profile.png"))
    layer_profile(report, written[-1], run)
    print("wrote " + ", ".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
