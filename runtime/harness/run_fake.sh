#!/bin/sh
# run_fake.sh - build run_model.c with the fake model (fake_model.c/.h) for
# Cortex-M4 (mps2-an386) and Cortex-M7 (mps2-an500), run it under QEMU with
# exact instruction counting, and check output.bin, the TF lines, and the
# error paths (missing input, bad input size, non-zero invoke status).
# Usage: run_fake.sh [workdir]     Exit status 0 when every check passes.
set -u
H=$(cd "$(dirname "$0")" && pwd)
W=${1:-${TMPDIR:-/tmp}/tf_run_fake}
rm -rf "$W"; mkdir -p "$W"
PY=/usr/bin/python3
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

COMMON="-mthumb -mfloat-abi=hard -O2 -g --specs=rdimon.specs -nostartfiles -T $H/mps2.ld -Wl,--gc-sections -Wl,--no-warn-execstack -Wl,--no-warn-rwx-segments"
MODEL_DEFS="-DTF_INVOKE=fake_model_invoke -DTF_RUN_LAYER=fake_model_run_layer -DTF_NUM_LAYERS=3 -DTF_ARENA_BYTES=128 -DTF_INPUT_BYTES=64 -DTF_OUTPUT_BYTES=64"
QEMU_COMMON="-nographic -monitor none -serial none -semihosting-config enable=on,target=native -icount shift=0,align=off,sleep=off"

build() { # cpuflags out.elf extra-model-flags
  arm-none-eabi-gcc $1 $COMMON -Wall -Wextra -c -o "$2.model.o" $3 "$H/fake_model.c" &&
  arm-none-eabi-gcc $1 $COMMON -Wall -Wextra $MODEL_DEFS -include "$H/fake_model.h" \
    -o "$2" "$H/startup.c" "$H/tf_count.s" "$H/tf_count.c" "$H/run_model.c" "$2.model.o" \
    -Wl,-Map="$2.map"
}

# 5 random inputs of 64 bytes.
$PY -c "import os,sys; sys.stdout.buffer.write(os.urandom(5*64))" > "$W/input.bin"

for board in m4 m7; do
  if [ $board = m4 ]; then
    CPU="-mcpu=cortex-m4 -mfpu=fpv4-sp-d16"; MACH="-M mps2-an386 -cpu cortex-m4"
  else
    CPU="-mcpu=cortex-m7 -mfpu=fpv5-d16"; MACH="-M mps2-an500 -cpu cortex-m7"
  fi
  D="$W/$board"; mkdir -p "$D"
  build "$CPU" "$D/app.elf" "" || { fail "$board: build"; continue; }
  build "$CPU" "$D/app_status7.elf" "-DFAKE_STATUS=7" || { fail "$board: build status7"; continue; }
  build "$CPU" "$D/app_fault.elf" "-DFAKE_FAULT" || { fail "$board: build fault"; continue; }
  build "$CPU" "$D/app_bigstack.elf" "-DFAKE_BIGSTACK" || { fail "$board: build bigstack"; continue; }

  echo "== $board ($MACH)"
  cp "$W/input.bin" "$D/"
  (cd "$D" && qemu-system-arm $MACH $QEMU_COMMON -kernel app.elf > stdout.txt 2>&1)
  rc=$?
  cat "$D/stdout.txt"
  [ $rc -eq 0 ] || fail "$board: exit status $rc"
  grep -qx "TF inputs 5" "$D/stdout.txt" || fail "$board: no 'TF inputs 5'"
  [ "$(grep -c '^TF invoke [0-9]* instructions [0-9]* stack [0-9]*$' "$D/stdout.txt")" = 5 ] || fail "$board: expected 5 invoke lines"
  [ "$(grep -c '^TF layer [0-9]* instructions [0-9]* stack [0-9]*$' "$D/stdout.txt")" = 3 ] || fail "$board: expected 3 layer lines"
  grep -qx "TF done" "$D/stdout.txt" || fail "$board: no 'TF done'"
  # every invoke of this data-independent model must count the same
  [ "$(grep '^TF invoke' "$D/stdout.txt" | awk '{print $5, $7}' | sort -u | wc -l)" = 1 ] || fail "$board: invoke counts differ between inputs"
  $PY - "$D/input.bin" "$D/output.bin" <<'PYEOF' || fail "$board: output.bin wrong"
import sys
i = open(sys.argv[1], 'rb').read(); o = open(sys.argv[2], 'rb').read()
exp = bytes((b + 1) & 0xFF for b in i)
if o != exp:
    print("output.bin: %d bytes, expected %d; first difference at %s" % (len(o), len(exp),
          next((k for k in range(min(len(o), len(exp))) if o[k] != exp[k]), None)))
    sys.exit(1)
print("output.bin ok (%d bytes)" % len(o))
PYEOF

  # --- error paths ---
  E="$D/err"; mkdir -p "$E"
  (cd "$E" && rm -f input.bin && qemu-system-arm $MACH $QEMU_COMMON -kernel ../app.elf > out1.txt 2>&1); rc=$?
  { [ $rc -ne 0 ] && grep -q '^TF error cannot open input.bin' "$E/out1.txt"; } || fail "$board: missing input not reported (rc $rc)"
  head -c 100 "$W/input.bin" > "$E/input.bin"
  (cd "$E" && qemu-system-arm $MACH $QEMU_COMMON -kernel ../app.elf > out2.txt 2>&1); rc=$?
  { [ $rc -ne 0 ] && grep -q '^TF error input.bin size is not a multiple' "$E/out2.txt"; } || fail "$board: bad input size not reported (rc $rc)"
  cp "$W/input.bin" "$E/input.bin"
  (cd "$E" && qemu-system-arm $MACH $QEMU_COMMON -kernel ../app_status7.elf > out3.txt 2>&1); rc=$?
  { [ $rc -ne 0 ] && grep -q '^TF error invoke returned non-zero status: input, status 0 7' "$E/out3.txt"; } || fail "$board: invoke status not reported (rc $rc)"
  (cd "$E" && qemu-system-arm $MACH -nographic -monitor none -serial none -semihosting-config enable=on,target=native -kernel ../app.elf > out4.txt 2>&1); rc=$?
  { [ $rc -eq 2 ] && grep -q '^TF error instruction counter' "$E/out4.txt"; } || fail "$board: missing -icount not reported (rc $rc)"
  (cd "$E" && qemu-system-arm $MACH $QEMU_COMMON -kernel ../app_fault.elf > out5.txt 2>&1); rc=$?
  { [ $rc -eq 70 ] && grep -q '^TF error hardfault' "$E/out5.txt"; } || fail "$board: hard fault not reported (rc $rc)"
  (cd "$E" && qemu-system-arm $MACH $QEMU_COMMON -kernel ../app_bigstack.elf > out6.txt 2>&1); rc=$?
  { [ $rc -ne 0 ] && grep -q '^TF error stack overflow in invoke' "$E/out6.txt"; } || fail "$board: stack overflow not reported (rc $rc)"
  echo "error paths checked:"; cat "$E"/out[1-6].txt | grep '^TF error'
done

if [ $FAILS -eq 0 ]; then echo "run_fake: PASS"; else echo "run_fake: FAIL ($FAILS)"; fi
[ $FAILS -eq 0 ]
