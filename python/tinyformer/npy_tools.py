"""numpy-only helpers for tests: deterministic inputs and output comparison.

Must not import torch or onnx: these run inside lit tests.
"""
import re

import numpy as np

DTYPES = ("float32", "int8", "uint8", "int64")


def parse_shape(text):
    """'1x3x32x32' (also '1,3,32,32' or '1 3 32 32') -> (1, 3, 32, 32)."""
    parts = [p for p in re.split(r"[x,\s]+", text.strip()) if p]
    if not parts:
        raise ValueError("empty shape %r" % text)
    dims = []
    for p in parts:
        if not p.isdigit():
            raise ValueError("bad dimension %r in shape %r" % (p, text))
        dims.append(int(p))
    return tuple(dims)


def make_input(shape, seed=0, dist="uniform", dtype="float32"):
    """Deterministic random tensor (numpy PCG64 via default_rng: stable across
    numpy versions). float32: uniform in [-1, 1) or standard normal.
    int8/uint8/int64: uniform integers over the int8/uint8 range."""
    rng = np.random.default_rng(seed)
    if dtype == "float32":
        if dist == "uniform":
            x = rng.uniform(-1.0, 1.0, size=shape)
        elif dist == "normal":
            x = rng.standard_normal(size=shape)
        else:
            raise ValueError("unknown distribution %r" % dist)
        return np.ascontiguousarray(x.astype("<f4"))
    if dtype == "int8":
        return rng.integers(-128, 128, size=shape, dtype=np.int64).astype("i1")
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape, dtype=np.int64).astype("u1")
    if dtype == "int64":
        return rng.integers(-128, 128, size=shape, dtype=np.int64).astype("<i8")
    raise ValueError("unknown dtype %r" % dtype)


class CompareResult:
    def __init__(self, ok, max_abs_err, bound, value_range, message=""):
        self.ok = ok
        self.max_abs_err = max_abs_err
        self.bound = bound
        self.value_range = value_range
        self.message = message


def compare(actual, expected, rtol_range=1e-4):
    """Pass iff max|a-e| <= rtol_range * max(1, max(e)-min(e)).

    Shape mismatch, or NaN/Inf in either array, is a failure with a message.
    """
    a = np.asarray(actual)
    e = np.asarray(expected)
    if a.shape != e.shape:
        return CompareResult(False, float("nan"), float("nan"), float("nan"),
                             "shape mismatch: actual %s vs expected %s"
                             % (tuple(a.shape), tuple(e.shape)))
    a = a.astype(np.float64)
    e = e.astype(np.float64)
    if not np.all(np.isfinite(e)):
        return CompareResult(False, float("nan"), float("nan"), float("nan"),
                             "expected contains NaN/Inf")
    if not np.all(np.isfinite(a)):
        return CompareResult(False, float("nan"), float("nan"), float("nan"),
                             "actual contains NaN/Inf")
    if e.size == 0:
        return CompareResult(True, 0.0, 0.0, 0.0)
    value_range = float(e.max() - e.min())
    bound = float(rtol_range) * max(1.0, value_range)
    max_err = float(np.max(np.abs(a - e)))
    return CompareResult(max_err <= bound, max_err, bound, value_range)
