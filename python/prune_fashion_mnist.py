#!/usr/bin/python3
"""Prune a shipped Fashion-MNIST demo model by magnitude, fine-tune it with masks and
export it like the dense trainers do (torch 1.13 + onnx 1.12).

  /usr/bin/python3 python/prune_fashion_mnist.py --model cnn|hybrid --sparsity 0.9
      --pattern unstructured|1x4|4x1|2:4|1:4 --epochs N --out-dir DIR
      [--data-dir /usr/share/datasets/fashion-mnist] [--threads 1] [--train-limit N]
      [--seed 0] [--lr 1e-3] [--skip first|last|first,last|none]
      [--prune-end 0.7] [--prune-every 20]

Start: the dense model shipped in examples/fashion_mnist (cnn) or
examples/fashion_mnist_hybrid (hybrid). No torch state is shipped, so the weights are
read back from its model.onnx into the trainer's torch module (FashionCNN, or
fixtures.Hybrid as built by train_fashion_mnist_transformer.py) whose BatchNorms were
first folded into the convolutions (tinyformer.pruning.fold_batchnorm): the exporter had
folded them already. The reloaded model must reproduce the dense
float_logits_first1000.npy to 1e-4, or the script stops.

Pruning (python/tinyformer/pruning.py): per-layer magnitude masks with --pattern, the
same --sparsity for every pruned layer (for N:M it is 1 - N/M and may be left out),
reached gradually on Zhu & Gupta's cubic schedule from step 0 to --prune-end of all
fine-tuning steps, masks recomputed every --prune-every steps and re-applied after every
optimizer step. --skip (default cnn: first; hybrid: first,last) leaves the first conv
and/or the last Linear (the classifier) dense. For the CNN's classifier (fed by a
flatten of 64x7x7) block and N:M groups run along channels (HWC order, as the compiler
lays the weight out); conv groups run along K in OHWI order.

Fine-tuning: the dense trainers' fit() (AdamW + one-cycle, batch 128, deterministic, one
thread), with --lr as peak and the dense trainer's weight decay.

Writes to --out-dir, as the dense trainers do: model.onnx (same input/output names,
opset 13, same ops and op counts as the dense model; pruned weights are +0.0, never
-0.0), calib.npy, float_logits_first1000.npy, metrics.json (float accuracy on the 10k
test set, the dense accuracy, one-shot accuracy before fine-tuning, per-layer sparsity,
the ONNX checker's report, the command) and README.md.
The export is checked like the trainers check theirs: a float64 numpy interpreter (and
ONNX Runtime through tools/ort-run when installed) must match torch to 1e-4 on the first
--check-images test images; and tinyformer.pruning.check_onnx must find no -0.0 in a
weight and every pruned weight conforming to --pattern.
"""
import argparse
import copy
import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tinyformer import datasets, pruning  # noqa: E402
import train_fashion_mnist as cnn_trainer  # noqa: E402
import train_fashion_mnist_transformer as tf_trainer  # noqa: E402
from train_fashion_mnist import (fit, predict, prepare_data,  # noqa: E402
                                 save_float_outputs, to_float)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

REPO = os.path.dirname(HERE)
DENSE_DIRS = {"cnn": os.path.join(REPO, "examples", "fashion_mnist"),
              "hybrid": os.path.join(REPO, "examples", "fashion_mnist_hybrid")}
DEFAULTS = {  # the dense trainers' weight decay; skip rules
    "cnn": {"weight_decay": 1e-4, "skip": "first"},
    "hybrid": {"weight_decay": 0.05, "skip": "first,last"},
}
PROG = "prune_fashion_mnist"


def build_model(kind):
    if kind == "cnn":
        return cnn_trainer.FashionCNN()
    return tf_trainer.build_model("hybrid", 1)


# ----------------------------------------------------------------- dense weights from ONNX

def onnx_weight_map(onnx_model, model):
    """{torch module name: (weight initializer, bias initializer or None, transpose)}
    for every Conv2d / Linear of `model` in the exported graph:
      Conv nodes in graph order <-> Conv2d modules in module order;
      Gemm with B named '<module>.weight' <-> that Linear;
      MatMul with a constant B followed by an Add of '<module>.bias' <-> that Linear
      (B is the transposed weight)."""
    inits = {i.name for i in onnx_model.graph.initializer}
    consumers = {}
    for n in onnx_model.graph.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)
    convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    linears = {n for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    out = {}
    conv_nodes = [n for n in onnx_model.graph.node if n.op_type == "Conv"]
    if len(conv_nodes) != len(convs):
        raise SystemExit("%s: %d Conv nodes but %d Conv2d modules"
                         % (PROG, len(conv_nodes), len(convs)))
    for name, node in zip(convs, conv_nodes):
        out[name] = (node.input[1], node.input[2] if len(node.input) > 2 else None, False)
    for node in onnx_model.graph.node:
        if node.op_type == "Gemm" and node.input[1] in inits:
            name = node.input[1][:-len(".weight")]
            tb = any(a.name == "transB" and a.i for a in node.attribute)
            if node.input[1].endswith(".weight") and name in linears:
                out[name] = (node.input[1], node.input[2] if len(node.input) > 2 else None,
                             not tb)
        elif node.op_type == "MatMul" and node.input[1] in inits:
            for add in consumers.get(node.output[0], []):
                bias = [x for x in add.input if x in inits and x.endswith(".bias")]
                if add.op_type == "Add" and bias and bias[0][:-5] in linears:
                    out[bias[0][:-5]] = (node.input[1], bias[0], True)
    missing = sorted(({n for n in convs} | linears) - set(out))
    if missing:
        raise SystemExit("%s: no ONNX weights found for %s" % (PROG, missing))
    return out


def load_onnx_weights(model, onnx_model):
    """Copies the exported graph's initializers into `model` (BatchNorm already folded):
    Conv/Linear through onnx_weight_map, every other parameter by its name. Every
    parameter must be set exactly once."""
    arrays = {i.name: numpy_helper.to_array(i) for i in onnx_model.graph.initializer}
    wmap = onnx_weight_map(onnx_model, model)
    params = dict(model.named_parameters())
    done = set()

    def put(pname, a):
        p = params[pname]
        t = torch.from_numpy(np.array(a, np.float32))
        if tuple(t.shape) != tuple(p.shape):
            raise SystemExit("%s: %s has shape %s in the ONNX file, %s in torch"
                             % (PROG, pname, tuple(t.shape), tuple(p.shape)))
        with torch.no_grad():
            p.copy_(t)
        done.add(pname)

    for mod, (w, b, transpose) in wmap.items():
        put(mod + ".weight", arrays[w].T if transpose else arrays[w])
        if b is not None:
            put(mod + ".bias", arrays[b])
    for pname in params:
        if pname not in done and pname in arrays:
            put(pname, arrays[pname])
    left = sorted(set(params) - done)
    if left:
        raise SystemExit("%s: parameters not in the ONNX file: %s" % (PROG, left))
    return wmap


# ----------------------------------------------------------------- README

def write_readme(out_dir, args, metrics):
    d = metrics["dense"]
    pr = metrics["pruning"]
    lines = [
        "# Fashion-MNIST %s, magnitude-pruned (%s, %g %%)" % (
            "CNN" if args.model == "cnn" else "hybrid transformer", pr["pattern"],
            100 * pr["sparsity_target"]),
        "",
        "The dense model of `%s` pruned by weight magnitude and fine-tuned with masks by "
        "`python/prune_fashion_mnist.py` (library: `python/tinyformer/pruning.py`). Same "
        "input (pixel / 255, no normalisation), same ONNX input `input` / output `logits`, "
        "opset %d, and the same ops and op counts as the dense model, so the compiler "
        "takes it the same way. Same file layout as the dense folder: `model.onnx`, "
        "`calib.npy` (byte-identical to the dense one), `float_logits_first1000.npy`, "
        "`metrics.json`." % (d["dir"], metrics["onnx"]["opset"]),
        "",
        "## Accuracy (float, full 10,000-image test set)",
        "",
        "| model | test accuracy |",
        "|---|---|",
        "| dense (`%s`) | %.2f %% |" % (d["dir"],
                                       100 * d["test_accuracy"]),
        "| pruned, before fine-tuning (one-shot masks) | %.2f %% |"
        % (100 * pr["one_shot_test_accuracy"]),
        "| **pruned and fine-tuned (this model)** | **%.2f %%** |"
        % (100 * metrics["test_accuracy"]),
        "",
        "Test images 0-999: %.1f %%." % (100 * metrics["test_accuracy_first1000"]),
        "",
        "## What is pruned",
        "",
        "Pattern `%s`, %g %% of the weights of every pruned layer (rounding: "
        "floor(s * units + 0.5) units pruned per layer, see `python/tinyformer/pruning.py`). "
        "Biases, LayerNorm parameters and the layers below marked dense are not pruned."
        % (pr["pattern"], 100 * pr["sparsity_target"]),
        "",
        "| layer (torch) | ONNX initializer | shape | weights | zeros | sparsity |",
        "|---|---|---|---|---|---|",
    ]
    for name, L in pr["layers"].items():
        lines.append("| `%s` | `%s` | %s | %d | %d | %s |" % (
            name, L["onnx_initializer"], "x".join(map(str, L["shape"])), L["params"],
            L["zeros"], "%.4f" % L["sparsity"] if L["pruned"] else "dense (%s)"
            % L["why_dense"]))
    lines += [
        "",
        "- Pruned layers: %d of %d weights are zero (%.2f %%)."
        % (pr["pruned_layers_zeros"], pr["pruned_layers_params"],
           100 * pr["pruned_layers_sparsity"]),
        "- All Conv/Gemm/MatMul weights: %d of %d zero (%.2f %%)."
        % (pr["all_weights_zeros"], pr["all_weights_params"],
           100 * pr["all_weights_sparsity"]),
        "- Every pruned weight is +0.0 (no -0.0 anywhere in the file; checked by "
        "`python/tinyformer/pruning.py model.onnx --pattern %s`)." % pr["pattern"],
        "- BatchNorm was folded into the convolutions before pruning, so the masks act on "
        "the weights in the file.",
        "",
        "## How it was made",
        "",
        "    /usr/bin/python3 %s" % metrics["command"],
        "",
        "- Start: the dense weights, read back from `%s/model.onnx` (reproduces its "
        "float logits to %.1g)." % (d["dir"],
                                    d["max_abs_diff_reloaded_vs_dense_logits_first1000"]),
        "- Schedule: cubic (Zhu & Gupta) from 0 to the target over steps %d-%d of %d, "
        "masks recomputed every %d steps and re-applied after every optimizer step."
        % (pr["schedule"]["begin_step"], pr["schedule"]["end_step"], pr["total_steps"],
           pr["schedule"]["every"]),
        "- Fine-tuning: %d epoch%s, %s, batch %d, one CPU thread, deterministic; %.0f s."
        % (metrics["epochs"], "s" if metrics["epochs"] != 1 else "", metrics["optimizer"], metrics["batch_size"],
           metrics["train_seconds"]),
        "- Export check: ONNX vs torch max |diff| %s on the first %d test images."
        % (", ".join("%s %.2g" % (k, v) for k, v in
                     metrics["onnx"]["max_abs_diff_vs_torch"].items() if v is not None),
           metrics["onnx"]["check_images"]),
        "- Software: torch %s, onnx %s, numpy %s." % (
            metrics["torch_version"], metrics["onnx_version"], metrics["numpy_version"]),
        "",
    ]
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines))


# ----------------------------------------------------------------- main

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["cnn", "hybrid"], required=True)
    p.add_argument("--sparsity", type=float, default=None,
                   help="per pruned layer (default 0.9; N:M: 1 - N/M)")
    p.add_argument("--pattern", default="unstructured",
                   help="unstructured, 1x4, 4x1, 2:4, 1:4 (any RxC or N:M)")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--dense-dir", default=None,
                   help="dense model folder (default examples/fashion_mnist[_hybrid])")
    p.add_argument("--data-dir", default=datasets.DEFAULT_FASHION_MNIST_DIR)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--train-limit", type=int, default=0,
                   help="use only the first N training images (smoke tests; 0 = all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3, help="one-cycle peak learning rate")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="default: the dense trainer's (cnn 1e-4, hybrid 0.05)")
    p.add_argument("--skip", default=None,
                   help="layers left dense: first (conv), last (Linear), first,last, none "
                        "(default cnn: first; hybrid: first,last)")
    p.add_argument("--prune-end", type=float, default=0.7,
                   help="fraction of the fine-tuning steps at which the target is reached")
    p.add_argument("--prune-every", type=int, default=20, help="steps between mask updates")
    p.add_argument("--check-images", type=int, default=100)
    args = p.parse_args(argv)
    try:
        pruning.parse_pattern(args.pattern)
    except ValueError as e:
        p.error(str(e))
    nm = pruning.nm_sparsity(args.pattern)
    if args.sparsity is None:
        args.sparsity = nm if nm is not None else 0.9
    if nm is not None and abs(args.sparsity - nm) > 1e-9:
        p.error("--pattern %s means --sparsity %g" % (args.pattern, nm))
    if not 0.0 < args.sparsity < 1.0:
        p.error("--sparsity must be in (0, 1)")
    if args.epochs < 1:
        p.error("--epochs must be >= 1")
    if not 0.0 <= args.prune_end <= 1.0 or args.prune_every < 1:
        p.error("--prune-end must be in [0, 1], --prune-every >= 1")
    if args.weight_decay is None:
        args.weight_decay = DEFAULTS[args.model]["weight_decay"]
    skip = (args.skip or DEFAULTS[args.model]["skip"]).split(",")
    if not set(skip) <= {"first", "last", "none"}:
        p.error("--skip takes first, last, first,last or none")
    dense_dir = args.dense_dir or DENSE_DIRS[args.model]

    data = prepare_data(args, PROG)
    if data is None:
        return 2
    train_x, _, test_x, test_y, calib, calib_idx, _ = data

    # Dense start: the shipped ONNX weights in the BN-folded torch module.
    with open(os.path.join(dense_dir, "metrics.json")) as f:
        dense_metrics = json.load(f)
    dense_onnx = onnx.load(os.path.join(dense_dir, "model.onnx"))
    model = pruning.fold_batchnorm(build_model(args.model))
    load_onnx_weights(model, dense_onnx)
    dense_logits = predict(model, test_x).numpy()
    dense_acc = float((dense_logits.argmax(1) == test_y).mean())
    ref = np.load(os.path.join(dense_dir, "float_logits_first1000.npy"))
    reload_diff = float(np.abs(dense_logits[:len(ref)] - ref).max())
    print("dense model from %s: test accuracy %.4f (metrics.json: %.4f), logits vs "
          "float_logits_first1000.npy max |diff| %.2g"
          % (dense_dir, dense_acc, dense_metrics["test_accuracy"], reload_diff), flush=True)
    if reload_diff > 1e-4:
        raise SystemExit("%s: the weights read back from %s do not reproduce its logits"
                         % (PROG, dense_dir))

    steps_per_epoch = (len(train_x) + args.batch_size - 1) // args.batch_size
    total_steps = args.epochs * steps_per_epoch
    schedule = pruning.GradualSchedule(0, int(round(args.prune_end * total_steps)),
                                       args.prune_every)
    flatten = {"classifier": (64, 7, 7)} if args.model == "cnn" else None
    pkw = dict(pattern=args.pattern, skip_first="first" in skip,
               skip_last="last" in skip, flatten_chw=flatten)

    # One-shot figure: the final masks on the dense weights, no fine-tuning.
    oneshot = copy.deepcopy(model)
    po = pruning.Pruner(oneshot, args.sparsity, **pkw)
    po.set_final_masks()
    po.apply()
    oneshot_acc = float((predict(oneshot, test_x).argmax(1).numpy() == test_y).mean())
    del oneshot, po
    print("one-shot %s %.2f (no fine-tuning): test accuracy %.4f"
          % (args.pattern, args.sparsity, oneshot_acc), flush=True)

    pruner = pruning.Pruner(model, args.sparsity, schedule=schedule, **pkw)
    print("pruning %s to %g (%s); dense: %s; schedule %s over %d steps"
          % ([L.name for L in pruner.layers], args.sparsity, args.pattern, pruner.skipped,
             schedule.as_dict(), total_steps), flush=True)
    handle = pruner.attach()
    history, train_seconds, logits, test_acc = fit(model, data, args)
    handle.remove()
    pruner.finalize()
    final_logits = predict(model, test_x).numpy()
    if not np.array_equal(final_logits, logits):
        raise SystemExit("%s: masks changed the model after fit()" % PROG)
    rep = pruner.report()
    for name, r in rep.items():
        if not r["pattern_conforms"] or r["negative_zeros"]:
            raise SystemExit("%s: layer %s does not follow %s or has -0.0"
                             % (PROG, name, args.pattern))

    # Export exactly as the dense trainers do, then +0.0 for any -0.0.
    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "model.onnx")
    m = tf_trainer.export_onnx(model, onnx_path)
    neg_fixed = pruning.sanitize_negative_zeros(m)
    if neg_fixed:
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, onnx_path)
    ops = sorted({nd.op_type for nd in m.graph.node})
    op_counts = {}
    for nd in m.graph.node:
        op_counts[nd.op_type] = op_counts.get(nd.op_type, 0) + 1
    dense_counts = {}
    for nd in dense_onnx.graph.node:
        dense_counts[nd.op_type] = dense_counts.get(nd.op_type, 0) + 1
    if op_counts != dense_counts:
        raise SystemExit("%s: op counts %s differ from the dense model's %s"
                         % (PROG, op_counts, dense_counts))
    if args.model == "cnn" and not set(ops) <= cnn_trainer.ALLOWED_OPS:
        raise SystemExit("%s: unexpected ops in the export: %s" % (PROG, ops))

    # The exported graph must compute what torch computes (the trainers' checks).
    run_numpy = (cnn_trainer.run_onnx_numpy if args.model == "cnn"
                 else tf_trainer.run_onnx_numpy)
    n_check = min(args.check_images, len(test_x))
    diffs, macs = [], 0
    for i in range(n_check):
        y, macs = run_numpy(m, to_float(test_x[i:i + 1]).numpy())
        diffs.append(float(np.abs(y[0] - logits[i]).max()))
    checks = {"numpy_float64_vs_torch": max(diffs)}
    node = tf_trainer.ort_run_available()
    checks["onnxruntime_vs_torch"] = (tf_trainer.check_with_ort_run(
        node, onnx_path, test_x[:n_check], logits) if node else None)
    print("export check, first %d test images: %s" % (n_check, checks), flush=True)
    max_diff = max(v for v in checks.values() if v is not None)
    if max_diff > 1e-4:
        raise SystemExit("%s: ONNX and torch logits differ by %g" % (PROG, max_diff))

    # The file itself: sparsity, no -0.0, pattern conformance.
    chk = pruning.check_onnx(m, args.pattern)
    print(pruning.format_report(chk), flush=True)
    if not chk["ok"]:
        raise SystemExit("%s: the ONNX checker failed" % PROG)

    sha, first = save_float_outputs(args.out_dir, onnx_path, calib, logits, test_y)

    # Per-layer table: torch name -> ONNX initializer (names change after export).
    out_map = onnx_weight_map(m, model)
    layers = {}
    for name, mod in pruning.prunable_layers(model):
        init = out_map[name][0]
        c = chk["weights"][init]
        L = {"onnx_initializer": init, "shape": list(mod.weight.shape),
             "params": c["params"], "zeros": c["zeros"], "sparsity": c["sparsity"],
             "negative_zeros": c["negative_zeros"], "pruned": name in rep}
        if name in rep:
            if rep[name]["zeros"] != c["zeros"]:
                raise SystemExit("%s: %s has %d zeros in torch, %d in ONNX"
                                 % (PROG, name, rep[name]["zeros"], c["zeros"]))
            L.update(target=rep[name]["target"], pattern=args.pattern,
                     pattern_conforms=c["conforms"][args.pattern]
                     if args.pattern in c["conforms"] else True)
            if "k_order" in rep[name]:
                L["k_order"] = rep[name]["k_order"]
        else:
            first_name = pruning.prunable_layers(model)[0][0]
            L["why_dense"] = "first conv" if name == first_name else "classifier"
        layers[name] = L
    pp = sum(L["params"] for L in layers.values() if L["pruned"])
    pz = sum(L["zeros"] for L in layers.values() if L["pruned"])
    ap = sum(L["params"] for L in layers.values())
    az = sum(L["zeros"] for L in layers.values())

    metrics = {
        "arch": args.model,
        "test_accuracy": test_acc,
        "test_set_size": int(len(test_y)),
        "test_accuracy_first1000": float(first.mean()),
        "test_accuracy_first200": float(first[:200].mean()),
        "dense": {"dir": os.path.relpath(dense_dir, REPO), "test_accuracy": dense_metrics["test_accuracy"],
                  "test_accuracy_reloaded": dense_acc,
                  "max_abs_diff_reloaded_vs_dense_logits_first1000": reload_diff,
                  "sha256": dense_metrics["onnx"]["sha256"],
                  "command": dense_metrics.get("command")},
        "pruning": {
            "pattern": args.pattern, "sparsity_target": args.sparsity,
            "skip": skip, "skipped_layers": pruner.skipped,
            "rounding": "floor(s * units + 0.5) units (weights or blocks) per layer",
            "conv_k_order": "OHWI", "schedule": schedule.as_dict(),
            "total_steps": total_steps,
            "one_shot_test_accuracy": oneshot_acc,
            "layers": layers,
            "pruned_layers_params": pp, "pruned_layers_zeros": pz,
            "pruned_layers_sparsity": pz / float(pp),
            "all_weights_params": ap, "all_weights_zeros": az,
            "all_weights_sparsity": az / float(ap),
            "negative_zeros_rewritten_after_export": neg_fixed,
            "onnx_check": {"weights_negative_zeros": chk["weights_negative_zeros"],
                           "float_initializers_negative_zeros":
                               chk["float_initializers_negative_zeros"],
                           "ok": chk["ok"]},
        },
        "params": tf_trainer.onnx_params(m),
        "macs_dense": int(macs),
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "optimizer": "AdamW(weight_decay=%g) + OneCycleLR(max_lr=%g)"
                     % (args.weight_decay, args.lr),
        "train_images": int(len(train_x)),
        "train_seconds": round(train_seconds, 1),
        "threads": args.threads,
        "history": history,
        "input": "float32 [1,1,28,28] = pixel / 255, no mean/std normalisation",
        "onnx": {"opset": 13, "ir_version": int(m.ir_version), "input": "input",
                 "output": "logits", "ops": ops, "op_counts": dict(sorted(op_counts.items())),
                 "nodes": len(m.graph.node), "sha256": sha, "check_images": n_check,
                 "max_abs_diff_vs_torch": checks},
        "calib_train_indices": calib_idx,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "command": "python/prune_fashion_mnist.py " + " ".join(
            argv if argv is not None else sys.argv[1:]),
    }
    with open(os.path.join(args.out_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    write_readme(args.out_dir, args, metrics)
    print("pruned %s %s %.2f: float test accuracy %.4f (dense %.4f, one-shot %.4f); "
          "pruned layers %.4f sparse; training %.1f s; wrote %s"
          % (args.model, args.pattern, args.sparsity, test_acc,
             dense_metrics["test_accuracy"], oneshot_acc, pz / float(pp), train_seconds,
             args.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
