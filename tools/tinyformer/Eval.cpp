//===- Eval.cpp - `tinyformer eval`: accuracy of a build on a dataset -----===//
//
//   tinyformer eval BUILD_DIR --data images.npy --labels labels.npy
//                   [--model model.onnx] [--board m7|m4 [--board-samples N]]
//                   [--json]
//
// Top-1 accuracy of the float model and of the build's INT8 model (host
// reference, bit-exact with the device) on a labelled batch, how often
// they agree, and which classes the disagreements go between. With
// --board, the first N samples also run on the emulator (through
// `tinyformer run`), whose outputs must equal the host's.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"

#include <map>

using namespace llvm;

namespace tinyformer::cli {
namespace {

cl::opt<std::string> evalDir(cl::Positional, cl::Required,
                             cl::desc("<build_dir>"), cl::sub(evalCmd));
cl::opt<std::string> dataFile("data", cl::Required,
                              cl::desc("Float inputs (.npy), a batch [N, ...]"),
                              cl::sub(evalCmd));
cl::opt<std::string> labelFile("labels", cl::Required,
                               cl::desc("Labels (.npy), N integers"),
                               cl::sub(evalCmd));
cl::opt<std::string> evalModel(
    "model",
    cl::desc("The float ONNX model (default: the one the build was "
             "compiled from, as compile_report.json records it)"),
    cl::sub(evalCmd));
cl::opt<std::string> evalBoard("board",
                               cl::desc("Also run samples on the emulator: m7 "
                                        "| m4"),
                               cl::sub(evalCmd));
cl::opt<int64_t> boardSamples("board-samples",
                              cl::desc("How many samples --board runs "
                                       "(default 100)"),
                              cl::init(100), cl::sub(evalCmd));
cl::opt<bool> evalJson("json", cl::desc("Print the result as JSON"),
                       cl::sub(evalCmd));

void fail(const Twine &message) {
  errs() << "tinyformer: error: " << message << "\n";
}

int64_t argmax(ArrayRef<float> v) {
  return std::max_element(v.begin(), v.end()) - v.begin();
}

/// The float model the build recorded (compile_report.json "model_path").
std::string recordedModel(StringRef dir) {
  SmallString<128> path(dir);
  sys::path::append(path, "compile_report.json");
  auto text = MemoryBuffer::getFile(path);
  if (!text)
    return "";
  Expected<json::Value> v = json::parse((*text)->getBuffer());
  if (!v) {
    consumeError(v.takeError());
    return "";
  }
  const json::Object *o = v->getAsObject();
  std::optional<StringRef> p = o ? o->getString("model_path") : std::nullopt;
  return p ? p->str() : "";
}

/// The INT8 outputs of the first `n` samples on the emulator, by running
/// this tool's `run` on them; empty on failure (after an error line).
std::vector<float> runOnBoard(StringRef dir, const NpyArray &batch,
                              ArrayRef<int64_t> inputShape, int64_t n,
                              int64_t outSize) {
  SmallString<128> work;
  if (std::error_code ec = sys::fs::createUniqueDirectory("tinyformer-eval", work)) {
    fail("cannot create a work directory: " + ec.message());
    return {};
  }
  auto cleanup = make_scope_exit([&] { sys::fs::remove_directories(work); });
  SmallString<128> in(work), out(work);
  sys::path::append(in, "x.npy");
  sys::path::append(out, "y.npy");
  int64_t size = 1;
  for (int64_t d : inputShape)
    size *= d;
  SmallVector<int64_t> shape = {n};
  shape.append(inputShape.begin(), inputShape.end());
  std::string error;
  if (!writeNpy(in, shape, ArrayRef<float>(batch.values).take_front(n * size),
                error)) {
    fail(error);
    return {};
  }
  std::string self = sys::fs::getMainExecutable(nullptr, (void *)&argmax);
  SmallVector<StringRef> argv = {self, "run", dir, "--input", in, "--output",
                                 out, "--board", evalBoard};
  // Its summary line is not eval's output; its errors are.
  SmallString<128> log(work);
  sys::path::append(log, "run.out");
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          std::nullopt};
  int rc = sys::ExecuteAndWait(self, argv, std::nullopt, redirects, 0, 0, &error);
  if (rc != 0) {
    fail("the emulator run failed" + (error.empty() ? "" : ": " + error));
    return {};
  }
  NpyArray y;
  if (!readNpy(out, y, error) || int64_t(y.values.size()) != n * outSize) {
    fail(error.empty() ? "the emulator run wrote no complete output" : error);
    return {};
  }
  return std::move(y.values);
}

} // namespace

int eval(mlir::MLIRContext &context) {
  if (evalBoard.getNumOccurrences() && evalBoard != "m7" && evalBoard != "m4") {
    fail("--board must be m7 or m4, got '" + evalBoard + "'");
    return 1;
  }
  std::string floatPath = evalModel.getNumOccurrences() ? evalModel.getValue()
                                                         : recordedModel(evalDir);
  if (floatPath.empty() && sys::fs::is_directory(evalDir)) {
    fail("'" + evalDir + "/compile_report.json' names no float model: give "
         "--model model.onnx");
    return 1;
  }
  FailureOr<BuildModels> models = loadBuildModels(context, evalDir, floatPath);
  if (failed(models))
    return 1;
  NpyArray batch, labels;
  int64_t samples = 0;
  if (!readFloatBatch(dataFile, models->inputShape, batch, samples))
    return 1;
  std::string error;
  if (!readNpy(labelFile, labels, error)) {
    fail(error);
    return 1;
  }
  if (int64_t(labels.values.size()) != samples || labels.shape.size() != 1) {
    fail("'" + labelFile + "' has shape " + shapeStr(labels.shape) + "; give " +
         Twine(samples) + " labels, one per sample of '" + dataFile + "'");
    return 1;
  }
  if (labels.dtype.find('f') != std::string::npos) {
    fail("'" + labelFile + "' has dtype '" + labels.dtype +
         "': give integer labels");
    return 1;
  }

  int64_t floatRight = 0, int8Right = 0, agree = 0, outSize = 0;
  std::map<std::pair<int64_t, int64_t>, int64_t> disagreements;
  std::vector<float> hostOutputs;
  // Progress on a terminal: the float reference takes milliseconds a sample.
  bool progress = sys::Process::StandardErrIsDisplayed() && samples >= 200;
  for (int64_t s = 0; s < samples; ++s) {
    if (progress && s % 100 == 0)
      errs() << formatv("\r  eval: {0} / {1} samples", s, samples);
    auto [fin, qin] = sampleInputs(*models, batch, s);
    auto fy = runReference(*models->fp, {fin});
    auto qy = runReference(*models->int8, {qin});
    if (failed(fy) || failed(qy))
      return 1;
    ArrayRef<float> f = (*fy)[0].data, q = (*qy)[0].data;
    outSize = int64_t(q.size());
    if (s < boardSamples)
      hostOutputs.insert(hostOutputs.end(), q.begin(), q.end());
    int64_t label = int64_t(labels.values[s]);
    int64_t fc = argmax(f), qc = argmax(q);
    floatRight += fc == label;
    int8Right += qc == label;
    agree += fc == qc;
    if (fc != qc)
      ++disagreements[{fc, qc}];
  }

  if (progress)
    errs() << "\r" << std::string(40, ' ') << "\r";

  // The emulator on a sample of the batch: the same outputs as the host.
  int64_t boardRun = 0, boardMismatch = 0;
  if (evalBoard.getNumOccurrences()) {
    boardRun = std::min(samples, int64_t(boardSamples));
    std::vector<float> y =
        runOnBoard(evalDir, batch, models->inputShape, boardRun, outSize);
    if (y.empty())
      return 1;
    for (int64_t s = 0; s < boardRun; ++s)
      boardMismatch += !std::equal(y.begin() + s * outSize,
                                   y.begin() + (s + 1) * outSize,
                                   hostOutputs.begin() + s * outSize);
  }

  std::vector<std::pair<int64_t, std::pair<int64_t, int64_t>>> ranked;
  for (auto [classes, count] : disagreements)
    ranked.push_back({count, classes});
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](auto &a, auto &b) { return a.first > b.first; });
  auto pct = [&](int64_t n) { return 100.0 * double(n) / double(samples); };
  if (evalJson) {
    json::Array rows;
    for (auto [count, classes] : ranked)
      rows.push_back(json::Object{{"float", classes.first},
                                  {"int8", classes.second},
                                  {"count", count}});
    json::Object report{{"build", evalDir.getValue()},
                        {"model", sys::path::filename(floatPath).str()},
                        {"samples", samples},
                        {"float_accuracy", pct(floatRight) / 100},
                        {"int8_accuracy", pct(int8Right) / 100},
                        {"top1_agreement", pct(agree) / 100},
                        {"disagreements", std::move(rows)}};
    if (boardRun) {
      report["board"] = evalBoard.getValue();
      report["board_samples"] = boardRun;
      report["board_mismatches"] = boardMismatch;
    }
    outs() << formatv("{0:2}", json::Value(std::move(report))) << "\n";
  } else {
    outs() << formatv("{0} samples of '{1}'\n", samples, dataFile.getValue())
           << format("  float accuracy   %6.2f%% (%lld)\n", pct(floatRight),
                     (long long)floatRight)
           << format("  INT8 accuracy    %6.2f%% (%lld), host reference\n",
                     pct(int8Right), (long long)int8Right)
           << format("  top-1 agreement  %6.2f%% (%lld disagree)\n", pct(agree),
                     (long long)(samples - agree));
    if (!ranked.empty()) {
      outs() << "  disagreements (float class -> INT8 class: count):";
      for (auto [i, r] : llvm::enumerate(ranked)) {
        if (i == 10) {
          outs() << " ...";
          break;
        }
        outs() << formatv(" {0}->{1}: {2}", r.second.first, r.second.second,
                          r.first);
      }
      outs() << "\n";
    }
    if (boardRun)
      outs() << formatv("  emulator ({0}): {1} samples, {2}\n", evalBoard.getValue(),
                        boardRun,
                        boardMismatch ? formatv("{0} differ from the host", boardMismatch).str()
                                      : std::string("bit-exact with the host"));
  }
  if (boardMismatch) {
    fail(Twine(boardMismatch) + " of " + Twine(boardRun) +
         " emulator outputs differ from the host reference");
    return 1;
  }
  return 0;
}

} // namespace tinyformer::cli
