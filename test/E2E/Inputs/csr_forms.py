"""Three linear layers over 4 tokens that take sparse_csr's less common
paths (test/E2E/sparse-csr-forms.test):
  segments: a row of 256 weights of equal magnitude (255 * sum|w| >= 2^22:
            several segments, the sums carried through a segment loop);
  bias:     a bias too large to start the sums at (recovered in the asm,
            requantized outside it);
  slow:     a requantization multiplier >= 0.5 (not of the fast form: the
            generic rule, outside the asm);
  relu:     the common path (requantized in the asm, clamped to int8
            there) with a ReLU fused.
Usage: csr_forms.py OUT_DIR (writes NAME.onnx and NAME_x.npy)."""
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh


def save(out, name, w, b, x, relu=False):
    k, n = w.shape[1], w.shape[0]
    g = h.make_graph(
        [h.make_node("MatMul", ["x", "W"], ["m"], name=name),
         h.make_node("Add", ["m", "B"], ["a" if relu else "y"])] +
        ([h.make_node("Relu", ["a"], ["y"])] if relu else []), "g",
        [h.make_tensor_value_info("x", T.FLOAT, [1, 4, k])],
        [h.make_tensor_value_info("y", T.FLOAT, [1, 4, n])],
        [nh.from_array(np.ascontiguousarray(w.T).astype("float32"), "W"),
         nh.from_array(b.astype("float32"), "B")])
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]),
              "%s/%s.onnx" % (out, name))
    np.save("%s/%s_x.npy" % (out, name), x.astype("float32"))


def main(out):
    r = np.random.RandomState(7)
    w = r.randn(12, 256) * (r.rand(12, 256) < 0.3)
    w[5] = np.sign(r.randn(256))
    save(out, "segments", w, r.randn(12) * 0.1, r.randn(3, 4, 256))
    w = r.randn(10, 32) * (r.rand(10, 32) < 0.4)
    save(out, "bias", w, np.where(np.arange(10) % 3 == 0, 5e4, 0.1), r.randn(3, 4, 32))
    # Column 0 is large and unweighted, column 1 tiny and weighted: the
    # input scale is large, the output's small.
    w = np.zeros((6, 8))
    w[:, 1] = r.randn(6)
    w[:, 3] = r.randn(6) * 1e-3
    x = r.randn(3, 4, 8) * 1e-2
    x[..., 0] *= 1e4
    save(out, "slow", w, np.zeros(6), x)
    w = r.randn(16, 48) * (r.rand(16, 48) < 0.2)
    save(out, "relu", w, r.randn(16) * 0.1, r.randn(3, 4, 48), relu=True)


if __name__ == "__main__":
    main(sys.argv[1])
