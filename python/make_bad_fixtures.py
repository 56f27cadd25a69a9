#!/usr/bin/python3
"""Generate bad-input ONNX fixtures for importer error-path tests (onnx + numpy only).

  /usr/bin/python3 python/make_bad_fixtures.py --out test/fixtures/bad

Every model is tiny; every node has a name; apart from the one defect each
fixture is meant to exercise, the models are valid. Deterministic output.
"""
import argparse
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR_VERSION = 8
F = TensorProto.FLOAT


def _w(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.5, 0.5, size=shape).astype(np.float32)


def _init(name, arr):
    return numpy_helper.from_array(arr, name)


def conv_model(name="conv_relu", opset=13, conv_attrs=None, in_dims=(1, 1, 8, 8),
               out_dims=(1, 2, 8, 8), with_weight_init=True, ir_version=IR_VERSION,
               extra_nodes=None, extra_inits=None, out_name="output", last="relu_out",
               opset_imports=None):
    """input -> Conv(conv_0, 1->2 ch, 3x3, pad 1) -> Relu(relu_0) -> output."""
    attrs = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "strides": [1, 1]}
    if conv_attrs is not None:
        attrs = conv_attrs
    nodes = [
        helper.make_node("Conv", ["input", "conv_0.weight", "conv_0.bias"], ["conv_out"],
                         name="conv_0", **attrs),
        helper.make_node("Relu", ["conv_out"], ["relu_out" if extra_nodes else out_name],
                         name="relu_0"),
    ]
    if extra_nodes:
        nodes += extra_nodes
    inits = [_init("conv_0.bias", _w((2,), 2))]
    if with_weight_init:
        inits.insert(0, _init("conv_0.weight", _w((2, 1, 3, 3), 1)))
    if extra_inits:
        inits += extra_inits
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", F, list(in_dims))],
        [helper.make_tensor_value_info(out_name, F, list(out_dims))], initializer=inits)
    imports = opset_imports or [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, producer_name="tinyformer-make_bad_fixtures",
                              opset_imports=imports)
    model.ir_version = ir_version
    return model


def parse_fails(data):
    """True if protobuf refuses the bytes (warnings count as failures: the python
    protobuf runtime only warns on some malformed input)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            m = onnx.ModelProto()
            m.ParseFromString(data)
        except Exception:  # noqa: BLE001
            return True
    return False


def build_all():
    """Returns {filename: (bytes, description, expected_error)}."""
    out = {}

    # truncated.onnx: a valid model cut in half (bigger weight so the cut lands in a tensor).
    big = conv_model("truncated_src", conv_attrs={"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]},
                     in_dims=(1, 8, 8, 8), out_dims=(1, 2, 8, 8), with_weight_init=False,
                     extra_inits=[_init("conv_0.weight", _w((2, 8, 3, 3), 3))])
    onnx.checker.check_model(big)
    data = big.SerializeToString()
    cut = len(data) // 2
    while not parse_fails(data[:cut]):
        cut -= 1
    out["truncated.onnx"] = (data[:cut], "valid 1x8x8x8 Conv+Relu model, first %d of %d bytes"
                             % (cut, len(data)), "protobuf parse error")

    # 'N' = 0x4e is a protobuf tag with the invalid wire type 6: every parser rejects it.
    text = b"Not an ONNX model: this is a plain text file.\n"
    assert parse_fails(text)
    out["not_onnx.onnx"] = (text, "plain text file", "protobuf parse error")

    m = conv_model("missing_initializer", with_weight_init=False)
    out["missing_initializer.onnx"] = (
        m, "Conv conv_0 input 'conv_0.weight' is neither initializer, graph input nor produced",
        "undefined value 'conv_0.weight'")

    # unsupported_op: Conv -> Reshape(const) -> LSTM; LSTM is the unsupported piece.
    hidden = 4
    lstm_nodes = [
        helper.make_node("Reshape", ["relu_out", "reshape_0.shape"], ["seq"], name="reshape_0"),
        helper.make_node("LSTM", ["seq", "lstm_0.W", "lstm_0.R"], ["output"], name="lstm_0",
                         hidden_size=hidden),
    ]
    lstm_inits = [
        _init("reshape_0.shape", np.array([16, 1, 8], dtype=np.int64)),
        _init("lstm_0.W", _w((1, 4 * hidden, 8), 4)),
        _init("lstm_0.R", _w((1, 4 * hidden, hidden), 5)),
    ]
    m = conv_model("unsupported_op", extra_nodes=lstm_nodes, extra_inits=lstm_inits,
                   out_dims=(16, 1, 1, hidden))
    out["unsupported_op.onnx"] = (m, "Conv conv_0 -> Relu -> Reshape -> LSTM 'lstm_0' (hidden 4)",
                                  "unsupported op 'LSTM' (node lstm_0)")

    m = conv_model("conv_dilations",
                   conv_attrs={"kernel_shape": [3, 3], "pads": [2, 2, 2, 2],
                               "dilations": [2, 2], "strides": [1, 1]})
    out["conv_dilations.onnx"] = (m, "Conv conv_0 with dilations=[2,2], pads 2",
                                  "accepted since dilated kernels import zero-filled (kept as a regression input)")

    m = conv_model("conv_auto_pad",
                   conv_attrs={"kernel_shape": [3, 3], "auto_pad": "SAME_LOWER",
                               "strides": [1, 1]})
    out["conv_auto_pad.onnx"] = (m, "Conv conv_0 with auto_pad=SAME_LOWER (no pads)",
                                 "unsupported Conv auto_pad (node conv_0)")

    m = conv_model("dynamic_batch", in_dims=("N", 1, 8, 8), out_dims=("N", 2, 8, 8))
    out["dynamic_batch.onnx"] = (m, "Conv+Relu, input dims [N,1,8,8] (dim_param N)",
                                 "dynamic / non-static input shape")

    m = conv_model("unknown_opset", opset=99)
    out["unknown_opset.onnx"] = (m, "Conv+Relu, opset_import ai.onnx version 99",
                                 "unsupported opset version 99")

    m = conv_model("old_opset", opset=7)
    out["old_opset.onnx"] = (m, "Conv+Relu, opset_import ai.onnx version 7 (ir_version 8)",
                             "unsupported opset version 7")

    custom = [helper.make_node("MyRelu", ["relu_out"], ["output"], name="custom_0",
                               domain="com.example")]
    m = conv_model("custom_domain", extra_nodes=custom,
                   opset_imports=[helper.make_opsetid("", 13),
                                  helper.make_opsetid("com.example", 1)])
    out["custom_domain.onnx"] = (m, "Conv+Relu then node custom_0 of op com.example.MyRelu",
                                 "unsupported domain 'com.example' (node custom_0)")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="test/fixtures/bad")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    lines = ["# Bad-input ONNX fixtures", "",
             "Generated by `/usr/bin/python3 python/make_bad_fixtures.py --out test/fixtures/bad`.",
             "Each exercises one importer error path; all nodes are named.", "",
             "| file | bytes | content | suggested importer error |", "|---|---|---|---|"]
    for fname, (obj, desc, err) in build_all().items():
        data = obj if isinstance(obj, bytes) else obj.SerializeToString()
        for n in ([] if isinstance(obj, bytes) else obj.graph.node):
            assert n.name, (fname, n)
        with open(os.path.join(args.out, fname), "wb") as f:
            f.write(data)
        lines.append("| `%s` | %d | %s | %s |" % (fname, len(data), desc, err))
        print("wrote %s (%d bytes)" % (os.path.join(args.out, fname), len(data)))
    lines += ["",
              "onnx 1.12 `check_model` rejects `missing_initializer`, `not_onnx`, `truncated`",
              "(and passes the rest). ONNX Runtime 1.30 (`tools/ort-run`) loads and runs",
              "`conv_dilations`, `conv_auto_pad`, `dynamic_batch`, `old_opset` and `unsupported_op`",
              "(so they are valid ONNX), and refuses the other five."]
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
