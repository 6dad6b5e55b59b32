#include "core/model/hunyuan/hunyuan_inspection.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/dtype.h"
#include "core/io/safetensors.h"
#include "core/model/hunyuan/hunyuan_config.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// A component folder's safetensors (its index, or every file), from their headers.
InspectedComponent weightFolder(const fs::path& dir, const std::string& expected) {
  InspectedComponent c;
  c.path = dir.string();
  if (!fs::is_directory(dir)) {
    c.problem = "not found: " + expected;
    return c;
  }
  c.found = true;
  try {
    const Checkpoint ckpt = Checkpoint::open(dir.string());
    if (ckpt.size() == 0) throw InputError(dir.string() + " holds no safetensors weights");
    c.readable = true;
    c.format = "safetensors";
    c.parameters = 0;
    for (const auto& file : ckpt.files()) {
      c.files.push_back(file->path());
      for (const TensorInfo& t : file->tensors()) {
        c.parameters += t.numel();
        const std::string d = dtypeName(t.dtype);
        if (std::find(c.dtypes.begin(), c.dtypes.end(), d) == c.dtypes.end()) c.dtypes.push_back(d);
      }
    }
    std::sort(c.dtypes.begin(), c.dtypes.end());
  } catch (const InputError& e) {
    c.format = "safetensors (unreadable)";
    c.problem = e.what();
  }
  return c;
}

InspectedComponent tokenizerFolder(const fs::path& dir, const std::vector<std::string>& files,
                                   const std::string& format, const std::string& expected) {
  InspectedComponent c;
  c.path = dir.string();
  std::vector<std::string> absent;
  for (const std::string& f : files) {
    if (fs::is_regular_file(dir / f))
      c.files.push_back((dir / f).string());
    else
      absent.push_back(f);
  }
  c.found = !c.files.empty();
  c.readable = absent.empty();
  c.format = format;
  if (!c.found)
    c.problem = "not found: " + expected;
  else if (!absent.empty())
    c.problem = "incomplete: " + absent.front() + " is missing";
  return c;
}

}  // namespace

bool isHunyuanPipelineFolder(const std::string& path) {
  return diffusersClassName((fs::path(path) / "model_index.json").string())
             .rfind("HunyuanVideoPipeline", 0) == 0;
}

CheckpointInspection inspectHunyuanFolder(const std::string& path) {
  const fs::path dir(path);
  CheckpointInspection r;
  r.path = path;
  r.layout = "hunyuan-diffusers";
  r.layoutDescription = "a diffusers pipeline folder (" +
                        diffusersClassName((dir / "model_index.json").string()) + ")";
  r.transformer =
      weightFolder(dir / "transformer", "transformer/ with the HunyuanVideo transformer");
  r.vae = weightFolder(dir / "vae", "vae/ with the HunyuanVideo VAE");
  r.textEncoder =
      weightFolder(dir / "text_encoder", "text_encoder/ with LLaVA-Llama-3-8B's text model");
  r.textEncoder2 = weightFolder(dir / "text_encoder_2", "text_encoder_2/ with CLIP-L's text model");
  r.tokenizer =
      tokenizerFolder(dir / "tokenizer", {"tokenizer.json"}, "Hugging Face tokenizer.json",
                      "tokenizer/ with Llama 3's tokenizer.json");
  r.tokenizer2 = tokenizerFolder(dir / "tokenizer_2", {"vocab.json", "merges.txt"},
                                 "CLIP vocab.json + merges.txt",
                                 "tokenizer_2/ with CLIP's vocab.json and merges.txt");
  const fs::path config = dir / "transformer" / "config.json";
  if (r.transformer.readable) {
    try {
      const HunyuanConfig c = hunyuanConfigFromJson(readJsonFile(config.string()));
      const bool released = c.dim() == 3072 && c.dualLayers == 20 && c.singleLayers == 40;
      r.modelName = released ? "HunyuanVideo T2V 13B" : "HunyuanVideo (custom size)";
      r.transformer.detail = "config.json: " + std::to_string(c.dualLayers) + " dual + " +
                             std::to_string(c.singleLayers) + " single blocks, " +
                             std::to_string(c.numHeads) + " heads of " + std::to_string(c.headDim);
    } catch (const InputError& e) {
      r.transformer.problem = config.string() + ": " + e.what();
    }
  }
  for (const char* key :
       {"transformer", "text_encoder", "tokenizer", "text_encoder_2", "tokenizer_2", "vae"}) {
    const InspectedComponent& c = *r.component(key);
    if (!c.found || !c.readable || !c.problem.empty()) r.missing.push_back(key);
  }
  return r;
}

}  // namespace svgen
