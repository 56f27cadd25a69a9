//===- PlanMemory.cpp - one static arena for all INT8 activations ---------===//
//
// Buffers: every value an INT8 op defines, except reshapes (an alias of
// their input: same bytes, NHWC or not, see the lowering) and ops that
// write over an input dying there (elementwise: add, requantize). The
// function's input and its result live in the caller's buffers. Each
// kernel's scratch is a buffer alive during its op only. Placement is
// greedy by size (largest first, lowest non-overlapping offset), as TFLite
// Micro does, which is optimal often enough; the lower bound printed beside
// it tells how far from optimal each plan is.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tinyformer/CostModel/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

namespace tinyformer {
#define GEN_PASS_DEF_PLANMEMORY
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;
namespace attr = tinyformer::attr;

namespace {

constexpr int64_t kAlign = 8;
int64_t alignUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

struct Buffer {
  int64_t size = 0, first = 0, last = 0, offset = -1;
  enum Kind { Arena, Input, Output } kind = Arena;
  Operation *scratchOf = nullptr;    ///< set for a kernel's scratch
};

struct PlanMemoryPass : tinyformer::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override;
};

bool isElementwiseInPlace(Operation *op) {
  StringAttr k = op->getAttrOfType<StringAttr>(attr::kKernel);
  return k && (k.getValue() == "add" || k.getValue() == "requantize");
}

void PlanMemoryPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
  if (funcs.size() != 1) {
    module.emitError() << "memory planning expects one function";
    return signalPassFailure();
  }
  func::FuncOp func = funcs.front();
  Block &body = func.getBody().front();

  // Schedule: program order of the ops that run (constants do not).
  llvm::DenseMap<Operation *, int64_t> step;
  int64_t steps = 0;
  for (Operation &op : body)
    if (!isa<ConstantOp>(op))
      step[&op] = steps++;

  std::vector<Buffer> buffers;
  llvm::DenseMap<Value, size_t> bufferOf;
  auto bytesOf = [](Value v) {
    return cast<ShapedType>(v.getType()).getNumElements();
  };
  // A value lives from its definition to its last use (a result nobody
  // reads still occupies its buffer while its op runs).
  auto lastUse = [&](Value v) {
    Operation *def = v.getDefiningOp();
    int64_t last = def ? step.lookup(def) : 0;
    for (Operation *user : v.getUsers())
      last = std::max(last, step.lookup(user));
    return last;
  };
  for (BlockArgument arg : func.getArguments()) {
    Buffer b;
    b.kind = Buffer::Input;
    b.size = bytesOf(arg);
    b.last = lastUse(arg);
    bufferOf[arg] = buffers.size();
    buffers.push_back(b);
  }
  for (Operation &opRef : body) {
    Operation *op = &opRef;
    if (isa<ConstantOp, func::ReturnOp>(op))
      continue;
    if (!op->hasAttr(attr::kKernel)) {
      op->emitOpError() << "has no kernel: run sparse-tiny-select-kernels "
                           "before memory planning";
      return signalPassFailure();
    }
    Value out = op->getResult(0);
    int64_t s = step[op];
    if (op->getAttrOfType<StringAttr>(attr::kKernel).getValue() == "alias") {
      size_t id = bufferOf[op->getOperand(0)];
      bufferOf[out] = id;
      buffers[id].last = std::max(buffers[id].last, lastUse(out));
      continue;
    }
    // In place: an elementwise op over an arena operand that dies here.
    std::optional<size_t> reuse;
    if (isElementwiseInPlace(op))
      for (Value operand : op->getOperands()) {
        auto it = bufferOf.find(operand);
        if (it == bufferOf.end())
          continue;
        Buffer &b = buffers[it->second];
        if (b.kind == Buffer::Arena && b.last <= s && b.size == bytesOf(out) &&
            llvm::all_of(op->getOperands(), [&](Value o) {
              return o == operand || bufferOf.lookup(o) != it->second;
            })) {
          reuse = it->second;
          break;
        }
      }
    size_t id;
    if (reuse) {
      id = *reuse;
    } else {
      id = buffers.size();
      buffers.push_back(Buffer{});
      buffers[id].size = bytesOf(out);
      buffers[id].first = s;
    }
    bufferOf[out] = id;
    buffers[id].last = std::max(buffers[id].last, lastUse(out));
    // Scratch, alive during this op only.
    StringRef kernel = op->getAttrOfType<StringAttr>(attr::kKernel).getValue();
    auto format = op->getAttrOfType<StringAttr>(attr::kWeightFormat);
    int64_t scratch =
        tinyformer::estimateCost(op, kernel, format && format.getValue() == "int16")
            .scratchBytes;
    if (scratch > 0) {
      Buffer sb;
      sb.size = scratch;
      sb.first = sb.last = s;
      sb.scratchOf = op;
      buffers.push_back(sb);
    }
  }
  // The function result lives in the caller's output buffer.
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (Value v : ret.getOperands()) {
    Buffer &b = buffers[bufferOf[v]];
    if (b.kind == Buffer::Input) {
      func.emitError() << "returns (a reshape of) its input: nothing to compute";
      return signalPassFailure();
    }
    b.kind = Buffer::Output;
  }

  // Lower bound: the most bytes alive at one step.
  int64_t lowerBound = 0;
  for (int64_t s = 0; s < steps; ++s) {
    int64_t live = 0;
    for (const Buffer &b : buffers)
      if (b.kind == Buffer::Arena && b.first <= s && s <= b.last)
        live += alignUp(b.size);
    lowerBound = std::max(lowerBound, live);
  }
  // Greedy placement, largest first.
  SmallVector<size_t> order;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].kind == Buffer::Arena)
      order.push_back(i);
  llvm::stable_sort(order, [&](size_t a, size_t b) {
    return buffers[a].size > buffers[b].size;
  });
  SmallVector<size_t> placed;
  int64_t arena = 0;
  for (size_t id : order) {
    Buffer &b = buffers[id];
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (size_t other : placed) {
      const Buffer &o = buffers[other];
      if (o.first <= b.last && b.first <= o.last)
        busy.push_back({o.offset, o.offset + alignUp(o.size)});
    }
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [lo, hi] : busy) {
      if (offset + alignUp(b.size) <= lo)
        break;
      offset = std::max(offset, hi);
    }
    b.offset = offset;
    arena = std::max(arena, offset + alignUp(b.size));
    placed.push_back(id);
  }

  Builder builder(&getContext());
  for (const Buffer &b : buffers) {
    if (b.scratchOf) {
      b.scratchOf->setAttr(attr::kScratchOffset,
                           builder.getI64IntegerAttr(b.offset));
      b.scratchOf->setAttr(attr::kScratchBytes,
                           builder.getI64IntegerAttr(b.size));
    }
  }
  // Every value's location, aliases included.
  for (auto &[value, id] : bufferOf) {
    Operation *def = value.getDefiningOp();
    if (!def)
      continue;
    const Buffer &b = buffers[id];
    if (b.kind == Buffer::Arena)
      def->setAttr(attr::kOffset, builder.getI64IntegerAttr(b.offset));
    else
      def->setAttr(attr::kBuffer, builder.getStringAttr(
                                      b.kind == Buffer::Input ? "input" : "output"));
  }
  module->setAttr(attr::kArenaSize, builder.getI64IntegerAttr(arena));
  module->setAttr(attr::kArenaLowerBound, builder.getI64IntegerAttr(lowerBound));
  arenaBytes = arena;
  lowerBoundBytes = lowerBound;
}

} // namespace
