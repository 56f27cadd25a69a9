//===- PlanMemory.cpp - one static arena for all INT8 activations ---------===//
//
// The planner (tinyformer/CostModel/ArenaPlan.h) on this function's
// schedule: every value an INT8 op defines gets a buffer, except aliases
// (reshapes: same bytes) and ops that write over an input dying there:
// elementwise ones (add, requantize, lut, layer_norm) in place, and linear
// layers over tokens by token overwriting (MCUFormer). Each kernel's
// scratch is a buffer alive during its op only. The results are the
// offsets of values and scratch, the arena and its lower bound.
//
// Attention is tiled depth first (Jung et al.): an mhsa op's scratch holds
// the Q, K, V of `heads_per_step` heads and the scores of `rows_per_step`
// query rows of one head, never all S x S maps. The tile starts at all
// heads and rows (fastest) and shrinks, largest scratch first, until the
// arena fits `sram-budget` (without one: the arena of the smallest
// tiles). The arena an untiled schedule would need (all heads' Q, K, V and
// maps) is recorded beside it.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tinyformer/CostModel/ArenaPlan.h"
#include "tinyformer/CostModel/CostModel.h"
#include "tinyformer/Kernels/KernelRegistry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Debug.h"

namespace tinyformer {
#define GEN_PASS_DEF_PLANMEMORY
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

#define DEBUG_TYPE "sparse-tiny-plan-memory"

using namespace mlir;
using namespace mlir::sparse_tiny;
namespace attr = tinyformer::attr;

namespace {

struct PlanMemoryPass : tinyformer::impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;
  void runOnOperation() override;
};

int64_t bytesOf(Value v) { return cast<ShapedType>(v.getType()).getNumElements(); }

/// The function's schedule as the planner reads it: its ops in program
/// order (constants do not run), each with its kernel's placement and
/// scratch; `values` numbers the activations.
FailureOr<tinyformer::PlanGraph>
planGraphOf(func::FuncOp func, SmallVectorImpl<Operation *> &ops,
            llvm::DenseMap<Value, int> &values) {
  tinyformer::PlanGraph g;
  for (BlockArgument arg : func.getArguments()) {
    values[arg] = int(g.inputBytes.size());
    g.inputBytes.push_back(bytesOf(arg));
  }
  Block &body = func.getBody().front();
  for (Operation &opRef : body) {
    Operation *op = &opRef;
    if (isa<ConstantOp>(op))
      continue;
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        g.results.push_back(values.lookup(v));
      continue;
    }
    KernelAttr kernel = tinyformer::chosenKernel(op);
    if (!kernel)
      return op->emitOpError() << "has no kernel: run sparse-tiny-select-kernels "
                                  "before memory planning";
    const tinyformer::KernelInfo &info = tinyformer::kernelInfo(kernel.getKind());
    tinyformer::PlanOp p;
    for (Value operand : op->getOperands())
      if (values.count(operand))
        p.operands.push_back(values.lookup(operand));
    p.resultBytes = bytesOf(op->getResult(0));
    tinyformer::placeOutput(op, info, p);
    // (An mhsa's scratch depends on its tile: set while tiling.)
    if (p.placement != tinyformer::OutputPlacement::alias &&
        !isa<MultiHeadAttentionOp>(op))
      p.scratchBytes = tinyformer::estimateCost(op, info, kernel.getStorage(),
                                                tinyformer::targetCpuOf(op))
                           .scratchBytes;
    values[op->getResult(0)] = g.valueOf(ops.size());
    ops.push_back(op);
    g.ops.push_back(std::move(p));
  }
  return g;
}

void PlanMemoryPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
  if (funcs.size() != 1) {
    module.emitError() << "memory planning expects one function";
    return signalPassFailure();
  }
  func::FuncOp func = funcs.front();
  Builder builder(&getContext());
  SmallVector<Operation *> ops;
  llvm::DenseMap<Value, int> values;
  FailureOr<tinyformer::PlanGraph> graph = planGraphOf(func, ops, values);
  if (failed(graph))
    return signalPassFailure();
  std::vector<tinyformer::AttentionTile> tiles;
  for (auto [i, op] : llvm::enumerate(ops))
    if (isa<MultiHeadAttentionOp>(op))
      tiles.push_back({i, tinyformer::attentionShape(op)});
  // An mhsa's scratch at a tile: its kernel's, with the tile on the op.
  auto scratchOf = [&](const tinyformer::AttentionTile &t) -> int64_t {
    Operation *op = ops[t.op];
    op->setAttr(attr::kHeadsPerStep, builder.getI64IntegerAttr(t.shape.headsPerStep));
    op->setAttr(attr::kRowsPerStep, builder.getI64IntegerAttr(t.shape.rowsPerStep));
    KernelAttr kernel = tinyformer::chosenKernel(op);
    return tinyformer::estimateCost(op, tinyformer::kernelInfo(kernel.getKind()),
                                    kernel.getStorage(), tinyformer::targetCpuOf(op))
        .scratchBytes;
  };
  tinyformer::ArenaPlan plan;
  int64_t untiled = 0;
  std::string error;
  if (!tinyformer::planArenaWithTiles(*graph, tiles, sramBudget, scratchOf, plan,
                                      &untiled, error)) {
    func.emitError() << error;
    return signalPassFailure();
  }

  for (const tinyformer::ArenaBuffer &b : plan.buffers) {
    if (b.scratchOf >= 0) {
      ops[b.scratchOf]->setAttr(attr::kScratchOffset,
                                builder.getI64IntegerAttr(b.offset));
      ops[b.scratchOf]->setAttr(attr::kScratchBytes,
                                builder.getI64IntegerAttr(b.size()));
    }
  }
  // Every value's location, aliases included.
  for (auto &[value, id] : values) {
    Operation *def = value.getDefiningOp();
    if (!def)
      continue;
    tinyformer::ValueLocation at = plan.where[id];
    const tinyformer::ArenaBuffer &b = plan.buffers[at.buffer];
    if (b.kind == tinyformer::ArenaBuffer::Arena)
      def->setAttr(attr::kOffset,
                   builder.getI64IntegerAttr(b.offset + at.delta - b.low));
    else
      def->setAttr(attr::kBuffer, builder.getStringAttr(
                                      b.kind == tinyformer::ArenaBuffer::Input
                                          ? "input"
                                          : "output"));
  }
  SmallVector<int64_t> map;
  for (const tinyformer::ArenaBuffer &b : plan.buffers)
    if (b.kind == tinyformer::ArenaBuffer::Arena && b.size() > 0)
      map.append({b.offset, b.size(), b.first, b.last});
  module->setAttr(attr::kArenaMap, builder.getDenseI64ArrayAttr(map));
  module->setAttr(attr::kArenaSize, builder.getI64IntegerAttr(plan.arena));
  module->setAttr(attr::kArenaLowerBound,
                  builder.getI64IntegerAttr(plan.lowerBound));
  if (!tiles.empty())
    module->setAttr(attr::kArenaUntiled, builder.getI64IntegerAttr(untiled));
  LLVM_DEBUG(llvm::dbgs() << "arena " << plan.arena << " bytes (lower bound "
                          << plan.lowerBound << "), " << map.size() / 4
                          << " buffers\n");
  arenaBytes = plan.arena;
  lowerBoundBytes = plan.lowerBound;
}

} // namespace
