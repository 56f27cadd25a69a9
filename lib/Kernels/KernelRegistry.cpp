//===- KernelRegistry.cpp - one entry per kernel --------------------------===//
//
// The table of every kernel. Rates are instructions per MAC (α, int8 / int16
// weights), per output (β) and per call (γ) on the emulated cortex-m4 and
// cortex-m7, fitted to emulator counts of the generated code
// (docs/performance.md, docs/sparsity.md: bench/fit_rates.py). Where the
// counts on the two CPUs are within 1% of each other (the same code,
// scheduled per CPU) the M7 rates are the M4 fit.
//
//===----------------------------------------------------------------------===//
#include "KernelFamilies.h"

#include "tinyformer/Transforms/Passes.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

namespace {
/// The same rates on both CPUs.
constexpr Rates both(double alpha8, double alpha16, double beta) {
  return Rates{alpha8, alpha16, beta};
}
} // namespace

static const KernelInfo kRegistry[] = {
    // kind, serves, {m4, m7} rates, sizes, output placement, lower
    {KernelKind::alias, servesAlias, {}, nullptr, OutputPlacement::alias, nullptr},
    // conv2d and fully_connected: fitted by bench/fit_rates.py, since
    // selection weighs them against the sparse kernels (docs/performance.md,
    // "Cost model"): conv2d on a, b and 16 random convs per CPU (median 8.0%
    // / 6.5%; im2col and the padded reduction are in sizesConv),
    // fully_connected on d, e and 24 random FC layers (median 2.5%).
    {KernelKind::conv2d, servesConv2D,
     {Rates{0.979, 0.710, 10.4, 512}, Rates{0.961, 0.693, 11.5, 474}}, sizesConv,
     OutputPlacement::overwritesRows, lowerConv2D},
    {KernelKind::depthwise_conv2d, servesDepthwise,
     {both(1.8, 1.8, 8), both(1.8, 1.8, 8)}, sizesConv, OutputPlacement::fresh,
     lowerDepthwise},
    {KernelKind::fully_connected, servesFullyConnected,
     {Rates{0.951, 0.739, 16.1, 832}, Rates{0.950, 0.744, 16.2, 874}},
     sizesFullyConnected, OutputPlacement::overwritesTokens, lowerFullyConnected},
    // Per output three exact rescales (bench/cost_corpus.py, fit_rates.py:
    // 29 per output and 30 per call on both CPUs).
    {KernelKind::add, servesAdd, {Rates{0, 0, 29, 30}, Rates{0, 0, 29, 30}}, nullptr,
     OutputPlacement::inPlace, lowerAdd},
    // The same with each input's rescale read from a table (2 KB of flash):
    // per output two loads of codes, two of the table, the sum's
    // requantization (one SMMULR) and the clamp (fitted to 20 random adds
    // per CPU: median 0.2%, p90 0.5%).
    {KernelKind::add_table, servesAdd, {Rates{0, 0, 10.52, 15}, Rates{0, 0, 10.52, 15}},
     sizesAddTable, OutputPlacement::inPlace, lowerAddTable},
    {KernelKind::requantize, servesRequantize, {both(0, 0, 8), both(0, 0, 8)},
     nullptr, OutputPlacement::inPlace, lowerRequantize},
    {KernelKind::max_pool, servesMaxPool, {both(2.0, 2.0, 8), both(2.0, 2.0, 8)},
     nullptr, OutputPlacement::fresh, lowerMaxPool},
    {KernelKind::avg_pool, servesAvgPool, {both(2.0, 2.0, 8), both(2.0, 2.0, 8)},
     sizesAvgPool, OutputPlacement::fresh, lowerAvgPool},
    {KernelKind::transpose, servesTranspose, {both(0, 0, 5), both(0, 0, 5)},
     nullptr, OutputPlacement::fresh, lowerTranspose},
    {KernelKind::relayout, servesRelayout, {both(0, 0, 5), both(0, 0, 5)},
     nullptr, OutputPlacement::fresh, lowerTranspose},
    // Fitted to 20 random softmaxes per CPU: median 2.5% / 3.1%.
    {KernelKind::softmax, servesSoftmax, {Rates{0, 0, 19.08, 0}, Rates{0, 0, 19.0, 0}},
     sizesSoftmax, OutputPlacement::fresh, lowerSoftmax},
    {KernelKind::batch_matmul, servesBatchMatmul,
     {both(1.05, 1.05, 4), both(1.05, 1.05, 4)}, sizesBatchMatmul, OutputPlacement::fresh,
     lowerBatchMatmul},
    // Per element: two sums (1.75), LDRSB MLA SMLAW SSAT STRB and a share of
    // the pair's LDM; 45 per token in sizesLayerNorm (fitted to 24 random
    // LayerNorms per CPU: median 2.9%, p90 5.4% / 6.2%).
    {KernelKind::layer_norm, servesLayerNorm, {Rates{0, 0, 7.48, 4}, Rates{0, 0, 7.46, 3}},
     sizesLayerNorm, OutputPlacement::inPlace, lowerLayerNorm},
    {KernelKind::lut, servesLut, {both(0, 0, 3.5), both(0, 0, 3.5)}, sizesLut,
     OutputPlacement::inPlace, lowerLut},
    // α per MAC with int8 / int16 weights, fitted with its overhead terms
    // (attentionOverhead) to model-sized attention blocks on both CPUs
    // (bench/attention_corpus.py).
    {KernelKind::mhsa, servesMhsa, {both(0.894, 0.763, 0), both(0.894, 0.763, 0)},
     sizesMhsa, OutputPlacement::fresh, lowerMhsa},
    {KernelKind::concat, servesConcat, {both(0, 0, 4.9), both(0, 0, 4.9)},
     sizesConcat, OutputPlacement::fresh, lowerConcat},
    {KernelKind::slice, servesSlice, {both(0, 0, 2), both(0, 0, 2)}, nullptr,
     OutputPlacement::fresh, lowerSlice},
    // The sparse kernels' rates are fitted per CPU by bench/fit_rates.py to
    // 300 random layers and the benchmark layers (docs/sparsity.md).
    // Nonzeros as code: α per MAC it performs (an SMLAL per pair of
    // positions), β per output; weights, loads, recovery, packing and the
    // batch-1 forms in sizes.
    {KernelKind::sparse_code, servesSparseCode,
     {Rates{0.73, 0.73, 2.2}, Rates{0.77, 0.77, 1.25}}, sizesSparseCode, OutputPlacement::fresh, lowerSparseCode},
    // A loop over a stream of 4 bytes per nonzero: α per MAC (the pairs'
    // loads and SMLALs), β per output (requantization with loaded
    // parameters); the loop and segments in sizes. (Fitted as above, then
    // α less one load per nonzero and pass of 4 pairs and β less the 6.1
    // per output that the recovery in the asm and the fast requantization
    // saved on benchmark layers a, b and e capped: now within -2% to +3%.)
    {KernelKind::sparse_csr, servesSparseCode,
     {Rates{0.675, 0.675, 9.5, 60}, Rates{0.735, 0.735, 9.4}}, sizesSparseCsr, OutputPlacement::fresh, lowerSparseCsr},
    // TinyFormer's run-length format (the baseline): α per entry and
    // position (decode, loads, multiply in C), β per output (the channel's
    // loop and the generic requantization); the im2col column in sizes.
    // Least squares on benchmark layers a, b, d, e at 90% on the M4
    // (within 4%).
    {KernelKind::sparse_rle, servesSparseCode,
     {both(7.5, 7.5, 53), both(7.5, 7.5, 53)}, sizesSparseRle, OutputPlacement::fresh,
     lowerSparseRle},
    // Attention with pruned projections as sparse code: α per MAC of the
    // attention and of the projections' nonzero pairs; the rest in sizes.
    {KernelKind::sparse_mhsa, servesSparseMhsa,
     {both(1.0, 1.0, 0), both(1.0, 1.0, 0)}, sizesSparseMhsa, OutputPlacement::fresh,
     lowerSparseMhsa},
    // The same with the projections as nonzero streams (little flash).
    {KernelKind::sparse_mhsa_csr, servesSparseMhsa,
     {both(1.0, 1.0, 0), both(1.0, 1.0, 0)}, sizesSparseMhsaCsr, OutputPlacement::fresh,
     lowerSparseMhsaCsr},
    // A product of two activations (a gate): per output its product and
    // requantization.
    {KernelKind::mul, servesMul, {both(0, 0, 12), both(0, 0, 12)}, nullptr, OutputPlacement::inPlace, lowerMul},
    // Nearest upsampling: a copy of C bytes per output pixel, then of each
    // output row sh - 1 more times (0.56-0.61 per output byte measured on
    // the M7 for 16 and 4 channels, x2).
    {KernelKind::resize_nearest, servesResizeNearest,
     {both(0, 0, 0.58), both(0, 0, 0.58)}, nullptr, OutputPlacement::fresh,
     lowerResizeNearest},
    // Pad (constant, reflect, edge): per output pixel its source and a copy
    // of its channels (or a fill).
    {KernelKind::pad, servesPad, {both(0, 0, 1.0), both(0, 0, 1.0)}, nullptr,
     OutputPlacement::fresh, lowerPad},
    // PReLU with a slope per channel: per element its branch and its
    // channel's requantization, prepared per element when channels are
    // innermost (29 per element measured on an 8x8x8 map, M7).
    {KernelKind::prelu, servesPRelu, {both(0, 0, 29), both(0, 0, 29)}, nullptr,
     OutputPlacement::inPlace, lowerPRelu},
    // Bilinear upsampling: per output pixel its taps, per output element
    // its taps' multiply-accumulates and the rounding (in sizes).
    {KernelKind::resize_bilinear, servesResizeBilinear, {both(0, 0, 0), both(0, 0, 0)},
     sizesResizeBilinear, OutputPlacement::fresh, lowerResizeBilinear},
    // A chain of reshapes and transposes folded into one copy between
    // stored orders (in sizes: per run of bytes, per byte when strided).
    {KernelKind::shuffle, servesShuffle, {both(0, 0, 0), both(0, 0, 0)},
     sizesShuffle, OutputPlacement::fresh, lowerShuffle},
    // Depth to space (a transposed convolution's phases, PixelShuffle): per
    // output pixel a copy or a gather (in sizes).
    {KernelKind::depth_to_space, servesDepthToSpace,
     {both(0, 0, 0), both(0, 0, 0)}, sizesDepthToSpace, OutputPlacement::fresh,
     lowerDepthToSpace},
};

ArrayRef<KernelInfo> kernelRegistry() { return kRegistry; }

void placeOutput(Operation *op, const KernelInfo &kernel, PlanOp &p) {
  p.placement = kernel.placement;
  auto elements = [](Value v) {
    return cast<ShapedType>(v.getType()).getNumElements();
  };
  if (p.placement == OutputPlacement::overwritesTokens) {
    auto weight = cast<ShapedType>(op->getOperand(1).getType());
    p.k = weight.getDimSize(1);
    p.n = weight.getDimSize(0);
    p.tokens = elements(op->getOperand(0)) / p.k;
  } else if (p.placement == OutputPlacement::overwritesRows) {
    // tfk_conv2d_s8 goes through output pixels in raster order (pairs, each
    // read before written) over NHWC rows; one image.
    auto conv = cast<Conv2DOp>(op);
    ArrayRef<int64_t> in = conv.getInput().getType().getShape(),
                      out = conv.getOutput().getType().getShape();
    if (in[0] != 1) {
      p.placement = OutputPlacement::fresh;
      return;
    }
    p.rows.pixels = out[2] * out[3];
    p.rows.outW = out[3];
    p.rows.pixelBytes = out[1];
    p.rows.inRowBytes = in[1] * in[3];
    p.rows.stride = conv.getStrides()[0];
    p.rows.padTop = conv.getPadding()[0];
  }
}

const KernelInfo &kernelInfo(KernelKind kind) {
  for (const KernelInfo &k : kRegistry)
    if (k.kind == kind)
      return k;
  llvm_unreachable("a KernelKind without a registry entry");
}

SmallVector<const KernelInfo *> kernelsFor(Operation *op) {
  SmallVector<const KernelInfo *> out;
  for (const KernelInfo &k : kRegistry)
    if (k.serves(op))
      out.push_back(&k);
  return out;
}

LayerCost estimateCost(Operation *op, const KernelInfo &kernel,
                       WeightStorage storage, TargetCpu cpu) {
  LayerCost cost;
  cost.macs = cost.kernelMacs = workOf(op);
  if (!kernel.lower)
    return cost;
  const Rates &r = kernel.rates[cpu == TargetCpu::cortex_m7 ? 1 : 0];
  double alpha = storage == WeightStorage::int16 ? r.alpha16 : r.alpha8;
  int64_t outputs = cast<ShapedType>(op->getResult(0).getType()).getNumElements();
  if (kernel.sizes)
    kernel.sizes(op, storage, cost);
  cost.sizedInstructions = cost.instructions;
  cost.instructions +=
      int64_t(alpha * double(cost.kernelMacs) + r.beta * outputs + r.gamma);
  return cost;
}

/// A sparse kernel that needs more flash than a dense one must estimate at
/// most this fraction of the dense instructions (the estimates' median error
/// is ~10%).
constexpr double kSparseSpeedMargin = 0.9;

SmallVector<KernelCandidate> kernelCandidates(Operation *op,
                                              const SelectionPolicy &policy) {
  SmallVector<KernelCandidate> candidates;
  for (const KernelInfo *k : kernelsFor(op)) {
    bool sparseKernel = KernelAttr::isSparse(k->kind);
    if (sparseKernel &&
        (policy.sparse == "off" ||
         (policy.sparseFormat != "auto" &&
          KernelAttr::sparseFormat(k->kind) != policy.sparseFormat)))
      continue;
    SmallVector<WeightStorage> storages = {WeightStorage::int8};
    if (k->hasWeights() && !sparseKernel) {
      if (policy.weightStorage == "int16")
        storages = {WeightStorage::int16};
      else if (policy.weightStorage == "auto")
        storages.push_back(WeightStorage::int16);
    }
    for (WeightStorage s : storages) {
      LayerCost c = estimateCost(op, *k, s, policy.cpu);
      // A sparse kernel whose packed input does not fit the SRAM limit
      // beside the op's own input and output is out (dense then).
      if (sparseKernel && policy.sramLimit > 0 &&
          c.scratchBytes + activationBytesOf(op) > policy.sramLimit)
        continue;
      candidates.push_back({k, s, c});
    }
  }
  // A sparse kernel larger than the smallest dense one is there for speed:
  // it must save a margin beyond the estimates' error (a weight with a few
  // zeros from rounding would otherwise trade kilobytes of code for
  // nothing).
  if (policy.sparse == "auto") {
    int64_t denseInstructions = INT64_MAX, denseFlash = INT64_MAX;
    for (const KernelCandidate &c : candidates)
      if (!KernelAttr::isSparse(c.kernel->kind)) {
        denseInstructions = std::min(denseInstructions, c.cost.instructions);
        denseFlash = std::min(denseFlash, c.cost.flashBytes);
      }
    llvm::erase_if(candidates, [&](const KernelCandidate &c) {
      return KernelAttr::isSparse(c.kernel->kind) &&
             c.cost.flashBytes > denseFlash &&
             double(c.cost.instructions) >
                 kSparseSpeedMargin * double(denseInstructions);
    });
  }
  // force: the sparse kernel wherever one serves (tests, benchmarks).
  if (policy.sparse == "force" &&
      llvm::any_of(candidates, [](const KernelCandidate &c) {
        return KernelAttr::isSparse(c.kernel->kind);
      }))
    llvm::erase_if(candidates, [](const KernelCandidate &c) {
      return !KernelAttr::isSparse(c.kernel->kind);
    });
  return candidates;
}

KernelAttr chosenKernel(Operation *op) {
  return op->getAttrOfType<KernelAttr>(attr::kKernel);
}

TargetCpu targetCpuOf(Operation *op) {
  auto module = isa<ModuleOp>(op) ? cast<ModuleOp>(op)
                                  : op->getParentOfType<ModuleOp>();
  if (module)
    if (auto cpu = module->getAttrOfType<TargetCpuAttr>(attr::kTargetCpu))
      return cpu.getValue();
  return TargetCpu::cortex_m4;
}

std::optional<TargetCpu> parseTargetCpu(StringRef name) {
  return llvm::StringSwitch<std::optional<TargetCpu>>(name)
      .Case("cortex-m4", TargetCpu::cortex_m4)
      .Case("cortex-m7", TargetCpu::cortex_m7)
      .Default(std::nullopt);
}

StringRef targetCpuName(TargetCpu cpu) {
  return cpu == TargetCpu::cortex_m7 ? "cortex-m7" : "cortex-m4";
}

} // namespace tinyformer
