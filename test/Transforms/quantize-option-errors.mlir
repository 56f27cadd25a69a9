// Errors from --sparse-tiny-quantize's options and calibration file, on a
// float model that needs calibration (its input and relu have no QDQ pair).
// RUN: %python -c "import numpy as np; np.save('%t.npy', np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)); open('%t.junk.npy', 'w').write('not an npy file')"
//
// RUN: not tf-opt %s --sparse-tiny-quantize 2>&1 | FileCheck %s --check-prefix=NODATA
// NODATA: error: needs calibration data: 2 values have no scale from QDQ pairs (the first is the function input); give a calibration batch (calibration=BATCH.npy)
//
// RUN: not tf-opt %s --sparse-tiny-quantize="calibration=%t.npy method=kl" 2>&1 | FileCheck %s --check-prefix=METHOD
// METHOD: error: unknown calibration method 'kl' (minmax | percentile)
//
// RUN: not tf-opt %s --sparse-tiny-quantize="calibration=%t.npy method=percentile percentile=50" 2>&1 | FileCheck %s --check-prefix=PCT50
// PCT50: error: percentile must be in (50, 100], got 5.000000e+01
// RUN: not tf-opt %s --sparse-tiny-quantize="calibration=%t.npy method=percentile percentile=100.5" 2>&1 | FileCheck %s --check-prefix=PCT100
// PCT100: error: percentile must be in (50, 100], got 1.005000e+02
//
// RUN: not tf-opt %s --sparse-tiny-quantize=calibration=%t.missing.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: calibration data: cannot read '{{.*}}.missing.npy'
//
// RUN: not tf-opt %s --sparse-tiny-quantize=calibration=%t.junk.npy 2>&1 | FileCheck %s --check-prefix=JUNK
// JUNK: error: calibration data:
//
// A failed run writes no output file.
// RUN: rm -f %t.out.mlir
// RUN: not tf-opt %s --sparse-tiny-quantize -o %t.out.mlir
// RUN: test ! -e %t.out.mlir
//
// The same file quantizes with its data (and percentile=100 is allowed).
// RUN: tf-opt %s --sparse-tiny-quantize="calibration=%t.npy method=percentile percentile=100" | FileCheck %s --check-prefix=OK
// Range [-1, 1]: scale 2 / 255, zero point round(-128 + 127.5) = -1 (half away from zero); the relu: [0, 1] -> 1 / 255, -128.
// OK: func.func @needs_calibration(%{{[^:]*}}: tensor<1x4x!quant.uniform<i8:f32, 0.0078431372549019{{[0-9]*}}:-1>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.0039215686274509{{[0-9]*}}:-128>>

func.func @needs_calibration(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = sparse_tiny.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
