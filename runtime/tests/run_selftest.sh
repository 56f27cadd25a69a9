#!/bin/sh
# Build runtime/tests/kernel_selftest.c for mps2-an386 (Cortex-M4) and
# mps2-an500 (Cortex-M7) and run both under QEMU. Kernels are compiled by
# clang-19 with the flags the compiler uses for the kernel bitcode (as
# objects, one per runtime/kernels/*.c); pack, test and startup by
# arm-none-eabi-gcc.
# Usage: run_selftest.sh [outdir]   (env SELFTEST_ITERS=N to change the count)
set -e
T=$(cd "$(dirname "$0")" && pwd)
R=$(cd "$T/.." && pwd)
OUT=${1:-${TMPDIR:-/tmp}/tfk_selftest}
ITERS=${SELFTEST_ITERS:-300}
mkdir -p "$OUT"
if [ -f "$R/harness/startup.c" ] && [ -f "$R/harness/mps2.ld" ]; then
  STARTUP="$R/harness/startup.c"; LD="$R/harness/mps2.ld"
else
  STARTUP="$T/startup.c"; LD="$T/mps2.ld"
fi
rc=0
for cpu in m4 m7; do
  if [ $cpu = m4 ]; then FPU=fpv4-sp-d16; BOARD=mps2-an386; else FPU=fpv5-d16; BOARD=mps2-an500; fi
  set -- # the kernel objects
  for src in "$R"/kernels/*.c; do
    obj="$OUT/$(basename "$src" .c)_$cpu.o"
    clang-19 --target=thumbv7em-none-eabihf -mcpu=cortex-$cpu -mfloat-abi=hard -mfpu=$FPU \
      -mthumb -O2 -ffreestanding -fno-builtin -fomit-frame-pointer -Wall -Wextra $KCFLAGS -c "$src" \
      -I "$R/include" -o "$obj"
    set -- "$@" "$obj"
  done
  arm-none-eabi-gcc -mcpu=cortex-$cpu -mfpu=$FPU -mthumb -mfloat-abi=hard -O2 -Wall -Wextra \
    -DSELFTEST_ITERS=$ITERS -I "$R/include" --specs=rdimon.specs -nostartfiles -T "$LD" \
    -Wl,--gc-sections -Wl,--no-warn-execstack -Wl,--no-warn-rwx-segments -Wl,--no-enum-size-warning \
    -o "$OUT/selftest_$cpu.elf" "$STARTUP" "$T/kernel_selftest.c" "$R/pack/tfk_pack.c" \
    "$@" -lm
  echo "== $BOARD cortex-$cpu"
  if ! qemu-system-arm -M $BOARD -cpu cortex-$cpu -nographic -monitor none -serial none \
      -semihosting-config enable=on,target=native -kernel "$OUT/selftest_$cpu.elf"; then
    echo "selftest FAILED on $BOARD"; rc=1
  fi
done
exit $rc
