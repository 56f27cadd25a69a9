//===- CostModel.cpp - what an INT8 layer costs on a Cortex-M -------------===//
#include "tinyformer/CostModel/CostModel.h"

#include "tfk/kernels.h"
#include "tfk/pack.h"
#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Quant/IntegerRules.h"
#include "tinyformer/Transforms/Passes.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

StringRef denseKernelFor(Operation *op) {
  return llvm::TypeSwitch<Operation *, StringRef>(op)
      .Case([](Conv2DOp c) -> StringRef {
        int64_t in = shapeOf(c.getInput())[1], out = shapeOf(c.getOutput())[1];
        if (c.getGroups() == 1)
          return "conv2d";
        if (int64_t(c.getGroups()) == in && in == out)
          return "depthwise_conv2d";
        return "";
      })
      .Case([](FullyConnectedOp) { return "fully_connected"; })
      .Case([](AddOp) { return "add"; })
      .Case<QuantizeOp, ReluOp, ClipOp>([](auto) { return "requantize"; })
      .Case([](MaxPool2DOp) { return "max_pool"; })
      .Case<AvgPool2DOp, GlobalAvgPool2DOp>([](auto) { return "avg_pool"; })
      .Case([](TransposeOp t) -> StringRef {
        if (isTokenFlatten(t))
          return "alias";
        return storedInLogicalOrder(t.getInput().getType()) &&
                       storedInLogicalOrder(t.getOutput().getType()) &&
                       t.getInput().getType().getRank() <= 4
                   ? "transpose"
                   : "";
      })
      .Case([](SoftmaxOp s) -> StringRef {
        return storedInLogicalOrder(s.getInput().getType()) ? "softmax" : "";
      })
      .Case([](ReshapeOp r) -> StringRef {
        switch (classifyReshape(r)) {
        case ReshapeKind::Alias:
        case ReshapeKind::AliasPermutedFeatures:
        case ReshapeKind::AliasTokens:
          return "alias";
        case ReshapeKind::Relayout:
          return "relayout";
        case ReshapeKind::Unsupported:
          return "";
        }
        return "";
      })
      .Case<MulOp, DivOp>([](Operation *op) -> StringRef {
        return constantScaleOf(op) ? "requantize" : "";
      })
      .Case([](MatMulOp m) -> StringRef {
        // The kernel reads row-major matrices: not NHWC 4-D tensors.
        auto ok = [](ShapedType t) {
          return t.getRank() <= 4 && storedInLogicalOrder(t);
        };
        return ok(m.getLhs().getType()) && ok(m.getRhs().getType()) &&
                       ok(m.getOutput().getType())
                   ? "batch_matmul"
                   : "";
      })
      .Case([](LayerNormOp l) -> StringRef {
        return int64_t(l.getAxis()) == l.getInput().getType().getRank() - 1 &&
                       storedInLogicalOrder(l.getInput().getType())
                   ? "layer_norm"
                   : "";
      })
      .Case([](MultiHeadAttentionOp) { return "mhsa"; })
      .Case([](ConcatOp c) -> StringRef {
        return storedInLogicalOrder(c.getOutput().getType()) ? "concat" : "";
      })
      .Case([](SliceOp s) -> StringRef {
        return storedInLogicalOrder(s.getInput().getType()) ? "slice" : "";
      })
      .Case([](MeanOp m) -> StringRef {
        // The mean over the tokens of [1, S, C] or [S, C]: an average pool.
        ArrayRef<int64_t> s = m.getInput().getType().getShape();
        int64_t rank = int64_t(s.size());
        bool tokens = (rank == 2 || (rank == 3 && s[0] == 1)) &&
                      m.getAxes().size() == 1 && m.getAxes()[0] == rank - 2;
        return tokens ? "avg_pool" : "";
      })
      .Default([](Operation *op) -> StringRef {
        return hasLutForm(op) ? "lut" : "";
      });
}

AttentionShape attentionShape(Operation *op) {
  auto m = cast<MultiHeadAttentionOp>(op);
  ArrayRef<int64_t> in = m.getInput().getType().getShape();
  AttentionShape a;
  a.tokens = in[in.size() - 2];
  a.embed = in.back();
  a.heads = int64_t(m.getNumHeads());
  a.fusedQk = m.getFusedQk();
  a.headsPerStep = a.heads;
  a.rowsPerStep = a.tokens;
  if (auto g = op->getAttrOfType<IntegerAttr>(attr::kHeadsPerStep))
    a.headsPerStep = g.getInt();
  if (auto r = op->getAttrOfType<IntegerAttr>(attr::kRowsPerStep))
    a.rowsPerStep = r.getInt();
  return a;
}

int64_t attentionScratchBytes(const AttentionShape &a) {
  return int64_t(tfk_mhsa_scratch_bytes(
      int32_t(a.tokens), int32_t(a.embed), int32_t(a.heads),
      int32_t(a.headsPerStep), int32_t(a.rowsPerStep), a.fusedQk, TFK_W_INT8));
}

int64_t attentionUntiledBytes(const AttentionShape &a) {
  // Q, K and V of every head and all H attention maps at once (the
  // softmax in place), as a layer-by-layer schedule would hold them.
  int64_t qCols = a.fusedQk ? a.heads * a.embed : a.embed;
  int64_t kCols = a.fusedQk ? 0 : a.embed;
  return a.tokens * (qCols + kCols + a.embed) + a.heads * a.tokens * a.tokens;
}

int64_t workOf(Operation *op) {
  int64_t outputs = cast<ShapedType>(op->getResult(0).getType()).getNumElements();
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    ArrayRef<int64_t> w = shapeOf(conv.getWeight());
    return outputs * w[1] * w[2] * w[3];
  }
  if (auto fc = dyn_cast<FullyConnectedOp>(op))
    return outputs * shapeOf(fc.getWeight())[1];
  if (auto pool = dyn_cast<MaxPool2DOp>(op))
    return outputs * pool.getKernel()[0] * pool.getKernel()[1];
  if (auto pool = dyn_cast<AvgPool2DOp>(op))
    return outputs * pool.getKernel()[0] * pool.getKernel()[1];
  if (isa<GlobalAvgPool2DOp, MeanOp>(op))
    return cast<ShapedType>(op->getOperand(0).getType()).getNumElements();
  if (auto m = dyn_cast<MatMulOp>(op))
    return outputs * m.getLhs().getType().getShape().back();
  if (auto m = dyn_cast<MultiHeadAttentionOp>(op))
    return attentionMacs(m);
  return outputs;
}

// Instructions per MAC (α) and per output (β), int8 / int16 weights; fitted
// to emulator counts of the generated kernels (docs/performance.md).
struct Coefficients {
  double alpha8, alpha16, beta;
};
static Coefficients coefficientsFor(StringRef kernel) {
  if (kernel == "conv2d")
    return {1.05, 0.80, 10};
  if (kernel == "depthwise_conv2d")
    return {1.8, 1.8, 8};
  if (kernel == "fully_connected")
    return {0.95, 0.70, 10};
  if (kernel == "add")
    return {0, 0, 14};
  if (kernel == "requantize")
    return {0, 0, 8};
  if (kernel == "max_pool" || kernel == "avg_pool")
    return {2.0, 2.0, 8};
  if (kernel == "transpose" || kernel == "relayout")
    return {0, 0, 5};
  if (kernel == "softmax")
    return {0, 0, 16};
  if (kernel == "batch_matmul")
    return {1.05, 1.05, 4};
  if (kernel == "layer_norm")
    return {0, 0, 21};
  if (kernel == "lut")
    return {0, 0, 3.5};
  if (kernel == "concat" || kernel == "slice")
    return {0, 0, 2};
  if (kernel == "mhsa")
    return {1.1, 0.95, 0};
  return {0, 0, 0};
}

LayerCost estimateCost(Operation *op, StringRef kernel, bool int16Weights) {
  LayerCost cost;
  cost.macs = workOf(op);
  if (kernel == "alias" || kernel.empty())
    return cost;
  int64_t outputs =
      cast<ShapedType>(op->getResult(0).getType()).getNumElements();
  Coefficients k = coefficientsFor(kernel);
  double alpha = int16Weights ? k.alpha16 : k.alpha8;
  cost.instructions = int64_t(alpha * double(cost.macs) + k.beta * outputs);
  int32_t variant = int16Weights ? TFK_W_INT16 : TFK_W_INT8;
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    ArrayRef<int64_t> in = shapeOf(conv.getInput()), out = shapeOf(conv.getOutput()),
                      w = shapeOf(conv.getWeight());
    // Weights + per-channel multiplier and shift.
    if (kernel == "conv2d") {
      cost.flashBytes = int64_t(tfk_conv2d_packed_bytes(
          int32_t(w[1]), int32_t(w[0]), int32_t(w[2]), int32_t(w[3]), variant));
      cost.scratchBytes = int64_t(tfk_conv2d_scratch_bytes(
          int32_t(in[2]), int32_t(in[3]), int32_t(in[1]), int32_t(out[2]),
          int32_t(out[3]), int32_t(out[1]), int32_t(w[2]), int32_t(w[3]),
          variant));
    } else {
      cost.flashBytes = int64_t(tfk_depthwise_conv2d_packed_bytes(
          int32_t(w[0]), int32_t(w[2]), int32_t(w[3]), variant));
      cost.scratchBytes = int64_t(tfk_depthwise_conv2d_scratch_bytes(
          int32_t(in[2]), int32_t(in[3]), int32_t(in[1]), int32_t(out[2]),
          int32_t(out[3]), int32_t(w[2]), int32_t(w[3]), variant));
    }
    cost.flashBytes += 8 * w[0];
  } else if (auto fc = dyn_cast<FullyConnectedOp>(op)) {
    ArrayRef<int64_t> w = shapeOf(fc.getWeight());
    int64_t tokens = cast<ShapedType>(fc.getInput().getType()).getNumElements() / w[1];
    cost.flashBytes = int64_t(tfk_fully_connected_packed_bytes(
                          int32_t(w[1]), int32_t(w[0]), variant)) +
                      8 * w[0];
    cost.scratchBytes = int64_t(tfk_fully_connected_scratch_bytes(
        int32_t(tokens), int32_t(w[1]), int32_t(w[0]), variant));
  } else if (kernel == "mhsa") {
    AttentionShape a = attentionShape(op);
    // Softmax and score requantization per score, on top of the MACs.
    cost.instructions += 15 * a.heads * a.tokens * a.tokens;
    cost.flashBytes = int64_t(tfk_mhsa_packed_bytes(
                          int32_t(a.embed), int32_t(a.heads),
                          int32_t(a.headsPerStep), a.fusedQk, variant)) +
                      8 * (a.heads * (a.fusedQk ? a.embed : a.embed / a.heads) +
                           (a.fusedQk ? 0 : a.embed) + 2 * a.embed) +
                      256 * 4;
    cost.scratchBytes = attentionScratchBytes(a);
  } else if (auto m = dyn_cast<MatMulOp>(op)) {
    ArrayRef<int64_t> l = m.getLhs().getType().getShape(),
                      r = m.getRhs().getType().getShape();
    cost.scratchBytes = int64_t(tfk_batch_matmul_scratch_bytes(
        int32_t(l[l.size() - 2]), int32_t(l.back()), int32_t(r.back())));
  } else if (kernel == "layer_norm") {
    cost.flashBytes = 12 * cast<ShapedType>(op->getOperand(0).getType()).getShape().back() + 8;
  } else if (kernel == "lut") {
    cost.flashBytes = 256;
  } else if (kernel == "softmax") {
    cost.flashBytes = 256 * 4;
  } else if (kernel == "avg_pool") {
    cost.flashBytes = 8 * (cost.macs / std::max<int64_t>(outputs, 1) + 1);
  }
  return cost;
}

} // namespace tinyformer
