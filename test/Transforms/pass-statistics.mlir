// The passes' statistics, on the models of select-kernels.mlir (kernels and
// arena; see the numbers there and in plan-memory.mlir) and quantize.mlir.
// REQUIRES: pass-statistics
//
// Default budget: both weighted layers get int16; 550 + 128 + 0 + 46 + 48
// estimated instructions; arena 120, lower bound 112.
// RUN: tf-opt %S/select-kernels.mlir --sparse-tiny-select-kernels --sparse-tiny-plan-memory --mlir-pass-statistics -o /dev/null 2>&1 | FileCheck %s --check-prefix=PLAN
// PLAN-DAG: (S) {{ *}}2 int16-layers
// PLAN-DAG: (S) {{ *}}772 estimated-instructions
// PLAN-DAG: (S) {{ *}}120 arena-bytes
// PLAN-DAG: (S) {{ *}}112 lower-bound-bytes
//
// int8 only: 622 + 128 + 0 + 52 + 48.
// RUN: tf-opt %S/select-kernels.mlir --sparse-tiny-select-kernels=weight-storage=int8 --mlir-pass-statistics -o /dev/null 2>&1 | FileCheck %s --check-prefix=INT8
// INT8-DAG: (S) {{ *}}0 int16-layers
// INT8-DAG: (S) {{ *}}850 estimated-instructions
//
// Calibrating quantize.mlir's fully_connected + relu model: its input, the
// fc and the relu are calibrated; 2 ops quantized; nothing adopted.
// RUN: rm -rf %t && split-file %S/quantize.mlir %t
// RUN: %python -c "import numpy as np; np.save('%t/mm.npy', np.array([[0.0, 0.5, -0.25, 1.0], [0.75, -0.5, 0.25, 0.2], [-1.0, 1.5, 0.0, 0.0]], np.float32))"
// RUN: tf-opt %t/fc.mlir --sparse-tiny-quantize=calibration=%t/mm.npy --mlir-pass-statistics -o /dev/null 2>&1 | FileCheck %s --check-prefix=CALIB
// CALIB-DAG: (S) {{ *}}3 calibrated-values
// CALIB-DAG: (S) {{ *}}2 quantized-ops
// CALIB-DAG: (S) {{ *}}0 adopted-values
//
// The QDQ conv model: the input's and the conv's pairs are adopted; conv,
// max_pool and reshape quantized.
// RUN: tf-opt %t/qdq.mlir -split-input-file --sparse-tiny-quantize --mlir-pass-statistics -o /dev/null 2>&1 | FileCheck %s --check-prefix=QDQ
// QDQ-DAG: (S) {{ *}}0 calibrated-values
// QDQ-DAG: (S) {{ *}}3 quantized-ops
// QDQ-DAG: (S) {{ *}}2 adopted-values
