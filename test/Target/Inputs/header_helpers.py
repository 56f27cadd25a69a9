"""Checks a build's model.h helpers against the tools' quantization rule.

  header_helpers.py BUILD_DIR WORK_DIR CC

Writes a C program that includes BUILD_DIR/model.h and prints the input
helper's int8 for values on the grid, on ties (k + 0.5) * scale and far
outside the range, and the output helper's value for -128; compiles it with
CC and compares with round-half-to-even(x / scale) + zero point, saturated,
and scale * (q - zero point).
"""
import json
import os
import subprocess
import sys

import numpy as np

build, work, cc = sys.argv[1:4]
report = json.load(open(os.path.join(build, "compile_report.json")))
name = report["name"]
s, z = report["input"]["scale"], report["input"]["zero_point"]
xs = [k * s for k in range(-140, 140)] + [(k + 0.5) * s for k in range(-140, 140)]
xs += [1e9, -1e9, 0.0]
# The helper takes a float: compare on the float32 values it sees.
xs = [float(np.float32(x)) for x in xs]
lines = ["#include <stdio.h>", '#include "model.h"', "int main(void) {"]
lines += ['  printf("%%d\\n", tf_%s_quantize_input(%r));' % (name, x) for x in xs]
lines += ['  printf("%%.6f\\n", tf_%s_dequantize_output(-128));' % name, "  return 0;", "}"]
src = os.path.join(work, "main.c")
open(src, "w").write("\n".join(lines) + "\n")
exe = os.path.join(work, "main")
subprocess.run([cc, "-std=c99", "-Wall", "-Werror", "-I" + build, src, "-o", exe], check=True)
got = subprocess.run([exe], check=True, capture_output=True, text=True).stdout.split()
want = np.clip(np.round(np.array(xs) / s) + z, -128, 127).astype(int)
bad = [(x, w, g) for x, w, g in zip(xs, want, got) if int(g) != w]
assert not bad, bad[:5]
o = report["output"]
assert abs(float(got[-1]) - o["scale"] * (-128 - o["zero_point"])) < 1e-5, got[-1]
print("helpers ok", len(xs))
