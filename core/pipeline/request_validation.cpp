#include "core/pipeline/request_validation.h"

#include "core/common/error.h"
#include "core/common/prompt_words.h"
#include "core/sampling/sampler_names.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace svgen {

int nearestValidFrames(int frames, const ModelInfo& m) {
  const int mult = std::max(1, m.frameMultiple);
  int k = static_cast<int>(std::lround(static_cast<double>(frames - m.frameOffset) / mult));
  int valid = std::max(1, k * mult + m.frameOffset);
  if (valid < 1 + m.frameOffset) valid = mult + m.frameOffset;
  if (m.maxFrames > 0) {
    while (valid > m.maxFrames) valid -= mult;
  }
  return std::max(valid, 1);
}

int nearestValidSize(int size, const ModelInfo& m) {
  const int mult = std::max(1, m.sizeMultiple);
  int valid = static_cast<int>(std::lround(static_cast<double>(size) / mult)) * mult;
  if (m.minSize > 0) valid = std::max(valid, (m.minSize + mult - 1) / mult * mult);
  if (m.maxSize > 0) valid = std::min(valid, m.maxSize / mult * mult);
  return std::max(valid, mult);
}

std::vector<std::string> requestProblems(const GenerationRequest& r, const ModelInfo& m) {
  std::vector<std::string> problems;
  auto add = [&](const std::string& s) { problems.push_back(s); };
  const int mult = std::max(1, m.frameMultiple);
  if (r.frames < 1 || (r.frames - m.frameOffset) % mult != 0 ||
      (m.maxFrames > 0 && r.frames > m.maxFrames)) {
    std::ostringstream s;
    s << "frames " << r.frames << " is not valid for " << m.label;
    if (mult > 1) s << " (frames must be " << mult << "k+" << m.frameOffset << ")";
    if (m.maxFrames > 0) s << " (at most " << m.maxFrames << ")";
    s << "; nearest valid: " << nearestValidFrames(r.frames, m);
    add(s.str());
  }
  for (auto [name, value] : {std::pair<const char*, int>{"width", r.width}, {"height", r.height}}) {
    const bool badMultiple = m.sizeMultiple > 1 && value % m.sizeMultiple != 0;
    const bool outOfRange = value < std::max(1, m.minSize) || (m.maxSize > 0 && value > m.maxSize);
    if (badMultiple || outOfRange) {
      std::ostringstream s;
      s << name << " " << value << " is not valid: it must be a multiple of " << m.sizeMultiple;
      if (m.minSize > 0 || m.maxSize > 0) s << " between " << m.minSize << " and " << m.maxSize;
      s << "; nearest valid: " << nearestValidSize(value, m);
      add(s.str());
    }
  }
  // A blank prompt gives a clip of nothing in particular and says nothing about why.
  if (r.prompt.find_first_not_of(" \t\r\n") == std::string::npos)
    add("prompt is empty: describe the clip in a few words");
  if (r.steps < 1 || r.steps > 1000)
    add("steps " + std::to_string(r.steps) + " must be between 1 and 1000");
  if (!(r.guidance >= 0 && r.guidance <= 50)) add("guidance must be between 0 and 50");
  if (m.expertBoundary > 0 && !(r.lowNoiseGuidance >= 0 && r.lowNoiseGuidance <= 50))
    add("low-noise guidance must be between 0 and 50");
  if (m.expertBoundary <= 0 && r.lowNoiseGuidance >= 0)
    add(m.label +
        " is one network: a low-noise guidance applies only to two-expert models (Wan 2.2 "
        "A14B); use guidance");
  if (!(r.shift > 0 && r.shift <= 100)) add("shift must be greater than 0 and at most 100");
  const std::vector<std::string>& samplers = samplerNames();
  if (!r.sampler.empty() &&
      std::find(samplers.begin(), samplers.end(), r.sampler) == samplers.end())
    add("sampler \"" + r.sampler + "\" is unknown: use " + samplerList());
  if (r.threads < 0) add("threads must be 0 (all cores) or more");
  if (r.previewEvery < 0) add("preview interval must be 0 (off) or more");
  if (!(r.vramGiB >= 0 && r.vramGiB <= 4096))
    add("vram must be 0 (the whole card) or a budget in GiB up to 4096");
  for (const std::string& p : attentionConfigProblems(r.attention)) add(p);
  if (m.imageToVideo && !m.imageOptional && r.imagePath.empty())
    add(m.label + " makes a clip from a start image: give one (--image)");
  if (!m.imageToVideo && !r.imagePath.empty())
    add(m.label +
        " makes video from text only: it takes no start image (drop --image, or use an "
        "image-to-video model)");
  if (!m.vocabulary.empty()) {
    for (const auto* text : {&r.prompt, &r.negativePrompt}) {
      const auto unknown = unknownWords(*text, m.vocabulary);
      if (unknown.empty()) continue;
      std::ostringstream s;
      s << (text == &r.prompt ? "prompt" : "negative prompt") << ": unknown word"
        << (unknown.size() > 1 ? "s" : "");
      for (size_t i = 0; i < unknown.size(); ++i) s << (i ? ", \"" : " \"") << unknown[i] << "\"";
      s << ". Known words:";
      for (const auto& w : m.vocabulary) s << ' ' << w;
      add(s.str());
    }
  }
  return problems;
}

GenerationRequest resolveRequest(const GenerationRequest& request, const ModelInfo& m) {
  GenerationRequest r = request;
  if (r.frames == 0) r.frames = m.defaultFrames;
  if (r.width == 0) r.width = m.defaultWidth;
  if (r.height == 0) r.height = m.defaultHeight;
  if (r.steps == 0) r.steps = m.defaultSteps;
  if (m.expertBoundary > 0) r.lowNoiseGuidance = resolvedLowNoiseGuidance(r, m);
  if (r.guidance < 0) r.guidance = m.defaultGuidance;
  if (r.shift < 0) r.shift = m.defaultShift;
  if (r.sampler.empty()) r.sampler = m.defaultSampler;
  const auto problems = requestProblems(r, m);
  if (!problems.empty()) {
    std::string msg = problems.front();
    for (size_t i = 1; i < problems.size(); ++i) msg += "\n" + problems[i];
    throw InputError(msg);
  }
  return r;
}

}  // namespace svgen
