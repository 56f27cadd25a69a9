"""What the NAS drivers (tools/nas) share: data, supernet training and
checkpoints, subnet scoring under the device's budgets with the compiler's
cost model, parallel evaluation on dask.distributed, pruning a subnet per
layer, export and measurement on the emulator.

Budgets: `flash` is the device's flash for the whole object; the cost model
prices weights and tables, so they must fit `flash - code_allowance`
(`CODE_ALLOWANCE`, the kernels' code, measured below 64 KB on the shipped
models). `sram` holds the arena, the input and output buffers and the stack
(`STACK_ALLOWANCE`).
"""
import json
import math
import os
import random
import subprocess
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import api, cost, datasets, pruning, supernet

CODE_ALLOWANCE = 64 * 1024
STACK_ALLOWANCE = 2 * 1024


# -- data --------------------------------------------------------------------

def load_data(dataset="fashion-mnist", data_dir=None, val=5000, limit=None, seed=0):
    """{"train", "val", "test"}: (float images [N, C, H, W] normalised with the
    training mean / std, int64 labels); "input_mean", "input_std" (the model
    takes (pixel / 255 - input_mean) / input_std). `val` images of the
    training set are held out (never trained on); `limit` caps every split
    (tests, smoke runs)."""
    if dataset == "fashion-mnist":
        root = data_dir or datasets.DEFAULT_FASHION_MNIST_DIR
        xtr, ytr = datasets.load_fashion_mnist(root, "train")
        xte, yte = datasets.load_fashion_mnist(root, "test")
        xtr, xte = xtr[:, None], xte[:, None]
    elif dataset == "cifar10":
        if not data_dir:
            raise ValueError("--dataset cifar10 needs --data DIR (cifar-10-batches-py)")
        xtr, ytr = datasets.load_cifar10(data_dir, "train")
        xte, yte = datasets.load_cifar10(data_dir, "test")
    else:
        raise ValueError("unknown dataset %r (fashion-mnist, cifar10)" % dataset)
    order = np.random.RandomState(seed).permutation(len(xtr))
    xtr, ytr = xtr[order], ytr[order]
    val = min(val, len(xtr) // 5)
    xva, yva = xtr[:val], ytr[:val]
    xtr, ytr = xtr[val:], ytr[val:]
    if limit:
        xtr, ytr, xte, yte = xtr[:limit], ytr[:limit], xte[:limit], yte[:limit]
        xva, yva = xva[:limit], yva[:limit]
    mean = float(xtr.mean() / 255.0)
    std = float(xtr.std() / 255.0) or 1.0

    def prep(x, y):
        x = (torch.from_numpy(x.astype(np.float32)) / 255.0 - mean) / std
        return x, torch.from_numpy(y.astype(np.int64))

    return {"train": prep(xtr, ytr), "val": prep(xva, yva), "test": prep(xte, yte),
            "input_mean": mean, "input_std": std, "dataset": dataset}


def batches(x, y, size, rng=None):
    idx = np.arange(len(x))
    if rng is not None:
        rng.shuffle(idx)
    for i in range(0, len(x), size):
        j = torch.from_numpy(idx[i:i + size])
        yield x[j], y[j]


def augment(x, pad=2):
    """Random shifts by up to `pad` pixels and, for 3-channel images, flips."""
    n, _, h, w = x.shape
    x = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    dy, dx = np.random.randint(0, 2 * pad + 1, 2)
    x = x[:, :, dy:dy + h, dx:dx + w]
    if x.shape[1] == 3 and np.random.rand() < 0.5:
        x = x.flip(3)
    return x


# -- the supernet --------------------------------------------------------------

def train_supernet(space, data, epochs, batch=128, lr=2e-3, seed=0, device="cpu",
                   random_subnets=2, log=print):
    """Sandwich-rule training with in-place distillation (supernet.sandwich_step),
    AdamW with a one-cycle schedule. Returns (net, history)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    nrng = np.random.RandomState(seed)
    net = supernet.SuperNet(space).to(device)
    x, y = data["train"]
    steps = epochs * math.ceil(len(x) / batch)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(1, steps))
    history = []
    for epoch in range(epochs):
        net.train()
        t0, losses = time.time(), []
        for xb, yb in batches(x, y, batch, nrng):
            xb, yb = augment(xb).to(device), yb.to(device)
            losses.append(supernet.sandwich_step(net, opt, xb, yb, rng, random_subnets))
            sched.step()
        accs = {name: evaluate(net, arch, data, device=device)
                for name, arch in (("largest", supernet.largest_arch(space)),
                                   ("smallest", supernet.smallest_arch(space)))}
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)),
                        "val_largest": accs["largest"], "val_smallest": accs["smallest"],
                        "seconds": time.time() - t0})
        log("epoch %d: loss %.3f, val accuracy largest %.4f smallest %.4f (%.0f s)" % (
            epoch + 1, history[-1]["loss"], accs["largest"], accs["smallest"],
            history[-1]["seconds"]))
    return net, history


def save_supernet(path, net, data, history, extra=None):
    torch.save({"space": net.space, "state": net.state_dict(), "history": history,
                "input_mean": data["input_mean"], "input_std": data["input_std"],
                "dataset": data["dataset"], **(extra or {})}, path)


def load_supernet(path, device="cpu"):
    ck = torch.load(path, map_location=device)
    net = supernet.SuperNet(ck["space"]).to(device)
    net.load_state_dict(ck["state"])
    net.eval()
    return net, ck


def bn_batches(data, count=8, batch=256, device="cpu"):
    """The training batches BatchNorm statistics are recalibrated on (a fixed
    random choice)."""
    x, _ = data["train"]
    g = torch.Generator().manual_seed(1)
    idx = torch.randperm(len(x), generator=g)[:count * batch]
    return [x[idx[i:i + batch]].to(device) for i in range(0, len(idx), batch)]


def evaluate(net, arch, data, split="val", device="cpu"):
    """Accuracy of `arch` from the shared weights, BatchNorm recalibrated."""
    xs, ys = data[split]
    return supernet.subnet_accuracy(net, arch, bn_batches(data, device=device),
                                    xs.to(device), ys.to(device))


def extract(net, arch, data):
    """The subnet as a standalone model (BatchNorm recalibrated, then folded
    into the convolutions, as it ships)."""
    saved = supernet.recalibrate_bn(net, arch, bn_batches(data))
    model = net.extract(arch)
    supernet.restore_bn(net, saved)
    return pruning.fold_batchnorm(model)


# -- cost under budgets ------------------------------------------------------

def add_common_args(p, workers=2):
    """The options every driver after SuperNAS takes: the device, the dask
    cluster, the data, the compiler."""
    p.add_argument("--flash", type=int, default=1 << 20)
    p.add_argument("--sram", type=int, default=320 * 1024)
    p.add_argument("--cpu", default="cortex-m7")
    p.add_argument("--workers", type=int, default=workers)
    p.add_argument("--scheduler", help="a dask scheduler's address (default: a LocalCluster)")
    p.add_argument("--data", help="dataset folder (default: Debian's Fashion-MNIST)")
    p.add_argument("--limit", type=int, help="first N images of each split (smoke runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tinyformer", help="the tinyformer binary (default: the build's)")


class Budget:
    """The device: flash and SRAM bytes; an optional instruction ceiling."""

    def __init__(self, flash=1 << 20, sram=320 * 1024, cpu="cortex-m7", max_instructions=0):
        self.flash, self.sram, self.cpu = int(flash), int(sram), cpu
        self.max_instructions = int(max_instructions)
        self.model = cost.CostModel(cpu=cpu, flash=max(1, self.flash - CODE_ALLOWANCE))

    def check(self, space, arch, sparsity=None):
        """The estimate with `fits` and, when it does not, `why`."""
        layers = supernet.cost_layers(space, arch, sparsity)
        shape = [1] + list(space["input"])
        try:
            e = self.model.estimate(shape, layers, per_layer=False)
        except ValueError as err:
            return {"fits": False, "why": str(err), "estimated_instructions": math.inf}
        io = int(np.prod(shape)) + space["classes"]
        e["sram_bytes"] = e["arena_bytes"] + io + STACK_ALLOWANCE
        why = []
        if e["sram_bytes"] > self.sram:
            why.append("SRAM %d > %d" % (e["sram_bytes"], self.sram))
        if self.max_instructions and e["estimated_instructions"] > self.max_instructions:
            why.append("instructions %d > %d" % (e["estimated_instructions"],
                                                 self.max_instructions))
        e["fits"] = not why
        if why:
            e["why"] = "; ".join(why)
        return e


# -- parallel evaluation ---------------------------------------------------

_worker_cache = {}


def _worker_accuracy(checkpoint, arch, dataset, data_dir, limit, split):
    """Runs on a dask worker: the supernet and data loaded once per worker."""
    key = (checkpoint, dataset, data_dir, limit)
    if key not in _worker_cache:
        torch.set_num_threads(1)
        net, _ = load_supernet(checkpoint)
        _worker_cache.clear()
        _worker_cache[key] = (net, load_data(dataset, data_dir, limit=limit))
    net, data = _worker_cache[key]
    return evaluate(net, arch, data, split=split)


class Evaluator:
    """Subnet accuracies on dask.distributed: a LocalCluster of `workers`
    processes, or the cluster at `scheduler`."""

    def __init__(self, checkpoint, dataset="fashion-mnist", data_dir=None, limit=None,
                 workers=1, scheduler=None, split="val"):
        from distributed import Client, LocalCluster

        self.args = (os.path.abspath(checkpoint), dataset, data_dir, limit, split)
        if scheduler:
            self.cluster, self.client = None, Client(scheduler)
        else:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)

    def accuracies(self, archs):
        c, d, dd, lim, split = self.args
        futures = [self.client.submit(_worker_accuracy, c, a, d, dd, lim, split, pure=False)
                   for a in archs]
        return self.client.gather(futures)

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


# -- pruning a subnet --------------------------------------------------------

def prunable(model, space, arch):
    """[(cost-layer index, [module names of the Subnet])] of the layers the
    sparse kernels serve: convolutions (not depthwise), linear layers, and
    attention (its four projections together)."""
    layers = supernet.cost_layers(space, arch)
    convs = [n for n, m in model.named_modules()
             if isinstance(m, torch.nn.Conv2d) and m.groups == 1]
    linears = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    out, ci, li = [], 0, 0
    for i, l in enumerate(layers):
        if l["op"] == "conv2d":
            out.append((i, [convs[ci]]))
            ci += 1
        elif l["op"] == "mhsa":
            out.append((i, linears[li:li + 4]))
            li += 4
        elif l["op"] == "linear":
            out.append((i, [linears[li]]))
            li += 1
    assert ci == len(convs) and li == len(linears), "subnet and layer list disagree"
    return out


def pruners(model, space, arch, config, schedule=None):
    """Pruners of `model` for `config` {cost-layer index: (sparsity, pattern)}:
    one per pattern (pruning.Pruner takes one pattern)."""
    names = dict(prunable(model, space, arch))
    by_pattern = {}
    for i, (s, pattern) in config.items():
        if s <= 0:
            continue
        for n in names[int(i)]:
            by_pattern.setdefault(pattern, {})[n] = s
    return [pruning.Pruner(model, targets, pattern, schedule)
            for pattern, targets in sorted(by_pattern.items())]


def finetune(model, data, steps, prs=(), lr=5e-4, batch=128, seed=0, device="cpu"):
    """Masked fine-tuning: `steps` AdamW steps, the pruners' masks after each."""
    torch.manual_seed(seed)
    nrng = np.random.RandomState(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    x, y = data["train"]
    done = 0
    model.train()
    while done < steps:
        for xb, yb in batches(x, y, batch, nrng):
            opt.zero_grad()
            F.cross_entropy(model(augment(xb).to(device)), yb.to(device)).backward()
            opt.step()
            for p in prs:
                p.step()
            done += 1
            if done >= steps:
                break
    model.eval()
    return model


def model_accuracy(model, data, split="val", images=None):
    """Accuracy on `split` (its first `images` only, if given)."""
    x, y = data[split]
    if images:
        x, y = x[:images], y[:images]
    return supernet.accuracy(model, x, y)


# -- export and the emulator -----------------------------------------------

def export(model, space, data, out_dir, calib_images=64):
    """model.onnx (BatchNorm folded, exact zeros) and calib.npy (training
    images, normalised as the model takes them)."""
    import onnx

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    cost.export_onnx(model, [1] + list(space["input"]), path)
    m = onnx.load(path)
    pruning.sanitize_negative_zeros(m)
    onnx.save(m, path)
    x, _ = data["train"]
    calib = x[:calib_images].numpy().astype(np.float32)
    np.save(os.path.join(out_dir, "calib.npy"), calib)
    return path


def measure(onnx_path, calib, out_dir, cpu="cortex-m7", tinyformer=None, flash=None,
            sram=None):
    """Compiles with plain `tinyformer compile` and runs one input on the
    emulator: {"measured_instructions", "flash_bytes", "sram_bytes",
    "estimated_instructions"} (or {"error": ...})."""
    tool = tinyformer or api._tool()
    build = os.path.join(out_dir, "build")
    cmd = [tool, "compile", onnx_path, "--calib", calib, "--cpu", cpu, "-o", build]
    if flash:
        cmd += ["--flash", str(flash)]
    if sram:
        cmd += ["--sram", str(sram)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        return {"error": p.stderr.strip()[-300:]}
    x = os.path.join(out_dir, "x.npy")
    np.save(x, np.load(calib)[:1])
    rep = os.path.join(out_dir, "run.json")
    board = "m7" if cpu == "cortex-m7" else "m4"
    p = subprocess.run([tool, "run", build, "--input", x, "--output",
                        os.path.join(out_dir, "y.npy"), "--board", board, "--report", rep],
                       capture_output=True, text=True)
    if p.returncode:
        return {"error": p.stderr.strip()[-300:]}
    r = json.load(open(rep))
    c = json.load(open(os.path.join(build, "compile_report.json")))
    return {"measured_instructions": r["instructions"], "sram_bytes": r["sram_bytes"],
            "flash_bytes": c.get("flash_bytes"),
            "estimated_instructions": c.get("estimated_instructions")}


def pareto_front(points):
    """Indices of the points (accuracy, instructions) no other point beats in
    both (higher accuracy, fewer instructions)."""
    front = []
    for i, (a, n) in enumerate(points):
        if not any((a2 >= a and n2 <= n) and (a2 > a or n2 < n) for a2, n2 in points):
            front.append(i)
    return front


def plot_pareto(path, points, front, chosen=None, title=""):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([n / 1e6 for _, n in points], [a * 100 for a, _ in points], s=8, c="#999",
               label="candidates within the budgets")
    f = sorted(front, key=lambda i: points[i][1])
    ax.plot([points[i][1] / 1e6 for i in f], [points[i][0] * 100 for i in f], "o-",
            c="#c33", label="Pareto front")
    if chosen is not None:
        ax.scatter([points[chosen][1] / 1e6], [points[chosen][0] * 100], s=80,
                   facecolors="none", edgecolors="k", label="chosen")
    ax.set_xlabel("estimated instructions (millions, cost model)")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
