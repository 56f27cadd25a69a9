//===- npy-fuzzer.cpp - libFuzzer target for the .npy reader --------------===//
//
// Any bytes go to parseNpy as a .npy file (model inputs, calibration
// batches): an array or a one-line error, never a crash or an out-of-bounds
// read; a parsed array's values match its shape.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Support/Npy.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tinyformer::NpyArray array;
  std::string error;
  if (!tinyformer::parseNpy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.npy", array, error)) {
    if (error.empty()) // A failure always says why.
      abort();
    return 0;
  }
  size_t count = 1;
  for (int64_t d : array.shape)
    count *= size_t(d);
  if (array.values.size() != count)
    abort();
  return 0;
}
