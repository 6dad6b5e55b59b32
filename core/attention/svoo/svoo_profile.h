// SVOO's offline table (no LibTorch here: the Engine API returns it): per layer, the fraction of
// keys that holds most of the attention mass, measured densely on a few prompts by `svgen profile`
// and saved next to the model.
#pragma once
#include "core/attention/attention_config.h"

#include <string>
#include <vector>

namespace svgen {

struct SvooProfile {
  double mass = 0.95;               // the attention mass each fraction holds
  std::vector<double> keyFraction;  // per layer, in [0, 1]
  // What the per-layer values summarise: [step][layer][head], the largest over prompts and the
  // guidance batch. Empty in hand-made tables.
  std::vector<std::vector<std::vector<double>>> measured;
  std::vector<std::string> prompts;  // what it was measured on
  int steps = 0;
  std::string model;
  double fractionFor(int layer) const;
};

std::string svooProfileToJson(const SvooProfile& p);
// Throws InputError naming `source` when the text is not a valid table.
SvooProfile svooProfileFromJson(const std::string& text, const std::string& source);

// Where the table of a model folder lives: <dir>/svoo_profile.json.
std::string defaultSvooProfilePath(const std::string& modelDir);

// The table the config names, or the model's default one. Throws InputError saying how to make
// one (`svgen profile`) when there is none.
SvooProfile loadSvooProfile(const AttentionConfig& config, const std::string& modelDir);

// Per layer: the mean over heads and over the steps from `firstStep` on (those that run sparse)
// of `measured`.
std::vector<double> layerFractions(const std::vector<std::vector<std::vector<double>>>& measured,
                                   int firstStep);

}  // namespace svgen
