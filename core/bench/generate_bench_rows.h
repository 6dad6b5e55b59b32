// What every model's `bench generate` shares: each method timed over the same passes, dense
// first, and the clip estimate from the medians. Internal to core/bench.
#pragma once
#include "core/attention/attention_backend.h"
#include "core/bench/generate_bench.h"

#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace svgen {

inline double gib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1ull << 30);
}

// Frames (4k+1), size (a multiple of `multiple` pixels), steps and methods; InputError naming
// the option otherwise.
void checkGenerateBenchShape(const GenerateBenchOptions& o, const std::string& model, int multiple);

// Times o.steps runs of `pass(backend, step)` for each of o.methods into r.rows, with the clip
// estimate (`passesPerStep` passes a sampling step, the warm-up's dense) and the GPU's name.
// `layerFractions`: SVOO's profile when the bench measured one. With o.streamBlocks a resident
// dense row comes first and `streamBlocks` is called before the rest.
void timeGenerateBenchRows(const GenerateBenchOptions& o, const c10::Device& device,
                           const std::vector<double>& layerFractions, double passesPerStep,
                           const std::function<void(AttentionBackend*, int step)>& pass,
                           const std::function<void()>& streamBlocks,
                           const std::function<void(const std::string&)>& say,
                           const std::function<bool()>& cancelled, GenerateBenchReport& r);

// HunyuanVideo's pass (o.config "hunyuan-13b"): core/bench/hunyuan_generate_bench.cpp.
bool isHunyuanBenchConfig(const std::string& name);
GenerateBenchReport runHunyuanGenerateBench(const GenerateBenchOptions& o,
                                            const std::function<void(const std::string&)>& say,
                                            const std::function<bool()>& cancelled);

}  // namespace svgen
