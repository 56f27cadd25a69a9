//===- CostModel.cpp - what an INT8 layer costs on a Cortex-M -------------===//
#include "tinyformer/CostModel/CostModel.h"

#include "tfk/kernels.h"
#include "tfk/pack.h"
#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Quant/IntegerRules.h"
#include "tinyformer/Transforms/Passes.h"


using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

AttentionShape attentionShape(Operation *op) {
  auto m = cast<MultiHeadAttentionOp>(op);
  ArrayRef<int64_t> in = m.getInput().getType().getShape();
  AttentionShape a;
  a.tokens = in[in.size() - 2];
  a.embed = in.back();
  a.batch = m.getInput().getType().getNumElements() / (a.tokens * a.embed);
  a.heads = int64_t(m.getNumHeads());
  a.fusedQk = m.getFusedQk();
  if (Value bias = m.getScoreBias())
    a.biasHeads = cast<ShapedType>(bias.getType()).getDimSize(0);
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

int64_t activationBytesOf(Operation *op) {
  int64_t bytes = 0;
  for (Value v : op->getOperands())
    if (!v.getDefiningOp<ConstantOp>())
      bytes += cast<ShapedType>(v.getType()).getNumElements();
  for (Value v : op->getResults())
    bytes += cast<ShapedType>(v.getType()).getNumElements();
  return bytes;
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

} // namespace tinyformer
