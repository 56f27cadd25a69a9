"""tinyformer.api: inspect / compile / run from Python, numpy in and out
(bindings of the build, $TINYFORMER_BUILD_DIR). Run by test/Python/api.test
with pytest; skipped when the bindings are not built."""
import glob
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinyformer import api  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CNN = os.path.join(REPO, "examples", "fashion_mnist")
BUILT = glob.glob(os.path.join(api._build_dir(), "python", "tinyformer", "_tinyformer*.so"))


@unittest.skipUnless(BUILT, "bindings not built")
class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.calib = np.load(os.path.join(CNN, "calib.npy"))
        cls.tmp = tempfile.TemporaryDirectory()
        cls.build = api.compile(os.path.join(CNN, "model.onnx"), calib=cls.calib,
                                out_dir=os.path.join(cls.tmp.name, "b"), cpu="cortex-m7")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_inspect(self):
        t = api.inspect(os.path.join(CNN, "model.onnx"))
        self.assertEqual(t["inputs"], [(1, 1, 28, 28)])
        self.assertEqual(t["macs"], 1950592)  # examples/fashion_mnist/README.md
        self.assertEqual([l["op"] for l in t["layers"]][:3], ["conv2d", "relu", "max_pool2d"])
        self.assertEqual(t["layers"][0]["output_shape"], (1, 16, 28, 28))

    def test_compile_report(self):
        b = self.build
        self.assertTrue(os.path.getsize(b.object) > 0 and os.path.exists(b.header))
        self.assertEqual(b.report["cpu"], "cortex-m7")
        self.assertLessEqual(b.report["arena_lower_bound"], b.report["arena_bytes"])

    def test_host_equals_board(self):
        x = self.calib[:3]
        host = api.run(self.build, x, dequantize=False)
        board = api.run(self.build, x, board="m7", dequantize=False)
        self.assertEqual(host.dtype, np.int8)
        self.assertEqual(host.shape, (3, 10))  # [N] + output[1:], as `run` writes
        np.testing.assert_array_equal(host, board)

    def test_int8_close_to_float(self):
        x = self.calib[:4]
        f = api.run(os.path.join(CNN, "model.onnx"), x).reshape(4, -1)
        q = api.run(self.build, x).reshape(4, -1)
        cos = (f * q).sum(1) / (np.linalg.norm(f, axis=1) * np.linalg.norm(q, axis=1))
        self.assertGreater(cos.min(), 0.99)
        # One sample in, one out (no batch dim added).
        self.assertEqual(api.run(self.build, x[:1]).shape, (1, 10))
        with self.assertRaisesRegex(api.TinyFormerError, "the model input is"):
            api.run(self.build, x[0])

    def test_errors(self):
        with self.assertRaisesRegex(api.TinyFormerError, "cannot read|does not exist|no such"):
            api.compile(os.path.join(CNN, "missing.onnx"), calib=self.calib)
        bad = self.calib[:1].copy()
        bad[0, 0, 0, 0] = np.nan
        with self.assertRaisesRegex(RuntimeError, "NaN"):
            api.run(os.path.join(CNN, "model.onnx"), bad)


if __name__ == "__main__":
    unittest.main()
