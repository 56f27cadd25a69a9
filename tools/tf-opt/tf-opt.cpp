//===- tf-opt.cpp - runs TinyFormer pass pipelines ------------------------===//
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"
#include "tinyformer/Transforms/Passes.h"
#include "tinyformer/Transforms/Pipeline.h"

int main(int argc, char **argv) {
  // Upstream passes a TinyFormer flow uses: canonicalization (which runs the
  // sparse_tiny fusion patterns), CSE, DCE of symbols.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  // The TinyFormer pipeline: fuse, quantize, select, plan, lower.
  tinyformer::registerTinyFormerPasses();
  tinyformer::registerTinyFormerPipelines();

  mlir::DialectRegistry registry;
  registry.insert<mlir::sparse_tiny::SparseTinyDialect,
                  mlir::func::FuncDialect, mlir::quant::QuantizationDialect,
                  mlir::LLVM::LLVMDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "TinyFormer optimizer driver\n", registry));
}
