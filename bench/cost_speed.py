#!/usr/bin/python3
"""How many candidate architectures per second the cost model's Python
bindings price (tinyformer.cost.CostModel), on subnets of the NAS space.

  bench/cost_speed.py [--candidates 5000] [--cpu cortex-m7] [--seed 0]

Draws subnets of python/tinyformer/supernet.py's default space (hybrids of
2-6 conv blocks and 0-2 transformer blocks; 20-50 layers each), prices each
once (cold: distinct layers are compiled and memoised as they come) and then
again (warm: the NAS case, where layers recur), on one core, without and
with the per-layer table. Not a test: timings depend on the machine.
"""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
from tinyformer import cost, supernet  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", type=int, default=5000)
    p.add_argument("--cpu", default="cortex-m7")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    space = supernet.default_space()
    rng = random.Random(a.seed)
    cands = [supernet.cost_layers(space, supernet.sample_arch(space, rng))
             for _ in range(a.candidates)]
    layers = sum(len(c) for c in cands) / len(cands)
    model = cost.CostModel(cpu=a.cpu)
    shape = [1] + space["input"]
    for label, per_layer in (("cold", False), ("warm", False), ("warm, per-layer table", True)):
        t0 = time.perf_counter()
        for c in cands:
            model.estimate(shape, c, per_layer=per_layer)
        dt = time.perf_counter() - t0
        print("%-22s %8.0f candidates/s (%.1f us each; %d candidates of %.1f layers, "
              "%d distinct layers memoised)" % (label, len(cands) / dt, 1e6 * dt / len(cands),
                                                len(cands), layers, model.memoised_layers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
