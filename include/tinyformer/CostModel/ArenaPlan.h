//===- ArenaPlan.h - one static arena for a schedule of ops -----*- C++ -*-===//
//
// The memory planner on plain data: the ops that run, in order, with the
// activation values they read and define, how each may place its output
// and its scratch. sparse-tiny-plan-memory builds this from the IR; the
// cost library (tinyformer/CostApi.h) builds it from a layer list, so both
// report the planner's own arena. No MLIR or LLVM types here.
//
//===----------------------------------------------------------------------===//
#ifndef TINYFORMER_COSTMODEL_ARENAPLAN_H
#define TINYFORMER_COSTMODEL_ARENAPLAN_H

#include "tinyformer/CostModel/AttentionShape.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tinyformer {

/// How an op may place its output.
enum class OutputPlacement {
  fresh,            ///< a buffer of its own
  alias,            ///< the same bytes as operand 0 (reshapes)
  inPlace,          ///< over an operand of its size that dies here
  overwritesTokens, ///< over its dying token input (MCUFormer)
  overwritesRows,   ///< over the rows of its dying map input (a conv)
};

/// overwritesRows: a convolution whose kernel writes output pixel q (raster
/// order) only after it has read the inputs of every pixel before q, and
/// never reads input rows above the first one pixel q needs: its output may
/// start below its input and overwrite the rows that no later pixel reads
/// (MCUFormer's patch embedding computed patch row by patch row).
struct ConvRows {
  int64_t pixels = 0, outW = 1; ///< output pixels, per output row
  int64_t pixelBytes = 0;       ///< output bytes per pixel
  int64_t inRowBytes = 0;       ///< input bytes per row (W * C)
  int64_t stride = 1, padTop = 0;
};

/// Where such an output may start, relative to its input's first byte
/// (<= 0): the lowest start that keeps every write below the input rows
/// still to be read.
int64_t rowsOverwriteOffset(const ConvRows &rows);

/// One op that runs. Values are numbered: the function's arguments first
/// (0 .. inputs - 1), then each op's result in program order.
struct PlanOp {
  std::vector<int> operands; ///< activation values read (no constants)
  int64_t resultBytes = 0;
  OutputPlacement placement = OutputPlacement::fresh;
  /// overwritesTokens: tokens T, inputs K and outputs N of the layer.
  int64_t tokens = 0, k = 0, n = 0;
  ConvRows rows; ///< overwritesRows: the conv's geometry
  int64_t scratchBytes = 0;
};

struct PlanGraph {
  std::vector<int64_t> inputBytes; ///< the function's arguments
  std::vector<PlanOp> ops;         ///< program order; op i defines value
                                   ///< inputBytes.size() + i
  std::vector<int> results;        ///< the values returned
  int valueOf(size_t op) const { return int(inputBytes.size() + op); }
};

struct ArenaBuffer {
  /// Extent relative to the buffer's origin: values sit at [delta, delta +
  /// bytes) with low <= delta; token overwriting may grow it downwards.
  int64_t low = 0, high = 0, first = 0, last = 0, offset = -1;
  enum Kind { Arena, Input, Output } kind = Arena;
  int scratchOf = -1; ///< the op whose scratch this is, or -1
  /// Row overwriting: this buffer's first value (a conv's output) may
  /// overlap `overlaps` (the buffer of the conv's dying input) if it starts
  /// at most `overlapOffset` bytes past that input's first byte.
  int overlaps = -1;
  int64_t overlapOffset = 0;
  int64_t size() const { return high - low; }
};

struct ValueLocation {
  size_t buffer = 0;
  int64_t delta = 0;
};

struct ArenaPlan {
  std::vector<ArenaBuffer> buffers;
  std::vector<ValueLocation> where; ///< per value
  int64_t arena = 0, lowerBound = 0;
};

/// Lifetimes and sharing, then greedy placement, largest first. False with
/// `error` set when the graph cannot be planned (e.g. it returns its input).
bool planArena(const PlanGraph &graph, ArenaPlan &plan, std::string &error);

/// An mhsa op of the graph and its tile (the tile's fields of `shape`).
struct AttentionTile {
  size_t op = 0;
  AttentionShape shape;
};

/// Attention tiles: all heads and rows first, then the largest scratch
/// shrinks (rows first, then heads) until the arena fits `sramBudget`
/// (<= 0: the arena of the smallest tiles, memory the model needs anyway).
/// `scratchOf(tile)` is the op's scratch at its tile. Sets the graph's
/// scratch of those ops and the tiles chosen; `untiledArena` (if not null)
/// gets the arena with every head's Q, K, V and maps at once.
bool planArenaWithTiles(PlanGraph &graph, std::vector<AttentionTile> &tiles,
                        int64_t sramBudget,
                        const std::function<int64_t(const AttentionTile &)> &scratchOf,
                        ArenaPlan &plan, int64_t *untiledArena, std::string &error);

} // namespace tinyformer

#endif // TINYFORMER_COSTMODEL_ARENAPLAN_H
