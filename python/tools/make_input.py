#!/usr/bin/python3
"""Write a deterministic random input tensor as .npy (numpy only).

  make_input.py --shape 1x3x32x32 --seed 0 -o x.npy [--dist uniform|normal] [--dtype float32]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinyformer import npy_tools  # noqa: E402

import numpy as np  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", required=True, help="e.g. 1x3x32x32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dist", choices=("uniform", "normal"), default="uniform",
                   help="float32 only: uniform in [-1,1) (default) or standard normal")
    p.add_argument("--dtype", choices=npy_tools.DTYPES, default="float32")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    try:
        shape = npy_tools.parse_shape(args.shape)
    except ValueError as e:
        print("make_input: error: %s" % e, file=sys.stderr)
        return 2
    x = npy_tools.make_input(shape, args.seed, args.dist, args.dtype)
    np.save(args.output, x)
    return 0


if __name__ == "__main__":
    sys.exit(main())
