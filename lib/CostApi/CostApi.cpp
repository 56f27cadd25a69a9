//===- CostApi.cpp - the compiler's cost model as a library ---------------===//
//
// A distinct layer is written as a one-layer float function in the
// sparse_tiny dialect (synthetic weights, a synthetic calibration batch),
// run through the first passes of `tinyformer compile` (canonicalize, fuse
// activations, quantize, fuse attention, find the weights' zeros) and
// priced by kernelCandidates, the same candidates sparse-tiny-select-kernels
// weighs. A candidate model is then plain data: the kernel choice of
// tinyformer/CostModel/KernelChoice.h and the planner of
// tinyformer/CostModel/ArenaPlan.h, the ones the compiler runs.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/CostApi/CostApi.h"

#include "tinyformer/CostModel/ArenaPlan.h"
#include "tinyformer/CostModel/KernelChoice.h"
#include "tinyformer/Kernels/KernelRegistry.h"
#include "tinyformer/Quant/IntegerRules.h"
#include "tinyformer/Support/Npy.h"
#include "tinyformer/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/QuantOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>
#include <numeric>

using namespace mlir;
using namespace mlir::sparse_tiny;

namespace tinyformer::cost {

namespace {

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

int64_t product(const std::vector<int64_t> &v, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < v.size(); ++i)
    p *= v[i];
  return p;
}

std::string tensorType(const std::vector<int64_t> &shape) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + "f32>";
}

/// A float constant as MLIR text (raw little-endian bytes in hex).
std::string constantText(const std::string &name, const std::vector<int64_t> &shape,
                         const std::vector<float> &values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  std::string type = tensorType(shape);
  return llvm::formatv("  %{0} = sparse_tiny.constant dense<\"0x{1}\"> : {2} : {2}\n",
                       name, llvm::toHex(bytes), type)
      .str();
}

/// Deterministic values in [-scale, scale] (the calibration batch).
std::vector<float> smallValues(int64_t n, uint64_t seed, float scale) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = scale * (float(splitmix(seed * 0x100000001B3ull + uint64_t(i)) % 2001) / 1000.0f - 1.0f);
  return v;
}

/// One layer written as a float function of its input, and what the
/// candidate needs from it.
struct LayerText {
  std::string body;               ///< ops, the result in %y
  std::vector<int64_t> outShape;
};

/// What is wrong with a weight's zeros as a layer states them ("": nothing).
std::string zerosError(double sparsity, const std::string &pattern) {
  if (sparsity < 0 || sparsity >= 1)
    return "sparsity must be in [0, 1)";
  if (pattern != "unstructured" && pattern != "4x1" && pattern != "1x4" &&
      pattern != "2:4" && pattern != "1:4")
    return "pattern must be unstructured, 4x1, 1x4, 2:4 or 1:4, got '" + pattern + "'";
  return "";
}

absl::Status invalid(size_t index, const Layer &layer, const std::string &what) {
  return absl::InvalidArgumentError(llvm::formatv("layer {0} ({1}): {2}", index,
                                                  layer.op, what)
                                        .str());
}

/// The weight's text: synthetic values with the layer's zeros (checked
/// before: zerosError).
std::string weightText(const std::string &name, const std::vector<int64_t> &shape,
                       const Layer &layer, uint64_t role) {
  return constantText(name, shape,
                      *syntheticWeight(shape, layer.sparsity, layer.pattern, role));
}

/// The name of a conv / linear op's result: %y, or %c before its
/// activation.
std::string producerName(const Layer &layer) {
  return layer.activation == "none" ? "%y" : "%c";
}

/// The activation after %c into %y (none: nothing).
std::string activationText(const Layer &layer, const std::string &type) {
  if (layer.activation == "relu")
    return llvm::formatv("  %y = sparse_tiny.relu %c : ({0}) -> {0}\n", type);
  if (layer.activation == "relu6")
    return llvm::formatv("  %y = sparse_tiny.clip %c {{min = 0.0 : f32, max = 6.0 : "
                         "f32} : ({0}) -> {0}\n",
                         type);
  return "";
}

absl::StatusOr<LayerText> layerText(size_t index, const std::vector<int64_t> &in,
                                    const Layer &l) {
  LayerText t;
  std::string inType = tensorType(in);
  auto needRank = [&](size_t rank) -> absl::Status {
    if (in.size() != rank)
      return invalid(index, l,
                     llvm::formatv("needs a rank-{0} input, got rank {1}", rank,
                                   in.size()));
    return absl::OkStatus();
  };
  if (l.activation != "none" && l.activation != "relu" && l.activation != "relu6")
    return invalid(index, l, "activation must be none, relu or relu6, got '" +
                                 l.activation + "'");
  if (std::string why = zerosError(l.sparsity, l.pattern); !why.empty())
    return invalid(index, l, why);
  if (l.op == "conv2d" || l.op == "depthwise_conv2d" || l.op == "max_pool") {
    if (absl::Status s = needRank(4); !s.ok())
      return s;
    if (l.kernel < 1 || l.stride < 1 || l.padding < 0)
      return invalid(index, l, "kernel and stride must be >= 1, padding >= 0");
    int64_t c = in[1];
    int64_t ho = (in[2] + 2 * l.padding - l.kernel) / l.stride + 1;
    int64_t wo = (in[3] + 2 * l.padding - l.kernel) / l.stride + 1;
    if (in[2] + 2 * l.padding < l.kernel || in[3] + 2 * l.padding < l.kernel)
      return invalid(index, l, "kernel larger than the padded input");
    std::string attrs = llvm::formatv("strides = array<i64: {0}, {0}>, padding = "
                                      "array<i64: {1}, {1}, {1}, {1}>",
                                      l.stride, l.padding);
    if (l.op == "max_pool") {
      t.outShape = {in[0], c, ho, wo};
      t.body = llvm::formatv("  %y = sparse_tiny.max_pool2d %x {{kernel = array<i64: "
                             "{0}, {0}>, {1}} : ({2}) -> {3}\n",
                             l.kernel, attrs, inType, tensorType(t.outShape));
      return t;
    }
    bool depthwise = l.op == "depthwise_conv2d";
    int64_t o = depthwise ? c : l.channels;
    if (o < 1)
      return invalid(index, l, "needs channels >= 1");
    std::vector<int64_t> w = {o, depthwise ? 1 : c, l.kernel, l.kernel};
    t.outShape = {in[0], o, ho, wo};
    std::string outType = tensorType(t.outShape);
    t.body = weightText("w", w, l, 0) +
             constantText("b", {o}, std::vector<float>(o, 0.0f)) +
             llvm::formatv("  {0} = sparse_tiny.conv2d %x, %w, %b {{{1}, groups = {2} "
                           ": i64} : ({3}, {4}, {5}) -> {6}\n",
                           producerName(l), attrs, depthwise ? c : 1, inType,
                           tensorType(w), tensorType({o}), outType)
                 .str() +
             activationText(l, outType);
    return t;
  }
  if (l.op == "linear") {
    if (l.channels < 1)
      return invalid(index, l, "needs channels >= 1");
    std::string x = "%x";
    std::vector<int64_t> features = in;
    if (in.size() == 4) { // flatten(1)
      features = {in[0], product(in, 1)};
      t.body = llvm::formatv("  %f = sparse_tiny.reshape %x : ({0}) -> {1}\n", inType,
                             tensorType(features));
      x = "%f";
    } else if (in.size() != 2 && in.size() != 3) {
      return invalid(index, l, "needs a [1, K], [1, T, K] or [1, C, H, W] input");
    }
    int64_t k = features.back();
    std::vector<int64_t> w = {l.channels, k};
    t.outShape = features;
    t.outShape.back() = l.channels;
    std::string outType = tensorType(t.outShape);
    t.body += weightText("w", w, l, 0) +
              constantText("b", {l.channels}, std::vector<float>(l.channels, 0.0f)) +
              llvm::formatv("  {0} = sparse_tiny.fully_connected {1}, %w, %b : ({2}, "
                            "{3}, {4}) -> {5}\n",
                            producerName(l), x, tensorType(features), tensorType(w),
                            tensorType({l.channels}), outType)
                  .str() +
              activationText(l, outType);
    return t;
  }
  if (l.op == "mhsa") {
    if (absl::Status s = needRank(3); !s.ok())
      return s;
    int64_t e = in[2];
    if (l.heads < 1 || e % l.heads != 0)
      return invalid(index, l,
                     llvm::formatv("{0} heads do not divide the embedding {1}",
                                   l.heads, e));
    t.outShape = in;
    std::vector<int64_t> w = {e, e};
    for (auto [i, name] : llvm::enumerate(std::vector<std::string>{"q", "k", "v", "o"})) {
      t.body += weightText(name + "w", w, l, 1 + i);
      t.body += constantText(name + "b", {e}, std::vector<float>(e, 0.0f));
    }
    std::string wt = tensorType(w), bt = tensorType({e});
    t.body += llvm::formatv(
        "  %y = sparse_tiny.mhsa %x, %qw, %qb, k(%kw, %kb), %vw, %vb, %ow, %ob "
        "{{num_heads = {0} : i64, scale = {1} : f32} : ({2}, {3}, {4}, {3}, {4}, {3}, "
        "{4}, {3}, {4}) -> {2}\n",
        l.heads, llvm::formatv("{0:e}", 1.0 / std::sqrt(double(e / l.heads))).str(),
        inType, wt, bt);
    return t;
  }
  if (l.op == "layer_norm") {
    int64_t e = in.back();
    t.outShape = in;
    t.body = constantText("g", {e}, std::vector<float>(e, 1.0f)) +
             constantText("bt", {e}, std::vector<float>(e, 0.0f)) +
             llvm::formatv("  %y = sparse_tiny.layer_norm %x, %g, %bt {{axis = {0} : "
                           "i64, epsilon = 1.0e-05 : f32} : ({1}, {2}, {2}) -> {1}\n",
                           in.size() - 1, inType, tensorType({e}))
                 .str();
    return t;
  }
  if (l.op == "gelu") {
    t.outShape = in;
    t.body = llvm::formatv("  %y = sparse_tiny.gelu %x : ({0}) -> {0}\n", inType);
    return t;
  }
  if (l.op == "add") {
    // x + g(x): the layer is the add (g only gives it a second operand).
    t.outShape = in;
    t.body = llvm::formatv("  %g = sparse_tiny.relu %x : ({0}) -> {0}\n"
                           "  %y = sparse_tiny.add %x, %g : ({0}, {0}) -> {0}\n",
                           inType);
    return t;
  }
  if (l.op == "global_avg_pool") {
    if (absl::Status s = needRank(4); !s.ok())
      return s;
    t.outShape = {in[0], in[1], 1, 1};
    t.body = llvm::formatv("  %y = sparse_tiny.global_avg_pool2d %x : ({0}) -> {1}\n",
                           inType, tensorType(t.outShape));
    return t;
  }
  if (l.op == "token_mean") {
    if (absl::Status s = needRank(3); !s.ok())
      return s;
    t.outShape = {in[0], in[2]};
    t.body = llvm::formatv("  %y = sparse_tiny.mean %x {{axes = array<i64: 1>, keepdims = "
                           "false} : ({0}) -> {1}\n",
                           inType, tensorType(t.outShape));
    return t;
  }
  if (l.op == "to_tokens") {
    if (absl::Status s = needRank(4); !s.ok())
      return s;
    std::vector<int64_t> flat = {in[0], in[1], in[2] * in[3]};
    t.outShape = {in[0], in[2] * in[3], in[1]};
    t.body = llvm::formatv("  %f = sparse_tiny.reshape %x : ({0}) -> {1}\n"
                           "  %y = sparse_tiny.transpose %f {{perm = array<i64: 0, 2, "
                           "1>} : ({1}) -> {2}\n",
                           inType, tensorType(flat), tensorType(t.outShape));
    return t;
  }
  return invalid(index, l,
                 "unknown op (conv2d, depthwise_conv2d, linear, mhsa, layer_norm, "
                 "gelu, add, global_avg_pool, max_pool, to_tokens, token_mean)");
}

/// A layer's memo key: its fields and input shape as raw bytes (this runs
/// for every layer of every candidate, so no formatting).
std::string layerKey(const std::vector<int64_t> &in, const Layer &l) {
  std::string key = l.op + '|' + l.activation + '|' + l.pattern + '|';
  auto append = [&](const void *p, size_t n) {
    key.append(static_cast<const char *>(p), n);
  };
  int64_t fields[] = {l.channels, l.kernel, l.stride, l.padding, l.heads};
  append(fields, sizeof(fields));
  append(&l.sparsity, sizeof(l.sparsity));
  append(in.data(), in.size() * sizeof(int64_t));
  return key;
}

/// One kernel call of a compiled layer: its candidates and what the planner
/// needs to know of it.
struct CompiledOp {
  Operation *op = nullptr;
  llvm::SmallVector<KernelCandidate> candidates;
  int64_t resultBytes = 0;
  bool attention = false;
  AttentionShape attentionShape;
};

struct CompiledLayer {
  OwningOpRef<ModuleOp> module;
  std::vector<CompiledOp> ops; ///< program order; ops[0] reads the input
  std::vector<int64_t> outShape;
};

} // namespace

struct CostModel::Impl {
  Options options;
  TargetCpu cpu = TargetCpu::cortex_m7;
  SelectionPolicy policy;
  MLIRContext context;
  std::string diagnostics;
  std::unordered_map<std::string, std::unique_ptr<CompiledLayer>> layers;
  /// An mhsa kernel's scratch at a tile.
  std::map<std::tuple<Operation *, const KernelInfo *, int64_t, int64_t>, LayerCost>
      tiled;
  std::string scratchDir;

  absl::StatusOr<CompiledLayer *> compile(size_t index, const std::vector<int64_t> &in,
                                          const Layer &layer);
  LayerCost tiledCost(const CompiledOp &op, const KernelCandidate &c,
                      int64_t heads, int64_t rows);
};

CostModel::CostModel(Options options) : impl(std::make_unique<Impl>()) {
  impl->options = std::move(options);
  impl->context.loadDialect<SparseTinyDialect, func::FuncDialect,
                            quant::QuantizationDialect>();
  impl->context.getDiagEngine().registerHandler([this](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error)
      impl->diagnostics += d.str() + "; ";
    return success();
  });
}

CostModel::~CostModel() {
  if (!impl->scratchDir.empty())
    llvm::sys::fs::remove_directories(impl->scratchDir);
}

size_t CostModel::memoisedLayers() const { return impl->layers.size(); }

absl::StatusOr<CompiledLayer *>
CostModel::Impl::compile(size_t index, const std::vector<int64_t> &in,
                         const Layer &layer) {
  std::string key = layerKey(in, layer);
  if (auto it = layers.find(key); it != layers.end())
    return it->second.get();
  absl::StatusOr<LayerText> text = layerText(index, in, layer);
  if (!text.ok())
    return text.status();
  auto fail = [&](const std::string &what) {
    std::string message = what + (diagnostics.empty() ? "" : ": " + diagnostics);
    diagnostics.clear();
    return invalid(index, layer, message);
  };
  std::string source =
      llvm::formatv("func.func @layer(%x: {0}) -> {1} {{\n{2}  return %y : {1}\n}\n",
                    tensorType(in), tensorType(text->outShape), text->body);
  auto compiled = std::make_unique<CompiledLayer>();
  compiled->outShape = text->outShape;
  compiled->module = parseSourceString<ModuleOp>(source, &context);
  if (!compiled->module)
    return fail("cannot build the layer");
  // Calibration: two samples of the input.
  if (scratchDir.empty()) {
    llvm::SmallString<128> dir;
    if (llvm::sys::fs::createUniqueDirectory("tinyformer-cost", dir))
      return absl::InternalError("cannot create a temporary directory");
    scratchDir = std::string(dir);
  }
  std::string calib = scratchDir + "/calib.npy", error;
  std::vector<int64_t> batch = in;
  batch[0] = 2 * in[0];
  if (!writeNpy(calib, batch, smallValues(product(batch), 3, 1.0f), error))
    return absl::InternalError(error);
  PassManager pm(&context);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createFuseActivations());
  QuantizeOptions quantize;
  quantize.calibration = calib;
  pm.addPass(createQuantize(quantize));
  pm.addPass(createFuseAttention());
  pm.addPass(createPruningAwareLayout());
  if (failed(pm.run(*compiled->module)))
    return fail("does not compile");
  (*compiled->module)->setAttr(attr::kTargetCpu, TargetCpuAttr::get(&context, cpu));
  // The layer's kernel calls: from the result back along operand 0 to the
  // input (the add's other operand only gives it a second input).
  auto func = *compiled->module->getOps<func::FuncOp>().begin();
  Value v = func.getBody().front().getTerminator()->getOperand(0);
  std::vector<Operation *> chain;
  while (Operation *def = v.getDefiningOp()) {
    chain.push_back(def);
    v = def->getOperand(0);
  }
  std::reverse(chain.begin(), chain.end());
  for (Operation *op : chain) {
    if (kernelsFor(op).empty() || !isIntegerOp(op))
      return fail("no INT8 kernel computes its '" + op->getName().getStringRef().str() +
                  "'");
    CompiledOp c;
    c.op = op;
    c.candidates = kernelCandidates(op, policy);
    if (c.candidates.empty())
      return fail(llvm::formatv("no kernel within the SRAM limit of {0} bytes",
                                policy.sramLimit));
    c.resultBytes = cast<ShapedType>(op->getResult(0).getType()).getNumElements();
    if (isa<MultiHeadAttentionOp>(op)) {
      c.attention = true;
      c.attentionShape = tinyformer::attentionShape(op);
    }
    compiled->ops.push_back(std::move(c));
  }
  if (compiled->ops.empty())
    return fail("computes nothing");
  CompiledLayer *result = compiled.get();
  layers[key] = std::move(compiled);
  return result;
}

LayerCost CostModel::Impl::tiledCost(const CompiledOp &op, const KernelCandidate &c,
                                     int64_t heads, int64_t rows) {
  auto key = std::make_tuple(op.op, c.kernel, heads, rows);
  if (auto it = tiled.find(key); it != tiled.end())
    return it->second;
  Builder b(&context);
  op.op->setAttr(attr::kHeadsPerStep, b.getI64IntegerAttr(heads));
  op.op->setAttr(attr::kRowsPerStep, b.getI64IntegerAttr(rows));
  LayerCost cost = estimateCost(op.op, *c.kernel, c.storage, cpu);
  tiled[key] = cost;
  return cost;
}

absl::StatusOr<Estimate> CostModel::estimate(const std::vector<int64_t> &inputShape,
                                             const std::vector<Layer> &layerList) {
  Impl &m = *impl;
  if (std::optional<TargetCpu> cpu = parseTargetCpu(m.options.cpu)) {
    m.cpu = *cpu;
  } else {
    return absl::InvalidArgumentError("cpu must be cortex-m4 or cortex-m7, got '" +
                                      m.options.cpu + "'");
  }
  if (m.options.sparse != "auto" && m.options.sparse != "off" &&
      m.options.sparse != "force")
    return absl::InvalidArgumentError("sparse must be auto, off or force, got '" +
                                      m.options.sparse + "'");
  m.policy.cpu = m.cpu;
  m.policy.sparse = m.options.sparse;
  if (inputShape.empty() || product(inputShape) <= 0)
    return absl::InvalidArgumentError("the input shape must have positive dims");
  if (layerList.empty())
    return absl::InvalidArgumentError("a candidate needs at least one layer");

  // The schedule: value 0 is the input, each kernel call defines one more.
  PlanGraph graph;
  graph.inputBytes = {product(inputShape)};
  std::vector<int> layerOutput; // value of each layer's output
  std::vector<int64_t> valueBytes = graph.inputBytes;
  std::vector<const CompiledOp *> calls;
  std::vector<int64_t> shape = inputShape;
  int previous = 0;
  for (size_t i = 0; i < layerList.size(); ++i) {
    const Layer &layer = layerList[i];
    absl::StatusOr<CompiledLayer *> compiled = m.compile(i, shape, layer);
    if (!compiled.ok())
      return compiled.status();
    for (auto [j, op] : llvm::enumerate((*compiled)->ops)) {
      PlanOp p;
      if (j == 0 && layer.op == "add") {
        int from = layer.residualFrom;
        if (from < -1 || from >= int(i))
          return invalid(i, layer, "residual_from must name an earlier layer or -1");
        int residual = from < 0 ? 0 : layerOutput[from];
        if (valueBytes[residual] != op.resultBytes)
          return invalid(i, layer, "the residual's shape differs from the input's");
        p.operands = {residual, previous};
      } else {
        p.operands = {previous};
      }
      p.resultBytes = op.resultBytes;
      graph.ops.push_back(std::move(p));
      valueBytes.push_back(op.resultBytes);
      calls.push_back(&op);
      previous = graph.valueOf(graph.ops.size() - 1);
    }
    layerOutput.push_back(previous);
    shape = (*compiled)->outShape;
  }
  graph.results = {previous};

  // Kernels: the fastest set within the flash budget.
  std::vector<std::vector<KernelOption>> options;
  for (const CompiledOp *op : calls) {
    options.emplace_back();
    for (const KernelCandidate &c : op->candidates)
      options.back().push_back({c.cost.instructions, c.cost.flashBytes});
  }
  std::vector<size_t> chosen;
  int64_t flash = 0;
  if (!chooseUnderFlash(options, m.options.flashBudget, chosen, flash))
    return absl::ResourceExhaustedError(
        llvm::formatv("the weights need {0} bytes of flash with the smallest "
                      "kernels, over the budget of {1} bytes",
                      flash, m.options.flashBudget)
            .str());

  // Memory: the planner's arena, attention tiles included.
  std::vector<AttentionTile> tiles;
  for (size_t i = 0; i < calls.size(); ++i) {
    const KernelCandidate &c = calls[i]->candidates[chosen[i]];
    PlanOp &p = graph.ops[i];
    placeOutput(calls[i]->op, *c.kernel, p);
    p.scratchBytes = p.placement == OutputPlacement::alias ? 0 : c.cost.scratchBytes;
    if (calls[i]->attention)
      tiles.push_back({i, calls[i]->attentionShape});
  }
  auto scratchOf = [&](const AttentionTile &t) {
    return m.tiledCost(*calls[t.op], calls[t.op]->candidates[chosen[t.op]],
                       t.shape.headsPerStep, t.shape.rowsPerStep)
        .scratchBytes;
  };
  ArenaPlan plan;
  std::string error;
  if (!planArenaWithTiles(graph, tiles, m.options.sramBudget, scratchOf, plan,
                          /*untiledArena=*/nullptr, error))
    return absl::InvalidArgumentError(error);

  Estimate e;
  e.arenaBytes = plan.arena;
  e.arenaLowerBound = plan.lowerBound;
  std::vector<const AttentionTile *> tileOf(calls.size(), nullptr);
  for (const AttentionTile &t : tiles)
    tileOf[t.op] = &t;
  for (size_t i = 0; i < calls.size(); ++i) {
    const KernelCandidate &c = calls[i]->candidates[chosen[i]];
    if (c.kernel->kind == KernelKind::alias)
      continue;
    // Attention is priced at its tile, as after planning.
    LayerCost cost = tileOf[i] ? m.tiledCost(*calls[i], c, tileOf[i]->shape.headsPerStep,
                                             tileOf[i]->shape.rowsPerStep)
                               : c.cost;
    LayerEstimate l;
    l.kernel = stringifyKernelKind(c.kernel->kind).str();
    l.storage = stringifyWeightStorage(c.storage).str();
    l.instructions = cost.instructions;
    l.weightBytes = cost.flashBytes;
    l.scratchBytes = cost.scratchBytes;
    l.macs = cost.macs;
    e.instructions += l.instructions;
    e.weightBytes += l.weightBytes;
    e.macs += l.macs;
    e.layers.push_back(std::move(l));
  }
  return e;
}

absl::StatusOr<std::vector<float>> syntheticWeight(const std::vector<int64_t> &shape,
                                                   double sparsity,
                                                   const std::string &pattern,
                                                   uint64_t seed) {
  if (std::string why = zerosError(sparsity, pattern); !why.empty())
    return absl::InvalidArgumentError(why);
  if (std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 1; }))
    return absl::InvalidArgumentError("a weight's dims must be >= 1");
  int64_t rows = shape.empty() ? 0 : shape[0];
  int64_t cols = rows ? product(shape, 1) : 0;
  std::vector<float> w(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) {
    uint64_t h = splitmix(seed * 0x100000001B3ull ^ (uint64_t(i) + 1) * 0x9E3779B97F4A7C15ull);
    float magnitude = 0.02f + 0.08f * float(h % 1001) / 1000.0f;
    w[i] = (h >> 32) & 1 ? -magnitude : magnitude;
  }
  auto rank = [&](int64_t n, uint64_t salt) {
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::vector<uint64_t> key(n);
    for (int64_t i = 0; i < n; ++i)
      key[i] = splitmix(salt ^ (uint64_t(i) * 0xD6E8FEB86659FD93ull));
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return key[a] < key[b]; });
    return order;
  };
  uint64_t salt = splitmix(seed + 0x5EED);
  if (pattern == "2:4" || pattern == "1:4") {
    // Per row, in each group of 4 inputs: 2 (or 3) zeros.
    int64_t zeros = pattern == "2:4" ? 2 : 3;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t g = 0; g < cols; g += 4) {
        std::vector<int64_t> order = rank(std::min<int64_t>(4, cols - g),
                                          salt ^ uint64_t(r * cols + g));
        for (int64_t z = 0; z < zeros && z < int64_t(order.size()); ++z)
          w[r * cols + g + order[z]] = 0.0f;
      }
    return w;
  }
  // Blocks of bh outputs x bw inputs, the sparsity's share of them zero.
  int64_t bh = pattern == "4x1" ? 4 : 1, bw = pattern == "1x4" ? 4 : 1;
  int64_t blockRows = (rows + bh - 1) / bh, blockCols = (cols + bw - 1) / bw;
  int64_t blocks = blockRows * blockCols;
  int64_t zeroBlocks = int64_t(std::llround(sparsity * double(blocks)));
  std::vector<int64_t> order = rank(blocks, salt);
  for (int64_t z = 0; z < zeroBlocks; ++z) {
    int64_t br = order[z] / blockCols, bc = order[z] % blockCols;
    for (int64_t r = br * bh; r < std::min(rows, (br + 1) * bh); ++r)
      for (int64_t c = bc * bw; c < std::min(cols, (bc + 1) * bw); ++c)
        w[r * cols + c] = 0.0f;
  }
  return w;
}

} // namespace tinyformer::cost
