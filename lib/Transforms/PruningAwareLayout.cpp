//===- PruningAwareLayout.cpp - zero structure of INT8 weights ------------===//
//
// Records on each conv2d / fully_connected weight constant which zeros it
// has, in the [rows, columns] view of the kernels (columns in OHWI order for
// convolutions), as a #sparse_tiny.encoding<...>. Runs after quantization:
// small weights that round to zero are zeros too.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#define DEBUG_TYPE "sparse-tiny-pruning-aware-layout"

namespace tinyformer {
#define GEN_PASS_DEF_PRUNINGAWARELAYOUT
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace {

/// A weight as the kernels see it: rows x cols, columns in OHWI order.
struct RowsView {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> values;
  int64_t at(int64_t r, int64_t c) const { return values[r * cols + c]; }
};

RowsView rowsView(ArrayRef<int64_t> shape, const std::vector<int64_t> &ints) {
  RowsView v;
  v.rows = shape[0];
  v.cols = v.rows ? int64_t(ints.size()) / v.rows : 0;
  v.values.resize(ints.size());
  if (shape.size() == 4) {
    int64_t ic = shape[1], kh = shape[2], kw = shape[3];
    for (int64_t o = 0; o < v.rows; ++o)
      for (int64_t c = 0; c < ic; ++c)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t x = 0; x < kw; ++x)
            v.values[o * v.cols + (y * kw + x) * ic + c] =
                ints[((o * ic + c) * kh + y) * kw + x];
  } else {
    v.values = ints;
  }
  return v;
}

/// Aligned bh x bw blocks with a nonzero, and whether all nonzeros are in
/// blocks that are at least 75% full.
bool denseBlocks(const RowsView &v, int64_t bh, int64_t bw, int64_t nnz) {
  if (v.rows % bh || v.cols % bw)
    return false;
  int64_t blocks = 0;
  for (int64_t r = 0; r < v.rows; r += bh)
    for (int64_t c = 0; c < v.cols; c += bw) {
      bool any = false;
      for (int64_t i = 0; i < bh && !any; ++i)
        for (int64_t j = 0; j < bw && !any; ++j)
          any = v.at(r + i, c + j) != 0;
      blocks += any;
    }
  return blocks * bh * bw * 3 <= nnz * 4;
}

/// Every aligned group of m columns of a row has at most n nonzeros.
bool holdsNm(const RowsView &v, int64_t n, int64_t m) {
  if (v.cols % m)
    return false;
  for (int64_t r = 0; r < v.rows; ++r)
    for (int64_t c = 0; c < v.cols; c += m) {
      int64_t count = 0;
      for (int64_t j = 0; j < m; ++j)
        count += v.at(r, c + j) != 0;
      if (count > n)
        return false;
    }
  return true;
}

struct PruningAwareLayoutPass
    : tinyformer::impl::PruningAwareLayoutBase<PruningAwareLayoutPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // The weights the kernels read: a conv's or linear layer's, and the
    // four projections of an attention block.
    SmallVector<Value> weights;
    getOperation().walk([&](Operation *op) {
      if (isa<Conv2DOp, FullyConnectedOp>(op))
        weights.push_back(op->getOperand(1));
      if (auto mhsa = dyn_cast<MultiHeadAttentionOp>(op))
        for (Value w : {mhsa.getQWeight(), mhsa.getKWeight(), mhsa.getVWeight(),
                        mhsa.getOWeight()})
          if (w)
            weights.push_back(w);
    });
    for (Value weight : weights) {
      auto cst = weight.getDefiningOp<ConstantOp>();
      auto type = cast<ShapedType>(weight.getType());
      // Only quantized weights: the integers the kernels store.
      if (!cst || !isa<quant::QuantizedType>(type.getElementType()) ||
          cst.getEncodingAttr())
        continue;
      std::optional<std::vector<int64_t>> ints = getConstantInts(cst);
      if (!ints || type.getRank() < 2)
        continue;
      RowsView v = rowsView(type.getShape(), *ints);
      int64_t nnz = llvm::count_if(v.values, [](int64_t x) { return x != 0; });
      int64_t emptyRows = 0, emptyCols = 0;
      for (int64_t r = 0; r < v.rows; ++r) {
        bool any = false;
        for (int64_t c = 0; c < v.cols && !any; ++c)
          any = v.at(r, c) != 0;
        emptyRows += !any;
      }
      for (int64_t c = 0; c < v.cols; ++c) {
        bool any = false;
        for (int64_t r = 0; r < v.rows && !any; ++r)
          any = v.at(r, c) != 0;
        emptyCols += !any;
      }
      SparsityPattern pattern = SparsityPattern::dense;
      SmallVector<int64_t> shape;
      if (nnz < int64_t(v.values.size())) {
        pattern = SparsityPattern::unstructured;
        ++numSparseWeights;
        numZeros += int64_t(v.values.size()) - nnz;
        // The most specific structure that holds.
        for (auto [bh, bw] : {std::pair<int64_t, int64_t>{4, 1}, {1, 4}})
          if (nnz > 0 && denseBlocks(v, bh, bw, nnz)) {
            pattern = SparsityPattern::block;
            shape = {bh, bw};
            break;
          }
        if (pattern == SparsityPattern::unstructured)
          for (int64_t n : {1, 2})
            if (holdsNm(v, n, 4)) {
              pattern = SparsityPattern::n_m;
              shape = {n, 4};
              break;
            }
      }
      cst.setEncodingAttr(WeightEncodingAttr::get(ctx, pattern, shape, nnz,
                                                  emptyRows, emptyCols));
    }
  }
};

} // namespace
