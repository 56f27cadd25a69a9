//===- FoldShuffles.cpp - reshape / transpose chains as one shuffle -------===//
//
// Composes a chain of reshapes and transposes into one permutation of
// factors: each dim is split into the factors that the chain moves
// independently (a reshape that cuts a factor splits it in two), a
// transpose permutes dims, and at the end the factors, in the input's
// logical order, and their order in the output are the shuffle.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Kernels/KernelRegistry.h"
#include "tinyformer/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "sparse-tiny-fold-shuffles"

namespace tinyformer {
#define GEN_PASS_DEF_FOLDSHUFFLES
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace {

/// A tensor as a view of the chain's input: `factors` in the input's
/// logical order (ids index `sizes`), each current dim a run of factor ids.
/// Dims of 1 have no factor.
class FactorView {
public:
  explicit FactorView(ArrayRef<int64_t> shape) {
    for (auto [i, d] : llvm::enumerate(shape)) {
      dims.emplace_back();
      if (d > 1) {
        dims.back().push_back(int64_t(sizes.size()));
        order.push_back(int64_t(sizes.size()));
        sizes.push_back(d);
        inputDim.push_back(int64_t(i));
      }
    }
  }

  /// The same elements viewed as `shape`; fails when a new dim would cut a
  /// factor into parts that do not divide it.
  LogicalResult reshape(ArrayRef<int64_t> shape) {
    SmallVector<int64_t> flat;
    for (const SmallVector<int64_t> &d : dims)
      flat.append(d.begin(), d.end());
    // Factors of one input dim that are still next to each other, in order,
    // become one again: the new dims may cut it elsewhere.
    for (size_t i = 0; i + 1 < flat.size();) {
      int64_t a = flat[i], b = flat[i + 1];
      auto at = llvm::find(order, a);
      if (inputDim[a] != inputDim[b] || at + 1 == order.end() || *(at + 1) != b) {
        ++i;
        continue;
      }
      sizes[a] *= sizes[b];
      order.erase(at + 1);
      flat.erase(flat.begin() + i + 1);
    }
    std::vector<SmallVector<int64_t>> next;
    size_t at = 0;
    for (int64_t want : shape) {
      next.emplace_back();
      int64_t have = 1;
      while (have < want) {
        if (at >= flat.size())
          return failure();
        int64_t id = flat[at], size = sizes[id], need = want / have;
        if (want % have != 0)
          return failure();
        if (size > need) {
          // The dim ends inside this factor: split it (major part here).
          if (size % need != 0)
            return failure();
          int64_t minor = split(id, need, size / need);
          flat[at] = minor;
          next.back().push_back(id);
          have *= need;
          continue;
        }
        next.back().push_back(id);
        have *= size;
        ++at;
      }
      if (have != want)
        return failure();
    }
    if (at != flat.size())
      return failure();
    dims = std::move(next);
    return success();
  }

  void transpose(ArrayRef<int64_t> perm) {
    std::vector<SmallVector<int64_t>> next;
    for (int64_t p : perm)
      next.push_back(dims[p]);
    dims = std::move(next);
  }

  /// Factor sizes in the input's logical order.
  SmallVector<int64_t> factors() const {
    SmallVector<int64_t> f;
    for (int64_t id : order)
      f.push_back(sizes[id]);
    return f;
  }

  /// For each factor of the output, in order, its position in factors().
  SmallVector<int64_t> perm() const {
    SmallVector<int64_t> p;
    for (const SmallVector<int64_t> &d : dims)
      for (int64_t id : d)
        p.push_back(llvm::find(order, id) - order.begin());
    return p;
  }

private:
  /// Splits factor `id` into `major` (keeping the id) and a new `minor`
  /// factor right after it in the input's order; returns the new id.
  int64_t split(int64_t id, int64_t major, int64_t minor) {
    int64_t fresh = int64_t(sizes.size());
    sizes.push_back(minor);
    inputDim.push_back(inputDim[id]);
    sizes[id] = major;
    order.insert(llvm::find(order, id) + 1, fresh);
    for (SmallVector<int64_t> &d : dims)
      if (auto it = llvm::find(d, id); it != d.end()) {
        d.insert(it + 1, fresh);
        break;
      }
    return fresh;
  }

  /// Per factor id: its size and the input dim it splits.
  SmallVector<int64_t> sizes, inputDim;
  /// Factor ids in the input's logical order.
  SmallVector<int64_t> order;
  /// The current dims, each a run of factor ids.
  std::vector<SmallVector<int64_t>> dims;
};

bool isMover(Operation *op) { return isa_and_nonnull<ReshapeOp, TransposeOp>(op); }

struct FoldShufflesPass
    : tinyformer::impl::FoldShufflesBase<FoldShufflesPass> {
  void runOnOperation() override {
    // Chain ends: a mover whose result is not the one input of a next
    // mover.
    SmallVector<Operation *> tails;
    getOperation().walk([&](Operation *op) {
      if (!isMover(op))
        return;
      Value r = op->getResult(0);
      if (!r.hasOneUse() || !isMover(*r.getUsers().begin()))
        tails.push_back(op);
    });
    for (Operation *tail : tails)
      foldChain(tail);
  }

  void foldChain(Operation *tail) {
    SmallVector<Operation *> chain = {tail};
    while (true) {
      Operation *prev = chain.back()->getOperand(0).getDefiningOp();
      if (!isMover(prev) || !prev->hasOneUse())
        break;
      chain.push_back(prev);
    }
    std::reverse(chain.begin(), chain.end());
    if (llvm::all_of(chain, [](Operation *op) {
          return !tinyformer::kernelsFor(op).empty();
        }))
      return;
    Value input = chain.front()->getOperand(0);
    FactorView view(cast<ShapedType>(input.getType()).getShape());
    for (Operation *op : chain) {
      if (auto t = dyn_cast<TransposeOp>(op)) {
        view.transpose(t.getPerm());
      } else if (failed(view.reshape(
                     cast<ShapedType>(op->getResult(0).getType()).getShape()))) {
        return; // Not a permutation of factors (a reshape mixing two dims): left
                // as it is, with its "no kernel" error.
      }
    }
    OpBuilder b(tail);
    auto shuffle = b.create<ShuffleOp>(tail->getLoc(), tail->getResult(0).getType(),
                                       input, b.getDenseI64ArrayAttr(view.factors()),
                                       b.getDenseI64ArrayAttr(view.perm()));
    LLVM_DEBUG(llvm::dbgs() << chain.size() << " movers folded into " << shuffle
                            << "\n");
    tail->getResult(0).replaceAllUsesWith(shuffle.getResult());
    for (Operation *op : llvm::reverse(chain))
      op->erase();
    ++numShuffles;
  }
};

} // namespace
