#!/usr/bin/python3
"""How close the cost model's estimates are to the emulator, per layer and per
model, on whole models (not the random layers the rates were fitted on).

  bench/cost_accuracy.py [--board m4|m7] [--models fixtures,examples,zoo]
                         [--markdown FILE] [--json FILE] [--work DIR]

Each model is compiled with plain `tinyformer compile --cpu` (the board's CPU)
and run once on the emulator with `--report`; the report lists, per layer, the
compile-time estimate beside the measured instructions. Printed: per kernel,
the median and 90th percentile of |estimate / measured - 1| over layers;
per model, the error of the total; overall, the per-layer median (layers of
at least 2,000 measured instructions: smaller ones are call overhead) and the
median whole-model error. The issue's goals: per-layer median <= 10%,
whole-model <= 5%.

Models: `fixtures` (test/fixtures/models, float, opset 13: small CNN, ResNet-8,
MobileNetV2, TinyViT, hybrid at 1x28x28 and 3x32x32), `examples` (the shipped
Fashion-MNIST models, dense and pruned), `zoo` (python/tools/user_models.py).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "python"))
sys.path.insert(0, os.path.join(REPO, "python", "tools"))

MIN_LAYER = 2000


def fixture_models():
    d = os.path.join(REPO, "test", "fixtures", "models")
    for name in sorted(os.listdir(d)):
        if name.endswith("_op13_float.onnx"):
            shape = [int(v) for v in name.split("_")[-3].split("x")]
            yield name[: -len("_op13_float.onnx")], os.path.join(d, name), shape, None


def example_models():
    d = os.path.join(REPO, "examples")
    for name in sorted(os.listdir(d)):
        model = os.path.join(d, name, "model.onnx")
        if os.path.exists(model):
            calib = os.path.join(d, name, "calib.npy")
            yield name, model, None, calib


def zoo_models(work):
    import torch
    import user_models

    os.makedirs(work, exist_ok=True)
    for name, (cls, shape) in user_models.MODELS.items():
        torch.manual_seed(0)
        model = cls().eval()
        path = os.path.join(work, "zoo_%s.onnx" % name)
        torch.onnx.export(model, torch.randn(*shape), path, opset_version=13)
        yield "zoo_" + name, path, list(shape), None


def measure(name, model, shape, calib, board, work, tinyformer):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    if calib is None:
        calib = os.path.join(d, "calib.npy")
        np.save(calib, np.random.RandomState(0).uniform(-1, 1, [8] + shape).astype(np.float32))
    x = os.path.join(d, "x.npy")
    c = np.load(calib)
    np.save(x, c[:1])
    build = os.path.join(d, "build")
    cpu = "cortex-m7" if board == "m7" else "cortex-m4"
    p = subprocess.run([tinyformer, "compile", model, "--calib", calib, "--cpu", cpu,
                        "-o", build], capture_output=True, text=True)
    if p.returncode:
        print("%s: compile failed: %s" % (name, p.stderr.strip()[-200:]), file=sys.stderr)
        return None
    report = os.path.join(d, "report.json")
    p = subprocess.run([tinyformer, "run", build, "--input", x, "--output",
                        os.path.join(d, "y.npy"), "--board", board, "--report", report],
                       capture_output=True, text=True)
    if p.returncode:
        print("%s: run failed: %s" % (name, p.stderr.strip()[-200:]), file=sys.stderr)
        return None
    r = json.load(open(report))
    # The estimate's terms (for refits): the compile report's layer entries.
    compiled = {l["name"]: l for l in
                json.load(open(os.path.join(build, "compile_report.json")))["layers"]}
    layers = []
    for l in r["layers"]:
        c = compiled.get(l.get("name"), {})
        layers.append({"name": l.get("name"), "kernel": l.get("kernel"),
                       "storage": l.get("weight_storage"),
                       "estimated": l.get("estimated_instructions", 0),
                       "measured": l["instructions"],
                       "kernel_macs": c.get("kernel_macs"), "outputs": c.get("output_bytes"),
                       "sized": c.get("estimated_sized_instructions")})
    return {"model": name, "measured": r["instructions"],
            "estimated": sum(l["estimated"] for l in layers), "layers": layers}


def error(est, meas):
    return est / meas - 1 if meas else 0.0


def summarize(results):
    by_kernel = {}
    per_layer = []
    for m in results:
        for l in m["layers"]:
            if l["measured"] < MIN_LAYER:
                continue
            e = error(l["estimated"], l["measured"])
            by_kernel.setdefault(l["kernel"], []).append(e)
            per_layer.append(abs(e))
    kernels = []
    for k, es in sorted(by_kernel.items()):
        a = sorted(abs(e) for e in es)
        kernels.append({"kernel": k, "layers": len(es), "median_signed": statistics.median(es),
                        "median_abs": statistics.median(a),
                        "p90_abs": a[min(len(a) - 1, int(0.9 * len(a)))]})
    models = [{"model": m["model"], "estimated": m["estimated"], "measured": m["measured"],
               "error": error(m["estimated"], m["measured"])} for m in results]
    return {"per_layer_median_abs": statistics.median(per_layer) if per_layer else 0,
            "whole_model_median_abs": statistics.median(abs(m["error"]) for m in models)
            if models else 0,
            "kernels": kernels, "models": models}


def markdown(s, board):
    out = ["Cost model vs emulator (%s), layers of >= %d instructions: per-layer median "
           "|error| %.1f%%, whole-model median |error| %.1f%%" %
           (board, MIN_LAYER, 100 * s["per_layer_median_abs"],
            100 * s["whole_model_median_abs"]), "",
           "| kernel | layers | median error | median abs | p90 abs |", "|---|---:|---:|---:|---:|"]
    for k in s["kernels"]:
        out.append("| %s | %d | %+.1f%% | %.1f%% | %.1f%% |" % (
            k["kernel"], k["layers"], 100 * k["median_signed"], 100 * k["median_abs"],
            100 * k["p90_abs"]))
    out += ["", "| model | estimated | measured | error |", "|---|---:|---:|---:|"]
    for m in s["models"]:
        out.append("| %s | %s | %s | %+.1f%% |" % (m["model"], format(m["estimated"], ","),
                                                   format(m["measured"], ","),
                                                   100 * m["error"]))
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--board", choices=["m4", "m7"], default="m4")
    p.add_argument("--models", default="fixtures,examples,zoo")
    p.add_argument("--only", help="comma-separated model names")
    p.add_argument("--markdown")
    p.add_argument("--json")
    p.add_argument("--work")
    p.add_argument("--tinyformer", default=os.path.join(REPO, "build", "bin", "tinyformer"))
    a = p.parse_args(argv)
    work = a.work or tempfile.mkdtemp(prefix="cost-accuracy-")
    sources = a.models.split(",")
    models = []
    if "fixtures" in sources:
        models += list(fixture_models())
    if "examples" in sources:
        models += list(example_models())
    if "zoo" in sources:
        models += list(zoo_models(work))
    if a.only:
        keep = set(a.only.split(","))
        models = [m for m in models if m[0] in keep]
    results = []
    for name, model, shape, calib in models:
        r = measure(name, model, shape, calib, a.board, work, a.tinyformer)
        if r:
            results.append(r)
            print("%-32s estimated %10d measured %10d  %+6.1f%%" % (
                name, r["estimated"], r["measured"], 100 * error(r["estimated"], r["measured"])),
                flush=True)
    s = summarize(results)
    text = markdown(s, a.board)
    print(text)
    if a.markdown:
        open(a.markdown, "w").write(text)
    if a.json:
        json.dump({"board": a.board, "summary": s, "results": results}, open(a.json, "w"),
                  indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
