"""TinyFormer from Python: compile a model, run it, inspect it; numpy in and out.

    import numpy as np
    from tinyformer import api

    table = api.inspect("model.onnx")                  # per-layer dict
    build = api.compile("model.onnx", calib=np.load("calib.npy"),
                        out_dir="build_m7", cpu="cortex-m7")
    print(build.report["flash_bytes"], build.report["arena_bytes"])
    y_host = api.run(build, x)                        # INT8 host reference, in process
    y_board = api.run(build, x, board="m7")           # the emulated Cortex-M7
    y_float = api.run("model.onnx", x)                # the float model, in process

`inspect` and host runs use the bindings built with the project
(build/python/tinyformer/_tinyformer*.so, pybind11); `compile` and board
runs call the `tinyformer` binary of the same build, so they behave exactly
like the CLI (same checks, errors and reports). The build directory is
$TINYFORMER_BUILD_DIR (default: build/ beside python/).
"""
import glob
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import tempfile

import numpy as np

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_core_module = None


class TinyFormerError(RuntimeError):
    """A compile or run that failed; the message is the tool's error."""


def _build_dir():
    return os.environ.get("TINYFORMER_BUILD_DIR", os.path.join(_REPO, "build"))


def _core():
    """The pybind11 module of the build (loaded once)."""
    global _core_module
    if _core_module is None:
        pattern = os.path.join(_build_dir(), "python", "tinyformer", "_tinyformer*.so")
        found = sorted(glob.glob(pattern))
        if not found:
            raise TinyFormerError("no bindings at %s: build the project first "
                                  "(scripts/setup.sh)" % pattern)
        loader = importlib.machinery.ExtensionFileLoader("_tinyformer", found[0])
        spec = importlib.util.spec_from_file_location("_tinyformer", found[0], loader=loader)
        _core_module = importlib.util.module_from_spec(spec)
        loader.exec_module(_core_module)
    return _core_module


def _tool():
    return os.environ.get("TINYFORMER", os.path.join(_build_dir(), "bin", "tinyformer"))


def _call(args):
    p = subprocess.run([_tool()] + [str(a) for a in args], capture_output=True, text=True)
    if p.returncode:
        raise TinyFormerError(p.stderr.strip() or p.stdout.strip())
    return p.stdout


class Build:
    """A build directory written by compile(): model.o, model.h, model.mlir
    and compile_report.json (as `report`)."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        with open(os.path.join(self.path, "compile_report.json")) as f:
            self.report = json.load(f)

    @property
    def object(self):
        return os.path.join(self.path, "model.o")

    @property
    def header(self):
        return os.path.join(self.path, "model.h")

    def quantize(self, x):
        """Float inputs as the device quantizes them (round half to even,
        saturate): int8."""
        q = self.report["input"]
        v = np.rint(np.asarray(x, np.float64) / q["scale"]) + q["zero_point"]
        return np.clip(v, -128, 127).astype(np.int8)

    def dequantize(self, y):
        q = self.report["output"]
        return ((np.asarray(y, np.float32) - q["zero_point"]) * q["scale"]).astype(np.float32)

    def __repr__(self):
        return "Build(%r)" % self.path


def inspect(model, input_shape=None):
    """Per-layer table of an .onnx or .mlir model: {"inputs", "layers":
    [{name, op, output_shape, params, macs, output_bytes}], "params", "macs",
    "int8_weight_bytes", "largest_activation_bytes"}."""
    return _core().inspect(os.fspath(model), list(input_shape or []))


def compile(model, calib=None, out_dir=None, cpu="cortex-m7", flash=None, sram=None,
            name=None, extra_args=()):
    """Compiles `model` (.onnx) for `cpu` into `out_dir` (a temporary
    directory if None). `calib` is a float batch (numpy array) or a .npy
    path; QDQ models need none. Returns a Build; raises TinyFormerError with
    the compiler's message on failure."""
    out_dir = out_dir or tempfile.mkdtemp(prefix="tinyformer-build-")
    args = ["compile", os.fspath(model), "-o", out_dir, "--cpu", cpu]
    with tempfile.TemporaryDirectory() as tmp:
        if calib is not None:
            if not isinstance(calib, (str, os.PathLike)):
                path = os.path.join(tmp, "calib.npy")
                np.save(path, np.asarray(calib, np.float32))
                calib = path
            args += ["--calib", os.fspath(calib)]
        for flag, value in (("--flash", flash), ("--sram", sram), ("--name", name)):
            if value is not None:
                args += [flag, value]
        _call(args + list(extra_args))
    return Build(out_dir)


def _as_samples(x, shape):
    """x as [N] + shape, and how outputs go back: "one" (x is one sample),
    "stacked" ([N] + shape given) or "batch" ([N] + shape[1:] given, the
    model's leading 1 replaced by N, as `tinyformer run` takes it)."""
    x = np.asarray(x, np.float32)
    if x.shape == shape:
        return x[None], "one"
    if x.shape[1:] == shape:
        return x, "stacked"
    if len(shape) and shape[0] == 1 and x.shape[1:] == shape[1:]:
        return x[:, None], "batch"
    raise TinyFormerError("inputs of shape %s; the model input is %s (or a batch "
                          "[N, ...] of it)" % (x.shape, shape))


def _from_samples(outs, how):
    if how == "one":
        return outs[0]
    if how == "batch" and outs.shape[1] == 1:
        return outs[:, 0]
    return outs


def run(target, x, board=None, dequantize=True):
    """Runs one sample or a batch [N, ...] of float inputs.

    target: a Build (or its directory) -- on the host INT8 reference (default)
    or on the emulated board ("m7" / "m4"); or an .onnx model, run in float
    on the host. A Build's outputs are dequantized floats unless
    dequantize=False (then the device's int8)."""
    if not isinstance(target, Build) and os.path.isdir(os.fspath(target)):
        target = Build(target)
    if not isinstance(target, Build):
        if board is not None:
            raise TinyFormerError("a model runs on a board once compiled: api.compile() it")
        shape = tuple(_core().inspect(os.fspath(target), [])["inputs"][0])
        samples, how = _as_samples(x, shape)
        outs = np.stack([o[0] for o in _core().run_reference(
            os.fspath(target), [[s] for s in samples])])
        return _from_samples(outs, how)
    shape = tuple(target.report["input"]["shape"])
    samples, how = _as_samples(x, shape)
    if board is None:
        mlir = os.path.join(target.path, "model.mlir")
        q = target.quantize(samples).astype(np.float32)
        outs = np.stack([o[0] for o in _core().run_reference(
            mlir, [[s] for s in q])]).astype(np.int8)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            xin, yout = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
            np.save(xin, samples)
            _call(["run", target.path, "--input", xin, "--output", yout, "--board", board])
            outs = np.load(yout).reshape((len(samples),) + tuple(target.report["output"]["shape"]))
    outs = _from_samples(outs, how)
    return target.dequantize(outs) if dequantize else outs
