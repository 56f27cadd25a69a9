#!/usr/bin/python3
"""Trains the weight-sharing supernet of a search space (sandwich rule,
in-place distillation; python/tinyformer/supernet.py).

  tools/nas/train_supernet.py --out DIR [--space SPACE.json] [--dataset fashion-mnist|cifar10]
                              [--data DIR] [--epochs 12] [--batch 128] [--lr 2e-3]
                              [--limit N] [--seed 0] [--device cpu|cuda]

Writes DIR/supernet.pt (weights, space, input scaling, history) and
DIR/train_log.json. The space defaults to supernet.default_space for the
dataset's images (or the one tools/nas/supernas.py chose: DIR/space.json).
5,000 training images are held out for validation (subnet accuracies).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import torch  # noqa: E402

from tinyformer import nas, supernet  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--space")
    p.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "cifar10"])
    p.add_argument("--data")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--limit", type=int, help="first N training / test images (smoke runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    data = nas.load_data(a.dataset, a.data, limit=a.limit, seed=a.seed)
    if a.space:
        space = json.load(open(a.space))
    else:
        c, h, _ = data["train"][0].shape[1:]
        space = supernet.default_space(hw=h, cin=c)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    net, history = nas.train_supernet(space, data, a.epochs, a.batch, a.lr, a.seed, a.device)
    seconds = time.time() - t0
    nas.save_supernet(os.path.join(a.out, "supernet.pt"), net.cpu(), data, history)
    log = {"command": " ".join(sys.argv), "space": space, "history": history,
           "subnets": supernet.count_subnets(space), "seconds": seconds,
           "device": a.device, "threads": torch.get_num_threads(),
           "train_images": len(data["train"][0]), "val_images": len(data["val"][0])}
    json.dump(log, open(os.path.join(a.out, "train_log.json"), "w"), indent=1)
    print("supernet of %d subnets trained in %.0f s: %s" % (
        log["subnets"], seconds, os.path.join(a.out, "supernet.pt")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
