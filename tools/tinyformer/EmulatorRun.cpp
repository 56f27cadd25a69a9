//===- EmulatorRun.cpp - tinyformer run BUILD_DIR --------------------------===//
//
// Runs a build directory either on the host INT8 reference (model.mlir) or
// on QEMU's Cortex-M7 / Cortex-M4 boards: links runtime/harness with
// model.o, runs it with -icount shift=0 and reads back outputs, exact
// instruction counts (whole inference and per layer) and the stack
// high-water mark.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "tinyformer/Reference/Interpreter.h"
#include "tinyformer/Support/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <thread>

#ifndef TINYFORMER_RUNTIME_DIR
#define TINYFORMER_RUNTIME_DIR "runtime"
#endif

using namespace llvm;

namespace tinyformer::cli {

static cl::opt<std::string>
    board("board",
          cl::desc("m7 | m4 (emulated board; default: the build's --cpu)"),
          cl::init("m7"), cl::sub(runCmd));
static cl::opt<std::string>
    reportFile("report", cl::desc("Write the figures as JSON to this file"),
               cl::sub(runCmd));
static cl::opt<std::string> plotsDir(
    "plots",
    cl::desc("Also draw the per-layer instructions (measured beside the "
             "estimate) as PNG into this directory"),
    cl::sub(runCmd));
static cl::opt<bool> dequantizeOutput(
    "dequantize", cl::desc("Write the output as float32 (scale * (q - zp)) "
                           "instead of int8"),
    cl::sub(runCmd));
static cl::opt<unsigned> timeoutSeconds(
    "timeout", cl::desc("Emulator time limit in seconds (default 600)"), cl::init(600),
    cl::sub(runCmd));
extern cl::list<std::string> inputFiles;
extern cl::list<std::string> outputFiles;

namespace {

void fail(const Twine &message) {
  errs() << "tinyformer: error: " << message << "\n";
}

struct TensorInfo {
  SmallVector<int64_t> shape;
  double scale = 1;
  int64_t zeroPoint = 0;
  bool nhwc = false;
  int64_t bytes() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

struct BuildInfo {
  std::string name, cpu;
  TensorInfo input, output;
  int64_t flashBytes = 0, arenaBytes = 0, lowerBound = 0, numLayers = 0;
  json::Array layers;
};

bool readTensorInfo(const json::Object *o, TensorInfo &t) {
  if (!o)
    return false;
  const json::Array *shape = o->getArray("shape");
  if (!shape)
    return false;
  for (const json::Value &d : *shape)
    t.shape.push_back(d.getAsInteger().value_or(0));
  t.scale = o->getNumber("scale").value_or(1);
  t.zeroPoint = o->getInteger("zero_point").value_or(0);
  t.nhwc = o->getString("layout").value_or("") == "NHWC";
  return true;
}

bool readBuild(StringRef dir, BuildInfo &info) {
  SmallString<128> path(dir);
  sys::path::append(path, "compile_report.json");
  auto file = MemoryBuffer::getFile(path);
  if (!file) {
    fail("'" + dir + "' is not a build directory (no compile_report.json; "
         "run `tinyformer compile` first)");
    return false;
  }
  Expected<json::Value> value = json::parse((*file)->getBuffer());
  json::Object *o = value ? value->getAsObject() : nullptr;
  if (!o || !readTensorInfo(o->getObject("input"), info.input) ||
      !readTensorInfo(o->getObject("output"), info.output) ||
      !o->getString("name")) {
    if (!value)
      consumeError(value.takeError());
    fail("'" + path + "' is not a valid compile report");
    return false;
  }
  info.name = o->getString("name")->str();
  info.cpu = o->getString("cpu").value_or("cortex-m7").str();
  info.flashBytes = o->getInteger("flash_bytes").value_or(0);
  info.arenaBytes = o->getInteger("arena_bytes").value_or(0);
  info.lowerBound = o->getInteger("arena_lower_bound").value_or(0);
  info.numLayers = o->getInteger("num_layers").value_or(0);
  if (const json::Array *layers = o->getArray("layers"))
    info.layers = *layers;
  return true;
}

/// NCHW <-> NHWC for one sample of logical shape [1, C, H, W].
std::vector<int8_t> relayout(ArrayRef<int8_t> in, ArrayRef<int64_t> shape,
                             bool toNHWC) {
  int64_t c = shape[1], h = shape[2], w = shape[3];
  std::vector<int8_t> out(in.size());
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        int64_t nchw = (ch * h + y) * w + x, nhwc = (y * w + x) * c + ch;
        if (toNHWC)
          out[nhwc] = in[nchw];
        else
          out[nchw] = in[nhwc];
      }
  return out;
}

std::string shellEscape(StringRef s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs `argv` with stdout to `outPath` in directory `cwd`. With `progress`,
/// calls it about twice a second with what `outPath` holds so far.
int execute(ArrayRef<std::string> argv, StringRef cwd, StringRef outPath,
            std::string &error,
            function_ref<void(StringRef)> progress = nullptr) {
  // llvm::sys::ExecuteAndWait has no working directory: go through sh.
  std::string command = "cd " + shellEscape(cwd) + " && exec";
  for (const std::string &a : argv)
    command += " " + shellEscape(a);
  std::optional<StringRef> redirects[] = {std::nullopt, outPath, outPath};
  ErrorOr<std::string> sh = sys::findProgramByName("sh");
  if (!sh) {
    error = "no sh";
    return -1;
  }
  if (!progress)
    return sys::ExecuteAndWait(*sh, {*sh, "-c", command}, std::nullopt,
                               redirects, timeoutSeconds, 0, &error);
  bool failedToStart = false;
  sys::ProcessInfo child = sys::ExecuteNoWait(
      *sh, {*sh, "-c", command}, std::nullopt, redirects, 0, &error,
      &failedToStart);
  if (failedToStart)
    return -1;
  auto start = std::chrono::steady_clock::now();
  while (true) {
    sys::ProcessInfo done = sys::Wait(child, /*SecondsToWait=*/0, &error,
                                      nullptr, /*Polling=*/true);
    if (done.Pid == child.Pid)
      return done.ReturnCode;
    if (auto text = MemoryBuffer::getFile(outPath))
      progress((*text)->getBuffer());
    if (std::chrono::steady_clock::now() - start >
        std::chrono::seconds(timeoutSeconds))
      // Waiting with a limit kills the child when the limit passes.
      return sys::Wait(child, /*SecondsToWait=*/1, &error).ReturnCode;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

} // namespace

bool readInt8Batch(StringRef path, ArrayRef<int64_t> shape, double scale,
                   int64_t zeroPoint, std::vector<int8_t> &data,
                   int64_t &samples, bool &batched) {
  NpyArray npy;
  if (!readSampleBatch(path, shape, npy, samples, batched))
    return false;
  int64_t sampleSize = 1;
  for (int64_t d : shape)
    sampleSize *= d;
  if (npy.dtype == "|i1") {
    data.assign(npy.values.begin(), npy.values.end());
  } else if (npy.dtype == "<f4" || npy.dtype == "<f8") {
    data.clear();
    for (float x : npy.values)
      data.push_back(quantizeInput(x, scale, zeroPoint));
  } else {
    fail("'" + path + "' has dtype '" + npy.dtype +
         "'; give float32 (quantized with the model's input scale) or int8");
    return false;
  }
  if (int64_t(data.size()) != samples * sampleSize) {
    fail("'" + path + "' holds " + Twine(data.size()) + " values, not " +
         Twine(samples * sampleSize));
    return false;
  }
  return true;
}

int runBuild(mlir::MLIRContext &context, StringRef dir, bool host) {
  BuildInfo info;
  if (!readBuild(dir, info))
    return 1;
  if (inputFiles.size() != 1 || outputFiles.size() != 1) {
    fail("give one --input and one --output .npy");
    return 1;
  }
  std::vector<int8_t> inputs;
  int64_t samples = 0;
  bool batched = false;
  if (!readInt8Batch(inputFiles[0], info.input.shape, info.input.scale,
                     info.input.zeroPoint, inputs, samples, batched))
    return 1;
  int64_t inBytes = info.input.bytes(), outBytes = info.output.bytes();
  std::vector<int8_t> outputs(samples * outBytes);
  json::Object report{{"model", info.name},
                      {"inputs", samples},
                      {"flash_bytes", info.flashBytes},
                      {"arena_bytes", info.arenaBytes},
                      {"arena_lower_bound", info.lowerBound}};

  if (host) {
    SmallString<128> path(dir);
    sys::path::append(path, "model.mlir");
    mlir::OwningOpRef<mlir::ModuleOp> module = loadModel(path, context);
    if (!module)
      return 1;
    for (int64_t s = 0; s < samples; ++s) {
      HostArray in;
      in.shape.assign(info.input.shape.begin(), info.input.shape.end());
      in.data.assign(inputs.begin() + s * inBytes,
                     inputs.begin() + (s + 1) * inBytes);
      auto out = runReference(*module, {in});
      if (failed(out))
        return 1;
      for (int64_t i = 0; i < outBytes; ++i)
        outputs[s * outBytes + i] = int8_t((*out)[0].data[i]);
    }
    report["target"] = "host";
  } else {
    if (board != "m7" && board != "m4") {
      fail("--board must be m7 or m4, got '" + board + "'");
      return 1;
    }
    // The board the build was compiled for, unless told otherwise; another
    // runs (same instruction set) but its figures are not the target's.
    std::string buildBoard = info.cpu == "cortex-m4" ? "m4" : "m7";
    bool m7 = (board.getNumOccurrences() ? board.getValue() : buildBoard) == "m7";
    if (board.getNumOccurrences() && board != buildBoard)
      errs() << "tinyformer: warning: the build is for " << info.cpu
             << "; running it on the " << (m7 ? "Cortex-M7" : "Cortex-M4")
             << " board as asked (--board " << board
             << "): its kernels were chosen for the other CPU\n";
    // One line for a missing or damaged object, not the linker's output.
    SmallString<128> object(dir);
    sys::path::append(object, "model.o");
    auto objectBuffer = MemoryBuffer::getFile(object);
    if (!objectBuffer) {
      fail("'" + object + "' is missing: compile the model again");
      return 1;
    }
    StringRef bytes = (*objectBuffer)->getBuffer();
    // ELF, 32-bit, little-endian, EM_ARM (40).
    if (bytes.size() < 20 || !bytes.starts_with("\x7f" "ELF") || bytes[4] != 1 ||
        bytes[5] != 1 || uint8_t(bytes[18]) != 40) {
      fail("'" + object + "' is not an ARM object file: compile the model again");
      return 1;
    }
    std::string runtime = TINYFORMER_RUNTIME_DIR;
    if (const char *env = std::getenv("TINYFORMER_RUNTIME_DIR"))
      runtime = env;
    SmallString<128> harness(runtime);
    sys::path::append(harness, "harness");
    std::string cc = "arm-none-eabi-gcc", qemu = "qemu-system-arm";
    if (const char *env = std::getenv("ARM_CC"))
      cc = env;
    if (const char *env = std::getenv("QEMU"))
      qemu = env;
    SmallString<128> work;
    if (std::error_code ec = sys::fs::createUniqueDirectory("tinyformer-run", work)) {
      fail("cannot create a work directory: " + ec.message());
      return 1;
    }
    auto cleanup = make_scope_exit([&] { sys::fs::remove_directories(work); });
    auto at = [&](StringRef file) {
      SmallString<128> p(work);
      sys::path::append(p, file);
      return std::string(p);
    };
    auto inDir = [&](StringRef base, StringRef file) {
      SmallString<128> p(base);
      sys::path::append(p, file);
      SmallString<128> abs(p);
      sys::fs::make_absolute(abs);
      return std::string(abs);
    };
    {
      std::error_code ec;
      raw_fd_ostream os(at("input.bin"), ec, sys::fs::OF_None);
      if (ec) {
        fail("cannot write the emulator input: " + ec.message());
        return 1;
      }
      for (int64_t s = 0; s < samples; ++s) {
        ArrayRef<int8_t> sample(inputs.data() + s * inBytes, inBytes);
        std::vector<int8_t> stored =
            info.input.nhwc ? relayout(sample, info.input.shape, true)
                            : std::vector<int8_t>(sample.begin(), sample.end());
        os.write(reinterpret_cast<const char *>(stored.data()), stored.size());
      }
    }
    std::vector<std::string> flags = {
        m7 ? "-mcpu=cortex-m7" : "-mcpu=cortex-m4",
        m7 ? "-mfpu=fpv5-d16" : "-mfpu=fpv4-sp-d16", "-mthumb",
        "-mfloat-abi=hard", "-O2"};
    std::string log = at("build.log");
    auto run = [&](std::vector<std::string> argv, StringRef what) {
      std::string error;
      int rc = execute(argv, work, log, error);
      if (rc != 0) {
        auto text = MemoryBuffer::getFile(log);
        fail(what + " failed" + (error.empty() ? "" : " (" + error + ")") +
             (text ? ":\n" + (*text)->getBuffer() : ""));
        return false;
      }
      return true;
    };
    auto runQuiet = [&](std::vector<std::string> argv) {
      std::string error;
      return execute(argv, work, log, error) == 0;
    };
    std::string prefix = "tf_" + info.name;
    std::vector<std::string> compileRunner = {cc};
    compileRunner.insert(compileRunner.end(), flags.begin(), flags.end());
    for (std::string d :
         {"-DTF_INVOKE=" + prefix + "_invoke", "-DTF_RUN_LAYER=" + prefix + "_run_layer",
          "-DTF_NUM_LAYERS=" + std::to_string(info.numLayers),
          "-DTF_ARENA_BYTES=" + std::to_string(std::max<int64_t>(info.arenaBytes, 8)),
          "-DTF_INPUT_BYTES=" + std::to_string(inBytes),
          "-DTF_OUTPUT_BYTES=" + std::to_string(outBytes)})
      compileRunner.push_back(d);
    for (std::string a : {std::string("-I") + std::string(harness), std::string("-include"),
                          inDir(dir, "model.h"), std::string("-c"),
                          inDir(harness, "run_model.c"), std::string("-o"),
                          at("run_model.o")})
      compileRunner.push_back(a);
    if (!run(compileRunner, "compiling the emulator harness"))
      return 1;
    std::vector<std::string> link = {cc};
    link.insert(link.end(), flags.begin(), flags.end());
    for (std::string a :
         {std::string("--specs=rdimon.specs"), std::string("-nostartfiles"),
          "-T" + inDir(harness, "mps2.ld"), std::string("-Wl,--gc-sections"),
          std::string("-Wl,--no-warn-execstack"),
          std::string("-Wl,--no-warn-rwx-segments"), std::string("-o"),
          at("app.elf"), inDir(harness, "startup.c"), inDir(harness, "tf_count.s"),
          inDir(harness, "tf_count.c"), at("run_model.o"), inDir(dir, "model.o")})
      link.push_back(a);
    if (!runQuiet(link)) {
      // The harness links with any model this tool compiled: a failure is
      // the object's (truncated, or from another build).
      auto text = MemoryBuffer::getFile(log);
      StringRef first;
      if (text)
        for (StringRef line : llvm::split((*text)->getBuffer(), '\n'))
          if (line.contains("error") || line.contains("undefined reference")) {
            first = line.trim();
            break;
          }
      fail("'" + object + "' does not link into the emulator program" +
           (first.empty() ? "" : " (" + first.str() + ")") +
           ": compile the model again");
      return 1;
    }
    std::string qemuOut = at("qemu.out");
    std::string error;
    // Progress on a terminal: an inference takes the emulator up to
    // seconds.
    bool showProgress = sys::Process::StandardErrIsDisplayed() && samples >= 20;
    auto progress = [&](StringRef soFar) {
      errs() << formatv("\r  emulator: {0} / {1} inferences",
                        soFar.count("TF invoke"), samples);
    };
    int rc = execute({qemu, "-M", m7 ? "mps2-an500" : "mps2-an386", "-cpu",
                      m7 ? "cortex-m7" : "cortex-m4", "-nographic", "-monitor",
                      "none", "-serial", "none", "-semihosting-config",
                      "enable=on,target=native", "-icount",
                      "shift=0,align=off,sleep=off", "-kernel", at("app.elf")},
                     work, qemuOut, error,
                     showProgress ? function_ref<void(StringRef)>(progress)
                                  : nullptr);
    if (showProgress)
      errs() << "\r" << std::string(40, ' ') << "\r";
    auto text = MemoryBuffer::getFile(qemuOut);
    StringRef out = text ? (*text)->getBuffer() : StringRef();
    if (rc != 0) {
      fail("the emulator run failed (status " + Twine(rc) + (error.empty() ? "" : ", " + error) +
           "):\n" + out);
      return 1;
    }
    // Parse the runner's records.
    std::vector<int64_t> invokeInstr, layerInstr(info.numLayers, 0);
    int64_t stack = 0;
    SmallVector<StringRef> lines;
    out.split(lines, '\n');
    for (StringRef line : lines) {
      SmallVector<StringRef> f;
      line.trim().split(f, ' ');
      if (f.size() >= 6 && f[0] == "TF" && f[1] == "invoke") {
        invokeInstr.push_back(std::stoll(f[4].str()));
        stack = std::max<int64_t>(stack, std::stoll(f[6 < f.size() ? 6 : 5].str()));
      } else if (f.size() >= 5 && f[0] == "TF" && f[1] == "layer") {
        int64_t i = std::stoll(f[2].str());
        if (i >= 0 && i < info.numLayers)
          layerInstr[i] = std::stoll(f[4].str());
      }
    }
    if (int64_t(invokeInstr.size()) != samples) {
      fail("the emulator reported " + Twine(invokeInstr.size()) + " of " +
           Twine(samples) + " inferences:\n" + out);
      return 1;
    }
    auto outBin = MemoryBuffer::getFile(at("output.bin"), /*IsText=*/false);
    if (!outBin || int64_t((*outBin)->getBufferSize()) != samples * outBytes) {
      fail("the emulator wrote no complete output.bin");
      return 1;
    }
    const int8_t *raw = reinterpret_cast<const int8_t *>((*outBin)->getBufferStart());
    for (int64_t s = 0; s < samples; ++s) {
      ArrayRef<int8_t> sample(raw + s * outBytes, outBytes);
      std::vector<int8_t> logical =
          info.output.nhwc ? relayout(sample, info.output.shape, false)
                           : std::vector<int8_t>(sample.begin(), sample.end());
      std::copy(logical.begin(), logical.end(), outputs.begin() + s * outBytes);
    }
    json::Array layers;
    for (int64_t i = 0; i < info.numLayers; ++i) {
      json::Object l;
      if (i < int64_t(info.layers.size()))
        if (const json::Object *from = info.layers[i].getAsObject())
          for (StringRef key : {"name", "op", "kernel", "weight_storage", "weight_format", "macs",
                                "estimated_instructions"})
            if (const json::Value *v = from->get(key))
              l[key] = *v;
      l["instructions"] = layerInstr[i];
      layers.push_back(std::move(l));
    }
    int64_t total = invokeInstr.front();
    double mean = 0;
    for (int64_t n : invokeInstr)
      mean += double(n) / double(samples);
    report["target"] = std::string(m7 ? "mps2-an500 (Cortex-M7)" : "mps2-an386 (Cortex-M4)");
    report["instructions"] = total;
    report["instructions_mean"] = mean;
    report["instructions_per_input"] = json::Array(invokeInstr);
    report["stack_bytes"] = stack;
    report["sram_bytes"] = info.arenaBytes + stack;
    report["layers"] = std::move(layers);
    const char *where = m7 ? "Cortex-M7 (mps2-an500)" : "Cortex-M4 (mps2-an386)";
    outs() << format("%s on %s: %lld instructions per inference (input 0",
                     info.name.c_str(), where, (long long)total);
    if (samples > 1)
      outs() << format("; mean of %lld: %.1f", (long long)samples, mean);
    outs() << format("), flash %lld bytes, SRAM %lld bytes (arena %lld + stack %lld)\n",
                     (long long)info.flashBytes,
                     (long long)(info.arenaBytes + stack), (long long)info.arenaBytes,
                     (long long)stack);
  }

  std::string error;
  SmallVector<int64_t> outShape(info.output.shape.begin(), info.output.shape.end());
  if (batched) {
    // The samples replace an output dim 0 of 1 (the model's batch); any
    // other output ([B*P, N, C] patches, seq-first [S, 1, E]) keeps all its
    // dims after the sample dim.
    if (!outShape.empty() && outShape.front() == 1)
      outShape.erase(outShape.begin());
    outShape.insert(outShape.begin(), samples);
  }
  bool ok;
  if (dequantizeOutput) {
    std::vector<float> f;
    for (int8_t q : outputs)
      f.push_back(float(info.output.scale * (double(q) - double(info.output.zeroPoint))));
    ok = writeNpy(outputFiles[0], outShape, f, error);
  } else {
    ok = writeNpyInt8(outputFiles[0], outShape, outputs, error);
  }
  if (!ok) {
    fail(error);
    return 1;
  }
  // --plots without --report: the report goes to a temporary file.
  std::string reportPath = reportFile;
  SmallString<128> temporary;
  auto removeTemporary = make_scope_exit([&] {
    if (!temporary.empty())
      sys::fs::remove(temporary);
  });
  if (reportPath.empty() && !plotsDir.empty()) {
    if (std::error_code ec = sys::fs::createTemporaryFile("tinyformer-run", "json",
                                                          temporary)) {
      fail("cannot create a temporary file: " + ec.message());
      return 1;
    }
    reportPath = std::string(temporary);
  }
  if (!reportPath.empty()) {
    std::error_code ec;
    raw_fd_ostream os(reportPath, ec, sys::fs::OF_None);
    if (ec) {
      fail("cannot write '" + reportPath + "': " + ec.message());
      return 1;
    }
    os << formatv("{0:2}", json::Value(std::move(report))) << "\n";
  }
  if (!plotsDir.empty()) {
    SmallString<128> compileReport(dir);
    sys::path::append(compileReport, "compile_report.json");
    // The host reference counts nothing: only the estimates to draw.
    if (!writePlots(compileReport, host ? "" : reportPath, plotsDir))
      return 1;
  }
  return 0;
}

} // namespace tinyformer::cli
