#!/usr/bin/python3
"""Train a tiny transformer on Fashion-MNIST and export it to ONNX (torch 1.13 + onnx 1.12).

  /usr/bin/python3 python/train_fashion_mnist_transformer.py [--arch hybrid|vit]
      [--epochs 18] [--seed 0] [--depth 1] [--out-dir examples/fashion_mnist_hybrid]
      [--data-dir /usr/share/datasets/fashion-mnist] [--threads 1] [--train-limit N]

The companion of python/train_fashion_mnist.py (the CNN demo): same data loading, same
input scaling, same calibration-image rule, same output files, but the model is one of
the transformer test-fixture classes from python/tinyformer/fixtures.py (imported, not
copied):

  --arch hybrid (default): fixtures.Hybrid(cin=1, hw=28, dim=32, heads=4, depth=--depth,
      mlp_hidden=64)
      ConvBNReLU(1->16, 3x3 stride 2) -> 16x14x14, ConvBNReLU(16->32, 3x3 stride 2) -> 32x7x7
      -> 49 tokens of dim 32 -> pre-LN encoder block(s) (4-head self-attention,
      MLP 32->64->32 with tanh GELU) -> LayerNorm -> mean over tokens -> Linear(32 -> 10)
  --arch vit: fixtures.TinyViT(cin=1, hw=28) (7x7 patches -> 16 tokens + class token,
      dim 32, 2 heads, depth 2 (or --depth), exact-erf GELU, class-token head)

Input: 1x1x28x28 float32, pixel / 255 in [0, 1], no mean/std normalisation (exactly like
the CNN demo), so an int8 input quantisation with scale 1/255 maps the raw pixels exactly.

Training: AdamW (lr 3e-3 peak, weight decay 0.05), one-cycle schedule, batch 128, no
augmentation, one CPU thread, fixed seeds and deterministic algorithms, so the same
command on the same software gives the same weights.

Export: the fixtures' torch.onnx.export options (model.eval(), torch.no_grad(),
opset 13, do_constant_folding=True, training=TrainingMode.EVAL, input name 'input'),
output name 'logits' (as in the CNN demo; the fixtures call it 'output'). BatchNorm is
folded into the convolutions; LayerNorm and the GELU are decomposed into primitive ops.

Writes to --out-dir (default examples/fashion_mnist_hybrid, or examples/fashion_mnist_vit
for --arch vit):
  model.onnx                  opset 13, input 'input' [1,1,28,28], output 'logits' [1,10]
  calib.npy                   float32 [64,1,28,28]: 64 training images / 255, class-balanced
                              fixed choice (same rule as the CNN demo; see metrics.json)
  float_logits_first1000.npy  float32 [1000,10]: the torch float model's logits for the
                              first 1000 test images (for image-by-image int8 vs float checks)
  metrics.json                float test accuracy (full 10k test set and first 1000), params,
                              MACs, history, timings, versions, command, ONNX ops + SHA-256

After export the ONNX graph is run on the first --check-images (100) test images by
  - a small float64 numpy interpreter of the exported ops (always; also counts the MACs), and
  - ONNX Runtime through tools/ort-run (node + onnxruntime-node; skipped, and recorded as
    skipped in metrics.json, when they are not installed),
and must match torch to 1e-4; the script fails otherwise.
"""
import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tinyformer import datasets  # noqa: E402
from tinyformer.fixtures import Hybrid, TinyViT  # noqa: E402
from train_fashion_mnist import (_conv, fit, prepare_data,  # noqa: E402
                                 save_float_outputs, to_float)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import torch  # noqa: E402

REPO = os.path.dirname(HERE)
ORT_RUN_DIR = os.path.join(REPO, "tools", "ort-run")
IR_VERSION = 8  # what the onnx 1.12 checker accepts at most
DIM, HEADS, MLP_HIDDEN, HW = 32, 4, 64, 28


def build_model(arch, depth):
    if arch == "hybrid":
        return Hybrid(1, HW, dim=DIM, heads=HEADS, depth=depth or 1, mlp_hidden=MLP_HIDDEN)
    return TinyViT(1, HW, depth=depth or 2)


def model_shape(arch, model):
    """Token count, width, heads, depth, MLP width (for the report)."""
    blk = model.blocks[0]
    if arch == "hybrid":
        tokens = (HW // 4) ** 2
    else:
        tokens = model.pos_embed.shape[1]   # patches + class token
    return {"tokens": int(tokens), "dim": int(blk.norm1.normalized_shape[0]),
            "heads": int(blk.attn.heads), "depth": len(model.blocks),
            "mlp_hidden": int(blk.mlp.fc1.out_features),
            "gelu": blk.mlp.act.approximate}


def export_onnx(model, path):
    """Same export options as tinyformer.fixtures._onnx_bytes (static shapes), output
    renamed 'logits'."""
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, (torch.zeros(1, 1, HW, HW),), path, opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL, export_params=True)
    m = onnx.load(path)
    if m.ir_version > IR_VERSION:
        m.ir_version = IR_VERSION
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    return m


# ----------------------------------------------------------------- numpy ONNX check

_UNARY = {"Relu": lambda x: np.maximum(x, 0), "Sqrt": np.sqrt, "Tanh": np.tanh,
          "Erf": np.vectorize(math.erf, otypes=[np.float64])}
_BINARY = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
           "Pow": np.power}


def run_onnx_numpy(model, x):
    """Float64 numpy interpretation of the exported transformer graphs (the ops Hybrid and
    TinyViT export to at opset 13). Returns (first output, MACs per image); MACs count
    Conv, MatMul and Gemm only (not LayerNorm, Softmax, GELU, residual adds, the mean)."""
    g = model.graph
    env = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    env = {k: (v.astype(np.float64) if v.dtype == np.float32 else v) for k, v in env.items()}
    env[g.input[0].name] = x.astype(np.float64)
    macs = 0
    for node in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            if any(d != 1 for d in a.get("dilations", [1, 1])):
                raise ValueError("dilated Conv")
            y, m = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                         a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                         a.get("group", 1))
            macs += m
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"])
            if y.dtype == np.float32:
                y = y.astype(np.float64)
        elif op in _UNARY:
            y = _UNARY[op](ins[0])
        elif op in _BINARY:
            y = _BINARY[op](ins[0], ins[1])
        elif op == "MatMul":
            y = ins[0] @ ins[1]
            macs += int(np.prod(y.shape)) * ins[0].shape[-1]
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
            macs += int(np.prod(y.shape)) * A.shape[1]
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(ins[0] - ins[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "ReduceMean":
            axes = a.get("axes")
            y = ins[0].mean(axis=tuple(axes) if axes is not None else None,
                            keepdims=bool(a.get("keepdims", 1)))
        elif op == "Transpose":
            y = np.transpose(ins[0], a.get("perm"))
        elif op == "Reshape":
            if a.get("allowzero", 0):
                raise ValueError("Reshape allowzero=1")
            shp = [ins[0].shape[i] if d == 0 else int(d) for i, d in enumerate(ins[1])]
            y = ins[0].reshape(shp)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Shape":
            y = np.array(ins[0].shape, np.int64)
        elif op == "Slice":
            data, starts, ends = ins[0], ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
            sl = [slice(None)] * data.ndim
            for st, en, ax, sp in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(st), int(en), int(sp))
            y = data[tuple(sl)]
        elif op == "Concat":
            y = np.concatenate(ins, axis=a["axis"])
        elif op == "Gather":
            y = np.take(ins[0], ins[1], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            y = ins[0]
            for ax in sorted(int(v) % (ins[0].ndim + len(ins[1])) for v in ins[1]):
                y = np.expand_dims(y, ax)
        elif op == "Squeeze":
            y = np.squeeze(ins[0], axis=tuple(int(v) for v in ins[1])
                           if len(ins) > 1 and ins[1] is not None else None)
        elif op == "Expand":
            y = ins[0] * np.ones(tuple(int(d) for d in ins[1]), ins[0].dtype)
        elif op == "ConstantOfShape":
            v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            y = np.full(tuple(int(d) for d in ins[0]), v.reshape(-1)[0], v.dtype)
        elif op == "Equal":
            y = np.equal(ins[0], ins[1])
        elif op == "Where":
            y = np.where(ins[0], ins[1], ins[2])
        elif op == "Cast":
            y = ins[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        else:
            raise ValueError("op %s not handled by the numpy checker" % op)
        env[node.output[0]] = y
    return env[g.output[0].name], macs


def onnx_params(model):
    """Float weights in the exported graph (initializers; shape constants excluded)."""
    return int(sum(np.prod(i.dims) for i in model.graph.initializer
                   if i.data_type == onnx.TensorProto.FLOAT))


# ----------------------------------------------------------------- ONNX vs torch

def ort_run_available():
    node = shutil.which("node")
    mod = os.path.join(ORT_RUN_DIR, "node_modules", "onnxruntime-node")
    return node if node and os.path.isdir(mod) else None


def check_with_ort_run(node, onnx_path, images_u8, torch_logits):
    """Runs tools/ort-run (ONNX Runtime, CPU, 1 thread) image by image; returns the max
    |ORT - torch| over the logits."""
    diffs = []
    with tempfile.TemporaryDirectory() as td:
        xin, yout = os.path.join(td, "x.npy"), os.path.join(td, "y.npy")
        for i in range(len(images_u8)):
            np.save(xin, np.ascontiguousarray(to_float(images_u8[i:i + 1]).numpy(), "<f4"))
            r = subprocess.run([node, os.path.join(ORT_RUN_DIR, "ort-run.mjs"), onnx_path,
                                xin, yout], capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit("train_fashion_mnist_transformer: ort-run failed: %s"
                                 % r.stderr.strip())
            y = np.load(yout)
            if y.shape != (1, 10):
                raise SystemExit("train_fashion_mnist_transformer: ort-run output shape %s"
                                 % (y.shape,))
            diffs.append(float(np.abs(y[0] - torch_logits[i]).max()))
    return max(diffs)


# ----------------------------------------------------------------- main

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=["hybrid", "vit"], default="hybrid")
    p.add_argument("--depth", type=int, default=0,
                   help="encoder blocks (0 = the fixture default: hybrid 1, vit 2)")
    p.add_argument("--epochs", type=int, default=18)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", default=None,
                   help="default examples/fashion_mnist_hybrid (or _vit)")
    p.add_argument("--data-dir", default=datasets.DEFAULT_FASHION_MNIST_DIR)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3, help="one-cycle peak learning rate")
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--train-limit", type=int, default=0,
                   help="use only the first N training images (smoke tests; 0 = all)")
    p.add_argument("--check-images", type=int, default=100,
                   help="test images on which ONNX Runtime must match torch")
    args = p.parse_args(argv)
    if args.epochs < 1:
        p.error("--epochs must be >= 1")
    if args.depth < 0:
        p.error("--depth must be >= 0")
    out_dir = args.out_dir or os.path.join(REPO, "examples", "fashion_mnist_" + args.arch)

    data = prepare_data(args, "train_fashion_mnist_transformer")
    if data is None:
        return 2
    train_x, _, test_x, test_y, calib, calib_idx, _ = data
    n = len(train_x)
    model = build_model(args.arch, args.depth)
    shape = model_shape(args.arch, model)
    n_params_torch = sum(q.numel() for q in model.parameters())
    print("model %s: %d trainable parameters (incl. BatchNorm); %s"
          % (model.__class__.__name__, n_params_torch, shape), flush=True)
    history, train_seconds, logits, test_acc = fit(model, data, args)

    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    m = export_onnx(model, onnx_path)
    ops = sorted({nd.op_type for nd in m.graph.node})
    op_counts = {}
    for nd in m.graph.node:
        op_counts[nd.op_type] = op_counts.get(nd.op_type, 0) + 1
    params = onnx_params(m)

    # The exported graph must compute what torch computes: (1) always, the numpy
    # interpreter above; (2) ONNX Runtime via tools/ort-run when node + onnxruntime-node
    # are installed (otherwise recorded as skipped).
    n_check = min(args.check_images, len(test_x))
    t0 = time.time()
    diffs, macs = [], 0
    for i in range(n_check):
        y, macs = run_onnx_numpy(m, to_float(test_x[i:i + 1]).numpy())
        diffs.append(float(np.abs(y[0] - logits[i]).max()))
    checks = {"numpy_float64_vs_torch": max(diffs)}
    print("export check: numpy interpreter vs torch, first %d test images: max |diff| %.3g "
          "(%.1f s)" % (n_check, checks["numpy_float64_vs_torch"], time.time() - t0),
          flush=True)
    node = ort_run_available()
    if node:
        t0 = time.time()
        checks["onnxruntime_vs_torch"] = check_with_ort_run(node, onnx_path,
                                                            test_x[:n_check], logits)
        print("export check: ONNX Runtime (tools/ort-run) vs torch, first %d test images: "
              "max |diff| %.3g (%.1f s)" % (n_check, checks["onnxruntime_vs_torch"],
                                           time.time() - t0), flush=True)
    else:
        checks["onnxruntime_vs_torch"] = None
        print("export check: ONNX Runtime skipped (node or tools/ort-run/node_modules/"
              "onnxruntime-node not found)", flush=True)
    max_diff = max(v for v in checks.values() if v is not None)
    if max_diff > 1e-4:
        raise SystemExit("train_fashion_mnist_transformer: ONNX and torch logits differ by %g"
                         % max_diff)

    sha, first = save_float_outputs(out_dir, onnx_path, calib, logits, test_y)
    metrics = {
        "arch": args.arch,
        "model": "tinyformer.fixtures.%s" % model.__class__.__name__,
        "model_shape": shape,
        "test_accuracy": test_acc,
        "test_set_size": int(len(test_y)),
        "test_accuracy_first1000": float(first.mean()),
        "test_accuracy_first200": float(first[:200].mean()),
        "params": params,
        "params_torch_trainable": int(n_params_torch),
        "macs": int(macs),
        "macs_counted": "Conv, MatMul, Gemm (not LayerNorm/Softmax/GELU/adds/mean)",
        "epochs": args.epochs,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "optimizer": "AdamW(weight_decay=%g) + OneCycleLR(max_lr=%g)"
                     % (args.weight_decay, args.lr),
        "train_images": n,
        "train_seconds": round(train_seconds, 1),
        "threads": args.threads,
        "history": history,
        "input": "float32 [1,1,28,28] = pixel / 255, no mean/std normalisation",
        "onnx": {"opset": 13, "ir_version": int(m.ir_version), "input": "input",
                 "output": "logits", "ops": ops, "op_counts": dict(sorted(op_counts.items())),
                 "nodes": len(m.graph.node), "sha256": sha,
                 "check_images": n_check, "max_abs_diff_vs_torch": checks},
        "calib_train_indices": calib_idx,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "command": "python/train_fashion_mnist_transformer.py " + " ".join(
            argv if argv is not None else sys.argv[1:]),
    }
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    print("float test accuracy %.4f (10k), first 1000: %.4f; %d params, %d MACs; ops %s; "
          "ONNX vs torch max |diff| %.2g; training %.1f s; wrote %s"
          % (test_acc, first.mean(), params, macs, ops, max_diff, train_seconds, out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
