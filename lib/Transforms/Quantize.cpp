//===- Quantize.cpp - post-training INT8 quantization ----------------------===//
//
// Three steps: (1) adopt the scales of the model's own QDQ pairs and drop
// the pairs; (2) give every other activation a scale from calibration runs
// of the float model, or from its neighbours for ops that keep the scale
// (max pooling, reshape, transpose); (3) rewrite types and constants into
// the INT8 form that tinyformer/Quant/IntegerRules.h reads.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Transforms/Passes.h"

#include "tinyformer/Dialect/SparseTiny/IR/AttentionPattern.h"
#include "tinyformer/Quant/IntegerRules.h"
#include "tinyformer/Reference/Interpreter.h"
#include "tinyformer/Support/Diagnostics.h"
#include "tinyformer/Support/Npy.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

namespace tinyformer {
#define GEN_PASS_DEF_QUANTIZE
#include "tinyformer/Transforms/Passes.h.inc"
} // namespace tinyformer

#define DEBUG_TYPE "sparse-tiny-quantize"

using namespace mlir;
using namespace mlir::sparse_tiny;
using tinyformer::HostArray;
using tinyformer::QParams;

namespace {

/// Ops whose INT8 output keeps the input's scale and zero point.
bool keepsScale(Operation *op) {
  return isa<MaxPool2DOp, ReshapeOp, TransposeOp, SliceOp, ResizeNearestOp,
             ResizeBilinearOp, PadOp, DepthToSpaceOp, ShuffleOp>(op);
}

/// Ops the INT8 form covers; anything else float is an error.
bool hasIntegerForm(Operation *op) {
  // mul by a constant scalar (a requantization) or of two activations (a
  // gate); div by a constant scalar.
  if (isa<MulOp>(op) && !tinyformer::constantScaleOf(op))
    return llvm::none_of(op->getOperands(), [](Value v) {
      return v.getDefiningOp<ConstantOp>() != nullptr;
    });
  if (isa<MulOp, DivOp>(op))
    return tinyformer::constantScaleOf(op).has_value();
  return tinyformer::hasLutForm(op) ||
         isa<Conv2DOp, FullyConnectedOp, AddOp, ReluOp, ClipOp, MaxPool2DOp,
             AvgPool2DOp, GlobalAvgPool2DOp, MeanOp, ReshapeOp, TransposeOp,
             SliceOp, ConcatOp, SoftmaxOp, LayerNormOp, MatMulOp,
             ResizeNearestOp, ResizeBilinearOp, PadOp, PReluOp, DepthToSpaceOp,
             ShuffleOp>(op);
}

/// Ops whose operands are all activations (a constant among them is
/// quantized like one: a class token, a position embedding).
bool takesActivationsOnly(Operation *op) {
  return isa<AddOp, ConcatOp, MatMulOp>(op);
}

/// Asymmetric int8 parameters covering [lo, hi] (which is widened to hold 0).
QParams paramsForRange(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  double scale = (hi - lo) / 255.0;
  if (!(scale > 0))
    scale = 1.0 / 255.0;
  double zp = std::round(-128.0 - lo / scale);
  return QParams{scale, int32_t(std::clamp(zp, -128.0, 127.0))};
}

/// Running range of one value over the calibration batch, plus a histogram
/// for the percentile method (filled in a second pass over the batch).
struct RangeStats {
  double min = INFINITY, max = -INFINITY;
  std::vector<uint64_t> histogram;
  uint64_t count = 0;
};
constexpr int kBins = 2048;

struct QuantizePass : tinyformer::impl::QuantizeBase<QuantizePass> {
  using QuantizeBase::QuantizeBase;

  void runOnOperation() override;

private:
  LogicalResult adoptQdqPairs(func::FuncOp func);
  SmallVector<Value> valuesWithoutScale(func::FuncOp func);
  LogicalResult reportMissingScales(func::FuncOp func);
  LogicalResult calibrate(func::FuncOp func);
  void warnAboutRanges(func::FuncOp func, ArrayRef<Value> values,
                       const llvm::DenseMap<Value, RangeStats> &stats,
                       int64_t samples, ArrayRef<float> batch,
                       int64_t sampleSize);
  void propagateThroughScaleKeepingOps(func::FuncOp func, bool borrowForPools);
  LogicalResult rewrite(func::FuncOp func);
  LogicalResult quantizeWeights(Operation *op, QParams in);
  LogicalResult quantizeConstantOperands(Operation *op);

  RankedTensorType int8Type(Value v, QParams p) {
    auto t = cast<RankedTensorType>(v.getType());
    return RankedTensorType::get(
        t.getShape(),
        quant::UniformQuantizedType::get(
            quant::QuantizationFlags::Signed,
            IntegerType::get(&getContext(), 8), Float32Type::get(&getContext()),
            p.scale, p.zeroPoint, -128, 127));
  }

  llvm::DenseMap<Value, QParams> params;
  /// Where calibration met a value the model computes as NaN or Inf.
  std::optional<Location> nonFiniteAt;
};

/// Whether `v` only feeds softmaxes: values far below a row's maximum
/// (masked keys) weigh nothing there.
bool onlyFeedsSoftmax(Value v) {
  return !v.use_empty() &&
         llvm::all_of(v.getUsers(), [](Operation *u) { return isa<SoftmaxOp>(u); });
}

/// A constant added to a softmax's input: an attention score bias or mask.
/// It stays float; sparse-tiny-fuse-attention takes it into the `mhsa`,
/// which adds it to Q·Kᵀ's accumulator (and masks -inf keys).
bool isScoreBias(Operation *op, Value operand) {
  return isa<AddOp>(op) && onlyFeedsSoftmax(op->getResult(0)) &&
         operand.getDefiningOp<ConstantOp>() &&
         isa<FloatType>(getElementTypeOrSelf(operand));
}

/// Per-tensor parameters of a QDQ type as int8 (uint8 shifts by 128).
std::optional<QParams> asInt8(Type type) {
  auto q = dyn_cast<quant::UniformQuantizedType>(getElementTypeOrSelf(type));
  if (!q || q.getStorageTypeIntegralWidth() != 8)
    return std::nullopt;
  int32_t zp = int32_t(q.getZeroPoint()) - (q.isSigned() ? 0 : 128);
  return QParams{q.getScale(), zp};
}

LogicalResult QuantizePass::adoptQdqPairs(func::FuncOp func) {
  SmallVector<Operation *> dead;
  WalkResult walk = func.walk([&](QuantizeOp q) -> WalkResult {
    if (!isa<FloatType>(getElementTypeOrSelf(q.getInput())))
      return WalkResult::advance();
    std::optional<QParams> p = asInt8(q.getType());
    if (!p)
      return q.emitOpError() << "cannot adopt a QDQ scale of type "
                             << q.getType()
                             << ": activations need 8-bit per-tensor types";
    params[q.getInput()] = *p;
    ++numAdopted;
    for (Operation *user : llvm::make_early_inc_range(q->getUsers()))
      if (auto dq = dyn_cast<DequantizeOp>(user)) {
        dq.getOutput().replaceAllUsesWith(q.getInput());
        dead.push_back(dq);
      }
    dead.push_back(q);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  for (Operation *op : dead) {
    if (!op->use_empty())
      return op->emitOpError()
             << "is used other than by a dequantize; cannot adopt its scale";
    op->erase();
  }
  return success();
}

SmallVector<Value> QuantizePass::valuesWithoutScale(func::FuncOp func) {
  // Arguments and op results that neither adopted a scale nor take it from
  // a neighbour.
  SmallVector<Value> missing;
  for (Value arg : func.getArguments())
    if (!params.count(arg))
      missing.push_back(arg);
  func.walk([&](Operation *op) {
    if (isa<ConstantOp, DequantizeOp, func::ReturnOp>(op) || keepsScale(op) ||
        isa<SoftmaxOp>(op))
      return;
    for (Value v : op->getResults())
      if (!params.count(v) && isa<FloatType>(getElementTypeOrSelf(v)))
        missing.push_back(v);
  });
  return missing;
}

LogicalResult QuantizePass::reportMissingScales(func::FuncOp func) {
  SmallVector<Value> missing = valuesWithoutScale(func);
  if (missing.empty())
    return success();
  Operation *def = missing.front().getDefiningOp();
  return func.emitError()
         << "needs calibration data: " << missing.size()
         << " values have no scale from QDQ pairs (the first is "
         << (def ? "the result of '" + def->getName().getStringRef().str() + "'"
                 : std::string("the function input"))
         << "); give a calibration batch (" << calibrationFlag << "BATCH.npy)";
}

/// What a calibration batch can leave a guess: tensors whose range is one
/// value over all samples (a constant batch, or one that never reaches a
/// tensor's range) and percentile tails too small to cut.
void QuantizePass::warnAboutRanges(func::FuncOp func, ArrayRef<Value> values,
                                   const llvm::DenseMap<Value, RangeStats> &stats,
                                   int64_t samples, ArrayRef<float> batch,
                                   int64_t sampleSize) {
  bool identical = samples > 1;
  for (int64_t s = 1; s < samples && identical; ++s)
    identical = std::equal(batch.begin() + s * sampleSize,
                           batch.begin() + (s + 1) * sampleSize, batch.begin());
  if (identical)
    func.emitWarning() << "calibration data " << calibration << ": all "
                       << samples
                       << " samples are identical; scales fitted to one "
                          "input may clip others";
  SmallVector<std::string> flat;
  for (Value v : values)
    if (stats.find(v)->second.max <= stats.find(v)->second.min) {
      std::string name = tinyformer::describeNodeLocation(v.getLoc());
      if (name.empty())
        name = isa<BlockArgument>(v)
                   ? std::string("the input")
                   : "a '" + v.getDefiningOp()->getName().getStringRef().str() + "'";
      flat.push_back(name);
    }
  if (!flat.empty()) {
    std::string names = llvm::join(ArrayRef<std::string>(flat).take_front(3), ", ");
    if (flat.size() > 3)
      names += ", ...";
    func.emitWarning() << "calibration data " << calibration << ": "
                       << flat.size()
                       << " tensors have one value over all samples (" << names
                       << "); their scales are guesses: calibrate with "
                          "varied inputs";
  }
  if (method == "percentile") {
    int64_t thin = llvm::count_if(values, [&](Value v) {
      double elements = double(cast<ShapedType>(v.getType()).getNumElements());
      return double(samples) * elements * (100.0 - percentile) / 100.0 < 1;
    });
    if (thin > 0)
      func.emitWarning() << "calibration data " << calibration << ": "
                         << samples << " samples are too few for the "
                         << llvm::formatv("{0}", double(percentile)).str()
                         << "th percentile: for " << thin << " of "
                         << values.size()
                         << " tensors its tails hold less than one value, "
                            "so their ranges are min / max";
  }
}

LogicalResult QuantizePass::calibrate(func::FuncOp func) {
  SmallVector<Value> missing = valuesWithoutScale(func);
  if (missing.empty())
    return success();
  if (func.getNumArguments() != 1)
    return func.emitError() << "calibration supports one input, the function "
                               "has "
                            << func.getNumArguments();
  tinyformer::NpyArray batch;
  std::string error;
  if (!tinyformer::readNpy(calibration, batch, error))
    return func.emitError() << "calibration data: " << error;
  auto argType = cast<RankedTensorType>(func.getArgument(0).getType());
  ArrayRef<int64_t> sampleShape = argType.getShape();
  int64_t sampleSize = argType.getNumElements();
  // A batch is [S, ...sample dims] or, for batch-1 models, [S, dims 1..].
  ArrayRef<int64_t> tail = ArrayRef<int64_t>(batch.shape).drop_front();
  bool ok = !batch.shape.empty() &&
            (tail == sampleShape || tail == sampleShape.drop_front()) &&
            batch.values.size() % sampleSize == 0;
  if (!ok)
    return func.emitError()
           << "calibration data " << calibration << " has shape ["
           << llvm::join(llvm::map_range(batch.shape,
                                         [](int64_t d) { return std::to_string(d); }),
                         ",")
           << "]; expected [samples, "
           << llvm::join(llvm::map_range(sampleShape,
                                         [](int64_t d) { return std::to_string(d); }),
                         ",")
           << "]";
  int64_t samples = int64_t(batch.values.size()) / sampleSize;
  // Bad data must not become a plausible-looking model.
  if (samples == 0)
    return func.emitError() << "calibration data " << calibration
                            << " has no samples";
  if (!tinyformer::checkFinite(batch, sampleSize,
                               "calibration data " + calibration, error))
    return func.emitError() << error;
  if (method != "minmax" && method != "percentile")
    return func.emitError() << "unknown calibration method '" << method
                            << "' (minmax | percentile)";
  if (method == "percentile" && !(percentile > 50 && percentile <= 100))
    return func.emitError() << "percentile must be in (50, 100], got "
                            << percentile;

  llvm::DenseMap<Value, RangeStats> stats;
  for (Value v : missing)
    stats[v];
  ModuleOp module = getOperation();
  // Progress on a terminal: the reference takes milliseconds a sample, and
  // the percentile method goes over the batch twice.
  bool progress = llvm::sys::Process::StandardErrIsDisplayed() && samples >= 100;
  int pass = 0, passes = method == "percentile" ? 2 : 1;
  auto runAll = [&](function_ref<void(Value, const HostArray &)> observe)
      -> LogicalResult {
    ++pass;
    auto clearLine = llvm::make_scope_exit([&] {
      if (progress)
        llvm::errs() << "\r" << std::string(60, ' ') << "\r";
    });
    for (int64_t s = 0; s < samples; ++s) {
      if (progress && s % 20 == 0)
        llvm::errs() << llvm::formatv("\r  calibrating: pass {0} / {1}, sample "
                                      "{2} / {3}",
                                      pass, passes, s, samples);
      HostArray in;
      in.shape.assign(sampleShape.begin(), sampleShape.end());
      in.data.assign(batch.values.begin() + s * sampleSize,
                     batch.values.begin() + (s + 1) * sampleSize);
      observe(func.getArgument(0), in);
      if (failed(tinyformer::runReference(module, {in}, func.getName(),
                                          observe)))
        return failure();
    }
    return success();
  };
  // The first value the model computes as NaN / Inf from finite data: an
  // error once every op is known to have an INT8 form (that error comes
  // first); its range is that of its finite values meanwhile.
  // A softmax input's masked entries (-inf, or at most kMaskedScore: a
  // score bias or mask) weigh nothing, and have no place in its range.
  llvm::DenseSet<Value> maskable;
  for (auto &entry : stats)
    if (onlyFeedsSoftmax(entry.first))
      maskable.insert(entry.first);
  auto masked = [&](Value v, float x) {
    return x <= tinyformer::kMaskedScore && maskable.contains(v);
  };
  if (failed(runAll([&](Value v, const HostArray &a) {
        auto it = stats.find(v);
        if (it == stats.end())
          return;
        for (float x : a.data) {
          if (masked(v, x))
            continue;
          if (!std::isfinite(x)) {
            if (!nonFiniteAt)
              nonFiniteAt = v.getLoc();
            continue;
          }
          it->second.min = std::min(it->second.min, double(x));
          it->second.max = std::max(it->second.max, double(x));
        }
      })))
    return failure();
  if (method == "percentile") {
    for (auto &entry : stats)
      entry.second.histogram.assign(kBins, 0);
    if (failed(runAll([&](Value v, const HostArray &a) {
          auto it = stats.find(v);
          if (it == stats.end())
            return;
          RangeStats &r = it->second;
          double width = (r.max - r.min) / kBins;
          for (float x : a.data) {
            if (!std::isfinite(x) || masked(v, x))
              continue; // (an error after the rewrite)
            int bin = width > 0 ? int((x - r.min) / width) : 0;
            ++r.histogram[std::clamp(bin, 0, kBins - 1)];
            ++r.count;
          }
        })))
      return failure();
  }
  warnAboutRanges(func, missing, stats, samples, batch.values, sampleSize);
  for (auto &[v, r] : stats) {
    double lo = r.min, hi = r.max;
    if (method == "percentile" && r.count) {
      // Cut the tails that hold (100 - percentile)% of the samples each.
      double width = (r.max - r.min) / kBins;
      uint64_t cut = uint64_t(double(r.count) * (100.0 - percentile) / 100.0);
      uint64_t acc = 0;
      int b = 0;
      while (b < kBins - 1 && acc + r.histogram[b] <= cut)
        acc += r.histogram[b++];
      lo = r.min + b * width;
      acc = 0;
      b = kBins - 1;
      while (b > 0 && acc + r.histogram[b] <= cut)
        acc += r.histogram[b--];
      hi = r.min + (b + 1) * width;
    }
    params[v] = paramsForRange(lo, hi);
    LLVM_DEBUG(llvm::dbgs() << "calibrated [" << lo << ", " << hi << "] -> scale "
                            << params[v].scale << " zp " << params[v].zeroPoint
                            << " for " << v.getLoc() << "\n");
    ++numCalibrated;
  }
  return success();
}

void QuantizePass::propagateThroughScaleKeepingOps(func::FuncOp func,
                                                   bool borrowForPools) {
  // Forward (a reshape takes its input's scale) and backward, for a
  // producer whose only scale sits after a reshape or pooling (QDQ models
  // quantize after the flatten).
  bool changed = true;
  while (changed) {
    changed = false;
    func.walk([&](Operation *op) {
      // (The function, constants and the return have no operand or no
      // result to pass a scale through.)
      if (op->getNumOperands() == 0 || op->getNumResults() == 0)
        return;
      Value in = op->getOperand(0), out = op->getResult(0);
      // Average pooling rescales freely; a QDQ model that quantizes only
      // after it (ResNet's last ReLU -> AvgPool -> Q) gets the same scale
      // for its input when no calibration data says better (the input's
      // range is wider than the average's, so this may saturate).
      if (borrowForPools && isa<AvgPool2DOp, GlobalAvgPool2DOp>(op) &&
          !params.count(in) && params.count(out)) {
        QParams p = params.lookup(out);
        params[in] = p;
        changed = true;
        return;
      }
      if (!keepsScale(op))
        return;
      // Copy before inserting: operator[] may grow the map and leave a
      // reference into it dangling.
      if (params.count(in) && !params.count(out)) {
        QParams p = params.lookup(in);
        params[out] = p;
        changed = true;
      } else if (!params.count(in) && params.count(out)) {
        QParams p = params.lookup(out);
        params[in] = p;
        changed = true;
      }
    });
  }
}

LogicalResult QuantizePass::quantizeWeights(Operation *op, QParams in) {
  OpBuilder b(op);
  Value weight = op->getOperand(1);
  auto wType = cast<RankedTensorType>(weight.getType());
  int64_t channels = wType.getDimSize(0);
  int64_t perChannel = wType.getNumElements() / channels;
  std::vector<double> scales;
  std::vector<int64_t> q;
  Value quantWeight;
  if (auto dq = weight.getDefiningOp<DequantizeOp>()) {
    // A QDQ model's weight is already int8: keep it as it is.
    quantWeight = dq.getInput();
    auto elem = getElementTypeOrSelf(quantWeight);
    if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(elem))
      scales.assign(pa.getScales().begin(), pa.getScales().end());
    else if (auto pt = dyn_cast<quant::UniformQuantizedType>(elem))
      scales.assign(channels, pt.getScale());
  } else {
    std::optional<std::vector<float>> w = getConstantFloats(weight);
    if (!w)
      return op->emitOpError() << "INT8 quantization needs a constant weight";
    for (int64_t c = 0; c < channels; ++c) {
      float maxAbs = 0;
      for (int64_t i = 0; i < perChannel; ++i)
        maxAbs = std::max(maxAbs, std::fabs((*w)[c * perChannel + i]));
      double s = maxAbs > 0 ? maxAbs / 127.0 : 1.0;
      scales.push_back(s);
      for (int64_t i = 0; i < perChannel; ++i)
        q.push_back(int64_t(std::clamp(
            std::nearbyint((*w)[c * perChannel + i] / s), -127.0, 127.0)));
    }
    SmallVector<double> sc(scales.begin(), scales.end());
    SmallVector<int64_t> zps(channels, 0);
    auto qType = RankedTensorType::get(
        wType.getShape(),
        quant::UniformQuantizedPerAxisType::get(
            quant::QuantizationFlags::Signed, b.getI8Type(), b.getF32Type(),
            sc, zps, 0, -127, 127));
    quantWeight =
        createQuantizedConstant(b, op->getLoc(), qType, q, "weight.int8");
  }
  if (scales.size() != size_t(channels))
    return op->emitOpError() << "INT8 quantization needs a symmetric int8 "
                                "weight per tensor or per output channel";
  op->setOperand(1, quantWeight);
  // Bias: int32 at input scale x weight scale, one scale per channel.
  if (op->getNumOperands() > 2) {
    Value bias = op->getOperand(2);
    std::optional<std::vector<float>> bf = getConstantFloats(bias);
    if (!bf)
      return op->emitOpError() << "INT8 quantization needs a constant bias";
    SmallVector<double> sc;
    std::vector<int64_t> qb;
    for (int64_t c = 0; c < channels; ++c) {
      sc.push_back(in.scale * scales[c]);
      qb.push_back(int64_t(std::clamp(std::nearbyint((*bf)[c] / sc.back()),
                                      -2147483647.0, 2147483647.0)));
    }
    SmallVector<int64_t> zps(channels, 0);
    auto bType = RankedTensorType::get(
        {channels}, quant::UniformQuantizedPerAxisType::get(
                        quant::QuantizationFlags::Signed, b.getI32Type(),
                        b.getF32Type(), sc, zps, 0,
                        std::numeric_limits<int32_t>::min(),
                        std::numeric_limits<int32_t>::max()));
    op->setOperand(2,
                   createQuantizedConstant(b, op->getLoc(), bType, qb, "bias.int32"));
  }
  return success();
}

LogicalResult QuantizePass::quantizeConstantOperands(Operation *op) {
  for (OpOperand &use : op->getOpOperands()) {
    Value v = use.get();
    if (isScoreBias(op, v))
      continue;
    OpBuilder b(op);
    if (auto dq = v.getDefiningOp<DequantizeOp>()) {
      // A QDQ model's constant: keep its integers, as int8.
      std::optional<QParams> p = asInt8(dq.getInput().getType());
      std::optional<std::vector<int64_t>> ints = getConstantInts(dq.getInput());
      if (!p || !ints)
        return op->emitOpError() << "operand #" << use.getOperandNumber()
                                 << " is a dequantized value that is not an "
                                    "8-bit per-tensor constant";
      bool isUnsigned = !cast<quant::QuantizedType>(
                             getElementTypeOrSelf(dq.getInput()))
                             .isSigned();
      if (isUnsigned)
        for (int64_t &x : *ints)
          x -= 128;
      use.set(createQuantizedConstant(b, op->getLoc(), int8Type(v, *p), *ints,
                                      "activation.int8"));
      continue;
    }
    if (!v.getDefiningOp<ConstantOp>() ||
        !isa<FloatType>(getElementTypeOrSelf(v)))
      continue;
    std::optional<std::vector<float>> f = getConstantFloats(v);
    if (!f || f->empty())
      return op->emitOpError() << "cannot read constant operand #"
                               << use.getOperandNumber();
    auto [lo, hi] = std::minmax_element(f->begin(), f->end());
    QParams p = paramsForRange(*lo, *hi);
    std::vector<int64_t> q;
    for (float x : *f)
      q.push_back(int64_t(std::clamp(
          std::nearbyint(x / p.scale) + p.zeroPoint, -128.0, 127.0)));
    use.set(createQuantizedConstant(b, op->getLoc(), int8Type(v, p), q,
                                    "activation.int8"));
  }
  return success();
}

LogicalResult QuantizePass::rewrite(func::FuncOp func) {
  auto need = [&](Operation *op, Value v) -> FailureOr<QParams> {
    auto it = params.find(v);
    if (it == params.end())
      return op->emitOpError() << "has no scale for its result: give "
                                  "calibration data or a QDQ model";
    return it->second;
  };
  for (BlockArgument arg : func.getArguments()) {
    FailureOr<QParams> p = need(func, arg);
    if (failed(p))
      return failure();
    arg.setType(int8Type(arg, *p));
  }
  for (Operation &opRef : llvm::make_early_inc_range(func.getBody().front())) {
    Operation *op = &opRef;
    if (isa<ConstantOp, DequantizeOp, func::ReturnOp>(op))
      continue;
    if (!hasIntegerForm(op))
      return op->emitOpError()
             << "has no INT8 form yet (supported: conv2d, fully_connected, "
                "matmul, add, mul of two activations, mul/div by a constant "
                "scalar, relu, clip, "
                "gelu, sigmoid, tanh, erf, silu, hardswish, hardsigmoid, exp, "
                "leaky_relu, prelu, "
                "layer_norm, softmax, max/avg/global_avg pooling, mean, "
                "reshape, transpose, slice, concat, pad, resize)";
    Value out = op->getResult(0);
    if (takesActivationsOnly(op) && failed(quantizeConstantOperands(op)))
      return failure();
    if (isa<Conv2DOp, FullyConnectedOp>(op)) {
      FailureOr<QParams> in = tinyformer::getQParams(op->getOperand(0));
      if (failed(in) || failed(quantizeWeights(op, *in)))
        return failure();
    }
    if (keepsScale(op)) {
      // Same type as the input; a different recorded output scale becomes
      // an explicit requantization after the op.
      auto inElem = getElementTypeOrSelf(op->getOperand(0));
      out.setType(RankedTensorType::get(
          cast<RankedTensorType>(out.getType()).getShape(), inElem));
      auto it = params.find(out);
      std::optional<QParams> want =
          it == params.end() ? std::nullopt : std::optional(it->second);
      FailureOr<QParams> have = tinyformer::getQParams(out);
      if (failed(have))
        return failure();
      // A constant pad holds the constant's INT8 code in the input's scale.
      if (auto pad = dyn_cast<PadOp>(op)) {
        double code = std::round(double(pad.getValue().convertToFloat()) /
                                 have->scale) + double(have->zeroPoint);
        pad.setValueAttr(OpBuilder(op).getF32FloatAttr(
            float(std::clamp(code, -128.0, 127.0))));
      }
      if (want && (want->scale != have->scale ||
                   want->zeroPoint != have->zeroPoint)) {
        OpBuilder b(op->getContext());
        b.setInsertionPointAfter(op);
        auto rq = b.create<QuantizeOp>(op->getLoc(), int8Type(out, *want), out);
        out.replaceAllUsesExcept(rq, rq);
      }
    } else if (isa<SoftmaxOp>(op)) {
      out.setType(int8Type(out, QParams{1.0 / 256.0, -128}));
    } else {
      FailureOr<QParams> p = need(op, out);
      if (failed(p))
        return failure();
      out.setType(int8Type(out, *p));
    }
    ++numQuantizedOps;
  }
  // Weights' dequantize ops and float constants left without users.
  for (Operation &op : llvm::make_early_inc_range(
           llvm::reverse(func.getBody().front())))
    if (isa<ConstantOp, DequantizeOp>(op) && op.use_empty())
      op.erase();
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  func.setType(FunctionType::get(&getContext(),
                                 func.getBody().front().getArgumentTypes(),
                                 ret.getOperandTypes()));
  return success();
}

void QuantizePass::runOnOperation() {
  auto funcs = llvm::to_vector(getOperation().getOps<func::FuncOp>());
  if (funcs.size() != 1) {
    getOperation().emitError() << "quantization expects one function, found "
                               << funcs.size();
    return signalPassFailure();
  }
  func::FuncOp func = funcs.front();
  // A float mhsa (from canonicalization) goes back to its decomposed ops so
  // that each intermediate value gets a scale; sparse-tiny-fuse-attention
  // fuses the quantized block again.
  SmallVector<MultiHeadAttentionOp> attention;
  func.walk([&](MultiHeadAttentionOp op) {
    if (isa<FloatType>(getElementTypeOrSelf(op.getOutput())))
      attention.push_back(op);
  });
  for (MultiHeadAttentionOp op : attention) {
    OpBuilder b(op);
    op.getOutput().replaceAllUsesWith(tinyformer::expandAttention(b, op));
    op.erase();
  }
  if (failed(adoptQdqPairs(func)))
    return signalPassFailure();
  propagateThroughScaleKeepingOps(func, /*borrowForPools=*/false);
  if (!calibration.empty() && failed(calibrate(func)))
    return signalPassFailure();
  propagateThroughScaleKeepingOps(func, /*borrowForPools=*/true);
  if (failed(reportMissingScales(func)))
    return signalPassFailure();
  if (failed(rewrite(func)))
    return signalPassFailure();
  if (nonFiniteAt) {
    emitError(*nonFiniteAt) << "computes NaN or infinite values on calibration data "
                            << calibration << ": no INT8 scale can represent them";
    return signalPassFailure();
  }
}

} // namespace
