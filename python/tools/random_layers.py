#!/usr/bin/python3
"""Randomized end-to-end layer tests: emulator vs host reference, bit-exact.

  random_layers.py [--count 40] [--seed 1] [--boards m7,m4] [--m4-every 2]
                   [--only I[,J...]] [--kind KIND] [--keep] [--work DIR] [--jobs N]
                   [--tinyformer build/bin/tinyformer] [--no-float-check]

Generates random single-layer (or small two-layer) float ONNX models with
onnx.helper and numpy, seeded per case (case I of seed S always gets the same
model, whatever --count is): convolutions (k 1/3/5, strides 1/2, symmetric and
asymmetric padding 0..2, 1..37 channels, fused Relu/Clip), depthwise
convolutions, fully connected layers (Gemm on [1,K], and MatMul + Add bias on
[1,T,K] token batches), Add of two tensors computed from the one input,
max/average pooling (with and without padding, count_include_pad 0/1), global
average pooling, softmax over the last axis, Relu/Clip on their own, a
transpose and a conv -> flatten -> gemm chain; and transformer layers:
LayerNorm over the last axis of [1,T,C] (decomposed as torch exports it at
opset 13, which canonicalization fuses to layer_norm, or the opset-17
LayerNormalization op), GELU (erf and tanh forms, in the associations
exporters write), SiLU, sigmoid and tanh (256-entry tables), activation x
activation matmuls (x xT, xT x, two slices of x, x split into a batch) and
whole self-attention blocks (Q/K/V linear, heads split by reshape and
transpose, scaled scores, softmax, head merge, output linear; 1-4 heads of
2-16, 1-40 tokens), which must compile to one mhsa layer (also with --fwsa
for some: fused_qk for one head, none for more); and, with --kind gate,
products of two activations (squeeze-excite gates x * sigmoid|hardsigmoid(
conv1x1(mean x)), and relu(fc(x)) * fc(x) over tokens); with --kind
transposed, ConvTranspose (1-D and 2-D, strides 1-3, pads, output_padding,
dilation, groups) and DepthToSpace (DCR and CRD); with --kind shuffle,
chains of reshapes and transposes of a map up to 6-D; with --kind
mhsa_batch, self-attention over a batch of 2-4 sequences (torch's
batch_first nn.MultiheadAttention export, or written batch-first); with
--kind mhsa_bias, the same with a constant on the scores (a causal mask of
-inf, a per-head relative position bias, one with masked keys).

For each case it writes a float32 calibration batch (8 samples, a random,
often asymmetric range) and a test input (three samples: one inside the
calibration range, one 20% past it, and the first calibration sample),
compiles the model (--weight-storage int8 and int16 for conv/FC/attention,
auto otherwise, plus --fwsa for some attention blocks) for each board's CPU,
runs it on the emulator and on the host INT8 reference, and checks that
  - the compile report shows the expected layers (layer_norm, a lut kernel,
    a batch_matmul kernel, one mhsa layer) for the transformer kinds;
  - the emulator's int8 outputs are bit-identical to the host's;
  - the host outputs of every build of the case (int8/int16 weights, M7/M4)
    are identical (weight storage and CPU must not change the arithmetic;
    --fwsa builds are compared among themselves);
  - loosely, the dequantized output is close to the float model's, computed
    in numpy on the quantized input with per-channel fake-quantized weights:
    within 2.5 output steps for one-layer models, 3 steps + 4% of the output
    range for models with an intermediate tensor (--no-float-check skips it).
    An attention block rounds its Q, K, V, scores, probabilities and context
    inside the one layer: the reference rounds them to the op's int8 types
    too (for a fused_qk block it is the fused block's float model), and
    the output must be within the multi-layer bound and on average within
    one output step. This catches errors that the emulator and the host
    would share.
The first board in --boards runs every case; later boards run the first of
every --m4-every cases of each kind (all cases if --m4-every 1).

Prints one line per case and "N passed, M failed"; exits 1 if any case failed,
with the case's parameters and a command line that reproduces it.
"""
import argparse
import concurrent.futures
import itertools
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:  # pragma: no cover
    print("random_layers: error: needs the onnx Python package", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CPU_OF_BOARD = {"m7": "cortex-m7", "m4": "cortex-m4"}
OPSET = 13
IR_VERSION = 8


# ---------------------------------------------------------------------------
# Model building
# ---------------------------------------------------------------------------

class Builder:
    """Collects nodes and initializers of one graph."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.n = 0
        self.opset = OPSET
        # What the compile report must show: ("op" | "kernel", [the layers'
        # values, in order]) or ("kernel", name one layer must have).
        self.expect = None
        # Also compile with --fwsa (Fused-Weight Self-Attention); None, or
        # whether the block must then have fused_qk.
        self.fwsa = None
        # Attention block: ONNX tensor names of its query, key, value,
        # score (scaled), probs and context tensors, which the compiled
        # mhsa rounds to int8 (float_check rounds them likewise).
        self.taps = None
        # With --fwsa: (the fused block's float model, its taps).
        self.fused = None

    def name(self, base):
        self.n += 1
        return "%s_%d" % (base, self.n)

    def const(self, base, array):
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(
            np.ascontiguousarray(np.asarray(array, np.float32)), name))
        return name

    def ints(self, base, values):
        """An int64 initializer (shapes, slice bounds)."""
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(values, np.int64), name))
        return name

    def linear(self, x, k, n):
        """MatMul by a [k, n] weight + Add bias, as torch exports nn.Linear."""
        mm = self.node("MatMul", [x, self.const("W", self.weights((n, k), k).T)])
        return self.node("Add", [mm, self.const("B", self.bias(n))])

    def node(self, op, inputs, **attrs):
        return self.node_outputs(op, inputs, 1, **attrs)[0]

    def node_outputs(self, op, inputs, count, **attrs):
        """A node with `count` outputs (Split); their names."""
        outs = [self.name(op.lower()) for _ in range(count)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.name(op), **attrs))
        return outs

    def weights(self, shape, fan_in):
        """Random weights, output channels first, with a spread of
        per-output-channel magnitudes, so per-channel quantization sees
        different scales."""
        w = self.rng.normal(0.0, 1.0 / np.sqrt(max(1, fan_in)), size=shape)
        chan = np.exp(self.rng.normal(0.0, 0.6, size=(shape[0],) + (1,) * (len(shape) - 1)))
        w = w * chan
        if self.rng.random() < 0.1:
            # An all-zero output channel (per-channel scale of zero).
            w[int(self.rng.integers(0, shape[0]))] = 0.0
        return w.astype(np.float32)

    def bias(self, n):
        # Sometimes large against the products (saturating outputs).
        std = 3.0 if self.rng.random() < 0.15 else 0.2
        return self.rng.normal(0.0, std, size=(n,)).astype(np.float32)

    def conv(self, x, cin, cout, k, stride=(1, 1), pads=(0, 0, 0, 0), group=1, bias=True):
        kh, kw = (k, k) if isinstance(k, int) else k
        w = self.const("W", self.weights((cout, cin // group, kh, kw), cin // group * kh * kw))
        ins = [x, w]
        if bias:
            ins.append(self.const("B", self.bias(cout)))
        return self.node("Conv", ins, kernel_shape=[kh, kw], strides=list(stride),
                         pads=list(pads), group=group)

    def act(self, x, kind):
        if kind == "none":
            return x
        if kind == "relu":
            return self.node("Relu", [x])
        if kind == "relu6":
            return self.node("Clip", [x, self.const("lo", np.array(0.0)),
                                      self.const("hi", np.array(6.0))])
        if kind == "clip":
            lo = float(self.rng.uniform(-0.8, 0.1))
            hi = float(self.rng.uniform(0.2, 1.0))
            return self.node("Clip", [x, self.const("lo", np.array(lo)),
                                      self.const("hi", np.array(hi))])
        raise ValueError(kind)

    def model(self, x_shape, out, out_shape):
        graph = helper.make_graph(
            self.nodes, "random_layer",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, list(out_shape))],
            self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="random_layers")
        m.ir_version = IR_VERSION
        onnx.checker.check_model(m)
        return m


def out_size(n, k, s, p0, p1):
    return (n + p0 + p1 - k) // s + 1


def pick_pads(rng, kh, kw, maxpad=2):
    """ONNX pads [top, left, bottom, right]: symmetric or asymmetric, each
    below the kernel size and at most maxpad."""
    ph = min(maxpad, kh - 1)
    pw = min(maxpad, kw - 1)
    if rng.random() < 0.5:
        t = int(rng.integers(0, ph + 1))
        l_ = int(rng.integers(0, pw + 1))
        return (t, l_, t, l_), "sym"
    return (int(rng.integers(0, ph + 1)), int(rng.integers(0, pw + 1)),
            int(rng.integers(0, ph + 1)), int(rng.integers(0, pw + 1))), "asym"


def spatial(rng, k, pad_sum=0, hi=14):
    """A spatial size that fits the kernel once padded (it may be smaller
    than the kernel itself)."""
    return int(rng.integers(max(1, k - pad_sum), hi + 1))


def chans(rng):
    # 1..37, biased towards values that are not multiples of 4.
    c = int(rng.integers(1, 38))
    if c % 4 == 0 and rng.random() < 0.5:
        c += int(rng.integers(1, 4))
    return min(c, 37)


def act_kind(rng):
    return str(rng.choice(["none", "relu", "relu6", "clip"], p=[0.4, 0.3, 0.15, 0.15]))


def gen_conv(rng, b):
    k = int(rng.choice([1, 3, 5]))
    s = int(rng.choice([1, 2]))
    cin, cout = chans(rng), chans(rng)
    pads, pk = pick_pads(rng, k, k)
    h, w = spatial(rng, k, pads[0] + pads[2]), spatial(rng, k, pads[1] + pads[3])
    act = act_kind(rng)
    y = b.act(b.conv("x", cin, cout, k, (s, s), pads, bias=rng.random() < 0.85), act)
    oh, ow = out_size(h, k, s, pads[0], pads[2]), out_size(w, k, s, pads[1], pads[3])
    desc = "conv k%d s%d pads%s(%s) %dx%dx%d->%d %s" % (
        k, s, list(pads), pk, h, w, cin, cout, act)
    return (1, cin, h, w), y, (1, cout, oh, ow), desc, True


def gen_dwconv(rng, b):
    k = int(rng.choice([1, 3, 3, 5]))
    s = int(rng.choice([1, 2]))
    c = chans(rng)
    pads, pk = pick_pads(rng, k, k)
    h, w = spatial(rng, k, pads[0] + pads[2]), spatial(rng, k, pads[1] + pads[3])
    act = act_kind(rng)
    y = b.act(b.conv("x", c, c, k, (s, s), pads, group=c), act)
    oh, ow = out_size(h, k, s, pads[0], pads[2]), out_size(w, k, s, pads[1], pads[3])
    desc = "depthwise k%d s%d pads%s(%s) %dx%dx%d %s" % (k, s, list(pads), pk, h, w, c, act)
    return (1, c, h, w), y, (1, c, oh, ow), desc, True


def gen_fc_tokens(rng, b):
    t = 1 if rng.random() < 0.3 else int(rng.integers(2, 70))
    kdim, n = int(rng.integers(1, 80)), int(rng.integers(1, 80))
    act = str(rng.choice(["none", "relu"], p=[0.7, 0.3]))
    mm = b.node("MatMul", ["x", b.const("W", b.weights((n, kdim), kdim).T)])
    y = b.act(b.node("Add", [mm, b.const("B", b.bias(n))]), act)
    desc = "fc tokens [1,%d,%d] x [%d,%d] + bias %s" % (t, kdim, kdim, n, act)
    return (1, t, kdim), y, (1, t, n), desc, True


def gen_gemm(rng, b):
    kdim, n = int(rng.integers(1, 300)), int(rng.integers(1, 70))
    trans_b = int(rng.integers(0, 2))
    w = b.weights((n, kdim), kdim)
    w = w if trans_b else np.ascontiguousarray(w.T)
    act = act_kind(rng)
    y = b.act(b.node("Gemm", ["x", b.const("W", w), b.const("B", b.bias(n))],
                     transB=trans_b), act)
    desc = "gemm [1,%d] -> %d transB=%d %s" % (kdim, n, trans_b, act)
    return (1, kdim), y, (1, n), desc, True


def gen_add(rng, b):
    variant = int(rng.integers(0, 4))
    if variant in (0, 1):
        c = chans(rng)
        h, w = spatial(rng, 1, 0, 12), spatial(rng, 1, 0, 12)
        k = int(rng.choice([1, 3]))
        p = k // 2
        if variant == 0:
            other = b.node("Relu", [b.conv("x", c, c, k, pads=(p, p, p, p))])
            y = b.node("Add", ["x", other])
            desc = "add x + relu(conv%dx%d(x)) %dx%dx%d" % (k, k, h, w, c)
        else:
            cout = chans(rng)
            a1 = b.conv("x", c, cout, k, pads=(p, p, p, p))
            a2 = b.act(b.conv("x", c, cout, 1), str(rng.choice(["none", "relu"])))
            y = b.node("Add", [a1, a2])
            desc = "add conv%dx%d(x) + conv1x1(x) %dx%dx%d->%d" % (k, k, h, w, c, cout)
        act = str(rng.choice(["none", "relu"]))
        y = b.act(y, act)
        return (1, c, h, w), y, (1, c if variant == 0 else cout, h, w), desc + " " + act, False
    t, c = int(rng.integers(1, 40)), int(rng.integers(1, 70))
    if variant == 2:
        other = b.act("x", str(rng.choice(["relu", "clip"])))
        y = b.node("Add", ["x", other])
        desc = "add x + act(x) [1,%d,%d]" % (t, c)
    else:
        mm = b.node("MatMul", ["x", b.const("W", b.weights((c, c), c).T)])
        y = b.node("Add", [b.node("Add", [mm, b.const("B", b.bias(c))]), "x"])
        desc = "add x + fc(x) [1,%d,%d]" % (t, c)
    return (1, t, c), y, (1, t, c), desc, False


def gen_pool(rng, b, op):
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    if kh == kw == 1:
        kh = 2
    sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    c = chans(rng)
    if rng.random() < 0.4:
        pads, pk = (0, 0, 0, 0), "nopad"
    else:
        pads, pk = pick_pads(rng, kh, kw)
    h, w = spatial(rng, kh, pads[0] + pads[2], 16), spatial(rng, kw, pads[1] + pads[3], 16)
    attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], pads=list(pads))
    extra = ""
    if op == "AveragePool":
        attrs["count_include_pad"] = int(rng.integers(0, 2))
        extra = " count_include_pad=%d" % attrs["count_include_pad"]
    y = b.node(op, ["x"], **attrs)
    oh, ow = out_size(h, kh, sh, pads[0], pads[2]), out_size(w, kw, sw, pads[1], pads[3])
    desc = "%s k%dx%d s%dx%d pads%s(%s)%s %dx%dx%d" % (
        op.lower(), kh, kw, sh, sw, list(pads), pk, extra, h, w, c)
    return (1, c, h, w), y, (1, c, oh, ow), desc, False


def gen_maxpool(rng, b):
    return gen_pool(rng, b, "MaxPool")


def gen_avgpool(rng, b):
    return gen_pool(rng, b, "AveragePool")


def gen_gap(rng, b):
    c = chans(rng)
    h, w = int(rng.integers(1, 17)), int(rng.integers(1, 17))
    y = b.node("GlobalAveragePool", ["x"])
    if rng.random() < 0.5:
        y = b.node("Flatten", [y], axis=1)
        return (1, c, h, w), y, (1, c), "globalavgpool+flatten %dx%dx%d" % (h, w, c), False
    return (1, c, h, w), y, (1, c, 1, 1), "globalavgpool %dx%dx%d" % (h, w, c), False


def gen_gate(rng, b):
    """A product of two activations: a squeeze-excite channel gate of a map,
    x * sigmoid|hardsigmoid(conv1x1(mean(x))), or a same-shape product of
    two token batches, relu(fc(x)) * fc(x)."""
    if rng.random() < 0.6:
        c = chans(rng)
        h, w = int(rng.integers(1, 13)), int(rng.integers(1, 13))
        s = b.node("ReduceMean", ["x"], axes=[2, 3], keepdims=1)
        s = b.conv(s, c, c, 1)
        gate = str(rng.choice(["Sigmoid", "HardSigmoid"]))
        s = b.node(gate, [s])
        y = b.node("Mul", ["x", s] if rng.random() < 0.5 else [s, "x"])
        return (1, c, h, w), y, (1, c, h, w), "gate x*%s(conv1x1(mean)) %dx%dx%d" % (
            gate.lower(), h, w, c), False
    t, c = int(rng.integers(1, 20)), int(rng.integers(1, 40))
    y = b.node("Mul", [b.act(b.linear("x", c, c), "relu"), b.linear("x", c, c)])
    return (1, t, c), y, (1, t, c), "mul relu(fc(x))*fc(x) [1,%d,%d]" % (t, c), False


def gen_upsample(rng, b):
    """Upsampling of a map by whole factors (Resize, as torch's nn.Upsample
    exports it), after a conv so the input has its own scale: nearest
    (sometimes by sizes instead of scales), or bilinear with half-pixel
    centres (align_corners=False) by factors 1-4."""
    c = chans(rng)
    h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    sh, sw = int(rng.choice([1, 2, 2, 3, 4])), int(rng.choice([1, 2, 2, 4]))
    y = b.conv("x", c, c, 1)
    mode = "nearest"
    if rng.random() < 0.4:
        mode = "bilinear"
        scales = b.const("scales", [1.0, 1.0, float(sh), float(sw)])
        coords = "half_pixel" if rng.random() < 0.5 else "pytorch_half_pixel"
        y = b.node("Resize", [y, "", scales], mode="linear",
                   coordinate_transformation_mode=coords)
    elif rng.random() < 0.3:
        sizes = b.ints("sizes", [1, c, h * sh, w * sw])
        y = b.node("Resize", [y, "", "", sizes], mode="nearest",
                   coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    else:
        scales = b.const("scales", [1.0, 1.0, float(sh), float(sw)])
        y = b.node("Resize", [y, "", scales], mode="nearest",
                   coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    return (1, c, h, w), y, (1, c, h * sh, w * sw), "upsample %s %dx%dx%d by %dx%d" % (
        mode, h, w, c, sh, sw), False


def gen_transposed(rng, b):
    """Transposed convolutions as nn.ConvTranspose1d / 2d export them
    (kernel 1-5, stride 1-3, pads per side below the kernel, output_padding
    below the stride, dilation 1-2, groups 1-2), or a 1x1 conv then
    DepthToSpace (nn.PixelShuffle's CRD order, or DCR) by 2 or 3."""
    if rng.random() < 0.25:
        bs, c, cin = int(rng.choice([2, 3])), int(rng.integers(1, 5)), chans(rng)
        h, w = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        mode = "CRD" if rng.random() < 0.6 else "DCR"
        y = b.node("DepthToSpace", [b.conv("x", cin, c * bs * bs, 1)],
                   blocksize=bs, mode=mode)
        return (1, cin, h, w), y, (1, c, h * bs, w * bs), \
            "depth_to_space %s %dx%dx%d by %d" % (mode, h, w, c * bs * bs, bs), True
    one_d = rng.random() < 0.25
    dims = 1 if one_d else 2
    g = 2 if rng.random() < 0.2 else 1
    cin, cout = g * int(rng.integers(1, 9)), g * int(rng.integers(1, 9))
    k = [int(rng.integers(1, 6)) for _ in range(dims)]
    s = [int(rng.choice([1, 2, 2, 3])) for _ in range(dims)]
    d = [2 if rng.random() < 0.15 else 1 for _ in range(dims)]
    span = [(kk - 1) * dd + 1 for kk, dd in zip(k, d)]
    sizes = [int(rng.integers(1, 8)) for _ in range(dims)]
    begin = [int(rng.integers(0, sp)) for sp in span]
    end = [int(rng.integers(0, sp)) for sp in span]
    outp = [int(rng.integers(0, max(ss, dd))) for ss, dd in zip(s, d)]
    out = [ss * (n - 1) + sp - p0 - p1 + o
           for ss, n, sp, p0, p1, o in zip(s, sizes, span, begin, end, outp)]
    if min(out) < 1:
        begin = [0] * dims
        end = [0] * dims
        out = [ss * (n - 1) + sp + o for ss, n, sp, o in zip(s, sizes, span, outp)]
    w = b.const("W", b.weights((cin, cout // g) + tuple(k), cin // g * int(np.prod(k))))
    ins = ["x", w] + ([b.const("B", b.bias(cout))] if rng.random() < 0.85 else [])
    act = act_kind(rng)
    y = b.act(b.node("ConvTranspose", ins, kernel_shape=k, strides=s, dilations=d,
                     pads=begin + end, output_padding=outp, group=g), act)
    desc = "conv_transpose%dd k%s s%s d%s pads%s out_pad%s g%d %sx%d->%d %s" % (
        dims, k, s, d, begin + end, outp, g, sizes, cin, cout, act)
    return (1, cin) + tuple(sizes), y, (1, cout) + tuple(out), desc, True


def gen_shuffle(rng, b):
    """Chains of reshapes and transposes of a conv's map (as MobileViT's
    unfold / fold, pixel shuffles and 5-D / 6-D permutes are written):
    1-3 steps, each a reshape of the current dims split into factors (some
    merged back) and a random permutation of up to 6 dims; the result is
    the output, or is reshaped to a map for a 1x1 conv."""
    dims = [int(rng.choice([1, 2, 2, 3, 4])) for _ in range(3)]
    c, h, w = dims[0] * int(rng.integers(1, 3)), dims[1] * 2, dims[2] * 2
    y = b.conv("x", c, c, 1)
    shape = [1, c, h, w]
    steps = int(rng.integers(1, 4))
    for _ in range(steps):
        factors = []
        for d in shape:
            while d > 1 and d % 2 == 0 and rng.random() < 0.6:
                factors.append(2)
                d //= 2
            factors.append(d)
        while len(factors) > 6:
            i = int(rng.integers(0, len(factors) - 1))
            factors[i:i + 2] = [factors[i] * factors[i + 1]]
        y = b.node("Reshape", [y, b.ints("shape", factors)])
        perm = [int(v) for v in rng.permutation(len(factors))]
        y = b.node("Transpose", [y], perm=perm)
        shape = [factors[p] for p in perm]
    if rng.random() < 0.5:
        cout = int(rng.integers(1, 6))
        n = int(np.prod(shape))
        # (H from the last dim: a reshape that mixes factors of different
        # dims is not a permutation of factors, which the shuffle needs.)
        hh = int(rng.choice([d for d in (1, 2, 4) if shape[-1] % d == 0]))
        y = b.conv(b.node("Reshape", [y, b.ints("shape", [1, n // hh, hh, 1])]),
                   n // hh, cout, 1)
        shape = [1, cout, hh, 1]
    return (1, c, h, w), y, tuple(shape), \
        "shuffle %dx%dx%d, %d steps -> %s" % (c, h, w, steps, shape), True


def conv_transpose_np(x, w, bias, strides, pads, out_pads, dil, group):
    """ONNX ConvTranspose in float64 (1-D or 2-D): every input pixel adds
    its weighted kernel at stride s, then the pads are cropped."""
    one_d = x.ndim == 3
    if one_d:
        x, w = x[:, :, None, :], w[:, :, None, :]
        strides, dil = [1] + list(strides), [1] + list(dil)
        pads = [0, pads[0], 0, pads[1]]
        out_pads = [0] + list(out_pads)
    n, c, h, wd = x.shape
    og, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    (sh, sw), (dh, dw), cg = strides, dil, c // group
    full = [sh * (h - 1) + (kh - 1) * dh + 1 + out_pads[0],
            sw * (wd - 1) + (kw - 1) * dw + 1 + out_pads[1]]
    z = np.zeros((n, og * group, full[0], full[1]))
    for gi in range(group):
        xs = x[:, gi * cg:(gi + 1) * cg]
        for a in range(kh):
            for bb in range(kw):
                part = np.einsum("nchw,co->nohw", xs, w[gi * cg:(gi + 1) * cg, :, a, bb])
                z[:, gi * og:(gi + 1) * og, a * dh:a * dh + sh * (h - 1) + 1:sh,
                  bb * dw:bb * dw + sw * (wd - 1) + 1:sw] += part
    if bias is not None:
        z += bias.reshape(1, -1, 1, 1)
    y = z[:, :, pads[0]:full[0] - pads[2], pads[1]:full[1] - pads[3]]
    return y[:, :, 0, :] if one_d else y


def _quantize_transposed(w, strides, dil, group):
    """Symmetric int8 fake quantization of a ConvTranspose weight [C, O/g,
    k...] as the compiler stores it: per output channel and output phase
    (the taps a with a * dilation = phase mod stride)."""
    ks = w.shape[2:]
    q = np.empty_like(w)
    cg = w.shape[0] // group
    phases = [[np.arange(k)[(np.arange(k) * dd) % ss == r] for r in range(ss)]
              for k, ss, dd in zip(ks, strides, dil)]
    for gi in range(group):
        rows = slice(gi * cg, (gi + 1) * cg)
        for j in range(w.shape[1]):
            for taps in itertools.product(*phases):
                if any(len(t) == 0 for t in taps):
                    continue
                block = w[rows, j][np.ix_(np.arange(cg), *taps)]
                scale = np.max(np.abs(block)) / 127.0
                scale = 1.0 if scale == 0 else scale
                q[rows, j][np.ix_(np.arange(cg), *taps)] = \
                    np.clip(np.round(block / scale), -127, 127) * scale
    return q


def depth_to_space_np(x, bs, mode):
    n, c, h, w = x.shape
    co = c // (bs * bs)
    if mode == "DCR":
        t = x.reshape(n, bs, bs, co, h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        t = x.reshape(n, co, bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3)
    return t.reshape(n, co, h * bs, w * bs)


def bilinear_np(x, sh, sw):
    """Half-pixel bilinear upsampling of an NCHW array (ONNX Resize linear,
    source coordinates clamped to the map), from its definition."""
    def axis_weights(n, s):
        src = np.clip((np.arange(n * s) + 0.5) / s - 0.5, 0, n - 1)
        i0 = np.floor(src).astype(int)
        i1 = np.minimum(i0 + 1, n - 1)
        return i0, i1, src - i0
    y0, y1, fy = axis_weights(x.shape[2], sh)
    x0, x1, fx = axis_weights(x.shape[3], sw)
    top = x[:, :, y0][:, :, :, x0] * (1 - fx) + x[:, :, y0][:, :, :, x1] * fx
    bot = x[:, :, y1][:, :, :, x0] * (1 - fx) + x[:, :, y1][:, :, :, x1] * fx
    return top * (1 - fy)[:, None] + bot * fy[:, None]


def gen_pad(rng, b):
    """Pad (constant with a random value, reflect, edge) of a map after a
    conv, on any of C, H, W (the pad is the model's last op, so no conv
    absorbs it); or of a sequence after a linear layer, on tokens and
    features."""
    mode = str(rng.choice(["constant", "reflect", "edge"]))
    if rng.random() < 0.7:
        c = chans(rng)
        dims = [c, int(rng.integers(2, 9)), int(rng.integers(2, 9))]
        y = b.conv("x", c, c, 1)
    else:
        c = int(rng.integers(2, 24))
        dims = [int(rng.integers(2, 12)), c]
        y = b.linear("x", c, c)
    low, high = [], []
    for d in dims:
        cap = d - 1 if mode == "reflect" else 3
        low.append(int(rng.integers(0, cap + 1)) if rng.random() < 0.7 else 0)
        high.append(int(rng.integers(0, cap + 1)) if rng.random() < 0.7 else 0)
    inputs = [y, b.ints("pads", [0] + low + [0] + high)]
    value = 0.0
    if mode == "constant" and rng.random() < 0.5:
        value = float(np.float32(rng.uniform(-1, 1)))
        inputs.append(b.const("value", np.array(value, np.float32)))
    y = b.node("Pad", inputs, mode=mode)
    out = [1] + [l + d + h for l, d, h in zip(low, dims, high)]
    return tuple([1] + dims), y, tuple(out), "pad %s %s low %s high %s value %.2f" % (
        mode, "x".join(map(str, dims)), low, high, value), False


def gen_prelu(rng, b):
    """PRelu with a slope per channel (dim 1; some negative, some zero):
    of a map after a conv (NHWC storage), of a Conv1d-style [1, C, L]
    tensor (channel-major storage), or of a [1, C] vector after a linear
    layer."""
    form = int(rng.integers(0, 3))
    c = chans(rng) if form == 0 else int(rng.integers(2, 24))
    slopes = rng.uniform(-0.5, 1.5, c).astype(np.float32)
    slopes[rng.random(c) < 0.15] = 0.0
    if form == 0:
        h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        x_shape, y = (1, c, h, w), b.conv("x", c, c, 1)
        slope = b.const("slope", slopes.reshape(c, 1, 1))
    elif form == 1:
        x_shape, y = (1, c, int(rng.integers(1, 20))), "x"
        slope = b.const("slope", slopes.reshape(c, 1))
    else:
        x_shape, y = (1, c), b.linear("x", c, c)
        slope = b.const("slope", slopes)
    y = b.node("PRelu", [y, slope])
    return x_shape, y, x_shape, "prelu %s" % "x".join(map(str, x_shape)), False


def gen_mean(rng, b):
    """ReduceMean over axes whose bytes are adjacent in memory: a map's
    channels, height, width or several of them (NHWC), a sequence's tokens
    or features; with or without kept dims, after a conv or a linear layer
    so the input has its own scale."""
    if rng.random() < 0.6:
        c = chans(rng)
        h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        axes = [list(a) for a in ([1], [2], [3], [2, 3], [1, 2, 3], [3, 1])][
            int(rng.integers(0, 6))]
        x, shape = b.conv("x", c, c, 1), (1, c, h, w)
    else:
        t, c = int(rng.integers(1, 20)), int(rng.integers(1, 40))
        axes = [[1], [2], [1, 2]][int(rng.integers(0, 3))]
        x, shape = b.linear("x", c, c), (1, t, c)
    keep = int(rng.integers(0, 2))
    y = b.node("ReduceMean", [x], axes=axes, keepdims=keep)
    out = tuple(1 if d in [a % len(shape) for a in axes] else n
                for d, n in enumerate(shape) if keep or d not in axes)
    return shape, y, out, "mean %s axes %s keepdims %d" % (
        "x".join(map(str, shape)), ",".join(map(str, axes)), keep), False


def gen_softmax(rng, b):
    c = int(rng.integers(1, 130))
    if rng.random() < 0.3:
        shape = (1, c)
    else:
        shape = (1, int(rng.integers(1, 40)), c)
    y = b.node("Softmax", ["x"], axis=-1)
    return shape, y, shape, "softmax %s axis=-1" % ("x".join(map(str, shape))), False


def gen_act(rng, b):
    kind = str(rng.choice(["relu", "relu6", "clip"]))
    r = rng.random()
    if r < 0.4:
        shape = (1, chans(rng), int(rng.integers(1, 13)), int(rng.integers(1, 13)))
    elif r < 0.8:
        shape = (1, int(rng.integers(1, 40)), int(rng.integers(1, 70)))
    else:
        shape = (1, int(rng.integers(1, 300)))
    y = b.act("x", kind)
    return shape, y, shape, "%s alone %s" % (kind, "x".join(map(str, shape))), False


def gen_transpose(rng, b):
    t, c = int(rng.integers(1, 50)), int(rng.integers(1, 70))
    y = b.node("Transpose", ["x"], perm=[0, 2, 1])
    return (1, t, c), y, (1, c, t), "transpose [1,%d,%d] perm 0,2,1" % (t, c), False


def gen_conv_fc(rng, b):
    c = chans(rng)
    h, w = int(rng.integers(2, 9)), int(rng.integers(2, 9))
    cout = chans(rng)
    n = int(rng.integers(1, 20))
    y = b.node("Relu", [b.conv("x", c, cout, 3, (2, 2), (1, 1, 1, 1))])
    oh, ow = out_size(h, 3, 2, 1, 1), out_size(w, 3, 2, 1, 1)
    kdim = cout * oh * ow
    y = b.node("Flatten", [y], axis=1)
    y = b.node("Gemm", [y, b.const("W", b.weights((n, kdim), kdim)),
                        b.const("B", b.bias(n))], transB=1)
    desc = "conv3x3 s2 %dx%dx%d->%d relu, flatten, gemm %d->%d" % (h, w, c, cout, kdim, n)
    return (1, c, h, w), y, (1, n), desc, True


def tokens(rng, tmax=40):
    return 1 if rng.random() < 0.2 else int(rng.integers(2, tmax + 1))


def gen_layernorm(rng, b):
    """LayerNorm over the last axis: decomposed as torch exports it at opset
    13 (the compiler's canonicalization fuses it to layer_norm), or the
    opset-17 LayerNormalization op."""
    t, c = tokens(rng), int(rng.integers(2, 97))
    eps = float(rng.choice([1e-5, 1e-5, 1e-6, 1e-3, 0.05]))
    gamma = rng.normal(1.0, 0.5, size=(c,)).astype(np.float32)
    beta = rng.normal(0.0, 0.3, size=(c,)).astype(np.float32)
    form = str(rng.choice(["torch13", "torch13_noaffine", "onnx17"], p=[0.55, 0.15, 0.3]))
    if form == "onnx17":
        b.opset = 17
        y = b.node("LayerNormalization", ["x", b.const("g", gamma), b.const("b", beta)],
                   axis=-1, epsilon=eps)
    else:
        mean = b.node("ReduceMean", ["x"], axes=[-1], keepdims=1)
        d = b.node("Sub", ["x", mean])
        var = b.node("ReduceMean", [b.node("Pow", [d, b.const("two", np.array(2.0))])],
                     axes=[-1], keepdims=1)
        sd = b.node("Sqrt", [b.node("Add", [var, b.const("eps", np.array(eps))])])
        y = b.node("Div", [d, sd])
        if form == "torch13":
            y = b.node("Add", [b.node("Mul", [y, b.const("g", gamma)]), b.const("b", beta)])
    b.expect = ("op", ["layer_norm"])
    desc = "layernorm %s [1,%d,%d] eps=%g" % (form, t, c, eps)
    return (1, t, c), y, (1, t, c), desc, False


def gen_gelu(rng, b):
    """GELU (erf or tanh form, as exporters decompose it, in a random
    association), SiLU, or sigmoid / tanh on their own: each one 256-entry
    table."""
    t, c = tokens(rng), int(rng.integers(1, 97))
    form = str(rng.choice(["gelu_erf", "gelu_tanh", "sigmoid", "tanh", "silu"],
                          p=[0.35, 0.35, 0.1, 0.1, 0.1]))
    assoc = int(rng.integers(0, 3))
    half = b.const("half", np.array(0.5))
    one = b.const("one", np.array(1.0))

    def gate(f):
        # x * 0.5 * (1 + f) in one of three associations.
        onep = b.node("Add", [f, one] if rng.random() < 0.5 else [one, f])
        if assoc == 0:    # torch: (x * (1 + f)) * 0.5
            return b.node("Mul", [b.node("Mul", ["x", onep]), half])
        if assoc == 1:    # (x * 0.5) * (1 + f)
            return b.node("Mul", [b.node("Mul", ["x", half]), onep])
        return b.node("Mul", ["x", b.node("Mul", [half, onep])])

    if form == "gelu_erf":
        if rng.random() < 0.6:
            arg = b.node("Div", ["x", b.const("sqrt2", np.array(np.sqrt(2.0)))])
        else:
            arg = b.node("Mul", ["x", b.const("rsqrt2", np.array(np.sqrt(0.5)))])
        y = gate(b.node("Erf", [arg]))
    elif form == "gelu_tanh":
        if rng.random() < 0.5:
            cube = b.node("Pow", ["x", b.const("three", np.array(3.0))])
        else:
            cube = b.node("Mul", [b.node("Mul", ["x", "x"]), "x"])
        inner = b.node("Add", ["x", b.node("Mul", [b.const("c", np.array(0.044715)), cube])])
        arg = b.node("Mul", [inner, b.const("k", np.array(np.sqrt(2.0 / np.pi)))])
        y = gate(b.node("Tanh", [arg]))
    elif form == "silu":
        y = b.node("Mul", ["x", b.node("Sigmoid", ["x"])])
    else:
        y = b.node(form.capitalize(), ["x"])
    b.expect = ("kernel", ["lut"])
    desc = "%s%s [1,%d,%d]" % (form, " assoc%d" % assoc if form.startswith("gelu") else "",
                              t, c)
    return (1, t, c), y, (1, t, c), desc, False


def gen_matmul(rng, b):
    """Activation x activation (batch) matmul, both operands from the one
    input: x xT, xT x, two slices of x, or x split into heads."""
    form = str(rng.choice(["x_xT", "xT_x", "slices", "heads"]))
    if form == "x_xT":
        t, k = tokens(rng), int(rng.integers(1, 49))
        y = b.node("MatMul", ["x", b.node("Transpose", ["x"], perm=[0, 2, 1])])
        x_shape, out_shape, shapes = (1, t, k), (1, t, t), "[1,%d,%d]" % (t, k)
    elif form == "xT_x":
        t, k = tokens(rng), int(rng.integers(1, 33))
        y = b.node("MatMul", [b.node("Transpose", ["x"], perm=[0, 2, 1]), "x"])
        x_shape, out_shape, shapes = (1, t, k), (1, k, k), "[1,%d,%d]" % (t, k)
    elif form == "slices":
        # x [1, M+K, N]: a = x[:, :M, :K], b = x[:, M:, :] -> a @ b [1, M, N].
        m, n = tokens(rng, 24), int(rng.integers(1, 41))
        k = int(rng.integers(1, n + 1))
        a = b.node("Slice", ["x", b.ints("st", [0, 0]), b.ints("en", [m, k]),
                             b.ints("ax", [1, 2])])
        bb = b.node("Slice", ["x", b.ints("st", [m]), b.ints("en", [m + k]),
                              b.ints("ax", [1])])
        y = b.node("MatMul", [a, bb])
        x_shape, out_shape = (1, m + k, n), (1, m, n)
        shapes = "[1,%d,%d] a[1,%d,%d] b[1,%d,%d]" % (m + k, n, m, k, k, n)
    else:
        # x [1, B*M, K] -> [B, M, K]; y = r @ rT [B, M, M] -> [1, B*M, M].
        nb, m, k = int(rng.integers(2, 5)), tokens(rng, 16), int(rng.integers(1, 33))
        r = b.node("Reshape", ["x", b.ints("shape", [nb, m, k])])
        y = b.node("MatMul", [r, b.node("Transpose", [r], perm=[0, 2, 1])])
        y = b.node("Reshape", [y, b.ints("shape", [1, nb * m, m])])
        x_shape, out_shape = (1, nb * m, k), (1, nb * m, m)
        shapes = "[1,%d,%d] as [%d,%d,%d]" % (nb * m, k, nb, m, k)
    b.expect = ("kernel", "batch_matmul")
    return x_shape, y, out_shape, "matmul %s %s" % (form, shapes), False


def gen_mhsa(rng, b):
    """A self-attention block as python/tinyformer/fixtures.py's Attention
    exports it (Q/K/V linear, heads split by Reshape + Transpose, scaled
    Q KT, softmax, times V, heads merged, output linear), in one of the
    spellings exporters use; the compiler must fuse it to one mhsa layer.
    Some cases are also compiled with --fwsa: for one head the block must
    then have fused_qk, and float_check compares that build with the fused
    block's own float model. Q, K and V come from separate linear layers,
    or from one packed linear split as timm's ViTs do (Reshape [1, S, 3, H,
    P], Transpose(2, 0, 3, 1, 4), Split, Squeeze) or by channel slices;
    1/sqrt(P) scales the scores, or Q, or Q and K^T by P^-1/4 each."""
    s, h, p = tokens(rng), int(rng.integers(1, 5)), int(rng.integers(2, 17))
    e = h * p
    act = str(rng.choice(["none", "relu"], p=[0.85, 0.15]))
    wild = bool(rng.random() < 0.4)   # -1 in the reshape shapes
    kt_form = int(rng.integers(0, 2))
    how = str(rng.choice(["mul", "div"]))
    axis = int(rng.choice([-1, 3]))
    packing = str(rng.choice(["separate", "timm", "channels"], p=[0.5, 0.25, 0.25]))
    # Where the 1/sqrt(P) goes: on the scores, on Q (timm: q * scale), or
    # sqrt of it on Q and on K^T (torch's scaled_dot_product_attention).
    scaled = str(rng.choice(["scores", "q", "qk"], p=[0.6, 0.2, 0.2]))
    # [in, out] weights (MatMul layout) and biases of q, k, v, o.
    w = {n: (b.weights((e, e), e).T, b.bias(e)) for n in "qkvo"}

    def block(bb, fused):
        def linear(x, n):
            mm = bb.node("MatMul", [x, bb.const("W", w[n][0])])
            return bb.node("Add", [mm, bb.const("B", w[n][1])])

        def split(t):
            return bb.node("Reshape", [t, bb.ints("shape", [1, s, h, -1 if wild else p])])

        def packed_qkv():
            wqkv = np.concatenate([w[n][0] for n in "qkv"], axis=1)
            mm = bb.node("MatMul", ["x", bb.const("W", wqkv)])
            return bb.node("Add", [mm, bb.const("B", np.concatenate([w[n][1] for n in "qkv"]))])

        if fused:
            # One head: Q KT = (x Wq Wk^T + bq Wk^T) x^T + a constant per
            # score row, which softmax cancels: the keys are x.
            wq, bq = w["q"]
            wk = w["k"][0]
            mm = bb.node("MatMul", ["x", bb.const("W", wq @ wk.T)])
            q, k = bb.node("Add", [mm, bb.const("B", bq @ wk.T)]), "x"
            v = linear("x", "v")
        elif packing == "channels":
            qkv = packed_qkv()
            q, k, v = [bb.node("Slice", [qkv, bb.ints("st", [i * e]), bb.ints("en", [(i + 1) * e]),
                                         bb.ints("ax", [2])]) for i in range(3)]
        elif packing == "separate":
            q, k, v = linear("x", "q"), linear("x", "k"), linear("x", "v")
        if fused or packing != "timm":
            qh = bb.node("Transpose", [split(q)], perm=[0, 2, 1, 3])
            if kt_form == 0:  # k.transpose(1, 2) then .transpose(-2, -1)
                kt = bb.node("Transpose", [bb.node("Transpose", [split(k)], perm=[0, 2, 1, 3])],
                             perm=[0, 1, 3, 2])
            else:             # one permutation
                kt = bb.node("Transpose", [split(k)], perm=[0, 2, 3, 1])
            vh = bb.node("Transpose", [split(v)], perm=[0, 2, 1, 3])
        else:
            r = bb.node("Reshape", [packed_qkv(), bb.ints("shape", [1, -1 if wild else s, 3, h, p])])
            t = bb.node("Transpose", [r], perm=[2, 0, 3, 1, 4])
            parts = bb.node_outputs("Split", [t, bb.ints("split", [1, 1, 1])], 3, axis=0)
            q, k, v = [bb.node("Squeeze", [part, bb.ints("axes", [0])]) for part in parts]
            qh, vh = q, v
            kt = bb.node("Transpose", [k], perm=[0, 1, 3, 2])

        def scale(t, power):
            if how == "mul":
                return bb.node("Mul", [t, bb.const("scale", np.array(p ** -power))])
            return bb.node("Div", [t, bb.const("scale", np.array(p ** power))])

        if scaled == "q":
            qh = scale(qh, 0.5)
        elif scaled == "qk":
            qh, kt = scale(qh, 0.25), scale(kt, 0.25)
        scores = bb.node("MatMul", [qh, kt])
        if scaled == "scores":
            scores = scale(scores, 0.5)
        probs = bb.node("Softmax", [scores], axis=axis)
        ctx_mm = bb.node("MatMul", [probs, vh])
        ctx = bb.node("Transpose", [ctx_mm], perm=[0, 2, 1, 3])
        ctx = bb.node("Reshape", [ctx, bb.ints("shape", [1, -1 if wild else s, e])])
        y = bb.act(linear(ctx, "o"), act)
        bb.taps = dict(query=q, value=v, score=scores, probs=probs, context=ctx_mm)
        if not fused:
            bb.taps["key"] = k
        return y

    y = block(b, False)
    b.expect = ("op", ["mhsa"])
    if h == 1 or rng.random() < 0.25:
        # Fused-Weight Self-Attention lowers work only for one head (E < 2P).
        b.fwsa = h == 1
        if h == 1:
            fb = Builder(rng)
            fy = block(fb, True)
            b.fused = (fb.model((1, s, e), fy, (1, s, e)), fb.taps)
    desc = "mhsa S%d E%d (%d heads x %d) %s kT%d %s-%s%s %s" % (
        s, e, h, p, packing, kt_form, how, scaled, " wild" if wild else "", act)
    return (1, s, e), y, (1, s, e), desc, True


def attention_block(rng, b, n, bias):
    """Self-attention over n independent sequences [n, S, E] as torch's
    batch_first nn.MultiheadAttention exports it (the input transposed to
    seq-first [S, n, E], heads and batch split as [S, n*H, P] -> [n*H, S,
    P], the merge back to [S*n, E] before the output projection, the result
    transposed back), or written batch-first ([n, S, H, P] -> [n, H, S, P],
    merged as [n, S, E]). bias: None; "causal" (a [S, S] mask of -inf above
    the diagonal added before the scale, as torch's baddbmm export of an
    attn_mask puts it); "relative" (a per-head [1, H, S, S] table added
    after the scale, as Swin's relative position bias); "masked_relative"
    (the table with -1e9 at random keys, never all of a row)."""
    s, h, p = tokens(rng, 24), int(rng.integers(1, 4)), int(rng.integers(2, 9))
    e = h * p
    form = str(rng.choice(["seq_first", "batch_first"]))
    w = {k: (b.weights((e, e), e).T, b.bias(e)) for k in "qkvo"}

    def linear(x, k):
        mm = b.node("MatMul", [x, b.const("W", w[k][0])])
        return b.node("Add", [mm, b.const("B", w[k][1])])

    if form == "seq_first":
        x = b.node("Transpose", ["x"], perm=[1, 0, 2])
        q, k, v = linear(x, "q"), linear(x, "k"), linear(x, "v")

        def split(t):
            return b.node("Reshape", [t, b.ints("shape", [s, n * h, p])])
        qh = b.node("Transpose", [split(q)], perm=[1, 0, 2])
        kt = b.node("Transpose", [split(k)], perm=[1, 2, 0])
        vh = b.node("Transpose", [split(v)], perm=[1, 0, 2])
    else:
        q, k, v = linear("x", "q"), linear("x", "k"), linear("x", "v")

        def split(t):
            return b.node("Reshape", [t, b.ints("shape", [n, s, h, p])])
        qh = b.node("Transpose", [split(q)], perm=[0, 2, 1, 3])
        kt = b.node("Transpose", [split(k)], perm=[0, 2, 3, 1])
        vh = b.node("Transpose", [split(v)], perm=[0, 2, 1, 3])
    scale = b.const("scale", np.array(p ** -0.5))
    scores = b.node("MatMul", [qh, kt])
    if bias == "causal":
        mask = np.triu(np.full((s, s), -np.inf), 1)
        scores = b.node("Mul", [b.node("Add", [scores, b.const("mask", mask)]), scale])
    else:
        scores = b.node("Mul", [scores, scale])
        if bias in ("relative", "masked_relative"):
            table = rng.normal(0, 1.0, (1, h, s, s))
            if bias == "masked_relative":
                table[rng.random((1, h, s, s)) < 0.3] = -1e9
                table[..., 0] = rng.normal(0, 1.0, (1, h, s))  # a key per row
            shape = (1, h, s, s) if form == "batch_first" else (h, s, s)
            if form == "seq_first" and n > 1:
                # Scores are [n*H, S, S]: the table repeats per sequence.
                table = np.tile(table[0], (n, 1, 1))
                shape = (n * h, s, s)
            scores = b.node("Add", [b.const("rel", table.reshape(shape)), scores])
    probs = b.node("Softmax", [scores], axis=-1)
    ctx_mm = b.node("MatMul", [probs, vh])
    if form == "seq_first":
        ctx = b.node("Reshape", [b.node("Transpose", [ctx_mm], perm=[1, 0, 2]),
                                 b.ints("shape", [s * n, e])])
        o = b.node("Reshape", [linear(ctx, "o"), b.ints("shape", [s, n, e])])
        y = b.node("Transpose", [o], perm=[1, 0, 2])
    else:
        ctx = b.node("Reshape", [b.node("Transpose", [ctx_mm], perm=[0, 2, 1, 3]),
                                 b.ints("shape", [n, s, e])])
        y = linear(ctx, "o")
    b.taps = dict(query=q, key=k, value=v, score=scores, probs=probs, context=ctx_mm)
    b.expect = ("op", ["mhsa"])
    desc = "mhsa B%d S%d E%d (%d heads x %d) %s%s" % (
        n, s, e, h, p, form, " " + bias if bias else "")
    return (n, s, e), y, (n, s, e), desc, True


def gen_mhsa_batch(rng, b):
    """Self-attention over a batch of 2-4 sequences (MobileViT runs it over
    the pixels of its patches): attention_block. It must become one mhsa
    layer."""
    return attention_block(rng, b, int(rng.integers(2, 5)), None)


def gen_mhsa_bias(rng, b):
    """Self-attention with a constant added to its scores (attention_block:
    a causal mask, a relative position bias, one with masked keys), over one
    sequence or a batch. It must become one mhsa layer with a score bias."""
    n = 1 if rng.random() < 0.5 else int(rng.integers(2, 4))
    bias = str(rng.choice(["causal", "relative", "masked_relative"]))
    return attention_block(rng, b, n, bias)


# Kinds in the order cases cycle through them (weights = how often).
KINDS = [
    ("conv", gen_conv), ("fc_tokens", gen_fc_tokens), ("dwconv", gen_dwconv),
    ("add", gen_add), ("maxpool", gen_maxpool), ("conv", gen_conv),
    ("avgpool", gen_avgpool), ("gemm", gen_gemm), ("softmax", gen_softmax),
    ("act", gen_act), ("dwconv", gen_dwconv), ("gap", gen_gap),
    ("conv", gen_conv), ("fc_tokens", gen_fc_tokens), ("add", gen_add),
    ("transpose", gen_transpose), ("conv_fc", gen_conv_fc), ("conv", gen_conv),
    # Transformer layers (appended: cases 0..17 of each cycle keep their kind).
    ("layernorm", gen_layernorm), ("gelu", gen_gelu), ("matmul", gen_matmul),
    ("mhsa", gen_mhsa),
]
# Kinds run only when asked for (--kind), so that the cycle above keeps its
# cases: products of two activations.
EXTRA_KINDS = [("gate", gen_gate), ("upsample", gen_upsample), ("mean", gen_mean),
               ("pad", gen_pad), ("prelu", gen_prelu), ("transposed", gen_transposed),
               ("shuffle", gen_shuffle), ("mhsa_batch", gen_mhsa_batch),
               ("mhsa_bias", gen_mhsa_bias)]
# The kinds cases cycle through (KINDS, or one kind with --kind).
CYCLE = KINDS


def make_case(seed, index):
    rng = np.random.default_rng([seed, index])
    kind, gen = CYCLE[index % len(CYCLE)]
    b = Builder(rng)
    x_shape, out, out_shape, desc, weighted = gen(rng, b)
    model = b.model(x_shape, out, out_shape)
    # Calibration range: random, often asymmetric (non-zero zero points),
    # sometimes non-negative only.
    lo = 0.0 if rng.random() < 0.15 else -float(rng.uniform(0.1, 3.0))
    hi = float(rng.uniform(0.1, 3.0))
    calib = rng.uniform(lo, hi, size=(8,) + tuple(x_shape)).astype(np.float32)
    # Test input: a fresh sample inside the calibration range, one past it
    # (saturation), and the first calibration sample (no intermediate tensor
    # saturates on it: the float check of multi-layer models uses it).
    x = np.concatenate([
        rng.uniform(lo, hi, size=(1,) + tuple(x_shape)),
        rng.uniform(lo * 1.2 - 0.05, hi * 1.2, size=(1,) + tuple(x_shape)),
        calib[:1],
    ]).astype(np.float32)
    return dict(kind=kind, desc=desc, model=model, calib=calib, x=x,
                out_shape=tuple(out_shape), weighted=weighted, expect=b.expect,
                fwsa=b.fwsa, taps=b.taps, fused=b.fused)


# ---------------------------------------------------------------------------
# Float reference (numpy) for the sanity check of the quantized result
# ---------------------------------------------------------------------------

def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _pad_nchw(x, pads, value):
    t, l_, b, r = pads
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l_, r)), constant_values=value)


def _windows(x, kh, kw, sh, sw):
    """x [N,C,H,W] -> [N,C,OH,OW,kh,kw] (a copy)."""
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty((n, c, oh, ow, kh, kw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[..., i, j] = x[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
    return out


def _quantize_per_channel(w, axis):
    """Symmetric int8 [-127, 127] per-channel fake quantization."""
    red = tuple(i for i in range(w.ndim) if i != axis)
    scale = np.max(np.abs(w), axis=red, keepdims=True) / 127.0
    scale = np.where(scale == 0, 1.0, scale)
    return np.clip(np.round(w / scale), -127, 127) * scale


def _fake_quant(y, scale, zp):
    # A masked attention score (a score bias of -inf or <= -1e4) stays
    # masked: the mhsa kernel leaves it out of the softmax.
    q = (np.clip(np.round(y / scale) + zp, -128, 127) - zp) * scale
    return np.where(y <= -1e4, -np.inf, q)


def float_eval(model, x, quantize_weights=False, input_scale=None, taps=None):
    """Evaluate the float graphs this script builds, in float64; with
    quantize_weights, conv/FC weights are first fake-quantized per output
    channel (symmetric int8), as the compiler stores them, and the biases of
    the layers that read the graph input are rounded to their int32 scale
    (input_scale x weight scale, the weight scale being 1 for an all-zero
    channel, as the compiler chooses it). taps {tensor name: (scale, zero
    point)}: tensors rounded to int8 as they are computed."""
    taps = taps or {}
    env = {"x": x.astype(np.float64)}
    inits = set()
    for t in model.graph.initializer:
        arr = numpy_helper.to_array(t)
        env[t.name] = arr if arr.dtype == np.int64 else arr.astype(np.float64)
        inits.add(t.name)

    def fake_quant(node, w_name, axis, b_name):
        w = env[w_name]
        env[w_name] = _quantize_per_channel(w, axis)
        if input_scale is None or b_name is None or node.input[0] != "x":
            return
        red = tuple(i for i in range(w.ndim) if i != axis)
        sw = np.max(np.abs(w), axis=red) / 127.0
        sb = input_scale * np.where(sw == 0, 1.0, sw)
        env[b_name] = np.round(env[b_name] / sb) * sb

    if quantize_weights:
        for i, node in enumerate(model.graph.node):
            if node.op_type == "Conv":
                fake_quant(node, node.input[1], 0,
                           node.input[2] if len(node.input) > 2 else None)
            elif node.op_type == "ConvTranspose":
                # Bias rounding (per phase) is far below an output step.
                env[node.input[1]] = _quantize_transposed(
                    env[node.input[1]], _attr(node, "strides", None),
                    _attr(node, "dilations", None), _attr(node, "group", 1))
            elif node.op_type == "MatMul" and node.input[1] in inits:
                nxt = model.graph.node[i + 1] if i + 1 < len(model.graph.node) else None
                bias = None
                if nxt is not None and nxt.op_type == "Add" and nxt.input[0] == node.output[0] \
                        and nxt.input[1] in inits:
                    bias = nxt.input[1]
                fake_quant(node, node.input[1], 1, bias)
            elif node.op_type == "Gemm":
                fake_quant(node, node.input[1], 0 if _attr(node, "transB", 0) else 1,
                           node.input[2] if len(node.input) > 2 else None)
    for node in model.graph.node:
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            xx, w = ins[0], ins[1]
            g = _attr(node, "group", 1)
            kh, kw = w.shape[2], w.shape[3]
            sh, sw = _attr(node, "strides", [1, 1])
            win = _windows(_pad_nchw(xx, _attr(node, "pads", [0, 0, 0, 0]), 0.0), kh, kw, sh, sw)
            n, c, oh, ow = win.shape[:4]
            cg, og = c // g, w.shape[0] // g
            outs = []
            for gi in range(g):
                wi = win[:, gi * cg:(gi + 1) * cg]          # N,cg,OH,OW,kh,kw
                wg = w[gi * og:(gi + 1) * og]                # og,cg,kh,kw
                outs.append(np.einsum("nchwij,ocij->nohw", wi, wg))
            y = np.concatenate(outs, axis=1)
            if len(ins) > 2:
                y = y + ins[2].reshape(1, -1, 1, 1)
        elif op == "ConvTranspose":
            y = conv_transpose_np(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                                  _attr(node, "strides", None), _attr(node, "pads", None),
                                  _attr(node, "output_padding", None),
                                  _attr(node, "dilations", None), _attr(node, "group", 1))
        elif op == "DepthToSpace":
            mode = _attr(node, "mode", b"DCR")
            y = depth_to_space_np(ins[0], _attr(node, "blocksize", 0),
                                  mode.decode() if isinstance(mode, bytes) else mode)
        elif op in ("MaxPool", "AveragePool"):
            kh, kw = _attr(node, "kernel_shape", None)
            sh, sw = _attr(node, "strides", [1, 1])
            pads = _attr(node, "pads", [0, 0, 0, 0])
            xx = ins[0]
            if op == "MaxPool":
                y = _windows(_pad_nchw(xx, pads, -np.inf), kh, kw, sh, sw).max(axis=(4, 5))
            else:
                tot = _windows(_pad_nchw(xx, pads, 0.0), kh, kw, sh, sw).sum(axis=(4, 5))
                if _attr(node, "count_include_pad", 0):
                    y = tot / (kh * kw)
                else:
                    ones = _pad_nchw(np.ones((1, 1) + xx.shape[2:]), pads, 0.0)
                    y = tot / _windows(ones, kh, kw, sh, sw).sum(axis=(4, 5))
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Gemm":
            w = ins[1].T if _attr(node, "transB", 0) else ins[1]
            y = ins[0] @ w + (ins[2] if len(ins) > 2 else 0.0)
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Sub":
            y = ins[0] - ins[1]
        elif op == "Mul":
            y = ins[0] * ins[1]
        elif op == "Div":
            y = ins[0] / ins[1]
        elif op == "Pow":
            y = ins[0] ** ins[1]
        elif op == "Sqrt":
            y = np.sqrt(ins[0])
        elif op == "Erf":
            y = np.vectorize(math.erf, otypes=[np.float64])(ins[0])
        elif op == "Tanh":
            y = np.tanh(ins[0])
        elif op == "Sigmoid":
            y = 1.0 / (1.0 + np.exp(-ins[0]))
        elif op == "HardSigmoid":
            y = np.clip(_attr(node, "alpha", 0.2) * ins[0] + _attr(node, "beta", 0.5), 0.0, 1.0)
        elif op == "ReduceMean":
            axes = _attr(node, "axes", None)
            y = ins[0].mean(axis=None if axes is None else tuple(axes),
                            keepdims=bool(_attr(node, "keepdims", 1)))
        elif op == "LayerNormalization":
            axis = _attr(node, "axis", -1)
            red = tuple(range(axis % ins[0].ndim, ins[0].ndim))
            d = ins[0] - ins[0].mean(axis=red, keepdims=True)
            var = (d * d).mean(axis=red, keepdims=True)
            y = d / np.sqrt(var + _attr(node, "epsilon", 1e-5)) * ins[1]
            if len(ins) > 2:
                y = y + ins[2]
        elif op == "Reshape":
            shape = [int(v) for v in ins[1]]
            shape = [ins[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
            y = ins[0].reshape(shape)
        elif op == "Slice":
            starts, ends = ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 else range(len(starts))
            steps = ins[4] if len(ins) > 4 else [1] * len(starts)
            sl = [slice(None)] * ins[0].ndim
            for a, st, en, sp in zip(axes, starts, ends, steps):
                sl[int(a)] = slice(int(st), int(en), int(sp))
            y = ins[0][tuple(sl)]
        elif op == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif op == "Clip":
            y = np.clip(ins[0], ins[1], ins[2])
        elif op == "Softmax":
            axis = _attr(node, "axis", -1)
            e = np.exp(ins[0] - ins[0].max(axis=axis, keepdims=True))
            y = e / e.sum(axis=axis, keepdims=True)
        elif op == "Transpose":
            y = np.transpose(ins[0], _attr(node, "perm", None))
        elif op == "Resize" and _attr(node, "mode", b"nearest") in (b"linear", "linear"):
            y = bilinear_np(ins[0], int(ins[2][2]), int(ins[2][3]))
        elif op == "Resize":
            # Nearest, whole factors: each pixel repeated.
            if len(ins) > 3 and ins[3] is not None:
                f = [int(o) // int(i) for o, i in zip(ins[3], ins[0].shape)]
            else:
                f = [int(v) for v in ins[2]]
            y = ins[0].repeat(f[2], axis=2).repeat(f[3], axis=3)
        elif op == "PRelu":
            y = np.where(ins[0] >= 0, ins[0], ins[0] * ins[1])
        elif op == "Pad":
            # ONNX modes: numpy's "reflect" and "edge" are the same.
            mode = _attr(node, "mode", b"constant")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            p = [int(v) for v in ins[1]]
            width = list(zip(p[:len(p) // 2], p[len(p) // 2:]))
            if mode == "constant":
                value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
                y = np.pad(ins[0], width, constant_values=value)
            else:
                y = np.pad(ins[0], width, mode=mode)
        elif op == "Split":
            cuts = np.cumsum([int(v) for v in ins[1]])[:-1]
            y = np.split(ins[0], cuts, axis=_attr(node, "axis", 0))
        elif op == "Squeeze":
            y = np.squeeze(ins[0], axis=tuple(int(a) for a in ins[1]))
        else:
            raise ValueError("float_eval: no %s" % op)
        for name, value in zip(node.output, y if op == "Split" else [y]):
            if name in taps:
                value = _fake_quant(value, *taps[name])
            env[name] = value
    return env[model.graph.output[0].name]


def float_check(case, bdir, y_host):
    """Dequantized host output vs the float model run on the quantized input
    with fake-quantized weights, clipped to the output's range. Checked on
    the in-range sample and the calibration sample for one-layer models, on
    the calibration sample only otherwise (a fresh sample can take an
    intermediate tensor past its calibrated range, where it saturates).
    Returns (worst error in output steps, its bound, mean error in output
    steps, its bound or None)."""
    with open(os.path.join(bdir, "compile_report.json")) as f:
        rep = json.load(f)
    si, zi = rep["input"]["scale"], rep["input"]["zero_point"]
    so, zo = rep["output"]["scale"], rep["output"]["zero_point"]
    one_layer = rep.get("num_layers", len(rep.get("layers", []))) <= 1
    model, taps = case["model"], {}
    if case.get("taps") and any(l.get("op") == "mhsa" for l in rep.get("layers", [])):
        # An attention block rounds its Q, K, V, scores, probabilities and
        # context to int8 inside the one layer: the reference rounds them
        # too, to the op's types (probabilities: 1/256, zero point -128).
        # With fused_qk the reference is the fused block's float model (its
        # query x Wq Wk^T + bq Wk^T, its keys the input).
        types, fused = mhsa_types(bdir)
        names = case["taps"]
        if fused:
            if not case.get("fused"):
                raise ValueError("the mhsa op has fused_qk: no float model for it")
            model, names = case["fused"]
        types = dict(types or {}, probs=(1.0 / 256, -128))
        for what, name in names.items():
            if what not in types:
                raise ValueError("the mhsa op has no %s_type" % what)
            taps[name] = types[what]
    if taps:
        # Still, the integer softmax (exp table, one reciprocal per row) and
        # roundings on the other side of a tie differ from the reference by
        # a step here and there, and a step of a score or context moves
        # whole rows of the output projection: single elements can be off
        # by several output steps (the multi-layer bound), the mean must
        # stay within a step. Intermediates do not saturate where the
        # reference rounds them, so the fresh sample is checked too.
        bound, samples, mean_bound = 3.0 + 0.04 * 255, (0, 2), 1.0
    elif one_layer:
        # Output rounding, bias rounding and the fixed-point requantization
        # (or a LUT) only.
        bound, samples, mean_bound = 2.5, (0, 2), None
    else:
        # Intermediate tensors are rounded too, at scales not modelled here.
        bound, samples, mean_bound = 3.0 + 0.04 * 255, (2,), None
    err = mean = 0.0
    for i in samples:
        x = case["x"][i]
        xq = (np.clip(np.round(x / si) + zi, -128, 127) - zi) * si
        ref = float_eval(model, xq, quantize_weights=True, input_scale=si, taps=taps)
        ref = np.clip(ref, so * (-128 - zo), so * (127 - zo))
        got = (y_host[i].astype(np.float64) - zo) * so
        if got.size:
            err = max(err, float(np.max(np.abs(got - ref))) / so)
            mean = max(mean, float(np.mean(np.abs(got - ref))) / so)
    return err, bound, mean, mean_bound


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

def run_tool(cmd, timeout=300, retries=4):
    """Run a command; retry when the tool itself could not start or died on
    a signal (the binary may be replaced while we run)."""
    last = None
    for attempt in range(retries + 1):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except OSError as e:
            last = subprocess.CompletedProcess(cmd, 127, "", str(e))
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(cmd, 124, "", "timed out after %ds" % timeout)
        else:
            if r.returncode >= 0 and r.returncode not in (126, 127):
                return r
            last = r
        time.sleep(1.0 + attempt)
    return last


def inline_i32_resources(bdir, newdir):
    """Copy build folder bdir to newdir with every i32 dense_resource blob of
    model.mlir written inline as dense<[...]>. A diagnostic: host
    interpreters before commit c70bd0e rejected i32 blobs (biases of more
    than 64 outputs); this tells whether the emulator output is right
    otherwise.
    Returns the number of constants rewritten."""

    shutil.rmtree(newdir, ignore_errors=True)
    shutil.copytree(bdir, newdir)
    path = os.path.join(newdir, "model.mlir")
    with open(path) as f:
        text = f.read()
    blobs = dict(re.findall(r'^\s*([\w.]+): "0x([0-9A-Fa-f]*)"', text, re.M))
    count = [0]

    def sub(m):
        name, shape = m.group(1), m.group(2)
        if name not in blobs:
            return m.group(0)
        data = bytes.fromhex(blobs[name])[4:]  # 4-byte alignment header
        dims = [int(d) for d in shape.split("x") if d]
        arr = np.frombuffer(data, dtype="<i4")
        if arr.size != int(np.prod(dims)):
            return m.group(0)
        count[0] += 1
        return "dense<%s> : tensor<%si32>" % (
            json.dumps(arr.reshape(dims).tolist()), shape)

    text = re.sub(r"dense_resource<([\w.]+)> : tensor<((?:\d+x)*)i32>", sub, text)
    with open(path, "w") as f:
        f.write(text)
    return count[0]


def host_workaround(bdir, xin, yemu, args):
    """Diagnostic for a host run that could not read a constant: rerun the
    host on a copy with the i32 blobs inlined and compare with the emulator."""
    alt = bdir + "_inlined"
    n = inline_i32_resources(bdir, alt)
    yalt = os.path.join(alt, "y_host.npy")
    r = run_tool([args.tinyformer, "run", "--host", alt, "--input", xin, "--output", yalt])
    if n == 0 or r.returncode != 0:
        return "  (diagnostic: with %d i32 blob(s) inlined the host still fails: %s)" % (
            n, (r.stderr or r.stdout).strip()[-200:])
    a, e = np.load(yemu), np.load(yalt)
    same = a.shape == e.shape and np.array_equal(a, e)
    return ("  (diagnostic: with the %d i32 blob(s) of model.mlir written inline as "
            "dense<[...]> the host runs, and emulator == host: %s)"
            % (n, "yes" if same else "NO, %d values differ" % int(np.sum(a != e))
               if a.shape == e.shape else "NO, shapes differ"))


def check_layers(case, bdir, fwsa):
    """The compile report's layers against what the case expects (a fused
    layer_norm / mhsa, a table, a batch matmul kernel). Returns a problem
    or None."""
    want = case.get("expect")
    if not want:
        return None
    with open(os.path.join(bdir, "compile_report.json")) as f:
        layers = json.load(f).get("layers", [])
    field, values = want
    got = [l.get(field) for l in layers]
    if isinstance(values, str):
        if values not in got:
            return "no layer has %s %r (layers' %ss: %s)" % (field, values, field, got)
    elif got != list(values):
        return "layers' %ss are %s, want %s" % (field, got, list(values))
    if case.get("taps"):
        types, fused = mhsa_types(bdir)
        want_fused = bool(fwsa and case.get("fwsa"))
        if types is None:
            return "no sparse_tiny.mhsa in model.mlir"
        if fused != want_fused:
            return "the mhsa op %s fused_qk, want %s (--fwsa %s, %s)" % (
                "has" if fused else "has no", "it" if want_fused else "none",
                "given" if fwsa else "not given",
                "one head" if case.get("fwsa") else "several heads")
    return None


def mhsa_types(bdir):
    """The int8 types (scale, zero point) of the intermediate tensors of the
    sparse_tiny.mhsa op in bdir/model.mlir, by name (query, key, value,
    score, context), and whether the op has fused_qk; (None, False) if there
    is no mhsa op."""
    with open(os.path.join(bdir, "model.mlir")) as f:
        for line in f:
            if "sparse_tiny.mhsa" not in line:
                continue
            attrs = line.split("{", 1)[1].split("} :", 1)[0]
            # (MLIR leaves out a zero point of 0.)
            types = {m.group(1): (float(m.group(2)), int(m.group(3) or 0)) for m in re.finditer(
                r"(\w+)_type = !quant\.uniform<i8:f32, ([-+.\deE]+)(?::(-?\d+))?>", attrs)}
            return types, bool(re.search(r"\bfused_qk\b", attrs))
    return None, False


def quote(cmd):
    return " ".join(shlex.quote(str(c)) for c in cmd)


def check_case(args, index, boards):
    t0 = time.time()
    case = make_case(args.seed, index)
    d = os.path.join(args.work, "case%04d" % index)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    model = os.path.join(d, "model.onnx")
    calib = os.path.join(d, "calib.npy")
    xin = os.path.join(d, "x.npy")
    onnx.save(case["model"], model)
    np.save(calib, case["calib"])
    np.save(xin, case["x"])
    # Builds: (name, extra compile options, group). The host outputs of the
    # builds of one group must be identical; --fwsa changes the arithmetic
    # (other weights, keys = the input), so it is a group of its own.
    builds = [(wf, ["--weight-storage", wf], 0) for wf in
              (("int8", "int16") if case["weighted"] else ("auto",))]
    if case.get("fwsa") is not None:
        builds.append(("fwsa", ["--weight-storage", "int8", "--fwsa"], 1))
    problems = []
    ran = []
    host_ref = {}  # group -> (label, array)
    instr = {}
    float_err = [None]
    for board in boards:
        for wf, opts, group in builds:
            label = "%s/%s" % (board, wf)
            bdir = os.path.join(d, "build_%s_%s" % (board, wf))
            comp = [args.tinyformer, "compile", model, "--calib", calib,
                    "--cpu", CPU_OF_BOARD[board]] + opts + ["-o", bdir]
            r = run_tool(comp)
            if r.returncode != 0:
                problems.append("%s: compile failed (rc %d): %s\n    %s" % (
                    label, r.returncode, (r.stderr or r.stdout).strip()[-600:], quote(comp)))
                continue
            bad = check_layers(case, bdir, wf == "fwsa")
            if bad:
                problems.append("%s: %s\n    %s" % (label, bad, quote(comp)))
            yemu = os.path.join(bdir, "y_emu.npy")
            yhost = os.path.join(bdir, "y_host.npy")
            rep = os.path.join(bdir, "run_report.json")
            emu = [args.tinyformer, "run", bdir, "--input", xin, "--output", yemu,
                   "--board", board, "--report", rep]
            host = [args.tinyformer, "run", "--host", bdir, "--input", xin, "--output", yhost]
            ok = True
            for what, cmd in (("emulator", emu), ("host", host)):
                r = run_tool(cmd)
                if r.returncode != 0:
                    problems.append("%s: %s run failed (rc %d): %s\n    %s" % (
                        label, what, r.returncode, (r.stderr or r.stdout).strip()[-600:],
                        quote(cmd)))
                    ok = False
                    if what == "host" and "cannot read this constant" in r.stderr \
                            and os.path.exists(yemu):
                        problems.append(host_workaround(bdir, xin, yemu, args))
            if not ok:
                continue
            a, e = np.load(yemu), np.load(yhost)
            # The samples replace an output dim 0 of 1, else come first.
            out = case["out_shape"]
            want_shape = (case["x"].shape[0],) + (out[1:] if out[0] == 1 else out)
            if e.dtype != np.int8 or a.dtype != np.int8:
                problems.append("%s: output dtypes emulator %s host %s, want int8"
                                % (label, a.dtype, e.dtype))
            elif a.shape != e.shape:
                problems.append("%s: output shapes differ: emulator %s host %s"
                                % (label, a.shape, e.shape))
            elif e.shape != want_shape:
                problems.append("%s: output shape %s, the model's output is %s"
                                % (label, e.shape, want_shape))
            elif not np.array_equal(a, e):
                diff = np.argwhere(a != e)
                first = tuple(int(i) for i in diff[0])
                problems.append(
                    "%s: emulator != host at %d of %d values; first at %s: emulator %d, "
                    "host %d; max |diff| %d\n    %s\n    %s" % (
                        label, len(diff), a.size, first, a[first], e[first],
                        int(np.max(np.abs(a.astype(int) - e.astype(int)))),
                        quote(emu), quote(host)))
            else:
                ran.append(label)
                try:
                    with open(rep) as f:
                        instr[label] = json.load(f).get("instructions")
                except (OSError, ValueError):
                    pass
            if group not in host_ref:
                host_ref[group] = (label, e)
                if not args.no_float_check:
                    try:
                        err, bound, mean, mean_bound = float_check(case, bdir, e)
                    except Exception as ex:  # noqa: BLE001
                        problems.append("%s: float check failed to run: %r" % (label, ex))
                    else:
                        float_err[0] = max(err, float_err[0] or 0.0)
                        if err > bound:
                            problems.append(
                                "%s: dequantized output is %.1f output steps from the "
                                "float model (bound %.1f): emulator and host agree on a "
                                "wrong result?" % (label, err, bound))
                        if mean_bound is not None and mean > mean_bound:
                            problems.append(
                                "%s: dequantized output is %.2f output steps from the "
                                "float model on average (bound %.2f): emulator and host "
                                "agree on a wrong result?" % (label, mean, mean_bound))
            elif e.shape != host_ref[group][1].shape or \
                    not np.array_equal(e, host_ref[group][1]):
                problems.append("%s: host output differs from the %s build's host output "
                                "(weight format / CPU changed the arithmetic)"
                                % (label, host_ref[group][0]))
    if not args.keep and not problems:
        shutil.rmtree(d, ignore_errors=True)
    return dict(index=index, case=case, problems=problems, ran=ran, instr=instr,
                dir=d, seconds=time.time() - t0, float_err=float_err[0])


def boards_for(args, index):
    """The first board runs every case; the others run the 1st, (1+N)th,
    (1+2N)th... case of each kind (N = --m4-every), so that every kind gets
    there even in a short run."""
    kind = CYCLE[index % len(CYCLE)][0]
    occurrence = sum(1 for j in range(index) if CYCLE[j % len(CYCLE)][0] == kind)
    extra = args.boards[1:] if occurrence % args.m4_every == 0 else []
    return args.boards[:1] + extra


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=40)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--boards", default="m7,m4",
                   help="comma-separated boards; the first runs every case")
    p.add_argument("--m4-every", type=int, default=2,
                   help="boards after the first run one in N cases of each kind "
                        "(default 2)")
    p.add_argument("--only", default="", help="comma-separated case indices to run")
    p.add_argument("--keep", action="store_true", help="keep every case's folder")
    p.add_argument("--work", default="",
                   help="folder for the cases (default: a temporary folder)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--tinyformer", default=os.path.join(REPO, "build", "bin", "tinyformer"))
    p.add_argument("--kind", default="",
                   help="cases of this kind only (%s)" % ", ".join(
                       sorted({k for k, _ in KINDS + EXTRA_KINDS})))
    p.add_argument("--no-float-check", action="store_true",
                   help="skip the loose check of the dequantized output against the "
                        "float model (numpy)")
    args = p.parse_args(argv)
    global CYCLE
    if args.kind:
        CYCLE = [kg for kg in KINDS + EXTRA_KINDS if kg[0] == args.kind][:1]
        if not CYCLE:
            p.error("unknown --kind %r" % args.kind)
    args.boards = [b.strip() for b in args.boards.split(",") if b.strip()]
    for b in args.boards:
        if b not in CPU_OF_BOARD:
            p.error("unknown board %r (m7, m4)" % b)
    if not args.boards or args.m4_every < 1 or args.count < 0:
        p.error("bad --boards/--m4-every/--count")
    tmp = None
    if not args.work:
        tmp = tempfile.mkdtemp(prefix="random_layers.")
        args.work = tmp
    os.makedirs(args.work, exist_ok=True)
    indices = ([int(i) for i in args.only.split(",")] if args.only
               else list(range(args.count)))

    t0 = time.time()
    passed = failed = 0
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futs = [pool.submit(check_case, args, i, boards_for(args, i)) for i in indices]
        for fut in futs:
            res = fut.result()
            c = res["case"]
            if res["problems"]:
                failed += 1
                failures.append(res)
                print("FAIL %04d %-9s %s" % (res["index"], c["kind"], c["desc"]))
                for prob in res["problems"]:
                    print("    " + prob)
                print("    reproduce: %s %s --seed %d --only %d --boards %s --keep --work %s"
                      % (sys.executable, os.path.abspath(__file__), args.seed,
                         res["index"], ",".join(args.boards), shlex.quote(args.work)))
                print("    case folder: %s" % res["dir"])
            else:
                passed += 1
                m7 = res["instr"].get("%s/%s" % (args.boards[0], "int8" if c["weighted"]
                                                 else "auto"))
                print("PASS %04d %-9s %s [%s]%s%s" % (
                    res["index"], c["kind"], c["desc"], " ".join(res["ran"]),
                    " %d instr" % m7 if m7 is not None else "",
                    "" if res["float_err"] is None else
                    " float_err %.1f steps" % res["float_err"]))
            sys.stdout.flush()
    print("%d passed, %d failed (seed %d, %.1f s)" % (passed, failed, args.seed,
                                                      time.time() - t0))
    if tmp and not args.keep and not failed:
        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp:
        print("cases kept in %s" % tmp)
    return 1 if failed or not indices else 0


if __name__ == "__main__":
    sys.exit(main())
