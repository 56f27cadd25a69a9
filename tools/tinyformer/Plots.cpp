//===- Plots.cpp - `--plots DIR`: pictures of a build ---------------------===//
//
// compile and run draw their figures with python/tinyformer/plots.py
// (matplotlib): the arena's memory map and the per-layer instruction
// profile, estimated or measured. The interpreter is $PYTHON (default
// /usr/bin/python3, which has Debian's matplotlib).
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace llvm;

namespace tinyformer::cli {

bool writePlots(StringRef compileReport, StringRef runReport, StringRef dir) {
  std::string python = "/usr/bin/python3", scripts = TINYFORMER_PYTHON_DIR;
  if (const char *env = std::getenv("PYTHON"))
    python = env;
  if (const char *env = std::getenv("TINYFORMER_PYTHON_DIR"))
    scripts = env;
  SmallString<128> script(scripts);
  sys::path::append(script, "tinyformer", "plots.py");
  SmallVector<StringRef> argv = {python, script, "--compile-report",
                                 compileReport, "--out", dir};
  if (!runReport.empty()) {
    argv.push_back("--run-report");
    argv.push_back(runReport);
  }
  std::string error;
  outs().flush();
  int rc = sys::ExecuteAndWait(python, argv, std::nullopt, {}, 0, 0, &error);
  if (rc != 0) {
    errs() << "tinyformer: error: --plots: '" << python << " " << script
           << "' failed" << (error.empty() ? "" : " (" + error + ")")
           << "; it needs matplotlib (Debian: python3-matplotlib; set "
              "PYTHON to another interpreter)\n";
    return false;
  }
  return true;
}

} // namespace tinyformer::cli
