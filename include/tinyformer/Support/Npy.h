//===- Npy.h - NumPy .npy files for model inputs and outputs ---*- C++ -*-===//
#ifndef TINYFORMER_SUPPORT_NPY_H
#define TINYFORMER_SUPPORT_NPY_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace tinyformer {

/// An array read from or written to a .npy file: C order, little endian.
struct NpyArray {
  /// NumPy's dtype string: "<f4", "<f8", "|i1", "|u1", "<i8", ...
  std::string dtype;
  llvm::SmallVector<int64_t> shape;
  /// The values converted to float (exact for the 8-bit types).
  std::vector<float> values;
};

/// Reads `path`; on failure returns false and sets `error` to one line.
bool readNpy(llvm::StringRef path, NpyArray &array, std::string &error);

/// Parses the bytes of a .npy file (`path` names it in errors).
bool parseNpy(llvm::StringRef bytes, llvm::StringRef path, NpyArray &array,
              std::string &error);

/// Model inputs and calibration data must be finite: false, with `error`
/// naming `what` and the first bad sample (of `sampleSize` values), if any
/// value of `array` is NaN or infinite.
bool checkFinite(const NpyArray &array, int64_t sampleSize,
                 llvm::StringRef what, std::string &error);

/// Writes float32 `values` of `shape` as a version 1.0 .npy file.
bool writeNpy(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
              llvm::ArrayRef<float> values, std::string &error);

/// Writes int8 `values` of `shape` ('|i1').
bool writeNpyInt8(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
                  llvm::ArrayRef<int8_t> values, std::string &error);

/// Writes raw little-endian `data` as dtype `dtype` ("<f4", "|i1", ...).
bool writeNpyBytes(llvm::StringRef path, llvm::StringRef dtype,
                   llvm::ArrayRef<int64_t> shape, llvm::StringRef data,
                   std::string &error);

} // namespace tinyformer

#endif // TINYFORMER_SUPPORT_NPY_H
