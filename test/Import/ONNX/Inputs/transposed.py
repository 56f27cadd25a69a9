#!/usr/bin/python3
"""Transposed convolutions and DepthToSpace against torch, in float.

  transposed.py WORK_DIR TINYFORMER

Exports nn.ConvTranspose1d / nn.ConvTranspose2d over a grid of kernels,
strides, pads, output paddings, dilations and groups, and nn.PixelShuffle /
DepthToSpace (DCR), runs each with `tinyformer run --host` (the float
reference of the imported conv2d -> depth_to_space -> slice) and prints one
line per case with the largest difference from torch's output, then "N
cases, M off" (off: a difference above 1e-4 or a failed run).
"""
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

CASES = [
    # (dims, cin, cout, kernel, stride, padding, output_padding, dilation, groups, size)
    (2, 4, 3, 2, 2, 0, 0, 1, 1, 5),
    (2, 4, 3, 4, 2, 1, 0, 1, 1, 5),
    (2, 4, 3, 3, 2, 1, 1, 1, 1, 4),
    (2, 3, 5, 3, 1, 1, 0, 1, 1, 6),
    (2, 3, 2, 5, 3, 2, 2, 1, 1, 3),
    (2, 4, 6, 4, 2, 1, 0, 1, 2, 4),
    (2, 4, 4, 3, 2, 0, 1, 2, 1, 4),
    (2, 2, 3, (3, 2), (2, 3), (1, 0), (1, 2), 1, 1, 4),
    (2, 2, 3, 1, 2, 0, 1, 1, 1, 3),
    (2, 2, 2, 3, 2, 2, 0, 1, 1, 5),
    (2, 3, 2, 2, 4, 0, 3, 1, 1, 3),
    (1, 4, 3, 4, 2, 1, 0, 1, 1, 7),
    (1, 3, 2, 3, 1, 1, 0, 1, 1, 6),
    (1, 4, 4, 5, 3, 2, 1, 2, 2, 5),
]


def main():
    work, tinyformer = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    off = 0
    models = []
    for i, (dims, cin, cout, k, s, p, op, d, g, n) in enumerate(CASES):
        cls = nn.ConvTranspose2d if dims == 2 else nn.ConvTranspose1d
        m = cls(cin, cout, k, stride=s, padding=p, output_padding=op, dilation=d,
                groups=g)
        models.append(("convT%d_k%s_s%s_p%s_op%s_d%d_g%d" % (dims, k, s, p, op, d, g),
                       m, (1, cin) + (n,) * dims))
    models.append(("pixel_shuffle_3", nn.Sequential(nn.Conv2d(2, 18, 1),
                                                    nn.PixelShuffle(3)), (1, 2, 3, 4)))
    for i, (name, m, shape) in enumerate(models):
        m.eval()
        path = os.path.join(work, "%d.onnx" % i)
        torch.onnx.export(m, torch.randn(*shape), path, opset_version=13)
        x = torch.randn(*shape)
        np.save(os.path.join(work, "x%d.npy" % i), x.numpy())
        y = os.path.join(work, "y%d.npy" % i)
        r = subprocess.run([tinyformer, "run", "--host", path, "--input",
                            os.path.join(work, "x%d.npy" % i), "--output", y],
                           capture_output=True, text=True)
        if r.returncode:
            print("%-36s FAIL %s" % (name, r.stderr.strip().splitlines()[-1]))
            off += 1
            continue
        with torch.no_grad():
            ref = m(x).numpy()
        got = np.load(y).reshape(ref.shape)
        diff = float(np.abs(got - ref).max())
        off += diff > 1e-4
        print("%-36s %s %s max diff %.1e" % (name, list(ref.shape),
                                             "ok" if diff <= 1e-4 else "OFF", diff))
    print("%d cases, %d off" % (len(models), off))
    return 1 if off else 0


if __name__ == "__main__":
    sys.exit(main())
