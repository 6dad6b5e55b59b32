// Every attention method describes itself once here: id, label, the parameters it reads, what it
// runs on and how to make it. The CLI's options, the settings JSON, validation, the studio's form
// and presets, run labels and the benches' method lists are all made from these descriptions.
// A method is a folder under core/attention/ with a method.cmake that registers it (see
// core/attention/CMakeLists.txt); nothing else names it.
#pragma once
#include "core/attention/attention_config.h"
#include "core/attention/parameter.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

class AttentionBackend;

struct MethodCapabilities {
  bool cpu = true;
  bool cuda = true;
  std::vector<int> headDims;  // head dimensions its kernels take; empty: any
  bool needsProfile = false;  // reads a table made offline (`svgen profile`)
};

struct MethodDescriptor {
  std::string id;           // "svg2": CLI, JSON and settings value
  std::string label;        // "SVG2"
  std::string description;  // one line: the method combo's tool tip and --help
  int order = 0;            // place in every list (dense first)
  bool sparse = true;       // false: no warm-up, no presets (dense)
  // What the method reads besides the warm-up, in the order the form shows them.
  std::vector<const ParameterSpec*> parameters;
  // The knob a budget sweep varies (SVG's density, SVG2's top-p); null when there is none.
  const ParameterSpec* budget = nullptr;
  MethodCapabilities supports;
  // For benches, which set the budget from outside: the backend that computes about `fraction`
  // of the keys whatever the data (SVG at that density, SVG2 keeping at least that share of key
  // clusters, SVOO with a uniform profile), the rest of the config kept. Null for dense.
  std::function<std::unique_ptr<AttentionBackend>(AttentionConfig, double)> makeAtFraction;
  // For methods whose budget is an offline profile (needsProfile): the backend with a profile of
  // these per-layer key fractions, as if measured on the model (a bench's own measurement).
  // Null elsewhere.
  std::function<std::unique_ptr<AttentionBackend>(AttentionConfig, std::vector<double>)>
      makeWithLayerFractions;
  // `svgen bench attention`'s sweep: the option, its help and default values; each value sets
  // `sweepParameter`, or, where that is null, goes to makeAtFraction.
  std::string sweepFlag;
  std::string sweepHelp;
  std::vector<double> sweep;
  const ParameterSpec* sweepParameter = nullptr;
  // The budget in a run's label ("density 25%"); null: the budget parameter and its value
  // ("top-p 0.90"), or nothing where there is none.
  std::function<std::string(const AttentionConfig&)> budgetLabel;
  // Share of the scores its sparse calls compute on a token grid (frames, height, width), where
  // the settings alone decide it; null where it depends on the data.
  std::function<double(const AttentionConfig&, const std::array<int64_t, 3>&)> estimateDensity;
  // modelDir: where a method that needs a profile finds it when the config names none.
  std::function<std::unique_ptr<AttentionBackend>(const AttentionConfig&, const std::string&)> make;

  bool reads(const ParameterSpec& spec) const;
  // The first lines of every description.
  static MethodDescriptor named(const char* id, const char* label, const char* description,
                                int order);
};

// The registered methods in their order.
const std::vector<const MethodDescriptor*>& attentionMethods();
// Their ids in the same order: {"dense", "svg", "svg2", "svoo"}.
std::vector<std::string> attentionMethodIds();
// "dense, svg, svg2 or svoo", for messages.
std::string attentionMethodList();
// nullptr for an unknown id.
const MethodDescriptor* findAttentionMethod(const std::string& id);

// Every parameter once: the warm-up first, then each method's in method order.
const std::vector<const ParameterSpec*>& attentionParameters();
// The description of a key; throws std::logic_error for a key nothing registers (a typo in code).
const ParameterSpec& attentionParameter(const std::string& key);

// What a run's label says of its budget: "density 25%", "top-p 0.90", "" for dense.
std::string attentionBudgetLabel(const AttentionConfig& config);

// Makes the backend a config names. Throws InputError for an unknown method, bad settings or a
// missing or malformed profile.
std::unique_ptr<AttentionBackend> makeAttentionBackend(const AttentionConfig& config,
                                                       const std::string& modelDir = "");

}  // namespace svgen
