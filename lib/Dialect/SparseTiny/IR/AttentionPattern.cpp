//===- AttentionPattern.cpp - the decomposed self-attention pattern -------===//
//
// Head splits are checked by value, not by op shape: the index of every
// element is pushed through the reshape / transpose chain and compared with
// the layout the fused op assumes, so any spelling of the split matches.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {
namespace {

/// Element indices of a tensor pushed through reshapes and transposes.
struct IndexTensor {
  SmallVector<int64_t> shape;
  std::vector<int64_t> index;

  static IndexTensor iota(ArrayRef<int64_t> shape) {
    IndexTensor t;
    t.shape.assign(shape.begin(), shape.end());
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    t.index.resize(n);
    for (int64_t i = 0; i < n; ++i)
      t.index[i] = i;
    return t;
  }

  /// Applies `op` (a reshape, a transpose or a scale, which moves no
  /// element); false for anything else.
  bool apply(Operation *op) {
    if (isa<MulOp, DivOp>(op))
      return true;
    if (auto r = dyn_cast<ReshapeOp>(op)) {
      ArrayRef<int64_t> s = r.getOutput().getType().getShape();
      shape.assign(s.begin(), s.end());
      return true;
    }
    auto t = dyn_cast<TransposeOp>(op);
    if (!t)
      return false;
    ArrayRef<int64_t> perm = t.getPerm();
    int64_t rank = int64_t(shape.size());
    SmallVector<int64_t> outShape, inStride(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      inStride[d] = inStride[d + 1] * shape[d + 1];
    for (int64_t p : perm)
      outShape.push_back(shape[p]);
    std::vector<int64_t> out(index.size());
    SmallVector<int64_t> pos(rank, 0);
    for (size_t flat = 0; flat < out.size(); ++flat) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src += pos[d] * inStride[perm[d]];
      out[flat] = index[src];
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++pos[d] < outShape[d])
          break;
        pos[d] = 0;
      }
    }
    shape = outShape;
    index = std::move(out);
    return true;
  }
};

/// The value a chain of single-use reshapes / transposes starting at `v`
/// feeds into a fully_connected, and that op; the chain in `chain`.
FullyConnectedOp chainDownToLinear(Value v, SmallVectorImpl<Operation *> &chain) {
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    if (auto fc = dyn_cast<FullyConnectedOp>(user))
      return fc.getInput() == v ? fc : FullyConnectedOp();
    if (!isa<ReshapeOp, TransposeOp>(user))
      return {};
    chain.push_back(user);
    v = user->getResult(0);
  }
  return {};
}

/// Whether `chain`, applied to `src`, gives a tensor of `elements` elements
/// ending in the dims `trailing` (how the leading dims split batch and
/// heads does not matter) whose element f is the source's element
/// expectedAt(f) (flat row-major indices on both sides).
bool chainMatches(ArrayRef<Operation *> chain, Value src, int64_t elements,
                  ArrayRef<int64_t> trailing,
                  function_ref<int64_t(int64_t)> expectedAt) {
  IndexTensor t =
      IndexTensor::iota(cast<ShapedType>(src.getType()).getShape());
  for (Operation *op : chain)
    if (!t.apply(op))
      return false;
  if (int64_t(t.index.size()) != elements || t.shape.size() < trailing.size() ||
      ArrayRef<int64_t>(t.shape).take_back(trailing.size()) != trailing)
    return false;
  for (size_t i = 0; i < t.index.size(); ++i)
    if (t.index[i] != expectedAt(int64_t(i)))
      return false;
  return true;
}

bool hasClamp(Operation *op) {
  return op->hasAttr("clamp_min") || op->hasAttr("clamp_max");
}


} // namespace

std::optional<AttentionMatch> matchAttention(SoftmaxOp softmax,
                                             std::string *whyNot) {
  // Past the two products around the softmax, a mismatch has a reason.
  auto fail = [&](const Twine &why) -> std::optional<AttentionMatch> {
    if (whyNot)
      *whyNot = why.str();
    return std::nullopt;
  };
  // Attention-shaped: the softmax's result weighs values (A.V).
  auto sType = softmax.getInput().getType();
  int64_t rank = sType.getRank();
  MatMulOp av;
  for (Operation *user : softmax.getOutput().getUsers())
    if (auto mm = dyn_cast<MatMulOp>(user); mm && mm.getLhs() == softmax.getOutput())
      av = mm;
  if (!av)
    return std::nullopt;
  if (!softmax.getOutput().hasOneUse())
    return fail("the attention probabilities are used outside the block");
  if (int64_t(softmax.getAxis()) != rank - 1 || rank < 3)
    return fail("the softmax is not over the last axis of per-head scores");
  // Between Q·Kᵀ and the softmax: scales (a mul / div by a positive
  // constant scalar) and at most one add of a constant (a position bias or
  // a mask), in any order. Scales above the add scale the bias too.
  SmallVector<Operation *> scoreOps;
  Value scores = softmax.getInput();
  double scale = 1, biasFactor = 1;
  Value biasValue;
  while (Operation *def = scores.getDefiningOp()) {
    if (isa<MulOp, DivOp>(def)) {
      std::optional<double> c = constantScaleOf(def);
      if (!c || !(*c > 0))
        return fail("the scores are scaled by a tensor, not a positive constant");
      scale *= *c;
      if (!biasValue)
        biasFactor *= *c;
    } else if (isa<AddOp>(def) && !biasValue) {
      auto constant = [](Value v) { return bool(v.getDefiningOp<ConstantOp>()); };
      int constantSide = constant(def->getOperand(1))   ? 1
                         : constant(def->getOperand(0)) ? 0
                                                        : -1;
      if (constantSide < 0)
        return fail("a bias or mask computed at run time is added to the "
                    "scores");
      // (A QDQ model's bias is int8 codes: its values are not the bias.)
      if (!isa<FloatType>(getElementTypeOrSelf(def->getOperand(constantSide))))
        return fail("the score bias is a quantized constant: export it "
                    "unquantized (it stays float in the fused block)");
      biasValue = def->getOperand(constantSide);
      if (!scores.hasOneUse())
        return fail("the scores are used by more than the softmax");
      scoreOps.push_back(def);
      scores = def->getOperand(1 - constantSide);
      continue;
    } else {
      break;
    }
    if (!scores.hasOneUse())
      return fail("the scores are used by more than the softmax");
    scoreOps.push_back(def);
    scores = def->getOperand(0);
  }
  auto qk = scores.getDefiningOp<MatMulOp>();
  if (!qk)
    return fail(isa_and_nonnull<AddOp, SubOp>(scores.getDefiningOp())
                    ? "a second bias, or a subtraction, on the scores"
                    : "the scores are not Q.K^T times a constant");
  if (!scores.hasOneUse())
    return fail("the scores are used by more than the softmax");

  // The output projection, after the head merge.
  SmallVector<Operation *> merge;
  FullyConnectedOp out = chainDownToLinear(av.getOutput(), merge);
  if (!out)
    return fail("the heads' results do not reach one output projection "
                "through reshapes / transposes only");
  if (!out.getBias())
    return fail("the output projection has no bias");
  auto outType = cast<RankedTensorType>(out.getOutput().getType());
  int64_t e = outType.getShape().back();
  int64_t s = sType.getShape()[rank - 1];
  if (sType.getShape()[rank - 2] != s)
    return fail("not self-attention (scores " +
                Twine(sType.getShape()[rank - 2]) + "x" + Twine(s) +
                ": cross-attention)");
  // B independent sequences of S tokens.
  int64_t batch = outType.getNumElements() / (s * e);
  if (outType.getNumElements() != batch * s * e)
    return fail("the output is not whole sequences of " + Twine(s) +
                " tokens of width " + Twine(e));
  // Projections (or, for K, the input itself: fused-weight attention).
  // A float Q or K may be scaled on its way (timm's `q * scale`; torch's
  // SDPA export scales both by sqrt(scale)): scaling Q or K scales the
  // scores, so the factor joins `scale` and the op stays in the chain.
  auto preScale = [&](Operation *def) -> std::optional<double> {
    if (!def || !isa<MulOp, DivOp>(def) ||
        !isa<FloatType>(getElementTypeOrSelf(def->getResult(0))) ||
        def->getResult(0).getType() != def->getOperand(0).getType())
      return std::nullopt;
    std::optional<double> c = constantScaleOf(def);
    return c && *c > 0 ? c : std::nullopt;
  };
  auto linearAbove = [&](Value v, SmallVectorImpl<Operation *> &chain,
                         Value &source, bool scalesScores) -> FullyConnectedOp {
    Value cur = v;
    while (cur.hasOneUse() || cur == v) {
      Operation *def = cur.getDefiningOp();
      if (auto fc = dyn_cast_or_null<FullyConnectedOp>(def)) {
        source = cur;
        std::reverse(chain.begin(), chain.end());
        return fc;
      }
      if (!cur.hasOneUse())
        break;
      if (std::optional<double> c = scalesScores ? preScale(def) : std::nullopt)
        scale *= *c;
      else if (!def || !isa<ReshapeOp, TransposeOp>(def))
        break;
      chain.push_back(def);
      cur = def->getOperand(0);
    }
    source = cur;
    std::reverse(chain.begin(), chain.end());
    return {};
  };
  SmallVector<Operation *> qChain, kChain, vChain;
  Value qSrc, kSrc, vSrc;
  FullyConnectedOp qFc = linearAbove(qk.getLhs(), qChain, qSrc, true);
  FullyConnectedOp kFc = linearAbove(qk.getRhs(), kChain, kSrc, true);
  FullyConnectedOp vFc = linearAbove(av.getRhs(), vChain, vSrc, false);
  if (!qFc || !vFc)
    return fail(Twine(qFc ? "V" : "Q") +
                " does not come from a linear layer through reshapes / "
                "transposes / constant scales only");
  if (!qSrc.hasOneUse() || !vSrc.hasOneUse())
    return fail("a projection's result is used outside the block");
  Value x = qFc.getInput();
  bool fused = !kFc;
  if (fused) {
    // K is the input: the chain must start at x itself.
    if (kSrc != x)
      return fail("K is neither a linear layer nor the input of Q's");
  } else if (kFc.getInput() != x || !kSrc.hasOneUse()) {
    return fail("Q, K and V are not projections of one input");
  }
  // B sequences of S tokens of width E, batch-first or seq-first, in any
  // token-major shape ([S, E], [1, S, E], [B, S, E], [S, B, E], [B*S, E]):
  // buildAttention reshapes and transposes.
  auto xType = cast<ShapedType>(x.getType());
  if (vFc.getInput() != x)
    return fail("Q, K and V are not projections of one input");
  if (xType.getShape().back() != e || xType.getNumElements() != batch * s * e)
    return fail("the input is not " + Twine(batch) + " sequence(s) of " +
                Twine(s) + " tokens of width " + Twine(e));
  for (FullyConnectedOp fc : {qFc, kFc, vFc, out}) {
    if (!fc)
      continue;
    if (!fc.getBias() || fc.getBias().getType().getRank() != 1)
      return fail("a projection has no bias vector");
    if (fc != out && hasClamp(fc))
      return fail("a Q / K / V projection has a fused activation");
  }

  // Heads and head width from the products: [.., H, S, D] x [.., D, S].
  ArrayRef<int64_t> lhsShape = qk.getLhs().getType().getShape();
  int64_t d = lhsShape.back();
  int64_t heads = qk.getOutput().getType().getNumElements() / (batch * s * s);
  if (heads < 1 || e % heads != 0)
    return fail(Twine(heads) + " heads do not divide the width " + Twine(e));
  int64_t p = e / heads;
  if (d != (fused ? e : p) ||
      av.getOutput().getType().getNumElements() != batch * heads * s * p)
    return fail("the head width differs between Q.K^T and A.V");
  int64_t qCols = cast<ShapedType>(qSrc.getType()).getShape().back();
  if (qCols != heads * d)
    return fail("Q's width is not heads x head width");

  // The bias over the scores [B, H, S, S] (any broadcastable shape): the
  // same for every sequence, per head or for all.
  std::vector<float> bias;
  int64_t biasHeads = 0;
  if (biasValue) {
    std::vector<float> values = *getConstantFloats(biasValue);
    ArrayRef<int64_t> bShape = cast<ShapedType>(biasValue.getType()).getShape();
    ArrayRef<int64_t> sShape = sType.getShape();
    if (bShape.size() > sShape.size())
      return fail("the score bias has more dims than the scores");
    // Strides of the bias over the scores' dims (0 where it broadcasts).
    SmallVector<int64_t> stride(sShape.size(), 0);
    int64_t st = 1, off = int64_t(sShape.size() - bShape.size());
    for (int64_t d = int64_t(bShape.size()) - 1; d >= 0; --d) {
      stride[off + d] = bShape[d] == 1 ? 0 : st;
      st *= bShape[d];
    }
    std::vector<float> full(batch * heads * s * s);
    SmallVector<int64_t> pos(sShape.size(), 0);
    for (float &v : full) {
      int64_t at = 0;
      for (size_t d = 0; d < pos.size(); ++d)
        at += pos[d] * stride[d];
      v = float(values[at] * biasFactor);
      for (int64_t d = int64_t(pos.size()) - 1; d >= 0; --d) {
        if (++pos[d] < sShape[d])
          break;
        pos[d] = 0;
      }
    }
    int64_t perHead = s * s, perSeq = heads * perHead;
    for (int64_t i = perSeq; i < int64_t(full.size()); ++i)
      if (full[i] != full[i % perSeq])
        return fail("the score bias differs between the sequences of the batch");
    biasHeads = 1;
    for (int64_t i = perHead; i < perSeq && biasHeads == 1; ++i)
      if (full[i] != full[i % perHead])
        biasHeads = heads;
    bias.assign(full.begin(), full.begin() + biasHeads * perHead);
  }

  // Check each chain element by element, with token i of sequence b at row
  // tokenRow(b, i) of the projections' input (and output).
  auto tokenRow = [&](bool seqFirst, int64_t b, int64_t i) {
    return seqFirst ? i * batch + b : b * s + i;
  };
  auto projectionsMatch = [&](bool seqFirst) -> std::optional<std::string> {
    // Q: [b][h][i][c] <- q[row(b, i)][h*D + c].
    if (!chainMatches(qChain, qSrc, batch * heads * s * d, {s, d},
                      [&](int64_t f) {
                        int64_t c = f % d, i = (f / d) % s,
                                h = (f / (d * s)) % heads,
                                b = f / (d * s * heads);
                        return tokenRow(seqFirst, b, i) * heads * d + h * d + c;
                      }))
      return std::string("Q's reshapes / transposes are not a head split");
    // K: [b][h][c][j] <- k[row(b, j)][h*P + c]; fused: [b][c][j] <- x[row][c].
    if (fused) {
      if (!chainMatches(kChain, kSrc, batch * e * s, {e, s}, [&](int64_t f) {
            int64_t j = f % s, c = (f / s) % e, b = f / (s * e);
            return tokenRow(seqFirst, b, j) * e + c;
          }))
        return std::string("K's reshapes / transposes are not X^T");
    } else if (!chainMatches(kChain, kSrc, batch * heads * p * s, {p, s},
                             [&](int64_t f) {
                               int64_t j = f % s, c = (f / s) % p,
                                       h = (f / (s * p)) % heads,
                                       b = f / (s * p * heads);
                               return tokenRow(seqFirst, b, j) * e + h * p + c;
                             })) {
      return std::string(
          "K's reshapes / transposes are not a transposed head split");
    }
    // V: [b][h][j][c] <- v[row(b, j)][h*P + c].
    if (!chainMatches(vChain, vSrc, batch * heads * s * p, {s, p},
                      [&](int64_t f) {
                        int64_t c = f % p, j = (f / p) % s,
                                h = (f / (p * s)) % heads,
                                b = f / (p * s * heads);
                        return tokenRow(seqFirst, b, j) * e + h * p + c;
                      }))
      return std::string("V's reshapes / transposes are not a head split");
    return std::nullopt;
  };
  // Merge: out[row(b, i)][h*P + c] <- ctx[b][h][i][c].
  auto mergeMatches = [&](bool seqFirst) {
    return chainMatches(merge, av.getOutput(), batch * s * e, {e},
                        [&](int64_t f) {
                          int64_t col = f % e, row = f / e;
                          int64_t b = seqFirst ? row % batch : row / s;
                          int64_t i = seqFirst ? row / batch : row % s;
                          int64_t h = col / p, c = col % p;
                          return ((b * heads + h) * s + i) * p + c;
                        });
  };
  // One sequence has one order; a batch may come either way.
  bool inputSeqFirst = false, outputSeqFirst = false;
  if (std::optional<std::string> why = projectionsMatch(false)) {
    if (batch == 1 || projectionsMatch(true))
      return fail(*why);
    inputSeqFirst = true;
  }
  if (!mergeMatches(false)) {
    if (batch == 1 || !mergeMatches(true))
      return fail("the heads' results are not merged back as [tokens, "
                  "heads x head width]");
    outputSeqFirst = true;
  }

  AttentionMatch m;
  m.softmax = softmax;
  m.qk = qk;
  m.av = av;
  m.out = out;
  m.qFc = qFc;
  m.kFc = kFc;
  m.vFc = vFc;
  m.x = x;
  m.qSrc = qSrc;
  m.kSrc = kSrc;
  m.vSrc = vSrc;
  m.scale = scale;
  m.heads = heads;
  m.tokens = s;
  m.embed = e;
  m.batch = batch;
  m.inputSeqFirst = inputSeqFirst;
  m.outputSeqFirst = outputSeqFirst;
  m.qChain = qChain;
  m.kChain = kChain;
  m.vChain = vChain;
  m.merge = merge;
  m.scoreOps = scoreOps;
  m.bias = std::move(bias);
  m.biasHeads = biasHeads;
  return m;
}

int64_t attentionMacs(MultiHeadAttentionOp op) {
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  int64_t s = in[in.size() - 2], e = in.back();
  int64_t batch = op.getInput().getType().getNumElements() / (s * e);
  int64_t h = int64_t(op.getNumHeads()), p = e / h;
  int64_t d = op.getFusedQk() ? e : p;
  return batch * (s * e * (h * d + (op.getFusedQk() ? 0 : e) + 2 * e) +
                  h * s * s * (d + p));
}

std::optional<double> constantScaleOf(Operation *op) {
  if (!isa<MulOp, DivOp>(op))
    return std::nullopt;
  std::optional<std::vector<float>> c = getConstantFloats(op->getOperand(1));
  if (!c || c->empty() ||
      llvm::any_of(*c, [&](float v) { return v != c->front(); }))
    return std::nullopt;
  double v = c->front();
  return isa<DivOp>(op) ? 1.0 / v : v;
}

Value buildAttention(OpBuilder &b, AttentionMatch &m, bool withTypes) {
  auto elementOf = [](Value v) { return getElementTypeOrSelf(v.getType()); };
  bool fused = !m.kFc;
  NamedAttrList attrs;
  attrs.append("num_heads", b.getI64IntegerAttr(m.heads));
  attrs.append("scale", b.getF32FloatAttr(float(m.scale)));
  if (fused)
    attrs.append("fused_qk", b.getUnitAttr());
  // A fused activation of the output projection stays with the block.
  for (StringRef clamp : {"clamp_min", "clamp_max"})
    if (Attribute a = m.out->getAttr(clamp))
      attrs.append(clamp, a);
  if (withTypes) {
    attrs.append("query_type", TypeAttr::get(elementOf(m.qSrc)));
    attrs.append("key_type", TypeAttr::get(elementOf(m.kSrc)));
    attrs.append("value_type", TypeAttr::get(elementOf(m.vSrc)));
    attrs.append("score_type", TypeAttr::get(elementOf(m.softmax.getInput())));
    attrs.append("context_type", TypeAttr::get(elementOf(m.av.getOutput())));
  }
  // The layer keeps the name of the block's softmax, ending in "mhsa".
  Location loc = m.out.getLoc();
  if (auto name = dyn_cast<NameLoc>(m.softmax.getLoc())) {
    StringRef n = name.getName().getValue();
    loc = NameLoc::get(b.getStringAttr(n.substr(0, n.rfind('/') + 1) + "mhsa"));
  }
  // The op takes [S, E] or [B, S, E]; other token-major shapes (torch's
  // seq-first [S, B, E]) are reshaped, and transposed, on the way in and out.
  auto outType = cast<RankedTensorType>(m.out.getOutput().getType());
  auto ioType = outType;
  if (!(m.batch == 1 && (outType.getRank() == 2 ||
                         (outType.getRank() == 3 && outType.getDimSize(0) == 1))))
    ioType = outType.clone({m.batch, m.tokens, m.embed});
  // [S, B, E] <-> [B, S, E]
  auto swapBatch = [&](Value v) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    ArrayRef<int64_t> shape = type.getShape();
    return b.create<TransposeOp>(loc, type.clone({shape[1], shape[0], shape[2]}),
                                 v, b.getDenseI64ArrayAttr({1, 0, 2}));
  };
  auto reshape = [&](Value v, ArrayRef<int64_t> shape) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    return type.getShape() == shape
               ? v
               : b.create<ReshapeOp>(loc, type.clone(shape), v).getResult();
  };
  Value x = m.x;
  if (m.inputSeqFirst)
    x = swapBatch(reshape(x, {m.tokens, m.batch, m.embed}));
  x = reshape(x, ioType.getShape());
  SmallVector<Value> operands = {x, m.qFc.getWeight(), m.qFc.getBias()};
  if (!fused) {
    operands.push_back(m.kFc.getWeight());
    operands.push_back(m.kFc.getBias());
  }
  for (Value v : {m.vFc.getWeight(), m.vFc.getBias(), m.out.getWeight(),
                  m.out.getBias()})
    operands.push_back(v);
  if (m.biasHeads)
    operands.push_back(createFloatConstant(
        b, loc, RankedTensorType::get({m.biasHeads, m.tokens, m.tokens},
                                      b.getF32Type()),
        m.bias));
  int32_t k = fused ? 0 : 1;
  attrs.append("operandSegmentSizes",
               b.getDenseI32ArrayAttr(
                   {1, 1, 1, k, k, 1, 1, 1, 1, m.biasHeads ? 1 : 0}));
  Value y = b.create<MultiHeadAttentionOp>(loc, TypeRange{ioType}, operands,
                                           attrs.getAttrs());
  if (m.outputSeqFirst)
    y = swapBatch(y);
  return reshape(y, outType.getShape());
}

Value expandAttention(OpBuilder &b, MultiHeadAttentionOp op) {
  Location loc = op.getLoc();
  auto inType = op.getInput().getType();
  int64_t s = inType.getShape()[inType.getRank() - 2], e = inType.getShape().back();
  int64_t n = inType.getNumElements() / (s * e); // sequences
  int64_t h = int64_t(op.getNumHeads()), p = e / h;
  bool fused = op.getFusedQk();
  Type f32 = b.getF32Type();
  auto t = [&](ArrayRef<int64_t> shape) { return RankedTensorType::get(shape, f32); };
  auto perm = [&](ArrayRef<int64_t> p) { return b.getDenseI64ArrayAttr(p); };
  Value x = op.getInput();
  if (inType.getRank() == 2)
    x = b.create<ReshapeOp>(loc, t({1, s, e}), x);
  // [N, S, H*D] -> [N, H, S, D]
  auto heads = [&](Value v, int64_t d) -> Value {
    Value r = b.create<ReshapeOp>(loc, t({n, s, h, d}), v);
    return b.create<TransposeOp>(loc, t({n, h, s, d}), r, perm({0, 2, 1, 3}));
  };
  int64_t d = fused ? e : p;
  Value q = b.create<FullyConnectedOp>(loc, t({n, s, h * d}), x, op.getQWeight(),
                                       op.getQBias());
  Value qt = heads(q, d);
  Value kt;
  if (fused) {
    Value xt = b.create<TransposeOp>(loc, t({n, e, s}), x, perm({0, 2, 1}));
    kt = b.create<ReshapeOp>(loc, t({n, 1, e, s}), xt);
  } else {
    Value k = b.create<FullyConnectedOp>(loc, t({n, s, e}), x, op.getKWeight(),
                                         op.getKBias());
    Value k4 = b.create<ReshapeOp>(loc, t({n, s, h, p}), k);
    kt = b.create<TransposeOp>(loc, t({n, h, p, s}), k4, perm({0, 2, 3, 1}));
  }
  Value v = b.create<FullyConnectedOp>(loc, t({n, s, e}), x, op.getVWeight(),
                                       op.getVBias());
  Value vt = heads(v, p);
  Value scores = b.create<MatMulOp>(loc, t({n, h, s, s}), qt, kt);
  float scale = op.getScale().convertToFloat();
  if (scale != 1.0f) {
    Value c = createFloatConstant(b, loc, t({}), {scale});
    scores = b.create<MulOp>(loc, t({n, h, s, s}), scores, c);
  }
  if (Value bias = op.getScoreBias())
    scores = b.create<AddOp>(loc, t({n, h, s, s}), scores, bias);
  Value probs = b.create<SoftmaxOp>(loc, t({n, h, s, s}), scores,
                                    b.getI64IntegerAttr(3));
  Value ctx = b.create<MatMulOp>(loc, t({n, h, s, p}), probs, vt);
  Value merged = b.create<TransposeOp>(loc, t({n, s, h, p}), ctx, perm({0, 2, 1, 3}));
  Value flat = b.create<ReshapeOp>(loc, t({n, s, e}), merged);
  auto out = b.create<FullyConnectedOp>(loc, t({n, s, e}), flat, op.getOWeight(),
                                        op.getOBias(), op.getClampMinAttr(),
                                        op.getClampMaxAttr());
  if (inType.getRank() == 2)
    return b.create<ReshapeOp>(loc, inType, out);
  return out;
}

SmallVector<Operation *> attentionOpsToErase(AttentionMatch &m) {
  SmallVector<Operation *> ops = {m.out};
  ops.append(m.merge.rbegin(), m.merge.rend());
  ops.push_back(m.av);
  ops.push_back(m.softmax);
  ops.append(m.scoreOps.begin(), m.scoreOps.end());
  ops.push_back(m.qk);
  for (auto *chain : {&m.qChain, &m.kChain, &m.vChain})
    ops.append(chain->rbegin(), chain->rend());
  ops.push_back(m.qFc);
  if (m.kFc)
    ops.push_back(m.kFc);
  ops.push_back(m.vFc);
  return ops;
}

} // namespace tinyformer
