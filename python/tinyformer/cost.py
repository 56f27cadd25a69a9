"""The compiler's cost model from Python: candidate models as layer lists.

    from tinyformer import cost
    model = cost.CostModel(cpu="cortex-m7", flash=1 << 20)
    e = model.estimate([1, 1, 28, 28], [
        {"op": "conv2d", "channels": 16, "kernel": 3, "stride": 2, "padding": 1,
         "activation": "relu"},
        {"op": "global_avg_pool"},
        {"op": "linear", "channels": 10},
    ])
    e["estimated_instructions"], e["weight_bytes"], e["arena_bytes"]

A layer is a dict of the fields of `Layer` in include/tinyformer/CostApi/CostApi.h
(op, channels, kernel, stride, padding, heads, activation, residual_from,
sparsity, pattern); each reads the previous layer's output. Each distinct layer
is compiled once by the compiler's own passes and memoised, so a candidate
costs a kernel choice and a memory plan (tens of microseconds). The answer is
what `tinyformer cost` says of the same candidate exported to ONNX:
`torch_model` builds it in torch with the weights the cost model compiles.
"""
from . import api


def CostModel(cpu="cortex-m7", flash=1 << 20, sparse="auto", sram=0):
    """A cost model for one CPU and budgets (the bindings' CostModel)."""
    return api._core().CostModel(cpu=cpu, flash=flash, sparse=sparse, sram=sram)


def synthetic_weight(shape, sparsity=0.0, pattern="unstructured", seed=0):
    """The weight the cost model compiles for a layer (numpy float32)."""
    return api._core().synthetic_weight(list(shape), float(sparsity), pattern, int(seed))


def _token_mean():
    from torch import nn

    class TokenMean(nn.Module):
        def forward(self, x):
            return x.mean(1)

    return TokenMean()


def torch_model(input_shape, layers):
    """The candidate as a torch module with the cost model's weights (biases
    zero), for export and for checking the cost model against the compiler."""
    import torch
    from torch import nn

    from .fixtures import Attention

    def weight(module, shape, layer, seed):
        w = synthetic_weight(shape, layer.get("sparsity", 0.0),
                             layer.get("pattern", "unstructured"), seed)
        module.weight.data = torch.from_numpy(w.reshape(module.weight.shape))
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)

    activations = {"none": nn.Identity, "relu": nn.ReLU, "relu6": nn.ReLU6}

    class Candidate(nn.Module):
        def __init__(self):
            super().__init__()
            self.specs = [dict(l) for l in layers]
            self.blocks = nn.ModuleList()
            shape = list(input_shape)
            for l in self.specs:
                op = l["op"]
                k, s, p = l.get("kernel", 1), l.get("stride", 1), l.get("padding", 0)
                act = activations[l.get("activation", "none")]()
                if op in ("conv2d", "depthwise_conv2d"):
                    c = shape[1]
                    o = c if op == "depthwise_conv2d" else l["channels"]
                    conv = nn.Conv2d(c, o, k, s, p, groups=c if op == "depthwise_conv2d" else 1)
                    weight(conv, list(conv.weight.shape), l, 0)
                    block = nn.Sequential(conv, act)
                    shape = [shape[0], o, (shape[2] + 2 * p - k) // s + 1,
                             (shape[3] + 2 * p - k) // s + 1]
                elif op == "linear":
                    flatten = nn.Flatten(1) if len(shape) == 4 else nn.Identity()
                    if len(shape) == 4:
                        shape = [shape[0], shape[1] * shape[2] * shape[3]]
                    fc = nn.Linear(shape[-1], l["channels"])
                    weight(fc, list(fc.weight.shape), l, 0)
                    block = nn.Sequential(flatten, fc, act)
                    shape = shape[:-1] + [l["channels"]]
                elif op == "mhsa":
                    block = Attention(shape[-1], l.get("heads", 1))
                    for seed, name in enumerate(["q", "k", "v", "proj"], start=1):
                        proj = getattr(block, name)
                        weight(proj, list(proj.weight.shape), l, seed)
                elif op == "layer_norm":
                    block = nn.LayerNorm(shape[-1])
                elif op == "gelu":
                    block = nn.GELU()
                elif op == "add":
                    block = nn.Identity()
                elif op == "global_avg_pool":
                    block = nn.AdaptiveAvgPool2d(1)
                    shape = [shape[0], shape[1], 1, 1]
                elif op == "max_pool":
                    block = nn.MaxPool2d(k, s, p)
                    shape = [shape[0], shape[1], (shape[2] + 2 * p - k) // s + 1,
                             (shape[3] + 2 * p - k) // s + 1]
                elif op == "token_mean":
                    block = _token_mean()
                    shape = [shape[0], shape[2]]
                elif op == "to_tokens":
                    block = nn.Flatten(2)
                    shape = [shape[0], shape[2] * shape[3], shape[1]]
                else:
                    raise ValueError("unknown op %r" % op)
                self.blocks.append(block)

        def forward(self, x):
            inputs, outputs = x, []
            for l, block in zip(self.specs, self.blocks):
                if l["op"] == "add":  # x + f(x)
                    r = l.get("residual_from", -1)
                    x = (inputs if r < 0 else outputs[r]) + x
                elif l["op"] == "to_tokens":
                    x = block(x).transpose(1, 2)
                else:
                    x = block(x)
                outputs.append(x)
            return x

    return Candidate().eval()


def export_onnx(model, input_shape, path, opset=13):
    """torch.onnx.export with the defaults users write (static shapes)."""
    import torch

    with torch.no_grad():
        torch.onnx.export(model, (torch.zeros(*input_shape),), path, opset_version=opset,
                          input_names=["input"], output_names=["output"])
