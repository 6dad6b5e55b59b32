#include "core/attention/svoo/svoo_profile.h"

#include "core/attention/svoo/svoo_method.h"
#include "core/common/error.h"
#include "core/common/json_fields.h"

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
              {"key_fraction", p.keyFraction},
              {"measured", p.measured}}
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
    p.steps = jsonValue(j, "steps", 0, source);
    p.prompts = j.value("prompts", std::vector<std::string>{});
    p.keyFraction = j.at("key_fraction").get<std::vector<double>>();
    p.measured = j.value("measured", std::vector<std::vector<std::vector<double>>>{});
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
  std::string path = config.get(svoo::profile);
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

std::vector<double> layerFractions(const std::vector<std::vector<std::vector<double>>>& measured,
                                   int firstStep) {
  std::vector<double> sum, count;
  for (size_t step = std::max(0, firstStep); step < measured.size(); ++step)
    for (size_t layer = 0; layer < measured[step].size(); ++layer) {
      if (sum.size() <= layer) sum.resize(layer + 1, 0.0), count.resize(layer + 1, 0.0);
      for (double f : measured[step][layer]) sum[layer] += f, count[layer] += 1;
    }
  for (size_t l = 0; l < sum.size(); ++l) sum[l] = count[l] > 0 ? sum[l] / count[l] : 1.0;
  return sum;
}

}  // namespace svgen
