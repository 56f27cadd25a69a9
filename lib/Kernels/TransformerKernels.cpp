//===- TransformerKernels.cpp - mhsa, batch matmul, softmax, layer norm ---===//
#include "KernelFamilies.h"

#include "tfk/kernels.h"
#include "tfk/pack.h"
#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Kernels/LayerEmitter.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer {

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

bool servesMhsa(Operation *op) { return isa<MultiHeadAttentionOp>(op); }

bool servesBatchMatmul(Operation *op) {
  // The kernel reads row-major matrices: not NHWC 4-D tensors.
  auto m = dyn_cast<MatMulOp>(op);
  auto ok = [](ShapedType t) {
    return t.getRank() <= 4 && storedInLogicalOrder(t);
  };
  return m && ok(m.getLhs().getType()) && ok(m.getRhs().getType()) &&
         ok(m.getOutput().getType());
}

bool servesSoftmax(Operation *op) {
  auto s = dyn_cast<SoftmaxOp>(op);
  return s && storedInLogicalOrder(s.getInput().getType());
}

bool servesLayerNorm(Operation *op) {
  auto l = dyn_cast<LayerNormOp>(op);
  return l && int64_t(l.getAxis()) == l.getInput().getType().getRank() - 1 &&
         storedInLogicalOrder(l.getInput().getType());
}

/// Instructions a score bias adds per score: its read and add, and the
/// scalar, masking softmax (median of 24 random biased blocks on the M7,
/// `random_layers.py --kind mhsa_bias --seed 3`, against unbiased ones).
constexpr int64_t kBiasedScore = 33;

/// The attention kernel's work beside its MACs: per score its softmax and
/// requantization, per element of [S, E] the int16 conversions and
/// transposes of K, V and Q and the projections' requantization, per head
/// its setup. Least squares (with the rates' α, per head fixed at 1000) to
/// model-sized blocks (bench/attention_corpus.py --cases 20 --seed 5: S
/// 16-149, E 32-128, 1-4 heads, 40 runs on both CPUs; median error 1.4%,
/// p90 2.9%, where the previous fit to the calibration corpus' blocks of
/// 1-40 tokens over-estimated them by a median 20%). Each sequence of a
/// batch pays all of it.
constexpr int64_t kAttentionPerElement = 104;
static int64_t attentionOverhead(const AttentionShape &a) {
  // A score bias: its add per score and the scalar, masking softmax.
  int64_t perScore = a.biasHeads ? 20 + kBiasedScore : 20;
  return a.batch * (perScore * a.heads * a.tokens * a.tokens +
                    kAttentionPerElement * a.tokens * a.embed + 1000 * a.heads);
}

/// Flash of the score bias table (int16).
static int64_t scoreBiasBytes(const AttentionShape &a) {
  return 2 * a.biasHeads * a.tokens * a.tokens;
}

void sizesMhsa(Operation *op, WeightStorage storage, LayerCost &cost) {
  int32_t variant = storage == WeightStorage::int16 ? TFK_W_INT16 : TFK_W_INT8;
  AttentionShape a = attentionShape(op);
  cost.instructions += attentionOverhead(a);
  cost.flashBytes = int64_t(tfk_mhsa_packed_bytes(
                        int32_t(a.embed), int32_t(a.heads),
                        int32_t(a.headsPerStep), a.fusedQk, variant)) +
                    8 * (a.heads * (a.fusedQk ? a.embed : a.embed / a.heads) +
                         (a.fusedQk ? 0 : a.embed) + 2 * a.embed) +
                    256 * 4 + scoreBiasBytes(a);
  cost.scratchBytes = attentionScratchBytes(a);
}

void sizesBatchMatmul(Operation *op, WeightStorage, LayerCost &cost) {
  auto m = cast<MatMulOp>(op);
  ArrayRef<int64_t> l = m.getLhs().getType().getShape(),
                    r = m.getRhs().getType().getShape();
  cost.scratchBytes = int64_t(tfk_batch_matmul_scratch_bytes(
      int32_t(l[l.size() - 2]), int32_t(l.back()), int32_t(r.back())));
}

void sizesSoftmax(Operation *, WeightStorage, LayerCost &cost) {
  cost.flashBytes = 256 * 4;
}

void sizesLayerNorm(Operation *op, WeightStorage, LayerCost &cost) {
  // int16 gamma and int32 beta per channel (the 384-byte reciprocal square
  // root table is shared by every LayerNorm of the model).
  int64_t c = shapeOf(op->getOperand(0)).back();
  cost.flashBytes = 6 * c;
  // Per token: the reciprocal square root and the loops' set-up (measured
  // from the generated code: about 45 instructions); per element: the
  // registry's rate.
  cost.instructions += 45 * (elementsOf(op->getResult(0)) / c);
}

/// The kernels' last three arguments: the score bias table (int16, a null
/// pointer without one), its number of heads and its shift.
static std::array<Value, 3> scoreBiasArgs(LayerEmitter &em,
                                          const AttentionRules &r) {
  if (!r.biasHeads)
    return {em.builder().create<LLVM::ZeroOp>(
                em.location(), LLVM::LLVMPointerType::get(em.builder().getContext())),
            em.i32(0), em.i32(0)};
  return {em.global("score_bias", ArrayRef<int16_t>(r.scoreBias)),
          em.i32(r.biasHeads), em.i32(r.biasShift)};
}

static LogicalResult lowerAttentionOp(LayerEmitter &em, MultiHeadAttentionOp op) {
  FailureOr<AttentionRules> r = getAttentionRules(op);
  if (failed(r))
    return failure();
  AttentionShape a = attentionShape(op);
  int32_t s = int32_t(a.tokens), e = int32_t(a.embed), h = int32_t(a.heads);
  int32_t variant = variantOf(op);
  std::vector<int8_t> blob(tfk_mhsa_packed_bytes(
      e, h, int32_t(a.headsPerStep), a.fusedQk, variant));
  tfk_pack_mhsa(r->q.weight.data(), r->q.bias.data(),
                a.fusedQk ? nullptr : r->k.weight.data(),
                a.fusedQk ? nullptr : r->k.bias.data(), r->v.weight.data(),
                r->v.bias.data(), r->o.weight.data(), r->o.bias.data(), r->xZp,
                r->cZp, e, h, int32_t(a.headsPerStep), a.fusedQk, variant,
                blob.data());
  // mult then shift, in order q, k (unless fused), v, o.
  std::vector<int32_t> rq;
  for (const ConvRules *c : {&r->q, &r->k, &r->v, &r->o}) {
    if (c == &r->k && a.fusedQk)
      continue;
    std::vector<int32_t> m = multsOf(c->requant), sh = shiftsOf(c->requant);
    rq.insert(rq.end(), m.begin(), m.end());
    rq.insert(rq.end(), sh.begin(), sh.end());
  }
  Value packed = em.global("packed", ArrayRef<int8_t>(blob));
  Value rqTable = em.global("rq", ArrayRef<int32_t>(rq));
  Value expTable = em.global("exp", ArrayRef<int32_t>(r->softmax.expTable));
  Value x = em.ptrTo(op, op.getInput()), y = em.ptrTo(op, op.getOutput());
  Value scratch = em.scratch(op);
  std::array<Value, 3> bias = scoreBiasArgs(em, *r);
  // One kernel call per sequence of the batch.
  em.repeat(a.batch, [&](Value seq) {
    SmallVector<Value> args = {em.at(x, seq, s * e), em.at(y, seq, s * e),
                               packed, rqTable, expTable, scratch};
    for (int64_t v :
         {int64_t(s), int64_t(e), int64_t(h), a.headsPerStep, a.rowsPerStep,
          int64_t(a.fusedQk), int64_t(r->xZp), int64_t(r->qZp),
          int64_t(r->kZp), int64_t(r->vZp), int64_t(r->sZp),
          int64_t(r->score.mult), int64_t(r->score.shift),
          int64_t(r->softmax.out.mult), int64_t(r->softmax.out.shift),
          int64_t(r->cZp), int64_t(r->context.mult),
          int64_t(r->context.shift), int64_t(r->outZp), int64_t(r->act.min),
          int64_t(r->act.max), int64_t(variant)})
      args.push_back(em.i32(v));
    args.append(bias.begin(), bias.end());
    em.call("tfk_mhsa_s8", args);
  });
  return success();
}

LogicalResult lowerMhsa(LayerEmitter &e, Operation *op) {
  return lowerAttentionOp(e, cast<MultiHeadAttentionOp>(op));
}

//===----------------------------------------------------------------------===//
// sparse_mhsa: the attention kernel with pruned projections as sparse code
//===----------------------------------------------------------------------===//

/// The projection weights of an mhsa, in the order q, k, v, o.
static SmallVector<Value> projectionWeights(MultiHeadAttentionOp op) {
  return {op.getQWeight(), op.getKWeight(), op.getVWeight(), op.getOWeight()};
}

bool servesSparseMhsa(Operation *op) {
  auto m = dyn_cast<MultiHeadAttentionOp>(op);
  // Fused-weight attention's query projection is not a linear layer of x.
  if (!m || m.getFusedQk())
    return false;
  bool zeros = false;
  for (Value w : projectionWeights(m)) {
    int64_t nnz = weightNonzeros(w);
    if (nnz < 0)
      return false;
    zeros |= nnz < cast<ShapedType>(w.getType()).getNumElements();
  }
  return zeros;
}

/// Scratch: the attention kernel's, then (8-byte aligned) the packed input
/// of the projections.
static int64_t projectionPackOffset(const AttentionShape &a) {
  return (attentionScratchBytes(a) + 7) / 8 * 8;
}

/// sparse_mhsa's cost with projections as code, or as streams (`csr`).
static void sizesSparseAttention(Operation *op, bool csr, LayerCost &cost) {
  auto m = cast<MultiHeadAttentionOp>(op);
  AttentionShape a = attentionShape(op);
  // The attention between the projections (Q.K^T and P.V) and its
  // overhead, less the dense projections' share of the per-element term
  // (their input conversion and requantization, and what the dense fit's
  // α leaves to that term): 32 per element of [S, E] remain, as before the
  // dense refit; per projection the sparse code's work, with two packs of
  // the four (x once for Q, K and V, the context once for the output
  // projection).
  int64_t tokens = a.batch * a.tokens;
  cost.kernelMacs = 2 * tokens * a.tokens * a.embed;
  cost.instructions +=
      attentionOverhead(a) - (kAttentionPerElement - 32) * tokens * a.embed;
  LayerCost projections;
  for (Value w : projectionWeights(m))
    addSparseLinearCost(tokens, a.embed, a.embed, weightNonzeros(w), csr,
                        projections);
  cost.kernelMacs += projections.kernelMacs;
  cost.instructions += projections.instructions / 2;
  // A stream's requantization reads its parameters (sparse_csr's β).
  if (csr)
    cost.instructions += 14 * 4 * tokens * a.embed;
  cost.flashBytes = projections.flashBytes + 256 * 4 + 64 * (3 * a.heads + 1) +
                    scoreBiasBytes(a);
  cost.scratchBytes = projectionPackOffset(a) +
                      sparseLinearPackedBytes(a.tokens, a.embed);
}

void sizesSparseMhsa(Operation *op, WeightStorage, LayerCost &cost) {
  sizesSparseAttention(op, /*csr=*/false, cost);
}

void sizesSparseMhsaCsr(Operation *op, WeightStorage, LayerCost &cost) {
  sizesSparseAttention(op, /*csr=*/true, cost);
}

/// sparse_mhsa's lowering with projections as code, or as streams (`csr`).
static LogicalResult lowerSparseAttention(LayerEmitter &em, Operation *op,
                                          bool csr) {
  auto m = cast<MultiHeadAttentionOp>(op);
  FailureOr<AttentionRules> r = getAttentionRules(op);
  if (failed(r))
    return failure();
  AttentionShape a = attentionShape(op);
  int64_t s = a.tokens, e = a.embed, h = a.heads, hs = a.headsPerStep;
  int64_t p = e / h, groups = h / hs;
  // One function per projection and group of heads: Q, K, V read x (packed
  // once, below), the output projection packs the context itself.
  auto slice = [&](const ConvRules &full, int64_t first, int64_t rows,
                   int32_t inZp, int32_t outZp, ActRange act) {
    ConvRules part;
    part.inZp = inZp;
    part.outZp = outZp;
    part.act = act;
    int64_t k = int64_t(full.weight.size()) / int64_t(full.bias.size());
    part.weight.assign(full.weight.begin() + first * k,
                       full.weight.begin() + (first + rows) * k);
    part.bias.assign(full.bias.begin() + first, full.bias.begin() + first + rows);
    part.requant.assign(full.requant.begin() + first,
                        full.requant.begin() + first + rows);
    return part;
  };
  ActRange any{-128, 127};
  SmallVector<LLVM::LLVMFuncOp> fns; // index: which * groups + group
  const char *names[] = {"q", "k", "v"};
  const ConvRules *rules[] = {&r->q, &r->k, &r->v};
  int32_t zps[] = {r->qZp, r->kZp, r->vZp};
  for (int which = 0; which < 3; ++which)
    for (int64_t g = 0; g < groups; ++g) {
      ConvRules part = slice(*rules[which], g * hs * p, hs * p, r->xZp,
                             zps[which], any);
      fns.push_back(emitSparseLinearFn(
          em, std::string(names[which]) + std::to_string(g), part, s,
          /*packs=*/false, csr));
    }
  ConvRules o = slice(r->o, 0, e, r->cZp, r->outZp, r->act);
  fns.push_back(emitSparseLinearFn(em, "o", o, s, /*packs=*/true, csr));

  // The dispatcher tfk_mhsa_sparse_s8 calls: proj(which, group, in, out,
  // packed).
  OpBuilder &b = em.builder();
  Location loc = em.location();
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  Type i32 = b.getI32Type();
  LLVM::LLVMFuncOp dispatch;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(em.getModule().getBody());
    dispatch = b.create<LLVM::LLVMFuncOp>(
        loc, em.symbolPrefix() + "_projections",
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(b.getContext()),
                                    {i32, i32, ptrTy, ptrTy, ptrTy}),
        LLVM::Linkage::Internal);
    Block *entry = dispatch.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    Value index = b.create<LLVM::AddOp>(
        loc, b.create<LLVM::MulOp>(loc, entry->getArgument(0), em.i32(groups)),
        entry->getArgument(1));
    ValueRange args = entry->getArguments().drop_front(2);
    for (auto [i, fn] : llvm::enumerate(fns)) {
      Block *call = dispatch.addBlock(), *next = dispatch.addBlock();
      Value is = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, index,
                                        em.i32(int64_t(i)));
      b.create<LLVM::CondBrOp>(loc, is, call, next);
      b.setInsertionPointToStart(call);
      b.create<LLVM::CallOp>(loc, fn, args);
      b.create<LLVM::ReturnOp>(loc, ValueRange{});
      b.setInsertionPointToStart(next);
    }
    b.create<LLVM::ReturnOp>(loc, ValueRange{});
  }

  Value input = em.ptrTo(op, m.getInput()), output = em.ptrTo(op, m.getOutput());
  Value scratch = em.scratch(op);
  Value packed = em.at(scratch, projectionPackOffset(a));
  Value expTable = em.global("exp", ArrayRef<int32_t>(r->softmax.expTable));
  ConvRules xRules;
  xRules.inZp = r->xZp;
  std::array<Value, 3> bias = scoreBiasArgs(em, *r);
  // Per sequence of the batch: its packed input, then the kernel.
  em.repeat(a.batch, [&](Value seq) {
    Value x = em.at(input, seq, s * e);
    emitSparseLinearPack(em, x, packed, xRules, s, e);
    SmallVector<Value> args = {x, em.at(output, seq, s * e), expTable, scratch};
    for (int64_t v : {s, e, h, hs, a.rowsPerStep, int64_t(r->xZp),
                      int64_t(r->qZp), int64_t(r->kZp), int64_t(r->vZp),
                      int64_t(r->sZp), int64_t(r->score.mult),
                      int64_t(r->score.shift), int64_t(r->softmax.out.mult),
                      int64_t(r->softmax.out.shift), int64_t(r->cZp),
                      int64_t(r->context.mult), int64_t(r->context.shift)})
      args.push_back(em.i32(v));
    args.push_back(b.create<LLVM::AddressOfOp>(loc, dispatch));
    args.push_back(packed);
    args.append(bias.begin(), bias.end());
    em.call("tfk_mhsa_sparse_s8", args);
  });
  return success();
}

LogicalResult lowerSparseMhsa(LayerEmitter &em, Operation *op) {
  return lowerSparseAttention(em, op, /*csr=*/false);
}

LogicalResult lowerSparseMhsaCsr(LayerEmitter &em, Operation *op) {
  return lowerSparseAttention(em, op, /*csr=*/true);
}

LogicalResult lowerBatchMatmul(LayerEmitter &e, Operation *op) {
  auto m = cast<MatMulOp>(op);
  FailureOr<MatMulRules> r = getMatMulRules(op);
  if (failed(r))
    return failure();
  ArrayRef<int64_t> l = m.getLhs().getType().getShape(),
                    rs = m.getRhs().getType().getShape();
  int64_t mm = l[l.size() - 2], k = l.back(), n = rs.back();
  int64_t batch = elementsOf(m.getOutput()) / (mm * n);
  int64_t rhsBatch = elementsOf(m.getRhs()) / (k * n);
  int64_t lhsBatch = elementsOf(m.getLhs()) / (mm * k);
  if (lhsBatch != batch || (rhsBatch != batch && rhsBatch != 1))
    return op->emitOpError("batch matmul broadcasting other than one rhs "
                           "for every batch has no kernel");
  SmallVector<Value> args = {e.ptrTo(op, m.getLhs()), e.ptrTo(op, m.getRhs()),
                             e.ptrTo(op, m.getOutput()), e.scratch(op)};
  for (int64_t v : {batch, rhsBatch, mm, k, n, int64_t(r->lhsZp),
                    int64_t(r->rhsZp), int64_t(r->outZp),
                    int64_t(r->requant.mult), int64_t(r->requant.shift),
                    int64_t(r->act.min), int64_t(r->act.max)})
    args.push_back(e.i32(v));
  e.call("tfk_batch_matmul_s8", args);
  return success();
}

LogicalResult lowerSoftmax(LayerEmitter &e, Operation *op) {
  FailureOr<SoftmaxRules> r = getSoftmaxRules(op);
  if (failed(r))
    return failure();
  auto type = cast<ShapedType>(op->getOperand(0).getType());
  int64_t cols = type.getShape().back();
  Value table = e.global("exp", ArrayRef<int32_t>(r->expTable));
  SmallVector<Value> args = {e.ptrTo(op, op->getOperand(0)),
                             e.ptrTo(op, op->getResult(0)), table};
  for (int64_t v : {type.getNumElements() / cols, cols, int64_t(r->out.mult),
                    int64_t(r->out.shift), int64_t(r->outZp)})
    args.push_back(e.i32(v));
  e.call("tfk_softmax_s8", args);
  return success();
}

LogicalResult lowerLayerNorm(LayerEmitter &e, Operation *op) {
  FailureOr<LayerNormRules> r = getLayerNormRules(op);
  if (failed(r))
    return failure();
  int64_t c = int64_t(r->gamma.size());
  std::vector<int32_t> packed(tfk_layer_norm_params_words(int32_t(c)));
  tfk_pack_layer_norm(r->gamma.data(), r->beta.data(), int32_t(c), packed.data());
  Value params = e.global("params", ArrayRef<int32_t>(packed));
  SmallVector<Value> args = {e.ptrTo(op, op->getOperand(0)),
                             e.ptrTo(op, op->getResult(0)), params,
                             e.i64(r->epsTerm)};
  for (int64_t v : {elementsOf(op->getResult(0)) / c, c, int64_t(r->fracBits),
                    int64_t(r->outShift)})
    args.push_back(e.i32(v));
  e.call("tfk_layer_norm_s8", args);
  return success();
}

} // namespace tinyformer
