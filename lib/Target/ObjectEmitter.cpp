//===- ObjectEmitter.cpp - LLVM dialect model -> ARM object + header ------===//
//
// The kernels' bitcode (built from runtime/kernels by clang-19) is linked
// into the model module; every tfk_* function becomes internal and
// always-inline, so after O3 each layer holds its own copy of its kernel,
// specialised to the layer's constant shapes and zero points, and nothing
// of the kernel library remains but what the layers use.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Target/ObjectEmitter.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"

#include <cstdio>

extern "C" {
void LLVMInitializeARMTargetInfo();
void LLVMInitializeARMTarget();
void LLVMInitializeARMTargetMC();
void LLVMInitializeARMAsmPrinter();
void LLVMInitializeARMAsmParser();
}

using namespace mlir;

namespace tinyformer {
namespace {

const unsigned char kKernelBitcode[] = {
#include "tfk_kernels_bc.inc"
};

constexpr const char *kTriple = "thumbv7em-none-unknown-eabihf";

/// Allowance for the library leaves the object may call (newlib's memcpy /
/// memset, libgcc's EABI division helpers push at most a few registers).
constexpr int64_t kLibraryStackBytes = 32;

/// The stack of `root` at most: its frame plus the worst of its callees',
/// frames from `frames` (per function, as codegen reported them); calls to
/// functions outside the module (library leaves) add kLibraryStackBytes.
/// -1 when a frame is unknown or the calls recurse.
int64_t worstStack(const llvm::Function &root,
                   const llvm::StringMap<int64_t> &frames,
                   llvm::DenseMap<const llvm::Function *, int64_t> &memo,
                   llvm::SmallPtrSetImpl<const llvm::Function *> &active) {
  if (auto it = memo.find(&root); it != memo.end())
    return it->second;
  auto frame = frames.find(root.getName());
  if (frame == frames.end() || !active.insert(&root).second)
    return -1;
  int64_t deepest = 0;
  for (const llvm::Instruction &inst : llvm::instructions(root)) {
    auto *call = llvm::dyn_cast<llvm::CallBase>(&inst);
    if (!call || call->isInlineAsm())
      continue;
    const llvm::Function *callee = call->getCalledFunction();
    if (!callee)
      return -1;
    if (callee->isIntrinsic() && !llvm::isa<llvm::MemIntrinsic>(call))
      continue;
    int64_t below = callee->isDeclaration()
                        ? kLibraryStackBytes
                        : worstStack(*callee, frames, memo, active);
    if (below < 0)
      return -1;
    deepest = std::max(deepest, below);
  }
  active.erase(&root);
  return memo[&root] = frame->second + deepest;
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(StringRef cpu, std::string &error,
                    StringRef stackUsageFile = "") {
  static bool initialized = [] {
    LLVMInitializeARMTargetInfo();
    LLVMInitializeARMTarget();
    LLVMInitializeARMTargetMC();
    LLVMInitializeARMAsmPrinter();
    // The kernels' inner loops are inline assembly.
    LLVMInitializeARMAsmParser();
    return true;
  }();
  (void)initialized;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(kTriple, error);
  if (!target)
    return nullptr;
  llvm::TargetOptions options;
  options.FloatABIType = llvm::FloatABI::Hard;
  // Each function's frame, written as codegen lays it out (-fstack-usage).
  options.StackUsageOutput = stackUsageFile.str();
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      kTriple, cpu, "", options, llvm::Reloc::Static, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
}

void optimize(llvm::Module &module, llvm::TargetMachine &tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(module, mam);
}

std::string fmt(const char *format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

/// The header: entry points, arena size, input/output shapes and scales.
std::string makeHeader(ModuleOp module, int64_t arenaBytes,
                       int64_t lowerBound, int64_t stackBytes, StringRef cpu) {
  std::string name =
      module->getAttrOfType<StringAttr>("tf.model_name").getValue().str();
  std::string upper = "TF_" + StringRef(name).upper();
  std::string h;
  llvm::raw_string_ostream os(h);
  auto layers = module->getAttrOfType<ArrayAttr>("tf.layer_names");
  os << "/* Generated by TinyFormer: the INT8 model '" << name
     << "' for " << cpu << " (thumbv7em). Do not edit.\n"
     << " *\n"
     << " * Link " << name << ".o. Call tf_" << name
     << "_invoke(in, out, arena) with int8 tensors\n"
     << " * (real = scale * (q - zero_point)) and an arena of " << upper
     << "_ARENA_BYTES bytes,\n"
     << " * 8-byte aligned, that the caller owns; it is scratch between "
        "calls. The code uses\n"
     << " * no heap and no global mutable state, only memcpy/memset (and "
        "libgcc's ARM EABI helpers).\n"
     << " * 4-D tensors whose layout says NHWC are stored channels-last. */\n"
     << "#ifndef " << upper << "_H\n#define " << upper << "_H\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  os << "/* The CPU its kernels were chosen and compiled for. */\n";
  os << "#define " << upper << "_CPU \"" << cpu << "\"\n";
  os << "#define " << upper << "_ARENA_BYTES " << arenaBytes << "\n";
  os << "/* The arena's alignment in bytes (e.g. "
        "__attribute__((aligned(8)))). */\n";
  os << "#define " << upper << "_ARENA_ALIGN 8\n";
  os << "/* Largest sum of tensors alive at one step: no plan of this schedule "
        "needs less. */\n";
  os << "#define " << upper << "_ARENA_LOWER_BOUND " << lowerBound << "\n";
  os << "#define " << upper << "_NUM_LAYERS " << (layers ? layers.size() : 0)
     << "\n";
  if (stackBytes > 0)
    os << "/* Stack tf_" << name << "_invoke uses at most: its deepest call "
          "path's frames as\n   the compiler laid them out, plus "
       << kLibraryStackBytes
       << " bytes for memcpy and libgcc helpers (`tinyformer run`\n"
          "   measures what it really takes). */\n"
       << "#define " << upper << "_STACK_BYTES " << stackBytes << "\n";
  os << "\n";
  for (StringRef key : {"input", "output"}) {
    std::string k = StringRef(key).upper();
    auto shape = module->getAttrOfType<DenseI64ArrayAttr>(("tf." + key + "_shape").str());
    auto scale = module->getAttrOfType<FloatAttr>(("tf." + key + "_scale").str());
    auto zp = module->getAttrOfType<IntegerAttr>(("tf." + key + "_zero_point").str());
    auto layout = module->getAttrOfType<StringAttr>(("tf." + key + "_layout").str());
    int64_t bytes = 1;
    for (int64_t d : shape.asArrayRef())
      bytes *= d;
    os << "#define " << upper << "_" << k << "_BYTES " << bytes << "\n";
    os << "#define " << upper << "_" << k << "_RANK " << shape.size() << "\n";
    os << "#define " << upper << "_" << k << "_SHAPE {";
    llvm::interleave(shape.asArrayRef(), os, ", ");
    os << "} /* logical (ONNX) order */\n";
    os << "#define " << upper << "_" << k << "_LAYOUT \""
       << (layout.getValue() == "NHWC" ? "NHWC" : "row-major") << "\"\n";
    os << "#define " << upper << "_" << k << "_SCALE "
       << fmt("%.9gf", scale.getValueAsDouble()) << "\n";
    os << "#define " << upper << "_" << k << "_SCALE_DOUBLE "
       << fmt("%.17g", scale.getValueAsDouble()) << " /* exact */\n";
    os << "#define " << upper << "_" << k << "_ZERO_POINT (" << zp.getInt()
       << ")\n\n";
  }
  // Quantize / dequantize helpers with the tools' exact rule.
  os << "/* The input's quantization as `tinyformer run` does it: x / SCALE in\n"
        "   double, rounded half to even, plus ZERO_POINT, saturated to int8\n"
        "   (NaN gives ZERO_POINT). */\n"
     << "static inline int8_t tf_" << name << "_quantize_input(float x) {\n"
     << "  double v = (double)x / " << upper << "_INPUT_SCALE_DOUBLE;\n"
     << "  if (v != v) v = 0.0;\n"
     << "  if (v > 1e6) v = 1e6;\n"
     << "  if (v < -1e6) v = -1e6;\n"
     << "  double r = (double)(long long)(v < 0 ? v - 0.5 : v + 0.5);\n"
     << "  if ((r - v == 0.5 || v - r == 0.5) && ((long long)r & 1))\n"
     << "    r += r > v ? -1.0 : 1.0; /* a tie: to even */\n"
     << "  r += " << upper << "_INPUT_ZERO_POINT;\n"
     << "  return (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);\n"
     << "}\n\n"
     << "/* An output value as a real number: SCALE * (q - ZERO_POINT). */\n"
     << "static inline float tf_" << name << "_dequantize_output(int8_t q) {\n"
     << "  return " << upper << "_OUTPUT_SCALE * (float)((int32_t)q - "
     << upper << "_OUTPUT_ZERO_POINT);\n"
     << "}\n\n";
  os << "/* Runs the model; returns 0. The ABI is the AAPCS with hard float\n"
        "   (thumbv7em-none-eabihf); the interface has no enums or floats.\n"
        "   `in` and `out` hold the tensors in their LAYOUT: \"NHWC\" is\n"
        "   [n][h][w][c] (channels fastest) for an ONNX [N, C, H, W] tensor,\n"
        "   \"row-major\" is the ONNX order. `arena` is ARENA_BYTES bytes,\n"
        "   8-byte aligned. */\n"
     << "int tf_" << name
     << "_invoke(const int8_t *in, int8_t *out, void *arena);\n\n"
     << "/* Runs layer `layer` (0 .. NUM_LAYERS-1) alone; running all in order "
        "is invoke.\n   For per-layer profiling. Layers:";
  if (layers)
    for (auto [i, n] : llvm::enumerate(layers))
      os << (i % 6 ? " " : "\n     ") << i << "=" << cast<StringAttr>(n).getValue();
  os << " */\n"
     << "void tf_" << name
     << "_run_layer(int32_t layer, const int8_t *in, int8_t *out, void *arena);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << upper << "_H */\n";
  return h;
}

} // namespace

bool isSupportedCpu(StringRef cpu) {
  return cpu == "cortex-m4" || cpu == "cortex-m7";
}

FailureOr<EmittedModel> emitObject(ModuleOp module, const EmitOptions &options) {
  if (!isSupportedCpu(options.cpu))
    return module.emitError() << "unsupported --cpu '" << options.cpu
                              << "' (cortex-m4 | cortex-m7)";
  auto arena = module->getAttrOfType<IntegerAttr>("sparse_tiny.arena_size");
  auto bound = module->getAttrOfType<IntegerAttr>("sparse_tiny.arena_lower_bound");
  if (!module->hasAttr("tf.model_name") || !arena || !bound)
    return module.emitError()
           << "emitting an object needs a planned, lowered model (run "
              "sparse-tiny-plan-memory and sparse-tiny-lower-to-llvm)";
  std::string error;
  llvm::SmallString<128> stackUsage;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("tinyformer-stack", "su", stackUsage))
    return module.emitError() << "cannot create a temporary file: " << ec.message();
  auto removeStackUsage =
      llvm::make_scope_exit([&] { llvm::sys::fs::remove(stackUsage); });
  std::unique_ptr<llvm::TargetMachine> tm =
      createTargetMachine(options.cpu, error, stackUsage);
  if (!tm)
    return module.emitError() << "no ARM target: " << error;

  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "tinyformer_model");
  if (!llvmModule)
    return module.emitError() << "translation to LLVM IR failed";
  llvmModule->setTargetTriple(kTriple);
  llvmModule->setDataLayout(tm->createDataLayout());

  auto buffer = llvm::MemoryBuffer::getMemBuffer(
      StringRef(reinterpret_cast<const char *>(kKernelBitcode),
                sizeof(kKernelBitcode)),
      "tfk_kernels.bc", /*RequiresNullTerminator=*/false);
  llvm::Expected<std::unique_ptr<llvm::Module>> kernels =
      llvm::parseBitcodeFile(buffer->getMemBufferRef(), llvmContext);
  if (!kernels)
    return module.emitError() << "cannot read the kernels' bitcode: "
                              << llvm::toString(kernels.takeError());
  (*kernels)->setTargetTriple(kTriple);
  (*kernels)->setDataLayout(tm->createDataLayout());
  if (llvm::Linker::linkModules(*llvmModule, std::move(*kernels),
                                llvm::Linker::Flags::LinkOnlyNeeded))
    return module.emitError() << "linking the kernels' bitcode failed";
  // Kernels compiled for cortex-m4 inline into code for either CPU: drop
  // their per-function CPU so the target machine's applies to all.
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.removeFnAttr("target-cpu");
    f.removeFnAttr("target-features");
    f.removeFnAttr("no-builtins");
    // No C++ unwinding on the device: no .ARM.exidx personality to link.
    f.addFnAttr(llvm::Attribute::NoUnwind);
    if (f.getName().starts_with("tfk_")) {
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
      f.removeFnAttr(llvm::Attribute::NoInline);
      f.removeFnAttr(llvm::Attribute::OptimizeNone);
      f.addFnAttr(llvm::Attribute::AlwaysInline);
    }
  }
  optimize(*llvmModule, *tm);

  EmittedModel result;
  llvm::SmallString<0> object;
  llvm::raw_svector_ostream os(object);
  {
    // Its AsmPrinter writes the stack usage file when it goes away.
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return module.emitError() << "the ARM target cannot emit an object file";
    pm.run(*llvmModule);
  }
  result.object.assign(object.begin(), object.end());
  // "<module>:<function>\t<bytes>\t<static|dynamic...>" per function.
  llvm::StringMap<int64_t> frames;
  if (auto text = llvm::MemoryBuffer::getFile(stackUsage)) {
    llvm::SmallVector<StringRef> lines;
    (*text)->getBuffer().split(lines, '\n', -1, false);
    for (StringRef line : lines) {
      llvm::SmallVector<StringRef> fields;
      line.split(fields, '\t');
      int64_t bytes = 0;
      if (fields.size() >= 3 && fields[2] == "static" &&
          !fields[1].getAsInteger(10, bytes))
        frames[fields[0].rsplit(':').second] = bytes;
    }
  }
  llvm::DenseMap<const llvm::Function *, int64_t> memo;
  llvm::SmallPtrSet<const llvm::Function *, 16> active;
  std::string invokeName = "tf_" + module->getAttrOfType<StringAttr>("tf.model_name")
                                       .getValue()
                                       .str() + "_invoke";
  if (const llvm::Function *invoke = llvmModule->getFunction(invokeName))
    result.stackBytes = worstStack(*invoke, frames, memo, active);
  // Flash is every allocated read-only section; writable ones would be
  // global state, which the generated code must not have.
  auto parsed = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(result.object, "model.o"));
  if (!parsed)
    return module.emitError() << "cannot read back the object: "
                              << llvm::toString(parsed.takeError());
  for (const llvm::object::SectionRef &section : (*parsed)->sections()) {
    auto elf = llvm::object::ELFSectionRef(section);
    if (!(elf.getFlags() & llvm::ELF::SHF_ALLOC))
      continue;
    if (elf.getFlags() & llvm::ELF::SHF_WRITE)
      result.ramBytes += int64_t(section.getSize());
    else
      result.flashBytes += int64_t(section.getSize());
  }
  result.header = makeHeader(module, arena.getInt(), bound.getInt(),
                             result.stackBytes, options.cpu);
  return result;
}

} // namespace tinyformer
