"""The NAS side: supernet sampling and weight sharing, the subnet's layer list
against the compiler, and the drivers (tools/nas) on a tiny space in seconds,
with a 2-worker dask LocalCluster. Run by test/Python/nas.test with pytest;
the cost parts are skipped when the bindings are not built, the drivers when
Fashion-MNIST is not installed."""
import glob
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinyformer import api, datasets, supernet  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILT = glob.glob(os.path.join(api._build_dir(), "python", "tinyformer", "_tinyformer*.so"))
FMNIST = os.path.isdir(datasets.DEFAULT_FASHION_MNIST_DIR)

TINY = {
    "input": [1, 28, 28], "classes": 10,
    "stem": {"width": [4, 8], "stride": 2},
    "stages": [{"stride": 2, "depth": [1, 2], "width": [8, 12], "kernel": [3, 5],
                "expand": [2]}],
    "transformer": {"depth": [0, 1], "embed": [16], "heads": [1, 2], "mlp_ratio": [1],
                    "lowrank": [1.0, 0.5], "patch": [1, 2]},
}


class SupernetTest(unittest.TestCase):
    def test_sampling(self):
        rng = random.Random(0)
        choices = supernet.arch_choices(TINY)
        self.assertEqual(supernet.count_subnets(TINY),
                         int(np.prod([len(o) for o in choices.values()])))
        for _ in range(20):
            arch = supernet.sample_arch(TINY, rng)
            params = supernet.arch_params(TINY, arch)
            self.assertEqual(set(params), set(choices))
            self.assertTrue(all(params[n] in choices[n] for n in choices))
            self.assertEqual(supernet.arch_from_params(TINY, params), arch)
        self.assertEqual(supernet.largest_arch(TINY)["stages"][0]["width"], 12)
        self.assertEqual(supernet.smallest_arch(TINY)["transformer"]["depth"], 0)

    def test_weight_sharing(self):
        torch.manual_seed(0)
        net = supernet.SuperNet(TINY).eval()
        x = torch.randn(3, 1, 28, 28)
        rng = random.Random(1)
        for _ in range(6):
            arch = supernet.sample_arch(TINY, rng)
            with torch.no_grad():
                self.assertTrue(torch.allclose(net(x, arch), net.extract(arch)(x), atol=1e-5))
        # A smaller subnet uses the first channels of the larger's weights.
        small, big = supernet.smallest_arch(TINY), supernet.largest_arch(TINY)
        w_small = net.extract(small).features[0].weight
        w_big = net.extract(big).features[0].weight
        self.assertTrue(torch.equal(w_small, w_big[:w_small.shape[0]]))

    def test_sandwich_step_trains_shared_weights(self):
        torch.manual_seed(0)
        net = supernet.SuperNet(TINY)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
        before = net.stem.weight.detach().clone()
        supernet.sandwich_step(net, opt, x, y, random.Random(0))
        self.assertFalse(torch.equal(before, net.stem.weight))

    @unittest.skipUnless(BUILT, "bindings not built")
    def test_layer_list_is_what_the_compiler_sees(self):
        from tinyformer import cost, nas, pruning

        torch.manual_seed(0)
        net = supernet.SuperNet(TINY).eval()
        arch = supernet.largest_arch(TINY)
        model = pruning.fold_batchnorm(net.extract(arch))
        # Dense as the layer list states: no weight small enough to round to
        # an int8 zero (those zeros would let the compiler price a kernel of
        # fewer nonzeros, and pick another kernel with another scratch).
        with torch.no_grad():
            for mod in model.modules():
                w = getattr(mod, "weight", None)
                if isinstance(w, torch.Tensor) and w.dim() >= 2:
                    floor = 0.02 * w.abs().flatten(1).amax(1).view(-1, *([1] * (w.dim() - 1)))
                    w.copy_(torch.where(w >= 0, 1.0, -1.0) * torch.maximum(w.abs(), floor))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            cost.export_onnx(model, [1, 1, 28, 28], path)
            np.save(os.path.join(d, "c.npy"),
                    np.random.RandomState(0).randn(4, 1, 28, 28).astype(np.float32))
            tool = os.path.join(api._build_dir(), "bin", "tinyformer")
            out = subprocess.run([tool, "cost", path, "--calib", os.path.join(d, "c.npy"),
                                  "--json"], capture_output=True, text=True, check=True)
        t = json.loads(out.stdout)
        e = nas.Budget().check(TINY, arch)
        self.assertTrue(e["fits"])
        self.assertEqual(e["macs"], t["macs"])
        self.assertEqual(e["arena_bytes"], t["arena_bytes"])
        self.assertEqual(e["estimated_instructions"], t["estimated_instructions"])


@unittest.skipUnless(BUILT and FMNIST, "bindings or Fashion-MNIST missing")
class DriversTest(unittest.TestCase):
    """The four drivers chained on the tiny space, 256 images."""

    def run_tool(self, name, *args):
        cmd = [sys.executable, os.path.join(REPO, "tools", "nas", name)] + [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        return p.stdout

    def test_drivers(self):
        with tempfile.TemporaryDirectory() as d:
            space = os.path.join(d, "tiny.json")
            json.dump(TINY, open(space, "w"))
            out = self.run_tool("supernas.py", "--out", os.path.join(d, "sn"), "--spaces", space,
                                "--samples", "20", "--max-instructions", "3000000")
            self.assertIn("chosen: tiny.json", out)
            log = json.load(open(os.path.join(d, "sn", "supernas.json")))
            self.assertGreater(log["spaces"]["tiny.json"]["fit_share"], 0)
            self.assertTrue(os.path.exists(os.path.join(d, "sn", "supernas.png")))

            self.run_tool("train_supernet.py", "--out", os.path.join(d, "t"), "--space",
                          os.path.join(d, "sn", "space.json"), "--epochs", "1",
                          "--limit", "256", "--threads", "1")
            ck = os.path.join(d, "t", "supernet.pt")
            self.assertTrue(os.path.exists(ck))

            # Two workers of a LocalCluster; resumable: 4 trials, then 6.
            args = ["--supernet", ck, "--out", os.path.join(d, "s"), "--workers", "2",
                    "--limit", "256", "--batch", "4", "--top", "1"]
            self.run_tool("search.py", "--trials", "4", *args)
            out = self.run_tool("search.py", "--trials", "6", *args)
            log = json.load(open(os.path.join(d, "s", "search_log.json")))
            self.assertEqual(len(log["trials"]), 6)
            m = log["measured"][0]
            self.assertIn("measured_instructions", m, m)
            self.assertLess(abs(m["estimated_instructions"] / m["measured_instructions"] - 1), 0.3)
            for f in ("arch.json", "pareto.png"):
                self.assertTrue(os.path.exists(os.path.join(d, "s", f)))

            self.run_tool("sparsenas.py", "--supernet", ck, "--arch",
                          os.path.join(d, "s", "arch.json"), "--out", os.path.join(d, "p"),
                          "--trials", "12", "--check", "1", "--check-steps", "2",
                          "--finetune-steps", "4", "--limit", "256", "--sparsities", "0,0.8",
                          "--patterns", "unstructured", "--workers", "2",
                          "--proxy-images", "128")
            r = json.load(open(os.path.join(d, "p", "search.json")))
            for key in ("architecture", "sparsity", "input_mean", "input_std", "measured"):
                self.assertIn(key, r)
            self.assertIn("measured_instructions", r["measured"], r["measured"])


if __name__ == "__main__":
    unittest.main()
