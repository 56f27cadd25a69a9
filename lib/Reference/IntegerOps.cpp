//===- IntegerOps.cpp - INT8 ops of the reference interpreter -------------===//
//
// Plain loops over the logical NCHW index space with the integer formulas of
// runtime/include/tfk/kernels.h. The generated kernels compute the same
// numbers in another order and layout; the emulator tests compare them.
//
//===----------------------------------------------------------------------===//
#include "IntegerOps.h"

#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Quant/IntegerRules.h"

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
  int64_t c = x.shape[1], h = x.shape[2], wd = x.shape[3];
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

} // namespace

bool isIntegerComputeOp(Operation *op) {
  return isIntegerOp(op) &&
         isa<Conv2DOp, FullyConnectedOp, AddOp, QuantizeOp, ReluOp, ClipOp,
             MaxPool2DOp, AvgPool2DOp, GlobalAvgPool2DOp, SoftmaxOp>(op);
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
      .Case<QuantizeOp, ReluOp, ClipOp>([&](Operation *) {
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
      .Default([&](Operation *) {
        return LogicalResult(op->emitOpError(
            "has no INT8 rule in the reference interpreter"));
      });
}

} // namespace tinyformer::detail
