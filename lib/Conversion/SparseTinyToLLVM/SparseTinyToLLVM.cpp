//===- SparseTinyToLLVM.cpp - planned INT8 graph -> LLVM dialect ----------===//
//
// Each layer becomes a function that computes its buffers' addresses in the
// arena and calls one tfk_* kernel (runtime/include/tfk/kernels.h) with
// constant shapes, zero points, clamps and weight format; weights, biases
// and requantization tables become constant globals packed on the host by
// the kernels' own packing code. tf-translate then links the kernels'
// bitcode and inlines it, which specialises every kernel to its layer.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tfk/kernels.h"
#include "tfk/pack.h"
#include "tinyformer/CostModel/CostModel.h"
#include "tinyformer/CostModel/Layout.h"
#include "tinyformer/Quant/IntegerRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

namespace tinyformer {
#define GEN_PASS_DEF_LOWERTOLLVM
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

using namespace mlir;
using namespace mlir::sparse_tiny;
using namespace tinyformer;

namespace {

/// Builds one layer function's body.
class LayerEmitter {
public:
  LayerEmitter(ModuleOp module, OpBuilder &b, StringRef prefix, Location loc,
               Value in, Value out, Value arena)
      : module(module), b(b), prefix(prefix), loc(loc), in(in), out(out),
        arena(arena) {}

  LogicalResult emit(Operation *op, int64_t layer);

private:
  Value i32(int64_t v) {
    return b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                      b.getI32IntegerAttr(int32_t(v)));
  }
  Value ptrTo(Operation *op, Value v);
  Value scratch(Operation *op);
  template <typename T>
  Value global(StringRef what, ArrayRef<T> data);
  void call(StringRef kernel, ValueRange args);

  LogicalResult conv(Conv2DOp op, bool depthwise);
  LogicalResult fullyConnected(FullyConnectedOp op);
  LogicalResult attention(MultiHeadAttentionOp op);
  LogicalResult concat(ConcatOp op);
  LogicalResult slice(SliceOp op);
  void copy(Value dst, Value src, int64_t bytes);
  Value at(Value base, int64_t bytes);

  ModuleOp module;
  OpBuilder &b;
  std::string prefix;
  Location loc;
  Value in, out, arena;
  int64_t layer = 0, constants = 0;
};

Value LayerEmitter::ptrTo(Operation *user, Value v) {
  Operation *def = v.getDefiningOp();
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  if (!def)
    return in;
  if (isa<ConstantOp>(def)) {
    // A constant activation (class token, position embedding).
    std::optional<std::vector<int64_t>> ints = getConstantInts(v);
    assert(ints && "constant activation without integers");
    std::vector<int8_t> bytes(ints->begin(), ints->end());
    return global("const" + std::to_string(constants++), ArrayRef<int8_t>(bytes));
  }
  if (auto buffer = def->getAttrOfType<StringAttr>(attr::kBuffer))
    return buffer.getValue() == "input" ? in : out;
  auto offset = def->getAttrOfType<IntegerAttr>(attr::kOffset);
  assert(offset && "planned value without an offset");
  return b.create<LLVM::GEPOp>(loc, ptrTy, b.getI8Type(), arena,
                               ArrayRef<LLVM::GEPArg>{int32_t(offset.getInt())});
}

Value LayerEmitter::scratch(Operation *op) {
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  auto offset = op->getAttrOfType<IntegerAttr>(attr::kScratchOffset);
  if (!offset)
    return b.create<LLVM::ZeroOp>(loc, ptrTy);
  return b.create<LLVM::GEPOp>(loc, ptrTy, b.getI8Type(), arena,
                               ArrayRef<LLVM::GEPArg>{int32_t(offset.getInt())});
}

/// A constant global of `data` (8-byte aligned) and its address.
template <typename T>
Value LayerEmitter::global(StringRef what, ArrayRef<T> data) {
  OpBuilder::InsertPoint ip = b.saveInsertionPoint();
  b.setInsertionPointToStart(module.getBody());
  std::string name = prefix + "_l" + std::to_string(layer) + "_" + what.str();
  Type elem = b.getIntegerType(8 * sizeof(T));
  auto type = LLVM::LLVMArrayType::get(elem, data.size());
  auto value = DenseElementsAttr::get(
      RankedTensorType::get({int64_t(data.size())}, elem), data);
  auto g = b.create<LLVM::GlobalOp>(loc, type, /*isConstant=*/true,
                                    LLVM::Linkage::Internal, name, value,
                                    /*alignment=*/8);
  b.restoreInsertionPoint(ip);
  return b.create<LLVM::AddressOfOp>(loc, g);
}

void LayerEmitter::call(StringRef kernel, ValueRange args) {
  auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kernel);
  if (!fn) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto type = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(b.getContext()),
        llvm::to_vector(args.getTypes()));
    fn = b.create<LLVM::LLVMFuncOp>(loc, kernel, type);
  }
  b.create<LLVM::CallOp>(loc, fn, args);
}

/// Dims of a 4-D NCHW type as stored (N, H, W, C).
struct Dims {
  int64_t h, w, c;
};
Dims nhwc(Value v) {
  ArrayRef<int64_t> s = cast<ShapedType>(v.getType()).getShape();
  return {s[2], s[3], s[1]};
}

std::vector<int32_t> multsOf(ArrayRef<Multiplier> ms) {
  std::vector<int32_t> v;
  for (const Multiplier &m : ms)
    v.push_back(m.mult);
  return v;
}
std::vector<int32_t> shiftsOf(ArrayRef<Multiplier> ms) {
  std::vector<int32_t> v;
  for (const Multiplier &m : ms)
    v.push_back(m.shift);
  return v;
}

int32_t variantOf(Operation *op) {
  auto f = op->getAttrOfType<StringAttr>(attr::kWeightFormat);
  return f && f.getValue() == "int16" ? TFK_W_INT16 : TFK_W_INT8;
}

LogicalResult LayerEmitter::conv(Conv2DOp op, bool depthwise) {
  FailureOr<ConvRules> r = getConvRules(op);
  if (failed(r))
    return failure();
  if (llvm::any_of(op.getDilations(), [](int64_t d) { return d != 1; }))
    return op.emitOpError("dilated convolutions have no kernel");
  Dims i = nhwc(op.getInput()), o = nhwc(op.getOutput());
  ArrayRef<int64_t> w = op.getWeight().getType().getShape();
  int32_t kh = int32_t(w[2]), kw = int32_t(w[3]);
  int32_t variant = variantOf(op);
  std::vector<int8_t> blob;
  if (depthwise) {
    // [C, 1, kh, kw] is already [c][kh][kw].
    blob.resize(tfk_depthwise_conv2d_packed_bytes(int32_t(o.c), kh, kw, variant));
    tfk_pack_depthwise_conv2d(r->weight.data(), r->bias.data(), r->inZp,
                              int32_t(o.c), kh, kw, variant, blob.data());
  } else {
    // OIHW -> OHWI, the order of NHWC input pixels.
    std::vector<int8_t> ohwi(r->weight.size());
    int64_t ic = w[1];
    for (int64_t oc = 0; oc < w[0]; ++oc)
      for (int64_t c = 0; c < ic; ++c)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t x = 0; x < kw; ++x)
            ohwi[((oc * kh + y) * kw + x) * ic + c] =
                r->weight[((oc * ic + c) * kh + y) * kw + x];
    blob.resize(tfk_conv2d_packed_bytes(int32_t(ic), int32_t(w[0]), kh, kw,
                                        variant));
    tfk_pack_conv2d(ohwi.data(), r->bias.data(), r->inZp, int32_t(ic),
                    int32_t(w[0]), kh, kw, variant, blob.data());
  }
  Value packed = global("packed", ArrayRef<int8_t>(blob));
  Value mult = global("mult", ArrayRef<int32_t>(multsOf(r->requant)));
  Value shift = global("shift", ArrayRef<int32_t>(shiftsOf(r->requant)));
  ArrayRef<int64_t> s = op.getStrides(), p = op.getPadding();
  SmallVector<Value> args = {ptrTo(op, op.getInput()), ptrTo(op, op.getOutput()),
                             packed, mult, shift, scratch(op),
                             i32(i.h), i32(i.w), i32(i.c), i32(o.h), i32(o.w)};
  if (!depthwise)
    args.push_back(i32(o.c));
  for (int64_t v : {int64_t(kh), int64_t(kw), s[0], s[1], p[0], p[1],
                    int64_t(r->inZp), int64_t(r->outZp), int64_t(r->act.min),
                    int64_t(r->act.max), int64_t(variant)})
    args.push_back(i32(v));
  call(depthwise ? "tfk_depthwise_conv2d_s8" : "tfk_conv2d_s8", args);
  return success();
}

LogicalResult LayerEmitter::fullyConnected(FullyConnectedOp op) {
  FailureOr<ConvRules> r = getConvRules(op);
  if (failed(r))
    return failure();
  ArrayRef<int64_t> w = op.getWeight().getType().getShape();
  int64_t n = w[0], k = w[1];
  int64_t tokens = op.getInput().getType().getNumElements() / k;
  if (!storedInLogicalOrder(op.getInput().getType()) ||
      !storedInLogicalOrder(op.getOutput().getType()))
    return op.emitOpError("fully_connected over a 4-D NHWC tensor has no "
                          "kernel");
  // An NHWC flatten feeds this layer: permute the weight columns instead.
  std::vector<int64_t> order = storedFeatureOrder(op);
  std::vector<int8_t> weight(r->weight.size());
  for (int64_t row = 0; row < n; ++row)
    for (int64_t col = 0; col < k; ++col)
      weight[row * k + col] =
          r->weight[row * k + (order.empty() ? col : order[col])];
  int32_t variant = variantOf(op);
  std::vector<int8_t> blob(
      tfk_fully_connected_packed_bytes(int32_t(k), int32_t(n), variant));
  tfk_pack_fully_connected(weight.data(), r->bias.data(), r->inZp, int32_t(k),
                           int32_t(n), variant, blob.data());
  Value packed = global("packed", ArrayRef<int8_t>(blob));
  Value mult = global("mult", ArrayRef<int32_t>(multsOf(r->requant)));
  Value shift = global("shift", ArrayRef<int32_t>(shiftsOf(r->requant)));
  SmallVector<Value> args = {ptrTo(op, op.getInput()), ptrTo(op, op.getOutput()),
                             packed, mult, shift, scratch(op)};
  for (int64_t v : {tokens, k, n, int64_t(r->inZp), int64_t(r->outZp),
                    int64_t(r->act.min), int64_t(r->act.max), int64_t(variant)})
    args.push_back(i32(v));
  call("tfk_fully_connected_s8", args);
  return success();
}

Value LayerEmitter::at(Value base, int64_t bytes) {
  auto ptrTy = LLVM::LLVMPointerType::get(b.getContext());
  return b.create<LLVM::GEPOp>(loc, ptrTy, b.getI8Type(), base,
                               ArrayRef<LLVM::GEPArg>{int32_t(bytes)});
}

void LayerEmitter::copy(Value dst, Value src, int64_t bytes) {
  Value len = b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                         b.getI32IntegerAttr(int32_t(bytes)));
  b.create<LLVM::MemcpyOp>(loc, dst, src, len, /*isVolatile=*/false);
}

LogicalResult LayerEmitter::attention(MultiHeadAttentionOp op) {
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
  Value packed = global("packed", ArrayRef<int8_t>(blob));
  Value rqTable = global("rq", ArrayRef<int32_t>(rq));
  Value expTable = global("exp", ArrayRef<int32_t>(r->softmax.expTable));
  SmallVector<Value> args = {ptrTo(op, op.getInput()), ptrTo(op, op.getOutput()),
                             packed, rqTable, expTable, scratch(op)};
  for (int64_t v :
       {int64_t(s), int64_t(e), int64_t(h), a.headsPerStep, a.rowsPerStep,
        int64_t(a.fusedQk), int64_t(r->xZp), int64_t(r->qZp), int64_t(r->kZp),
        int64_t(r->vZp), int64_t(r->sZp), int64_t(r->score.mult),
        int64_t(r->score.shift), int64_t(r->softmax.out.mult),
        int64_t(r->softmax.out.shift), int64_t(r->cZp),
        int64_t(r->context.mult), int64_t(r->context.shift),
        int64_t(r->outZp), int64_t(r->act.min), int64_t(r->act.max),
        int64_t(variant)})
    args.push_back(i32(v));
  call("tfk_mhsa_s8", args);
  return success();
}

LogicalResult LayerEmitter::concat(ConcatOp op) {
  FailureOr<ConcatRules> r = getConcatRules(op);
  if (failed(r))
    return failure();
  int64_t axis = int64_t(op.getAxis());
  ArrayRef<int64_t> shape = op.getOutput().getType().getShape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < int64_t(shape.size()); ++d)
    inner *= shape[d];
  if (outer > 64)
    return op.emitOpError() << "concat with " << outer
                            << " blocks per input has no kernel (at most 64)";
  Value dst = ptrTo(op, op.getOutput());
  int64_t atCol = 0;
  for (auto [i, v] : llvm::enumerate(op.getInputs())) {
    int64_t len = cast<ShapedType>(v.getType()).getDimSize(axis) * inner;
    const RequantRules &q = r->inputs[i];
    Value src = ptrTo(op, v);
    for (int64_t o = 0; o < outer; ++o) {
      SmallVector<Value> args = {at(src, o * len),
                                 at(dst, o * shape[axis] * inner + atCol)};
      for (int64_t x : {len, int64_t(q.inZp), int64_t(q.requant.mult),
                        int64_t(q.requant.shift), int64_t(q.outZp),
                        int64_t(-128), int64_t(127)})
        args.push_back(i32(x));
      call("tfk_requantize_s8", args);
    }
    atCol += len;
  }
  return success();
}

LogicalResult LayerEmitter::slice(SliceOp op) {
  // Contiguous runs along the last dims, one copy each.
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  ArrayRef<int64_t> off = op.getOffsets(), size = op.getSizes(),
                    stride = op.getStrides();
  int64_t rank = int64_t(in.size());
  // The innermost run: trailing dims taken whole, then one partial dim.
  int64_t d = rank - 1, run = 1;
  while (d >= 0 && off[d] == 0 && size[d] == in[d] && stride[d] == 1)
    run *= in[d--];
  if (d >= 0 && stride[d] == 1) {
    run *= size[d];
    --d;
  }
  // Outer positions: every index combination of dims 0..d.
  int64_t runs = 1;
  for (int64_t i = 0; i <= d; ++i)
    runs *= size[i];
  if (runs > 256)
    return op.emitOpError() << "slice into " << runs
                            << " separate runs has no kernel (at most 256)";
  SmallVector<int64_t> inStride(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    inStride[i] = inStride[i + 1] * in[i + 1];
  // First element of the run that starts at each outer position.
  Value src = ptrTo(op, op.getInput()), dst = ptrTo(op, op.getOutput());
  SmallVector<int64_t> pos(rank, 0);
  for (int64_t k = 0; k < runs; ++k) {
    int64_t from = 0;
    for (int64_t i = 0; i < rank; ++i)
      from += (off[i] + (i <= d ? pos[i] * stride[i] : 0)) * inStride[i];
    copy(at(dst, k * run), at(src, from), run);
    for (int64_t i = d; i >= 0; --i) {
      if (++pos[i] < size[i])
        break;
      pos[i] = 0;
    }
  }
  return success();
}

LogicalResult LayerEmitter::emit(Operation *op, int64_t layerIndex) {
  layer = layerIndex;
  StringRef kernel = op->getAttrOfType<StringAttr>(attr::kKernel).getValue();
  auto elems = [](Value v) { return cast<ShapedType>(v.getType()).getNumElements(); };
  if (kernel == "conv2d" || kernel == "depthwise_conv2d")
    return conv(cast<Conv2DOp>(op), kernel == "depthwise_conv2d");
  if (kernel == "fully_connected")
    return fullyConnected(cast<FullyConnectedOp>(op));
  if (kernel == "add") {
    FailureOr<AddRules> r = getAddRules(op);
    if (failed(r))
      return failure();
    if (cast<ShapedType>(op->getOperand(0).getType()).getShape() !=
        cast<ShapedType>(op->getOperand(1).getType()).getShape())
      return op->emitOpError("add with broadcasting has no kernel");
    SmallVector<Value> args = {ptrTo(op, op->getOperand(0)),
                               ptrTo(op, op->getOperand(1)),
                               ptrTo(op, op->getResult(0))};
    for (int64_t v :
         {elems(op->getResult(0)), int64_t(r->lhsZp), int64_t(r->lhs.mult),
          int64_t(r->lhs.shift), int64_t(r->rhsZp), int64_t(r->rhs.mult),
          int64_t(r->rhs.shift), int64_t(r->leftShift), int64_t(r->out.mult),
          int64_t(r->out.shift), int64_t(r->outZp), int64_t(r->act.min),
          int64_t(r->act.max)})
      args.push_back(i32(v));
    call("tfk_add_s8", args);
    return success();
  }
  if (kernel == "requantize") {
    FailureOr<RequantRules> r = getRequantRules(op);
    if (failed(r))
      return failure();
    SmallVector<Value> args = {ptrTo(op, op->getOperand(0)),
                               ptrTo(op, op->getResult(0))};
    for (int64_t v : {elems(op->getResult(0)), int64_t(r->inZp),
                      int64_t(r->requant.mult), int64_t(r->requant.shift),
                      int64_t(r->outZp), int64_t(r->act.min), int64_t(r->act.max)})
      args.push_back(i32(v));
    call("tfk_requantize_s8", args);
    return success();
  }
  if (kernel == "max_pool") {
    auto p = cast<MaxPool2DOp>(op);
    FailureOr<MaxPoolRules> r = getMaxPoolRules(op);
    if (failed(r))
      return failure();
    Dims i = nhwc(p.getInput()), o = nhwc(p.getOutput());
    ArrayRef<int64_t> k = p.getKernel(), s = p.getStrides(), pad = p.getPadding();
    SmallVector<Value> args = {ptrTo(op, p.getInput()), ptrTo(op, p.getOutput())};
    for (int64_t v : {i.h, i.w, i.c, o.h, o.w, k[0], k[1], s[0], s[1], pad[0],
                      pad[1], int64_t(r->act.min), int64_t(r->act.max)})
      args.push_back(i32(v));
    call("tfk_max_pool_s8", args);
    return success();
  }
  if (kernel == "mhsa")
    return attention(cast<MultiHeadAttentionOp>(op));
  if (kernel == "concat")
    return concat(cast<ConcatOp>(op));
  if (kernel == "slice")
    return slice(cast<SliceOp>(op));
  if (kernel == "batch_matmul") {
    auto m = cast<MatMulOp>(op);
    FailureOr<MatMulRules> r = getMatMulRules(op);
    if (failed(r))
      return failure();
    ArrayRef<int64_t> l = m.getLhs().getType().getShape(),
                      rs = m.getRhs().getType().getShape();
    int64_t mm = l[l.size() - 2], k = l.back(), n = rs.back();
    int64_t batch = elems(m.getOutput()) / (mm * n);
    int64_t rhsBatch = elems(m.getRhs()) / (k * n);
    int64_t lhsBatch = elems(m.getLhs()) / (mm * k);
    if (lhsBatch != batch || (rhsBatch != batch && rhsBatch != 1))
      return op->emitOpError("batch matmul broadcasting other than one rhs "
                             "for every batch has no kernel");
    SmallVector<Value> args = {ptrTo(op, m.getLhs()), ptrTo(op, m.getRhs()),
                               ptrTo(op, m.getOutput()), scratch(op)};
    for (int64_t v : {batch, rhsBatch, mm, k, n, int64_t(r->lhsZp),
                      int64_t(r->rhsZp), int64_t(r->outZp),
                      int64_t(r->requant.mult), int64_t(r->requant.shift),
                      int64_t(r->act.min), int64_t(r->act.max)})
      args.push_back(i32(v));
    call("tfk_batch_matmul_s8", args);
    return success();
  }
  if (kernel == "layer_norm") {
    FailureOr<LayerNormRules> r = getLayerNormRules(op);
    if (failed(r))
      return failure();
    int64_t c = int64_t(r->gamma.size());
    std::vector<int64_t> params = {r->epsTerm};
    params.insert(params.end(), r->beta.begin(), r->beta.end());
    Value gamma = global("gamma", ArrayRef<int32_t>(r->gamma));
    Value p = global("params", ArrayRef<int64_t>(params));
    SmallVector<Value> args = {ptrTo(op, op->getOperand(0)),
                               ptrTo(op, op->getResult(0)), gamma, p};
    for (int64_t v : {elems(op->getResult(0)) / c, c, int64_t(r->inZp),
                      int64_t(r->outZp)})
      args.push_back(i32(v));
    call("tfk_layer_norm_s8", args);
    return success();
  }
  if (kernel == "lut") {
    FailureOr<LutRules> r = getLutRules(op);
    if (failed(r))
      return failure();
    Value table = global("table", ArrayRef<int8_t>(r->table));
    call("tfk_lut_s8", {ptrTo(op, op->getOperand(0)), ptrTo(op, op->getResult(0)),
                        table, i32(elems(op->getResult(0)))});
    return success();
  }
  if (kernel == "avg_pool" && isa<MeanOp>(op)) {
    // Mean over the tokens of [S, C]: an average pool of 1 x S.
    Value input = op->getOperand(0);
    ArrayRef<int64_t> shape = cast<ShapedType>(input.getType()).getShape();
    int64_t c = shape.back(), tokens = shape[shape.size() - 2];
    FailureOr<AvgPoolRules> r = getAvgPoolRules(op, tokens);
    if (failed(r))
      return failure();
    Value mult = global("mult", ArrayRef<int32_t>(multsOf(r->byCount)));
    Value shift = global("shift", ArrayRef<int32_t>(shiftsOf(r->byCount)));
    SmallVector<Value> args = {ptrTo(op, input), ptrTo(op, op->getResult(0)),
                               mult, shift};
    for (int64_t v : {int64_t(1), tokens, c, int64_t(1), int64_t(1), int64_t(1),
                      tokens, int64_t(1), int64_t(1), int64_t(0), int64_t(0),
                      int64_t(0), int64_t(r->inZp), int64_t(r->outZp),
                      int64_t(r->act.min), int64_t(r->act.max)})
      args.push_back(i32(v));
    call("tfk_avg_pool_s8", args);
    return success();
  }
  if (kernel == "avg_pool") {
    Value input = op->getOperand(0), output = op->getResult(0);
    Dims i = nhwc(input), o = nhwc(output);
    SmallVector<int64_t> k = {i.h, i.w}, s = {1, 1}, pad = {0, 0};
    bool includePad = false;
    if (auto p = dyn_cast<AvgPool2DOp>(op)) {
      k.assign(p.getKernel().begin(), p.getKernel().end());
      s.assign(p.getStrides().begin(), p.getStrides().end());
      pad = {p.getPadding()[0], p.getPadding()[1]};
      includePad = p.getCountIncludePad();
    }
    FailureOr<AvgPoolRules> r = getAvgPoolRules(op, k[0] * k[1]);
    if (failed(r))
      return failure();
    Value mult = global("mult", ArrayRef<int32_t>(multsOf(r->byCount)));
    Value shift = global("shift", ArrayRef<int32_t>(shiftsOf(r->byCount)));
    SmallVector<Value> args = {ptrTo(op, input), ptrTo(op, output), mult, shift};
    for (int64_t v : {i.h, i.w, i.c, o.h, o.w, k[0], k[1], s[0], s[1], pad[0],
                      pad[1], int64_t(includePad), int64_t(r->inZp),
                      int64_t(r->outZp), int64_t(r->act.min), int64_t(r->act.max)})
      args.push_back(i32(v));
    call("tfk_avg_pool_s8", args);
    return success();
  }
  if (kernel == "transpose" || kernel == "relayout") {
    Value input = op->getOperand(0), output = op->getResult(0);
    SmallVector<int64_t> dims, perm;
    if (auto t = dyn_cast<TransposeOp>(op)) {
      ArrayRef<int64_t> s = t.getInput().getType().getShape();
      int64_t lead = 4 - int64_t(s.size());
      dims.assign(lead, 1);
      dims.append(s.begin(), s.end());
      for (int64_t d = 0; d < lead; ++d)
        perm.push_back(d);
      for (int64_t p : t.getPerm())
        perm.push_back(p + lead);
    } else if (!storedInLogicalOrder(cast<ShapedType>(input.getType()))) {
      // NHWC -> logical (NCHW) order.
      Dims i = nhwc(input);
      dims = {1, i.h, i.w, i.c};
      perm = {0, 3, 1, 2};
    } else {
      // Logical (NCHW) order -> NHWC.
      Dims o = nhwc(output);
      dims = {1, o.c, o.h, o.w};
      perm = {0, 2, 3, 1};
    }
    SmallVector<Value> args = {ptrTo(op, input), ptrTo(op, output)};
    for (int64_t v : dims)
      args.push_back(i32(v));
    for (int64_t v : perm)
      args.push_back(i32(v));
    call("tfk_transpose_s8", args);
    return success();
  }
  if (kernel == "softmax") {
    FailureOr<SoftmaxRules> r = getSoftmaxRules(op);
    if (failed(r))
      return failure();
    auto type = cast<ShapedType>(op->getOperand(0).getType());
    int64_t cols = type.getShape().back();
    Value table = global("exp", ArrayRef<int32_t>(r->expTable));
    SmallVector<Value> args = {ptrTo(op, op->getOperand(0)),
                               ptrTo(op, op->getResult(0)), table};
    for (int64_t v : {type.getNumElements() / cols, cols, int64_t(r->out.mult),
                      int64_t(r->out.shift), int64_t(r->outZp)})
      args.push_back(i32(v));
    call("tfk_softmax_s8", args);
    return success();
  }
  return op->emitOpError() << "has no lowering for kernel '" << kernel << "'";
}

/// The layer's name: the ONNX node name when the import recorded one.
std::string layerName(Operation *op, int64_t index) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return op->getName().stripDialect().str() + "_" + std::to_string(index);
}

struct LowerToLLVMPass : tinyformer::impl::LowerToLLVMBase<LowerToLLVMPass> {
  using LowerToLLVMBase::LowerToLLVMBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
    if (funcs.size() != 1 || funcs.front().getNumArguments() != 1 ||
        funcs.front().getNumResults() != 1) {
      module.emitError() << "lowering expects one function with one input "
                            "and one result";
      return signalPassFailure();
    }
    if (!module->hasAttr(attr::kArenaSize)) {
      module.emitError() << "run sparse-tiny-plan-memory before lowering";
      return signalPassFailure();
    }
    if (modelName.empty() ||
        !llvm::all_of(modelName, [](char c) { return llvm::isAlnum(c) || c == '_'; })) {
      module.emitError() << "model-name must be a C identifier part, got '"
                         << modelName << "'";
      return signalPassFailure();
    }
    func::FuncOp func = funcs.front();
    std::string prefix = "tf_" + modelName;
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    auto ptrTy = LLVM::LLVMPointerType::get(ctx);
    auto voidTy = LLVM::LLVMVoidType::get(ctx);
    Location loc = func.getLoc();

    // One function per layer: void layer(const int8_t*, int8_t*, void*).
    SmallVector<LLVM::LLVMFuncOp> layers;
    SmallVector<Attribute> names, ops, kernels;
    for (Operation &opRef : func.getBody().front()) {
      Operation *op = &opRef;
      auto kernel = op->getAttrOfType<StringAttr>(attr::kKernel);
      if (isa<ConstantOp, func::ReturnOp>(op) ||
          (kernel && kernel.getValue() == "alias"))
        continue;
      if (!kernel) {
        op->emitOpError() << "has no kernel: run sparse-tiny-select-kernels";
        return signalPassFailure();
      }
      int64_t index = int64_t(layers.size());
      b.setInsertionPoint(func);
      auto fn = b.create<LLVM::LLVMFuncOp>(
          op->getLoc(), prefix + "_layer" + std::to_string(index),
          LLVM::LLVMFunctionType::get(voidTy, {ptrTy, ptrTy, ptrTy}),
          LLVM::Linkage::Internal);
      Block *entry = fn.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      LayerEmitter emitter(module, b, prefix, op->getLoc(), entry->getArgument(0),
                           entry->getArgument(1), entry->getArgument(2));
      if (failed(emitter.emit(op, index)))
        return signalPassFailure();
      b.create<LLVM::ReturnOp>(op->getLoc(), ValueRange{});
      layers.push_back(fn);
      names.push_back(b.getStringAttr(layerName(op, index)));
      ops.push_back(b.getStringAttr(op->getName().stripDialect()));
      kernels.push_back(kernel);
    }

    // int tf_<m>_invoke(const int8_t *in, int8_t *out, void *arena)
    b.setInsertionPoint(func);
    auto invoke = b.create<LLVM::LLVMFuncOp>(
        loc, prefix + "_invoke",
        LLVM::LLVMFunctionType::get(b.getI32Type(), {ptrTy, ptrTy, ptrTy}));
    {
      Block *entry = invoke.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      for (LLVM::LLVMFuncOp layer : layers)
        b.create<LLVM::CallOp>(loc, layer, entry->getArguments());
      Value zero = b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                              b.getI32IntegerAttr(0));
      b.create<LLVM::ReturnOp>(loc, zero);
    }
    // void tf_<m>_run_layer(int32_t i, const int8_t *in, int8_t *out, void *arena)
    b.setInsertionPoint(func);
    auto runLayer = b.create<LLVM::LLVMFuncOp>(
        loc, prefix + "_run_layer",
        LLVM::LLVMFunctionType::get(voidTy, {b.getI32Type(), ptrTy, ptrTy, ptrTy}));
    {
      Block *entry = runLayer.addEntryBlock(b);
      Block *exit = new Block();
      runLayer.getBody().push_back(exit);
      SmallVector<Block *> cases;
      SmallVector<int32_t> values;
      for (auto [i, layer] : llvm::enumerate(layers)) {
        Block *blk = new Block();
        runLayer.getBody().push_back(blk);
        b.setInsertionPointToStart(blk);
        b.create<LLVM::CallOp>(loc, layer,
                               ValueRange(entry->getArguments().drop_front()));
        b.create<LLVM::BrOp>(loc, ValueRange{}, exit);
        cases.push_back(blk);
        values.push_back(int32_t(i));
      }
      b.setInsertionPointToStart(exit);
      b.create<LLVM::ReturnOp>(loc, ValueRange{});
      b.setInsertionPointToStart(entry);
      SmallVector<ValueRange> caseOperands(cases.size(), ValueRange{});
      b.create<LLVM::SwitchOp>(loc, entry->getArgument(0), exit, ValueRange{},
                               ArrayRef<int32_t>(values), BlockRange(cases),
                               ArrayRef<ValueRange>(caseOperands));
    }

    // What the header and the runner need, read back by tf-translate.
    auto recordIO = [&](StringRef key, Type type) {
      auto shaped = cast<ShapedType>(type);
      auto q = cast<quant::UniformQuantizedType>(shaped.getElementType());
      module->setAttr(("tf." + key + "_shape").str(),
                      b.getDenseI64ArrayAttr(shaped.getShape()));
      module->setAttr(("tf." + key + "_scale").str(),
                      b.getF64FloatAttr(q.getScale()));
      module->setAttr(("tf." + key + "_zero_point").str(),
                      b.getI64IntegerAttr(q.getZeroPoint()));
      module->setAttr(("tf." + key + "_layout").str(),
                      b.getStringAttr(storedInLogicalOrder(shaped) ? "logical"
                                                                   : "NHWC"));
    };
    recordIO("input", func.getArgumentTypes()[0]);
    recordIO("output", func.getResultTypes()[0]);
    module->setAttr("tf.model_name", b.getStringAttr(modelName));
    module->setAttr("tf.layer_names", b.getArrayAttr(names));
    module->setAttr("tf.layer_ops", b.getArrayAttr(ops));
    module->setAttr("tf.layer_kernels", b.getArrayAttr(kernels));
    func.erase();
  }
};

} // namespace
