//===- PlanMemory.cpp - one static arena for all INT8 activations ---------===//
//
// Buffers: every value an INT8 op defines, except aliases (reshapes: same
// bytes) and ops that write over an input dying there: elementwise ones
// (add, requantize, lut, layer_norm) in place, and linear layers over
// tokens by token overwriting (MCUFormer): the kernel reads each pair of
// tokens before writing their outputs, so the output may start where the
// input starts (N <= K) or end where it ends (N > K), and the two share
// max(T*K, T*N) bytes instead of T*(K + N). The function's input and its
// result live in the caller's buffers. Each kernel's scratch is a buffer
// alive during its op only. Placement is greedy by size (largest first,
// lowest non-overlapping offset), as TFLite Micro does; the lower bound
// printed beside it tells how far from optimal each plan is.
//
// Attention is tiled depth first (Jung et al.): an mhsa op's scratch holds
// the Q, K, V of `heads_per_step` heads and the scores of `rows_per_step`
// query rows of one head, never all S x S maps. The tile starts at all
// heads and rows (fastest) and shrinks, largest scratch first, until the
// arena fits `sram-budget` (without one: the arena of the smallest tiles). The arena an untiled schedule would need (all
// heads' Q, K, V and maps) is recorded beside it.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tinyformer/CostModel/CostModel.h"
#include "tinyformer/Kernels/KernelRegistry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Debug.h"

#include <functional>

namespace tinyformer {
#define GEN_PASS_DEF_PLANMEMORY
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

#define DEBUG_TYPE "sparse-tiny-plan-memory"

using namespace mlir;
using namespace mlir::sparse_tiny;
namespace attr = tinyformer::attr;

namespace {

constexpr int64_t kAlign = 8;
int64_t alignUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

struct Buffer {
  /// Extent relative to the buffer's origin: values sit at [delta, delta +
  /// bytes) with low <= delta; token overwriting may grow it downwards.
  int64_t low = 0, high = 0, first = 0, last = 0, offset = -1;
  enum Kind { Arena, Input, Output } kind = Arena;
  Operation *scratchOf = nullptr; ///< set for a kernel's scratch
  int64_t size() const { return high - low; }
};

struct Location {
  size_t buffer = 0;
  int64_t delta = 0;
};

struct Plan {
  std::vector<Buffer> buffers;
  llvm::DenseMap<Value, Location> where;
  int64_t arena = 0, lowerBound = 0;
};

struct PlanMemoryPass : tinyformer::impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;
  void runOnOperation() override;
};

/// The registry entry of the kernel chosen for `op` (null before selection).
const tinyformer::KernelInfo *kernelOf(Operation *op) {
  KernelAttr k = tinyformer::chosenKernel(op);
  return k ? &tinyformer::kernelInfo(k.getKind()) : nullptr;
}

bool isAlias(Operation *op) {
  KernelAttr k = tinyformer::chosenKernel(op);
  return k && k.getKind() == KernelKind::alias;
}

int64_t bytesOf(Value v) { return cast<ShapedType>(v.getType()).getNumElements(); }

/// Lifetimes and sharing, then greedy placement. `scratchOf` gives each
/// op's scratch bytes.
FailureOr<Plan> plan(func::FuncOp func,
                     function_ref<int64_t(Operation *)> scratchOf) {
  Block &body = func.getBody().front();
  Plan p;
  std::vector<Buffer> &buffers = p.buffers;
  // Schedule: program order of the ops that run (constants do not).
  llvm::DenseMap<Operation *, int64_t> step;
  int64_t steps = 0;
  for (Operation &op : body)
    if (!isa<ConstantOp>(op))
      step[&op] = steps++;
  // A value lives from its definition to its last use (a result nobody
  // reads still occupies its buffer while its op runs).
  auto lastUse = [&](Value v) {
    Operation *def = v.getDefiningOp();
    int64_t last = def ? step.lookup(def) : 0;
    for (Operation *user : v.getUsers())
      last = std::max(last, step.lookup(user));
    return last;
  };
  // Whether `v` (or an alias of it) is the function's result.
  std::function<bool(Value)> returned = [&](Value v) {
    return llvm::any_of(v.getUsers(), [&](Operation *u) {
      return isa<func::ReturnOp>(u) ||
             (isAlias(u) && returned(u->getResult(0)));
    });
  };
  for (BlockArgument arg : func.getArguments()) {
    Buffer b;
    b.kind = Buffer::Input;
    b.high = bytesOf(arg);
    b.last = lastUse(arg);
    p.where[arg] = {buffers.size(), 0};
    buffers.push_back(b);
  }
  for (Operation &opRef : body) {
    Operation *op = &opRef;
    if (isa<ConstantOp, func::ReturnOp>(op))
      continue;
    if (!tinyformer::chosenKernel(op))
      return op->emitOpError() << "has no kernel: run sparse-tiny-select-kernels "
                                  "before memory planning";
    Value out = op->getResult(0);
    int64_t s = step[op];
    const tinyformer::KernelInfo &kernel = *kernelOf(op);
    if (kernel.kind == KernelKind::alias) {
      Location at = p.where[op->getOperand(0)];
      p.where[out] = at;
      buffers[at.buffer].last = std::max(buffers[at.buffer].last, lastUse(out));
      continue;
    }
    // An input that dies here, in the arena, alone in its buffer's
    // lifetime: the output may overwrite it.
    auto dying = [&](Value operand) -> std::optional<Location> {
      auto it = p.where.find(operand);
      if (it == p.where.end())
        return std::nullopt;
      Buffer &b = buffers[it->second.buffer];
      if (b.kind != Buffer::Arena || b.last > s)
        return std::nullopt;
      // A returned result turns the buffer into the caller's output
      // buffer, which holds exactly the result.
      if (returned(out) && (b.size() != bytesOf(out) || it->second.delta != b.low))
        return std::nullopt;
      if (llvm::any_of(op->getOperands(), [&](Value o) {
            return o != operand && p.where.count(o) &&
                   p.where[o].buffer == it->second.buffer;
          }))
        return std::nullopt;
      return it->second;
    };
    std::optional<Location> at;
    if (kernel.inPlace) {
      for (Value operand : op->getOperands())
        if (bytesOf(operand) == bytesOf(out))
          if ((at = dying(operand)))
            break;
    } else if (kernel.overwritesTokens) {
      // Token overwriting.
      Value in = op->getOperand(0);
      int64_t k = cast<ShapedType>(op->getOperand(1).getType()).getDimSize(1);
      int64_t n = cast<ShapedType>(op->getOperand(1).getType()).getDimSize(0);
      int64_t tokens = bytesOf(in) / k;
      // (Not into the caller's output buffer: it holds T*N bytes only.)
      if (!returned(out) && (at = dying(in))) {
        at->delta += std::min<int64_t>(0, tokens * (k - n));
        Buffer &b = buffers[at->buffer];
        b.low = std::min(b.low, at->delta);
      }
    }
    if (!at) {
      at = Location{buffers.size(), 0};
      buffers.push_back(Buffer{});
      buffers[at->buffer].first = s;
    }
    Buffer &b = buffers[at->buffer];
    b.high = std::max(b.high, at->delta + bytesOf(out));
    b.last = std::max(b.last, lastUse(out));
    p.where[out] = *at;
    // Scratch, alive during this op only.
    if (int64_t scratch = scratchOf(op); scratch > 0) {
      Buffer sb;
      sb.high = scratch;
      sb.first = sb.last = s;
      sb.scratchOf = op;
      buffers.push_back(sb);
    }
  }
  // The function result lives in the caller's output buffer.
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (Value v : ret.getOperands()) {
    Location at = p.where[v];
    Buffer &b = buffers[at.buffer];
    if (b.kind == Buffer::Input)
      return func.emitError()
             << "returns (a reshape of) its input: nothing to compute";
    // The caller's buffer holds exactly the result.
    if (b.size() != bytesOf(v) || at.delta != b.low)
      return func.emitError() << "internal planning error: the result shares "
                                 "a buffer larger than itself";
    b.kind = Buffer::Output;
  }
  // Lower bound: the most bytes alive at one step.
  for (int64_t s = 0; s < steps; ++s) {
    int64_t live = 0;
    for (const Buffer &b : buffers)
      if (b.kind == Buffer::Arena && b.first <= s && s <= b.last)
        live += alignUp(b.size());
    p.lowerBound = std::max(p.lowerBound, live);
  }
  // Greedy placement, largest first.
  SmallVector<size_t> order;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].kind == Buffer::Arena)
      order.push_back(i);
  llvm::stable_sort(order, [&](size_t a, size_t b) {
    return buffers[a].size() > buffers[b].size();
  });
  SmallVector<size_t> placed;
  for (size_t id : order) {
    Buffer &b = buffers[id];
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (size_t other : placed) {
      const Buffer &o = buffers[other];
      if (o.first <= b.last && b.first <= o.last)
        busy.push_back({o.offset, o.offset + alignUp(o.size())});
    }
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [lo, hi] : busy) {
      if (offset + alignUp(b.size()) <= lo)
        break;
      offset = std::max(offset, hi);
    }
    b.offset = offset;
    p.arena = std::max(p.arena, offset + alignUp(b.size()));
    placed.push_back(id);
  }
  return p;
}

/// Divisors of n, largest first.
SmallVector<int64_t> divisorsDescending(int64_t n) {
  SmallVector<int64_t> d;
  for (int64_t i = n; i >= 1; --i)
    if (n % i == 0)
      d.push_back(i);
  return d;
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
  auto scratchOf = [](Operation *op) -> int64_t {
    KernelAttr kernel = tinyformer::chosenKernel(op);
    if (!kernel)
      return 0;
    return tinyformer::estimateCost(op, tinyformer::kernelInfo(kernel.getKind()),
                                    kernel.getStorage(),
                                    tinyformer::targetCpuOf(op))
        .scratchBytes;
  };

  // Attention tiles: all heads and rows first, then shrink the largest
  // scratch (rows first, then heads) until the arena fits the budget.
  SmallVector<MultiHeadAttentionOp> attention;
  func.walk([&](MultiHeadAttentionOp op) {
    tinyformer::AttentionShape a = tinyformer::attentionShape(op);
    op->setAttr(attr::kHeadsPerStep, builder.getI64IntegerAttr(a.heads));
    op->setAttr(attr::kRowsPerStep, builder.getI64IntegerAttr(a.tokens));
    attention.push_back(op);
  });
  FailureOr<Plan> p = plan(func, scratchOf);
  if (failed(p))
    return signalPassFailure();
  int64_t untiled = p->arena;
  if (!attention.empty()) {
    FailureOr<Plan> u = plan(func, [&](Operation *op) -> int64_t {
      if (isa<MultiHeadAttentionOp>(op))
        return tinyformer::attentionUntiledBytes(tinyformer::attentionShape(op));
      return scratchOf(op);
    });
    if (failed(u))
      return signalPassFailure();
    untiled = u->arena;
  }
  // Without a budget, tiles may only use memory the model needs anyway:
  // the arena with the smallest tiles.
  int64_t budget = sramBudget;
  if (budget <= 0 && !attention.empty()) {
    for (MultiHeadAttentionOp op : attention) {
      op->setAttr(attr::kHeadsPerStep, builder.getI64IntegerAttr(1));
      op->setAttr(attr::kRowsPerStep, builder.getI64IntegerAttr(1));
    }
    FailureOr<Plan> smallest = plan(func, scratchOf);
    if (failed(smallest))
      return signalPassFailure();
    budget = smallest->arena;
    for (MultiHeadAttentionOp op : attention) {
      tinyformer::AttentionShape a = tinyformer::attentionShape(op);
      op->setAttr(attr::kHeadsPerStep, builder.getI64IntegerAttr(a.heads));
      op->setAttr(attr::kRowsPerStep, builder.getI64IntegerAttr(a.tokens));
    }
  }
  while (budget > 0 && p->arena > budget) {
    // The mhsa with the most scratch that can still shrink.
    MultiHeadAttentionOp pick;
    int64_t most = -1;
    for (MultiHeadAttentionOp op : attention) {
      tinyformer::AttentionShape a = tinyformer::attentionShape(op);
      if (a.rowsPerStep == 1 && a.headsPerStep == 1)
        continue;
      int64_t bytes = tinyformer::attentionScratchBytes(a);
      if (bytes > most) {
        most = bytes;
        pick = op;
      }
    }
    if (!pick)
      break;
    tinyformer::AttentionShape a = tinyformer::attentionShape(pick);
    if (a.rowsPerStep > 1) {
      pick->setAttr(attr::kRowsPerStep,
                    builder.getI64IntegerAttr((a.rowsPerStep + 1) / 2));
    } else {
      int64_t next = 1;
      for (int64_t g : divisorsDescending(a.heads))
        if (g < a.headsPerStep) {
          next = g;
          break;
        }
      pick->setAttr(attr::kHeadsPerStep, builder.getI64IntegerAttr(next));
      // Rows grow back: the next smaller head group may afford them.
      pick->setAttr(attr::kRowsPerStep, builder.getI64IntegerAttr(a.tokens));
    }
    p = plan(func, scratchOf);
    if (failed(p))
      return signalPassFailure();
  }

  for (const Buffer &b : p->buffers) {
    if (b.scratchOf) {
      b.scratchOf->setAttr(attr::kScratchOffset,
                           builder.getI64IntegerAttr(b.offset));
      b.scratchOf->setAttr(attr::kScratchBytes,
                           builder.getI64IntegerAttr(b.size()));
    }
  }
  // Every value's location, aliases included.
  for (auto &[value, at] : p->where) {
    Operation *def = value.getDefiningOp();
    if (!def)
      continue;
    const Buffer &b = p->buffers[at.buffer];
    if (b.kind == Buffer::Arena)
      def->setAttr(attr::kOffset,
                   builder.getI64IntegerAttr(b.offset + at.delta - b.low));
    else
      def->setAttr(attr::kBuffer, builder.getStringAttr(
                                      b.kind == Buffer::Input ? "input" : "output"));
  }
  SmallVector<int64_t> map;
  for (const Buffer &b : p->buffers)
    if (b.kind == Buffer::Arena && b.size() > 0)
      map.append({b.offset, b.size(), b.first, b.last});
  module->setAttr(attr::kArenaMap, builder.getDenseI64ArrayAttr(map));
  module->setAttr(attr::kArenaSize, builder.getI64IntegerAttr(p->arena));
  module->setAttr(attr::kArenaLowerBound,
                  builder.getI64IntegerAttr(p->lowerBound));
  if (!attention.empty())
    module->setAttr(attr::kArenaUntiled, builder.getI64IntegerAttr(untiled));
  LLVM_DEBUG(llvm::dbgs() << "arena " << p->arena << " bytes (lower bound "
                          << p->lowerBound << "), " << map.size() / 4
                          << " buffers\n");
  arenaBytes = p->arena;
  lowerBoundBytes = p->lowerBound;
}

} // namespace
