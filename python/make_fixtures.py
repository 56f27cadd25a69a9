#!/usr/bin/python3
"""Generate the ONNX model test fixtures (needs Debian's python3-torch + python3-onnx).

  /usr/bin/python3 python/make_fixtures.py --out test/fixtures/models

Writes <model>_<C>x<H>x<W>_op<13|17>_<float|qdq>.onnx for 5 models x 2 input shapes
x 2 opsets x {float, qdq} (40 files), plus shapechains/<model>_1x28x28_op13_<kind>.onnx
(exported with torch's ONNX shape inference off, so Shape/Gather/Unsqueeze/Concat
chains survive), and README.md with the op types of every file. Deterministic.
"""
import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import torch  # noqa: E402

from tinyformer import fixtures as F  # noqa: E402

DESCRIPTIONS = {
    "small_cnn": "3x [Conv3x3+BN+ReLU] with MaxPool2 after the first two, x.view(B,-1), Linear->10",
    "mobilenetv2": "stem Conv3x3/s2+BN+ReLU6, 3 inverted residual blocks (1x1 expand, 3x3 "
                   "depthwise, 1x1 project; residual Add on blocks 1 and 3), 1x1 Conv to 32, "
                   "AdaptiveAvgPool(1) (GlobalAveragePool), flatten(1), Linear->10",
    "resnet8": "MLPerf-Tiny ResNet-8 style, widths 8/16/32: stem Conv+BN+ReLU, 3 basic blocks "
               "(stages 2 and 3 stride 2 with 1x1 strided shortcut Conv), AvgPool(H/4), "
               "x.view(B,-1), Linear->10",
    "tiny_vit": "patch-embed Conv (patch 7 for 28x28, 4 for 32x32), flatten(2).transpose, cls "
                "token (expand+cat), learned pos-embed Add, 2 pre-LN blocks (dim 32, 2 heads, "
                "hand-written attention with separate q/k/v Linear, MLP 64 with erf GELU), final "
                "LayerNorm, cls token x[:,0], Linear->10",
    "hybrid": "stem 2x [Conv3x3/s2+BN+ReLU] (16, 32 ch), flatten(2).transpose to tokens, 1 pre-LN "
              "block (dim 32, 4 heads, MLP 64 with tanh GELU), LayerNorm, mean over tokens "
              "(ReduceMean), Linear->10",
}

SHAPECHAIN_SHAPE = (1, 28, 28)
SHAPECHAIN_OPSET = 13


def save(proto, path, doc):
    proto = F.finalize(proto, doc)
    data = proto.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)
    return proto, len(data)


def _strip(name, prefix):
    return name[len(prefix):] if prefix and name.startswith(prefix) else name


def node_listing(proto, prefix, start=None, count=None):
    """Nodes whose name starts with prefix (or, with start, `count` non-Constant nodes
    from the node named start), as 'OpType(inputs) -> outputs' lines."""
    consts = {}
    for n in proto.graph.node:
        if n.op_type == "Constant":
            v = numpy_helper.to_array(n.attribute[0].t)
            consts[n.output[0]] = v.tolist() if v.size <= 4 else "tensor%s" % list(v.shape)
    inits = {t.name for t in proto.graph.initializer}
    lines = []
    nodes = [n for n in proto.graph.node if n.op_type != "Constant"]
    if start is not None:
        i = [k for k, n in enumerate(nodes) if n.name == start][0]
        nodes = nodes[i:i + count]
    else:
        nodes = [n for n in nodes if n.name.startswith(prefix)]
    for n in nodes:
        ins = []
        for i in n.input:
            if i in consts:
                ins.append("const=%s" % (consts[i],))
            elif i in inits:
                ins.append("init:%s" % i)
            else:
                ins.append(_strip(i, prefix))
        attrs = ["%s=%s" % (a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute]
        lines.append("%s(%s)%s -> %s" % (n.op_type, ", ".join(ins),
                                         (" {" + ", ".join(attrs) + "}") if attrs else "",
                                         ", ".join(_strip(o, prefix) for o in n.output)))
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="test/fixtures/models")
    p.add_argument("--models", default=",".join(F.MODEL_NAMES),
                   help="comma-separated subset of %s" % ",".join(F.MODEL_NAMES))
    p.add_argument("--no-shapechains", action="store_true",
                   help="skip the shapechains/ variants")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    names = [m for m in args.models.split(",") if m]
    for m in names:
        if m not in F.MODEL_CLASSES:
            p.error("unknown model %r" % m)
    os.makedirs(args.out, exist_ok=True)
    chain_dir = os.path.join(args.out, "shapechains")
    if not args.no_shapechains:
        os.makedirs(chain_dir, exist_ok=True)

    rows = []          # (relpath, bytes, ops)
    samples = {}       # title -> lines
    for name in names:
        for shape in F.INPUT_SHAPES:
            model = F.build_model(name, shape)
            fq = F.fx_fake_quant(model, shape)
            nparams = sum(t.numel() for t in model.parameters())
            for opset in F.OPSETS:
                for kind in F.KINDS:
                    fname = F.file_name(name, shape, opset, kind)
                    doc = "TinyFormer fixture %s: %s. %d params. %s" % (
                        name, DESCRIPTIONS[name], nparams,
                        "float" if kind == "float" else
                        "QDQ int8 via FX prepare_qat_fx (weights per-channel symmetric int8, "
                        "activations per-tensor asymmetric uint8)")
                    if kind == "float":
                        proto = F.export_float(model, shape, opset)
                    else:
                        proto, _ = F.export_qdq(model, shape, opset, fq=fq)
                    proto, size = save(proto, os.path.join(args.out, fname), doc)
                    rows.append((fname, size, F.op_counts(proto)))
                    print("wrote %-42s %7d bytes" % (fname, size))
                    if opset == 13 and kind == "float" and shape == (1, 28, 28):
                        if name == "tiny_vit":
                            samples["LayerNorm decomposed at opset 13 (tiny_vit, "
                                     "/blocks/blocks.0/norm1/)"] = node_listing(
                                proto, "/blocks/blocks.0/norm1/")
                            samples["GELU erf form, nn.GELU() at opset 13 (tiny_vit, "
                                    "/blocks/blocks.0/mlp/act/)"] = node_listing(
                                proto, "/blocks/blocks.0/mlp/act/")
                            samples["Attention at opset 13 (tiny_vit, "
                                    "/blocks/blocks.0/attn/)"] = node_listing(
                                proto, "/blocks/blocks.0/attn/")
                        if name == "hybrid":
                            samples["GELU tanh form, nn.GELU(approximate='tanh') at opset 13 "
                                    "(hybrid, /blocks/blocks.0/mlp/act/)"] = node_listing(
                                proto, "/blocks/blocks.0/mlp/act/")
                    if opset == 17 and kind == "float" and shape == (1, 28, 28) \
                            and name == "tiny_vit":
                        samples["LayerNorm at opset 17 (tiny_vit, /blocks/blocks.0/norm1/)"] = \
                            node_listing(proto, "/blocks/blocks.0/norm1/")
                    if opset == 13 and kind == "qdq" and shape == (1, 28, 28) \
                            and name == "tiny_vit":
                        samples["QDQ around the first q projection (tiny_vit qdq opset 13; "
                                "FX flattens module names, e.g. /q/MatMul)"] = \
                            node_listing(proto, "", start="/norm1/Add_1", count=13)
            if not args.no_shapechains and shape == SHAPECHAIN_SHAPE:
                for kind in F.KINDS:
                    fname = F.file_name(name, shape, SHAPECHAIN_OPSET, kind)
                    doc = "TinyFormer fixture %s (%s), exported with ONNX shape inference off " \
                          "so that shape-computation chains are kept." % (name, kind)
                    if kind == "float":
                        proto = F.export_float(model, shape, SHAPECHAIN_OPSET, shape_chains=True)
                    else:
                        proto, _ = F.export_qdq(model, shape, SHAPECHAIN_OPSET,
                                                shape_chains=True, fq=fq)
                    rel = os.path.join("shapechains", fname)
                    proto, size = save(proto, os.path.join(args.out, rel), doc)
                    rows.append((rel, size, F.op_counts(proto)))
                    print("wrote %-42s %7d bytes" % (rel, size))
                    if name == "small_cnn" and kind == "float":
                        samples["x.view(x.size(0), -1) with shape inference off "
                                "(shapechains/small_cnn float, nodes named /...)"] = [
                            l for l in node_listing(proto, "")
                            if l.split("(")[0] in ("Shape", "Gather", "Unsqueeze", "Concat",
                                                   "Reshape")]

    write_readme(args.out, names, rows, samples)
    total = sum(r[1] for r in rows)
    print("total %d files, %d bytes" % (len(rows), total))
    return 0


def write_readme(out, names, rows, samples):
    L = []
    L.append("# ONNX model fixtures")
    L.append("")
    L.append("Generated (deterministically; fixed seeds, no training) by")
    L.append("`/usr/bin/python3 python/make_fixtures.py --out test/fixtures/models`")
    L.append("with torch %s and onnx %s (Debian packages). Do not edit by hand." %
             (torch.__version__, onnx.__version__))
    L.append("")
    L.append("- Files: `<model>_<C>x<H>x<W>_op<13|17>_<float|qdq>.onnx`; batch 1, static shapes,")
    L.append("  input `input` (float32 1xCxHxW), output `output` (float32 1x10); ir_version <= 8,")
    L.append("  every file passes `onnx.checker.check_model` (onnx 1.12) and runs on ONNX Runtime")
    L.append("  (`node tools/ort-run/ort-run.mjs`). Weights are random (no training); BatchNorm")
    L.append("  running stats come from 4 random batches in train mode; BN/LN affine params are")
    L.append("  random. BatchNorm is folded into Conv by the exporter (eval mode).")
    L.append("- `float`: `torch.onnx.export(..., do_constant_folding=True)` of the eval model.")
    L.append("- `qdq`: BN folded with FX `fuse_fx`, then `prepare_qat_fx` with weights")
    L.append("  FakeQuantize(MovingAveragePerChannelMinMax, qint8 [-128,127], per_channel_symmetric,")
    L.append("  ch_axis 0) and activations FakeQuantize(MovingAverageMinMax, quint8 [0,255],")
    L.append("  per_tensor_affine); calibrated on 8 random batches of 8, observers disabled, eval,")
    L.append("  exported. Weights appear as float initializer -> QuantizeLinear(axis=0) ->")
    L.append("  DequantizeLinear (for MatMul weights followed by a Transpose); activation scales")
    L.append("  are shape-[1] tensors, zero points uint8 (activations) / int8 (weights, all 0).")
    L.append("  Shared zero-point initializers are aliased through `Identity` nodes. Ops FX does")
    L.append("  not quantize (Softmax, LayerNorm pieces, GELU, batched MatMul q@k^T / attn@v")
    L.append("  inputs where not observed) stay float between DQ and Q.")
    L.append("- Static shapes let torch's ONNX shape inference fold most `x.size(0)` /")
    L.append("  `x.shape[i]` computations into `Constant`s. Surviving shape computations in the main")
    L.append("  files: `flatten(2)` -> Shape/Slice/Concat -> Reshape, and `expand(B,-1,-1)` ->")
    L.append("  ConstantOfShape/Mul/Equal/Where -> Expand (tiny_vit). `shapechains/` holds")
    L.append("  1x28x28 opset-13 variants exported with `onnx_shape_inference=False` (private")
    L.append("  `torch.onnx.utils._export`), which keep the Shape -> Gather -> Unsqueeze -> Concat")
    L.append("  -> Reshape chains (plus Cast/Div for `C // heads`).")
    L.append("")
    L.append("## Models")
    L.append("")
    for n in names:
        L.append("- `%s`: %s." % (n, DESCRIPTIONS[n]))
    L.append("")
    L.append("## Files and op types (generated)")
    L.append("")
    L.append("| file | bytes | op types (count) |")
    L.append("|---|---|---|")
    for rel, size, ops in rows:
        L.append("| `%s` | %d | %s |" % (rel, size,
                                         ", ".join("%s %d" % kv for kv in ops.items())))
    L.append("")
    L.append("Total: %d files, %d bytes." % (len(rows), sum(r[1] for r in rows)))
    L.append("")
    L.append("## Node sequences (generated)")
    L.append("")
    L.append("`const=` is the value of a Constant node, `init:` an initializer; the name prefix")
    L.append("is stripped.")
    for title, lines in samples.items():
        L.append("")
        L.append("### " + title)
        L.append("")
        L.append("```")
        L.extend(lines)
        L.append("```")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    sys.exit(main())
