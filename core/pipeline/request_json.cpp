#include "core/pipeline/request_json.h"

#include "core/attention/method_registry.h"
#include "core/common/error.h"
#include "core/common/json_fields.h"

#include <nlohmann/json.hpp>

#include <ctime>

namespace svgen {

namespace {

using nlohmann::json;

// Every registered parameter under its key, so a saved run says what each method would have read.
json attentionToJson(const AttentionConfig& a) {
  json j = {{"method", a.method}};
  for (const ParameterSpec* spec : attentionParameters()) {
    if (spec->kind == ParameterKind::Path)
      j[spec->key] = a.text(*spec);
    else if (spec->kind == ParameterKind::Count)
      j[spec->key] = static_cast<int>(a.number(*spec));
    else
      j[spec->key] = a.number(*spec);
  }
  return j;
}

template <typename T>
void read(const nlohmann::json& j, const char* key, T& out) {
  readJsonField(j, key, out, "settings JSON");
}

// Keys that are missing keep their defaults: files written before a parameter existed still load.
AttentionConfig attentionFromJson(const json& j) {
  AttentionConfig a;
  read(j, "method", a.method);
  for (const ParameterSpec* spec : attentionParameters()) {
    if (spec->kind == ParameterKind::Path) {
      std::string text = a.text(*spec);
      read(j, spec->key.c_str(), text);
      a.setText(*spec, text);
    } else if (spec->kind == ParameterKind::Count) {
      int value = static_cast<int>(a.number(*spec));
      read(j, spec->key.c_str(), value);
      a.setNumber(*spec, value);
    } else {
      double value = a.number(*spec);
      read(j, spec->key.c_str(), value);
      a.setNumber(*spec, value);
    }
  }
  return a;
}

json toJsonObject(const GenerationRequest& r) {
  json j = {{"model", r.model},
            {"prompt", r.prompt},
            {"negative_prompt", r.negativePrompt},
            {"frames", r.frames},
            {"width", r.width},
            {"height", r.height},
            {"steps", r.steps},
            {"guidance", r.guidance},
            {"shift", r.shift},
            {"seed", r.seed},
            {"sampler", r.sampler},
            {"device", r.device},
            {"threads", r.threads},
            {"attention", attentionToJson(r.attention)},
            {"image", r.imagePath},
            {"init_noise", r.initNoisePath},
            {"save_latents", r.saveLatentsPath},
            {"record_attention", r.recordAttentionPath},
            {"tiled_decode", r.tiledDecode},
            {"vram_gib", r.vramGiB},
            {"structured_attention", r.structuredAttention}};
  if (r.lowNoiseGuidance >= 0) j["guidance_low"] = r.lowNoiseGuidance;  // two-expert models
  return j;
}

}  // namespace

std::string requestToJson(const GenerationRequest& r) {
  return toJsonObject(r).dump(2);
}

GenerationRequest requestFromJson(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(std::string("settings are not valid JSON: ") + e.what());
  }
  if (j.is_object() && j.contains("request")) j = j.at("request");
  if (!j.is_object()) throw InputError("settings JSON must be an object");
  GenerationRequest r;
  read(j, "model", r.model);
  read(j, "prompt", r.prompt);
  read(j, "negative_prompt", r.negativePrompt);
  read(j, "frames", r.frames);
  read(j, "width", r.width);
  read(j, "height", r.height);
  read(j, "steps", r.steps);
  read(j, "guidance", r.guidance);
  read(j, "guidance_low", r.lowNoiseGuidance);
  read(j, "shift", r.shift);
  read(j, "seed", r.seed);
  read(j, "sampler", r.sampler);
  read(j, "device", r.device);
  read(j, "threads", r.threads);
  read(j, "image", r.imagePath);
  read(j, "init_noise", r.initNoisePath);
  read(j, "save_latents", r.saveLatentsPath);
  read(j, "record_attention", r.recordAttentionPath);
  read(j, "tiled_decode", r.tiledDecode);
  read(j, "vram_gib", r.vramGiB);
  read(j, "structured_attention", r.structuredAttention);
  if (j.contains("attention")) r.attention = attentionFromJson(j.at("attention"));
  return r;
}

std::string resultMetadataJson(const GenerationResult& result) {
  json timings = json::object();
  json peaks = json::object();
  for (const auto& t : result.timings) {
    timings[t.name] = t.seconds;
    if (t.peakGpuGiB >= 0) peaks[t.name] = t.peakGpuGiB;
  }
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  json j = {{"generator", "svgen " SVGEN_VERSION},
            {"created", stamp},
            {"request", toJsonObject(result.request)},
            {"model_label", result.modelLabel},
            {"device", result.device},
            {"frames", result.video.frames},
            {"width", result.video.width},
            {"height", result.video.height},
            {"fps", result.video.fps},
            {"timings_seconds", timings},
            {"attention_seconds", result.attentionSeconds},
            {"step_seconds", result.stepSeconds},
            {"attention_density", result.attentionDensity},
            {"sparse_attention_density", result.sparseAttentionDensity},
            {"total_seconds", result.totalSeconds}};
  if (!peaks.empty()) j["peak_gpu_memory_gib"] = peaks;
  if (!result.notes.empty()) j["notes"] = result.notes;
  return j.dump();
}

}  // namespace svgen
