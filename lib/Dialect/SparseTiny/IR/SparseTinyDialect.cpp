//===- SparseTinyDialect.cpp - dialect and attributes ---------------------===//
#include "tinyformer/Dialect/SparseTiny/IR/SparseTiny.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::sparse_tiny;

#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyOpsDialect.cpp.inc"
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyAttrs.cpp.inc"

void SparseTinyDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tinyformer/Dialect/SparseTiny/IR/SparseTinyAttrs.cpp.inc"
      >();
}

Operation *SparseTinyDialect::materializeConstant(OpBuilder &builder,
                                                  Attribute value, Type type,
                                                  Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || !isa<RankedTensorType>(type))
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements,
                                    /*encoding=*/WeightEncodingAttr());
}

LogicalResult
WeightEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           SparsityPattern pattern, ArrayRef<int64_t> blockShape,
                           int64_t nnz, int64_t emptyRows, int64_t emptyCols) {
  bool shaped = pattern == SparsityPattern::block || pattern == SparsityPattern::n_m;
  // E1: a shape belongs to block and n_m and only to them.
  if (shaped != !blockShape.empty())
    return emitError() << "E1: a shape is required for block and n_m "
                          "and allowed for no other pattern";
  // E2: two strictly positive dims; N < M.
  if (!blockShape.empty() &&
      (blockShape.size() != 2 || blockShape[0] <= 0 || blockShape[1] <= 0))
    return emitError() << "E2: the shape must have two positive entries";
  if (pattern == SparsityPattern::n_m && blockShape[0] >= blockShape[1])
    return emitError() << "E2: n_m needs N < M, got " << blockShape[0] << ":"
                       << blockShape[1];
  // E3: counts (nnz = -1: not counted).
  if (nnz < -1 || emptyRows < 0 || emptyCols < 0)
    return emitError() << "E3: counts must not be negative";
  return success();
}

/// Parses `, key = int` pairs until `>`; `keyword` handles every key.
static ParseResult
parseKeyedInts(AsmParser &parser,
               function_ref<ParseResult(StringRef key)> parseValue) {
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual() || parseValue(key))
      return failure();
  }
  return parser.parseGreater();
}

Attribute WeightEncodingAttr::parse(AsmParser &parser, Type) {
  std::string patternName;
  SmallVector<int64_t> shape;
  int64_t nnz = -1, emptyRows = 0, emptyCols = 0;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeywordOrString(&patternName))
    return {};
  std::optional<SparsityPattern> pattern = symbolizeSparsityPattern(patternName);
  if (!pattern) {
    parser.emitError(loc) << "unknown sparsity pattern '" << patternName << "'";
    return {};
  }
  // An optional [a, b] shape right after the pattern.
  if (succeeded(parser.parseOptionalComma())) {
    if (succeeded(parser.parseOptionalLSquare())) {
      if (parser.parseCommaSeparatedList([&]() {
            return parser.parseInteger(shape.emplace_back());
          }) ||
          parser.parseRSquare())
        return {};
    } else {
      StringRef key;
      if (parser.parseKeyword(&key) || parser.parseEqual())
        return {};
      int64_t *slot = key == "nnz"          ? &nnz
                      : key == "empty_rows" ? &emptyRows
                      : key == "empty_cols" ? &emptyCols
                                            : nullptr;
      if (!slot || parser.parseInteger(*slot)) {
        parser.emitError(loc) << "expected nnz, empty_rows or empty_cols";
        return {};
      }
    }
  }
  if (parseKeyedInts(parser, [&](StringRef key) -> ParseResult {
        int64_t *slot = key == "nnz"          ? &nnz
                        : key == "empty_rows" ? &emptyRows
                        : key == "empty_cols" ? &emptyCols
                                              : nullptr;
        if (!slot)
          return parser.emitError(parser.getCurrentLocation())
                 << "unknown key '" << key << "'";
        return parser.parseInteger(*slot);
      }))
    return {};
  return getChecked([&] { return parser.emitError(loc); },
                    parser.getContext(), *pattern, shape, nnz, emptyRows,
                    emptyCols);
}

void WeightEncodingAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifySparsityPattern(getPattern());
  if (!getBlockShape().empty()) {
    printer << ", [";
    llvm::interleaveComma(getBlockShape(), printer);
    printer << "]";
  }
  if (getNnz() >= 0)
    printer << ", nnz = " << getNnz();
  if (getEmptyRows())
    printer << ", empty_rows = " << getEmptyRows();
  if (getEmptyCols())
    printer << ", empty_cols = " << getEmptyCols();
  printer << ">";
}

Attribute KernelAttr::parse(AsmParser &parser, Type) {
  std::string kindName;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeywordOrString(&kindName))
    return {};
  std::optional<KernelKind> kind = symbolizeKernelKind(kindName);
  if (!kind) {
    parser.emitError(loc) << "unknown kernel '" << kindName << "'";
    return {};
  }
  WeightStorage storage = WeightStorage::int8;
  int64_t est = 0, flash = 0;
  if (parseKeyedInts(parser, [&](StringRef key) -> ParseResult {
        if (key == "storage") {
          std::string name;
          SMLoc at = parser.getCurrentLocation();
          if (parser.parseKeywordOrString(&name))
            return failure();
          std::optional<WeightStorage> s = symbolizeWeightStorage(name);
          if (!s)
            return parser.emitError(at) << "unknown weight storage '" << name
                                        << "' (int8 or int16)";
          storage = *s;
          return success();
        }
        if (key == "est")
          return parser.parseInteger(est);
        if (key == "flash")
          return parser.parseInteger(flash);
        return parser.emitError(parser.getCurrentLocation())
               << "unknown key '" << key << "' (storage, est or flash)";
      }))
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(),
                    *kind, storage, est, flash);
}

void KernelAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyKernelKind(getKind());
  if (getStorage() != WeightStorage::int8)
    printer << ", storage = " << stringifyWeightStorage(getStorage());
  if (getEstInstructions())
    printer << ", est = " << getEstInstructions();
  if (getFlashBytes())
    printer << ", flash = " << getFlashBytes();
  printer << ">";
}

bool KernelAttr::hasWeights(KernelKind kind) {
  switch (kind) {
  case KernelKind::conv2d:
  case KernelKind::depthwise_conv2d:
  case KernelKind::fully_connected:
  case KernelKind::mhsa:
  case KernelKind::sparse_code:
  case KernelKind::sparse_csr:
  case KernelKind::sparse_rle:
  case KernelKind::sparse_mhsa:
  case KernelKind::sparse_mhsa_csr:
    return true;
  default:
    return false;
  }
}

StringRef KernelAttr::sparseFormat(KernelKind kind) {
  switch (kind) {
  case KernelKind::sparse_code:
  case KernelKind::sparse_mhsa:
    return "code";
  case KernelKind::sparse_csr:
  case KernelKind::sparse_mhsa_csr:
    return "csr";
  case KernelKind::sparse_rle:
    return "rle";
  default:
    return "";
  }
}

LogicalResult KernelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 KernelKind kind, WeightStorage storage,
                                 int64_t estInstructions, int64_t flashBytes) {
  // K1: a weight storage other than the default needs weights.
  if (storage != WeightStorage::int8 && !hasWeights(kind))
    return emitError() << "K1: kernel " << stringifyKernelKind(kind)
                       << " has no weights to store as "
                       << stringifyWeightStorage(storage);
  // K2: estimates.
  if (estInstructions < 0 || flashBytes < 0)
    return emitError() << "K2: estimates must not be negative";
  return success();
}
