//===- LayerStats.cpp - per-layer size and work of a model ----------------===//
#include "tinyformer/Analysis/LayerStats.h"

#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

/// True if `v` is computed from constants only: a weight, possibly
/// dequantized, transposed or reshaped on the way.
static bool isConstantChain(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (isa<ConstantOp>(def))
    return true;
  if (isa<DequantizeOp, QuantizeOp, TransposeOp, ReshapeOp>(def))
    return isConstantChain(def->getOperand(0));
  return false;
}

static std::string layerName(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return "-";
}

static int64_t elementBytes(Type type) {
  Type elem = getElementTypeOrSelf(type);
  if (auto q = dyn_cast<quant::QuantizedType>(elem))
    return (q.getStorageTypeIntegralWidth() + 7) / 8;
  return (elem.getIntOrFloatBitWidth() + 7) / 8;
}

tinyformer::ModelStats tinyformer::collectModelStats(func::FuncOp func) {
  ModelStats stats;
  for (Operation &op : func.getBody().front()) {
    if (op.getNumResults() != 1 || !isa<SparseTinyDialect>(op.getDialect()) ||
        isConstantChain(op.getResult(0)))
      continue;
    LayerStats layer;
    layer.name = layerName(&op);
    layer.op = op.getName().stripDialect().str();
    auto type = cast<ShapedType>(op.getResult(0).getType());
    layer.outputShape.assign(type.getShape().begin(), type.getShape().end());
    layer.outputElements = type.getNumElements();
    layer.outputBytes = layer.outputElements * elementBytes(type);
    for (auto [i, operand] : llvm::enumerate(op.getOperands())) {
      if (!isConstantChain(operand))
        continue;
      int64_t n = cast<ShapedType>(operand.getType()).getNumElements();
      // Operand 2 of conv2d / fully_connected and the shift of layer_norm
      // are biases (int32 once quantized); the rest are weights.
      // mhsa: (weight, bias) pairs after the input.
      bool isBias = (isa<Conv2DOp, FullyConnectedOp>(op) && i == 2) ||
                    (isa<LayerNormOp>(op) && i == 2) ||
                    (isa<MultiHeadAttentionOp>(op) && i >= 2 && i % 2 == 0);
      (isBias ? layer.biases : layer.weights) += n;
    }
    layer.macs =
        TypeSwitch<Operation *, int64_t>(&op)
            .Case([&](Conv2DOp c) {
              ArrayRef<int64_t> w = c.getWeight().getType().getShape();
              return layer.outputElements * w[1] * w[2] * w[3];
            })
            .Case([&](FullyConnectedOp f) {
              return layer.outputElements *
                     f.getWeight().getType().getShape()[1];
            })
            .Case([&](MatMulOp m) {
              return layer.outputElements * m.getLhs().getType().getShape().back();
            })
            .Case([&](MultiHeadAttentionOp m) {
              return tinyformer::attentionMacs(m);
            })
            .Default([](Operation *) { return int64_t(0); });
    stats.params += layer.weights + layer.biases;
    stats.macs += layer.macs;
    stats.floatWeightBytes += 4 * (layer.weights + layer.biases);
    stats.int8WeightBytes += layer.weights + 4 * layer.biases;
    if (layer.outputBytes > stats.largestActivationBytes) {
      stats.largestActivationBytes = layer.outputBytes;
      stats.largestActivationLayer = layer.name;
    }
    stats.layers.push_back(std::move(layer));
  }
  return stats;
}
