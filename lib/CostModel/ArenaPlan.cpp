//===- ArenaPlan.cpp - one static arena for a schedule of ops -------------===//
//
// Buffers: every value an op defines, except aliases (same bytes) and
// outputs written over an input dying there: elementwise ops in place, and
// linear layers over tokens by token overwriting (MCUFormer): the kernel
// reads each pair of tokens before writing their outputs, so the output may
// start where the input starts (N <= K) or end where it ends (N > K), and
// the two share max(T*K, T*N) bytes instead of T*(K + N). A convolution's
// output keeps a buffer of its own, which may overlap its dying input's
// rows (rowsOverwriteOffset: placed low enough, its writes stay below the
// rows still to be read); the placement allows that overlap. The function's
// inputs and results live in the caller's buffers. Each op's scratch is a
// buffer alive during the op only. Placement is greedy by size (largest
// first, lowest non-overlapping offset), as TFLite Micro does; the lower
// bound beside it tells how far from optimal each plan is.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/CostModel/ArenaPlan.h"

#include <algorithm>
#include <functional>
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

int64_t rowsOverwriteOffset(const ConvRows &r) {
  // Once pixels [0, m) are written, pixels m.. still read rows from
  // (m / outW) * stride - padTop on: the m written pixels must end there.
  // Within an output row that first row is fixed, so its last m binds.
  int64_t offset = 0;
  for (int64_t first = 0; first < r.pixels; first += r.outW) {
    int64_t m = std::min(first + r.outW, r.pixels) - 1;
    int64_t row = std::max<int64_t>(0, first / r.outW * r.stride - r.padTop);
    if (m >= 1)
      offset = std::min(offset, row * r.inRowBytes - m * r.pixelBytes);
  }
  return offset;
}

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
      // Its own buffer, which may overlap the dying input's rows (the two
      // stay separate buffers: each keeps its own lifetime).
      if (op.placement == OutputPlacement::overwritesRows)
        if (std::optional<ValueLocation> in = dying(op.operands.front())) {
          buffers[at->buffer].overlaps = int(in->buffer);
          buffers[at->buffer].overlapOffset =
              in->delta + rowsOverwriteOffset(op.rows);
        }
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
  // A row-overwriting pair: the most `to` may start past `from`'s offset
  // (offsets are where each buffer's low end sits).
  auto overlapLimit = [&](const ArenaBuffer &to, const ArenaBuffer &from) {
    return to.overlapOffset - from.low + to.low;
  };
  // The closest aligned start of `to` past `from` that the limit allows.
  auto closestStart = [&](const ArenaBuffer &to, const ArenaBuffer &from) {
    int64_t limit = overlapLimit(to, from);
    return limit >= 0 ? limit / kAlign * kAlign : -alignUp(-limit);
  };
  auto alive = [](const ArenaBuffer &b, int64_t s) {
    return b.kind == ArenaBuffer::Arena && b.first <= s && s <= b.last;
  };
  // Lower bound: the most bytes alive at one step (a row-overwriting pair
  // counted at its closest placement).
  for (int64_t s = 0; s <= returnStep; ++s) {
    int64_t live = 0;
    for (const ArenaBuffer &b : buffers) {
      if (!alive(b, s))
        continue;
      live += alignUp(b.size());
      if (b.overlaps >= 0 && alive(buffers[b.overlaps], s)) {
        const ArenaBuffer &in = buffers[b.overlaps];
        int64_t at = closestStart(b, in);
        int64_t extent = std::max(alignUp(in.size()), at + alignUp(b.size())) -
                         std::min<int64_t>(0, at);
        live -= std::max<int64_t>(
            0, alignUp(in.size()) + alignUp(b.size()) - extent);
      }
    }
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
  // Each placed buffer alive at the same time forbids the starts [lo, hi)
  // at which buffer `id` would overlap it; a row-overwriting pair allows
  // the overlap when the output starts low enough.
  std::vector<std::pair<int64_t, int64_t>> forbidden;
  std::vector<char> isPlaced(buffers.size(), 0);
  std::vector<size_t> placed;
  // The row-overwriting output coupled to each buffer, or -1.
  std::vector<int> overlappedBy(buffers.size(), -1);
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].overlaps >= 0 && buffers[i].kind == ArenaBuffer::Arena)
      overlappedBy[buffers[i].overlaps] = int(i);
  bool anyPair = std::any_of(overlappedBy.begin(), overlappedBy.end(),
                             [](int o) { return o >= 0; });
  bool coupled = anyPair; // whether row-overwriting pairs may overlap
  auto forbid = [&](size_t id, size_t other,
                    std::vector<std::pair<int64_t, int64_t>> &out,
                    int64_t shift) {
    const ArenaBuffer &b = buffers[id], &o = buffers[other];
    if (!(o.first <= b.last && b.first <= o.last))
      return;
    int64_t lo = o.offset - alignUp(b.size()) + 1;
    int64_t hi = o.offset + alignUp(o.size());
    // b may start up to the limit past o, or o up to the limit past b.
    if (coupled && b.overlaps == int(other))
      lo = std::max(lo, o.offset + overlapLimit(b, o) + 1);
    else if (coupled && o.overlaps == int(id))
      hi = std::min(hi, o.offset - overlapLimit(o, b));
    if (lo < hi)
      out.push_back({lo - shift, hi - shift});
  };
  // The lowest aligned start from `from` on outside every range.
  auto lowestFree = [](std::vector<std::pair<int64_t, int64_t>> &ranges,
                       int64_t from) {
    std::sort(ranges.begin(), ranges.end());
    int64_t offset = alignUp(from);
    for (bool moved = true; moved;) {
      moved = false;
      for (auto [lo, hi] : ranges)
        if (lo <= offset && offset < hi) {
          offset = alignUp(hi);
          moved = true;
        }
    }
    return offset;
  };
  auto place = [&](size_t id, int64_t offset) {
    buffers[id].offset = offset;
    p.arena = std::max(p.arena, offset + alignUp(buffers[id].size()));
    isPlaced[id] = 1;
    placed.push_back(id);
  };
  // The ranges `id` may not start in, given what is placed.
  auto forbidAll = [&](size_t id, int64_t shift) {
    for (size_t other : placed)
      forbid(id, other, forbidden, shift);
  };
  auto placeAll = [&] {
    p.arena = 0;
    placed.clear();
    std::fill(isPlaced.begin(), isPlaced.end(), 0);
    for (size_t id : order) {
      if (isPlaced[id])
        continue;
      // A row-overwriting partner not placed yet: the two go together, the
      // output at its closest start (`rel` past the input), each clear of
      // what is alive in its own lifetime.
      std::optional<std::pair<size_t, size_t>> pair; // (input, output)
      int input = buffers[id].overlaps, output = overlappedBy[id];
      if (coupled && input >= 0 && !isPlaced[input])
        pair = {size_t(input), id};
      else if (coupled && output >= 0 && !isPlaced[output])
        pair = {id, size_t(output)};
      forbidden.clear();
      if (!pair) {
        forbidAll(id, 0);
        place(id, lowestFree(forbidden, 0));
        continue;
      }
      auto [in, out] = *pair;
      int64_t rel = closestStart(buffers[out], buffers[in]);
      forbidAll(in, 0);
      forbidAll(out, rel);
      int64_t tight = lowestFree(forbidden, std::max<int64_t>(0, -rel));
      auto endOf = [&](size_t b, int64_t at) {
        return at + alignUp(buffers[b].size());
      };
      int64_t tightEnd = std::max(endOf(in, tight), endOf(out, tight + rel));
      // Or each on its own (this one first, as by size): keep what ends lower.
      size_t partner = id == in ? out : in;
      forbidden.clear();
      forbidAll(id, 0);
      int64_t alone = lowestFree(forbidden, 0);
      buffers[id].offset = alone; // tried: the partner's ranges see it
      placed.push_back(id);
      forbidden.clear();
      forbidAll(partner, 0);
      int64_t apart = lowestFree(forbidden, 0);
      placed.pop_back();
      if (std::max(endOf(id, alone), endOf(partner, apart)) <= tightEnd) {
        place(id, alone);
        place(partner, apart);
      } else {
        place(in, tight);
        place(out, tight + rel);
      }
    }
  };
  // Greedy placement is a heuristic: overlapping pairs may crowd what is
  // placed after them. Keep the plan without them when it is smaller (no
  // plan is smaller than the lower bound).
  auto saveOffsets = [&] {
    std::vector<int64_t> offsets;
    for (const ArenaBuffer &b : buffers)
      offsets.push_back(b.offset);
    return offsets;
  };
  auto restoreOffsets = [&](const std::vector<int64_t> &offsets, int64_t arena) {
    for (size_t i = 0; i < buffers.size(); ++i)
      buffers[i].offset = offsets[i];
    p.arena = arena;
  };
  auto placeBest = [&] {
    coupled = anyPair;
    placeAll();
    if (!anyPair || p.arena <= p.lowerBound)
      return;
    std::vector<int64_t> offsets = saveOffsets();
    int64_t withOverlaps = p.arena;
    coupled = false;
    placeAll();
    if (withOverlaps <= p.arena)
      restoreOffsets(offsets, withOverlaps);
  };
  placeBest();
  if (p.arena <= p.lowerBound)
    return true;
  // Largest first left a gap above the bound (a short-lived buffer placed
  // low fragments what lives long): try the longest-lived first and the
  // most byte-steps first, and keep the smallest plan (ties: largest first).
  std::vector<int64_t> bestOffsets = saveOffsets();
  int64_t bestArena = p.arena;
  auto steps = [&](size_t i) { return buffers[i].last - buffers[i].first + 1; };
  std::function<bool(size_t, size_t)> alternatives[] = {
      [&](size_t a, size_t b) {
        return std::make_pair(steps(a), buffers[a].size()) >
               std::make_pair(steps(b), buffers[b].size());
      },
      [&](size_t a, size_t b) {
        return steps(a) * buffers[a].size() > steps(b) * buffers[b].size();
      }};
  for (auto &before : alternatives) {
    std::stable_sort(order.begin(), order.end(), before);
    placeBest();
    if (p.arena < bestArena) {
      bestOffsets = saveOffsets();
      bestArena = p.arena;
    }
    if (bestArena <= p.lowerBound)
      break;
  }
  restoreOffsets(bestOffsets, bestArena);
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
