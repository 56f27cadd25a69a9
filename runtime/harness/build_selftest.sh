#!/bin/sh
# Build count_selftest for both boards and run it. Usage: build_selftest.sh [outdir]
set -e
H=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-${TMPDIR:-/tmp}/tf_harness_selftest}
mkdir -p "$OUT"
COMMON="-mthumb -mfloat-abi=hard -O2 -g --specs=rdimon.specs -nostartfiles -T $H/mps2.ld -Wl,--gc-sections -Wl,--no-warn-execstack -Wl,--no-warn-rwx-segments -Wall -Wextra"
arm-none-eabi-gcc -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 $COMMON -o "$OUT/selftest_m4.elf" \
  "$H/startup.c" "$H/tf_count.s" "$H/tf_count.c" "$H/count_selftest.c"
arm-none-eabi-gcc -mcpu=cortex-m7 -mfpu=fpv5-d16 $COMMON -o "$OUT/selftest_m7.elf" \
  "$H/startup.c" "$H/tf_count.s" "$H/tf_count.c" "$H/count_selftest.c"
QEMU="qemu-system-arm -nographic -monitor none -serial none -semihosting-config enable=on,target=native -icount shift=0,align=off,sleep=off"
rc=0
echo "== mps2-an386 cortex-m4"; $QEMU -M mps2-an386 -cpu cortex-m4 -kernel "$OUT/selftest_m4.elf" || rc=1
echo "== mps2-an500 cortex-m7"; $QEMU -M mps2-an500 -cpu cortex-m7 -kernel "$OUT/selftest_m7.elf" || rc=1
exit $rc
