"""Test-fixture models for TinyFormer (needs torch 1.13 + onnx 1.12; Debian packages).

Five small models, each for inputs 1x1x28x28 and 1x3x32x32, exported at opset 13 and
17, float and QDQ int8 (40 files). Everything is deterministic: each (model, input)
pair gets its own fixed seed; no training, but BatchNorm running statistics are
made non-trivial by a few random batches in train mode.

Reshapes are written the natural torch way (x.view(B, -1), x.flatten(2),
q.view(B, S, H, D) with sizes read from x.shape). Note: with static shapes the
default exporter folds most of the resulting size computations (see below).

QDQ models: FX `prepare_qat_fx` (after BN folding with `fuse_fx`), calibration in
train mode, observers disabled, export. Weights int8 symmetric per output channel
(ch_axis 0, quant range [-128, 127], zero point 0); activations uint8 asymmetric per
tensor. In the ONNX file a weight appears as float initializer -> QuantizeLinear
(axis 0) -> DequantizeLinear; activations as QuantizeLinear -> DequantizeLinear.
With torch 1.13 this FX path works for all five models (tiny_vit/hybrid need
`x.shape[i]` indexing instead of tuple-unpacking `x.shape`, which FX cannot trace).

Static-shape exports: torch's ONNX shape inference folds most size computations
(x.size(0), x.shape[i]) into Constants. `shape_chains=True` exports through
torch.onnx.utils._export(onnx_shape_inference=False), which keeps the
Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains (and Cast/Div for `C // H`).
"""
import copy
import hashlib
import io

import onnx
import torch
import torch.nn as nn

NUM_CLASSES = 10
INPUT_SHAPES = [(1, 28, 28), (3, 32, 32)]
OPSETS = [13, 17]
KINDS = ["float", "qdq"]
MODEL_NAMES = ["small_cnn", "mobilenetv2", "resnet8", "tiny_vit", "hybrid"]
IR_VERSION = 8  # what the onnx 1.12 checker accepts at most



# --------------------------------------------------------------------------- models
class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1, groups=1, act=nn.ReLU):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            act(inplace=False),
        )


class SmallCNN(nn.Module):
    """conv-bn-relu-pool x2, conv-bn-relu, view(B, -1), Linear."""

    def __init__(self, cin, hw):
        super().__init__()
        self.features = nn.Sequential(
            ConvBNReLU(cin, 8), nn.MaxPool2d(2),
            ConvBNReLU(8, 16), nn.MaxPool2d(2),
            ConvBNReLU(16, 16),
        )
        s = hw // 4
        self.fc = nn.Linear(16 * s * s, NUM_CLASSES)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            ConvBNReLU(cin, hidden, 1, act=nn.ReLU6),                         # 1x1 expand
            ConvBNReLU(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),  # depthwise
            nn.Conv2d(hidden, cout, 1, bias=False),                          # 1x1 project
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        if self.use_res:
            return x + self.block(x)
        return self.block(x)


class MobileNetV2(nn.Module):
    def __init__(self, cin, hw):
        super().__init__()
        self.stem = ConvBNReLU(cin, 8, 3, 2, act=nn.ReLU6)
        self.blocks = nn.Sequential(
            InvertedResidual(8, 8, 1, 2),     # residual
            InvertedResidual(8, 16, 2, 3),    # stride 2, no residual
            InvertedResidual(16, 16, 1, 3),   # residual
        )
        self.head = ConvBNReLU(16, 32, 1, act=nn.ReLU6)
        self.pool = nn.AdaptiveAvgPool2d(1)   # -> GlobalAveragePool
        self.fc = nn.Linear(32, NUM_CLASSES)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        x = self.pool(x)
        x = x.flatten(1)                      # -> Flatten
        return self.fc(x)


class BasicBlock(nn.Module):
    """MLPerf Tiny ResNet-8 block: conv-bn-relu, conv-bn, (+ 1x1 strided conv shortcut), relu."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu2(y + s)


class ResNet8(nn.Module):
    def __init__(self, cin, hw):
        super().__init__()
        self.stem = ConvBNReLU(cin, 8)
        self.stage1 = BasicBlock(8, 8, 1)
        self.stage2 = BasicBlock(8, 16, 2)
        self.stage3 = BasicBlock(16, 32, 2)
        self.pool = nn.AvgPool2d(hw // 4)     # -> AveragePool (7x7 or 8x8)
        self.fc = nn.Linear(32, NUM_CLASSES)

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        x = self.pool(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class Attention(nn.Module):
    """Hand-written multi-head self-attention (no nn.MultiheadAttention)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = self.head_dim ** -0.5
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, S, C = x.shape[0], x.shape[1], x.shape[2]
        H, D = self.heads, C // self.heads
        q = self.q(x).view(B, S, H, D).transpose(1, 2)      # B,H,S,D
        k = self.k(x).view(B, S, H, D).transpose(1, 2)
        v = self.v(x).view(B, S, H, D).transpose(1, 2)
        attn = (q @ k.transpose(-2, -1)) * self.scale        # B,H,S,S
        attn = attn.softmax(dim=-1)
        o = (attn @ v).transpose(1, 2).reshape(B, S, C)      # B,S,C
        return self.proj(o)


class Mlp(nn.Module):
    def __init__(self, dim, hidden, gelu_approx):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU(approximate=gelu_approx)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class EncoderBlock(nn.Module):
    """Pre-LN transformer block."""

    def __init__(self, dim, heads, mlp_hidden, gelu_approx="none"):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_hidden, gelu_approx)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class TinyViT(nn.Module):
    def __init__(self, cin, hw, dim=32, heads=2, depth=2, mlp_hidden=64):
        super().__init__()
        patch = 7 if hw == 28 else 4          # 4x4=16 or 8x8=64 patches
        n = (hw // patch) ** 2
        self.patch_embed = nn.Conv2d(cin, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.1)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.1)
        self.blocks = nn.Sequential(*[EncoderBlock(dim, heads, mlp_hidden, "none")
                                      for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, NUM_CLASSES)

    def forward(self, x):
        x = self.patch_embed(x)               # B,E,h,w
        x = x.flatten(2).transpose(1, 2)      # B,N,E
        B = x.shape[0]
        cls = self.cls_token.expand(B, -1, -1)
        x = torch.cat([cls, x], dim=1)
        x = x + self.pos_embed
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])


class Hybrid(nn.Module):
    def __init__(self, cin, hw, dim=32, heads=4, depth=1, mlp_hidden=64):
        super().__init__()
        self.stem = nn.Sequential(ConvBNReLU(cin, 16, 3, 2), ConvBNReLU(16, dim, 3, 2))
        self.blocks = nn.Sequential(*[EncoderBlock(dim, heads, mlp_hidden, "tanh")
                                      for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, NUM_CLASSES)

    def forward(self, x):
        x = self.stem(x)                      # B,E,h/4,w/4
        x = x.flatten(2).transpose(1, 2)      # B,N,E
        x = self.blocks(x)
        x = self.norm(x)
        x = x.mean(dim=1)                     # ReduceMean over tokens
        return self.head(x)


MODEL_CLASSES = {
    "small_cnn": SmallCNN,
    "mobilenetv2": MobileNetV2,
    "resnet8": ResNet8,
    "tiny_vit": TinyViT,
    "hybrid": Hybrid,
}


# --------------------------------------------------------------------------- building
def model_seed(name, shape):
    key = "%s_%s" % (name, "x".join(map(str, shape)))
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def calib_batches(shape, seed, n=4, batch=8):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn((batch,) + tuple(shape), generator=g) * 0.8 for _ in range(n)]


def build_model(name, shape):
    """Deterministic float model in eval() mode, with non-trivial BN/LN params."""
    cin, h, w = shape
    assert h == w
    seed = model_seed(name, shape)
    torch.manual_seed(seed)
    model = MODEL_CLASSES[name](cin, h)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_((torch.rand(m.bias.shape, generator=g) - 0.5) * 0.4)
    model.train()
    with torch.no_grad():
        for xb in calib_batches(shape, seed + 2):
            model(xb)
    model.eval()
    return model


def example_input(shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand((1,) + tuple(shape), generator=g) * 2 - 1


def _onnx_bytes(model, x, opset, shape_chains=False):
    f = io.BytesIO()
    kw = dict(opset_version=opset, input_names=["input"], output_names=["output"],
              do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    with torch.no_grad():
        if shape_chains:
            # Private API of torch 1.13 (public export() hard-wires onnx_shape_inference=True).
            from torch.onnx import utils as onnx_utils
            onnx_utils._export(model, (x,), f, onnx_shape_inference=False, **kw)
        else:
            torch.onnx.export(model, (x,), f, **kw)
    return f.getvalue()


def finalize(model_proto, doc):
    if model_proto.ir_version > IR_VERSION:
        model_proto.ir_version = IR_VERSION
    model_proto.producer_name = "tinyformer-make_fixtures (torch %s)" % torch.__version__
    model_proto.doc_string = doc
    # Name every node (torch names them already; be safe).
    seen = set()
    for i, n in enumerate(model_proto.graph.node):
        if not n.name or n.name in seen:
            n.name = "%s_%d" % (n.op_type, i)
        seen.add(n.name)
    onnx.checker.check_model(model_proto)
    return model_proto


def export_float(model, shape, opset, shape_chains=False):
    x = example_input(shape)
    return onnx.load_from_string(_onnx_bytes(model, x, opset, shape_chains))


# --------------------------------------------------------------------------- QDQ via FX
def _qconfig():
    from torch.ao.quantization import FakeQuantize, QConfig
    from torch.ao.quantization.observer import (MovingAverageMinMaxObserver,
                                                MovingAveragePerChannelMinMaxObserver)
    act = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0,
                                 quant_max=255, dtype=torch.quint8,
                                 qscheme=torch.per_tensor_affine, reduce_range=False)
    wt = FakeQuantize.with_args(observer=MovingAveragePerChannelMinMaxObserver,
                                quant_min=-128, quant_max=127, dtype=torch.qint8,
                                qscheme=torch.per_channel_symmetric, ch_axis=0,
                                reduce_range=False)
    return QConfig(activation=act, weight=wt)


def fx_fake_quant(model, shape):
    """Float eval model -> calibrated fake-quant GraphModule (eval, observers off)."""
    from torch.ao.quantization import QConfigMapping
    from torch.ao.quantization.quantize_fx import fuse_fx, prepare_qat_fx

    seed = model_seed(model.__class__.__name__, shape)
    m = copy.deepcopy(model).eval()
    m = fuse_fx(m)                     # folds BN into Conv (eval semantics)
    m.train()
    qmap = QConfigMapping().set_global(_qconfig())
    x = example_input(shape)
    m = prepare_qat_fx(m, qmap, example_inputs=(x,))
    with torch.no_grad():
        for xb in calib_batches(shape, seed + 3, n=8):
            m(xb)
    m.apply(torch.ao.quantization.disable_observer)
    m.eval()
    return m


def export_qdq(model, shape, opset, shape_chains=False, fq=None):
    """Returns (onnx ModelProto, fake-quant torch module)."""
    if fq is None:
        fq = fx_fake_quant(model, shape)
    x = example_input(shape)
    return onnx.load_from_string(_onnx_bytes(fq, x, opset, shape_chains)), fq


# --------------------------------------------------------------------------- reporting
def op_types(model_proto):
    return sorted({n.op_type for n in model_proto.graph.node})


def op_counts(model_proto):
    c = {}
    for n in model_proto.graph.node:
        c[n.op_type] = c.get(n.op_type, 0) + 1
    return dict(sorted(c.items()))


def file_name(name, shape, opset, kind):
    return "%s_%s_op%d_%s.onnx" % (name, "x".join(map(str, shape)), opset, kind)
