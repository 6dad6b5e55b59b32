#include "core/attention/random_plans.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace svgen {

namespace {

std::vector<int32_t> randomStarts(int64_t len, int blocks, bool uniform, std::mt19937_64& rng) {
  std::vector<int32_t> starts(blocks + 1);
  if (uniform) {
    const int64_t size = (len + blocks - 1) / blocks;
    for (int i = 0; i <= blocks; ++i) starts[i] = static_cast<int32_t>(std::min(i * size, len));
    return starts;
  }
  std::uniform_int_distribution<int64_t> cut(0, len);
  starts[0] = 0;
  starts[blocks] = static_cast<int32_t>(len);
  for (int i = 1; i < blocks; ++i) starts[i] = static_cast<int32_t>(cut(rng));
  std::sort(starts.begin(), starts.end());
  return starts;
}

}  // namespace

BlockSparsePlan randomPlan(const RandomPlanSpec& s) {
  if (s.heads <= 0 || s.queryLen <= 0 || s.keyLen <= 0 || s.queryBlocks <= 0 || s.keyBlocks <= 0 ||
      s.queryBlocks > s.queryLen || s.keyBlocks > s.keyLen)
    throw std::invalid_argument("randomPlan: impossible sizes");
  std::mt19937_64 rng(s.seed);
  BlockSparsePlan p;
  p.heads = s.heads;
  p.queryLen = s.queryLen;
  p.keyLen = s.keyLen;
  p.numQueryBlocks = s.queryBlocks;
  p.numKeyBlocks = s.keyBlocks;
  for (int64_t h = 0; h < s.heads; ++h) {
    const auto qs = randomStarts(s.queryLen, s.queryBlocks, s.uniform, rng);
    const auto ks = randomStarts(s.keyLen, s.keyBlocks, s.uniform, rng);
    p.queryStarts.insert(p.queryStarts.end(), qs.begin(), qs.end());
    p.keyStarts.insert(p.keyStarts.end(), ks.begin(), ks.end());
  }
  const int keep =
      std::clamp(static_cast<int>(std::lround(s.density * s.keyBlocks)), 1, s.keyBlocks);
  std::vector<int32_t> all(s.keyBlocks);
  std::iota(all.begin(), all.end(), 0);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int64_t r = 0; r < s.heads * s.queryBlocks; ++r) {
    std::vector<int32_t> row;
    if (unit(rng) >= s.emptyRows) {
      std::shuffle(all.begin(), all.end(), rng);
      row.assign(all.begin(), all.begin() + keep);
      std::sort(row.begin(), row.end());
    }
    p.appendRow(row);
  }
  if (s.permute) {
    auto order = [&](int64_t len) {
      std::vector<int32_t> o;
      for (int64_t h = 0; h < s.heads; ++h) {
        std::vector<int32_t> one(len);
        std::iota(one.begin(), one.end(), 0);
        std::shuffle(one.begin(), one.end(), rng);
        o.insert(o.end(), one.begin(), one.end());
      }
      return o;
    };
    p.queryOrder = order(s.queryLen);
    p.keyOrder = order(s.keyLen);
  }
  return p;
}

}  // namespace svgen
