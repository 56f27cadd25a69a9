//===- tinyformer-cost-layers.cpp - the cost library from C++ -------------===//
//
// `tinyformer-cost-layers [--cpu CPU] [--flash BYTES] LAYERS.txt`: a
// candidate model as text, one layer a line, `key=value` fields of
// tinyformer::cost::Layer (the first line `input=1,1,28,28`):
//
//   input=1,1,28,28
//   conv2d channels=16 kernel=3 stride=2 padding=1 activation=relu
//   global_avg_pool
//   linear channels=10 sparsity=0.9
//
// prints the estimate per kernel call and in total. It includes only
// tinyformer/CostApi/CostApi.h (no LLVM or MLIR headers), as a NAS driver
// in C++ would, and exits 1 with the library's message on bad input.
//
//===----------------------------------------------------------------------===//
#include "tinyformer/CostApi/CostApi.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using tinyformer::cost::Layer;

static bool parseLayer(const std::string &line, Layer &layer, std::string &error) {
  std::istringstream in(line);
  in >> layer.op;
  std::string field;
  while (in >> field) {
    size_t eq = field.find('=');
    if (eq == std::string::npos) {
      error = "'" + field + "' is not key=value";
      return false;
    }
    std::string key = field.substr(0, eq), value = field.substr(eq + 1);
    char *end = nullptr;
    double number = std::strtod(value.c_str(), &end);
    bool numeric = end && *end == '\0' && !value.empty();
    if (key == "activation")
      layer.activation = value;
    else if (key == "pattern")
      layer.pattern = value;
    else if (!numeric) {
      error = "'" + key + "' needs a number, got '" + value + "'";
      return false;
    } else if (key == "channels")
      layer.channels = int64_t(number);
    else if (key == "kernel")
      layer.kernel = int64_t(number);
    else if (key == "stride")
      layer.stride = int64_t(number);
    else if (key == "padding")
      layer.padding = int64_t(number);
    else if (key == "heads")
      layer.heads = int64_t(number);
    else if (key == "residual_from")
      layer.residualFrom = int(number);
    else if (key == "sparsity")
      layer.sparsity = number;
    else {
      error = "unknown key '" + key + "'";
      return false;
    }
  }
  return true;
}

int main(int argc, char **argv) {
  tinyformer::cost::Options options;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--cpu" && i + 1 < argc)
      options.cpu = argv[++i];
    else if (a == "--flash" && i + 1 < argc)
      options.flashBudget = std::atoll(argv[++i]);
    else if (path.empty() && a[0] != '-')
      path = a;
    else {
      std::fprintf(stderr, "usage: tinyformer-cost-layers [--cpu cortex-m4|cortex-m7] "
                           "[--flash BYTES] LAYERS.txt\n");
      return 1;
    }
  }
  std::ifstream file(path);
  if (path.empty() || !file) {
    std::fprintf(stderr, "error: cannot read the layer list '%s'\n", path.c_str());
    return 1;
  }
  std::vector<int64_t> input;
  std::vector<Layer> layers;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.empty() || line[0] == '#')
      continue;
    if (line.rfind("input=", 0) == 0) {
      std::istringstream dims(line.substr(6));
      for (std::string d; std::getline(dims, d, ',');)
        input.push_back(std::atoll(d.c_str()));
      continue;
    }
    Layer layer;
    std::string error;
    if (!parseLayer(line, layer, error)) {
      std::fprintf(stderr, "error: %s:%d: %s\n", path.c_str(), number, error.c_str());
      return 1;
    }
    layers.push_back(layer);
  }
  tinyformer::cost::CostModel model(options);
  absl::StatusOr<tinyformer::cost::Estimate> e = model.estimate(input, layers);
  if (!e.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(e.status().message()).c_str());
    return 1;
  }
  for (const tinyformer::cost::LayerEstimate &l : e->layers)
    std::printf("  %-18s %-6s %12lld instructions %8lld bytes of weights\n",
                l.kernel.c_str(), l.storage.c_str(), (long long)l.instructions,
                (long long)l.weightBytes);
  std::printf("total: %lld instructions, %lld bytes of weights, arena %lld bytes "
              "(lower bound %lld), %lld MACs on %s\n",
              (long long)e->instructions, (long long)e->weightBytes,
              (long long)e->arenaBytes, (long long)e->arenaLowerBound,
              (long long)e->macs, options.cpu.c_str());
  return 0;
}
