"""tinyformer.cost: the cost model's bindings on layer lists. The answer for a
candidate must be what `tinyformer cost` says of the same candidate exported
to ONNX (per kernel call and in total, arena included). Run by
test/Python/cost.test with pytest; skipped when the bindings are not built."""
import glob
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinyformer import api, cost  # noqa: E402

BUILT = glob.glob(os.path.join(api._build_dir(), "python", "tinyformer", "_tinyformer*.so"))

# A CNN with a residual, a depthwise conv and pruned layers in three patterns.
CNN = ([1, 1, 28, 28], [
    dict(op="conv2d", channels=16, kernel=3, padding=1, activation="relu"),
    dict(op="max_pool", kernel=2, stride=2),
    dict(op="conv2d", channels=32, kernel=3, stride=2, padding=1, activation="relu6",
         sparsity=0.9),
    dict(op="depthwise_conv2d", kernel=3, padding=1, activation="relu"),
    dict(op="conv2d", channels=32, kernel=1, sparsity=0.75, pattern="1x4"),
    dict(op="add", residual_from=2),
    dict(op="global_avg_pool"),
    dict(op="linear", channels=10, sparsity=0.5),
])
# A hybrid: conv stem, 49 tokens, a pre-LN block with pruned attention and MLP.
HYBRID = ([1, 1, 28, 28], [
    dict(op="conv2d", channels=16, kernel=3, stride=2, padding=1, activation="relu"),
    dict(op="conv2d", channels=32, kernel=3, stride=2, padding=1, activation="relu"),
    dict(op="to_tokens"),
    dict(op="layer_norm"),
    dict(op="mhsa", heads=4, sparsity=0.8),
    dict(op="add", residual_from=2),
    dict(op="layer_norm"),
    dict(op="linear", channels=64, sparsity=0.9),
    dict(op="gelu"),
    dict(op="linear", channels=32, sparsity=0.9, pattern="4x1"),
    dict(op="add", residual_from=5),
    dict(op="layer_norm"),
    dict(op="token_mean"),
    dict(op="linear", channels=10),
])


@unittest.skipUnless(BUILT, "bindings not built")
class CostTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def tool_cost(self, shape, layers, cpu, flash=1 << 20):
        path = os.path.join(self.tmp.name, "candidate.onnx")
        cost.export_onnx(cost.torch_model(shape, layers), shape, path)
        calib = os.path.join(self.tmp.name, "calib.npy")
        np.save(calib, np.random.RandomState(0).uniform(-1, 1, [4] + shape[1:]).astype(np.float32))
        tool = os.environ.get("TINYFORMER", os.path.join(api._build_dir(), "bin", "tinyformer"))
        out = subprocess.run([tool, "cost", path, "--calib", calib, "--cpu", cpu, "--flash",
                              str(flash), "--json"], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    def check_equal(self, candidate, cpu, flash=1 << 20):
        shape, layers = candidate
        ours = cost.CostModel(cpu=cpu, flash=flash).estimate(shape, layers)
        tool = self.tool_cost(shape, layers, cpu, flash)
        for key in ["estimated_instructions", "weight_bytes", "arena_bytes",
                    "arena_lower_bound", "macs"]:
            self.assertEqual(ours[key], tool[key], key)
        self.assertEqual([(l["kernel"], l["estimated_instructions"], l["weight_bytes"])
                          for l in ours["layers"]],
                         [(l["kernel"], l["estimated_instructions"], l["weight_bytes"])
                          for l in tool["layers"]])
        return ours

    def test_cnn_equals_tinyformer_cost(self):
        e = self.check_equal(CNN, "cortex-m7")
        kernels = [l["kernel"] for l in e["layers"]]
        self.assertIn("sparse_code", kernels)  # the 90% conv
        self.assertIn("add_table", kernels)  # the residual, its rescales from tables

    def test_hybrid_equals_tinyformer_cost(self):
        e = self.check_equal(HYBRID, "cortex-m4")
        self.assertTrue(any(l["kernel"].startswith("sparse_mhsa") for l in e["layers"]))

    def test_flash_budget_is_the_compilers(self):
        # Capped at 12 KB, the CNN's sparse layers trade speed for flash as
        # kernel selection does.
        free = cost.CostModel().estimate(*CNN)
        capped = self.check_equal(CNN, "cortex-m7", flash=12000)
        self.assertLessEqual(capped["weight_bytes"], 12000)
        self.assertLess(capped["weight_bytes"], free["weight_bytes"])
        self.assertGreater(capped["estimated_instructions"], free["estimated_instructions"])

    def test_memoised_per_layer(self):
        m = cost.CostModel()
        m.estimate(*CNN)
        n = m.memoised_layers
        self.assertEqual(n, len(CNN[1]))
        m.estimate(*CNN)
        self.assertEqual(m.memoised_layers, n)
        # A different sparsity is another layer; the rest is reused.
        layers = [dict(l) for l in CNN[1]]
        layers[2]["sparsity"] = 0.5
        m.estimate(CNN[0], layers)
        self.assertEqual(m.memoised_layers, n + 1)

    def test_sparsity_lowers_the_estimate(self):
        m = cost.CostModel()
        fc = lambda s: m.estimate([1, 256], [dict(op="linear", channels=256, sparsity=s)])
        self.assertLess(fc(0.9)["estimated_instructions"],
                        fc(0.5)["estimated_instructions"])
        self.assertEqual(fc(0.0)["layers"][0]["kernel"], "fully_connected")

    def test_synthetic_weight_zeros(self):
        w = cost.synthetic_weight([64, 32], 0.75, "unstructured", 0)
        self.assertEqual(int((w == 0).sum()), 64 * 32 * 3 // 4)
        self.assertTrue(np.all(np.abs(w[w != 0]) >= 0.02))
        b = cost.synthetic_weight([8, 16], 0.5, "4x1", 0).reshape(2, 4, 16)
        zero_blocks = np.all(b == 0, axis=1)
        self.assertEqual(int(zero_blocks.sum()), 16)
        self.assertTrue(np.all(np.any(b != 0, axis=1) | zero_blocks))
        nm = cost.synthetic_weight([4, 8], 0.0, "2:4", 0).reshape(4, 2, 4)
        self.assertTrue(np.all((nm != 0).sum(axis=2) == 2))

    def test_errors_name_the_layer(self):
        m = cost.CostModel()
        with self.assertRaisesRegex(ValueError, r"layer 1 \(conv2d\): needs a rank-4 input"):
            m.estimate([1, 64], [dict(op="linear", channels=8), dict(op="conv2d", channels=4)])
        with self.assertRaisesRegex(ValueError, r"layer 0 \(softmax\): unknown op"):
            m.estimate([1, 8], [dict(op="softmax")])
        with self.assertRaisesRegex(ValueError, r"layer 0: unknown key 'chanels'"):
            m.estimate([1, 8], [dict(op="linear", chanels=8)])
        with self.assertRaisesRegex(ValueError, r"layer 1 \(add\): residual_from"):
            m.estimate([1, 8], [dict(op="linear", channels=8), dict(op="add", residual_from=3)])
        with self.assertRaisesRegex(ValueError, r"layer 0 \(mhsa\): 3 heads do not divide"):
            m.estimate([1, 4, 8], [dict(op="mhsa", heads=3)])
        with self.assertRaisesRegex(ValueError, r"pattern must be"):
            m.estimate([1, 8], [dict(op="linear", channels=8, sparsity=0.5, pattern="2x2")])
        with self.assertRaisesRegex(ValueError, r"over the budget of 1000 bytes"):
            cost.CostModel(flash=1000).estimate([1, 256], [dict(op="linear", channels=256)])
        with self.assertRaisesRegex(ValueError, r"cpu must be cortex-m4 or cortex-m7"):
            cost.CostModel(cpu="cortex-m0").estimate([1, 8], [dict(op="gelu")])
        with self.assertRaisesRegex(ValueError, r"layer 1 \(add\): the residual's shape"):
            m.estimate([1, 8], [dict(op="linear", channels=4), dict(op="add")])
        with self.assertRaisesRegex(ValueError, r"layer 0 \(conv2d\): kernel larger than"):
            m.estimate([1, 1, 2, 2], [dict(op="conv2d", channels=4, kernel=5)])
        with self.assertRaisesRegex(ValueError, r"activation must be none, relu or relu6"):
            m.estimate([1, 8], [dict(op="linear", channels=4, activation="gelu")])
        with self.assertRaisesRegex(ValueError, r"sparsity must be in \[0, 1\)"):
            m.estimate([1, 8], [dict(op="linear", channels=4, sparsity=1.0)])
        with self.assertRaisesRegex(ValueError, r"pattern must be"):
            cost.synthetic_weight([4, 4], 0.5, "2x2", 0)


if __name__ == "__main__":
    unittest.main()
