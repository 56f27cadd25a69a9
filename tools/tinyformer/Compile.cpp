//===- Compile.cpp - tinyformer compile -----------------------------------===//
//
// import -> quantize -> select -> plan (the INT8 model, kept as model.mlir
// for host runs) -> lower -> emit (model.o, model.h), plus a report of
// every layer and the limits checked. Nothing is written unless all of it
// succeeds.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "tinyformer/CostModel/CostModel.h"
#include "tinyformer/Kernels/KernelRegistry.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Target/ObjectEmitter.h"
#include "tinyformer/Transforms/Passes.h"
#include "tinyformer/Transforms/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace tinyformer::cli {

static cl::opt<std::string> model(cl::Positional, cl::Required,
                                  cl::desc("<model.onnx|model.mlir>"),
                                  cl::sub(compileCmd));
static cl::opt<std::string> outDir("o", cl::Required,
                                   cl::desc("Build directory to write"),
                                   cl::sub(compileCmd));
static cl::opt<std::string>
    calib("calib", cl::desc("Calibration batch (.npy, float32, [N, ...input])"),
          cl::sub(compileCmd));
static cl::opt<std::string>
    calibMethod("calib-method", cl::desc("minmax | percentile (default minmax)"),
                cl::init("minmax"), cl::sub(compileCmd));
static cl::opt<double> percentile("percentile",
                                  cl::desc("For --calib-method=percentile (default 99.99)"),
                                  cl::init(99.99), cl::sub(compileCmd));
static cl::opt<std::string> plotsDir(
    "plots", cl::desc("Also draw the arena's memory map and the estimated "
                      "per-layer instructions as PNG into this directory"),
    cl::sub(compileCmd));
static cl::opt<std::string> cpu("cpu", cl::desc("cortex-m4 | cortex-m7 (default cortex-m7)"),
                                cl::init("cortex-m7"), cl::sub(compileCmd));
static cl::opt<int64_t> flash("flash", cl::desc("Flash limit in bytes, code + constants (default 1048576)"),
                              cl::init(1024 * 1024), cl::sub(compileCmd));
static cl::opt<int64_t> sram("sram", cl::desc("SRAM limit in bytes: the arena and the input and output buffers (default 327680)"),
                             cl::init(320 * 1024), cl::sub(compileCmd));
static cl::opt<int64_t> attentionBudget(
    "attention-budget",
    cl::desc("Arena bytes attention tiles may grow into (default 0: keep the "
             "smallest arena; larger tiles are not faster with today's kernel)"),
    cl::init(0), cl::sub(compileCmd));
static cl::opt<bool>
    fwsa("fwsa",
         cl::desc("Fused-Weight Self-Attention (fold W_q·W_kᵀ per head) in "
                  "attention blocks where the cost model says it pays"),
         cl::init(false), cl::sub(compileCmd));
static cl::opt<std::string> weightStorage(
    "weight-storage",
    cl::desc("How weight values are stored: auto (int16 where the flash "
             "budget allows and it pays) | int8 | int16"),
    cl::init("auto"), cl::sub(compileCmd));
static cl::opt<std::string> sparseKernels(
    "sparse",
    cl::desc("auto: sparse kernels for pruned conv / linear layers where the "
             "cost model says they pay | off: dense kernels only | force: the "
             "sparse kernel wherever one serves"),
    cl::init("auto"), cl::sub(compileCmd));
static cl::opt<std::string> sparseFormat(
    "sparse-format",
    cl::desc("Which sparse kernels are candidates: auto (all, chosen by "
             "the cost model under --flash) | code (nonzeros as code: "
             "fastest, most flash) | csr (compressed nonzero stream) | rle "
             "(TinyFormer's run-length format: smallest flash, slowest)"),
    cl::init("auto"), cl::sub(compileCmd));
// The flag's earlier name.
static cl::alias weightFormat("weight-format",
                              cl::desc("Alias for --weight-storage"),
                              cl::aliasopt(weightStorage));
static cl::opt<std::string>
    name("name", cl::desc("Model name: symbols tf_<name>_invoke (default: "
                          "from the file name)"),
         cl::sub(compileCmd));

/// A C identifier part made from the model's file name.
static std::string defaultName(StringRef path) {
  std::string n;
  for (char c : sys::path::stem(path))
    n += isAlnum(c) ? char(toLower(c)) : '_';
  if (n.empty() || isDigit(n[0]))
    n = "m" + n;
  return n;
}

static cl::list<std::string> fitBoards(
    "fit",
    cl::desc("Boards to fit the build on (stm32f746, stm32f429, stm32h743, "
             "nrf52840; rp2040 is refused): flash and SRAM used vs available, "
             "an error with advice when it does not fit"),
    cl::CommaSeparated, cl::sub(compileCmd));

namespace {
/// Boards users name, with what the build can use of them: the flash, and
/// the largest contiguous RAM (the arena is one block).
struct Board {
  const char *name, *cpu;
  int64_t flash, sram;
  const char *ram;
};
constexpr Board kBoards[] = {
    {"stm32f746", "cortex-m7", 1024 * 1024, 320 * 1024, "DTCM + SRAM1 + SRAM2"},
    {"stm32f429", "cortex-m4", 2048 * 1024, 192 * 1024,
     "SRAM1-3; the 64 KB CCM is separate"},
    {"stm32h743", "cortex-m7", 2048 * 1024, 512 * 1024,
     "AXI SRAM; the other banks are separate"},
    {"nrf52840", "cortex-m4", 1024 * 1024, 256 * 1024, "RAM"},
};
const Board *findBoard(StringRef name) {
  for (const Board &b : kBoards)
    if (name.equals_insensitive(b.name))
      return &b;
  return nullptr;
}
} // namespace

/// The limit as the user set it, or as the default they did not pass.
static std::string flashLimitText() {
  return flash.getNumOccurrences()
             ? "--flash=" + std::to_string(flash)
             : "the default flash limit of " + std::to_string(flash) +
                   " bytes (--flash)";
}
static std::string sramLimitText() {
  return sram.getNumOccurrences()
             ? "--sram=" + std::to_string(sram)
             : "the default SRAM limit of " + std::to_string(sram) +
                   " bytes (--sram)";
}

static bool writeFile(StringRef path, StringRef data) {
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec) {
    errs() << "tinyformer: error: cannot write '" << path << "': "
           << ec.message() << "\n";
    return false;
  }
  os << data;
  return true;
}

/// The report's fields on `op`'s weight zeros (from
/// sparse-tiny-pruning-aware-layout) and on the candidates selection weighed;
/// a note when a pruned layer stays on a slower dense kernel.
static void describeSparsity(mlir::Operation *op, KernelAttr kernel,
                             StringRef layerName, json::Object &layer,
                             std::vector<std::string> &notes) {
  const KernelInfo &info = kernelInfo(kernel.getKind());
  auto weight = info.hasWeights() && op->getNumOperands() > 1
                    ? op->getOperand(1).getDefiningOp<mlir::sparse_tiny::ConstantOp>()
                    : nullptr;
  if (weight && weight.getEncodingAttr() && weight.getEncodingAttr().getNnz() >= 0) {
    mlir::sparse_tiny::WeightEncodingAttr enc = weight.getEncodingAttr();
    int64_t elements = cast<mlir::ShapedType>(weight.getType()).getNumElements();
    double sparsity = 1.0 - double(enc.getNnz()) / double(elements);
    std::string pattern =
        mlir::sparse_tiny::stringifySparsityPattern(enc.getPattern()).str();
    if (!enc.getBlockShape().empty())
      pattern += formatv(" {0}x{1}", enc.getBlockShape()[0], enc.getBlockShape()[1]);
    layer["encoding"] = pattern;
    layer["nnz"] = enc.getNnz();
    layer["weight_elements"] = elements;
    layer["sparsity"] = std::round(sparsity * 10000) / 10000;
    layer["empty_rows"] = enc.getEmptyRows();
    layer["empty_cols"] = enc.getEmptyCols();
    // A pruned layer left on a slower dense kernel for want of flash is
    // worth a line: the user pruned it for speed.
    KernelAttr fastest;
    if (auto others = op->getAttrOfType<mlir::ArrayAttr>(attr::kAlternatives))
      for (KernelAttr k : others.getAsRange<KernelAttr>())
        if (KernelAttr::isSparse(k.getKind()) &&
            (!fastest || k.getEstInstructions() < fastest.getEstInstructions()))
          fastest = k;
    // A faster sparse kernel that serves the layer but was no candidate
    // (the candidates, run-length included, are all slower): its packed
    // input did not fit --sram beside the layer's input and output.
    int64_t sramNeed = 0;
    bool fasterCandidate =
        fastest && fastest.getEstInstructions() < kernel.getEstInstructions();
    if (!KernelAttr::isSparse(kernel.getKind()) && !fasterCandidate &&
        sparsity >= 0.5)
      for (const KernelInfo *k : kernelsFor(op))
        if (KernelAttr::isSparse(k->kind)) {
          LayerCost c = estimateCost(op, *k, WeightStorage::int8, targetCpuOf(op));
          if (c.instructions < kernel.getEstInstructions() &&
              c.scratchBytes + activationBytesOf(op) > sram)
            sramNeed = c.scratchBytes + activationBytesOf(op);
        }
    if (sramNeed > 0)
      notes.push_back(formatv("{0}: {1:P0} zeros, but dense ({2}): its sparse "
                              "kernel needs {3} bytes of SRAM (packed input, "
                              "input and output), over {4}",
                              layerName, sparsity,
                              stringifyKernelKind(kernel.getKind()), sramNeed,
                              sramLimitText()));
    if (!KernelAttr::isSparse(kernel.getKind()) && fasterCandidate)
      notes.push_back(formatv(
          "{0}: {1:P0} zeros, but dense ({2}, est. {3} instructions): {4} "
          "(est. {5} instructions, {6} bytes) does not fit {7}",
          layerName, sparsity, stringifyKernelKind(kernel.getKind()),
          kernel.getEstInstructions(), stringifyKernelKind(fastest.getKind()),
          fastest.getEstInstructions(), fastest.getFlashBytes(),
          flashLimitText()));
  }
  if (auto others = op->getAttrOfType<mlir::ArrayAttr>(attr::kAlternatives)) {
    json::Array alternatives;
    for (KernelAttr k : others.getAsRange<KernelAttr>())
      alternatives.push_back(json::Object{
          {"kernel", mlir::sparse_tiny::stringifyKernelKind(k.getKind()).str()},
          {"weight_storage",
           mlir::sparse_tiny::stringifyWeightStorage(k.getStorage()).str()},
          {"estimated_instructions", k.getEstInstructions()},
          {"weight_bytes", k.getFlashBytes()}});
    layer["alternatives"] = std::move(alternatives);
  }
}

/// The build against the boards of its CPU: an entry of `fit` each; for
/// those --fit names, a line (`lines`) when it fits, else an error with
/// advice on stderr and false.
static bool fitBuild(int64_t flashUsed, int64_t arena, int64_t ioBytes,
                     int64_t bound, json::Array &fit,
                     std::vector<std::string> &lines) {
  int64_t sramUsed = arena + ioBytes;
  bool ok = true;
  for (const Board &b : kBoards) {
    if (cpu != b.cpu)
      continue;
    bool fits = flashUsed <= b.flash && sramUsed <= b.sram;
    fit.push_back(json::Object{{"board", b.name},
                               {"flash_available", b.flash},
                               {"flash_used", flashUsed},
                               {"sram_available", b.sram},
                               {"sram_used", sramUsed},
                               {"flash_headroom", b.flash - flashUsed},
                               {"sram_headroom", b.sram - sramUsed},
                               {"fits", fits}});
    if (llvm::none_of(fitBoards, [&](const std::string &n) {
          return StringRef(n).equals_insensitive(b.name);
        }))
      continue;
    auto pct = [](int64_t used, int64_t all) { return 100.0 * double(used) / double(all); };
    auto headroom = [](int64_t left) {
      return left >= 0 ? "headroom " + std::to_string(left)
                       : "over by " + std::to_string(-left);
    };
    std::string line =
        formatv("{0} ({1}): flash {2} of {3} bytes ({4:F0}%, {11}), "
                "SRAM {5} of {6} bytes ({7:F0}%, {12}; arena {8} + "
                "input and output {9}, stack not counted; {10})",
                b.name, b.cpu, flashUsed, b.flash,
                pct(flashUsed, b.flash), sramUsed, b.sram,
                pct(sramUsed, b.sram), arena, ioBytes, b.ram,
                headroom(b.flash - flashUsed), headroom(b.sram - sramUsed));
    if (fits) {
      lines.push_back(line);
    } else {
      errs() << "tinyformer: error: does not fit " << line << "\n";
      ok = false;
      if (flashUsed > b.flash)
        errs() << "  advice: prune the largest layers (docs/sparsity.md) and "
                  "compile with --flash "
               << b.flash << ", or --weight-storage int8\n";
      if (sramUsed > b.sram)
        errs() << "  advice: the arena is at its lower bound (" << bound
               << " bytes) for this schedule: a smaller input resolution or "
                  "narrower early layers\n";
    }
  }
  return ok;
}

/// The least flash the layers' kernels can take (each its smallest
/// candidate), and the three layers that take the most of it.
struct FlashFloor {
  int64_t constants = 0;
  SmallVector<std::pair<std::string, int64_t>, 3> largest;
};
FlashFloor smallestFlashOf(mlir::ModuleOp module) {
  FlashFloor floor;
  std::vector<std::pair<std::string, int64_t>> layers;
  module->walk([&](mlir::Operation *op) {
    KernelAttr kernel = chosenKernel(op);
    if (!kernel)
      return;
    int64_t least = kernel.getFlashBytes();
    if (auto others = op->getAttrOfType<mlir::ArrayAttr>(attr::kAlternatives))
      for (KernelAttr k : others.getAsRange<KernelAttr>())
        least = std::min(least, k.getFlashBytes());
    floor.constants += least;
    layers.push_back({layerNameOf(op), least});
  });
  llvm::stable_sort(layers, [](auto &a, auto &b) { return a.second > b.second; });
  for (size_t i = 0; i < std::min<size_t>(3, layers.size()); ++i)
    floor.largest.push_back(layers[i]);
  return floor;
}

/// Writes the build's files into a sibling of `dir` and renames it into
/// place: a failure leaves an existing `dir` as it was, a success leaves no
/// file of an older build in it.
bool writeBuildAtomically(StringRef dir,
                          ArrayRef<std::pair<StringRef, StringRef>> files) {
  auto fail = [](const Twine &what, std::error_code ec) {
    errs() << "tinyformer: error: " << what << ": " << ec.message() << "\n";
    return false;
  };
  SmallString<128> target(dir);
  sys::path::remove_dots(target, /*remove_dot_dot=*/true);
  if (sys::fs::exists(target) && !sys::fs::is_directory(target)) {
    errs() << "tinyformer: error: '" << dir
           << "' exists and is not a directory\n";
    return false;
  }
  StringRef parent = sys::path::parent_path(target);
  if (!parent.empty())
    if (std::error_code ec = sys::fs::create_directories(parent))
      return fail("cannot create '" + parent + "'", ec);
  std::string pid = std::to_string(sys::Process::getProcessId());
  std::string partial = (target + ".partial-" + pid).str();
  std::string old = (target + ".old-" + pid).str();
  sys::fs::remove_directories(partial);
  if (std::error_code ec = sys::fs::create_directory(partial))
    return fail("cannot create '" + partial + "'", ec);
  for (auto [name, data] : files) {
    SmallString<128> path(partial);
    sys::path::append(path, name);
    if (!writeFile(path, data)) {
      sys::fs::remove_directories(partial);
      return false;
    }
  }
  bool replacing = sys::fs::exists(target);
  if (replacing)
    if (std::error_code ec = sys::fs::rename(target, old)) {
      sys::fs::remove_directories(partial);
      return fail("cannot replace '" + dir + "'", ec);
    }
  if (std::error_code ec = sys::fs::rename(partial, target)) {
    if (replacing)
      sys::fs::rename(old, target);
    sys::fs::remove_directories(partial);
    return fail("cannot write '" + dir + "'", ec);
  }
  if (replacing)
    sys::fs::remove_directories(old);
  return true;
}

bool checkCpuAndCalib(StringRef cpuName, StringRef calibPath) {
  if (!isSupportedCpu(cpuName)) {
    errs() << "tinyformer: error: --cpu must be cortex-m4 or cortex-m7, got '"
           << cpuName << "'\n";
    return false;
  }
  if (!calibPath.empty() && !sys::fs::exists(calibPath)) {
    errs() << "tinyformer: error: calibration file '" << calibPath
           << "' does not exist\n";
    return false;
  }
  return true;
}

static mlir::Block *firstFunctionBody(mlir::ModuleOp module) {
  return &(*module.getOps<mlir::func::FuncOp>().begin()).getBody().front();
}

static std::string absolutePath(StringRef path) {
  SmallString<256> abs(path);
  sys::fs::make_absolute(abs);
  sys::path::remove_dots(abs, /*remove_dot_dot=*/true);
  return std::string(abs);
}

std::string layerNameOf(mlir::Operation *op) {
  if (auto loc = dyn_cast<mlir::NameLoc>(op->getLoc()))
    return loc.getName().str();
  return op->getName().stripDialect().str();
}

int compile(mlir::MLIRContext &context) {
  if (!checkCpuAndCalib(cpu, calib))
    return 1;
  for (const std::string &b : fitBoards) {
    if (StringRef(b).equals_insensitive("rp2040")) {
      errs() << "tinyformer: error: --fit rp2040: its Cortex-M0+ (armv6-m) has "
                "no DSP instructions (SMLAD, SSAT) and no Thumb-2; the "
                "generated code needs thumbv7em (cortex-m4 or cortex-m7)\n";
      return 1;
    }
    const Board *board = findBoard(b);
    if (!board) {
      errs() << "tinyformer: error: --fit: unknown board '" << b
             << "' (stm32f746, stm32f429, stm32h743, nrf52840)\n";
      return 1;
    }
    if (cpu != board->cpu) {
      errs() << "tinyformer: error: --fit " << board->name << ": its CPU is a "
             << board->cpu << "; compile with --cpu " << board->cpu << "\n";
      return 1;
    }
  }
  std::string modelName = name.empty() ? defaultName(model) : name.getValue();
  context.loadDialect<mlir::LLVM::LLVMDialect>();

  // Kernels are chosen by estimated flash; when the object comes out larger
  // than --flash, the choice is made again under a budget smaller by the
  // excess, down to the smallest kernels' (three times at most), before
  // giving up.
  mlir::OwningOpRef<mlir::ModuleOp> module, lowered;
  mlir::FailureOr<EmittedModel> emitted;
  FlashFloor floor;
  int64_t budget = flash, codeBeside = 0;
  for (int attempt = 0;; ++attempt) {
    mlir::OwningOpRef<mlir::ModuleOp> candidate = loadModel(model, context);
    if (!candidate)
      return 1;
    mlir::PassManager pm(&context);
    CompileOptions options;
    options.calibration = calib;
    options.method = calibMethod;
    options.percentile = percentile;
    options.flashBudget = budget;
    options.weightStorage = weightStorage;
    options.cpu = cpu;
    options.sparse = sparseKernels;
    options.sparseFormat = sparseFormat;
    options.sramLimit = sram;
    options.fuseQkWeights = fwsa;
    // Attention tiles: the planner keeps the arena at its smallest unless
    // told otherwise. Larger tiles measure no faster with today's kernel
    // (1-3% more instructions, docs/performance.md), so --sram only bounds
    // the arena.
    options.sramBudget = attentionBudget;
    addQuantizePipeline(pm, options);
    // A retry that finds no kernels under the smaller budget (silently):
    // the previous attempt's excess is the error.
    std::optional<mlir::ScopedDiagnosticHandler> quiet;
    if (attempt > 0)
      quiet.emplace(&context, [](mlir::Diagnostic &) { return mlir::success(); });
    if (failed(pm.run(*candidate))) {
      if (attempt == 0)
        return 1;
      break; // The previous attempt's object is the one over --flash.
    }
    quiet.reset();
    module = std::move(candidate);
    // The arena is known once planned: refuse a model that cannot fit
    // before generating its code. The caller's input and output buffers
    // are SRAM too.
    int64_t planned =
        (*module)->getAttrOfType<mlir::IntegerAttr>(attr::kArenaSize).getInt();
    if (planned > sram) {
      errs() << "tinyformer: error: the model needs an arena of " << planned
             << " bytes of SRAM (lower bound "
             << (*module)->getAttrOfType<mlir::IntegerAttr>(attr::kArenaLowerBound).getInt()
             << "), over " << sramLimitText() << "\n";
      return 1;
    }
    int64_t io = 0;
    (*module)->walk([&](mlir::func::FuncOp f) {
      for (mlir::Type t : llvm::concat<const mlir::Type>(f.getArgumentTypes(),
                                                         f.getResultTypes()))
        io += cast<mlir::ShapedType>(t).getNumElements();
    });
    if (planned + io > sram) {
      errs() << "tinyformer: error: the model's input and output buffers ("
             << io << " bytes) and its arena (" << planned
             << " bytes) need " << planned + io << " bytes of SRAM, over "
             << sramLimitText() << "\n";
      return 1;
    }
    if (attempt == 0)
      floor = smallestFlashOf(*module);

    // Lower and emit a copy: the planned module stays for the report.
    lowered = module->clone();
    mlir::PassManager lower(&context);
    LowerToLLVMOptions lowerOptions;
    lowerOptions.modelName = modelName;
    lower.addPass(createLowerToLLVM(lowerOptions));
    if (failed(lower.run(*lowered)))
      return 1;
    EmitOptions emitOptions;
    emitOptions.cpu = cpu;
    emitted = emitObject(*lowered, emitOptions);
    if (failed(emitted))
      return 1;
    int64_t excess = int64_t(emitted->flashBytes) - flash;
    if (excess <= 0 || attempt == 3)
      break;
    // The estimate must stay below --flash less the estimate's error (the
    // object's code beside the kernels' figures).
    int64_t estimated = 0;
    (*module)->walk([&](mlir::Operation *op) {
      if (KernelAttr k = chosenKernel(op))
        estimated += k.getFlashBytes();
    });
    codeBeside = int64_t(emitted->flashBytes) - estimated;
    // Never below the smallest kernels' budget: the estimates' errors
    // differ from kernel to kernel, and the code beside measured with one
    // choice can exclude a smaller one that fits (a last try takes the
    // smallest kernels, whose object is then the answer).
    int64_t next = std::max(std::min(flash - codeBeside, budget - excess) - 16,
                            floor.constants);
    if (next >= budget)
      break;
    budget = next;
  }

  // The planned INT8 model, for host runs, the report and `compare` (which
  // finds each layer's float value by its location: the ONNX node).
  std::string planned;
  {
    raw_string_ostream os(planned);
    module->print(os, mlir::OpPrintingFlags().enableDebugInfo());
  }
  int64_t arena = (*module)->getAttrOfType<mlir::IntegerAttr>(attr::kArenaSize).getInt();
  int64_t bound =
      (*module)->getAttrOfType<mlir::IntegerAttr>(attr::kArenaLowerBound).getInt();
  json::Array layers;
  std::vector<std::string> notes;
  int64_t macs = 0, estimated = 0;
  mlir::sparse_tiny::TargetCpu target = targetCpuOf(*module);
  (*module)->walk([&](mlir::Operation *op) {
    KernelAttr kernel = chosenKernel(op);
    if (!kernel || kernel.getKind() == KernelKind::alias)
      return;
    const KernelInfo &info = kernelInfo(kernel.getKind());
    LayerCost cost = estimateCost(op, info, kernel.getStorage(), target);
    std::string storage =
        info.hasWeights()
            ? mlir::sparse_tiny::stringifyWeightStorage(kernel.getStorage()).str()
            : "-";
    std::string layerName = layerNameOf(op);
    macs += cost.macs;
    estimated += cost.instructions;
    json::Object layer{
        {"name", layerName},
        {"op", op->getName().stripDialect().str()},
        {"kernel", mlir::sparse_tiny::stringifyKernelKind(kernel.getKind()).str()},
        {"weight_storage", storage},
        // The earlier name of weight_storage, kept for existing readers.
        {"weight_format", storage},
        {"macs", cost.macs},
        // The multiply-accumulates the kernel performs (a sparse kernel's
        // nonzero MACs, with the positions its passes recompute).
        {"kernel_macs", cost.kernelMacs},
        {"estimated_sized_instructions", cost.sizedInstructions},
        {"estimated_instructions", cost.instructions},
        {"weight_bytes", cost.flashBytes},
        {"scratch_bytes", cost.scratchBytes},
        {"output_bytes",
         cast<mlir::ShapedType>(op->getResult(0).getType()).getNumElements()}};
    describeSparsity(op, kernel, layerName, layer, notes);
    if (isa<mlir::sparse_tiny::MultiHeadAttentionOp>(op)) {
      AttentionShape a = attentionShape(op);
      layer["heads_per_step"] = a.headsPerStep;
      layer["rows_per_step"] = a.rowsPerStep;
      layer["scratch_bytes_untiled"] = attentionUntiledBytes(a);
    }
    layers.push_back(std::move(layer));
  });
  int64_t untiled = arena;
  if (auto u = (*module)->getAttrOfType<mlir::IntegerAttr>(attr::kArenaUntiled))
    untiled = u.getInt();

  if (emitted->ramBytes != 0) {
    errs() << "tinyformer: error: the object has " << emitted->ramBytes
           << " bytes of writable data; generated code must have no global "
              "state\n";
    return 1;
  }
  if (emitted->flashBytes > flash) {
    errs() << "tinyformer: error: the model needs " << emitted->flashBytes
           << " bytes of flash (code + constants), over " << flashLimitText()
           << "; its smallest kernels would need about "
           << floor.constants + codeBeside << " bytes (" << floor.constants
           << " for the layers; the largest: ";
    for (auto [i, layer] : llvm::enumerate(floor.largest))
      errs() << (i ? ", " : "") << layer.first << " " << layer.second;
    errs() << ")\n";
    return 1;
  }

  // The model's interface, as lowering recorded it.
  auto attrOf = [&](StringRef key) { return (*lowered)->getAttr(key); };
  json::Object io;
  for (StringRef key : {"input", "output"}) {
    auto shape = cast<mlir::DenseI64ArrayAttr>(attrOf(("tf." + key + "_shape").str()));
    io[key] = json::Object{
        {"shape", json::Array(shape.asArrayRef())},
        {"scale", cast<mlir::FloatAttr>(attrOf(("tf." + key + "_scale").str()))
                      .getValueAsDouble()},
        {"zero_point",
         cast<mlir::IntegerAttr>(attrOf(("tf." + key + "_zero_point").str())).getInt()},
        {"layout",
         cast<mlir::StringAttr>(attrOf(("tf." + key + "_layout").str())).getValue().str()}};
  }
  // What the build takes of each board with its CPU: flash, and SRAM for
  // the arena and the input and output buffers (the stack is measured by
  // `tinyformer run`).
  int64_t ioBytes = 0;
  for (StringRef key : {"input", "output"}) {
    int64_t n = 1;
    for (int64_t d : cast<mlir::DenseI64ArrayAttr>(attrOf(("tf." + key + "_shape").str()))
                         .asArrayRef())
      n *= d;
    ioBytes += n;
  }
  json::Array fit;
  std::vector<std::string> fitLines;
  if (!fitBuild(emitted->flashBytes, arena, ioBytes, bound, fit, fitLines))
    return 1;
  int64_t numLayers = int64_t(layers.size());
  // The plan's memory map: each arena buffer's place and steps (the ops
  // that run, in order), as PlanMemory recorded it.
  json::Array steps, arenaMap;
  for (mlir::Operation &op : *firstFunctionBody(*module))
    if (!isa<mlir::sparse_tiny::ConstantOp>(op))
      steps.push_back(layerNameOf(&op));
  if (auto map = (*module)->getAttrOfType<mlir::DenseI64ArrayAttr>(attr::kArenaMap))
    for (int64_t i = 0; i + 3 < map.size(); i += 4)
      arenaMap.push_back(json::Object{{"offset", map[i]},
                                      {"bytes", map[i + 1]},
                                      {"first_step", map[i + 2]},
                                      {"last_step", map[i + 3]}});
  // Attention blocks run fused (mhsa) or, with the reason on the softmax,
  // as separate layers.
  int64_t fusedAttention = 0, unfusedAttention = 0;
  (*module)->walk([&](mlir::Operation *op) {
    fusedAttention += isa<mlir::sparse_tiny::MultiHeadAttentionOp>(op);
    unfusedAttention += op->hasAttr(attr::kUnfusedAttention);
  });
  json::Object report{
      {"model", sys::path::filename(model).str()},
      // Where `eval` finds the float model by default.
      {"model_path", absolutePath(model)},
      {"name", modelName},
      {"cpu", cpu.getValue()},
      {"calibration", calib.empty() ? std::string("(QDQ scales)")
                                    : sys::path::filename(calib).str()},
      {"calibration_method", calibMethod.getValue()},
      {"flash_bytes", emitted->flashBytes},
      // At most what invoke takes of the stack (the deepest call path's
      // frames; `run` measures it).
      {"stack_bytes_bound", emitted->stackBytes},
      {"arena_bytes", arena},
      {"arena_lower_bound", bound},
      {"arena_bytes_untiled", untiled},
      {"arena_map", std::move(arenaMap)},
      {"steps", std::move(steps)},
      {"macs", macs},
      {"estimated_instructions", estimated},
      {"num_layers", numLayers},
      {"attention_blocks",
       json::Object{{"fused", fusedAttention}, {"unfused", unfusedAttention}}},
      {"fit", std::move(fit)},
      {"input", io["input"]},
      {"output", io["output"]},
      {"layers", std::move(layers)}};

  std::string reportText;
  {
    raw_string_ostream os(reportText);
    os << formatv("{0:2}", json::Value(std::move(report))) << "\n";
  }
  if (!writeBuildAtomically(outDir, {{"model.mlir", planned},
                                     {"model.o", emitted->object},
                                     {"model.h", emitted->header},
                                     {"compile_report.json", reportText}}))
    return 1;
  outs() << "compiled " << sys::path::filename(model) << " for " << cpu
         << " into " << outDir << "/ (model.o, model.h, model.mlir, "
         << "compile_report.json)\n"
         << format("  layers %lld, MACs %lld, estimated instructions %lld\n",
                   (long long)numLayers, (long long)macs, (long long)estimated)
         << format("  flash %lld bytes (code + constants), arena %lld bytes "
                   "(lower bound %lld), stack at most %lld bytes\n",
                   (long long)emitted->flashBytes, (long long)arena,
                   (long long)bound, (long long)emitted->stackBytes);
  for (const std::string &line : fitLines)
    outs() << "  fits " << line << "\n";
  for (const std::string &note : notes)
    outs() << "  note: " << note << "\n";
  if (!plotsDir.empty()) {
    SmallString<128> report(outDir);
    sys::path::append(report, "compile_report.json");
    if (!writePlots(report, "", plotsDir))
      return 1;
  }
  return 0;
}

} // namespace tinyformer::cli
