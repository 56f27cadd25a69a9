//===- KernelChoice.h - the fastest kernels within a flash budget -*- C++ -*-===//
//
// Kernel selection on plain data: per layer its candidates' (instructions,
// flash); each layer starts at its smallest flash (fewest instructions
// among equals), then the upgrade that saves the most instructions per
// extra flash byte is taken while the budget allows. sparse-tiny-select-
// kernels and the cost library (tinyformer/CostApi.h) both choose with it.
// No MLIR or LLVM types here.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_COSTMODEL_KERNELCHOICE_H
#define TINYFORMER_COSTMODEL_KERNELCHOICE_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tinyformer {

struct KernelOption {
  int64_t instructions = 0, flashBytes = 0;
};

/// The index of each layer's choice in `chosen` and their flash in `flash`.
/// False when even the smallest choices exceed `flashBudget` (`chosen` and
/// `flash` are then those smallest ones). Every layer needs an option.
bool chooseUnderFlash(const std::vector<std::vector<KernelOption>> &layers,
                      int64_t flashBudget, std::vector<size_t> &chosen,
                      int64_t &flash);

} // namespace tinyformer

#endif // TINYFORMER_COSTMODEL_KERNELCHOICE_H
