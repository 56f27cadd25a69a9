"""Checks a `tinyformer compare --json` report against its build:
check_compare.py REPORT.json COMPILE_REPORT.json MIN_COSINE

One row per INT8 layer with a kernel (aliases aside), sorted worst
(lowest SQNR) first, every cosine at least MIN_COSINE. Exit 1 otherwise."""
import json
import sys

q = json.load(open(sys.argv[1]))
build = json.load(open(sys.argv[2]))
floor = float(sys.argv[3])
layers = q["layers"]
want = sorted(l["name"] for l in build["layers"] if l["kernel"] != "alias")
got = sorted(l["name"] for l in layers)
if got != want or q["layers_without_float_counterpart"]:
    sys.exit("layers %s, build layers %s" % (got, want))
sqnr = [l["sqnr_db"] if l["sqnr_db"] is not None else float("inf") for l in layers]
if sqnr != sorted(sqnr):
    sys.exit("not worst first: %s" % sqnr)
for l in layers:
    if l["cosine"] < floor:
        sys.exit("%s: cosine %.4f < %s" % (l["name"], l["cosine"], floor))
print("ok: %d layers, worst first, cosine >= %s" % (len(layers), floor))
