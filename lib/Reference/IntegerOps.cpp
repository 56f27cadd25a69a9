//===- IntegerOps.cpp - INT8 ops of the reference interpreter -------------===//
//
// Plain loops over the logical NCHW index space with the integer formulas of
// runtime/include/tfk/kernels.h. The generated kernels compute the same
// numbers in another order and layout; the emulator tests compare them.
//
//===----------------------------------------------------------------------===//
#include "IntegerOps.h"

#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Quant/IntegerRules.h"

#include "tfk/layer_norm.h"
#include "tfk/resize.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer::detail {
namespace {

using Getter = llvm::function_ref<const HostArray &(Value)>;
using Definer = llvm::function_ref<HostArray &(Value)>;

int32_t clampTo(int32_t v, ActRange r) { return std::clamp(v, r.min, r.max); }

/// conv2d (grouped and depthwise included) on NCHW / OIHW.
void conv2d(Conv2DOp op, const ConvRules &r, const HostArray &x, HostArray &y) {
  int64_t h = x.shape[2], wd = x.shape[3];
  auto wShape = op.getWeight().getType().getShape();
  int64_t o = wShape[0], cg = wShape[1], kh = wShape[2], kw = wShape[3];
  int64_t ho = y.shape[2], wo = y.shape[3], og = o / op.getGroups();
  ArrayRef<int64_t> s = op.getStrides(), p = op.getPadding();
  for (int64_t oc = 0; oc < o; ++oc) {
    int64_t g = oc / og;
    for (int64_t oy = 0; oy < ho; ++oy)
      for (int64_t ox = 0; ox < wo; ++ox) {
        int32_t acc = r.bias[oc];
        for (int64_t ic = 0; ic < cg; ++ic)
          for (int64_t ky = 0; ky < kh; ++ky) {
            int64_t iy = oy * s[0] + ky - p[0];
            if (iy < 0 || iy >= h)
              continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t ix = ox * s[1] + kx - p[1];
              if (ix < 0 || ix >= wd)
                continue;
              int32_t xv = int32_t(x.data[((g * cg + ic) * h + iy) * wd + ix]);
              acc += (xv - r.inZp) *
                     int32_t(r.weight[((oc * cg + ic) * kh + ky) * kw + kx]);
            }
          }
        int32_t v = r.outZp + multiplyByQuantizedMultiplier(acc, r.requant[oc]);
        y.data[(oc * ho + oy) * wo + ox] = float(clampTo(v, r.act));
      }
  }
}

void fullyConnected(const ConvRules &r, const HostArray &x, HostArray &y) {
  int64_t n = int64_t(r.requant.size());
  int64_t k = x.shape.back(), rows = int64_t(x.data.size()) / k;
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t j = 0; j < n; ++j) {
      int32_t acc = r.bias[j];
      for (int64_t i = 0; i < k; ++i)
        acc += (int32_t(x.data[t * k + i]) - r.inZp) * int32_t(r.weight[j * k + i]);
      int32_t v = r.outZp + multiplyByQuantizedMultiplier(acc, r.requant[j]);
      y.data[t * n + j] = float(clampTo(v, r.act));
    }
}

void add(const AddRules &r, const HostArray &a, const HostArray &b,
         HostArray &y) {
  for (size_t i = 0; i < y.data.size(); ++i) {
    int32_t sa = multiplyByQuantizedMultiplier(
        (int32_t(a.data[i]) - r.lhsZp) * (1 << r.leftShift), r.lhs);
    int32_t sb = multiplyByQuantizedMultiplier(
        (int32_t(b.data[i]) - r.rhsZp) * (1 << r.leftShift), r.rhs);
    int32_t v = r.outZp + multiplyByQuantizedMultiplier(sa + sb, r.out);
    y.data[i] = float(clampTo(v, r.act));
  }
}

/// prelu on a logical-order array: the channel is the index along dim 1.
void prelu(const PReluRules &r, const HostArray &x, HostArray &y) {
  int64_t c = x.shape[1];
  int64_t inner = int64_t(x.data.size()) / (x.shape[0] * c);
  for (size_t i = 0; i < x.data.size(); ++i) {
    int64_t ch = (int64_t(i) / inner) % c;
    int32_t v = int32_t(x.data[i]) - r.inZp;
    int32_t t = v >= 0 ? multiplyByQuantizedMultiplier(v, r.positive)
                       : r.sign[ch] * multiplyByQuantizedMultiplier(v, r.negative[ch]);
    y.data[i] = float(std::clamp(r.outZp + t, -128, 127));
  }
}

/// Numpy broadcasting of `a` and `b` (logical order) to `y`'s shape.
void mul(const MulRules &r, const HostArray &a, const HostArray &b,
         HostArray &y) {
  size_t rank = y.shape.size();
  auto strides = [&](const HostArray &x) {
    // Stride of each output dim in x (0 where x broadcasts).
    SmallVector<int64_t> s(rank, 0);
    int64_t stride = 1;
    for (size_t i = 0; i < x.shape.size(); ++i) {
      size_t d = x.shape.size() - 1 - i, o = rank - 1 - i;
      s[o] = x.shape[d] == 1 ? 0 : stride;
      stride *= x.shape[d];
    }
    return s;
  };
  SmallVector<int64_t> sa = strides(a), sb = strides(b), index(rank, 0);
  for (size_t i = 0; i < y.data.size(); ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < rank; ++d) {
      ia += index[d] * sa[d];
      ib += index[d] * sb[d];
    }
    int32_t prod = (int32_t(a.data[ia]) - r.lhsZp) * (int32_t(b.data[ib]) - r.rhsZp);
    int32_t v = r.outZp + multiplyByQuantizedMultiplier(prod, r.mult);
    y.data[i] = float(clampTo(v, r.act));
    for (size_t d = rank; d-- > 0;)
      if (++index[d] < y.shape[d])
        break;
      else
        index[d] = 0;
  }
}

void requantize(const RequantRules &r, const HostArray &x, HostArray &y) {
  for (size_t i = 0; i < y.data.size(); ++i) {
    int32_t v = r.outZp + multiplyByQuantizedMultiplier(
                              int32_t(x.data[i]) - r.inZp, r.requant);
    y.data[i] = float(clampTo(v, r.act));
  }
}

/// Max or average pooling over NCHW windows; `avg` null means max.
void pool(const HostArray &x, HostArray &y, ArrayRef<int64_t> k,
          ArrayRef<int64_t> s, ArrayRef<int64_t> p, const AvgPoolRules *avg,
          bool countIncludePad) {
  int64_t c = x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t ho = y.shape[2], wo = y.shape[3];
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t oy = 0; oy < ho; ++oy)
      for (int64_t ox = 0; ox < wo; ++ox) {
        int32_t best = -128, acc = 0, count = 0;
        for (int64_t ky = 0; ky < k[0]; ++ky)
          for (int64_t kx = 0; kx < k[1]; ++kx) {
            int64_t iy = oy * s[0] + ky - p[0], ix = ox * s[1] + kx - p[1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
              continue;
            int32_t v = int32_t(x.data[(ch * h + iy) * w + ix]);
            best = std::max(best, v);
            acc += avg ? v - avg->inZp : 0;
            ++count;
          }
        int32_t out = best;
        if (avg) {
          if (countIncludePad)
            count = int32_t(k[0] * k[1]);
          out = clampTo(avg->outZp + multiplyByQuantizedMultiplier(
                                         acc, avg->byCount[count]),
                        avg->act);
        }
        y.data[(ch * ho + oy) * wo + ox] = float(out);
      }
}

void softmax(const SoftmaxRules &r, const HostArray &x, HostArray &y) {
  int64_t cols = x.shape.back(), rows = int64_t(x.data.size()) / cols;
  for (int64_t row = 0; row < rows; ++row) {
    const float *in = x.data.data() + row * cols;
    int32_t m = -128;
    for (int64_t i = 0; i < cols; ++i)
      m = std::max(m, int32_t(in[i]));
    uint32_t sum = 0;
    for (int64_t i = 0; i < cols; ++i)
      sum += uint32_t(r.expTable[m - int32_t(in[i])]);
    uint32_t recip = 0x7FFFFFFFu / sum;
    for (int64_t i = 0; i < cols; ++i) {
      int32_t p = int32_t(uint32_t(r.expTable[m - int32_t(in[i])]) * recip);
      int32_t v = r.outZp + multiplyByQuantizedMultiplier(p, r.out);
      y.data[row * cols + i] = float(std::clamp(v, -128, 127));
    }
  }
}

/// softmax of attention scores with a bias: as softmax, over the entries
/// that are not -128 (masked keys, probability -128: exactly 0); a row with
/// every key masked is all -128.
void maskedSoftmax(const SoftmaxRules &r, const HostArray &x, HostArray &y) {
  int64_t cols = x.shape.back(), rows = int64_t(x.data.size()) / cols;
  for (int64_t row = 0; row < rows; ++row) {
    const float *in = x.data.data() + row * cols;
    int32_t m = -128;
    uint32_t sum = 0;
    for (int64_t i = 0; i < cols; ++i)
      m = std::max(m, int32_t(in[i]));
    for (int64_t i = 0; i < cols; ++i)
      if (in[i] != -128)
        sum += uint32_t(r.expTable[m - int32_t(in[i])]);
    uint32_t recip = sum ? 0x7FFFFFFFu / sum : 0;
    for (int64_t i = 0; i < cols; ++i) {
      int32_t v = -128;
      if (in[i] != -128) {
        int32_t p = int32_t(uint32_t(r.expTable[m - int32_t(in[i])]) * recip);
        v = std::clamp(r.outZp + multiplyByQuantizedMultiplier(p, r.out), -128, 127);
      }
      y.data[row * cols + i] = float(v);
    }
  }
}

/// layer_norm over the last axis, as tfk_layer_norm_s8 specifies it (its
/// per-token scale is tfk/layer_norm.h's, the kernel's own code).
void layerNorm(const LayerNormRules &r, const HostArray &x, HostArray &y) {
  int64_t c = x.shape.back(), rows = int64_t(x.data.size()) / c;
  for (int64_t t = 0; t < rows; ++t) {
    const float *in = x.data.data() + t * c;
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < c; ++i) {
      a += int64_t(in[i]);
      b += int64_t(in[i]) * int64_t(in[i]);
    }
    int64_t var = c * b - a * a + r.epsTerm;
    uint32_t scale = tfk_ln_scale(uint64_t(var), r.fracBits);
    for (int64_t i = 0; i < c; ++i) {
      // (C x - A) * r, exact in int32 (kernels.h).
      int64_t n = (c * int64_t(in[i]) - a) * int64_t(scale);
      int64_t v = ((n * r.gamma[i]) >> 16) + r.beta[i];
      y.data[t * c + i] = float(std::clamp<int64_t>(v >> r.outShift, -128, 127));
    }
  }
}

void lut(const LutRules &r, const HostArray &x, HostArray &y) {
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] = float(r.table[int32_t(x.data[i]) + 128]);
}

/// Batched matmul with NumPy broadcasting of the batch dims.
void matmul(const MatMulRules &r, const HostArray &a, const HostArray &b,
            HostArray &y) {
  int64_t m = a.shape[a.shape.size() - 2], k = a.shape.back();
  int64_t n = b.shape.back();
  int64_t batches = int64_t(y.data.size()) / (m * n);
  std::vector<int64_t> yBatch(y.shape.begin(), y.shape.end() - 2);
  auto offsetIn = [&](const HostArray &t, int64_t flat) {
    // Index of batch `flat` of y inside t's (broadcast) batch dims.
    std::vector<int64_t> tb(t.shape.begin(), t.shape.end() - 2);
    int64_t off = 0, stride = 1;
    for (int64_t d = int64_t(yBatch.size()) - 1, td = int64_t(tb.size()) - 1;
         d >= 0; --d, --td) {
      int64_t idx = flat % yBatch[d];
      flat /= yBatch[d];
      if (td >= 0) {
        off += (tb[td] == 1 ? 0 : idx) * stride;
        stride *= tb[td];
      }
    }
    return off;
  };
  for (int64_t bt = 0; bt < batches; ++bt) {
    const float *pa = a.data.data() + offsetIn(a, bt) * m * k;
    const float *pb = b.data.data() + offsetIn(b, bt) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int32_t acc = 0;
        for (int64_t l = 0; l < k; ++l)
          acc += (int32_t(pa[i * k + l]) - r.lhsZp) *
                 (int32_t(pb[l * n + j]) - r.rhsZp);
        int32_t v = r.outZp + multiplyByQuantizedMultiplier(acc, r.requant);
        y.data[(bt * m + i) * n + j] = float(clampTo(v, r.act));
      }
  }
}

/// concat: copy every input's block along `axis`, requantized.
void concat(ConcatOp op, const ConcatRules &r, Getter get, HostArray &y) {
  int64_t axis = int64_t(op.getAxis());
  ArrayRef<int64_t> outShape = op.getOutput().getType().getShape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= outShape[d];
  for (int64_t d = axis + 1; d < int64_t(outShape.size()); ++d)
    inner *= outShape[d];
  int64_t at = 0;
  for (auto [i, v] : llvm::enumerate(op.getInputs())) {
    const HostArray &x = get(v);
    int64_t len = cast<ShapedType>(v.getType()).getDimSize(axis) * inner;
    const RequantRules &q = r.inputs[i];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t e = 0; e < len; ++e) {
        int32_t val = q.outZp + multiplyByQuantizedMultiplier(
                                    int32_t(x.data[o * len + e]) - q.inZp,
                                    q.requant);
        y.data[o * outShape[axis] * inner + at + e] =
            float(std::clamp(val, -128, 127));
      }
    at += len;
  }
}

/// mean over the token axis of [1, S, C] (or [S, C]).
/// The mean over `axes`: per result element, the sum of its inputs less the
/// zero point, scaled by the average pool's multiplier for their count.
void meanOverAxes(const AvgPoolRules &r, const HostArray &x,
                  ArrayRef<int64_t> axes, int64_t count, HostArray &y) {
  std::vector<int32_t> acc(y.data.size(), 0);
  int64_t rank = int64_t(x.shape.size());
  SmallVector<int64_t> index(rank, 0);
  for (size_t i = 0; i < x.data.size(); ++i) {
    int64_t to = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (!llvm::is_contained(axes, d))
        to = to * x.shape[d] + index[d];
    acc[to] += int32_t(x.data[i]) - r.inZp;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < x.shape[d])
        break;
      index[d] = 0;
    }
  }
  for (size_t j = 0; j < acc.size(); ++j) {
    int32_t v = r.outZp + multiplyByQuantizedMultiplier(acc[j], r.byCount[count]);
    y.data[j] = float(clampTo(v, r.act));
  }
}

/// mhsa over one sequence x [S, E], straight from the formulas of
/// tfk_mhsa_s8 (kernels.h), with the projections and the softmax of the ops
/// above: every intermediate materialised, no tiling.
void attentionOfSequence(const AttentionRules &r, const HostArray &x,
                         HostArray &y) {
  int64_t e = x.shape.back(), s = int64_t(x.data.size()) / e;
  int64_t h = r.heads, p = r.headDim, d = r.fusedQk ? e : p;
  auto project = [&](const ConvRules &w, const HostArray &in) {
    HostArray out;
    out.shape = {s, int64_t(w.requant.size())};
    out.data.resize(s * w.requant.size());
    fullyConnected(w, in, out);
    return out;
  };
  HostArray xs;
  xs.shape = {s, e};
  xs.data = x.data;
  HostArray q = project(r.q, xs);
  HostArray k = r.fusedQk ? xs : project(r.k, xs);
  HostArray v = project(r.v, xs);
  HostArray ctx;
  ctx.shape = {s, e};
  ctx.data.resize(s * e);
  HostArray score, prob;
  score.shape = prob.shape = {1, s};
  score.data.resize(s);
  prob.data.resize(s);
  for (int64_t head = 0; head < h; ++head)
    for (int64_t i = 0; i < s; ++i) {
      for (int64_t j = 0; j < s; ++j) {
        int32_t acc = 0;
        for (int64_t l = 0; l < d; ++l) {
          int32_t qv = int32_t(q.data[i * h * d + head * d + l]) - r.qZp;
          int32_t kv = int32_t(k.data[j * e + (r.fusedQk ? 0 : head * p) + l]) - r.kZp;
          acc += qv * kv;
        }
        int16_t b = r.biasHeads
                        ? r.scoreBias[((r.biasHeads > 1 ? head : 0) * s + i) * s + j]
                        : 0;
        if (b != kMaskedBias)
          acc += int32_t(b) * (int32_t(1) << r.biasShift);
        int32_t sc = r.sZp + multiplyByQuantizedMultiplier(acc, r.score);
        // Biased scores keep -128 for masked keys.
        if (r.biasHeads)
          sc = b == kMaskedBias ? -128 : std::clamp(sc, -127, 127);
        score.data[j] = float(std::clamp(sc, -128, 127));
      }
      if (r.biasHeads)
        maskedSoftmax(r.softmax, score, prob);
      else
        softmax(r.softmax, score, prob);
      for (int64_t c = 0; c < p; ++c) {
        int32_t acc = 0;
        for (int64_t j = 0; j < s; ++j)
          acc += (int32_t(prob.data[j]) + 128) *
                 (int32_t(v.data[j * e + head * p + c]) - r.vZp);
        ctx.data[i * e + head * p + c] = float(std::clamp(
            r.cZp + multiplyByQuantizedMultiplier(acc, r.context), -128, 127));
      }
    }
  HostArray out = project(r.o, ctx);
  for (size_t i = 0; i < out.data.size(); ++i)
    y.data[i] = float(clampTo(int32_t(out.data[i]), r.act));
}

/// mhsa over x [.., S, E]: each sequence of the batch on its own.
void attention(const AttentionRules &r, const HostArray &x, HostArray &y) {
  int64_t e = x.shape.back(), s = x.shape[x.shape.size() - 2];
  HostArray seqIn, seqOut;
  seqIn.shape = seqOut.shape = {s, e};
  seqOut.data.resize(s * e);
  for (size_t first = 0; first < x.data.size(); first += s * e) {
    seqIn.data.assign(x.data.begin() + first, x.data.begin() + first + s * e);
    attentionOfSequence(r, seqIn, seqOut);
    std::copy(seqOut.data.begin(), seqOut.data.end(), y.data.begin() + first);
  }
}

} // namespace

void resizeBilinear(const HostArray &x, HostArray &y, int64_t sh, int64_t sw,
                    bool integer) {
  int64_t planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t oh = h * sh, ow = w * sw, d = 4 * sh * sw;
  for (int64_t p = 0; p < planes; ++p) {
    const float *in = x.data.data() + p * h * w;
    for (int64_t i = 0; i < oh; ++i) {
      int32_t i0, i1, wy0, wy1;
      tfk_bilinear_taps(int32_t(i), int32_t(sh), int32_t(h), &i0, &i1, &wy0, &wy1);
      for (int64_t j = 0; j < ow; ++j) {
        int32_t j0, j1, wx0, wx1;
        tfk_bilinear_taps(int32_t(j), int32_t(sw), int32_t(w), &j0, &j1, &wx0, &wx1);
        float &out = y.data[(p * oh + i) * ow + j];
        if (integer) {
          int32_t acc = wy0 * wx0 * int32_t(in[i0 * w + j0]) +
                        wy0 * wx1 * int32_t(in[i0 * w + j1]) +
                        wy1 * wx0 * int32_t(in[i1 * w + j0]) +
                        wy1 * wx1 * int32_t(in[i1 * w + j1]);
          out = float(tfk_floor_div(acc + int32_t(d / 2), int32_t(d)));
        } else {
          double acc = double(wy0) * wx0 * in[i0 * w + j0] +
                       double(wy0) * wx1 * in[i0 * w + j1] +
                       double(wy1) * wx0 * in[i1 * w + j0] +
                       double(wy1) * wx1 * in[i1 * w + j1];
          out = float(acc / double(d));
        }
      }
    }
  }
}

bool isIntegerComputeOp(Operation *op) {
  return isIntegerOp(op) &&
         (hasLutForm(op) ||
          isa<Conv2DOp, FullyConnectedOp, AddOp, QuantizeOp, ReluOp, ClipOp,
              MulOp, DivOp, MaxPool2DOp, AvgPool2DOp, GlobalAvgPool2DOp,
              MeanOp, SoftmaxOp, LayerNormOp, MatMulOp, ConcatOp,
              MultiHeadAttentionOp, PReluOp, ResizeBilinearOp>(op));
}

LogicalResult runIntegerOp(Operation *op, Getter get, Definer define) {
  auto fail = [&]() -> LogicalResult { return failure(); };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](Conv2DOp c) {
        FailureOr<ConvRules> r = getConvRules(op);
        if (failed(r))
          return fail();
        if (llvm::any_of(c.getDilations(), [](int64_t d) { return d != 1; }))
          return LogicalResult(c.emitOpError("in INT8 form: dilation > 1 is "
                                             "not supported"));
        conv2d(c, *r, get(c.getInput()), define(c.getOutput()));
        return success();
      })
      .Case([&](FullyConnectedOp f) {
        FailureOr<ConvRules> r = getConvRules(op);
        if (failed(r))
          return fail();
        fullyConnected(*r, get(f.getInput()), define(f.getOutput()));
        return success();
      })
      .Case([&](ResizeBilinearOp r) {
        ArrayRef<int64_t> s = r.getScales();
        resizeBilinear(get(r.getInput()), define(r.getOutput()), s[0], s[1],
                       /*integer=*/true);
        return success();
      })
      .Case([&](PReluOp p) {
        FailureOr<PReluRules> r = getPReluRules(op);
        if (failed(r))
          return fail();
        prelu(*r, get(p.getInput()), define(p.getOutput()));
        return success();
      })
      .Case([&](AddOp a) {
        FailureOr<AddRules> r = getAddRules(op);
        if (failed(r))
          return fail();
        if (a.getLhs().getType().getShape() != a.getRhs().getType().getShape())
          return LogicalResult(a.emitOpError(
              "in INT8 form: operands must have the same shape (no "
              "broadcasting)"));
        add(*r, get(a.getLhs()), get(a.getRhs()), define(a.getOutput()));
        return success();
      })
      .Case([&](MulOp m) -> LogicalResult {
        if (tinyformer::constantScaleOf(op)) {
          FailureOr<RequantRules> r = getRequantRules(op);
          if (failed(r))
            return fail();
          requantize(*r, get(op->getOperand(0)), define(op->getResult(0)));
          return success();
        }
        FailureOr<MulRules> r = getMulRules(op);
        if (failed(r))
          return fail();
        mul(*r, get(m.getLhs()), get(m.getRhs()), define(m.getOutput()));
        return success();
      })
      .Case<QuantizeOp, ReluOp, ClipOp, DivOp>([&](Operation *) {
        FailureOr<RequantRules> r = getRequantRules(op);
        if (failed(r))
          return fail();
        requantize(*r, get(op->getOperand(0)), define(op->getResult(0)));
        return success();
      })
      .Case([&](MaxPool2DOp p) {
        if (failed(getMaxPoolRules(op)))
          return fail();
        pool(get(p.getInput()), define(p.getOutput()), p.getKernel(),
             p.getStrides(), p.getPadding(), nullptr, false);
        return success();
      })
      .Case([&](AvgPool2DOp p) {
        ArrayRef<int64_t> k = p.getKernel();
        FailureOr<AvgPoolRules> r = getAvgPoolRules(op, k[0] * k[1]);
        if (failed(r))
          return fail();
        pool(get(p.getInput()), define(p.getOutput()), k, p.getStrides(),
             p.getPadding(), &*r, p.getCountIncludePad());
        return success();
      })
      .Case([&](GlobalAvgPool2DOp p) {
        ArrayRef<int64_t> s = p.getInput().getType().getShape();
        FailureOr<AvgPoolRules> r = getAvgPoolRules(op, s[2] * s[3]);
        if (failed(r))
          return fail();
        pool(get(p.getInput()), define(p.getOutput()), {s[2], s[3]}, {1, 1},
             {0, 0, 0, 0}, &*r, false);
        return success();
      })
      .Case([&](SoftmaxOp s) {
        FailureOr<SoftmaxRules> r = getSoftmaxRules(op);
        if (failed(r))
          return fail();
        if (int64_t(s.getAxis()) != s.getInput().getType().getRank() - 1)
          return LogicalResult(
              s.emitOpError("in INT8 form: softmax must be over the last axis"));
        softmax(*r, get(s.getInput()), define(s.getOutput()));
        return success();
      })
      .Case([&](LayerNormOp l) {
        FailureOr<LayerNormRules> r = getLayerNormRules(op);
        if (failed(r))
          return fail();
        layerNorm(*r, get(l.getInput()), define(l.getOutput()));
        return success();
      })
      .Case([&](MatMulOp m) {
        FailureOr<MatMulRules> r = getMatMulRules(op);
        if (failed(r))
          return fail();
        matmul(*r, get(m.getLhs()), get(m.getRhs()), define(m.getOutput()));
        return success();
      })
      .Case([&](ConcatOp c) {
        FailureOr<ConcatRules> r = getConcatRules(op);
        if (failed(r))
          return fail();
        concat(c, *r, get, define(c.getOutput()));
        return success();
      })
      .Case([&](MeanOp m) {
        ArrayRef<int64_t> s = m.getInput().getType().getShape();
        int64_t count = 1;
        for (int64_t a : m.getAxes())
          count *= s[a];
        FailureOr<AvgPoolRules> r = getAvgPoolRules(op, count);
        if (failed(r))
          return fail();
        meanOverAxes(*r, get(m.getInput()), m.getAxes(), count,
                     define(m.getOutput()));
        return success();
      })
      .Case([&](MultiHeadAttentionOp m) {
        FailureOr<AttentionRules> r = getAttentionRules(op);
        if (failed(r))
          return fail();
        attention(*r, get(m.getInput()), define(m.getOutput()));
        return success();
      })
      .Default([&](Operation *) {
        if (hasLutForm(op)) {
          FailureOr<LutRules> r = getLutRules(op);
          if (failed(r))
            return fail();
          lut(*r, get(op->getOperand(0)), define(op->getResult(0)));
          return success();
        }
        return LogicalResult(op->emitOpError(
            "has no INT8 rule in the reference interpreter"));
      });
}

} // namespace tinyformer::detail
