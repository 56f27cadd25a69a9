//===- ArenaPlan.cpp - one static arena for a schedule of ops -------------===//
//
// Buffers: every value an op defines, except aliases (same bytes) and
// outputs written over an input dying there: elementwise ops in place, and
// linear layers over tokens by token overwriting (MCUFormer): the kernel
// reads each pair of tokens before writing their outputs, so the output may
// start where the input starts (N <= K) or end where it ends (N > K), and
// the two share max(T*K, T*N) bytes instead of T*(K + N). The function's
// inputs and results live in the caller's buffers. Each op's scratch is a
// buffer alive during the op only. Placement is greedy by size (largest
// first, lowest non-overlapping offset), as TFLite Micro does; the lower
// bound beside it tells how far from optimal each plan is.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/CostModel/ArenaPlan.h"

#include <algorithm>
#include <numeric>
#include <optional>

namespace tinyformer {

namespace {

constexpr int64_t kAlign = 8;
int64_t alignUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

/// Divisors of n, largest first.
std::vector<int64_t> divisorsDescending(int64_t n) {
  std::vector<int64_t> d;
  for (int64_t i = n; i >= 1; --i)
    if (n % i == 0)
      d.push_back(i);
  return d;
}

} // namespace

bool planArena(const PlanGraph &g, ArenaPlan &p, std::string &error) {
  p = ArenaPlan();
  size_t values = g.inputBytes.size() + g.ops.size();
  std::vector<int64_t> bytes(values);
  std::copy(g.inputBytes.begin(), g.inputBytes.end(), bytes.begin());
  for (size_t i = 0; i < g.ops.size(); ++i)
    bytes[g.valueOf(i)] = g.ops[i].resultBytes;
  // Schedule: op i runs at step i, the return at the last step. A value
  // lives from its definition to its last use (a result nobody reads still
  // occupies its buffer while its op runs).
  int64_t returnStep = int64_t(g.ops.size());
  std::vector<int64_t> lastUse(values, 0);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    lastUse[g.valueOf(i)] = int64_t(i);
    for (int v : g.ops[i].operands)
      lastUse[v] = std::max(lastUse[v], int64_t(i));
  }
  // Whether a value (or an alias of it, defined later) is a result.
  std::vector<char> returned(values, 0);
  for (int v : g.results) {
    lastUse[v] = returnStep;
    returned[v] = 1;
  }
  for (size_t i = g.ops.size(); i-- > 0;)
    if (g.ops[i].placement == OutputPlacement::alias && returned[g.valueOf(i)])
      returned[g.ops[i].operands.front()] = 1;

  std::vector<ArenaBuffer> &buffers = p.buffers;
  p.where.assign(values, ValueLocation());
  std::vector<bool> placedValue(values, false);
  for (size_t a = 0; a < g.inputBytes.size(); ++a) {
    ArenaBuffer b;
    b.kind = ArenaBuffer::Input;
    b.high = bytes[a];
    b.last = lastUse[a];
    p.where[a] = {buffers.size(), 0};
    placedValue[a] = true;
    buffers.push_back(b);
  }
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const PlanOp &op = g.ops[i];
    int out = g.valueOf(i);
    int64_t s = int64_t(i);
    if (op.placement == OutputPlacement::alias) {
      ValueLocation at = p.where[op.operands.front()];
      p.where[out] = at;
      placedValue[out] = true;
      buffers[at.buffer].last = std::max(buffers[at.buffer].last, lastUse[out]);
      continue;
    }
    // An input that dies here, in the arena, alone in its buffer's
    // lifetime: the output may overwrite it.
    auto dying = [&](int operand) -> std::optional<ValueLocation> {
      if (!placedValue[operand])
        return std::nullopt;
      ValueLocation loc = p.where[operand];
      ArenaBuffer &b = buffers[loc.buffer];
      if (b.kind != ArenaBuffer::Arena || b.last > s)
        return std::nullopt;
      // A returned result turns the buffer into the caller's output
      // buffer, which holds exactly the result.
      if (returned[out] && (b.size() != bytes[out] || loc.delta != b.low))
        return std::nullopt;
      if (std::any_of(op.operands.begin(), op.operands.end(), [&](int o) {
            return o != operand && placedValue[o] &&
                   p.where[o].buffer == loc.buffer;
          }))
        return std::nullopt;
      return loc;
    };
    std::optional<ValueLocation> at;
    if (op.placement == OutputPlacement::inPlace) {
      for (int operand : op.operands)
        if (bytes[operand] == bytes[out])
          if ((at = dying(operand)))
            break;
    } else if (op.placement == OutputPlacement::overwritesTokens) {
      // (Not into the caller's output buffer: it holds T*N bytes only.)
      if (!returned[out] && (at = dying(op.operands.front()))) {
        at->delta += std::min<int64_t>(0, op.tokens * (op.k - op.n));
        ArenaBuffer &b = buffers[at->buffer];
        b.low = std::min(b.low, at->delta);
      }
    }
    if (!at) {
      at = ValueLocation{buffers.size(), 0};
      buffers.push_back(ArenaBuffer{});
      buffers[at->buffer].first = s;
    }
    ArenaBuffer &b = buffers[at->buffer];
    b.high = std::max(b.high, at->delta + bytes[out]);
    b.last = std::max(b.last, lastUse[out]);
    p.where[out] = *at;
    placedValue[out] = true;
    // Scratch, alive during this op only.
    if (op.scratchBytes > 0) {
      ArenaBuffer sb;
      sb.high = op.scratchBytes;
      sb.first = sb.last = s;
      sb.scratchOf = int(i);
      buffers.push_back(sb);
    }
  }
  // The results live in the caller's output buffers.
  for (int v : g.results) {
    ValueLocation at = p.where[v];
    ArenaBuffer &b = buffers[at.buffer];
    if (b.kind == ArenaBuffer::Input) {
      error = "returns (a reshape of) its input: nothing to compute";
      return false;
    }
    // The caller's buffer holds exactly the result.
    if (b.size() != bytes[v] || at.delta != b.low) {
      error = "internal planning error: the result shares a buffer larger "
              "than itself";
      return false;
    }
    b.kind = ArenaBuffer::Output;
  }
  // Lower bound: the most bytes alive at one step.
  for (int64_t s = 0; s <= returnStep; ++s) {
    int64_t live = 0;
    for (const ArenaBuffer &b : buffers)
      if (b.kind == ArenaBuffer::Arena && b.first <= s && s <= b.last)
        live += alignUp(b.size());
    p.lowerBound = std::max(p.lowerBound, live);
  }
  // Greedy placement, largest first.
  std::vector<size_t> order;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].kind == ArenaBuffer::Arena)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return buffers[a].size() > buffers[b].size();
  });
  std::vector<size_t> placed;
  std::vector<std::pair<int64_t, int64_t>> busy;
  for (size_t id : order) {
    ArenaBuffer &b = buffers[id];
    busy.clear();
    for (size_t other : placed) {
      const ArenaBuffer &o = buffers[other];
      if (o.first <= b.last && b.first <= o.last)
        busy.push_back({o.offset, o.offset + alignUp(o.size())});
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto [lo, hi] : busy) {
      if (offset + alignUp(b.size()) <= lo)
        break;
      offset = std::max(offset, hi);
    }
    b.offset = offset;
    p.arena = std::max(p.arena, offset + alignUp(b.size()));
    placed.push_back(id);
  }
  return true;
}

bool planArenaWithTiles(PlanGraph &g, std::vector<AttentionTile> &tiles,
                        int64_t sramBudget,
                        const std::function<int64_t(const AttentionTile &)> &scratchOf,
                        ArenaPlan &p, int64_t *untiledArena, std::string &error) {
  auto setTile = [&](AttentionTile &t, int64_t heads, int64_t rows) {
    t.shape.headsPerStep = heads;
    t.shape.rowsPerStep = rows;
    g.ops[t.op].scratchBytes = scratchOf(t);
  };
  for (AttentionTile &t : tiles)
    setTile(t, t.shape.heads, t.shape.tokens);
  if (!planArena(g, p, error))
    return false;
  if (untiledArena)
    *untiledArena = p.arena;
  if (untiledArena && !tiles.empty()) {
    PlanGraph untiled = g;
    for (const AttentionTile &t : tiles)
      untiled.ops[t.op].scratchBytes = attentionUntiledBytes(t.shape);
    ArenaPlan u;
    if (!planArena(untiled, u, error))
      return false;
    *untiledArena = u.arena;
  }
  // Without a budget, tiles may only use memory the model needs anyway:
  // the arena with the smallest tiles.
  int64_t budget = sramBudget;
  if (budget <= 0 && !tiles.empty()) {
    for (AttentionTile &t : tiles)
      setTile(t, 1, 1);
    ArenaPlan smallest;
    if (!planArena(g, smallest, error))
      return false;
    budget = smallest.arena;
    for (AttentionTile &t : tiles)
      setTile(t, t.shape.heads, t.shape.tokens);
  }
  while (budget > 0 && p.arena > budget) {
    // The tile with the most scratch that can still shrink.
    AttentionTile *pick = nullptr;
    int64_t most = -1;
    for (AttentionTile &t : tiles) {
      if (t.shape.rowsPerStep == 1 && t.shape.headsPerStep == 1)
        continue;
      int64_t bytes = attentionScratchBytes(t.shape);
      if (bytes > most) {
        most = bytes;
        pick = &t;
      }
    }
    if (!pick)
      break;
    const AttentionShape &a = pick->shape;
    if (a.rowsPerStep > 1) {
      setTile(*pick, a.headsPerStep, (a.rowsPerStep + 1) / 2);
    } else {
      int64_t next = 1;
      for (int64_t d : divisorsDescending(a.heads))
        if (d < a.headsPerStep) {
          next = d;
          break;
        }
      // Rows grow back: the next smaller head group may afford them.
      setTile(*pick, next, a.tokens);
    }
    if (!planArena(g, p, error))
      return false;
  }
  return true;
}

} // namespace tinyformer
