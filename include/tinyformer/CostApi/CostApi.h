//===- CostApi.h - the compiler's cost model as a library -------*- C++ -*-===//
//
// What a candidate model costs on a Cortex-M, as `tinyformer cost` answers
// for it, without ONNX or MLIR on the caller's side: plain structs in,
// absl::StatusOr out. NAS drivers describe a candidate as a chain of layers;
// each distinct layer (its op, input shape, parameters, sparsity) is
// compiled once, alone, by the compiler's own pipeline (quantization, the
// zero structure of its weights, every kernel that serves it, priced by the
// kernel registry) and memoised; a candidate then costs a kernel choice
// under the flash budget and a memory plan by the compiler's planner, on
// plain data. This header needs no LLVM or MLIR headers.
//
// Weights are synthetic (tinyformer::cost::syntheticWeight; biases zero,
// LayerNorm's scale one and shift zero): what matters to the cost is their
// shape and zero structure, which the layer states.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_COSTAPI_COSTAPI_H
#define TINYFORMER_COSTAPI_COSTAPI_H

#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tinyformer::cost {

/// One layer; it reads the previous layer's output (the first layer the
/// model's input). Shapes are torch's: maps [1, C, H, W], token sequences
/// [1, T, E], vectors [1, K].
struct Layer {
  /// conv2d | depthwise_conv2d | linear | mhsa | layer_norm | gelu | add |
  /// global_avg_pool | max_pool | to_tokens | token_mean.
  ///  - conv2d: `channels` outputs, square `kernel`, `stride`, `padding`;
  ///  - depthwise_conv2d: as conv2d with one filter per input channel;
  ///  - linear: `channels` outputs over the last dim (a map is flattened
  ///    first, as torch's flatten(1) before nn.Linear);
  ///  - mhsa: self-attention of `heads` heads over [1, T, E] (with its Q,
  ///    K, V and output projections, E -> E);
  ///  - layer_norm: over the last dim; gelu: elementwise;
  ///  - add: the output of layer `residual_from` (-1: the model's input)
  ///    plus the previous output, as `x + f(x)`;
  ///  - global_avg_pool: [1, C, H, W] -> [1, C, 1, 1];
  ///  - max_pool: `kernel`, `stride`, `padding`;
  ///  - to_tokens: [1, C, H, W] -> [1, H*W, C] (flatten(2).transpose(1, 2));
  ///  - token_mean: [1, T, E] -> [1, E] (x.mean(1)).
  std::string op;
  int64_t channels = 0;
  int64_t kernel = 1, stride = 1, padding = 0;
  int64_t heads = 1;
  std::string activation = "none"; ///< conv / linear: none | relu | relu6
  int residualFrom = -1;
  /// Zero weights (conv, linear, the projections of mhsa): their fraction
  /// and pattern: unstructured | 4x1 (4 outputs x 1 input) | 1x4 | 2:4 | 1:4
  /// (N:M patterns fix the zeros: 2 or 3 of every 4 inputs; `sparsity` is
  /// then not read).
  double sparsity = 0;
  std::string pattern = "unstructured";
};

struct Options {
  std::string cpu = "cortex-m7";       ///< cortex-m4 | cortex-m7
  int64_t flashBudget = 1024 * 1024;   ///< bytes of weights and tables
  std::string sparse = "auto";         ///< auto | off | force
  int64_t sramBudget = 0;              ///< arena bytes (attention tiles); 0: none
};

struct LayerEstimate {
  std::string kernel;        ///< the registry's kernel chosen
  std::string storage;       ///< int8 | int16 weights
  int64_t instructions = 0;  ///< estimated executed instructions
  int64_t weightBytes = 0;   ///< flash of its weights and tables
  int64_t scratchBytes = 0;
  int64_t macs = 0;
};

struct Estimate {
  int64_t instructions = 0;
  int64_t weightBytes = 0;
  int64_t arenaBytes = 0;      ///< the planner's arena
  int64_t arenaLowerBound = 0; ///< most bytes alive at once
  int64_t macs = 0;
  /// Per kernel call, in order (a layer may run as several: a flatten
  /// before a linear layer, for instance).
  std::vector<LayerEstimate> layers;
};

/// Estimates candidates on one CPU, memoising each distinct layer. Not
/// thread-safe: use one per thread.
class CostModel {
public:
  explicit CostModel(Options options = Options());
  ~CostModel();
  CostModel(const CostModel &) = delete;
  CostModel &operator=(const CostModel &) = delete;

  /// The candidate `layers` on an input of `inputShape`; an error names the
  /// layer (its index and op) and what is wrong with it.
  absl::StatusOr<Estimate> estimate(const std::vector<int64_t> &inputShape,
                                    const std::vector<Layer> &layers);

  /// Distinct layers compiled so far.
  size_t memoisedLayers() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// The synthetic weight of `shape` ([O, K...], K the inputs of an output)
/// the library compiles: values of magnitude 0.02-0.1 (none rounds to zero
/// in INT8), zeros where `pattern` and `sparsity` put them, from `seed`.
/// Exported so that tests can build the same model in torch. An error for a
/// pattern or sparsity a Layer may not have, or a dim below 1.
absl::StatusOr<std::vector<float>> syntheticWeight(const std::vector<int64_t> &shape,
                                                   double sparsity,
                                                   const std::string &pattern,
                                                   uint64_t seed);

} // namespace tinyformer::cost

#endif // TINYFORMER_COSTAPI_COSTAPI_H
