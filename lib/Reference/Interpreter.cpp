//===- Interpreter.cpp - host reference execution of sparse_tiny ----------===//
//
// A direct, unoptimised implementation of every sparse_tiny op: loops over
// the index space in row-major order. It is the oracle, so clarity wins over
// speed; fixture models run in milliseconds.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Reference/Interpreter.h"

#include "IntegerOps.h"

#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

using namespace mlir;
using namespace mlir::sparse_tiny;
using tinyformer::HostArray;

namespace {

int64_t numel(ArrayRef<int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// For each element of `outShape`, the index of the element of `inShape`
/// that NumPy broadcasting reads.
std::vector<int64_t> broadcastIndex(ArrayRef<int64_t> inShape,
                                    ArrayRef<int64_t> outShape) {
  size_t rank = outShape.size(), lead = rank - inShape.size();
  SmallVector<int64_t> inStrides = stridesOf(inShape);
  std::vector<int64_t> index(numel(outShape));
  for (int64_t i = 0; i < int64_t(index.size()); ++i) {
    int64_t rem = i, from = 0;
    for (int64_t d = rank - 1; d >= int64_t(lead); --d) {
      int64_t idx = rem % outShape[d];
      rem /= outShape[d];
      if (inShape[d - lead] != 1)
        from += idx * inStrides[d - lead];
    }
    index[i] = from;
  }
  return index;
}

class Interpreter {
public:
  explicit Interpreter(
      llvm::function_ref<void(Value, const HostArray &)> observe)
      : observe(observe) {}
  LogicalResult run(func::FuncOp func, ArrayRef<HostArray> inputs,
                    std::vector<HostArray> &outputs);

private:
  LogicalResult execute(Operation *op);
  const HostArray &get(Value v) {
    return env.find(v.getAsOpaquePointer())->second;
  }
  HostArray &define(Value v) {
    HostArray &a = env[v.getAsOpaquePointer()];
    a.shape.assign(cast<ShapedType>(v.getType()).getShape().begin(),
                   cast<ShapedType>(v.getType()).getShape().end());
    a.data.assign(numel(a.shape), 0.0f);
    return a;
  }

  LogicalResult constant(ConstantOp op);
  void applyFusedClamp(Operation *op);
  void conv2d(Conv2DOp op);
  void fullyConnected(FullyConnectedOp op);
  void matmul(MatMulOp op);
  void binary(Operation *op, float (*fn)(float, float));
  void unary(Operation *op, float (*fn)(float));
  void pool(Operation *op, ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
            ArrayRef<int64_t> padding, bool isMax, bool countIncludePad);
  void mean(MeanOp op);
  void transpose(TransposeOp op);
  void resizeNearest(ResizeNearestOp op);
  void depthToSpace(DepthToSpaceOp op);
  void shuffle(ShuffleOp op);
  void concat(ConcatOp op);
  void slice(SliceOp op);
  void pad(PadOp op);
  void softmax(SoftmaxOp op);
  void layerNorm(LayerNormOp op);
  void attention(MultiHeadAttentionOp op);
  void quantize(QuantizeOp op);
  void dequantize(DequantizeOp op);

  llvm::function_ref<void(Value, const HostArray &)> observe;
  // Node-based: references from get() stay valid while define() inserts.
  std::unordered_map<void *, HostArray> env;
};

LogicalResult Interpreter::run(func::FuncOp func, ArrayRef<HostArray> inputs,
                               std::vector<HostArray> &outputs) {
  if (func.getNumArguments() != inputs.size())
    return func.emitError() << "expects " << func.getNumArguments()
                            << " inputs, got " << inputs.size();
  for (auto [arg, in] : llvm::zip(func.getArguments(), inputs)) {
    ArrayRef<int64_t> shape = cast<ShapedType>(arg.getType()).getShape();
    if (ArrayRef<int64_t>(in.shape) != shape) {
      std::string want, got;
      for (int64_t d : shape)
        want += (want.empty() ? "" : "x") + std::to_string(d);
      for (int64_t d : in.shape)
        got += (got.empty() ? "" : "x") + std::to_string(d);
      return func.emitError() << "input " << arg.getArgNumber()
                              << " must have shape " << want << ", got "
                              << (got.empty() ? "a scalar" : got);
    }
    env[arg.getAsOpaquePointer()] = in;
  }
  for (Operation &op : func.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        outputs.push_back(get(v));
      return success();
    }
    if (failed(execute(&op)))
      return failure();
    if (observe)
      for (Value v : op.getResults())
        observe(v, get(v));
  }
  return func.emitError() << "has no return";
}

LogicalResult Interpreter::execute(Operation *op) {
  if (tinyformer::detail::isIntegerComputeOp(op))
    return tinyformer::detail::runIntegerOp(
        op, [&](Value v) -> const HostArray & { return get(v); },
        [&](Value v) -> HostArray & { return define(v); });
  bool handled = true;
  LogicalResult result = success();
  TypeSwitch<Operation *>(op)
      .Case([&](ConstantOp c) { result = constant(c); })
      .Case([&](Conv2DOp c) { conv2d(c); })
      .Case([&](FullyConnectedOp c) { fullyConnected(c); })
      .Case([&](MatMulOp c) { matmul(c); })
      .Case([&](AddOp) { binary(op, [](float a, float b) { return a + b; }); })
      .Case([&](SubOp) { binary(op, [](float a, float b) { return a - b; }); })
      .Case([&](MulOp) { binary(op, [](float a, float b) { return a * b; }); })
      .Case([&](DivOp) { binary(op, [](float a, float b) { return a / b; }); })
      .Case([&](PowOp) {
        binary(op, [](float a, float b) { return std::pow(a, b); });
      })
      .Case([&](ReluOp) {
        unary(op, [](float x) { return x > 0 ? x : 0.0f; });
      })
      .Case([&](SigmoidOp) {
        unary(op, [](float x) { return float(1 / (1 + std::exp(-double(x)))); });
      })
      .Case([&](TanhOp) { unary(op, [](float x) { return std::tanh(x); }); })
      .Case([&](ErfOp) { unary(op, [](float x) { return std::erf(x); }); })
      .Case([&](SqrtOp) { unary(op, [](float x) { return std::sqrt(x); }); })
      .Case([&](ExpOp) { unary(op, [](float x) { return std::exp(x); }); })
      .Case([&](SiluOp) {
        unary(op, [](float x) { return float(x / (1 + std::exp(-double(x)))); });
      })
      .Case([&](HardSwishOp) {
        unary(op, [](float x) {
          return x * std::clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f;
        });
      })
      .Case([&](GeluOp g) {
        if (g.getApproximate() == GeluApproximation::tanh)
          unary(op, [](float x) {
            double c = std::sqrt(2.0 / M_PI);
            return float(0.5 * x *
                         (1 + std::tanh(c * (x + 0.044715 * double(x) * x * x))));
          });
        else
          unary(op, [](float x) {
            return float(0.5 * x * (1 + std::erf(double(x) * M_SQRT1_2)));
          });
      })
      .Case([&](ClipOp c) {
        float lo = c.getMin().convertToFloat(), hi = c.getMax().convertToFloat();
        const HostArray &in = get(c.getInput());
        HostArray &out = define(c.getOutput());
        for (size_t i = 0; i < in.data.size(); ++i)
          out.data[i] = std::min(std::max(in.data[i], lo), hi);
      })
      .Case([&](PReluOp p) {
        ArrayRef<float> slopes = p.getSlopes();
        const HostArray &in = get(p.getInput());
        HostArray &out = define(p.getOutput());
        int64_t c = in.shape[1];
        int64_t inner = int64_t(in.data.size()) / (in.shape[0] * c);
        for (size_t i = 0; i < in.data.size(); ++i) {
          float slope = slopes[(int64_t(i) / inner) % c];
          out.data[i] = in.data[i] >= 0 ? in.data[i] : slope * in.data[i];
        }
      })
      .Case([&](LeakyReluOp l) {
        float alpha = l.getAlpha().convertToFloat();
        const HostArray &in = get(l.getInput());
        HostArray &out = define(l.getOutput());
        for (size_t i = 0; i < in.data.size(); ++i)
          out.data[i] = in.data[i] >= 0 ? in.data[i] : alpha * in.data[i];
      })
      .Case([&](HardSigmoidOp h) {
        float alpha = h.getAlpha().convertToFloat();
        float beta = h.getBeta().convertToFloat();
        const HostArray &in = get(h.getInput());
        HostArray &out = define(h.getOutput());
        for (size_t i = 0; i < in.data.size(); ++i)
          out.data[i] = std::clamp(alpha * in.data[i] + beta, 0.0f, 1.0f);
      })
      .Case([&](MaxPool2DOp p) {
        pool(op, p.getKernel(), p.getStrides(), p.getPadding(), true, false);
      })
      .Case([&](AvgPool2DOp p) {
        pool(op, p.getKernel(), p.getStrides(), p.getPadding(), false,
             p.getCountIncludePad());
      })
      .Case([&](GlobalAvgPool2DOp p) {
        ArrayRef<int64_t> s = p.getInput().getType().getShape();
        pool(op, {s[2], s[3]}, {1, 1}, {0, 0, 0, 0}, false, false);
      })
      .Case([&](MeanOp m) { mean(m); })
      .Case([&](ReshapeOp r) {
        HostArray &out = define(r.getOutput());
        out.data = get(r.getInput()).data;
      })
      .Case([&](TransposeOp t) { transpose(t); })
      .Case([&](ResizeNearestOp r) { resizeNearest(r); })
      .Case([&](DepthToSpaceOp d) { depthToSpace(d); })
      .Case([&](ShuffleOp s) { shuffle(s); })
      .Case([&](ResizeBilinearOp r) {
        tinyformer::detail::resizeBilinear(get(r.getInput()), define(r.getOutput()),
                               r.getScales()[0], r.getScales()[1], /*integer=*/false);
      })
      .Case([&](ConcatOp c) { concat(c); })
      .Case([&](SliceOp s) { slice(s); })
      .Case([&](PadOp p) { pad(p); })
      .Case([&](SoftmaxOp s) { softmax(s); })
      .Case([&](LayerNormOp l) { layerNorm(l); })
      .Case([&](MultiHeadAttentionOp m) { attention(m); })
      .Case([&](QuantizeOp q) { quantize(q); })
      .Case([&](DequantizeOp d) { dequantize(d); })
      .Default([&](Operation *) { handled = false; });
  if (!handled)
    return op->emitError() << "the reference interpreter cannot run '"
                           << op->getName() << "'";
  applyFusedClamp(op);
  return result;
}

void Interpreter::applyFusedClamp(Operation *op) {
  auto lo = op->getAttrOfType<FloatAttr>("clamp_min");
  auto hi = op->getAttrOfType<FloatAttr>("clamp_max");
  if (!lo && !hi)
    return;
  float l = lo ? float(lo.getValueAsDouble())
               : -std::numeric_limits<float>::infinity();
  float h = hi ? float(hi.getValueAsDouble())
               : std::numeric_limits<float>::infinity();
  for (float &v : env[op->getResult(0).getAsOpaquePointer()].data)
    v = std::clamp(v, l, h);
}

LogicalResult Interpreter::constant(ConstantOp op) {
  // Quantized constants keep their integers: getConstantFloats dequantizes,
  // so read the storage values of the attribute instead.
  HostArray &out = define(op.getOutput());
  ElementsAttr value = op.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (isa<FloatType>(dense.getElementType())) {
      int64_t i = 0;
      for (APFloat v : dense.getValues<APFloat>())
        out.data[i++] = v.convertToFloat();
      if (dense.isSplat())
        std::fill(out.data.begin(), out.data.end(), out.data[0]);
      return success();
    }
    bool isUnsigned = false;
    if (auto q = dyn_cast<quant::QuantizedType>(
            op.getOutput().getType().getElementType()))
      isUnsigned = !q.isSigned();
    int64_t i = 0;
    for (APInt v : dense.getValues<APInt>())
      out.data[i++] = isUnsigned ? float(v.getZExtValue())
                                 : float(v.getSExtValue());
    if (dense.isSplat())
      std::fill(out.data.begin(), out.data.end(), out.data[0]);
    return success();
  }
  if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(value)) {
    if (std::optional<ArrayRef<float>> data = res.tryGetAsArrayRef()) {
      out.data.assign(data->begin(), data->end());
      return success();
    }
  }
  // Integer blobs (int8 weights, int32 biases): INT8 ops read them exactly
  // through getConstantInts; the float copy here only serves data movement.
  if (std::optional<std::vector<int64_t>> ints = getConstantInts(op)) {
    auto q = dyn_cast<quant::QuantizedType>(
        op.getOutput().getType().getElementType());
    bool isUnsigned = q && !q.isSigned();
    for (size_t i = 0; i < ints->size(); ++i)
      out.data[i] = isUnsigned ? float(uint8_t((*ints)[i])) : float((*ints)[i]);
    return success();
  }
  return op.emitError() << "the reference interpreter cannot read this "
                           "constant (a blob that is missing or of an "
                           "unsupported element type)";
}

void Interpreter::conv2d(Conv2DOp op) {
  const HostArray &x = get(op.getInput()), &w = get(op.getWeight());
  const HostArray *b = op.getBias() ? &get(op.getBias()) : nullptr;
  HostArray &y = define(op.getOutput());
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  int64_t o = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  int64_t ho = y.shape[2], wo = y.shape[3], groups = op.getGroups();
  int64_t og = o / groups;
  ArrayRef<int64_t> s = op.getStrides(), p = op.getPadding(),
                    d = op.getDilations();
  for (int64_t bn = 0; bn < n; ++bn)
    for (int64_t oc = 0; oc < o; ++oc) {
      int64_t g = oc / og;
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          double acc = b ? b->data[oc] : 0.0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ky = 0; ky < kh; ++ky) {
              int64_t iy = oy * s[0] + ky * d[0] - p[0];
              if (iy < 0 || iy >= h)
                continue;
              for (int64_t kx = 0; kx < kw; ++kx) {
                int64_t ix = ox * s[1] + kx * d[1] - p[1];
                if (ix < 0 || ix >= wd)
                  continue;
                acc += double(x.data[((bn * c + g * cg + ic) * h + iy) * wd +
                                     ix]) *
                       w.data[((oc * cg + ic) * kh + ky) * kw + kx];
              }
            }
          y.data[((bn * o + oc) * ho + oy) * wo + ox] = float(acc);
        }
    }
}

void Interpreter::fullyConnected(FullyConnectedOp op) {
  const HostArray &x = get(op.getInput()), &w = get(op.getWeight());
  const HostArray *b = op.getBias() ? &get(op.getBias()) : nullptr;
  HostArray &y = define(op.getOutput());
  int64_t n = w.shape[0], k = w.shape[1], rows = numel(x.shape) / k;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double acc = b ? b->data[j] : 0.0;
      for (int64_t i = 0; i < k; ++i)
        acc += double(x.data[r * k + i]) * w.data[j * k + i];
      y.data[r * n + j] = float(acc);
    }
}

void Interpreter::matmul(MatMulOp op) {
  const HostArray &a = get(op.getLhs()), &b = get(op.getRhs());
  HostArray &y = define(op.getOutput());
  int64_t m = a.shape[a.shape.size() - 2], k = a.shape.back(),
          n = b.shape.back();
  // Broadcast the batch dims: index each operand's matrices by the
  // output's batch index.
  ArrayRef<int64_t> yBatch = ArrayRef<int64_t>(y.shape).drop_back(2);
  std::vector<int64_t> ia =
      broadcastIndex(ArrayRef<int64_t>(a.shape).drop_back(2), yBatch);
  std::vector<int64_t> ib =
      broadcastIndex(ArrayRef<int64_t>(b.shape).drop_back(2), yBatch);
  for (size_t bt = 0; bt < ia.size(); ++bt)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t t = 0; t < k; ++t)
          acc += double(a.data[(ia[bt] * m + i) * k + t]) *
                 b.data[(ib[bt] * k + t) * n + j];
        y.data[(bt * m + i) * n + j] = float(acc);
      }
}

/// Float self-attention, straight from the op's definition (double
/// accumulation, like matmul).
void Interpreter::attention(MultiHeadAttentionOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  // All tokens of the batch through the projections; attention within each
  // sequence of `seq` tokens.
  int64_t e = x.shape.back(), s = int64_t(x.data.size()) / e;
  int64_t seq = x.shape[x.shape.size() - 2];
  int64_t h = int64_t(op.getNumHeads()), p = e / h;
  bool fused = op.getFusedQk();
  int64_t d = fused ? e : p;
  auto linear = [&](const std::vector<float> &in, int64_t k, Value w, Value b) {
    const HostArray &wa = get(w), &ba = get(b);
    int64_t n = wa.shape[0];
    std::vector<float> out(s * n);
    for (int64_t t = 0; t < s; ++t)
      for (int64_t j = 0; j < n; ++j) {
        double acc = ba.data[j];
        for (int64_t i = 0; i < k; ++i)
          acc += double(in[t * k + i]) * wa.data[j * k + i];
        out[t * n + j] = float(acc);
      }
    return out;
  };
  std::vector<float> q = linear(x.data, e, op.getQWeight(), op.getQBias());
  std::vector<float> k =
      fused ? x.data : linear(x.data, e, op.getKWeight(), op.getKBias());
  std::vector<float> v = linear(x.data, e, op.getVWeight(), op.getVBias());
  double scale = op.getScale().convertToDouble();
  // The score bias [Hb, S, S] (-inf masks a key).
  const HostArray *bias = op.getScoreBias() ? &get(op.getScoreBias()) : nullptr;
  auto biasAt = [&](int64_t head, int64_t i, int64_t j) -> float {
    if (!bias)
      return 0;
    int64_t hb = bias->shape[0] > 1 ? head : 0;
    return bias->data[(hb * seq + i) * seq + j];
  };
  std::vector<float> ctx(s * e), row(seq);
  for (int64_t first = 0; first < s; first += seq)
    for (int64_t head = 0; head < h; ++head)
      for (int64_t i = first; i < first + seq; ++i) {
        float m = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < seq; ++j) {
          double acc = 0;
          for (int64_t c = 0; c < d; ++c)
            acc += double(q[(i * h + head) * d + c]) *
                   k[(first + j) * e + (fused ? c : head * p + c)];
          row[j] = float(float(acc) * scale) + biasAt(head, i - first, j);
          m = std::max(m, row[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < seq; ++j)
          sum += (row[j] = std::exp(row[j] - m));
        for (int64_t c = 0; c < p; ++c) {
          double acc = 0;
          for (int64_t j = 0; j < seq; ++j)
            acc += double(float(row[j] / sum)) * v[(first + j) * e + head * p + c];
          ctx[i * e + head * p + c] = float(acc);
        }
      }
  std::vector<float> out = linear(ctx, e, op.getOWeight(), op.getOBias());
  y.data.assign(out.begin(), out.end());
}

void Interpreter::binary(Operation *op, float (*fn)(float, float)) {
  const HostArray &a = get(op->getOperand(0)), &b = get(op->getOperand(1));
  HostArray &y = define(op->getResult(0));
  std::vector<int64_t> ia = broadcastIndex(a.shape, y.shape);
  std::vector<int64_t> ib = broadcastIndex(b.shape, y.shape);
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] = fn(a.data[ia[i]], b.data[ib[i]]);
}

void Interpreter::unary(Operation *op, float (*fn)(float)) {
  const HostArray &x = get(op->getOperand(0));
  HostArray &y = define(op->getResult(0));
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] = fn(x.data[i]);
}

void Interpreter::pool(Operation *op, ArrayRef<int64_t> kernel,
                       ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
                       bool isMax, bool countIncludePad) {
  const HostArray &x = get(op->getOperand(0));
  HostArray &y = define(op->getResult(0));
  int64_t nc = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t ho = y.shape[2], wo = y.shape[3];
  for (int64_t plane = 0; plane < nc; ++plane)
    for (int64_t oy = 0; oy < ho; ++oy)
      for (int64_t ox = 0; ox < wo; ++ox) {
        double acc = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
        int64_t count = 0;
        for (int64_t ky = 0; ky < kernel[0]; ++ky)
          for (int64_t kx = 0; kx < kernel[1]; ++kx) {
            int64_t iy = oy * strides[0] + ky - padding[0];
            int64_t ix = ox * strides[1] + kx - padding[1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
              continue;
            float v = x.data[(plane * h + iy) * w + ix];
            acc = isMax ? std::max(acc, double(v)) : acc + v;
            ++count;
          }
        if (!isMax)
          acc /= countIncludePad ? kernel[0] * kernel[1] : count;
        y.data[(plane * ho + oy) * wo + ox] = float(acc);
      }
}

void Interpreter::mean(MeanOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  // Map each input element to its output element (reduced dims -> 0).
  ArrayRef<int64_t> axes = op.getAxes();
  SmallVector<int64_t> kept(x.shape);
  int64_t reduced = 1;
  for (int64_t a : axes) {
    reduced *= kept[a];
    kept[a] = 1;
  }
  SmallVector<int64_t> keptStrides = stridesOf(kept);
  std::vector<double> sums(y.data.size(), 0.0);
  for (int64_t i = 0; i < int64_t(x.data.size()); ++i) {
    int64_t rem = i, to = 0;
    for (int64_t d = x.shape.size() - 1; d >= 0; --d) {
      int64_t idx = rem % x.shape[d];
      rem /= x.shape[d];
      if (!llvm::is_contained(axes, d))
        to += idx * keptStrides[d];
    }
    sums[to] += x.data[i];
  }
  for (size_t i = 0; i < sums.size(); ++i)
    y.data[i] = float(sums[i] / reduced);
}

void Interpreter::resizeNearest(ResizeNearestOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  int64_t planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t sh = op.getScales()[0], sw = op.getScales()[1];
  int64_t oh = h * sh, ow = w * sw;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        y.data[(p * oh + i) * ow + j] = x.data[(p * h + i / sh) * w + j / sw];
}

void Interpreter::depthToSpace(DepthToSpaceOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  int64_t n = y.shape[0], c = y.shape[1], oh = y.shape[2], ow = y.shape[3];
  int64_t bh = op.getBlock()[0], bw = op.getBlock()[1];
  int64_t h = x.shape[2], w = x.shape[3], cin = x.shape[1];
  bool crd = op.getMode() == "CRD";
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          int64_t phase = (i % bh) * bw + j % bw;
          int64_t from = crd ? ch * bh * bw + phase : phase * c + ch;
          y.data[((b * c + ch) * oh + i) * ow + j] =
              x.data[((b * cin + from) * h + i / bh) * w + j / bw];
        }
}

void Interpreter::shuffle(ShuffleOp op) {
  // The transpose of the input viewed as its factors; the output is the
  // result's bytes in row-major order.
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  ArrayRef<int64_t> f = op.getFactors(), perm = op.getPerm();
  SmallVector<int64_t> strides = stridesOf(f), permuted;
  for (int64_t p : perm)
    permuted.push_back(f[p]);
  for (int64_t i = 0; i < int64_t(y.data.size()); ++i) {
    int64_t rem = i, from = 0;
    for (int64_t d = int64_t(perm.size()) - 1; d >= 0; --d) {
      from += (rem % permuted[d]) * strides[perm[d]];
      rem /= permuted[d];
    }
    y.data[i] = x.data[from];
  }
}

void Interpreter::transpose(TransposeOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  ArrayRef<int64_t> perm = op.getPerm();
  SmallVector<int64_t> xStrides = stridesOf(x.shape);
  for (int64_t i = 0; i < int64_t(y.data.size()); ++i) {
    int64_t rem = i, from = 0;
    for (int64_t d = y.shape.size() - 1; d >= 0; --d) {
      from += (rem % y.shape[d]) * xStrides[perm[d]];
      rem /= y.shape[d];
    }
    y.data[i] = x.data[from];
  }
}

void Interpreter::concat(ConcatOp op) {
  HostArray &y = define(op.getOutput());
  int64_t axis = op.getAxis();
  int64_t outer = numel(ArrayRef<int64_t>(y.shape).take_front(axis));
  int64_t at = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (Value v : op.getInputs()) {
      const HostArray &x = get(v);
      int64_t chunk = numel(ArrayRef<int64_t>(x.shape).drop_front(axis));
      std::copy_n(x.data.begin() + o * chunk, chunk, y.data.begin() + at);
      at += chunk;
    }
}

void Interpreter::slice(SliceOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  ArrayRef<int64_t> offsets = op.getOffsets(), strides = op.getStrides();
  SmallVector<int64_t> xStrides = stridesOf(x.shape);
  for (int64_t i = 0; i < int64_t(y.data.size()); ++i) {
    int64_t rem = i, from = 0;
    for (int64_t d = y.shape.size() - 1; d >= 0; --d) {
      from += (offsets[d] + (rem % y.shape[d]) * strides[d]) * xStrides[d];
      rem /= y.shape[d];
    }
    y.data[i] = x.data[from];
  }
}

void Interpreter::pad(PadOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  ArrayRef<int64_t> low = op.getLow();
  StringRef mode = op.getMode();
  float value = op.getValue().convertToFloat();
  SmallVector<int64_t> xStrides = stridesOf(x.shape);
  // Per output element, the input element it copies (or the constant).
  for (int64_t i = 0; i < int64_t(y.data.size()); ++i) {
    int64_t rem = i, from = 0;
    bool inside = true;
    for (int64_t d = y.shape.size() - 1; d >= 0; --d) {
      int64_t at = rem % y.shape[d] - low[d], n = x.shape[d];
      rem /= y.shape[d];
      if (at < 0 || at >= n) {
        if (mode == "reflect")
          at = at < 0 ? -at : 2 * (n - 1) - at;
        else if (mode == "edge")
          at = at < 0 ? 0 : n - 1;
        else
          inside = false;
      }
      from += at * xStrides[d];
    }
    y.data[i] = inside ? x.data[from] : value;
  }
}

void Interpreter::softmax(SoftmaxOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  int64_t axis = op.getAxis(), len = x.shape[axis];
  int64_t inner = numel(ArrayRef<int64_t>(x.shape).drop_front(axis + 1));
  int64_t outer = numel(x.shape) / (len * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t j) { return (o * len + j) * inner + in; };
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < len; ++j)
        mx = std::max(mx, x.data[at(j)]);
      double sum = 0;
      for (int64_t j = 0; j < len; ++j)
        sum += std::exp(double(x.data[at(j)]) - mx);
      for (int64_t j = 0; j < len; ++j)
        y.data[at(j)] = float(std::exp(double(x.data[at(j)]) - mx) / sum);
    }
}

void Interpreter::layerNorm(LayerNormOp op) {
  const HostArray &x = get(op.getInput()), &g = get(op.getScale()),
                  &b = get(op.getBias());
  HostArray &y = define(op.getOutput());
  int64_t len = numel(ArrayRef<int64_t>(x.shape).drop_front(op.getAxis()));
  int64_t rows = numel(x.shape) / len;
  double eps = op.getEpsilon().convertToFloat();
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x.data.data() + r * len;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < len; ++i)
      mean += row[i];
    mean /= len;
    for (int64_t i = 0; i < len; ++i)
      var += (row[i] - mean) * (row[i] - mean);
    var /= len;
    double inv = 1 / std::sqrt(var + eps);
    for (int64_t i = 0; i < len; ++i)
      y.data[r * len + i] = float((row[i] - mean) * inv * g.data[i] + b.data[i]);
  }
}

/// Per-element scale and zero point of a quantized tensor type.
void quantParams(ShapedType type, std::vector<float> &scale,
                 std::vector<float> &zeroPoint) {
  int64_t n = type.getNumElements();
  scale.assign(n, 1.0f);
  zeroPoint.assign(n, 0.0f);
  Type elem = type.getElementType();
  if (auto q = dyn_cast<quant::UniformQuantizedType>(elem)) {
    std::fill(scale.begin(), scale.end(), float(q.getScale()));
    std::fill(zeroPoint.begin(), zeroPoint.end(), float(q.getZeroPoint()));
  } else if (auto q = dyn_cast<quant::UniformQuantizedPerAxisType>(elem)) {
    SmallVector<int64_t> strides = stridesOf(type.getShape());
    int64_t axis = q.getQuantizedDimension();
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = (i / strides[axis]) % type.getDimSize(axis);
      scale[i] = float(q.getScales()[c]);
      zeroPoint[i] = float(q.getZeroPoints()[c]);
    }
  }
}

void Interpreter::quantize(QuantizeOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  auto q = cast<quant::QuantizedType>(op.getOutput().getType().getElementType());
  float lo = float(q.getStorageTypeMin()), hi = float(q.getStorageTypeMax());
  std::vector<float> scale, zp;
  quantParams(op.getOutput().getType(), scale, zp);
  // ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point).
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] = std::clamp(std::nearbyint(x.data[i] / scale[i]) + zp[i], lo, hi);
}

void Interpreter::dequantize(DequantizeOp op) {
  const HostArray &x = get(op.getInput());
  HostArray &y = define(op.getOutput());
  std::vector<float> scale, zp;
  quantParams(op.getInput().getType(), scale, zp);
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] = (x.data[i] - zp[i]) * scale[i];
}

} // namespace

FailureOr<std::vector<HostArray>>
tinyformer::runReference(ModuleOp module, ArrayRef<HostArray> inputs,
                         StringRef entry,
                         function_ref<void(Value, const HostArray &)> observe) {
  func::FuncOp func;
  for (auto f : module.getOps<func::FuncOp>())
    if (entry.empty() || f.getName() == entry) {
      func = f;
      break;
    }
  if (!func) {
    module.emitError() << "has no function " << (entry.empty() ? "" : "'")
                       << entry << (entry.empty() ? "" : "'");
    return failure();
  }
  Interpreter interpreter(observe);
  std::vector<HostArray> outputs;
  if (failed(interpreter.run(func, inputs, outputs)))
    return failure();
  return outputs;
}
