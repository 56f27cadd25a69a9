"""A weight-sharing hybrid CNN + transformer supernet (SuperNAS / MCUFormer space).

An architecture ("arch") is a plain dict of choices from a search space:

    space = default_space(hw=28, cin=1)
    arch = sample_arch(space, random.Random(0))   # or largest_arch / smallest_arch
    net = SuperNet(space)
    logits = net(x, arch)                          # the subnet, with shared weights
    model = net.extract(arch)                      # a standalone torch model
    layers = cost_layers(space, arch)              # the layer list tinyformer.cost prices

The space: a 3x3 stem conv (width), MobileNetV2-style conv stages (depth,
width, kernel, expansion; the first block of a stage may stride), then a
transformer part: a patch embedding (patch x patch conv, stride patch) to
`embed` dims, `depth` pre-LN encoder blocks (`heads` heads, MLP of
`mlp_ratio` x embed, its two linear layers factorized to `lowrank` of full
rank when < 1, MCUFormer's low-rank MLP), LayerNorm, mean over tokens and a
linear head. Depth 0 is a CNN: global average pooling and the head. Every
layer is one the compiler fuses and runs well (conv + BN + ReLU6 folded,
depthwise, residual adds, LayerNorm, fused attention, GELU as a table).

Weights are shared the OFA way: a smaller width takes the first channels, a
smaller kernel the centre of the largest, fewer blocks the first blocks,
fewer heads the first heads' columns. BatchNorm statistics are recalibrated
per subnet (`recalibrate_bn`) before it is evaluated.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def default_space(hw=28, cin=1, classes=10):
    """The search space: per choice its options (lists), per stage its stride."""
    return {
        "input": [cin, hw, hw],
        "classes": classes,
        "stem": {"width": [8, 12, 16], "stride": 2},
        "stages": [
            {"stride": 2, "depth": [1, 2], "width": [16, 24, 32], "kernel": [3, 5],
             "expand": [2, 3, 4]},
            {"stride": 1, "depth": [1, 2, 3], "width": [24, 32, 48], "kernel": [3, 5],
             "expand": [2, 3, 4]},
        ],
        "transformer": {"depth": [0, 1, 2], "embed": [32, 48, 64], "heads": [2, 4],
                        "mlp_ratio": [1, 2], "lowrank": [1.0, 0.5], "patch": [1, 2]},
    }


def _choices(space):
    """(path, options) of every choice, in a fixed order."""
    out = [(("stem", "width"), space["stem"]["width"])]
    for i, s in enumerate(space["stages"]):
        for k in ("depth", "width", "kernel", "expand"):
            out.append((("stages", i, k), s[k]))
    for k in ("depth", "embed", "heads", "mlp_ratio", "lowrank", "patch"):
        out.append((("transformer", k), space["transformer"][k]))
    return out


def _arch_from(space, pick):
    arch = {"stem": {}, "stages": [dict() for _ in space["stages"]], "transformer": {}}
    for path, options in _choices(space):
        value = pick(path, options)
        if path[0] == "stages":
            arch["stages"][path[1]][path[2]] = value
        else:
            arch[path[0]][path[1]] = value
    return arch


def sample_arch(space, rng):
    return _arch_from(space, lambda path, options: rng.choice(options))


def largest_arch(space):
    return _arch_from(space, lambda path, options: max(options))


def smallest_arch(space):
    return _arch_from(space, lambda path, options: min(options))


def arch_choices(space):
    """Every choice by name (for optuna): name -> options."""
    names = {}
    for path, options in _choices(space):
        names["/".join(str(p) for p in path)] = list(options)
    return names


def arch_params(space, arch):
    """The named choices of `arch` (the inverse of arch_from_params)."""
    out = {}
    for path, _ in _choices(space):
        node = arch
        for p in path:
            node = node[p]
        out["/".join(str(p) for p in path)] = node
    return out


def arch_from_params(space, params):
    """The arch of named choices (arch_choices' names)."""
    return _arch_from(space, lambda path, options: params["/".join(str(p) for p in path)])


# -- elastic layers (weights of the largest choice, sliced) -------------------

class DynConv(nn.Module):
    """`same` pads k // 2 (the stages); a patch embedding pads nothing."""

    def __init__(self, cin, cout, k, stride, depthwise=False, same=True):
        super().__init__()
        self.stride, self.depthwise, self.kmax, self.same = stride, depthwise, k, same
        self.weight = nn.Parameter(torch.empty(cout, 1 if depthwise else cin, k, k))
        nn.init.kaiming_normal_(self.weight, mode="fan_out")

    def sliced(self, cin, cout, k):
        w = self.weight[:cout] if self.depthwise else self.weight[:cout, :cin]
        c = (self.kmax - k) // 2
        return w[:, :, c:c + k, c:c + k]

    def forward(self, x, cout, k):
        cin = x.shape[1]
        if self.depthwise:
            cout = cin
        return F.conv2d(x, self.sliced(cin, cout, k), None, self.stride,
                        k // 2 if self.same else 0, groups=cin if self.depthwise else 1)


class DynBN(nn.BatchNorm2d):
    def forward(self, x):
        c = x.shape[1]
        if self.training and self.momentum is None:
            self.num_batches_tracked += 1
            factor = 1.0 / float(self.num_batches_tracked)
        else:
            factor = self.momentum or 0.0
        return F.batch_norm(x, self.running_mean[:c], self.running_var[:c], self.weight[:c],
                            self.bias[:c], self.training, factor, self.eps)


class DynLinear(nn.Linear):
    def forward(self, x, cout):
        bias = self.bias[:cout] if self.bias is not None else None
        return F.linear(x, self.weight[:cout, :x.shape[-1]], bias)


class DynLayerNorm(nn.LayerNorm):
    def forward(self, x):
        e = x.shape[-1]
        return F.layer_norm(x, (e,), self.weight[:e], self.bias[:e], self.eps)


class DynMlp(nn.Module):
    """fc1 -> GELU -> fc2, full rank or factorized (rank = lowrank x full)."""

    def __init__(self, embed, hidden):
        super().__init__()
        self.fc1, self.fc2 = DynLinear(embed, hidden), DynLinear(hidden, embed)
        # Low rank: u (no bias) then v.
        self.fc1_u = DynLinear(embed, embed, bias=False)
        self.fc1_v = DynLinear(embed, hidden)
        self.fc2_u = DynLinear(hidden, embed, bias=False)
        self.fc2_v = DynLinear(embed, embed)

    @staticmethod
    def rank(e, hidden, lowrank):
        return max(1, int(round(lowrank * min(e, hidden))))

    def forward(self, x, hidden, lowrank):
        e = x.shape[-1]
        if lowrank >= 1:
            return self.fc2(F.gelu(self.fc1(x, hidden)), e)
        r = self.rank(e, hidden, lowrank)
        h = F.gelu(self.fc1_v(self.fc1_u(x, r), hidden))
        return self.fc2_v(self.fc2_u(h, r), e)


class DynAttention(nn.Module):
    def __init__(self, embed):
        super().__init__()
        self.q, self.k, self.v, self.proj = (DynLinear(embed, embed) for _ in range(4))

    def forward(self, x, heads):
        b, s, e = x.shape
        d = e // heads
        q = self.q(x, e).view(b, s, heads, d).transpose(1, 2)
        k = self.k(x, e).view(b, s, heads, d).transpose(1, 2)
        v = self.v(x, e).view(b, s, heads, d).transpose(1, 2)
        a = ((q @ k.transpose(-2, -1)) * d ** -0.5).softmax(-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, s, e), e)


class SuperNet(nn.Module):
    def __init__(self, space):
        super().__init__()
        self.space = copy.deepcopy(space)
        cin = space["input"][0]
        big = largest_arch(space)
        w = big["stem"]["width"]
        self.stem = DynConv(cin, w, 3, space["stem"]["stride"])
        self.stem_bn = DynBN(w)
        self.blocks = nn.ModuleList()
        c = w
        for s, spec in zip(big["stages"], space["stages"]):
            stage = nn.ModuleList()
            for i in range(s["depth"]):
                hidden = c * s["expand"]
                stage.append(nn.ModuleDict({
                    "expand": DynConv(c, hidden, 1, 1), "expand_bn": DynBN(hidden),
                    "dw": DynConv(hidden, hidden, s["kernel"], spec["stride"] if i == 0 else 1,
                                  depthwise=True),
                    "dw_bn": DynBN(hidden),
                    "project": DynConv(hidden, s["width"], 1, 1), "project_bn": DynBN(s["width"]),
                }))
                c = s["width"]
            self.blocks.append(stage)
        t = big["transformer"]
        e = t["embed"]
        self.patch = nn.ModuleDict({str(p): DynConv(c, e, p, p, same=False) for p in
                                    space["transformer"]["patch"]})
        self.patch_bias = nn.Parameter(torch.zeros(e))
        hidden = e * t["mlp_ratio"]
        self.encoder = nn.ModuleList([nn.ModuleDict({
            "norm1": DynLayerNorm(e), "attn": DynAttention(e),
            "norm2": DynLayerNorm(e), "mlp": DynMlp(e, hidden)}) for _ in range(t["depth"])])
        self.norm = DynLayerNorm(e)
        self.head = DynLinear(max(e, c), space["classes"])

    def forward(self, x, arch):
        x = F.relu(self.stem_bn(self.stem(x, arch["stem"]["width"], 3)))
        for stage, s in zip(self.blocks, arch["stages"]):
            for i in range(s["depth"]):
                blk = stage[i]
                hidden = x.shape[1] * s["expand"]
                y = F.relu6(blk["expand_bn"](blk["expand"](x, hidden, 1)))
                y = F.relu6(blk["dw_bn"](blk["dw"](y, hidden, s["kernel"])))
                y = blk["project_bn"](blk["project"](y, s["width"], 1))
                x = x + y if y.shape == x.shape else y
        t = arch["transformer"]
        if t["depth"] == 0:
            return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1), self.space["classes"])
        p, e = t["patch"], t["embed"]
        x = self.patch[str(p)](x, e, p) + self.patch_bias[:e].view(1, -1, 1, 1)
        x = x.flatten(2).transpose(1, 2)
        for blk in self.encoder[:t["depth"]]:
            x = x + blk["attn"](blk["norm1"](x), t["heads"])
            x = x + blk["mlp"](blk["norm2"](x), e * t["mlp_ratio"], t["lowrank"])
        return self.head(self.norm(x).mean(1), self.space["classes"])

    def extract(self, arch):
        """The subnet as a standalone module of stock torch layers, with its
        (recalibrated) shared weights; eval mode."""
        return Subnet(self, arch).eval()


# -- the standalone subnet ---------------------------------------------------

def _conv_bn(dyn, bn, cin, cout, k, depthwise=False):
    conv = nn.Conv2d(cin, cout, k, dyn.stride, k // 2, groups=cin if depthwise else 1,
                     bias=False)
    conv.weight.data = dyn.sliced(cin, cout, k).detach().clone()
    b = nn.BatchNorm2d(cout)
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(b, name).data = getattr(bn, name)[:cout].detach().clone()
    return conv, b


def _linear(dyn, cin, cout):
    fc = nn.Linear(cin, cout, bias=dyn.bias is not None)
    fc.weight.data = dyn.weight[:cout, :cin].detach().clone()
    if dyn.bias is not None:
        fc.bias.data = dyn.bias[:cout].detach().clone()
    return fc


def _norm(dyn, e):
    n = nn.LayerNorm(e)
    n.weight.data = dyn.weight[:e].detach().clone()
    n.bias.data = dyn.bias[:e].detach().clone()
    return n


class _Block(nn.Module):
    def __init__(self, layers, residual):
        super().__init__()
        self.body, self.residual = nn.Sequential(*layers), residual

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class _Encoder(nn.Module):
    def __init__(self, norm1, attn, norm2, mlp):
        super().__init__()
        self.norm1, self.attn, self.norm2, self.mlp = norm1, attn, norm2, mlp

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Subnet(nn.Module):
    def __init__(self, net, arch):
        super().__init__()
        from .fixtures import Attention

        self.arch = copy.deepcopy(arch)
        c = net.space["input"][0]
        w = arch["stem"]["width"]
        conv, bn = _conv_bn(net.stem, net.stem_bn, c, w, 3)
        self.features = nn.Sequential(conv, bn, nn.ReLU())
        c = w
        for stage, s in zip(net.blocks, arch["stages"]):
            for i in range(s["depth"]):
                blk, hidden = stage[i], c * s["expand"]
                layers = list(_conv_bn(blk["expand"], blk["expand_bn"], c, hidden, 1)) + [nn.ReLU6()]
                layers += list(_conv_bn(blk["dw"], blk["dw_bn"], hidden, hidden, s["kernel"],
                                        depthwise=True)) + [nn.ReLU6()]
                layers += list(_conv_bn(blk["project"], blk["project_bn"], hidden, s["width"], 1))
                stride = blk["dw"].stride
                self.features.append(_Block(layers, stride == 1 and c == s["width"]))
                c = s["width"]
        t = arch["transformer"]
        self.transformer = t["depth"] > 0
        if not self.transformer:
            self.head = _linear(net.head, c, net.space["classes"])
            return
        p, e = t["patch"], t["embed"]
        self.patch = nn.Conv2d(c, e, p, p)
        self.patch.weight.data = net.patch[str(p)].sliced(c, e, p).detach().clone()
        self.patch.bias.data = net.patch_bias[:e].detach().clone()
        blocks = []
        hidden = e * t["mlp_ratio"]
        for blk in net.encoder[:t["depth"]]:
            attn = Attention(e, t["heads"])
            for name, dyn in (("q", blk["attn"].q), ("k", blk["attn"].k), ("v", blk["attn"].v),
                              ("proj", blk["attn"].proj)):
                setattr(attn, name, _linear(dyn, e, e))
            m = blk["mlp"]
            if t["lowrank"] >= 1:
                mlp = nn.Sequential(_linear(m.fc1, e, hidden), nn.GELU(), _linear(m.fc2, hidden, e))
            else:
                r = DynMlp.rank(e, hidden, t["lowrank"])
                mlp = nn.Sequential(_linear(m.fc1_u, e, r), _linear(m.fc1_v, r, hidden), nn.GELU(),
                                    _linear(m.fc2_u, hidden, r), _linear(m.fc2_v, r, e))
            blocks.append(_Encoder(_norm(blk["norm1"], e), attn, _norm(blk["norm2"], e), mlp))
        self.encoder = nn.Sequential(*blocks)
        self.norm = _norm(net.norm, e)
        self.head = _linear(net.head, e, net.space["classes"])

    def forward(self, x):
        x = self.features(x)
        if not self.transformer:
            return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = self.encoder(x)
        return self.head(self.norm(x).mean(1))


# -- what the compiler sees -------------------------------------------------

def cost_layers(space, arch, sparsity=None):
    """The subnet as tinyformer.cost's layer list (BatchNorm folded into the
    convolutions, as the compiler imports it). `sparsity` maps a layer's
    index in this list to (sparsity, pattern)."""
    layers = []
    add = layers.append
    add(dict(op="conv2d", channels=arch["stem"]["width"], kernel=3,
             stride=space["stem"]["stride"], padding=1, activation="relu"))
    c = arch["stem"]["width"]
    for s, spec in zip(arch["stages"], space["stages"]):
        for i in range(s["depth"]):
            stride = spec["stride"] if i == 0 else 1
            start = len(layers) - 1
            hidden = c * s["expand"]
            add(dict(op="conv2d", channels=hidden, kernel=1, activation="relu6"))
            add(dict(op="depthwise_conv2d", kernel=s["kernel"], stride=stride,
                     padding=s["kernel"] // 2, activation="relu6"))
            add(dict(op="conv2d", channels=s["width"], kernel=1))
            if stride == 1 and c == s["width"]:
                add(dict(op="add", residual_from=start))
            c = s["width"]
    t = arch["transformer"]
    if t["depth"] == 0:
        add(dict(op="global_avg_pool"))
        add(dict(op="linear", channels=space["classes"]))
    else:
        p, e = t["patch"], t["embed"]
        hidden = e * t["mlp_ratio"]
        add(dict(op="conv2d", channels=e, kernel=p, stride=p, padding=0))
        add(dict(op="to_tokens"))
        for _ in range(t["depth"]):
            start = len(layers) - 1
            add(dict(op="layer_norm"))
            add(dict(op="mhsa", heads=t["heads"]))
            add(dict(op="add", residual_from=start))
            start = len(layers) - 1
            add(dict(op="layer_norm"))
            if t["lowrank"] >= 1:
                add(dict(op="linear", channels=hidden))
                add(dict(op="gelu"))
                add(dict(op="linear", channels=e))
            else:
                r = DynMlp.rank(e, hidden, t["lowrank"])
                add(dict(op="linear", channels=r))
                add(dict(op="linear", channels=hidden))
                add(dict(op="gelu"))
                add(dict(op="linear", channels=r))
                add(dict(op="linear", channels=e))
            add(dict(op="add", residual_from=start))
        add(dict(op="layer_norm"))
        add(dict(op="token_mean"))
        add(dict(op="linear", channels=space["classes"]))
    for i, (s, pattern) in (sparsity or {}).items():
        layers[int(i)]["sparsity"] = float(s)
        layers[int(i)]["pattern"] = pattern
    return layers


# -- training ----------------------------------------------------------------

def sandwich_step(net, optimizer, x, y, rng, random_subnets=2, kd_weight=1.0):
    """One step of the sandwich rule with in-place distillation: the largest
    subnet learns from the labels, the smallest and `random_subnets` random
    ones from the largest's soft predictions. Returns the largest's loss."""
    space = net.space
    optimizer.zero_grad()
    logits = net(x, largest_arch(space))
    loss = F.cross_entropy(logits, y)
    loss.backward()
    soft = F.softmax(logits.detach(), -1)
    archs = [smallest_arch(space)] + [sample_arch(space, rng) for _ in range(random_subnets)]
    for arch in archs:
        out = net(x, arch)
        kd = F.kl_div(F.log_softmax(out, -1), soft, reduction="batchmean")
        (kd_weight * kd).backward()
    nn.utils.clip_grad_norm_(net.parameters(), 5.0)
    optimizer.step()
    return float(loss)


@torch.no_grad()
def recalibrate_bn(net, arch, batches):
    """BatchNorm statistics of this subnet: reset, then a cumulative average
    over `batches` (inputs) in training mode."""
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [(m.momentum, m.running_mean.clone(), m.running_var.clone(),
              m.num_batches_tracked.clone()) for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    for x in batches:
        net(x, arch)
    net.eval()
    return saved


@torch.no_grad()
def restore_bn(net, saved):
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for m, (momentum, mean, var, n) in zip(bns, saved):
        m.momentum = momentum
        m.running_mean.copy_(mean)
        m.running_var.copy_(var)
        m.num_batches_tracked.copy_(n)


@torch.no_grad()
def accuracy(model, images, labels, batch=500, arch=None):
    model.eval()
    correct = 0
    for i in range(0, len(images), batch):
        x = images[i:i + batch]
        out = model(x, arch) if arch is not None else model(x)
        correct += int((out.argmax(-1) == labels[i:i + batch]).sum())
    return correct / max(1, len(images))


def subnet_accuracy(net, arch, calib_batches, images, labels):
    """Validation accuracy of `arch` from the shared weights (BatchNorm
    recalibrated on `calib_batches`, then restored)."""
    saved = recalibrate_bn(net, arch, calib_batches)
    try:
        return accuracy(net, images, labels, arch=arch)
    finally:
        restore_bn(net, saved)


def count_subnets(space):
    return math.prod(len(o) for _, o in _choices(space))
