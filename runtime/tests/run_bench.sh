#!/bin/sh
# Instruction counts of BENCHMARKS.md layers a-e (kernels specialised with
# constant arguments, clang-19 -O3), on mps2-an386 and mps2-an500 with
# -icount shift=0, counted with runtime/harness/tf_count (exact vernier), then
# the transformer kernels (batch matmul f, attention, layer norm, LUT).
# Env BENCH_CPUS="m4" (default "m4 m7") selects the boards.
set -e
T=$(cd "$(dirname "$0")" && pwd)
R=$(cd "$T/.." && pwd)
H="$R/harness"
OUT=${1:-${TMPDIR:-/tmp}/tfk_bench}
mkdir -p "$OUT"
for cpu in ${BENCH_CPUS:-m4 m7}; do
  if [ $cpu = m4 ]; then FPU=fpv4-sp-d16; BOARD=mps2-an386; else FPU=fpv5-d16; BOARD=mps2-an500; fi
  clang-19 --target=thumbv7em-none-eabihf -mcpu=cortex-$cpu -mfloat-abi=hard -mfpu=$FPU \
    -mthumb -O3 -ffreestanding -fno-builtin -fomit-frame-pointer $BENCH_CFLAGS -c "$T/kernel_bench_layers.c" \
    -I "$R/include" -I "$R/kernels" -o "$OUT/layers_$cpu.o"
  arm-none-eabi-gcc -mcpu=cortex-$cpu -mfpu=$FPU -mthumb -mfloat-abi=hard -O2 \
    -I "$R/include" -I "$H" --specs=rdimon.specs -nostartfiles -T "$H/mps2.ld" \
    -Wl,--gc-sections -Wl,--no-warn-execstack -Wl,--no-warn-rwx-segments -Wl,--no-enum-size-warning \
    -o "$OUT/bench_$cpu.elf" "$H/startup.c" "$H/tf_count.s" "$H/tf_count.c" \
    "$T/kernel_bench.c" "$R/pack/tfk_pack.c" "$OUT/layers_$cpu.o" -lm
  echo "== $BOARD cortex-$cpu"
  qemu-system-arm -M $BOARD -cpu cortex-$cpu -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -icount shift=0,align=off,sleep=off \
    -kernel "$OUT/bench_$cpu.elf"
done
