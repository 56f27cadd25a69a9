#!/usr/bin/env python3
"""Estimated cycles per layer, beside the emulator's exact instructions.

  bench/cycle_estimate.py BUILD_DIR --input x.npy [--board m4|m7] [--json FILE]
                          [--work DIR] [--tinyformer build/bin/tinyformer]

QEMU counts instructions, not cycles, so code that does much per instruction
(LDM of 4-8 words, LDRD) looks cheaper than it runs. This runs the build once
on the emulator with QEMU's translation-block log (`-d exec,nochain,in_asm`,
through the QEMU environment variable that `tinyformer run` honours), prices
every executed instruction from a per-CPU timing table, and gives per layer
its cycles per instruction (CPI) over the code of its layer function
(tf_<model>_layerN, where the kernels are inlined), and the estimate CPI x
the layer's exact instruction count.

An estimate, labelled as such everywhere it is printed: the tables follow the
Cortex-M4 / Cortex-M7 technical reference manuals' issue timings with zero
wait-state memory (the SRAM / TCM the arena and the benchmarks use), no
hardware here to calibrate against:
- cortex-m4: 1 cycle per data-processing, multiply and MAC instruction (also
  SMLAL / SMULL); single loads and stores 2, 1 when they follow another
  single load or store (address and data phases pipeline); LDRD / STRD 3;
  LDM / STM / PUSH / POP 1 + registers, + 2 when POP loads the pc; taken
  branches 3, not taken 1; SDIV / UDIV 7 (2-12); VDIV / VSQRT 14.
- cortex-m7: dual issue of two adjacent instructions when the second does not
  read the first's result and they are not both loads / stores, not both
  multiplies / MACs, and neither is a branch; a load whose result the next
  instruction reads costs one more cycle; LDRD and 64-bit LDM pairs 1 per
  two words; taken branches 2 (predicted), not taken 1; divisions as on the
  M4.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

BRANCHES = {"b", "bl", "bx", "blx", "cbz", "cbnz", "tbb", "tbh"}
MULS = re.compile(r"^(mul|mla|mls|smul|smla|smls|smmu|smml|smua|smus|smlad|smlsd|"
                  r"umul|umla|umaa|smmla|smmls|sdiv|udiv)")
DIVS = {"sdiv", "udiv"}
VSLOW = {"vdiv", "vsqrt"}


class Insn:
    __slots__ = ("addr", "size", "op", "args", "target")

    def __init__(self, addr, size, op, args):
        self.addr, self.size, self.op, self.args = addr, size, op, args
        m = re.match(r"#(0x[0-9a-f]+|\d+)$", args.strip())
        self.target = int(m.group(1), 0) if m and self.base() in BRANCHES else None

    def base(self):
        """The mnemonic without condition, width or flag-setting suffixes."""
        op = self.op.split(".")[0]
        for cond in ("eq", "ne", "cs", "cc", "hs", "lo", "mi", "pl", "vs", "vc", "hi",
                     "ls", "ge", "lt", "gt", "le"):
            if op.endswith(cond) and op[:-2] in BRANCHES | {"b"}:
                return op[:-2]
        return op

    def is_branch(self):
        b = self.base()
        if b in BRANCHES:
            return True
        # pop / ldm into pc, mov pc
        return "pc" in self.writes()

    def is_mem(self):
        b = self.base()
        return b.startswith(("ldr", "str", "ldm", "stm", "push", "pop", "vldr", "vstr",
                             "vldm", "vstm", "vpush", "vpop"))

    def reglist(self):
        m = re.search(r"\{([^}]*)\}", self.args)
        if not m:
            return []
        regs = []
        for part in m.group(1).split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-")
                pa, pb = re.match(r"([a-z]+)(\d+)", a), re.match(r"([a-z]+)(\d+)", b)
                regs += ["%s%d" % (pa.group(1), i) for i in range(int(pa.group(2)),
                                                                   int(pb.group(2)) + 1)]
            elif part:
                regs.append(part)
        return regs

    def operands(self):
        return [a.strip() for a in re.split(r",(?![^\[{]*[\]}])", self.args) if a.strip()]

    def writes(self):
        b = self.base()
        if b.startswith(("ldm", "pop", "vldm", "vpop")):
            return set(self.reglist())
        if b.startswith(("str", "stm", "push", "vstr", "vstm", "vpush", "cmp", "cmn",
                         "tst", "teq", "it")) or b in BRANCHES:
            return set()
        ops = self.operands()
        w = {ops[0]} if ops else set()
        if b.startswith("ldrd") or b in ("smlal", "smull", "umull", "umlal", "smlald",
                                         "smlsld", "smlalbb", "smlaltt"):
            w |= {ops[1]} if len(ops) > 1 else set()
        return w

    def reads(self):
        text = self.args
        if self.base().startswith(("ldm", "pop")):
            text = re.sub(r"\{[^}]*\}", "", text)
        regs = set(re.findall(r"\b(r\d+|ip|lr|sp|pc|fp|sb|sl|s\d+|d\d+)\b", text))
        b = self.base()
        if not b.startswith(("str", "stm", "push", "cmp", "cmn", "tst", "teq")) and \
                not b.startswith(("mla", "smla", "smml", "umla", "smlal")):
            regs -= self.writes() if not self.base().startswith("ldr") else set()
        return regs


def parse_trace(path):
    """(translation blocks by start pc, start pcs in execution order)."""
    blocks, order = {}, []
    cur = None
    insn_re = re.compile(r"^0x([0-9a-f]+):\s+([0-9a-f]{4})(?: ([0-9a-f]{4}))?\s+(\S+)\s*(.*)$")
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("IN:"):
                cur = []
                continue
            if cur is not None:
                m = insn_re.match(line)
                if m:
                    size = 4 if m.group(3) else 2
                    cur.append(Insn(int(m.group(1), 16), size, m.group(4), m.group(5)))
                    continue
                if cur:
                    blocks.setdefault(cur[0].addr, cur)
                cur = None
            if line.startswith("Trace "):
                m = re.search(r"\[[0-9a-f]+/([0-9a-f]+)/", line)
                if m:
                    order.append(int(m.group(1), 16))
    return blocks, order


def cycles_m4(insns, taken):
    """Cycles of one executed translation block on the Cortex-M4."""
    total, prev_single_mem = 0, False
    for i, x in enumerate(insns):
        b = x.base()
        last = i == len(insns) - 1
        if b in DIVS:
            c = 7
        elif b in VSLOW:
            c = 14
        elif b.startswith(("ldm", "stm", "push", "pop", "vldm", "vstm", "vpush", "vpop")):
            n = len(x.reglist()) or 1
            c = 1 + n + (2 if "pc" in x.reglist() else 0)
        elif b.startswith(("ldrd", "strd")):
            c = 3
        elif b.startswith(("ldr", "str", "vldr", "vstr")):
            c = 1 if prev_single_mem else 2
        elif x.is_branch():
            c = 3 if (taken if last else True) else 1
        else:
            c = 1
        prev_single_mem = b.startswith(("ldr", "str", "vldr", "vstr")) and \
            not b.startswith(("ldrd", "strd"))
        total += c
    return total


def cycles_m7(insns, taken):
    """Cycles of one executed translation block on the Cortex-M7 (dual issue)."""
    total, i, n = 0, 0, len(insns)

    def single(x, last):
        b = x.base()
        if b in DIVS:
            return 7
        if b in VSLOW:
            return 14
        if b.startswith(("ldm", "stm", "push", "pop", "vldm", "vstm", "vpush", "vpop")):
            return 1 + (len(x.reglist()) + 1) // 2 + (1 if "pc" in x.reglist() else 0)
        if x.is_branch():
            return 2 if (taken if last else True) else 1
        return 1

    while i < n:
        x = insns[i]
        c = single(x, i == n - 1)
        step = 1
        if i + 1 < n and c == 1:
            y = insns[i + 1]
            pairable = (not x.is_branch() and not y.is_branch()
                        and not (x.is_mem() and y.is_mem())
                        and not (MULS.match(x.base()) and MULS.match(y.base()))
                        and not (x.writes() & y.reads())
                        and single(y, i + 1 == n - 1) == 1
                        and x.base() != "it" and y.base() != "it")
            if pairable:
                step = 2
        # load-use: one more cycle when the next instruction reads the result
        last = insns[i + step - 1]
        if last.base().startswith("ldr") and i + step < n and \
                (last.writes() & insns[i + step].reads()):
            c += 1
        total += c
        i += step
    return total


def estimate_cycles(blocks, order, ranges, board):
    """Per range name: (instructions traced, cycles) over executed blocks."""
    price = cycles_m7 if board == "m7" else cycles_m4
    memo = {}
    out = {name: [0, 0] for name in ranges}
    spans = sorted((lo, hi, name) for name, (lo, hi) in ranges.items())
    for k, pc in enumerate(order):
        insns = blocks.get(pc)
        if not insns:
            continue
        name = next((nm for lo, hi, nm in spans if lo <= pc < hi), None)
        if name is None:
            continue
        last = insns[-1]
        nxt = order[k + 1] if k + 1 < len(order) else None
        taken = nxt is not None and nxt != last.addr + last.size
        key = (pc, taken)
        if key not in memo:
            memo[key] = price(insns, taken)
        out[name][0] += len(insns)
        out[name][1] += memo[key]
    return out


def layer_ranges(elf):
    """{layer index: (start, end)} of the tf_*_layerN functions."""
    nm = shutil.which("llvm-nm") or "/usr/lib/llvm-19/bin/llvm-nm"
    text = subprocess.run([nm, "--print-size", elf], capture_output=True, text=True,
                          check=True).stdout
    ranges = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tT":
            m = re.match(r"tf_\w+?_layer(\d+)$", f[3])
            if m:
                lo = int(f[0], 16) & ~1
                ranges[int(m.group(1))] = (lo, lo + int(f[1], 16))
    return ranges


def run(build, x, board, work, tinyformer):
    """Runs the build once with the block log; returns the per-layer rows."""
    os.makedirs(work, exist_ok=True)
    wrap = os.path.join(work, "qemu-trace.sh")
    with open(wrap, "w") as f:
        f.write("#!/bin/sh\n"
                "for a in \"$@\"; do case \"$a\" in *.elf) cp \"$a\" \"%s/app.elf\";; esac; done\n"
                "exec \"${TRACE_QEMU:-qemu-system-arm}\" \"$@\" -d exec,nochain,in_asm -D \"%s/trace.log\"\n"
                % (work, work))
    os.chmod(wrap, 0o755)
    env = dict(os.environ, QEMU=wrap, TRACE_QEMU=os.environ.get("QEMU", "qemu-system-arm"))
    report = os.path.join(work, "run.json")
    r = subprocess.run([tinyformer, "run", build, "--input", x, "--output",
                        os.path.join(work, "y.npy"), "--board", board, "--report", report],
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("tinyformer run failed: " + (r.stderr or r.stdout).strip()[-600:])
    with open(report) as f:
        rep = json.load(f)
    blocks, order = parse_trace(os.path.join(work, "trace.log"))
    ranges = layer_ranges(os.path.join(work, "app.elf"))
    per = estimate_cycles(blocks, order, ranges, board)
    rows = []
    for i, lay in enumerate(rep.get("layers", [])):
        traced, cyc = per.get(i, (0, 0))
        instr = lay.get("instructions") or 0
        cpi = cyc / traced if traced else None
        rows.append(dict(layer=i, name=lay.get("name"), kernel=lay.get("kernel"),
                         instructions=instr, traced_instructions=traced,
                         cpi_estimate=cpi,
                         cycles_estimate=int(round(cpi * instr)) if cpi else None))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("build")
    ap.add_argument("--input", required=True)
    ap.add_argument("--board", choices=("m4", "m7"), default="m4")
    ap.add_argument("--json")
    ap.add_argument("--work")
    ap.add_argument("--tinyformer", default=os.path.join(REPO, "build", "bin", "tinyformer"))
    a = ap.parse_args(argv)
    work = a.work or tempfile.mkdtemp(prefix="tf-cycles-")
    try:
        rows = run(a.build, a.input, a.board, work, a.tinyformer)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        print("cycle_estimate: error: %s" % e, file=sys.stderr)
        return 1
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    print("%-5s %-32s %-16s %12s %7s %14s" % ("layer", "name", "kernel", "instructions",
                                              "CPI est", "cycles (est.)"))
    for r in rows:
        print("%-5d %-32s %-16s %12d %7s %14s" % (
            r["layer"], (r["name"] or "")[:32], r["kernel"] or "-", r["instructions"],
            "%.3f" % r["cpi_estimate"] if r["cpi_estimate"] else "-",
            "{:,}".format(r["cycles_estimate"]) if r["cycles_estimate"] else "-"))
    print("(cycles are an estimate: TRM timing tables for cortex-%s, zero wait states; "
          "instructions are exact)" % a.board)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(board=a.board, estimate=True, layers=rows), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
