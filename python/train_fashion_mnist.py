#!/usr/bin/python3
"""Train the accuracy demo's Fashion-MNIST CNN and export it to ONNX (torch 1.13 + onnx 1.12).

  /usr/bin/python3 python/train_fashion_mnist.py [--epochs 4] [--seed 0]
      [--out-dir examples/fashion_mnist] [--data-dir /usr/share/datasets/fashion-mnist]

Input: 1x1x28x28 float32, pixel / 255 in [0, 1]. There is no mean/std normalisation
anywhere, so an int8 input quantisation with scale 1/255 maps the raw pixels exactly.

Model (BatchNorm is folded into the convolutions by the exporter):
  Conv3x3(1->16, pad 1)+BN+ReLU, MaxPool2 -> 16x14x14
  Conv3x3(16->32, pad 1)+BN+ReLU, MaxPool2 -> 32x7x7
  Conv3x3(32->64, pad 1)+BN+ReLU          -> 64x7x7
  Flatten -> Gemm(3136 -> 10)
ONNX ops: Conv, Relu, MaxPool, Flatten, Gemm only.

Training: AdamW (lr 3e-3 peak, weight decay 1e-4), one-cycle schedule, batch 128, no
augmentation, one CPU thread, fixed seeds and deterministic algorithms, so the same
command on the same software gives the same weights.

Writes to --out-dir:
  model.onnx                  opset 13, input 'input' [1,1,28,28], output 'logits' [1,10]
  calib.npy                   float32 [64,1,28,28]: 64 training images / 255, class-balanced
                              fixed choice (the first 6 or 7 of each class, see metrics.json)
  float_logits_first1000.npy  float32 [1000,10]: the torch float model's logits for the
                              first 1000 test images (for image-by-image int8 vs float checks)
  metrics.json                float test accuracy (full 10k test set), params, MACs, ...

After export the ONNX graph is run by a small numpy interpreter (the five ops above) on the
first 100 test images and must match torch to 1e-4; the script fails otherwise.
"""
import argparse
import hashlib
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tinyformer import datasets  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

REPO = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(REPO, "examples", "fashion_mnist")
ALLOWED_OPS = {"Conv", "Relu", "MaxPool", "Flatten", "Gemm"}
N_CALIB = 64
N_LOGITS = 1000


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU()]

        self.features = nn.Sequential(
            *block(1, 16), nn.MaxPool2d(2),
            *block(16, 32), nn.MaxPool2d(2),
            *block(32, 64),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(64 * 7 * 7, 10)

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


def to_float(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28] = pixel / 255 (same rounding as numpy's
    images.astype(np.float32) / np.float32(255))."""
    return torch.from_numpy(images_u8).unsqueeze(1).float().div_(255.0)


def calib_indices(labels, n=N_CALIB):
    """Round-robin over the classes, each class in dataset order: the k-th image of class
    0, of class 1, ..., of class 9, then the (k+1)-th ... until n images; sorted."""
    per_class = [np.flatnonzero(labels == c) for c in range(10)]
    out = []
    k = 0
    while len(out) < n:
        for c in range(10):
            if len(out) < n and k < len(per_class[c]):
                out.append(int(per_class[c][k]))
        k += 1
    return sorted(out)


@torch.no_grad()
def predict(model, images_u8, batch=1000):
    model.eval()
    return torch.cat([model(to_float(images_u8[i:i + batch]))
                      for i in range(0, len(images_u8), batch)])


# ----------------------------------------------------------------- numpy ONNX check

def train(model, train_x, train_y, test_x, test_y, rng, epochs, batch_size, lr,
          weight_decay):
    """AdamW with a one-cycle schedule, cross-entropy, a fresh permutation of the
    training images from `rng` each epoch; the test accuracy after each epoch.
    Shared by the CNN and transformer trainers. Returns the per-epoch history."""
    n = len(train_x)
    train_yt = torch.from_numpy(train_y.astype(np.int64))
    steps_per_epoch = (n + batch_size - 1) // batch_size
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr,
                                                total_steps=epochs * steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss()
    print("%d training images, %d steps/epoch" % (n, steps_per_epoch), flush=True)
    history = []
    for epoch in range(epochs):
        model.train()
        t0 = time.time()
        perm = rng.permutation(n)
        tot_loss, correct = 0.0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * batch_size:(s + 1) * batch_size]
            xb, yb = to_float(train_x[idx]), train_yt[idx]
            out = model(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot_loss += loss.item() * len(idx)
            correct += int((out.argmax(1) == yb).sum())
        train_s = time.time() - t0
        test_acc = float((predict(model, test_x).argmax(1).numpy() == test_y).mean())
        h = {"epoch": epoch + 1, "train_loss": round(tot_loss / n, 5),
             "train_accuracy": round(correct / n, 5), "test_accuracy": test_acc,
             "seconds": round(time.time() - t0, 1), "train_seconds": round(train_s, 1)}
        history.append(h)
        print("epoch %d/%d  loss %.4f  train acc %.4f  test acc %.4f  (%.1f s, %.1f s eval)"
              % (epoch + 1, epochs, h["train_loss"], h["train_accuracy"], test_acc,
                 train_s, h["seconds"] - train_s), flush=True)
    return history


def _conv(x, w, b, strides, pads, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    if group != 1:
        raise ValueError("grouped Conv not handled by the checker")
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - kh) // strides[0] + 1
    ow = (x.shape[3] - kw) // strides[1] + 1
    cols = np.empty((n, c, kh, kw, oh, ow), np.float64)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i + strides[0] * oh:strides[0],
                                 j:j + strides[1] * ow:strides[1]]
    y = np.einsum("nckhxy,mckh->nmxy", cols, w.astype(np.float64), optimize=True)
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y, int(m * oh * ow * c * kh * kw)


def _maxpool(x, k, s, pads):
    if any(pads):
        raise ValueError("padded MaxPool not handled by the checker")
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    y = np.full((n, c, oh, ow), -np.inf)
    for i in range(k[0]):
        for j in range(k[1]):
            y = np.maximum(y, x[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]])
    return y


def run_onnx_numpy(model, x):
    """Float64 numpy interpretation of a Conv/Relu/MaxPool/Flatten/Gemm graph.
    Returns (first output, MACs per image)."""
    g = model.graph
    env = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    env[g.input[0].name] = x.astype(np.float64)
    macs = 0
    for node in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        if node.op_type == "Conv":
            k = ins[1].shape[2:]
            if any(d != 1 for d in a.get("dilations", [1, 1])):
                raise ValueError("dilated Conv")
            y, m = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                         a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                         a.get("group", 1))
            assert list(a.get("kernel_shape", k)) == list(k)
            macs += m
        elif node.op_type == "Relu":
            y = np.maximum(ins[0], 0)
        elif node.op_type == "MaxPool":
            if a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", [1, 1])):
                raise ValueError("MaxPool ceil_mode/dilations")
            y = _maxpool(ins[0], a["kernel_shape"], a.get("strides", [1, 1]),
                         a.get("pads", [0, 0, 0, 0]))
        elif node.op_type == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif node.op_type == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
            macs += int(A.shape[1] * B.shape[1])
        else:
            raise ValueError("op %s not handled by the checker" % node.op_type)
        env[node.output[0]] = y
    return env[g.output[0].name], macs


# ----------------------------------------------------------------- main

def prepare_data(args, prog, n_calib=N_CALIB):
    """Seeds torch and numpy from args.seed and loads Fashion-MNIST: (train_x,
    train_y, test_x, test_y, calib, calib_idx, rng), or None after printing
    an error. Calibration images come from the full training set, before
    --train-limit cuts it."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)
    try:
        train_x, train_y = datasets.load_fashion_mnist(args.data_dir, "train")
        test_x, test_y = datasets.load_fashion_mnist(args.data_dir, "test")
    except (OSError, ValueError) as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return None
    calib_idx = calib_indices(train_y, n_calib)
    calib = (train_x[calib_idx].astype(np.float32) / np.float32(255))[:, None]
    if args.train_limit:
        train_x, train_y = train_x[:args.train_limit], train_y[:args.train_limit]
    return train_x, train_y, test_x, test_y, calib, calib_idx, rng


def fit(model, data, args):
    """Trains `model` on prepare_data's `data`, then evaluates it on the test
    set: (history, train_seconds, test logits, test accuracy)."""
    train_x, train_y, test_x, test_y, _, _, rng = data
    t_train = time.time()
    history = train(model, train_x, train_y, test_x, test_y, rng, args.epochs,
                    args.batch_size, args.lr, args.weight_decay)
    train_seconds = time.time() - t_train
    model.eval()
    logits = predict(model, test_x).numpy()
    test_acc = float((logits.argmax(1) == test_y).mean())
    return history, train_seconds, logits, test_acc


def save_float_outputs(out_dir, onnx_path, calib, logits, test_y):
    """Writes calib.npy and the float logits of the first N_LOGITS test
    images next to the model: (model.onnx's sha256, top-1 hits of those
    images)."""
    np.save(os.path.join(out_dir, "calib.npy"), np.ascontiguousarray(calib, "<f4"))
    np.save(os.path.join(out_dir, "float_logits_first1000.npy"),
            np.ascontiguousarray(logits[:N_LOGITS], "<f4"))
    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return sha, logits[:N_LOGITS].argmax(1) == test_y[:N_LOGITS]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", default=DEFAULT_OUT)
    p.add_argument("--data-dir", default=datasets.DEFAULT_FASHION_MNIST_DIR)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3, help="one-cycle peak learning rate")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--train-limit", type=int, default=0,
                   help="use only the first N training images (smoke tests; 0 = all)")
    args = p.parse_args(argv)
    if args.epochs < 1:
        p.error("--epochs must be >= 1")

    data = prepare_data(args, "train_fashion_mnist")
    if data is None:
        return 2
    train_x, _, test_x, test_y, calib, calib_idx, _ = data
    n = len(train_x)

    model = FashionCNN()
    n_params_torch = sum(q.numel() for q in model.parameters())
    print("model: %d trainable parameters (incl. BatchNorm)" % n_params_torch, flush=True)
    history, train_seconds, logits, test_acc = fit(model, data, args)

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, opset_version=13,
                      do_constant_folding=True, input_names=["input"],
                      output_names=["logits"], export_params=True)
    m = onnx.load(onnx_path)
    if m.ir_version > 8:
        m.ir_version = 8          # onnx 1.12's checker rejects newer IR versions
    onnx.checker.check_model(m, full_check=True)
    ops = sorted({nd.op_type for nd in m.graph.node})
    if not set(ops) <= ALLOWED_OPS:
        raise SystemExit("train_fashion_mnist: unexpected ops in the export: %s" % ops)
    onnx.save(m, onnx_path)
    onnx_params = int(sum(np.prod(i.dims) for i in m.graph.initializer))

    # The exported graph must compute what torch computes.
    ref, macs = run_onnx_numpy(m, to_float(test_x[:1]).numpy())
    diffs = []
    for i in range(100):
        y, _ = run_onnx_numpy(m, to_float(test_x[i:i + 1]).numpy())
        diffs.append(float(np.abs(y[0] - logits[i]).max()))
    max_diff = max(diffs)
    if max_diff > 1e-4:
        raise SystemExit("train_fashion_mnist: ONNX (numpy) and torch logits differ by %g"
                         % max_diff)

    sha, first = save_float_outputs(args.out_dir, onnx_path, calib, logits, test_y)
    metrics = {
        "test_accuracy": test_acc,
        "test_set_size": int(len(test_y)),
        "test_accuracy_first1000": float(first.mean()),
        "test_accuracy_first200": float(first[:200].mean()),
        "params": onnx_params,
        "params_torch_trainable": int(n_params_torch),
        "macs": int(macs),
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
        "onnx": {"opset": 13, "ir_version": int(m.ir_version), "ops": ops,
                 "sha256": sha, "max_abs_diff_vs_torch_first100": max_diff},
        "calib_train_indices": calib_idx,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "command": "python/train_fashion_mnist.py " + " ".join(
            argv if argv is not None else sys.argv[1:]),
    }
    with open(os.path.join(args.out_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    print("float test accuracy %.4f (10k), first 1000: %.4f; %d params, %d MACs; "
          "ONNX vs torch max |diff| %.2g; training %.1f s; wrote %s"
          % (test_acc, first.mean(), onnx_params, macs, max_diff, train_seconds, args.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
