#!/usr/bin/python3
"""Write the first N Fashion-MNIST test images and labels as .npy (numpy only).

  fmnist_test_batch.py [-n 200] [--images x.npy] [--labels y.npy]
      [--data-dir /usr/share/datasets/fashion-mnist] [--offset 0]

images: float32 [N,1,28,28] = pixel / 255 in [0, 1] (the model's input; no mean/std
normalisation), computed as images.astype(float32) / float32(255) like the training script.
labels: int64 [N], class indices 0..9. The images are taken in test-set order from
--offset, so they line up with examples/fashion_mnist/float_logits_first1000.npy
(row i = test image i) when --offset is 0.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinyformer import datasets  # noqa: E402

import numpy as np  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--count", type=int, default=200, help="number of images (default 200)")
    p.add_argument("--offset", type=int, default=0, help="first test image (default 0)")
    p.add_argument("--images", default="fmnist_test_images.npy")
    p.add_argument("--labels", default="fmnist_test_labels.npy")
    p.add_argument("--data-dir", default=datasets.DEFAULT_FASHION_MNIST_DIR)
    args = p.parse_args(argv)
    try:
        x, y = datasets.load_fashion_mnist(args.data_dir, "test")
    except (OSError, ValueError) as e:
        print("fmnist_test_batch: error: %s" % e, file=sys.stderr)
        return 2
    if args.count < 1 or args.offset < 0 or args.offset + args.count > len(x):
        print("fmnist_test_batch: error: images %d..%d are outside the test set (0..%d)"
              % (args.offset, args.offset + args.count - 1, len(x) - 1), file=sys.stderr)
        return 2
    sl = slice(args.offset, args.offset + args.count)
    images = (x[sl].astype(np.float32) / np.float32(255))[:, None]
    np.save(args.images, np.ascontiguousarray(images, "<f4"))
    np.save(args.labels, y[sl].astype("<i8"))
    print("wrote %s %s float32 and %s [%d] int64 (test images %d..%d)"
          % (args.images, "x".join(map(str, images.shape)), args.labels, args.count,
             args.offset, args.offset + args.count - 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
