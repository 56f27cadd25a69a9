//===- TinyFormerPlugin.cpp - the dialect and passes for stock mlir-opt ---===//
//
//   mlir-opt-19 --load-dialect-plugin=lib/TinyFormerPlugin.so \
//               --load-pass-plugin=lib/TinyFormerPlugin.so \
//               model.mlir --sparse-tiny-pipeline="calibration=x.npy"
//
// One shared object for both: the sparse_tiny dialect, every TinyFormer pass
// and the named pipeline. It carries no copy of MLIR: the symbols come from
// the mlir-opt that loads it (which exports them), so types and TypeIDs are
// that tool's own.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Transforms/Passes.h"
#include "tinyformer/Transforms/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "SparseTiny", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            registry->insert<mlir::sparse_tiny::SparseTinyDialect,
                             mlir::func::FuncDialect,
                             mlir::quant::QuantizationDialect,
                             mlir::LLVM::LLVMDialect>();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "TinyFormerPasses", LLVM_VERSION_STRING, []() {
            tinyformer::registerTinyFormerPasses();
            tinyformer::registerTinyFormerPipelines();
          }};
}
