#!/usr/bin/python3
"""Benchmark single layers through TinyFormer against the CMSIS-NN figures.

  bench/run_bench.py [--board m4|m7] [--layers a,b,c,d,e,g,h]
                     [--formats int8,int16,auto] [--seed 0]
                     [--markdown FILE] [--json FILE] [--work DIR] [--keep]
                     [--tinyformer build/bin/tinyformer]
                     [--benchmarks-md ../shared/BENCHMARKS.md]

Builds the layers of BENCHMARKS.md as float ONNX models with seeded random
weights, quantizes them with `tinyformer compile` from a seeded random
calibration batch, runs one random input on the emulator (exact instruction
counts) and on the host INT8 reference, and prints per layer: the work (MACs
or elements), the instructions of the layer itself (from the per-layer run
report; they include the layer's call, as the CMSIS-NN figures do),
instructions per unit, the CMSIS-NN count, ours/CMSIS-NN, the target ratio,
the layer's weight bytes (compile report), the model's flash, and whether
the emulator output is bit-exact against the host reference.

Conv and FC layers are built with --weight-format int8, int16 and auto.
See bench/README.md for the layer definitions (layer h in particular).
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "python", "tools"))
import random_layers  # noqa: E402  (run_tool, inline_i32_resources)
CPU_OF_BOARD = {"m7": "cortex-m7", "m4": "cortex-m4"}

# Fallback copy of the CMSIS-NN column of BENCHMARKS.md (Cortex-M4,
# mps2-an386); the file itself is read when it can be found.
CMSIS_NN = {"a": 4542346, "b": 2169206, "c": 1269292, "d": 135625, "e": 2376322,
            "f": 1817019, "g": 8506851, "h": 665483, "i": 41328}
TARGETS = {"a": 0.50, "b": 0.50, "c": 0.25, "d": 0.55, "e": 0.40}


def _weights(rng, shape, fan_in):
    w = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=shape)
    chan = np.exp(rng.normal(0.0, 0.5, size=(shape[0],) + (1,) * (len(shape) - 1)))
    return (w * chan).astype(np.float32)


def _model(nodes, inits, x_shape, out, out_shape):
    g = helper.make_graph(
        nodes, "bench",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, list(out_shape))],
        [numpy_helper.from_array(np.asarray(a, np.float32), n) for n, a in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="tinyformer-bench")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def conv_model(rng, c_in, c_out, hw, k, group=1):
    p = k // 2
    w = _weights(rng, (c_out, c_in // group, k, k), c_in // group * k * k)
    b = rng.normal(0, 0.2, c_out)
    node = helper.make_node("Conv", ["x", "W", "B"], ["y"], kernel_shape=[k, k],
                            pads=[p, p, p, p], strides=[1, 1], group=group)
    return _model([node], [("W", w), ("B", b)], (1, c_in, hw, hw), "y", (1, c_out, hw, hw))


def gemm_model(rng, k, n):
    w = _weights(rng, (n, k), k)
    b = rng.normal(0, 0.2, n)
    node = helper.make_node("Gemm", ["x", "W", "B"], ["y"], transB=1)
    return _model([node], [("W", w), ("B", b)], (1, k), "y", (1, n))


def tokens_fc_model(rng, t, k, n):
    w = np.ascontiguousarray(_weights(rng, (n, k), k).T)
    b = rng.normal(0, 0.2, n)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"]),
             helper.make_node("Add", ["m", "B"], ["y"])]
    return _model(nodes, [("W", w), ("B", b)], (1, t, k), "y", (1, t, n))


def softmax_model(rng, rows, cols):
    node = helper.make_node("Softmax", ["x"], ["y"], axis=-1)
    return _model([node], [], (1, rows, cols), "y", (1, rows, cols))


def add_model(rng, rows, cols):
    # One graph input: y = x + clip(x, -0.5, 0.75). The Clip is its own
    # (requantizing) layer, so the Add sees two int8 operands with different
    # scales and zero points, as CMSIS-NN's elementwise add does.
    nodes = [helper.make_node("Clip", ["x", "lo", "hi"], ["c"]),
             helper.make_node("Add", ["x", "c"], ["y"])]
    return _model(nodes, [("lo", np.array(-0.5)), ("hi", np.array(0.75))],
                  (1, rows, cols), "y", (1, rows, cols))


# key: (title, builder, work, unit, weighted, layer op in the run report)
LAYERS = {
    "a": ("conv 3x3 s1 p1, 16x16x32 -> 32", lambda r: conv_model(r, 32, 32, 16, 3),
          16 * 16 * 32 * 32 * 9, "MAC", True, ("conv2d",)),
    "b": ("conv 1x1, 16x16x64 -> 64", lambda r: conv_model(r, 64, 64, 16, 1),
          16 * 16 * 64 * 64, "MAC", True, ("conv2d",)),
    "c": ("depthwise 3x3 s1 p1, 16x16x64", lambda r: conv_model(r, 64, 64, 16, 3, 64),
          16 * 16 * 64 * 9, "MAC", True, ("depthwise_conv2d", "depthwise", "conv2d")),
    "d": ("FC 256 -> 256", lambda r: gemm_model(r, 256, 256),
          256 * 256, "MAC", True, ("fully_connected",)),
    "e": ("FC 64 tokens x 128 -> 128", lambda r: tokens_fc_model(r, 64, 128, 128),
          64 * 128 * 128, "MAC", True, ("fully_connected",)),
    "g": ("softmax 256 rows x 64", lambda r: softmax_model(r, 256, 64),
          256 * 64, "elem", False, ("softmax",)),
    "h": ("add 64x128 (x + clip(x))", lambda r: add_model(r, 64, 128),
          64 * 128, "elem", False, ("add",)),
}


def read_cmsis(path):
    """CMSIS-NN instructions per layer letter from BENCHMARKS.md's first
    table; the built-in copy where the file is missing."""
    if not path or not os.path.exists(path):
        return dict(CMSIS_NN), "built-in copy of BENCHMARKS.md"
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\|\s*([a-i])\s*\|[^|]*\|[^|]*\|\s*([\d,]+)\s*\|", line)
            if m and m.group(1) not in out:
                out[m.group(1)] = int(m.group(2).replace(",", ""))
    for k, v in CMSIS_NN.items():
        out.setdefault(k, v)
    return out, path


def run_tool(cmd):
    return random_layers.run_tool(cmd, timeout=600)


def pick_layer(layers, ops):
    for op in ops:
        for lay in layers:
            if lay.get("op") == op or lay.get("kernel") == op:
                return lay
    return None


def bench_one(args, key, fmt, cmsis):
    title, build, work, unit, weighted, ops = LAYERS[key]
    rng = np.random.default_rng([args.seed, ord(key)])
    model = build(rng)
    x_shape = tuple(d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim)
    d = os.path.join(args.work, "%s_%s_%s" % (key, fmt, args.board))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    mpath, cpath, xpath = (os.path.join(d, n) for n in ("model.onnx", "calib.npy", "x.npy"))
    onnx.save(model, mpath)
    # Asymmetric input range: non-zero input zero point.
    np.save(cpath, rng.uniform(-1.0, 1.5, size=(8,) + x_shape).astype(np.float32))
    np.save(xpath, rng.uniform(-1.0, 1.5, size=x_shape).astype(np.float32))
    bdir = os.path.join(d, "build")
    row = dict(key=key, layer=title, weight_format_requested=fmt, board=args.board,
               work=work, unit=unit, cmsis_nn=cmsis.get(key), target=TARGETS.get(key),
               dir=d, errors=[])
    comp = [args.tinyformer, "compile", mpath, "--calib", cpath, "--cpu",
            CPU_OF_BOARD[args.board], "-o", bdir]
    if weighted:
        comp += ["--weight-format", fmt]
    r = run_tool(comp)
    if r.returncode != 0:
        row["errors"].append("compile: " + (r.stderr or r.stdout).strip()[-400:])
        return row
    with open(os.path.join(bdir, "compile_report.json")) as f:
        crep = json.load(f)
    yemu, yhost, rpath = (os.path.join(d, n) for n in ("y_emu.npy", "y_host.npy", "run.json"))
    emu = [args.tinyformer, "run", bdir, "--input", xpath, "--output", yemu,
           "--board", args.board, "--report", rpath]
    r = run_tool(emu)
    if r.returncode != 0:
        row["errors"].append("emulator: " + (r.stderr or r.stdout).strip()[-400:])
        return row
    with open(rpath) as f:
        rrep = json.load(f)
    lay = pick_layer(rrep.get("layers", []), ops)
    clay = pick_layer(crep.get("layers", []), ops)
    if lay is None:
        row["errors"].append("no %s layer in the run report" % "/".join(ops))
        return row
    row.update(
        layer_name=lay.get("name"), kernel=lay.get("kernel"),
        weight_format=lay.get("weight_format"),
        macs_reported=lay.get("macs"),
        instructions=lay.get("instructions"),
        estimated_instructions=lay.get("estimated_instructions"),
        model_instructions=rrep.get("instructions"),
        weight_bytes=(clay or {}).get("weight_bytes"),
        flash_bytes=rrep.get("flash_bytes", crep.get("flash_bytes")),
        arena_bytes=rrep.get("arena_bytes"), stack_bytes=rrep.get("stack_bytes"),
        layers_in_model=len(rrep.get("layers", [])))
    if row["instructions"]:
        row["per_unit"] = row["instructions"] / float(work)
        if row["cmsis_nn"]:
            row["ratio"] = row["instructions"] / float(row["cmsis_nn"])
            if row["target"] is not None:
                row["meets_target"] = row["ratio"] <= row["target"]
    host = [args.tinyformer, "run", "--host", bdir, "--input", xpath, "--output", yhost]
    r = run_tool(host)
    if r.returncode != 0 and "cannot read this constant" in r.stderr:
        # Known host-interpreter limitation (i32 blobs): compare against the
        # host run of a copy with those constants written inline instead.
        row["errors"].append("host reference: " + (r.stderr or r.stdout).strip()[-400:])
        alt = bdir + "_inlined"
        n = random_layers.inline_i32_resources(bdir, alt)
        r = run_tool([args.tinyformer, "run", "--host", alt, "--input", xpath,
                      "--output", yhost])
        row["host_workaround"] = "%d i32 blob(s) inlined" % n
    if r.returncode != 0:
        row["bit_exact"] = None
        row["errors"].append("host reference: " + (r.stderr or r.stdout).strip()[-400:])
    else:
        a, e = np.load(yemu), np.load(yhost)
        row["bit_exact"] = bool(a.shape == e.shape and np.array_equal(a, e))
        if not row["bit_exact"]:
            row["mismatches"] = int(np.sum(a != e)) if a.shape == e.shape else -1
    return row


def fmt_int(v):
    return "-" if v is None else "{:,}".format(v)


def table(rows, board, source):
    hdr = ["layer", "weights", "work", "instructions", "per unit", "CMSIS-NN",
           "ours/CMSIS", "target", "meets", "weight bytes", "flash (model)",
           "bit-exact"]
    lines = ["| " + " | ".join(hdr) + " |",
             "|" + "|".join(["---"] * 2 + ["---:"] * 9 + ["---"]) + "|"]
    for r in rows:
        wf = r.get("weight_format") or "-"
        if not LAYERS[r["key"]][4]:
            wf = "-"
        elif r["weight_format_requested"] != wf:
            wf = "%s->%s" % (r["weight_format_requested"], wf)
        exact = {True: "yes", False: "NO (%s differ)" % r.get("mismatches"),
                 None: "n/a"}[r.get("bit_exact")]
        if r.get("bit_exact") is None and r["errors"]:
            exact = "ERROR"
        elif r.get("host_workaround"):
            exact += " (*)"
        lines.append("| " + " | ".join([
            "%s %s" % (r["key"], r["layer"]), wf,
            "%s %s" % (fmt_int(r["work"]), r["unit"]),
            fmt_int(r.get("instructions")),
            "%.3f" % r["per_unit"] if r.get("per_unit") else "-",
            fmt_int(r.get("cmsis_nn")),
            "%.3f" % r["ratio"] if r.get("ratio") else "-",
            "<= %.2f" % r["target"] if r.get("target") else "-",
            {True: "yes", False: "no"}.get(r.get("meets_target"), "-"),
            fmt_int(r.get("weight_bytes")), fmt_int(r.get("flash_bytes")), exact]) + " |")
    notes = ["", "Board %s (%s), instructions of the layer itself (per-layer run report, "
             "call included); CMSIS-NN figures from %s (Cortex-M4, mps2-an386)."
             % (board, CPU_OF_BOARD[board], source)]
    if any(r.get("host_workaround") for r in rows):
        notes.append("(*) the host reference could not read the build's model.mlir "
                     "(an i32 dense_resource blob: biases of more than 64 outputs, "
                     "before commit c70bd0e); "
                     "compared against the host run of a copy with those blobs written "
                     "inline as dense<[...]>.")
    errs = [(r["key"], r["weight_format_requested"], e) for r in rows for e in r["errors"]]
    if errs:
        notes.append("")
        notes.append("Errors and notes:")
        for k, f, e in errs:
            notes.append("- %s [%s]: %s" % (k, f, e.replace("\n", " ")))
    return "\n".join(lines + notes) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", choices=sorted(CPU_OF_BOARD), default="m4")
    p.add_argument("--layers", default=",".join(LAYERS))
    p.add_argument("--formats", default="int8,int16,auto",
                   help="weight formats for conv/FC layers")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", help="write the table as markdown to this file")
    p.add_argument("--json", help="write the rows as JSON to this file")
    p.add_argument("--work", help="folder for models and builds (default: temporary)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    p.add_argument("--tinyformer", default=os.path.join(REPO, "build", "bin", "tinyformer"))
    p.add_argument("--benchmarks-md",
                   default=os.path.join(REPO, "..", "shared", "BENCHMARKS.md"))
    args = p.parse_args(argv)
    keys = [k.strip() for k in args.layers.split(",") if k.strip()]
    for k in keys:
        if k not in LAYERS:
            p.error("unknown layer %r (have %s)" % (k, ",".join(LAYERS)))
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    tmp = None
    if not args.work:
        tmp = args.work = tempfile.mkdtemp(prefix="tinyformer_bench.")
    os.makedirs(args.work, exist_ok=True)
    cmsis, source = read_cmsis(os.path.normpath(args.benchmarks_md))

    t0 = time.time()
    rows = []
    for k in keys:
        for fmt in (formats if LAYERS[k][4] else ["auto"]):
            t1 = time.time()
            row = bench_one(args, k, fmt, cmsis)
            row["seconds"] = round(time.time() - t1, 2)
            rows.append(row)
            print("  %s %-5s %s instr%s (%.1f s)" % (
                k, fmt, fmt_int(row.get("instructions")),
                "" if not row["errors"] else "  [%s]" % "; ".join(row["errors"])[:200],
                row["seconds"]), file=sys.stderr)
    md = table(rows, args.board, source)
    print(md, end="")
    print("(%.1f s)" % (time.time() - t0))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(board=args.board, cpu=CPU_OF_BOARD[args.board],
                           seed=args.seed, cmsis_source=source, rows=rows), f, indent=1)
            f.write("\n")
    if tmp and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = any(r.get("bit_exact") is not True for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
