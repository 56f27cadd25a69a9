"""Magnitude pruning for Conv2d / Linear layers (torch 1.13), and a checker for the
pruned ONNX files.

  /usr/bin/python3 python/tinyformer/pruning.py model.onnx [--pattern 1x4] [--json]

Weights as matrices
-------------------
Every rule below works on a 2-D view `[O, K]` of the weight (one row per output):

  Linear  weight [N, K]          -> [N, K] as is.
  Conv2d  weight [O, I, kh, kw]  -> [O, kh*kw*I] in OHWI order (input channel fastest),
          the order in which the int8 kernels read a tap: K index = (y*kw + x)*I + i.
  Linear after a flatten of [C, H, W] (`flatten_chw=(C, H, W)`): torch's K index is
          c*H*W + y*W + x (NCHW flatten); the view re-orders it to HWC, K index =
          (y*W + x)*C + c, because the compiler stores activations NHWC and permutes the
          weight's columns offline. Blocks along K are then consecutive channels.

Patterns
--------
  unstructured  single weights, scored by |w|.
  RxC (1x4, 4x1, 2x2, ...)  blocks of R consecutive output rows x C consecutive K columns
          of the view, aligned to multiples of R and C, scored by their L1 norm. 1x4 =
          4 consecutive K (for a conv with I % 4 == 0: 4 consecutive input channels of one
          tap of one output channel); 4x1 = the same K column of 4 consecutive outputs.
          Where O or K is not a multiple of R or C the edge blocks are smaller; they are
          ranked by L1 / element count (the same order as L1 for whole blocks).
  N:M (2:4, 1:4)  in every aligned group of M consecutive K of one row at most N weights
          are nonzero: the M - N smallest |w| of each group are pruned. A ragged tail group
          of r < M weights keeps min(N, r).

Rounding (the "exact sparsity" rule)
------------------------------------
A layer's sparsity s is counted in the pattern's units (a weight, or a block):
`k = floor(s * U + 0.5)` of its U units are pruned, the k with the smallest scores;
ties are broken by position (stable sort), so masks are deterministic. For unstructured
pruning the layer has exactly k = round-half-up(s * numel) zeros; for RxC blocks without
edge blocks exactly k*R*C.
N:M fixes the final sparsity to 1 - N/M (2:4 -> 0.5, 1:4 -> 0.75 for K a multiple of M);
a target `s` is read as the fraction s / (1 - N/M) of the final mask: the
floor(s / (1 - N/M) * P + 0.5) smallest-|w| of the P weights the final N:M mask would
prune. So every intermediate mask of a gradual schedule is a subset of an N:M mask.

Gradual schedule (Zhu & Gupta, 2017, "To prune, or not to prune")
------------------------------------------------------------------
    s(t) = s_f + (s_i - s_f) * (1 - (t - t0) / (t1 - t0))**3     for t0 <= t <= t1,
    s_i before t0, s_f after t1; masks are recomputed every `every` steps (and at t1).
Masks never shrink: a pruned weight is zero, so it stays among the smallest.

Masked fine-tuning
------------------
`Pruner.step()` after each `optimizer.step()` (own loops), or `Pruner.attach()`,
a forward pre-hook that does the same before every training-mode forward, i.e. after
every optimizer step of any training loop (python/train_fashion_mnist.py's `train`
creates its optimizer inside, so it is used that way), and masks the weights in eval
mode too. Masking is `torch.where(mask, w, +0.0)`: pruned weights are +0.0 bit for bit.

BatchNorm and export
--------------------
torch's exporter folds BatchNorm into the Conv weights: w * gamma / sqrt(var + eps).
Zeros stay zero, but +0.0 times a negative factor is -0.0. `fold_batchnorm` folds
BN into the convolutions before pruning (so masks act on the weights that ship and the
exporter has nothing left to fold), and `sanitize_negative_zeros` rewrites any -0.0 left
in the ONNX float initializers to +0.0 (the same value). `check_onnx` reads a file and
reports per weight: sparsity, the -0.0 count, and which patterns the zeros conform to.
"""
import argparse
import json
import math
import re
import sys

import numpy as np

try:  # the checker needs only numpy + onnx
    import torch
    import torch.nn as nn
except ImportError:  # pragma: no cover
    torch = nn = None

PATTERNS = ("unstructured", "1x4", "4x1", "2:4", "1:4")
NEG_ZERO_BITS = 0x80000000


# ----------------------------------------------------------------------------- patterns

def parse_pattern(pattern):
    """'unstructured' -> ('unstructured',); 'RxC' -> ('block', R, C); 'N:M' ->
    ('nm', N, M). Raises ValueError for anything else."""
    p = str(pattern).strip().lower()
    if p == "unstructured":
        return ("unstructured",)
    m = re.fullmatch(r"(\d+)x(\d+)", p)
    if m and int(m.group(1)) >= 1 and int(m.group(2)) >= 1:
        return ("block", int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"(\d+):(\d+)", p)
    if m and 1 <= int(m.group(1)) < int(m.group(2)):
        return ("nm", int(m.group(1)), int(m.group(2)))
    raise ValueError("unknown pruning pattern %r (unstructured, RxC such as 1x4/4x1, "
                     "or N:M with 1 <= N < M such as 2:4/1:4)" % (pattern,))


def nm_sparsity(pattern):
    """The sparsity an N:M pattern implies (1 - N/M), None for other patterns."""
    p = parse_pattern(pattern)
    return 1.0 - p[1] / p[2] if p[0] == "nm" else None


def round_half_up(x):
    return int(math.floor(x + 0.5))


def _prune_lowest(scores, k):
    """Boolean keep-mask over a 1-D score vector: False for the k lowest (stable)."""
    keep = np.ones(scores.shape[0], bool)
    if k > 0:
        order = np.argsort(scores, kind="stable")
        keep[order[:k]] = False
    return keep


def _block_view(a, r, c):
    """Pads [O, K] to multiples of (r, c) and returns [O/r, K/c, r*c] (padding = 0)."""
    o, k = a.shape
    po, pk = -(-o // r) * r, -(-k // c) * c
    p = np.zeros((po, pk), a.dtype)
    p[:o, :k] = a
    return p.reshape(po // r, r, pk // c, c).transpose(0, 2, 1, 3).reshape(po // r, pk // c,
                                                                           r * c)


def _unblock(b, r, c, o, k):
    nb_o, nb_k, _ = b.shape
    return b.reshape(nb_o, nb_k, r, c).transpose(0, 2, 1, 3).reshape(nb_o * r,
                                                                     nb_k * c)[:o, :k]


def mask_2d(w, pattern, sparsity):
    """Keep-mask (bool numpy [O, K]) for the matrix view `w` (numpy [O, K]) pruned to
    `sparsity` with `pattern` by magnitude; the module docstring gives the rules."""
    w = np.abs(np.asarray(w, np.float64))
    if w.ndim != 2:
        raise ValueError("mask_2d needs a 2-D [O, K] view, got shape %s" % (w.shape,))
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError("sparsity %g is not in [0, 1]" % sparsity)
    o, k = w.shape
    p = parse_pattern(pattern)
    if p[0] == "unstructured":
        return _prune_lowest(w.reshape(-1), round_half_up(sparsity * w.size)).reshape(o, k)
    if p[0] == "block":
        r, c = p[1], p[2]
        l1 = _block_view(w, r, c).sum(-1)
        size = _block_view(np.ones_like(w), r, c).sum(-1)
        keep_b = _prune_lowest((l1 / size).reshape(-1), round_half_up(sparsity * l1.size))
        keep_b = np.repeat(keep_b.reshape(l1.shape)[:, :, None], r * c, axis=2)
        return _unblock(keep_b, r, c, o, k)
    n, m = p[1], p[2]
    final = 1.0 - n / m
    if sparsity > final + 1e-9:
        raise ValueError("%s allows at most %g sparsity, asked %g" % (pattern, final,
                                                                      sparsity))
    # Candidates: the m - n smallest of each aligned group (a ragged tail group of r
    # keeps min(n, r)); then the requested fraction of the candidates, smallest first.
    g = _block_view(w, 1, m)                     # [O, ceil(K/m), m], padding = 0
    real = _block_view(np.ones_like(w), 1, m) > 0
    g = np.where(real, g, np.inf)                # padding never a candidate
    order = np.argsort(g, axis=-1, kind="stable")
    rank = np.argsort(order, axis=-1, kind="stable")
    n_real = real.sum(-1, keepdims=True)
    cand = rank < (n_real - np.minimum(n, n_real))
    cand_flat = cand.reshape(-1)
    n_cand = int(cand_flat.sum())
    frac = 1.0 if final == 0 else min(1.0, sparsity / final)
    kprune = round_half_up(frac * n_cand)
    if sparsity >= final - 1e-9:
        kprune = n_cand
    scores = np.where(cand_flat, g.reshape(-1), np.inf)
    keep = _prune_lowest(scores, kprune)
    keep = keep.reshape(g.shape)
    return _unblock(keep, 1, m, o, k)


def conforms_2d(w, pattern):
    """True when the zeros of the [O, K] view `w` follow `pattern`: for RxC, every zero
    lies in an all-zero block (kept blocks are stored whole, so a kept block may hold
    zeros only by accident, which float training does not produce); for N:M, every
    aligned group of M along K has at most N nonzeros; unstructured: always."""
    w = np.asarray(w)
    p = parse_pattern(pattern)
    if p[0] == "unstructured":
        return True
    if p[0] == "block":
        return block_zero_coverage(w, p[1], p[2]) >= 1.0
    n, m = p[1], p[2]
    g = _block_view((w != 0).astype(np.int64), 1, m).sum(-1)
    return bool((g <= n).all())


def block_zero_coverage(w, r, c):
    """Fraction of the zeros of `w` [O, K] that lie in all-zero RxC blocks (1.0 when
    there are no zeros)."""
    w = np.asarray(w)
    z = (w == 0)
    total = int(z.sum())
    if total == 0:
        return 1.0
    zb = _block_view(z.astype(np.int64), r, c)
    size = _block_view(np.ones(w.shape, np.int64), r, c).sum(-1)
    full = zb.sum(-1) == size
    return float(zb.sum(-1)[full].sum()) / total


# ----------------------------------------------------------------------------- views

def matrix_view(weight, flatten_chw=None):
    """numpy [O, K] view of a conv weight [O, I, kh, kw] (OHWI) or a linear weight
    [N, K] (re-ordered to HWC when `flatten_chw` = (C, H, W))."""
    w = np.asarray(weight)
    if w.ndim == 4:
        return w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
    if w.ndim != 2:
        raise ValueError("weight of rank %d (want 2 or 4)" % w.ndim)
    if flatten_chw is not None:
        c, h, wd = flatten_chw
        if c * h * wd != w.shape[1]:
            raise ValueError("flatten_chw %s does not match K = %d" % (flatten_chw,
                                                                      w.shape[1]))
        return w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
    return w


def from_matrix_view(m, shape, flatten_chw=None):
    """Inverse of matrix_view: [O, K] back to the weight's own `shape`."""
    m = np.asarray(m)
    if len(shape) == 4:
        o, i, kh, kw = shape
        return m.reshape(o, kh, kw, i).transpose(0, 3, 1, 2)
    if flatten_chw is not None:
        c, h, wd = flatten_chw
        return m.reshape(shape[0], h, wd, c).transpose(0, 3, 1, 2).reshape(shape)
    return m.reshape(shape)


def weight_mask(weight, pattern, sparsity, flatten_chw=None):
    """Keep-mask (bool numpy, the weight's shape) of a conv/linear weight."""
    w = weight.detach().cpu().numpy() if torch is not None and isinstance(
        weight, torch.Tensor) else np.asarray(weight)
    keep = mask_2d(matrix_view(w, flatten_chw), pattern, sparsity)
    return from_matrix_view(keep, w.shape, flatten_chw)


def weight_conforms(weight, pattern, flatten_chw=None):
    return conforms_2d(matrix_view(np.asarray(weight), flatten_chw), pattern)


# ----------------------------------------------------------------------------- schedule

class GradualSchedule:
    """Zhu & Gupta's cubic schedule: s(t) = s_f + (s_i - s_f)(1 - (t-t0)/(t1-t0))^3 on
    [t0, t1]; `every` = steps between mask updates (t1 is always an update)."""

    def __init__(self, begin_step, end_step, every=1, initial_sparsity=0.0):
        if end_step < begin_step or every < 1 or begin_step < 0:
            raise ValueError("bad schedule: begin %d, end %d, every %d"
                             % (begin_step, end_step, every))
        self.begin, self.end, self.every = int(begin_step), int(end_step), int(every)
        self.initial = float(initial_sparsity)

    def sparsity(self, step, final):
        s_i = min(self.initial, final)
        if step <= self.begin:
            return s_i if self.end > self.begin else final
        if step >= self.end:
            return final
        frac = (step - self.begin) / float(self.end - self.begin)
        return final + (s_i - final) * (1.0 - frac) ** 3

    def is_update_step(self, step):
        if step < self.begin:
            return False
        if step >= self.end:
            return True      # Pruner skips it when already at the final masks
        return (step - self.begin) % self.every == 0

    def as_dict(self):
        return {"kind": "cubic (Zhu & Gupta)", "begin_step": self.begin,
                "end_step": self.end, "every": self.every,
                "initial_sparsity": self.initial}


def one_shot():
    """A schedule that is at the final sparsity from step 0."""
    return GradualSchedule(0, 0, 1)


# ----------------------------------------------------------------------------- modules

def prunable_layers(model):
    """(name, module) of every Conv2d and Linear, in module order."""
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, (nn.Conv2d, nn.Linear))]


def fold_batchnorm(model):
    """In place: every Conv2d directly followed by a BatchNorm2d in an nn.Sequential
    (ConvBNReLU, FashionCNN.features) gets the BN folded in (eval semantics, running
    statistics) and a bias; the BN becomes nn.Identity. Returns the model. The torch
    model then computes what the exported graph computes, in train and eval mode, and
    the masks act on the weights that will ship."""
    for parent in list(model.modules()):
        if not isinstance(parent, nn.Sequential):
            continue
        keys = list(parent._modules.keys())
        for a, b in zip(keys, keys[1:]):
            conv, bn = parent._modules[a], parent._modules[b]
            if not (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)):
                continue
            with torch.no_grad():
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.bias)
                new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                                conv.stride, conv.padding, conv.dilation, conv.groups,
                                bias=True, padding_mode=conv.padding_mode)
                new.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
                new.bias.copy_(bn.bias + (bias - bn.running_mean) * scale)
            parent._modules[a] = new
            parent._modules[b] = nn.Identity()
    return model


def _neg_zero_count_np(a):
    a = np.ascontiguousarray(a, np.float32)
    return int((a.view(np.uint32) == NEG_ZERO_BITS).sum())


class _Layer:
    def __init__(self, name, module, target, pattern, flatten_chw):
        self.name, self.module, self.target = name, module, float(target)
        self.pattern, self.flatten_chw = pattern, flatten_chw
        self.mask = torch.ones_like(module.weight, dtype=torch.bool)
        self.current = 0.0


class Pruner:
    """Per-layer magnitude pruning with a gradual schedule and masked fine-tuning.

    model       a torch module (Conv2d / Linear layers are the candidates)
    sparsity    one float for every candidate layer, or {module name: sparsity}
                (only the named layers are pruned); for N:M patterns None means
                1 - N/M
    pattern     see the module docstring; one for all layers
    schedule    GradualSchedule (default: one-shot)
    skip_first  leave the first candidate layer (the first conv) dense
    skip_last   leave the last Linear (the classifier) dense
    flatten_chw {module name: (C, H, W)} for Linears fed by a flatten of NCHW (the
                block/N:M view then groups along channels, see matrix_view)
    """

    def __init__(self, model, sparsity, pattern="unstructured", schedule=None,
                 skip_first=False, skip_last=False, flatten_chw=None):
        parse_pattern(pattern)
        self.model, self.pattern = model, pattern
        self.schedule = schedule or one_shot()
        self.step_count = 0
        self._final_done = False
        nm = nm_sparsity(pattern)
        cands = prunable_layers(model)
        skipped = set()
        if skip_first and cands:
            skipped.add(cands[0][0])
        if skip_last:
            lin = [n for n, m in cands if isinstance(m, nn.Linear)]
            if lin:
                skipped.add(lin[-1])
        if isinstance(sparsity, dict):
            unknown = set(sparsity) - {n for n, _ in cands}
            if unknown:
                raise ValueError("no Conv2d/Linear named %s" % sorted(unknown))
            targets = {n: s for n, s in sparsity.items() if n not in skipped}
        else:
            targets = {n: sparsity for n, _ in cands if n not in skipped}
        self.skipped = [n for n, _ in cands if n in skipped or n not in targets]
        self.layers = []
        flatten_chw = flatten_chw or {}
        mods = dict(cands)
        for n, _ in cands:
            if n not in targets:
                continue
            s = targets[n]
            if s is None:
                if nm is None:
                    raise ValueError("layer %s: no sparsity given" % n)
                s = nm
            if nm is not None and abs(s - nm) > 1e-9:
                raise ValueError("layer %s: pattern %s means sparsity %g, not %g"
                                 % (n, pattern, nm, s))
            if not 0.0 <= s <= 1.0:
                raise ValueError("layer %s: sparsity %g not in [0, 1]" % (n, s))
            self.layers.append(_Layer(n, mods[n], s, pattern, flatten_chw.get(n)))

    # -- masks
    def update_masks(self, step=None):
        """Recomputes every layer's mask for the schedule's sparsity at `step`
        (default: the current step), from the current (already masked) weights."""
        step = self.step_count if step is None else step
        for L in self.layers:
            s = self.schedule.sparsity(step, L.target)
            w = L.module.weight.detach()
            keep = weight_mask(w * L.mask, L.pattern, s, L.flatten_chw)
            L.mask = torch.from_numpy(keep).to(w.device) & L.mask
            L.current = s
        if step >= self.schedule.end:
            self._final_done = True

    def set_final_masks(self):
        """One-shot: masks at the final targets now."""
        self.update_masks(max(self.step_count, self.schedule.end))

    @torch.no_grad()
    def apply(self):
        """Pruned weights := +0.0 (torch.where, never -0.0)."""
        for L in self.layers:
            w = L.module.weight
            w.copy_(torch.where(L.mask, w, torch.zeros_like(w)))

    def _scheduled_update(self):
        t = self.step_count
        if self.schedule.is_update_step(t) and not self._final_done:
            self.update_masks(t)

    def step(self):
        """Call after every optimizer.step() of an own training loop: counts the step,
        updates the masks when the schedule says so, masks the weights."""
        self.step_count += 1
        self._scheduled_update()
        self.apply()

    def attach(self):
        """Forward pre-hook on the model: before every training-mode forward (= after
        every optimizer step) the schedule is advanced and the masks re-applied; in
        eval mode only the masks are applied. Returns the hook handle."""
        def hook(module, inputs):
            if module.training:
                self._scheduled_update()
                self.step_count += 1
            self.apply()
        self.update_masks(self.step_count)
        self.apply()
        return self.model.register_forward_pre_hook(hook)

    def finalize(self):
        """Final masks applied and checked: every pruned position is +0.0 bit for bit
        (raises otherwise). Call before export."""
        self.apply()
        for L in self.layers:
            w = L.module.weight.detach().cpu().numpy()
            pruned = ~L.mask.cpu().numpy()
            bits = np.ascontiguousarray(w, np.float32).view(np.uint32)
            if (bits[pruned] != 0).any():
                raise AssertionError("layer %s: a pruned weight is not +0.0" % L.name)

    def report(self):
        """Per-layer figures: {name: {shape, params, zeros, sparsity, target, ...}}."""
        out = {}
        for L in self.layers:
            w = L.module.weight.detach().cpu().numpy()
            out[L.name] = {"shape": list(w.shape), "params": int(w.size),
                           "zeros": int((w == 0).sum()),
                           "sparsity": float((w == 0).mean()),
                           "target": L.target, "pattern": L.pattern,
                           "pattern_conforms": bool(weight_conforms(w, L.pattern,
                                                                    L.flatten_chw)),
                           "negative_zeros": _neg_zero_count_np(w)}
            if L.flatten_chw:
                out[L.name]["k_order"] = "HWC of flatten %s" % (list(L.flatten_chw),)
        return out

    def total(self):
        """(pruned-layer params, zeros) over the pruned layers."""
        r = self.report()
        return (sum(v["params"] for v in r.values()), sum(v["zeros"] for v in r.values()))


# ----------------------------------------------------------------------------- ONNX

def sanitize_negative_zeros(model, names=None):
    """In place on an onnx ModelProto: every -0.0 in the float initializers (or only in
    `names`) becomes +0.0. Returns the number rewritten."""
    from onnx import numpy_helper
    count = 0
    for i, init in enumerate(model.graph.initializer):
        if init.data_type != 1 or (names is not None and init.name not in names):
            continue
        a = numpy_helper.to_array(init)
        n = _neg_zero_count_np(a)
        if n:
            a = np.where(a == 0, np.float32(0.0), a).astype(np.float32)
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(a, init.name))
            count += n
    return count


def _onnx_weight_views(model):
    """{initializer name: (op, [O, K] view, note)} for the weights of Conv, Gemm and
    MatMul (constant B) nodes. A Gemm/MatMul fed by a Flatten of a known [N, C, H, W]
    gets the HWC view (see matrix_view)."""
    import onnx
    from onnx import numpy_helper
    inits = {i.name: i for i in model.graph.initializer}
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
        shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
                  for v in list(inferred.graph.value_info) + list(inferred.graph.input)}
    except Exception:  # pragma: no cover
        shapes = {}
    producer = {o: n for n in model.graph.node for o in n.output}

    def flatten_chw(x):
        p = producer.get(x)
        if p is None or p.op_type != "Flatten":
            return None
        s = shapes.get(p.input[0])
        if s and len(s) == 4 and all(s[1:]):
            return tuple(s[1:])
        return None

    out = {}
    for n in model.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        if n.op_type == "Conv" and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            out[n.input[1]] = ("Conv", matrix_view(w), "OHWI")
        elif n.op_type in ("Gemm", "MatMul") and len(n.input) > 1 and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            if w.ndim != 2:
                continue
            if n.op_type == "MatMul" or not a.get("transB", 0):
                w = w.T                                  # [K, N] -> [N, K]
            chw = flatten_chw(n.input[0])
            out[n.input[1]] = (n.op_type, matrix_view(w, chw),
                               "HWC of flatten %s" % (list(chw),) if chw else "NK")
    return out


def check_onnx(path_or_model, pattern=None):
    """Report on a (pruned) ONNX file:
    {"weights": {name: {op, shape, params, zeros, sparsity, negative_zeros, k_order,
                        conforms: {pattern: bool}}},
     "float_initializers_negative_zeros": total -0.0 over all float initializers,
     "weights_negative_zeros": total over the weights, "weights_sparsity": overall,
     "ok": no -0.0 in a weight and (if `pattern`) every weight with zeros conforms}."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path_or_model) if isinstance(path_or_model, str) else path_or_model
    views = _onnx_weight_views(model)
    weights = {}
    for init in model.graph.initializer:
        if init.name not in views:
            continue
        op, v, note = views[init.name]
        a = numpy_helper.to_array(init)
        zeros = int((a == 0).sum())
        weights[init.name] = {
            "op": op, "shape": list(a.shape), "params": int(a.size), "zeros": zeros,
            "sparsity": zeros / float(a.size), "negative_zeros": _neg_zero_count_np(a),
            "k_order": note,
            "conforms": {p: bool(conforms_2d(v, p)) for p in PATTERNS},
        }
    all_neg = sum(_neg_zero_count_np(numpy_helper.to_array(i))
                  for i in model.graph.initializer if i.data_type == 1)
    w_neg = sum(w["negative_zeros"] for w in weights.values())
    tot = sum(w["params"] for w in weights.values())
    ok = w_neg == 0
    if pattern is not None:
        ok = ok and all(w["conforms"][pattern] if pattern in w["conforms"]
                        else conforms_2d(views[n][1], pattern)
                        for n, w in weights.items() if w["zeros"])
    return {"weights": weights, "float_initializers_negative_zeros": int(all_neg),
            "weights_negative_zeros": int(w_neg),
            "weights_sparsity": (sum(w["zeros"] for w in weights.values()) / float(tot)
                                 if tot else 0.0),
            "pattern": pattern, "ok": bool(ok)}


def format_report(rep):
    lines = ["%-28s %-6s %-16s %8s %8s %6s  %s" % ("weight", "op", "shape", "params",
                                                    "sparsity", "-0.0",
                                                    "conforms to")]
    for n, w in rep["weights"].items():
        conf = ",".join(p for p in PATTERNS if w["conforms"][p] and p != "unstructured")
        if not w["zeros"]:
            conf = "(dense)"
        lines.append("%-28s %-6s %-16s %8d %8.4f %6d  %s" % (
            n[:28], w["op"], "x".join(map(str, w["shape"])), w["params"], w["sparsity"],
            w["negative_zeros"], conf or "-"))
    lines.append("weights: sparsity %.4f, -0.0 in weights %d, -0.0 in all float "
                 "initializers %d%s: %s" % (
                     rep["weights_sparsity"], rep["weights_negative_zeros"],
                     rep["float_initializers_negative_zeros"],
                     ", pattern %s" % rep["pattern"] if rep["pattern"] else "",
                     "OK" if rep["ok"] else "FAIL"))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description="Sparsity / -0.0 / pattern report of the "
                                            "Conv, Gemm and MatMul weights of an ONNX file")
    p.add_argument("model")
    p.add_argument("--pattern", help="fail unless every weight with zeros conforms")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.pattern:
        parse_pattern(args.pattern)
    rep = check_onnx(args.model, args.pattern)
    print(json.dumps(rep, indent=1) if args.json else format_report(rep))
    return 0 if rep["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
