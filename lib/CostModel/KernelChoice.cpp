//===- KernelChoice.cpp - the fastest kernels within a flash budget -------===//
#include "tinyformer/CostModel/KernelChoice.h"

#include <algorithm>
#include <utility>

namespace tinyformer {

bool chooseUnderFlash(const std::vector<std::vector<KernelOption>> &layers,
                      int64_t flashBudget, std::vector<size_t> &chosen,
                      int64_t &flash) {
  chosen.assign(layers.size(), 0);
  flash = 0;
  // Start from the smallest flash (fewest instructions among equals).
  for (size_t l = 0; l < layers.size(); ++l) {
    const std::vector<KernelOption> &options = layers[l];
    chosen[l] = std::min_element(options.begin(), options.end(),
                                 [](const KernelOption &a, const KernelOption &b) {
                                   return std::make_pair(a.flashBytes, a.instructions) <
                                          std::make_pair(b.flashBytes, b.instructions);
                                 }) -
                options.begin();
    flash += options[chosen[l]].flashBytes;
  }
  if (flash > flashBudget)
    return false;
  while (true) {
    size_t bestLayer = layers.size(), best = 0;
    double bestRatio = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      const KernelOption &now = layers[l][chosen[l]];
      for (size_t i = 0; i < layers[l].size(); ++i) {
        const KernelOption &c = layers[l][i];
        int64_t saved = now.instructions - c.instructions;
        int64_t extra = c.flashBytes - now.flashBytes;
        if (saved <= 0 || flash + extra > flashBudget)
          continue;
        double ratio = extra <= 0 ? 1e18 + double(saved)
                                  : double(saved) / double(extra);
        if (ratio > bestRatio) {
          bestRatio = ratio;
          bestLayer = l;
          best = i;
        }
      }
    }
    if (bestLayer == layers.size())
      return true;
    flash += layers[bestLayer][best].flashBytes -
             layers[bestLayer][chosen[bestLayer]].flashBytes;
    chosen[bestLayer] = best;
  }
}

} // namespace tinyformer
