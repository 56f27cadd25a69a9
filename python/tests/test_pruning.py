"""Tests for tinyformer.pruning (torch 1.13 + onnx 1.12 + numpy).

  /usr/bin/python3 -m unittest discover -s python/tests

Tiny random layers only (a few seconds): masks hit the target sparsity exactly per the
documented rounding rule, block and N:M masks conform, the cubic schedule's values,
masked fine-tuning keeps the zeros (own loop and forward pre-hook), BatchNorm folding,
and that an exported, pruned ONNX file has +0.0 (never -0.0) in its pruned weights and
passes check_onnx.
"""
import io
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinyformer import pruning  # noqa: E402
from tinyformer.pruning import (GradualSchedule, Pruner, conforms_2d,  # noqa: E402
                                mask_2d, matrix_view, from_matrix_view, weight_mask)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import helper, numpy_helper, TensorProto  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

torch.set_num_threads(1)


def neg_zeros(a):
    return int((np.ascontiguousarray(a, np.float32).view(np.uint32) == 0x80000000).sum())


class MaskTest(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(0)

    def test_unstructured_exact(self):
        for shape in [(8, 16), (10, 37), (3, 5)]:
            w = self.rng.standard_normal(shape)
            for s in [0.0, 0.3, 0.5, 0.8, 0.9, 0.97, 1.0]:
                keep = mask_2d(w, "unstructured", s)
                self.assertEqual(int((~keep).sum()), math.floor(s * w.size + 0.5), (shape, s))
                if 0 < (~keep).sum() < w.size:   # the pruned are the smallest
                    self.assertLessEqual(np.abs(w[~keep]).max(), np.abs(w[keep]).min())

    def test_blocks_exact_and_conform(self):
        w = self.rng.standard_normal((16, 32))
        for pat, (r, c) in [("1x4", (1, 4)), ("4x1", (4, 1)), ("2x2", (2, 2))]:
            for s in [0.5, 0.8, 0.9]:
                keep = mask_2d(w, pat, s)
                nblocks = w.size // (r * c)
                self.assertEqual(int((~keep).sum()), math.floor(s * nblocks + 0.5) * r * c)
                blocks = keep.reshape(16 // r, r, 32 // c, c).transpose(0, 2, 1, 3)
                flat = blocks.reshape(-1, r * c)
                self.assertTrue(((flat.all(1)) | (~flat.any(1))).all(), pat)
                self.assertTrue(conforms_2d(w * keep, pat))
                # pruned blocks have the smallest L1 norms
                l1 = np.abs(w).reshape(16 // r, r, 32 // c, c).sum((1, 3)).reshape(-1)
                pruned = ~flat.any(1)
                self.assertLessEqual(l1[pruned].max(), l1[~pruned].min())

    def test_blocks_ragged_edges(self):
        w = self.rng.standard_normal((10, 9))        # 4x1: rows 8-9 form 2-row blocks
        keep = mask_2d(w, "4x1", 0.5)
        self.assertTrue(conforms_2d(w * keep, "4x1"))
        nblocks = 3 * 9
        self.assertEqual(int((~keep.reshape(10, 9)[[0, 4, 8]]).sum()),
                         math.floor(0.5 * nblocks + 0.5))

    def test_nm(self):
        w = self.rng.standard_normal((6, 24))
        for pat, n, m in [("2:4", 2, 4), ("1:4", 1, 4)]:
            keep = mask_2d(w, pat, 1 - n / m)
            g = keep.reshape(6, 24 // m, m)
            self.assertTrue((g.sum(-1) == n).all(), pat)
            self.assertAlmostEqual(float((~keep).mean()), 1 - n / m)
            self.assertTrue(conforms_2d(w * keep, pat))
            # the kept are the n largest of each group
            a = np.abs(w).reshape(6, 24 // m, m)
            self.assertTrue((np.where(g, a, np.inf).min(-1) >=
                             np.where(g, -np.inf, a).max(-1)).all())
            # intermediate sparsity: a subset of the final mask, the rounded count
            half = mask_2d(w, pat, (1 - n / m) / 2)
            self.assertTrue((half | ~keep).all())
            cand = int((~keep).sum())
            self.assertEqual(int((~half).sum()), math.floor(0.5 * cand + 0.5))
        with self.assertRaises(ValueError):
            mask_2d(w, "2:4", 0.6)

    def test_nm_ragged_tail(self):
        w = self.rng.standard_normal((3, 10))       # groups 0-3, 4-7, then 8-9
        keep = mask_2d(w, "2:4", 0.5)
        self.assertTrue(conforms_2d(w * keep, "2:4"))
        self.assertTrue(keep[:, 8:].all())           # a tail of 2 keeps min(2, 2)

    def test_conforms_detects_violations(self):
        w = np.ones((4, 8))
        w[0, 0] = 0                                  # a lone zero
        self.assertFalse(conforms_2d(w, "1x4"))
        self.assertFalse(conforms_2d(w, "2:4"))      # 3 nonzeros in a group of 4
        w[0, 2] = 0
        self.assertTrue(conforms_2d(w[:1, :4], "2:4"))
        w[0, 1:4] = 0                                # now a whole 1x4 block
        self.assertTrue(conforms_2d(w, "1x4"))
        self.assertFalse(conforms_2d(w, "4x1"))
        self.assertFalse(conforms_2d(np.ones((2, 8)), "2:4"))

    def test_views(self):
        w = self.rng.standard_normal((5, 8, 3, 3))
        v = matrix_view(w)
        self.assertEqual(v.shape, (5, 72))
        self.assertEqual(v[2, (1 * 3 + 2) * 8 + 6], w[2, 6, 1, 2])   # OHWI
        np.testing.assert_array_equal(from_matrix_view(v, w.shape), w)
        lin = self.rng.standard_normal((3, 8 * 2 * 2))
        v = matrix_view(lin, (8, 2, 2))
        self.assertEqual(v[1, (1 * 2 + 0) * 8 + 5], lin[1, 5 * 4 + 1 * 2 + 0])  # HWC
        np.testing.assert_array_equal(from_matrix_view(v, lin.shape, (8, 2, 2)), lin)
        # conv 1x4 blocks = 4 consecutive input channels of one tap
        keep = weight_mask(torch.from_numpy(w), "1x4", 0.5)
        blk = keep.transpose(0, 2, 3, 1).reshape(5, 3, 3, 2, 4)
        self.assertTrue((blk.all(-1) | ~blk.any(-1)).all())

    def test_patterns(self):
        self.assertEqual(pruning.parse_pattern("1x4"), ("block", 1, 4))
        self.assertEqual(pruning.parse_pattern("2:4"), ("nm", 2, 4))
        self.assertEqual(pruning.nm_sparsity("1:4"), 0.75)
        for bad in ["4:2", "0x4", "foo", "2:2"]:
            with self.assertRaises(ValueError):
                pruning.parse_pattern(bad)


class ScheduleTest(unittest.TestCase):
    def test_cubic_values(self):
        sch = GradualSchedule(10, 110, every=10)
        self.assertEqual(sch.sparsity(0, 0.9), 0.0)
        self.assertEqual(sch.sparsity(10, 0.9), 0.0)
        self.assertAlmostEqual(sch.sparsity(60, 0.9), 0.9 - 0.9 * 0.5 ** 3)
        self.assertAlmostEqual(sch.sparsity(35, 0.8), 0.8 - 0.8 * 0.75 ** 3)
        self.assertEqual(sch.sparsity(110, 0.9), 0.9)
        self.assertEqual(sch.sparsity(500, 0.9), 0.9)
        vals = [sch.sparsity(t, 0.9) for t in range(0, 130)]
        self.assertTrue(all(a <= b for a, b in zip(vals, vals[1:])))
        self.assertEqual([t for t in range(0, 60) if sch.is_update_step(t)],
                         [10, 20, 30, 40, 50])
        self.assertTrue(sch.is_update_step(110))
        sch = GradualSchedule(0, 100, initial_sparsity=0.2)
        self.assertAlmostEqual(sch.sparsity(0, 0.8), 0.2)
        self.assertAlmostEqual(sch.sparsity(50, 0.8), 0.8 - 0.6 * 0.125)
        self.assertEqual(pruning.one_shot().sparsity(0, 0.7), 0.7)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
            nn.Conv2d(4, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2))
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(8 * 3 * 3, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(self.flatten(self.features(x)))))


def tiny_model():
    torch.manual_seed(0)
    m = Tiny()
    with torch.no_grad():                 # negative BN scales: the -0.0 trap
        for bn in (m.features[1], m.features[4]):
            bn.weight.copy_(torch.linspace(-1.5, 1.5, bn.num_features))
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 1.5)
    return m.eval()


class PrunerTest(unittest.TestCase):
    def test_fold_batchnorm(self):
        m = tiny_model()
        x = torch.randn(3, 1, 6, 6)
        ref = m(x)
        pruning.fold_batchnorm(m)
        self.assertFalse(any(isinstance(q, nn.BatchNorm2d) for q in m.modules()))
        torch.testing.assert_close(m(x), ref, rtol=1e-5, atol=1e-5)

    def test_targets_and_skips(self):
        m = pruning.fold_batchnorm(tiny_model())
        p = Pruner(m, 0.75, skip_first=True, skip_last=True)
        self.assertEqual([L.name for L in p.layers], ["features.3", "fc1"])
        self.assertEqual(p.skipped, ["features.0", "fc2"])
        p.set_final_masks()
        p.apply()
        r = p.report()
        self.assertEqual(r["features.3"]["zeros"], math.floor(0.75 * 288 + 0.5))
        self.assertEqual(r["fc1"]["zeros"], math.floor(0.75 * 1152 + 0.5))
        self.assertFalse((m.features[0].weight == 0).any())
        p = Pruner(pruning.fold_batchnorm(tiny_model()), {"fc2": 0.5, "fc1": 0.25})
        self.assertEqual([(L.name, L.target) for L in p.layers],
                         [("fc1", 0.25), ("fc2", 0.5)])
        with self.assertRaises(ValueError):
            Pruner(m, {"nope": 0.5})
        with self.assertRaises(ValueError):
            Pruner(m, 0.9, pattern="2:4")
        self.assertEqual(Pruner(m, None, pattern="1:4").layers[0].target, 0.75)

    def _train(self, pattern, use_hook):
        m = pruning.fold_batchnorm(tiny_model()).train()
        sch = GradualSchedule(0, 20, every=5)
        target = pruning.nm_sparsity(pattern) or 0.8
        p = Pruner(m, target, pattern=pattern, schedule=sch, skip_first=True,
                   flatten_chw={"fc1": (8, 3, 3)})
        opt = torch.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=0.01)
        g = torch.Generator().manual_seed(1)
        handle = p.attach() if use_hook else None
        seen = []
        for step in range(30):
            x = torch.randn(8, 1, 6, 6, generator=g)
            y = torch.randint(0, 4, (8,), generator=g)
            loss = nn.functional.cross_entropy(m(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if not use_hook:
                p.step()
                seen.append(p.layers[0].current)
                for L in p.layers:               # masked after every step
                    self.assertTrue((L.module.weight[~L.mask] == 0).all())
        if handle is not None:
            handle.remove()
        p.finalize()
        return m, p, seen

    def test_masked_finetuning_keeps_zeros(self):
        for pattern in ["unstructured", "1x4", "4x1", "2:4"]:
            for hook in (False, True):
                m, p, seen = self._train(pattern, hook)
                self.assertEqual(p.step_count, 30)
                for name, r in p.report().items():
                    self.assertTrue(r["pattern_conforms"], (pattern, name))
                    self.assertEqual(r["negative_zeros"], 0)
                    self.assertAlmostEqual(r["target"], pruning.nm_sparsity(pattern) or 0.8)
                    tgt = r["target"]
                    L = [q for q in p.layers if q.name == name][0]
                    self.assertEqual(r["zeros"], int((~L.mask).sum()))
                    if pattern == "unstructured":
                        self.assertEqual(r["zeros"], math.floor(tgt * r["params"] + 0.5))
                    else:
                        self.assertAlmostEqual(r["sparsity"], tgt, delta=0.02)
                if seen:                          # the schedule was followed
                    self.assertEqual(seen[-1], p.layers[0].target)
                    self.assertTrue(all(a <= b for a, b in zip(seen, seen[1:])))
                    self.assertAlmostEqual(seen[4],     # update at step 5
                                           GradualSchedule(0, 20, 5).sparsity(
                                               5, p.layers[0].target))


def export(model):
    f = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model.eval(), torch.zeros(1, 1, 6, 6), f, opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    return onnx.load_from_string(f.getvalue())


class OnnxTest(unittest.TestCase):
    def test_export_has_no_negative_zero(self):
        m = pruning.fold_batchnorm(tiny_model())
        p = Pruner(m, 0.5, pattern="1x4", flatten_chw={"fc1": (8, 3, 3)})
        p.set_final_masks()
        with torch.no_grad():                 # a -0.0 sneaking in must be fixed by apply
            w = m.fc2.weight
            w.copy_(torch.where(p.layers[-1].mask, w, torch.full_like(w, -0.0)))
        self.assertGreater(neg_zeros(m.fc2.weight.detach().numpy()), 0)
        p.finalize()
        model = export(m)
        pruning.sanitize_negative_zeros(model)
        rep = pruning.check_onnx(model, "1x4")
        self.assertTrue(rep["ok"], pruning.format_report(rep))
        self.assertEqual(rep["float_initializers_negative_zeros"], 0)
        for name, w in rep["weights"].items():
            self.assertEqual(w["negative_zeros"], 0)
            self.assertAlmostEqual(w["sparsity"], 0.5, delta=0.03, msg=name)
            self.assertTrue(w["conforms"]["1x4"], name)
        gemm = [w for w in rep["weights"].values() if w["op"] == "Gemm"]
        self.assertIn("HWC of flatten [8, 3, 3]", [w["k_order"] for w in gemm])
        # ONNX says the same as torch, zero for zero
        x = torch.randn(2, 1, 6, 6)
        self.assertEqual(int(sum((q.weight == 0).sum() for q in (m.features[0],
                                 m.features[3], m.fc1, m.fc2))),
                         sum(w["zeros"] for w in rep["weights"].values()))
        del x

    def test_bn_folded_by_exporter_then_sanitized(self):
        # Pruning before BN and letting the exporter fold: +0.0 * negative scale = -0.0.
        m = tiny_model()
        p = Pruner(m, 0.5)
        p.set_final_masks()
        p.finalize()
        model = export(m)
        before = pruning.check_onnx(model)["weights_negative_zeros"]
        self.assertGreater(before, 0)          # the trap is real with torch 1.13
        self.assertEqual(pruning.sanitize_negative_zeros(model), before)
        rep = pruning.check_onnx(model)
        self.assertTrue(rep["ok"])
        self.assertEqual(rep["weights_negative_zeros"], 0)

    def test_checker_on_handmade_graph(self):
        w = np.array([[1, 2, 0, 0], [-0.0, 0, 3, 4]], np.float32)   # [K=2, N=4] MatMul B
        g = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
            [numpy_helper.from_array(w, "w")])
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        rep = pruning.check_onnx(model, "unstructured")
        self.assertFalse(rep["ok"])
        self.assertEqual(rep["weights"]["w"]["negative_zeros"], 1)
        self.assertEqual(rep["weights"]["w"]["zeros"], 4)
        self.assertEqual(rep["weights"]["w"]["shape"], [2, 4])
        self.assertEqual(pruning.sanitize_negative_zeros(model), 1)
        self.assertTrue(pruning.check_onnx(model, "unstructured")["ok"])
        self.assertEqual(neg_zeros(numpy_helper.to_array(model.graph.initializer[0])), 0)


if __name__ == "__main__":
    unittest.main()
