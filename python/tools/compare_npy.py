#!/usr/bin/python3
"""Compare two .npy files (numpy only).

  compare_npy.py actual.npy expected.npy [--rtol-range 1e-4]

Exit 0 iff max|actual-expected| <= rtol_range * max(1, max(expected)-min(expected)).
Exit 1 if the error is too large, 2 on shape mismatch / unreadable files / NaN.
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
    p.add_argument("actual")
    p.add_argument("expected")
    p.add_argument("--rtol-range", type=float, default=1e-4,
                   help="tolerance relative to the expected output range (default 1e-4)")
    args = p.parse_args(argv)
    arrays = []
    for path in (args.actual, args.expected):
        try:
            arrays.append(np.load(path, allow_pickle=False))
        except Exception as e:  # noqa: BLE001
            print("compare_npy: error: cannot load %s: %s" % (path, e), file=sys.stderr)
            return 2
    r = npy_tools.compare(arrays[0], arrays[1], args.rtol_range)
    if r.message:
        print("compare_npy: FAIL: %s" % r.message)
        return 2
    status = "PASS" if r.ok else "FAIL"
    extra = ""
    a, e = arrays
    if a.ndim >= 1 and a.size > 0 and a.shape[-1] > 1:
        same = np.array_equal(np.argmax(a, -1), np.argmax(e, -1))
        extra = " argmax_match=%s" % ("yes" if same else "no")
    print("compare_npy: %s max_abs_err=%.6g bound=%.6g (rtol_range=%g, range=%.6g)%s"
          % (status, r.max_abs_err, r.bound, args.rtol_range, r.value_range, extra))
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main())
