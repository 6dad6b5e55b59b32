#include "core/attention/svoo_profile.h"

#include "core/common/error.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace svgen {

namespace fs = std::filesystem;
using nlohmann::json;

double SvooProfile::fractionFor(int layer) const {
  if (keyFraction.empty()) return 1.0;
  return keyFraction[std::clamp<size_t>(static_cast<size_t>(std::max(layer, 0)), 0,
                                        keyFraction.size() - 1)];
}

std::string svooProfileToJson(const SvooProfile& p) {
  return json{{"format", "svgen-svoo-profile"},
              {"version", 1},
              {"model", p.model},
              {"mass", p.mass},
              {"steps", p.steps},
              {"prompts", p.prompts},
              {"key_fraction", p.keyFraction}}
      .dump(2);
}

SvooProfile svooProfileFromJson(const std::string& text, const std::string& source) {
  SvooProfile p;
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != "svgen-svoo-profile")
      throw InputError(source + ": not an SVOO profile table (format must be svgen-svoo-profile)");
    p.model = j.value("model", "");
    p.mass = j.value("mass", 0.95);
    p.steps = j.value("steps", 0);
    p.prompts = j.value("prompts", std::vector<std::string>{});
    p.keyFraction = j.at("key_fraction").get<std::vector<double>>();
  } catch (const json::exception& e) {
    throw InputError(source + ": malformed SVOO profile table: " + e.what());
  }
  if (p.keyFraction.empty()) throw InputError(source + ": the SVOO profile table has no layers");
  for (double f : p.keyFraction)
    if (!(f > 0 && f <= 1)) throw InputError(source + ": SVOO key fractions must be in (0, 1]");
  return p;
}

std::string defaultSvooProfilePath(const std::string& modelDir) {
  return (fs::path(modelDir) / "svoo_profile.json").string();
}

SvooProfile loadSvooProfile(const AttentionConfig& config, const std::string& modelDir) {
  std::string path = config.svooProfile;
  if (path.empty()) {
    if (modelDir.empty())
      throw InputError(
          "SVOO needs a sparsity profile and this model has no folder: run `svgen profile` and "
          "pass --svoo-profile");
    path = defaultSvooProfilePath(modelDir);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError("SVOO sparsity profile " + path +
                     " not found: make one with `svgen profile --model <model>` or pass "
                     "--svoo-profile");
  std::stringstream s;
  s << in.rdbuf();
  return svooProfileFromJson(s.str(), path);
}

std::vector<double> keyFractionForMass(const at::Tensor& q, const at::Tensor& k, double mass,
                                       int rows) {
  const int64_t L = q.size(1);
  const int64_t n = std::min<int64_t>(rows, L);
  at::Tensor idx = (at::arange(n, at::kDouble) * (static_cast<double>(L) / n))
                       .floor()
                       .to(at::kLong)
                       .to(q.device());
  at::Tensor p = at::softmax(
      at::matmul(q.index_select(1, idx).to(at::kFloat), k.to(at::kFloat).transpose(1, 2)) /
          std::sqrt(static_cast<double>(q.size(2))),
      -1);
  at::Tensor sorted = std::get<0>(at::sort(p, -1, /*descending=*/true));
  // Keys needed: 1 + how many prefixes stay below the mass.
  at::Tensor needed = (at::cumsum(sorted, -1) < mass).sum(-1).add(1).clamp_max(k.size(1));
  at::Tensor frac =
      needed.to(at::kDouble).mean(-1).div(static_cast<double>(k.size(1))).to(at::kCPU);
  return std::vector<double>(frac.data_ptr<double>(), frac.data_ptr<double>() + frac.numel());
}

}  // namespace svgen
