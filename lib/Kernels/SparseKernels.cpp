//===- SparseKernels.cpp - sparse conv / linear layers, per layer --------===//
//
// Two kernels compute a conv2d (groups 1) or a fully_connected whose constant
// weight has zeros, with code generated for this layer only:
// - `sparse_code`: every nonzero weight is an immediate and every input
//   offset a constant, so no index is read and no zero is multiplied;
// - `sparse_csr`: one loop over a stream of 4-byte words (offset, weight)
//   per nonzero, for layers whose code would not fit the flash.
// Both also serve other kernels (sparse_mhsa's projections) through the
// SparseProduct they emit.
//
// Positions (output pixels, or tokens of a linear layer seen as a 1 x T
// image) are taken two at a time: the input is first packed in pairs
// (tfk_sparse_pack_pairs_s8: b * 2^23 + a, zero points subtracted, padding
// as zeros), so that one SMLAL by a weight accumulates both positions into
// one 64-bit sum w*a + w*b*2^23. A row's nonzeros are split into segments
// with 255 * sum|w| < 2^22, which keeps the low sum exact in 23 bits, and
// both sums are recovered after each segment. A pass computes up to 4 pairs
// (8 positions) whose words for one tap are consecutive (Geometry): in
// sparse_code a nonzero is its weight's immediate, one LDRD per two pairs
// and an SMLAL per pair (0.875 instructions per position); per layer the
// pack, then one function per chunk of output channels (bounded code per
// function), each looping over output rows and passes, ending in the dense
// kernels' requantization.
//
//===----------------------------------------------------------------------===//
#include "KernelFamilies.h"

#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Kernels/LayerEmitter.h"

#include "llvm/ADT/BitVector.h"

#include <array>
#include <cmath>
#include <map>
#include <set>

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

namespace {

/// Most pairs one pass computes (sparse_code: 8 accumulator registers).
constexpr int64_t kMaxPairsPerPass = 4;
/// Nonzeros per chunk function (bounds the size of one function).
constexpr int64_t kNonzerosPerChunk = 1536;
/// 255 * sum|w| of one segment stays below 2^22.
constexpr int64_t kSegmentAbsSum = ((int64_t(1) << 22) - 1) / 255;

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

/// The layer as a convolution over an NHWC input (a linear layer over T
/// tokens is a 1x1 convolution over a 1 x T image), and how its positions
/// are paired.
///
/// A pass computes 2D consecutive positions of an output row, pair p being
/// positions p and p + D (D = pairs()); the last pass of a row ends at the
/// row's end and may overlap the one before it (recomputing the same
/// values), so no pass has a phantom position unless the row has one
/// position only. The packed input is [row][block][channel][phase][word]:
/// word i of phase ph of block k holds padded columns (x0 + i) * sw + ph and
/// that plus D * sw, so the D pairs of a pass that read one tap are D
/// consecutive words (one LDRD per two pairs). A layer whose taps share no
/// columns (1x1, or stride >= kernel width) has a block per pass (x0 its
/// first position: a pass's words are close together, within the loads'
/// reach); others one block of a whole row (x0 = 0: taps share words).
struct Geometry {
  int64_t inH, inW, c, outH, outW, outC, kh, kw, sh, sw, padT, padL;

  /// Instructions per nonzero and pass of sparse_code with D pairs: the
  /// weight's immediate, a load per two pairs, an SMLAL per pair.
  static int64_t passWork(int64_t d) { return 1 + (d + 1) / 2 + d; }
  /// D: the fewest instructions over a row (passes * work per pass).
  int64_t pairs() const {
    int64_t best = 1;
    for (int64_t d = 2; d <= std::min(kMaxPairsPerPass, outW / 2); ++d)
      if (passesWith(d) * passWork(d) <= passesWith(best) * passWork(best))
        best = d;
    return best;
  }
  int64_t passesWith(int64_t d) const { return (outW + 2 * d - 1) / (2 * d); }
  /// Passes per output row.
  int64_t passes() const { return passesWith(pairs()); }
  /// A row of one position: every pass's last pair lacks its second.
  bool single() const { return outW == 1; }
  /// First position of pass j (the last pass ends at the row's end).
  int64_t passStart(int64_t j) const {
    return single() ? 0 : std::min(2 * pairs() * j, outW - 2 * pairs());
  }
  /// A block of packed words per pass (taps share no columns).
  bool blockPerPass() const { return (kw - 1) / sw == 0; }
  int64_t blocks() const { return blockPerPass() ? passes() : 1; }
  int64_t phases() const { return std::min(sw, kw); }
  /// Words per phase of a block: its passes' first positions at every tap.
  int64_t words() const {
    return blockPerPass() ? pairs()
                          : passStart(passes() - 1) + pairs() + (kw - 1) / sw;
  }
  int64_t blockWords() const { return c * phases() * words(); }
  int64_t rowWords() const { return blocks() * blockWords(); }
  int64_t packedH() const { return (outH - 1) * sh + kh; }
  int64_t packedWords() const { return packedH() * rowWords(); }
  int64_t packedBytes() const { return packedWords() * 4; }
  /// Byte offset of tap (y, x) of channel ch from a pass's first word.
  int64_t tapOffset(int64_t y, int64_t x, int64_t ch) const {
    return (y * rowWords() + (ch * phases() + x % sw) * words() + x / sw) * 4;
  }
};

std::optional<Geometry> geometryOf(Operation *op) {
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    if (conv.getGroups() != 1 ||
        llvm::any_of(conv.getDilations(), [](int64_t d) { return d != 1; }))
      return std::nullopt;
    ArrayRef<int64_t> in = shapeOf(conv.getInput()), out = shapeOf(conv.getOutput()),
                      w = shapeOf(conv.getWeight());
    ArrayRef<int64_t> s = conv.getStrides(), p = conv.getPadding();
    return Geometry{in[2], in[3], in[1], out[2], out[3], out[1],
                    w[2],  w[3],  s[0],  s[1],  p[0],   p[1]};
  }
  if (auto fc = dyn_cast<FullyConnectedOp>(op)) {
    if (!storedInLogicalOrder(fc.getInput().getType()) ||
        !storedInLogicalOrder(fc.getOutput().getType()))
      return std::nullopt;
    ArrayRef<int64_t> w = shapeOf(fc.getWeight());
    int64_t tokens = fc.getInput().getType().getNumElements() / w[1];
    return Geometry{1, tokens, w[1], 1, tokens, w[0], 1, 1, 1, 1, 0, 0};
  }
  return std::nullopt;
}

/// One nonzero of a row: its byte offset in the packed input (relative to
/// a pass's first word), its value, and its column in the kernels' [rows,
/// columns] view of the weight (OHWI order).
struct Nonzero {
  int64_t offset;
  int32_t weight;
  int64_t column;
};

/// Each row's nonzeros in packed-input order, from an int8 weight: OIHW for
/// a convolution, else [N][K] with its columns read in `order` (the feature
/// order of an NHWC flatten; empty: as stored).
std::vector<std::vector<Nonzero>> nonzerosOf(const ConvRules &r,
                                             const Geometry &g, bool conv,
                                             ArrayRef<int64_t> order) {
  std::vector<std::vector<Nonzero>> rows(g.outC);
  int64_t k = g.kh * g.kw * g.c;
  for (int64_t n = 0; n < g.outC; ++n) {
    for (int64_t y = 0; y < g.kh; ++y)
      for (int64_t x = 0; x < g.kw; ++x)
        for (int64_t c = 0; c < g.c; ++c) {
          int32_t w;
          if (conv)
            w = r.weight[((n * g.c + c) * g.kh + y) * g.kw + x];
          else
            w = r.weight[n * k + (order.empty() ? c : order[c])];
          if (w != 0)
            rows[n].push_back({g.tapOffset(y, x, c), w, (y * g.kw + x) * g.c + c});
        }
    llvm::sort(rows[n], [](const Nonzero &a, const Nonzero &b) {
      return a.offset < b.offset;
    });
  }
  return rows;
}

/// How many of `nz`'s first nonzeros form one segment: 255 * sum|w| < 2^22,
/// so that the low position's sum is exact in 23 bits.
size_t segmentLength(ArrayRef<Nonzero> nz) {
  size_t len = 0;
  int64_t abs = 0;
  while (len < nz.size() && abs + std::abs(nz[len].weight) <= kSegmentAbsSum)
    abs += std::abs(nz[len++].weight);
  return len;
}

/// lo:hi = A + B * 2^23 with |A| < 2^22: A is the low 23 bits of lo,
/// signed; lo:hi >> 23 is B, less 1 when A < 0. Returns (A, B): four
/// instructions (SBFX; LSR and ORR with a shifted operand; SUB of A >> 31).
std::pair<Value, Value> recoverPair(OpBuilder &b, Location loc, Value lo,
                                    Value hi) {
  Type i32 = b.getI32Type();
  auto c = [&](int32_t v) {
    return b.create<LLVM::ConstantOp>(loc, i32, b.getI32IntegerAttr(v));
  };
  Value a = b.create<LLVM::AShrOp>(loc, b.create<LLVM::ShlOp>(loc, lo, c(9)), c(9));
  Value shifted = b.create<LLVM::OrOp>(loc, b.create<LLVM::LShrOp>(loc, lo, c(23)),
                                       b.create<LLVM::ShlOp>(loc, hi, c(9)));
  Value bb = b.create<LLVM::SubOp>(loc, shifted, b.create<LLVM::AShrOp>(loc, a, c(31)));
  return {a, bb};
}

/// Packs input `in` in pairs into `packed`.
void emitPackPairs(LayerEmitter &e, Value in, Value packed, const ConvRules &r,
                   const Geometry &g) {
  SmallVector<Value> args = {in, packed};
  int64_t blockStep = g.blockPerPass() ? 2 * g.pairs() : 0;
  for (int64_t v : {g.inH, g.inW, g.c, g.padT, g.padL, g.packedH(), g.blocks(),
                    blockStep, g.passStart(g.passes() - 1), g.phases(),
                    g.words(), g.sw, g.pairs(), int64_t(r.inZp)})
    args.push_back(e.i32(v));
  e.call("tfk_sparse_pack_pairs_s8", args);
}

/// A one-position layer (a batch-1 linear layer) has no second position to
/// pair with; rows share the input instead:
/// - halfwordGroups: the input extended once to int16 (SXTB16, two per
///   word), rows six at a time with 32-bit sums: per block of 8 inputs any
///   of them reads one LDM, per nonzero one SMLA<x><y> by its weight
///   (halfwords, four per LDRD) (emitHalfwordGroups);
/// - rowGroups (weights in blocks of rows, e.g. 4x1): rows in pairs, one
///   input load per column of a group of 8 rows and one SMLAL per pair of
///   rows by both weights packed in a word (emitRowGroups): a column that
///   all rows of a pair read costs one SMLAL for two nonzeros.
enum class OnePositionForm { pairs, halfwordGroups, rowGroups };

/// Rows sharing an input load in rowGroups (4 pairs: 8 accumulator
/// registers).
constexpr int64_t kRowsPerGroup = 8;
/// halfwordGroups' registers: 6 sums (r0-r5), a block of 8 int16 inputs
/// (r6-r9), 4 weights (r10, r11), the input (r12) and the weights' stream
/// (lr).
constexpr int64_t kHalfwordGroupRows = 6;
constexpr int64_t kHalfwordBlockInputs = 8;

/// The one-position form a layer may take before costs decide: `pairs`
/// (not a batch-1 linear layer), rowGroups (weights in blocks of rows), or
/// halfwordGroups (the cheaper of it and rowGroups, by onePositionFormOf).
OnePositionForm onePositionCandidate(Operation *op, const Geometry &g) {
  if (!isa<FullyConnectedOp>(op) || g.outH * g.outW != 1)
    return OnePositionForm::pairs;
  auto cst = op->getOperand(1).getDefiningOp<ConstantOp>();
  WeightEncodingAttr enc = cst ? cst.getEncodingAttr() : WeightEncodingAttr();
  // (Rows in blocks of 4: 9,813 instructions against 11,810 on FC 256->256
  // at 90%; in blocks of 4 columns halfwordGroups beats both.)
  if (enc && enc.getPattern() == SparsityPattern::block &&
      enc.getBlockShape()[0] > 1 && enc.getBlockShape()[1] == 1)
    return OnePositionForm::rowGroups;
  return OnePositionForm::halfwordGroups;
}

/// Rows computed together by a one-position form, and how many inputs one
/// load of it brings.
int64_t rowsPerGroup(OnePositionForm form) {
  return form == OnePositionForm::halfwordGroups ? kHalfwordGroupRows
                                                 : kRowsPerGroup;
}
int64_t inputsPerLoad(OnePositionForm form) {
  return form == OnePositionForm::halfwordGroups ? kHalfwordBlockInputs : 1;
}

/// Bytes of the int16 input of halfwordGroups: whole blocks of 8.
int64_t halfwordPackedBytes(int64_t k) {
  return (k + kHalfwordBlockInputs - 1) / kHalfwordBlockInputs *
         kHalfwordBlockInputs * 2;
}

/// Nonzero count of the op's weight.
int64_t nonzeroCount(Operation *op) { return weightNonzeros(op->getOperand(1)); }

/// Rows [firstRow, endRow) in the order a one-position form groups them:
/// greedily those that share the most input loads, and in each group
/// (rowGroups) pairs that share the most, unless the stored order needs
/// fewer loads (rows in blocks); the outputs keep their places.
std::vector<int64_t> rowGroupOrder(ArrayRef<std::vector<Nonzero>> rows,
                                   int64_t k, OnePositionForm form,
                                   int64_t firstRow, int64_t endRow) {
  int64_t groupSize = rowsPerGroup(form), perLoad = inputsPerLoad(form);
  bool pairs = form == OnePositionForm::rowGroups;
  std::vector<int64_t> order;
  for (int64_t n = firstRow; n < endRow; ++n)
    order.push_back(n);
  // Per row the input loads it needs (columns, or blocks of columns).
  std::vector<llvm::BitVector> used;
  for (int64_t n = firstRow; n < endRow; ++n) {
    used.emplace_back((k + perLoad - 1) / perLoad);
    for (const Nonzero &z : rows[n])
      used.back().set(z.column / perLoad);
  }
  auto shared = [](const llvm::BitVector &a, const llvm::BitVector &b) {
    llvm::BitVector both = a;
    both &= b;
    return both.count();
  };
  std::vector<int64_t> grouped;
  std::vector<bool> taken(order.size(), false);
  for (size_t seed = 0; seed < order.size(); ++seed) {
    if (taken[seed])
      continue;
    // A group: the seed, then each time the row sharing most with it.
    SmallVector<size_t, kRowsPerGroup> group = {seed};
    taken[seed] = true;
    llvm::BitVector columns = used[seed];
    while (int64_t(group.size()) < groupSize) {
      size_t best = order.size();
      unsigned bestShared = 0;
      for (size_t j = seed + 1; j < order.size(); ++j)
        if (!taken[j] && (best == order.size() || shared(columns, used[j]) > bestShared)) {
          best = j;
          bestShared = shared(columns, used[j]);
        }
      if (best == order.size())
        break;
      taken[best] = true;
      group.push_back(best);
      columns |= used[best];
    }
    // Pairs within the group (rowGroups): each row with the one sharing
    // most with it.
    for (size_t i = 0; i < group.size(); i += 2) {
      size_t best = i + 1;
      for (size_t j = i + 2; j < group.size() && pairs; ++j)
        if (shared(used[group[i]], used[group[j]]) >
            shared(used[group[i]], used[group[best]]))
          best = j;
      if (best < group.size())
        std::swap(group[i + 1], group[best]);
      grouped.push_back(firstRow + int64_t(group[i]));
      if (i + 1 < group.size())
        grouped.push_back(firstRow + int64_t(group[i + 1]));
    }
  }
  // Loads of an order: per group its columns and (rowGroups) per pair its
  // columns.
  auto loads = [&](ArrayRef<int64_t> rowsInOrder) {
    size_t total = 0;
    for (size_t q = 0; q < rowsInOrder.size(); q += groupSize) {
      llvm::BitVector columns(used.front().size());
      for (size_t i = q; i < std::min(rowsInOrder.size(), q + groupSize); i += 2) {
        llvm::BitVector pair = used[rowsInOrder[i] - firstRow];
        if (i + 1 < rowsInOrder.size())
          pair |= used[rowsInOrder[i + 1] - firstRow];
        total += pairs ? pair.count() : 0;
        columns |= pair;
      }
      total += columns.count();
    }
    return total;
  };
  // (Rows in blocks are best grouped as stored.)
  return loads(grouped) < loads(order) ? grouped : order;
}

/// The rows of each chunk function of sparse_code ([first, end) pairs):
/// about kNonzerosPerChunk nonzeros each, whole groups of a one-position
/// form.
SmallVector<std::pair<int64_t, int64_t>>
chunksOf(ArrayRef<std::vector<Nonzero>> rows, OnePositionForm form) {
  SmallVector<std::pair<int64_t, int64_t>> chunks;
  int64_t first = 0, count = 0, n = int64_t(rows.size());
  for (int64_t i = 0; i < n; ++i) {
    count += int64_t(rows[i].size()) + 8;
    // Row groups stay aligned to the weight's blocks of rows.
    bool groupEnds = form == OnePositionForm::pairs ||
                     (i + 1) % rowsPerGroup(form) == 0;
    if ((count >= kNonzerosPerChunk && groupEnds) || i + 1 == n) {
      chunks.push_back({first, i + 1});
      first = i + 1;
      count = 0;
    }
  }
  return chunks;
}

/// What halfwordGroups' assembly does on a layer's nonzeros (the emitter's
/// own chunks and groups): per group an LDM of its biases, per block of 8
/// inputs that it reads an LDM (and an ADDW or MOVW/ADD when it skips
/// blocks before), per nonzero an SMLA, per four an LDRD.
struct HalfwordWork {
  int64_t groups = 0, loads = 0, skips = 0, nonzeros = 0, weightLoads = 0;
};
HalfwordWork halfwordWorkOf(ArrayRef<std::vector<Nonzero>> rows, int64_t k) {
  HalfwordWork work;
  OnePositionForm form = OnePositionForm::halfwordGroups;
  for (auto [first, end] : chunksOf(rows, form)) {
    std::vector<int64_t> order = rowGroupOrder(rows, k, form, first, end);
    for (size_t q = 0; q < order.size(); q += kHalfwordGroupRows) {
      std::set<int64_t> blocks;
      int64_t nnz = 0;
      for (size_t i = q; i < std::min(order.size(), q + kHalfwordGroupRows); ++i) {
        for (const Nonzero &z : rows[order[i]])
          blocks.insert(z.column / kHalfwordBlockInputs);
        nnz += int64_t(rows[order[i]].size());
      }
      int64_t at = 0;
      for (int64_t block : blocks) {
        work.skips += block != at;
        at = block + 1;
      }
      ++work.groups;
      work.loads += int64_t(blocks.size());
      work.nonzeros += nnz;
      work.weightLoads += (nnz + 3) / 4;
    }
  }
  return work;
}

/// A sparse matrix product to emit: its rules (bias, requantization, zero
/// points), geometry and nonzeros, and `tag`, which keeps the names of its
/// symbols apart from other products of the same layer.
struct SparseProduct {
  const ConvRules &r;
  Geometry g;
  std::vector<std::vector<Nonzero>> rows;
  std::string tag;
  /// How a one-position layer (a batch-1 linear layer) in blocks is
  /// computed instead of position pairs.
  OnePositionForm form = OnePositionForm::pairs;
};

/// What both sparse emitters hold: the layer being built, the product, and
/// the builder's helpers.
class SparseEmitterBase {
public:
  SparseEmitterBase(LayerEmitter &e, const SparseProduct &p)
      : e(e), b(e.builder()), loc(e.location()), r(p.r), g(p.g), rows(p.rows),
        tag(p.tag) {}

protected:
  Value i32(int64_t v) { return e.i32(v); }
  Type ptrTy() { return LLVM::LLVMPointerType::get(b.getContext()); }
  Value gep(Value base, Value bytes) {
    return b.create<LLVM::GEPOp>(loc, ptrTy(), b.getI8Type(), base,
                                 ArrayRef<LLVM::GEPArg>{bytes});
  }
  Value gep(Value base, int64_t bytes) {
    if (bytes == 0)
      return base;
    return b.create<LLVM::GEPOp>(loc, ptrTy(), b.getI8Type(), base,
                                 ArrayRef<LLVM::GEPArg>{int32_t(bytes)});
  }
  /// Loops over the output rows and their passes: `pass(in, out)` with the
  /// pass's first packed word and first output position.
  void forEachPass(Value packed, Value out,
                   function_ref<void(Value, Value)> pass) {
    int64_t d2 = 2 * g.pairs(), last = g.passStart(g.passes() - 1);
    emitLoop(b, loc, g.outH, [&](Value oy) {
      Value inRow = gep(packed, b.create<LLVM::MulOp>(loc, oy, i32(g.sh * g.rowWords() * 4)));
      Value outRow = gep(out, b.create<LLVM::MulOp>(loc, oy, i32(g.outW * g.outC)));
      emitLoop(b, loc, g.passes(), [&](Value j) {
        // x0 = min(2D j, last): the last pass ends at the row's end.
        Value x0 = b.create<LLVM::MulOp>(loc, j, i32(d2));
        if (last % d2 != 0) {
          Value early = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, x0, i32(last));
          x0 = b.create<LLVM::SelectOp>(loc, early, x0, i32(last));
        }
        Value inPass = g.blockPerPass()
                           ? b.create<LLVM::MulOp>(loc, j, i32(g.blockWords() * 4))
                           : b.create<LLVM::MulOp>(loc, x0, i32(4));
        pass(gep(inRow, inPass),
             gep(outRow, b.create<LLVM::MulOp>(loc, x0, i32(g.outC))));
      });
    });
  }

  LayerEmitter &e;
  OpBuilder &b;
  Location loc;
  const ConvRules &r;
  Geometry g;
  const std::vector<std::vector<Nonzero>> &rows;
  std::string tag;
};

class SparseCodeEmitter : public SparseEmitterBase {
public:
  SparseCodeEmitter(LayerEmitter &e, const SparseProduct &p)
      : SparseEmitterBase(e, p), form(p.form) {}

  /// At the builder's position: pack `in` into `packed` (unless it holds
  /// `in` packed already), compute `out`.
  void emit(Value in, Value out, Value packed, bool pack = true);

private:
  /// Rows [firstRow, endRow) of one pass, from its first packed word `in`
  /// to its first output position `out`.
  void emitPass(int64_t firstRow, int64_t endRow, Value in, Value out);
  LLVM::LLVMFuncOp emitChunk(int64_t index, int64_t firstRow, int64_t endRow);
  /// Rows [firstRow, endRow) of a one-position layer, eight at a time: per
  /// column any of them reads, one load of the raw int8 input, then per
  /// pair of rows with a nonzero there one load of both weights packed in
  /// one word (w_a + w_b * 2^23) and one SMLAL; the zero point is in the
  /// bias.
  void emitRowGroups(int64_t firstRow, int64_t endRow, Value in, Value out);
  /// Rows [firstRow, endRow) of a one-position layer, six at a time, from
  /// the input extended to int16 in SMLAD order (`in`): in one asm block
  /// per group the six sums start from their biases (one LDM from the
  /// stream), then per block of 8 inputs that a row reads one LDM of its 4
  /// words and per nonzero one SMLA<x><y> by the weight (halfwords of the
  /// stream, four per LDRD); fixed registers, nothing spills.
  void emitHalfwordGroups(int64_t firstRow, int64_t endRow, Value in,
                          Value out);
  /// One nonzero for the pass's pairs: its words (one LDRD per two pairs,
  /// at an immediate offset from `window`) and per pair an SMLAL into
  /// lo:hi, in inline assembly so that the weight stays one register and
  /// nothing is spilled. Moves `window` (a pointer `windowAt` bytes into
  /// the pass's words) when the offset is out of the loads' reach.
  /// The `first` of a segment starts lo:hi by an SMULL instead.
  void emitSmlal(const Nonzero &z, Value &window, int64_t &windowAt,
                 bool first, SmallVectorImpl<Value> &lo,
                 SmallVectorImpl<Value> &hi);

  OnePositionForm form;
};

/// The runtime's tfk_sparse_requantize, or another requantization of the
/// same signature (declared on first use).
LLVM::LLVMFuncOp requantizeFn(LayerEmitter &e,
                              StringRef name = "tfk_sparse_requantize") {
  OpBuilder &b = e.builder();
  Location loc = e.location();
  ModuleOp module = e.getModule();
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return fn;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  Type i32 = b.getI32Type();
  return b.create<LLVM::LLVMFuncOp>(
      loc, name,
      LLVM::LLVMFunctionType::get(i32, {i32, i32, i32, i32, i32, i32}));
}

void SparseCodeEmitter::emitPass(int64_t firstRow, int64_t endRow, Value in,
                                 Value out) {
  Type i8 = b.getI8Type();
  LLVM::LLVMFuncOp requantize = requantizeFn(e);
  int64_t pairs = g.pairs();
  for (int64_t n = firstRow; n < endRow; ++n) {
    // Sums of the first and second position of each pair.
    SmallVector<Value> sumA(pairs, i32(r.bias[n])), sumB(pairs, i32(r.bias[n]));
    ArrayRef<Nonzero> nz = rows[n];
    Value window = in;
    int64_t windowAt = 0;
    while (!nz.empty()) {
      size_t len = segmentLength(nz);
      SmallVector<Value> lo(pairs), hi(pairs);
      for (const Nonzero &z : nz.take_front(len))
        emitSmlal(z, window, windowAt, /*first=*/&z == nz.data(), lo, hi);
      for (int64_t p = 0; p < pairs; ++p) {
        auto [a, bb] = recoverPair(b, loc, lo[p], hi[p]);
        sumA[p] = b.create<LLVM::AddOp>(loc, sumA[p], a);
        sumB[p] = b.create<LLVM::AddOp>(loc, sumB[p], bb);
      }
      nz = nz.drop_front(len);
    }
    auto store = [&](Value sum, int64_t position) {
      SmallVector<Value> args = {sum, i32(r.requant[n].mult), i32(r.requant[n].shift),
                                 i32(r.outZp), i32(r.act.min), i32(r.act.max)};
      Value q = b.create<LLVM::CallOp>(loc, requantize, args).getResult();
      b.create<LLVM::StoreOp>(loc, b.create<LLVM::TruncOp>(loc, i8, q),
                              gep(out, position * g.outC + n));
    };
    for (int64_t p = 0; p < pairs; ++p) {
      store(sumA[p], p);
      if (!g.single())
        store(sumB[p], p + pairs);
    }
  }
}

void SparseCodeEmitter::emitSmlal(const Nonzero &z, Value &window,
                                  int64_t &windowAt, bool first,
                                  SmallVectorImpl<Value> &lo,
                                  SmallVectorImpl<Value> &hi) {
  int64_t pairs = g.pairs();
  // Reach of the loads from the window: LDRD -1020..1020 (its last at +8
  // per two pairs more), LDR -255..4095. A new window starts `lead` bytes
  // past the nonzero, so that the next ones reach further.
  int64_t lastLdrd = 8 * (pairs / 2 - 1);
  int64_t minRel = pairs == 1 ? -255 : pairs % 2 ? -263 : -1020;
  int64_t maxRel = pairs == 1 ? 4095 : 1020 - std::max<int64_t>(lastLdrd, 0);
  int64_t lead = pairs == 1 ? 0 : pairs % 2 ? 256 : 1008;
  // Operands: $0..$(2D-1) lo/hi, $(2D), $(2D+1) the loaded words, $(2D+2)
  // the window (tied), $(2D+3) the weight, then the tied inputs.
  auto reg = [](int64_t i) { return "$" + std::to_string(i); };
  std::string t0 = reg(2 * pairs), t1 = reg(2 * pairs + 1),
              base = reg(2 * pairs + 2), w = reg(2 * pairs + 3), text;
  // The window moves inside the asm: as an LLVM value it would be shared
  // by every row that reads there, and spilled.
  int64_t rel = z.offset - windowAt;
  if (rel < minRel || rel > maxRel) {
    int64_t delta = z.offset + lead - windowAt;
    assert(delta > 0 && "nonzeros in offset order");
    if (delta <= 4095) {
      text += "addw " + base + ", " + base + ", #" + std::to_string(delta) + "\n\t";
    } else {
      text += "movw " + t0 + ", #" + std::to_string(delta & 0xffff) + "\n\t";
      if (delta > 0xffff)
        text += "movt " + t0 + ", #" + std::to_string(delta >> 16) + "\n\t";
      text += "add " + base + ", " + base + ", " + t0 + "\n\t";
    }
    windowAt += delta;
    rel = -lead;
  }
  for (int64_t p = 0; p < pairs; p += 2) {
    std::string at = "[" + base + ", #" + std::to_string(rel + 4 * p) + "]";
    text += p + 1 < pairs ? "ldrd " + t0 + ", " + t1 + ", " + at + "\n\t"
                          : "ldr " + t0 + ", " + at + "\n\t";
    for (int64_t q = p; q < std::min(p + 2, pairs); ++q)
      text += (first ? "smull " : "smlal ") + reg(2 * q) + ", " +
              reg(2 * q + 1) + ", " + (q == p ? t0 : t1) + ", " + w + "\n\t";
  }
  // A segment's first SMULL writes lo:hi before the later words are read:
  // early-clobbered, not tied.
  std::string constraints;
  for (int64_t i = 0; i < 2 * pairs; ++i)
    constraints += first ? "=&r," : "=r,";
  constraints += "=&r,=&r,=r,r," + std::to_string(2 * pairs + 2);
  if (!first)
    for (int64_t i = 0; i < 2 * pairs; ++i)
      constraints += "," + std::to_string(i);
  // The loads read the packed input, which LLVM cannot see through the
  // register operands: without the clobber the asm is `memory(none)` and
  // may be scheduled before the pack's stores.
  constraints += ",~{memory}";
  SmallVector<Value> operands = {i32(z.weight), window};
  for (int64_t p = 0; p < pairs && !first; ++p) {
    operands.push_back(lo[p]);
    operands.push_back(hi[p]);
  }
  SmallVector<Type> fields(2 * pairs + 2, b.getI32Type());
  fields.push_back(ptrTy());
  auto resultTy = LLVM::LLVMStructType::getLiteral(b.getContext(), fields);
  auto asmOp = b.create<LLVM::InlineAsmOp>(
      loc, resultTy, operands, text, constraints, /*has_side_effects=*/false,
      /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr());
  window = b.create<LLVM::ExtractValueOp>(loc, asmOp.getResult(0), 2 * pairs + 2);
  for (int64_t p = 0; p < pairs; ++p) {
    lo[p] = b.create<LLVM::ExtractValueOp>(loc, asmOp.getResult(0), 2 * p);
    hi[p] = b.create<LLVM::ExtractValueOp>(loc, asmOp.getResult(0), 2 * p + 1);
  }
}

LLVM::LLVMFuncOp SparseCodeEmitter::emitChunk(int64_t index, int64_t firstRow,
                                             int64_t endRow) {
  OpBuilder::InsertionGuard guard(b);
  ModuleOp module = e.getModule();
  b.setInsertionPointToEnd(module.getBody());
  auto voidTy = LLVM::LLVMVoidType::get(b.getContext());
  auto fn = b.create<LLVM::LLVMFuncOp>(
      loc, e.symbolPrefix() + "_" + tag + "sparse" + std::to_string(index),
      LLVM::LLVMFunctionType::get(voidTy, {ptrTy(), ptrTy()}),
      LLVM::Linkage::Internal);
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value packed = entry->getArgument(0), out = entry->getArgument(1);
  if (form == OnePositionForm::halfwordGroups) {
    emitHalfwordGroups(firstRow, endRow, packed, out);
  } else if (form == OnePositionForm::rowGroups) {
    // `packed` is the raw input here.
    emitRowGroups(firstRow, endRow, packed, out);
  } else {
    forEachPass(packed, out, [&](Value in, Value outPass) {
      emitPass(firstRow, endRow, in, outPass);
    });
  }
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}

void SparseCodeEmitter::emitRowGroups(int64_t firstRow, int64_t endRow,
                                     Value in, Value out) {
  Type i8 = b.getI8Type();
  LLVM::LLVMFuncOp requantize = requantizeFn(e);
  // Per quad, per column any of its rows reads, the weights of its rows (0
  // where none).
  struct Quad {
    SmallVector<int64_t, kRowsPerGroup> rows;
    int64_t pairs;
    std::map<int64_t, std::array<int32_t, kRowsPerGroup>> columns;
  };
  std::vector<Quad> quads;
  std::vector<int64_t> order = rowGroupOrder(rows, g.c, form, firstRow, endRow);
  for (size_t q = 0; q < order.size(); q += kRowsPerGroup) {
    Quad quad;
    quad.rows.assign(order.begin() + q,
                     order.begin() + std::min(order.size(), q + kRowsPerGroup));
    quad.pairs = (int64_t(quad.rows.size()) + 1) / 2;
    for (auto [i, n] : llvm::enumerate(quad.rows))
      for (const Nonzero &z : rows[n])
        quad.columns.try_emplace(z.column, std::array<int32_t, kRowsPerGroup>{})
            .first->second[i] = z.weight;
    quads.push_back(std::move(quad));
  }
  // The packed weights of a pair of rows, w_a + w_b * 2^23, in the order
  // the code reads them: a table, so that each is one load.
  auto packedWeight = [](const std::array<int32_t, kRowsPerGroup> &w, int64_t p) {
    return int32_t(int64_t(w[2 * p]) + int64_t(w[2 * p + 1]) * (1 << 23));
  };
  // LDRD reaches 1020 bytes past a base: one base per 256 words, and a
  // column's weights (up to four) never straddle two.
  constexpr size_t kWordsPerBase = 256;
  auto placeColumn = [](size_t at, int64_t k) {
    return at % kWordsPerBase + size_t(k) > kWordsPerBase
               ? (at / kWordsPerBase + 1) * kWordsPerBase
               : at;
  };
  auto usedPairs = [](const std::array<int32_t, kRowsPerGroup> &w, int64_t pairs) {
    SmallVector<int64_t> used;
    for (int64_t p = 0; p < pairs; ++p)
      if (w[2 * p] != 0 || w[2 * p + 1] != 0)
        used.push_back(p);
    return used;
  };
  std::vector<int32_t> table;
  for (const Quad &quad : quads)
    for (const auto &[col, w] : quad.columns) {
      SmallVector<int64_t> used = usedPairs(w, quad.pairs);
      table.resize(placeColumn(table.size(), int64_t(used.size())), 0);
      for (int64_t p : used)
        table.push_back(packedWeight(w, p));
    }
  Value tableBase =
      e.global(tag + "pairs" + std::to_string(firstRow), ArrayRef<int32_t>(table));
  SmallVector<Value> bases;
  for (size_t i = 0; i < table.size(); i += kWordsPerBase)
    bases.push_back(gep(tableBase, int64_t(i) * 4));
  size_t next = 0;

  for (const Quad &quad : quads) {
    int64_t pairs = quad.pairs, size = int64_t(quad.rows.size());
    SmallVector<Value> sums;
    for (int64_t i = 0; i < 2 * pairs; ++i) {
      // bias - zp * sum(w): the input is read raw.
      int64_t bias = i < size ? r.bias[quad.rows[i]] : 0;
      if (i < size)
        for (const Nonzero &z : rows[quad.rows[i]])
          bias -= int64_t(r.inZp) * z.weight;
      sums.push_back(i32(bias));
    }
    // Segments: |A| <= 128 * sum|w_a| < 2^22 for each pair's first row.
    auto column = quad.columns.begin();
    while (column != quad.columns.end()) {
      SmallVector<Value> lo(pairs, i32(0)), hi(pairs, i32(0));
      SmallVector<int64_t> abs(pairs, 0);
      for (; column != quad.columns.end(); ++column) {
        const std::array<int32_t, kRowsPerGroup> &w = column->second;
        bool fits = true;
        for (int64_t p = 0; p < pairs; ++p)
          fits &= (abs[p] + std::abs(w[2 * p])) * 128 < (int64_t(1) << 22);
        if (!fits)
          break;
        SmallVector<int64_t> used = usedPairs(w, pairs);
        for (int64_t p : used)
          abs[p] += std::abs(w[2 * p]);
        // $0..$(2k-1) lo/hi of the k pairs with a nonzero here, $(2k) the
        // input byte, $(2k+1), $(2k+2) packed weights (two per LDRD), then
        // the input and table pointers.
        int64_t k = int64_t(used.size());
        std::string x = "$" + std::to_string(2 * k),
                    wr = "$" + std::to_string(2 * k + 1),
                    wr2 = "$" + std::to_string(2 * k + 2),
                    base = "$" + std::to_string(2 * k + 3),
                    tbl = "$" + std::to_string(2 * k + 4);
        std::string text;
        if (column->first <= 4095)
          text = "ldrsb.w " + x + ", [" + base + ", #" +
                 std::to_string(column->first) + "]\n\t";
        else
          text = "movw " + x + ", #" + std::to_string(column->first) +
                 "\n\tldrsb.w " + x + ", [" + base + ", " + x + "]\n\t";
        next = placeColumn(next, k);
        size_t slice = next / kWordsPerBase;
        auto smlal = [&](int64_t i, const std::string &w) {
          return "smlal $" + std::to_string(2 * i) + ", $" +
                 std::to_string(2 * i + 1) + ", " + x + ", " + w + "\n\t";
        };
        for (int64_t i = 0; i < k; i += 2, next += 2) {
          std::string at = "[" + tbl + ", #" +
                           std::to_string((next % kWordsPerBase) * 4) + "]";
          if (i + 1 < k)
            text += "ldrd " + wr + ", " + wr2 + ", " + at + "\n\t" +
                    smlal(i, wr) + smlal(i + 1, wr2);
          else
            text += "ldr " + wr + ", " + at + "\n\t" + smlal(i, wr);
        }
        next -= size_t(2 * ((k + 1) / 2) - k);
        std::string constraints;
        for (int64_t i = 0; i < 2 * k; ++i)
          constraints += "=r,";
        constraints += "=&r,=&r,=&r,r,r";
        for (int64_t i = 0; i < 2 * k; ++i)
          constraints += "," + std::to_string(i);
        constraints += ",~{memory}";
        SmallVector<Value> operands = {in, bases[slice]};
        for (int64_t p : used) {
          operands.push_back(lo[p]);
          operands.push_back(hi[p]);
        }
        SmallVector<Type> fields(2 * k + 3, b.getI32Type());
        auto asmOp = b.create<LLVM::InlineAsmOp>(
            loc, LLVM::LLVMStructType::getLiteral(b.getContext(), fields),
            operands, text, constraints, /*has_side_effects=*/false,
            /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr());
        for (auto [i, p] : llvm::enumerate(used)) {
          lo[p] = b.create<LLVM::ExtractValueOp>(loc, asmOp.getResult(0), 2 * i);
          hi[p] = b.create<LLVM::ExtractValueOp>(loc, asmOp.getResult(0), 2 * i + 1);
        }
      }
      for (int64_t p = 0; p < pairs; ++p) {
        auto [a, bb] = recoverPair(b, loc, lo[p], hi[p]);
        sums[2 * p] = b.create<LLVM::AddOp>(loc, sums[2 * p], a);
        sums[2 * p + 1] = b.create<LLVM::AddOp>(loc, sums[2 * p + 1], bb);
      }
    }
    for (auto [i, n] : llvm::enumerate(quad.rows)) {
      SmallVector<Value> args = {sums[i], i32(r.requant[n].mult),
                                 i32(r.requant[n].shift), i32(r.outZp),
                                 i32(r.act.min), i32(r.act.max)};
      Value v = b.create<LLVM::CallOp>(loc, requantize, args).getResult();
      b.create<LLVM::StoreOp>(loc, b.create<LLVM::TruncOp>(loc, i8, v), gep(out, n));
    }
  }
}

void SparseCodeEmitter::emitHalfwordGroups(int64_t firstRow, int64_t endRow,
                                           Value in, Value out) {
  Type i8 = b.getI8Type(), i32Ty = b.getI32Type();
  LLVM::LLVMFuncOp requantize = requantizeFn(e);
  std::vector<int64_t> order = rowGroupOrder(rows, g.c, form, firstRow, endRow);
  // The stream, per group: its rows' biases (bias - zp * sum(w): the input
  // is extended raw), then its weights as halfwords in the order the code
  // multiplies them, padded to whole LDRDs.
  std::vector<int32_t> stream;
  SmallVector<std::string> texts;
  SmallVector<SmallVector<int64_t>> groups;
  auto reg = [](int64_t i) { return "r" + std::to_string(i); };
  for (size_t q = 0; q < order.size(); q += kHalfwordGroupRows) {
    SmallVector<int64_t> group(order.begin() + q,
                               order.begin() + std::min(order.size(), q + kHalfwordGroupRows));
    int64_t size = int64_t(group.size());
    // Per block of 8 inputs: (column, sum, weight) of its nonzeros.
    std::map<int64_t, SmallVector<std::array<int64_t, 3>>> blocks;
    for (auto [i, n] : llvm::enumerate(group)) {
      int64_t bias = r.bias[n];
      for (const Nonzero &z : rows[n]) {
        bias -= int64_t(r.inZp) * z.weight;
        blocks[z.column / kHalfwordBlockInputs].push_back(
            {z.column, int64_t(i), z.weight});
      }
      stream.push_back(int32_t(bias));
    }
    std::string text = size == 1 ? "ldr r0, [lr], #4\n\t"
                                 : "ldm lr!, {r0-" + reg(size - 1) + "}\n\t";
    std::vector<int16_t> weights;
    int64_t at = 0; // the block r12 points at
    for (auto &[block, nonzeros] : blocks) {
      if (block != at) {
        // r6 is free until the block's load.
        int64_t delta = (block - at) * kHalfwordBlockInputs * 2;
        if (delta <= 4095) {
          text += "addw r12, r12, #" + std::to_string(delta) + "\n\t";
        } else {
          text += "movw r6, #" + std::to_string(delta & 0xffff) + "\n\t";
          if (delta > 0xffff)
            text += "movt r6, #" + std::to_string(delta >> 16) + "\n\t";
          text += "add r12, r12, r6\n\t";
        }
      }
      text += "ldm r12!, {r6-r9}\n\t";
      at = block + 1;
      llvm::sort(nonzeros);
      for (const auto &[column, sum, weight] : nonzeros) {
        int64_t h = int64_t(weights.size()) % 4;
        if (h == 0)
          text += "ldrd r10, r11, [lr], #8\n\t";
        weights.push_back(int16_t(weight));
        // Input `column` is half (column % 4) / 2 of word
        // (column / 4) * 2 + column % 2 (SMLAD order).
        int64_t word = column / 4 * 2 + column % 2;
        std::string x = (column % 4) / 2 ? "t" : "b", y = h % 2 ? "t" : "b";
        text += "smla" + x + y + " " + reg(sum) + ", " + reg(6 + word % 4) +
                ", " + reg(10 + h / 2) + ", " + reg(sum) + "\n\t";
      }
    }
    weights.resize((weights.size() + 3) / 4 * 4, 0);
    for (size_t i = 0; i < weights.size(); i += 2)
      stream.push_back(int32_t(uint32_t(uint16_t(weights[i])) |
                               uint32_t(uint16_t(weights[i + 1])) << 16));
    texts.push_back(std::move(text));
    groups.push_back(std::move(group));
  }
  Value next = e.global(tag + "halves" + std::to_string(firstRow),
                        ArrayRef<int32_t>(stream));
  for (auto [group, text] : llvm::zip(groups, texts)) {
    int64_t size = int64_t(group.size());
    // Outputs: the sums, the stream (tied) and the input (tied; moved by
    // the loads, reset per group); r6-r11 scratch.
    std::string constraints;
    for (int64_t i = 0; i < size; ++i)
      constraints += "={" + reg(i) + "},";
    constraints += "={lr},={r12}," + std::to_string(size) + "," +
                   std::to_string(size + 1);
    for (int64_t i = 6; i <= 11; ++i)
      constraints += ",~{" + reg(i) + "}";
    constraints += ",~{memory}";
    SmallVector<Type> fields(size, i32Ty);
    fields.append({ptrTy(), ptrTy()});
    auto asmOp = b.create<LLVM::InlineAsmOp>(
        loc, LLVM::LLVMStructType::getLiteral(b.getContext(), fields),
        ValueRange{next, in}, text, constraints, /*has_side_effects=*/false,
        /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr());
    next = b.create<LLVM::ExtractValueOp>(loc, asmOp.getResult(0), size);
    for (auto [i, n] : llvm::enumerate(group)) {
      Value sum = b.create<LLVM::ExtractValueOp>(loc, asmOp.getResult(0), i);
      SmallVector<Value> args = {sum, i32(r.requant[n].mult),
                                 i32(r.requant[n].shift), i32(r.outZp),
                                 i32(r.act.min), i32(r.act.max)};
      Value v = b.create<LLVM::CallOp>(loc, requantize, args).getResult();
      b.create<LLVM::StoreOp>(loc, b.create<LLVM::TruncOp>(loc, i8, v), gep(out, n));
    }
  }
}

void SparseCodeEmitter::emit(Value in, Value out, Value packed, bool pack) {
  if (form == OnePositionForm::halfwordGroups) {
    if (pack)
      e.call("tfk_sparse_pack_halves_s8", {in, packed, i32(g.c)});
  } else if (form != OnePositionForm::pairs) {
    packed = in;
  } else if (pack) {
    emitPackPairs(e, in, packed, r, g);
  }
  for (auto [index, chunk] : llvm::enumerate(chunksOf(rows, form))) {
    LLVM::LLVMFuncOp fn = emitChunk(int64_t(index), chunk.first, chunk.second);
    b.create<LLVM::CallOp>(loc, fn, ValueRange{packed, out});
  }
}


//===----------------------------------------------------------------------===//
// sparse_csr: one generated loop over a compressed nonzero stream
//===----------------------------------------------------------------------===//

/// What a channel's asm reads beside its nonzeros in the stream of
/// `sparse_csr`: words before the first and after the end word, and the
/// end word's upper bits.
struct ChannelFrame {
  SmallVector<int32_t, 2> header, trailer;
  int32_t endBits = 0;
};

/// The nonzero stream of `sparse_csr`: per output channel its nonzeros as
/// words `offset << 8 | weight byte` (offset in the packed input), each
/// segment ended by a word whose weight byte is zero: `1 << 8` when another
/// segment of the channel follows, 0 at the channel's end (an empty channel
/// is that one word: bias only). With `frames`, each channel's frame
/// around it (a channel of one segment: its end word holds `endBits << 8`).
std::vector<int32_t> csrStream(ArrayRef<std::vector<Nonzero>> rows,
                               ArrayRef<ChannelFrame> frames = {}) {
  std::vector<int32_t> words;
  for (auto [n, row] : llvm::enumerate(rows)) {
    const ChannelFrame *frame = frames.empty() ? nullptr : &frames[n];
    if (frame)
      words.insert(words.end(), frame->header.begin(), frame->header.end());
    ArrayRef<Nonzero> nz = row;
    do {
      size_t len = segmentLength(nz);
      for (const Nonzero &z : nz.take_front(len))
        words.push_back(int32_t(uint32_t(z.offset) << 8 | uint8_t(z.weight)));
      nz = nz.drop_front(len);
      words.push_back(!nz.empty() ? 1 << 8 : frame ? frame->endBits << 8 : 0);
    } while (!nz.empty());
    if (frame)
      words.insert(words.end(), frame->trailer.begin(), frame->trailer.end());
  }
  return words;
}

class SparseCsrEmitter : public SparseEmitterBase {
public:
  using SparseEmitterBase::SparseEmitterBase;

  /// At the builder's position: pack `in` into `packed` (unless it holds
  /// `in` packed already), compute `out`.
  void emit(Value in, Value out, Value packed, bool pack = true);

private:
  Value gep(Value base, Value index, Type element) {
    return b.create<LLVM::GEPOp>(loc, ptrTy(), element, base,
                                 ArrayRef<LLVM::GEPArg>{index});
  }
  /// One pass, from its first packed word `in` to its first output
  /// position `out`: a loop over the output channels, each a loop over its
  /// segments.
  void emitPass(Value in, Value out);
  /// The inner loop over one segment's nonzeros, in assembly: per nonzero
  /// one load of its word, the weight's sign extension, a zero test (the
  /// segment's end) and its address, then the pairs' words (the last two
  /// by one LDRD into the word and the address registers) and per pair an
  /// SMLAL. Returns lo/hi per pair (`recovered`: the pair's two sums,
  /// recovered in the asm after the loop, 4 instructions per pair;
  /// `requantized`: then requantized there with the channel's bias and
  /// fast-form constants read after its end word, 6 instructions per sum,
  /// clamped to int8), the stream pointer after what the asm read, and the
  /// end word.
  enum class SegmentEnd { sums, recovered, requantized };
  SmallVector<Value> emitSegment(Value in, Value nz, SegmentEnd end);
  /// Requantizes and stores channel `n`'s sums (A, B per pair) of a pass.
  void emitStores(Value n, ValueRange sums, Value out);

  Value stream, params;
  /// Every channel is one segment: its sums come recovered from the asm,
  /// with no loop over segments (and no sums carried through one); with
  /// fastRequant too and biases that fit, requantized there
  /// (requantInAsm).
  bool oneSegment = false, requantInAsm = false;
  /// Every channel's requantization has the fast form (SMMULR, shift
  /// 1-24): the table holds its constants.
  bool fastRequant = false;
};

SmallVector<Value> SparseCsrEmitter::emitSegment(Value in, Value nz,
                                                 SegmentEnd end) {
  bool recover = end != SegmentEnd::sums;
  // Operands: $0..$(2p-1) lo/hi, $(2p) the stream pointer (tied), $(2p+1)
  // the word, $(2p+2) the weight (a low register, for CBZ), $(2p+3) the
  // address, $(2p+4) a spare; inputs $(2p+5) the packed input, then the
  // tied ones.
  int64_t pairs = g.pairs();
  std::string nzR = "$" + std::to_string(2 * pairs),
              word = "$" + std::to_string(2 * pairs + 1),
              weight = "$" + std::to_string(2 * pairs + 2),
              addr = "$" + std::to_string(2 * pairs + 3),
              base = "$" + std::to_string(2 * pairs + 5);
  std::string text = "1:\n\tldr " + word + ", [" + nzR + "], #4\n\tsxtb " +
                     weight + ", " + word + "\n\tcbz " + weight +
                     ", 2f\n\tadd.w " + addr + ", " + base + ", " + word +
                     ", asr #8\n\t";
  auto smlal = [&](int64_t p, const std::string &x) {
    return "smlal $" + std::to_string(2 * p) + ", $" + std::to_string(2 * p + 1) +
           ", " + x + ", " + weight + "\n\t";
  };
  // Pairs by LDRD into the word and a spare register, the last two into
  // the word and the address.
  std::string spare = "$" + std::to_string(2 * pairs + 4);
  int64_t single = pairs == 1 ? 1 : pairs - 2;
  for (int64_t p = 0; p < single; p += 2) {
    std::string at = ", [" + addr + ", #" + std::to_string(4 * p) + "]\n\t";
    if (p + 1 < single)
      text += "ldrd " + word + ", " + spare + at + smlal(p, word) +
              smlal(p + 1, spare);
    else
      text += "ldr " + word + at + smlal(p, word);
  }
  if (pairs > 1)
    text += "ldrd " + word + ", " + addr + ", [" + addr + ", #" +
            std::to_string(4 * single) + "]\n\t" + smlal(single, word) +
            smlal(single + 1, addr);
  text += "b 1b\n2:";
  // Requantized: the shift is the end word's upper bits (read before the
  // recovery takes the word as scratch).
  if (end == SegmentEnd::requantized)
    text += "\n\tlsr " + addr + ", " + word + ", #8";
  // lo:hi = A + B * 2^23 (|A| < 2^22): B from the 41 high bits (the word
  // as scratch), less 1 when A < 0; A the low 23 bits, signed.
  for (int64_t p = 0; p < pairs && recover; ++p) {
    std::string lo = "$" + std::to_string(2 * p), hi = "$" + std::to_string(2 * p + 1);
    text += "\n\tlsr " + word + ", " + lo + ", #23\n\torr " + word + ", " +
            word + ", " + hi + ", lsl #9\n\tsbfx " + lo + ", " + lo +
            ", #0, #23\n\tsub " + hi + ", " + word + ", " + lo + ", asr #31";
  }
  if (end == SegmentEnd::requantized) {
    // 2 * mult and rounding + zero point after the end word; then per sum
    // tfk__rq_fast and the int8 clamp.
    text += "\n\tldrd " + spare + ", " + weight + ", [" + nzR + "], #8";
    for (int64_t i = 0; i < 2 * pairs; ++i) {
      std::string x = "$" + std::to_string(i);
      text += "\n\tsmmlar " + x +
              ", " + x + ", " + spare + ", " + x + "\n\tsub " + x + ", " + x +
              ", " + x + ", lsr #31\n\tqadd " + x + ", " + x + ", " + weight +
              "\n\tasr " + x + ", " + x + ", " + addr + "\n\tssat " + x +
              ", #8, " + x;
    }
  }
  // Recovered, the sums start at zero in the asm (early-clobbered): as tied
  // zero inputs LLVM carries them from channel to channel through the stack.
  std::string constraints;
  std::string init;
  for (int64_t i = 0; i < 2 * pairs; ++i) {
    constraints += recover ? "=&r," : "=r,";
    if (end == SegmentEnd::requantized)
      init += i < 2 ? "" : "mov $" + std::to_string(i) + ", $" + std::to_string(i % 2) + "\n\t";
    else if (recover)
      init += "mov $" + std::to_string(i) + ", #0\n\t";
  }
  // Requantized, every pair's lo:hi starts at bias * (2^23 + 1) (both sums
  // at the bias), read from the channel's header.
  if (end == SegmentEnd::requantized)
    init = "ldrd $0, $1, [" + nzR + "], #8\n\t" + init;
  text = init + text;
  constraints += "=r,=&r,=&l,=&r,=&r,r";
  for (int64_t i = recover ? 2 * pairs : 0; i < 2 * pairs + 1; ++i)
    constraints += "," + std::to_string(i);
  constraints += ",~{memory}";
  SmallVector<Value> operands = {in};
  if (!recover)
    operands.append(2 * pairs, i32(0));
  operands.push_back(nz);
  SmallVector<Type> fields(2 * pairs, b.getI32Type());
  fields.push_back(ptrTy());
  fields.append(4, b.getI32Type());
  auto resultTy = LLVM::LLVMStructType::getLiteral(b.getContext(), fields);
  auto asmOp = b.create<LLVM::InlineAsmOp>(
      loc, resultTy, operands, text, constraints, /*has_side_effects=*/false,
      /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr());
  SmallVector<Value> results;
  for (int64_t i = 0; i < 2 * pairs + 2; ++i)
    results.push_back(b.create<LLVM::ExtractValueOp>(loc, asmOp.getResult(0), i));
  return results;
}

void SparseCsrEmitter::emitPass(Value in, Value out) {
  Type i32Ty = b.getI32Type(), i8 = b.getI8Type();
  int64_t pairs = g.pairs();
  Region *region = b.getInsertionBlock()->getParent();
  int64_t sums = 2 * pairs;
  // channel(n, nz) -> segment(nz, sums) ... -> store(nz, sums) -> channel.
  Block *channel = new Block(), *segment = new Block(), *store = new Block(),
        *exit = new Block();
  for (Block *block : {channel, segment, store, exit})
    region->push_back(block);
  Value n = channel->addArgument(i32Ty, loc);
  Value nzAtChannel = channel->addArgument(ptrTy(), loc);
  SmallVector<Type> carried(sums, i32Ty);
  carried.insert(carried.begin(), ptrTy());
  for (Block *block : {segment, store})
    for (Type t : carried)
      block->addArgument(t, loc);
  b.create<LLVM::BrOp>(loc, ValueRange{i32(0), stream}, channel);

  b.setInsertionPointToStart(channel);
  Value more = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, n, i32(g.outC));
  Block *start = new Block();
  region->push_back(start);
  b.create<LLVM::CondBrOp>(loc, more, start, exit);
  b.setInsertionPointToStart(start);
  // One-segment channels: straight to the next channel from the stream
  // pointer after this one (no segment loop).
  auto nextChannel = [&](Value nz) {
    Value nextN = b.create<LLVM::AddOp>(loc, n, i32(1));
    b.create<LLVM::BrOp>(loc, ValueRange{nextN, nz}, channel);
    segment->erase();
    store->erase();
    b.setInsertionPointToStart(exit);
  };
  if (requantInAsm) {
    SmallVector<Value> seg =
        emitSegment(in, nzAtChannel, SegmentEnd::requantized);
    Value outChannel = gep(out, n, i8);
    for (int64_t i = 0; i < sums; ++i) {
      int64_t pos = i % 2 ? i / 2 + pairs : i / 2;
      if (g.single() && i % 2)
        continue;
      // The asm clamps to int8; a narrower activation range here.
      Value q = seg[i];
      if (r.act.min > -128)
        q = b.create<LLVM::SMaxOp>(loc, q, i32(r.act.min));
      if (r.act.max < 127)
        q = b.create<LLVM::SMinOp>(loc, q, i32(r.act.max));
      b.create<LLVM::StoreOp>(loc, b.create<LLVM::TruncOp>(loc, i8, q),
                              gep(outChannel, i32(pos * g.outC), i8));
    }
    nextChannel(seg[sums]);
    return;
  }
  // Per channel: bias, then its requantization (three words).
  Value param = gep(params, b.create<LLVM::MulOp>(loc, n, i32(4)), i32Ty);
  Value bias = b.create<LLVM::LoadOp>(loc, i32Ty, param);
  if (oneSegment) {
    SmallVector<Value> seg = emitSegment(in, nzAtChannel, SegmentEnd::recovered);
    SmallVector<Value> channelSums;
    for (int64_t i = 0; i < sums; ++i)
      channelSums.push_back(b.create<LLVM::AddOp>(loc, seg[i], bias));
    emitStores(n, channelSums, out);
    nextChannel(seg[sums]);
    return;
  }
  SmallVector<Value> init = {nzAtChannel};
  init.append(sums, bias);
  b.create<LLVM::BrOp>(loc, init, segment);

  b.setInsertionPointToStart(segment);
  SmallVector<Value> seg = emitSegment(in, segment->getArgument(0), SegmentEnd::sums);
  SmallVector<Value> next = {seg[sums]};
  for (int64_t p = 0; p < pairs; ++p) {
    auto [a, bb] = recoverPair(b, loc, seg[2 * p], seg[2 * p + 1]);
    next.push_back(b.create<LLVM::AddOp>(loc, segment->getArgument(1 + 2 * p), a));
    next.push_back(b.create<LLVM::AddOp>(loc, segment->getArgument(2 + 2 * p), bb));
  }
  Value another = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne,
                                         seg[sums + 1], i32(0));
  b.create<LLVM::CondBrOp>(loc, another, segment, next, store, next);

  b.setInsertionPointToStart(store);
  emitStores(n, store->getArguments().drop_front(), out);
  Value nextN = b.create<LLVM::AddOp>(loc, n, i32(1));
  b.create<LLVM::BrOp>(loc, ValueRange{nextN, store->getArgument(0)}, channel);
  b.setInsertionPointToStart(exit);
}

void SparseCsrEmitter::emitStores(Value n, ValueRange sums, Value out) {
  Type i32Ty = b.getI32Type(), i8 = b.getI8Type();
  int64_t pairs = g.pairs();
  Value at = gep(params, b.create<LLVM::MulOp>(loc, n, i32(4)), i32Ty);
  SmallVector<Value> words;
  for (int64_t i = 1; i < 4; ++i)
    words.push_back(b.create<LLVM::LoadOp>(loc, i32Ty, gep(at, i32(i), i32Ty)));
  // The channel's outputs from one pointer, at constant offsets.
  Value outChannel = gep(out, n, i8);
  for (int64_t i = 0; i < int64_t(sums.size()); ++i) {
    // Sums are (A, B) per pair p: positions p and p + D.
    int64_t pos = i % 2 ? i / 2 + pairs : i / 2;
    if (g.single() && i % 2)
      continue;
    Value sum = sums[i];
    // With every channel in the fast form, its table words are 2 * mult,
    // the rounding and zero point, and the shift: no test per channel.
    SmallVector<Value> args =
        fastRequant ? SmallVector<Value>{sum, words[0], words[1], words[2],
                                         i32(r.act.min), i32(r.act.max)}
                    : SmallVector<Value>{sum, words[0], words[1], i32(r.outZp),
                                         i32(r.act.min), i32(r.act.max)};
    Value q = b.create<LLVM::CallOp>(
                   loc,
                   requantizeFn(e, fastRequant ? "tfk_sparse_requantize_fast"
                                               : "tfk_sparse_requantize"),
                   args)
                  .getResult();
    b.create<LLVM::StoreOp>(loc, b.create<LLVM::TruncOp>(loc, i8, q),
                            gep(outChannel, i32(pos * g.outC), i8));
  }
}

void SparseCsrEmitter::emit(Value in, Value out, Value packed, bool pack) {
  // Per channel: bias, then (2 * mult, rounding + zero point, shift) of the
  // fast requantization when every channel has one, else (mult, shift, 0).
  auto fastForm = [&](int64_t n) -> std::optional<std::array<int32_t, 3>> {
    int32_t m = r.requant[n].mult, shift = -r.requant[n].shift;
    if (m < (1 << 30) || shift < 1 || shift > 24)
      return std::nullopt;
    return std::array<int32_t, 3>{
        int32_t(uint32_t(m) << 1),
        int32_t((1u << (shift - 1)) + (uint32_t(r.outZp) << shift)), shift};
  };
  oneSegment = llvm::all_of(rows, [](const std::vector<Nonzero> &row) {
    return segmentLength(row) == row.size();
  });
  fastRequant = true;
  for (int64_t n = 0; n < g.outC; ++n)
    fastRequant &= fastForm(n).has_value();
  std::vector<int32_t> table;
  for (int64_t n = 0; n < g.outC; ++n) {
    table.push_back(r.bias[n]);
    if (fastRequant) {
      std::array<int32_t, 3> fast = *fastForm(n);
      table.insert(table.end(), fast.begin(), fast.end());
    } else
      table.insert(table.end(), {r.requant[n].mult, r.requant[n].shift, 0});
  }
  // Requantized in the asm when the bias fits in the low sum's 23 bits
  // beside the products (|bias| + 255 * sum|w| < 2^22): each channel's
  // sums start at bias * (2^23 + 1) (a header of two words), its end word
  // holds the shift and its multiplier and rounding follow: 4 words per
  // channel, as many as the table otherwise.
  requantInAsm = oneSegment && fastRequant;
  for (int64_t n = 0; n < g.outC && requantInAsm; ++n) {
    int64_t abs = std::abs(int64_t(r.bias[n]));
    for (const Nonzero &z : rows[n])
      abs += 255 * std::abs(int64_t(z.weight));
    requantInAsm = abs < (int64_t(1) << 22);
  }
  SmallVector<ChannelFrame> frames;
  for (int64_t n = 0; n < g.outC && requantInAsm; ++n) {
    uint64_t start = uint64_t(int64_t(r.bias[n]) * ((int64_t(1) << 23) + 1));
    frames.push_back({{int32_t(uint32_t(start)), int32_t(uint32_t(start >> 32))},
                      {table[4 * n + 1], table[4 * n + 2]},
                      table[4 * n + 3]});
  }
  if (!requantInAsm)
    params = e.global(tag + "params", ArrayRef<int32_t>(table));
  stream = e.global(tag + "csr", ArrayRef<int32_t>(csrStream(rows, frames)));
  if (pack)
    emitPackPairs(e, in, packed, r, g);
  forEachPass(packed, out, [&](Value inPass, Value outPass) { emitPass(inPass, outPass); });
}

} // namespace

int64_t weightNonzeros(Value weight) {
  auto cst = weight.getDefiningOp<ConstantOp>();
  if (!cst)
    return -1;
  if (WeightEncodingAttr enc = cst.getEncodingAttr())
    if (enc.getNnz() >= 0)
      return enc.getNnz();
  std::optional<std::vector<int64_t>> ints = getConstantInts(weight);
  return ints ? llvm::count_if(*ints, [](int64_t v) { return v != 0; }) : -1;
}

namespace {

/// A conv2d's or fully_connected's product.
/// halfwordGroups' cost, counted on the layer's nonzeros: the assembly;
/// per group its call of the asm (the input's base again); per row the
/// requantization's constants and store beyond β; the input's extension;
/// per chunk its call.
void addHalfwordGroupsCost(const Geometry &g, ArrayRef<std::vector<Nonzero>> rows,
                           LayerCost &cost) {
  HalfwordWork w = halfwordWorkOf(rows, g.c);
  int64_t chunks = int64_t(chunksOf(rows, OnePositionForm::halfwordGroups).size());
  cost.instructions += 2 * w.groups + w.loads + w.skips + w.nonzeros +
                       w.weightLoads + 5 * g.outC + 9 * g.c / 8 + 40 * chunks;
  // Code: 4 bytes per SMLA, LDM, ADDW and LDRD; the weights as halfwords;
  // per row its bias and requantization.
  cost.flashBytes += 4 * (w.loads + w.skips + w.nonzeros + w.weightLoads) +
                     2 * w.nonzeros + 28 * g.outC + 64 * chunks;
  cost.scratchBytes = std::max(cost.scratchBytes, halfwordPackedBytes(g.c));
}

/// rowGroups' cost: per column of a group of 8 rows one load of the input;
/// per pair of rows with a nonzero there its packed weights (two per LDRD)
/// and an SMLAL; per row its recovery and requantization. No packed input.
/// Columns shared by the rows: from the weight's blocks of rows, else as
/// if the nonzeros were spread at random, less what grouping rows that
/// share columns saves (12-19% on FC 256->256 at 75-95%).
void addRowGroupsCost(Operation *op, const Geometry &g, LayerCost &cost) {
  int64_t nnz = nonzeroCount(op);
  double k = double(g.c), density = double(nnz) / (double(g.outC) * k);
  double groupColumns = 0.85 * k * (1 - std::pow(1 - density, 8));
  double pairColumns = 0.85 * k * (1 - std::pow(1 - density, 2));
  auto cst = op->getOperand(1).getDefiningOp<ConstantOp>();
  WeightEncodingAttr enc = cst ? cst.getEncodingAttr() : WeightEncodingAttr();
  if (enc && enc.getPattern() == SparsityPattern::block &&
      enc.getBlockShape()[1] == 1) {
    int64_t rowsPerBlock = std::min<int64_t>(enc.getBlockShape()[0], 8);
    groupColumns = double(nnz) / double(g.outC) * 8 / double(rowsPerBlock);
    pairColumns = double(nnz) / double(g.outC) * 2 / double(std::min<int64_t>(rowsPerBlock, 2));
  }
  double groups = double(g.outC) / 8, pairEntries = groups * 4 * pairColumns;
  // Per column its input load and ceil(k/2) loads of its k packed weights
  // (LDRD), per entry an SMLAL; per chunk its call.
  cost.instructions += int64_t(groups * groupColumns * 1.5 + 1.5 * pairEntries) +
                       12 * g.outC + 40 * (nnz / kNonzerosPerChunk + 1);
  cost.flashBytes += int64_t(4 * groups * groupColumns + 12 * pairEntries) + 40 * g.outC;
}

/// The form a one-position layer takes: halfwordGroups unless rowGroups
/// costs fewer instructions (few rows over many inputs: the extension of
/// the input is not paid back) or the weight is in blocks of rows.
OnePositionForm onePositionFormOf(Operation *op, const Geometry &g,
                                  ArrayRef<std::vector<Nonzero>> rows) {
  OnePositionForm form = onePositionCandidate(op, g);
  if (form != OnePositionForm::halfwordGroups)
    return form;
  LayerCost halves, pairs;
  addHalfwordGroupsCost(g, rows, halves);
  addRowGroupsCost(op, g, pairs);
  return pairs.instructions < halves.instructions ? OnePositionForm::rowGroups
                                                  : form;
}

SparseProduct productOf(Operation *op, const ConvRules &r, const Geometry &g) {
  std::vector<int64_t> order;
  if (auto fc = dyn_cast<FullyConnectedOp>(op))
    order = storedFeatureOrder(fc);
  std::vector<std::vector<Nonzero>> rows =
      nonzerosOf(r, g, isa<Conv2DOp>(op), order);
  OnePositionForm form = onePositionFormOf(op, g, rows);
  return {r, g, std::move(rows), "", form};
}

} // namespace

bool servesSparseCode(Operation *op) {
  std::optional<Geometry> g = geometryOf(op);
  // Any constant weight: with few inputs per output (a first conv of 1-3
  // channels) its nonzeros as code beat the dense loop even without zeros,
  // and the cost model, not the presence of a zero that rounding made,
  // decides (selection takes a larger sparse kernel only where it is
  // clearly faster).
  if (!g || !op->getOperand(1).getDefiningOp<ConstantOp>())
    return false;
  return nonzeroCount(op) >= 0;
}

namespace {
/// sparse_code's cost for geometry `g` with `nnz` nonzeros, added to `cost`
/// (its scratch: the larger).
void addSparseCodeCost(const Geometry &g, int64_t nnz, LayerCost &cost) {
  int64_t d = g.pairs(), passes = g.outH * g.passes();
  // Work: every nonzero for every position of every pass (the overlap of
  // a row's last pass and a one-position row's phantom included): an
  // SMLAL per pair, in α.
  cost.kernelMacs += nnz * passes * 2 * d;
  // Per nonzero and pass its weight into a register and its loads (an LDRD
  // per two pairs); per segment, pair and pass the sums' recovery; per pass
  // its loop; packing the input: per packed word, and per column position
  // its tests; per chunk its call.
  int64_t segments = g.outC + nnz / 160;
  cost.instructions += nnz * passes * (1 + (d + 1) / 2) +
                       4 * segments * passes * d + 12 * passes +
                       5 * g.packedWords() + 12 * g.packedWords() / g.c +
                       40 * (nnz / kNonzerosPerChunk + 1);
  // Code: per nonzero its immediate, loads and SMLALs; per output position
  // of a pass its recovery and requantization.
  cost.flashBytes += nnz * 4 * Geometry::passWork(d) + g.outC * 2 * d * 36 +
                     64 * (nnz / kNonzerosPerChunk + 1);
  cost.scratchBytes = std::max(cost.scratchBytes, g.packedBytes());
}

/// sparse_csr's cost for geometry `g` with `nnz` nonzeros, added to `cost`
/// (its scratch: the larger).
void addSparseCsrCost(const Geometry &g, int64_t nnz, LayerCost &cost);

/// A linear layer over `tokens` tokens, K inputs and N outputs as a 1 x T
/// image.
Geometry linearGeometry(int64_t tokens, int64_t k, int64_t n) {
  return Geometry{1, tokens, k, 1, tokens, n, 1, 1, 1, 1, 0, 0};
}
} // namespace

void sizesSparseCode(Operation *op, WeightStorage, LayerCost &cost) {
  Geometry g = *geometryOf(op);
  cost.kernelMacs = 0;
  if (onePositionCandidate(op, g) == OnePositionForm::pairs) {
    addSparseCodeCost(g, nonzeroCount(op), cost);
    return;
  }
  FailureOr<ConvRules> r = getConvRules(op);
  if (failed(r))
    return;
  SparseProduct p = productOf(op, *r, g);
  if (p.form == OnePositionForm::halfwordGroups)
    addHalfwordGroupsCost(g, p.rows, cost);
  else
    addRowGroupsCost(op, g, cost);
}

void addSparseLinearCost(int64_t tokens, int64_t k, int64_t n, int64_t nnz,
                         bool csr, LayerCost &cost) {
  Geometry g = linearGeometry(tokens, k, n);
  if (csr)
    addSparseCsrCost(g, nnz, cost);
  else
    addSparseCodeCost(g, nnz, cost);
}

int64_t sparseLinearPackedBytes(int64_t tokens, int64_t k) {
  return linearGeometry(tokens, k, 1).packedBytes();
}

void emitSparseLinearPack(LayerEmitter &e, Value in, Value packed,
                          const ConvRules &r, int64_t tokens, int64_t k) {
  emitPackPairs(e, in, packed, r, linearGeometry(tokens, k, 1));
}

LLVM::LLVMFuncOp emitSparseLinearFn(LayerEmitter &e, StringRef tag,
                                    const ConvRules &r, int64_t tokens,
                                    bool packs, bool csr) {
  OpBuilder &b = e.builder();
  OpBuilder::InsertionGuard guard(b);
  Location loc = e.location();
  b.setInsertionPointToEnd(e.getModule().getBody());
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  auto fn = b.create<LLVM::LLVMFuncOp>(
      loc, e.symbolPrefix() + "_" + tag.str(),
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(b.getContext()),
                                  {ptrTy, ptrTy, ptrTy}),
      LLVM::Linkage::Internal);
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  int64_t n = int64_t(r.bias.size()), k = int64_t(r.weight.size()) / n;
  Geometry g = linearGeometry(tokens, k, n);
  SparseProduct p{r, g, nonzerosOf(r, g, /*conv=*/false, {}), tag.str() + "_"};
  if (csr)
    SparseCsrEmitter(e, p).emit(entry->getArgument(0), entry->getArgument(1),
                                entry->getArgument(2), packs);
  else
    SparseCodeEmitter(e, p).emit(entry->getArgument(0), entry->getArgument(1),
                                 entry->getArgument(2), packs);
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return fn;
}

/// A conv2d or fully_connected layer computed by `Emitter`.
template <typename Emitter>
static LogicalResult lowerSparseLayer(LayerEmitter &e, Operation *op,
                                      StringRef kernel) {
  FailureOr<ConvRules> r = getConvRules(op);
  if (failed(r))
    return failure();
  std::optional<Geometry> g = geometryOf(op);
  if (!g)
    return op->emitOpError()
           << kernel << " needs a conv2d (groups 1, no dilation) or a "
                        "fully_connected in logical order";
  SparseProduct p = productOf(op, *r, *g);
  Emitter(e, p).emit(e.ptrTo(op, op->getOperand(0)),
                     e.ptrTo(op, op->getResult(0)), e.scratch(op));
  return success();
}

LogicalResult lowerSparseCode(LayerEmitter &e, Operation *op) {
  return lowerSparseLayer<SparseCodeEmitter>(e, op, "sparse_code");
}

void sizesSparseCsr(Operation *op, WeightStorage, LayerCost &cost) {
  cost.kernelMacs = 0;
  addSparseCsrCost(*geometryOf(op), nonzeroCount(op), cost);
}

namespace {
void addSparseCsrCost(const Geometry &g, int64_t nnz, LayerCost &cost) {
  int64_t d = g.pairs(), passes = g.outH * g.passes();
  // Segments: one per channel, more in channels of many large weights.
  int64_t segments = g.outC + nnz / 160;
  // α covers the pairs' loads and SMLALs; per nonzero and pass the loop's
  // own five instructions; per segment and pass its end and the recovery;
  // per channel and pass its parameters and loop.
  cost.kernelMacs += nnz * passes * 2 * d;
  cost.instructions += 5 * g.packedWords() +
                       passes * (5 * (nnz + segments) +
                                 segments * (7 * d + 4) + 10 * g.outC);
  // The stream (a word per nonzero and per segment end), per channel its
  // bias and requantization (4 words, in the stream or a table), and the
  // code of the passes.
  cost.flashBytes += 4 * (nnz + segments) + 16 * g.outC + 400;
  cost.scratchBytes = std::max(cost.scratchBytes, g.packedBytes());
}
} // namespace

LogicalResult lowerSparseCsr(LayerEmitter &e, Operation *op) {
  return lowerSparseLayer<SparseCsrEmitter>(e, op, "sparse_csr");
}

//===----------------------------------------------------------------------===//
// sparse_rle: TinyFormer's run-length format, the baseline
//===----------------------------------------------------------------------===//

namespace {
/// The run-length stream of tfk_sparse_rle_s8: per row a 16-bit entry
/// count, the entries' weight bytes, then their 4-bit runs (two per byte,
/// low nibble first). An entry skips its run of inputs and multiplies the
/// next; a gap longer than 15 takes entries of weight 0 and run 15.
struct RleStream {
  std::vector<int8_t> bytes;
  int64_t entries = 0;
};
RleStream rleStream(ArrayRef<std::vector<Nonzero>> rows) {
  RleStream stream;
  std::vector<int8_t> &bytes = stream.bytes;
  for (const std::vector<Nonzero> &row : rows) {
    SmallVector<std::pair<int8_t, uint8_t>> entries;
    std::vector<Nonzero> byColumn = row;
    llvm::sort(byColumn, [](const Nonzero &a, const Nonzero &b) {
      return a.column < b.column;
    });
    int64_t at = 0;
    for (const Nonzero &z : byColumn) {
      for (; z.column - at > 15; at += 16)
        entries.push_back({0, 15});
      entries.push_back({int8_t(z.weight), uint8_t(z.column - at)});
      at = z.column + 1;
    }
    assert(entries.size() < (1u << 16) && "entry count in 16 bits");
    stream.entries += int64_t(entries.size());
    bytes.push_back(int8_t(entries.size() & 0xff));
    bytes.push_back(int8_t(entries.size() >> 8));
    for (auto [weight, run] : entries)
      bytes.push_back(weight);
    for (size_t i = 0; i < entries.size(); i += 2)
      bytes.push_back(int8_t(entries[i].second |
                             (i + 1 < entries.size() ? entries[i + 1].second << 4 : 0)));
  }
  return stream;
}

/// Whether a position's inputs are contiguous in the NHWC input (a 1x1
/// convolution without padding, a linear layer): no im2col column.
bool rleReadsInPlace(const Geometry &g) {
  return g.kh == 1 && g.kw == 1 && g.padT == 0 && g.padL == 0;
}
} // namespace

void sizesSparseRle(Operation *op, WeightStorage, LayerCost &cost) {
  Geometry g = *geometryOf(op);
  FailureOr<ConvRules> r = getConvRules(op);
  if (failed(r))
    return;
  SparseProduct p = productOf(op, *r, g);
  int64_t positions = g.outH * g.outW;
  RleStream stream = rleStream(p.rows);
  // α per entry and position (the run's decode, two loads and a multiply
  // in C: 6.5 instructions in the loop); β per output (the channel's loop and the
  // generic requantization); per position its column (a copy per tap);
  // the stream and per channel its parameters; the loop's code.
  cost.kernelMacs = stream.entries * positions;
  if (!rleReadsInPlace(g))
    cost.instructions += positions * g.kh * g.kw * (12 + g.c / 4);
  cost.flashBytes = int64_t(stream.bytes.size()) + 12 * g.outC + 300;
  if (!rleReadsInPlace(g))
    cost.scratchBytes = std::max(cost.scratchBytes, g.kh * g.kw * g.c);
}

LogicalResult lowerSparseRle(LayerEmitter &e, Operation *op) {
  FailureOr<ConvRules> r = getConvRules(op);
  if (failed(r))
    return failure();
  std::optional<Geometry> g = geometryOf(op);
  if (!g)
    return op->emitOpError() << "sparse_rle needs a conv2d (groups 1, no "
                                "dilation) or a fully_connected in logical order";
  SparseProduct p = productOf(op, *r, *g);
  std::vector<int32_t> params;
  for (auto [n, row] : llvm::enumerate(p.rows)) {
    // bias - zp * sum(w): the kernel reads the input raw.
    int64_t bias = r->bias[n];
    for (const Nonzero &z : row)
      bias -= int64_t(r->inZp) * z.weight;
    params.insert(params.end(),
                  {int32_t(bias), r->requant[n].mult, r->requant[n].shift});
  }
  Value stream = e.global("rle", ArrayRef<int8_t>(rleStream(p.rows).bytes));
  Value table = e.global("rle_params", ArrayRef<int32_t>(params));
  Value col = rleReadsInPlace(*g)
                  ? e.builder().create<LLVM::ZeroOp>(
                        e.location(), LLVM::LLVMPointerType::get(op->getContext()))
                  : e.scratch(op);
  SmallVector<Value> args = {e.ptrTo(op, op->getOperand(0)),
                             e.ptrTo(op, op->getResult(0)), col, stream, table};
  for (int64_t v : {g->inH, g->inW, g->c, g->outH, g->outW, g->outC, g->kh,
                    g->kw, g->sh, g->sw, g->padT, g->padL, int64_t(r->inZp),
                    int64_t(r->outZp), int64_t(r->act.min), int64_t(r->act.max)})
    args.push_back(e.i32(v));
  e.call("tfk_sparse_rle_s8", args);
  return success();
}

} // namespace tinyformer
