#include "core/model/checkpoint_inspection.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/common/string_affixes.h"
#include "core/io/gguf_file.h"
#include "core/io/safetensors.h"
#include "core/model/checkpoint_files.h"
#include "core/model/hunyuan/hunyuan_inspection.h"
#include "core/model/hunyuan/hunyuan_keys.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// Sorted, so reports and shard order do not depend on the file system.
std::vector<fs::path> filesIn(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string damagedAdvice(const std::string& reason) {
  return reason + "; the file is incomplete or damaged: download it again";
}

std::string formatOf(const std::vector<std::shared_ptr<TensorFile>>& files, bool indexed) {
  const size_t n = files.size();
  if (indexed) return "safetensors, " + std::to_string(n) + " shards + index";
  std::string format = n ? files.front()->formatName() : "safetensors";
  if (n == 1) {
    if (auto* gguf = dynamic_cast<const GgufFile*>(files.front().get())) {
      format += " v" + std::to_string(gguf->version());
      if (!gguf->architecture().empty()) format += ", architecture " + gguf->architecture();
    }
    return format;
  }
  return format + ", " + std::to_string(n) + " files";
}

const char* roleLabel(WeightRole role) {
  switch (role) {
    case WeightRole::Transformer:
      return "transformer";
    case WeightRole::TextEncoder:
      return "text encoder";
    case WeightRole::Vae:
      return "VAE";
    default:
      return "weights";
  }
}

// Which expert of a Wan 2.2 two-expert model a file or folder name says it is: ComfyUI's
// "wan2.2_t2v_high_noise_14B_fp16", the original "low_noise_model/", GGUF conversions'
// "Wan2.2-T2V-A14B-LowNoise-Q4_K_M". Only the part below the inspected path counts.
enum class Expert { Unnamed, HighNoise, LowNoise };

Expert expertNamed(const std::string& where, const std::string& root) {
  std::string name = where.size() > root.size() && startsWith(where, root)
                         ? where.substr(root.size())
                         : fs::path(where).filename().string();
  std::string squeezed;
  for (char ch : name)
    if (ch != '_' && ch != '-' && ch != ' ') squeezed += static_cast<char>(std::tolower(ch));
  if (squeezed.find("lownoise") != std::string::npos) return Expert::LowNoise;
  if (squeezed.find("highnoise") != std::string::npos) return Expert::HighNoise;
  return Expert::Unnamed;
}

// What must agree between the two experts of one model.
std::string shapeSummary(const WanConfig& c) {
  return "dim " + std::to_string(c.dim) + ", " + std::to_string(c.numLayers) + " layers, " +
         std::to_string(c.inChannels) + " input and " + std::to_string(c.outChannels) +
         " output channels, text width " + std::to_string(c.textDim);
}

// Copies one field, named as in config.json, from the shapes' config into a stated one.
void copyField(WanConfig& to, const WanConfig& from, const std::string& field) {
  if (field == "dim") to.dim = from.dim;
  if (field == "ffn_dim") to.ffnDim = from.ffnDim;
  if (field == "num_layers") to.numLayers = from.numLayers;
  if (field == "patch_size") to.patch = from.patch;
  if (field == "in_dim") to.inChannels = from.inChannels;
  if (field == "out_dim") to.outChannels = from.outChannels;
  if (field == "text_dim") to.textDim = from.textDim;
  if (field == "freq_dim") to.freqDim = from.freqDim;
  if (field == "image_dim") to.imageDim = from.imageDim;
}

class Inspector {
 public:
  explicit Inspector(const std::string& path) { r_.path = path; }

  CheckpointInspection run() {
    const fs::path path(r_.path);
    std::error_code ec;
    if (!fs::exists(path, ec)) throw InputError(r_.path + ": no such file or folder");
    // HunyuanVideo's pipeline folders have components of their own kinds.
    if (fs::is_directory(path, ec) && isHunyuanPipelineFolder(r_.path))
      return inspectHunyuanFolder(r_.path);
    if (fs::is_directory(path, ec)) {
      inspectFolder(path);
    } else {
      inspectSingleFile(path);
    }
    finish();
    return std::move(r_);
  }

 private:
  InspectedComponent& component(WeightRole role) {
    switch (role) {
      case WeightRole::Transformer:
        return lowNoise_ ? r_.lowNoiseTransformer : r_.transformer;
      case WeightRole::TextEncoder:
        return r_.textEncoder;
      case WeightRole::ImageEncoder:
        return r_.imageEncoder;
      default:
        return r_.vae;
    }
  }

  // Where transformer weights found at `where` go: the expert its name says (the model then has
  // two), else the transformer the layout being read is filling.
  InspectedComponent& transformerSlot(const std::string& where) {
    switch (expertNamed(where, r_.path)) {
      case Expert::LowNoise:
        expertsNamed_ = true;
        return r_.lowNoiseTransformer;
      case Expert::HighNoise:
        expertsNamed_ = true;
        return r_.transformer;
      default:
        return component(WeightRole::Transformer);
    }
  }

  // Where a layout keeps each expert, for the message when one is missing.
  std::string expertPlace(bool lowNoise) const {
    if (r_.layout == "diffusers") return lowNoise ? "transformer_2/" : "transformer/";
    if (r_.layout == "wan-original") return lowNoise ? "low_noise_model/" : "high_noise_model/";
    return lowNoise ? "a file named low_noise" : "a file named high_noise";
  }

  void inspectFolder(const fs::path& dir) {
    const fs::path config = dir / "config.json";
    nlohmann::json configJson;
    if (fs::is_regular_file(config)) configJson = readJsonFile(config.string());
    const bool configIsObject = configJson.is_object();
    const std::string className =
        configIsObject ? configJson.value("_class_name", std::string()) : std::string();
    refuseHunyuanFolder(dir, className);

    if (configIsObject && configJson.value("format", std::string()) == "svgen") {
      inspectSvgen(dir, configJson);
    } else if (fs::is_regular_file(dir / "model_index.json") ||
               fs::is_directory(dir / "transformer")) {
      inspectDiffusers(dir);
    } else if (fs::is_directory(dir / "high_noise_model") ||
               fs::is_directory(dir / "low_noise_model")) {
      inspectWan22Original(dir);
    } else if (className == "WanTransformer3DModel") {
      r_.layout = "diffusers";
      r_.layoutDescription = "a diffusers transformer folder (no pipeline around it)";
      addWeightFolder(dir, WeightRole::Transformer);
      stated_ = wanConfigFromAnyJson(configJson);
    } else if (className == "WanModel" || (configIsObject && configJson.contains("dim")) ||
               holdsOriginalWanFiles(dir)) {
      inspectWanOriginal(dir, configIsObject ? configJson : nlohmann::json());
    } else {
      inspectLooseFiles(dir);
    }
  }

  static bool holdsOriginalWanFiles(const fs::path& dir) {
    for (const auto& f : filesIn(dir)) {
      const std::string name = f.filename().string();
      if (startsWith(name, "diffusion_pytorch_model") || startsWith(name, "models_t5_") ||
          name == "Wan2.1_VAE.pth")
        return true;
    }
    return false;
  }

  void inspectSvgen(const fs::path& dir, const nlohmann::json& config) {
    r_.layout = "svgen";
    r_.layoutDescription = "an svgen model folder (config.json \"format\": \"svgen\")";
    if (config.contains("dit")) stated_ = wanConfigFromAnyJson(config.at("dit"));
    svgenLabel_ = config.value("label", std::string("svgen model"));
    addWeightFolder(dir, WeightRole::Unknown);
    if (config.contains("vocabulary") && config.at("vocabulary").is_array()) {
      InspectedComponent& t = r_.tokenizer;
      t.found = t.readable = true;
      t.path = (dir / "config.json").string();
      t.files = {t.path};
      t.format = "word list in config.json";
      t.detail = std::to_string(config.at("vocabulary").size()) + " words";
    }
    r_.vaeNeeded = false;
    const bool latent = config.contains("autoencoder") && config.at("autoencoder").is_object();
    r_.vae.detail = latent ? "not needed: the model's own autoencoder is in its weights file"
                           : "not needed: the model works in pixel space";
  }

  void inspectDiffusers(const fs::path& dir) {
    r_.layout = "diffusers";
    r_.layoutDescription = "a diffusers pipeline folder";
    if (fs::is_regular_file(dir / "model_index.json")) {
      const nlohmann::json index = readJsonFile((dir / "model_index.json").string());
      if (index.is_object() && index.contains("_class_name") && index["_class_name"].is_string())
        r_.layoutDescription += " (" + index["_class_name"].get<std::string>() + ")";
      // Wan 2.2 A14B's pipelines state where the low-noise expert takes over.
      if (index.is_object() && index.contains("boundary_ratio") &&
          index["boundary_ratio"].is_number())
        statedBoundary_ = index["boundary_ratio"].get<double>();
    }
    const fs::path transformer = dir / "transformer";
    if (fs::is_directory(transformer)) {
      if (fs::is_regular_file(transformer / "config.json"))
        stated_ = wanConfigFromAnyJson(readJsonFile((transformer / "config.json").string()));
      addWeightFolder(transformer, WeightRole::Transformer);
    }
    if (fs::is_directory(dir / "transformer_2")) {
      lowNoise_ = true;
      addWeightFolder(dir / "transformer_2", WeightRole::Transformer);
      lowNoise_ = false;
    }
    if (fs::is_directory(dir / "text_encoder")) {
      addWeightFolder(dir / "text_encoder", WeightRole::TextEncoder);
      describeT5Config(dir / "text_encoder" / "config.json");
    }
    if (fs::is_directory(dir / "tokenizer")) findTokenizer(dir / "tokenizer", 0);
    if (fs::is_directory(dir / "vae")) addWeightFolder(dir / "vae", WeightRole::Vae);
    if (fs::is_directory(dir / "image_encoder"))
      addWeightFolder(dir / "image_encoder", WeightRole::ImageEncoder);
  }

  void inspectWanOriginal(const fs::path& dir, const nlohmann::json& config) {
    r_.layout = "wan-original";
    r_.layoutDescription = "a Wan2.1 repository folder (original key names)";
    if (config.is_object()) stated_ = wanConfigFromAnyJson(config);
    addOriginalDiT(dir);
    addOriginalOthers(dir);
  }

  // Wan 2.2's original A14B folder: high_noise_model/ and low_noise_model/, each a transformer
  // with its config.json, beside umT5 and the VAE.
  void inspectWan22Original(const fs::path& dir) {
    r_.layout = "wan-original";
    r_.layoutDescription = "a Wan2.2 repository folder (two experts, original key names)";
    for (const char* sub : {"high_noise_model", "low_noise_model"}) {
      const fs::path expert = dir / sub;
      if (!fs::is_directory(expert)) continue;
      lowNoise_ = std::string(sub) == "low_noise_model";
      const fs::path config = expert / "config.json";
      if (!stated_ && fs::is_regular_file(config)) {
        const nlohmann::json j = readJsonFile(config.string());
        if (j.is_object()) stated_ = wanConfigFromAnyJson(j);
      }
      addOriginalDiT(expert);
      lowNoise_ = false;
    }
    addOriginalOthers(dir);
  }

  void addOriginalDiT(const fs::path& dir) {
    std::vector<fs::path> ditFiles;
    fs::path ditIndex;
    for (const auto& f : filesIn(dir)) {
      const std::string name = f.filename().string();
      if (!startsWith(name, "diffusion_pytorch_model")) continue;
      if (endsWith(name, ".safetensors.index.json"))
        ditIndex = f;
      else if (endsWith(name, ".safetensors"))
        ditFiles.push_back(f);
    }
    if (!ditIndex.empty()) {
      addTensorFileSet({ditIndex}, ditIndex.string(), WeightRole::Transformer);
    } else if (!ditFiles.empty()) {
      addTensorFileSet(ditFiles, dir.string(), WeightRole::Transformer);
    }
  }

  void addOriginalOthers(const fs::path& dir) {
    for (const auto& f : filesIn(dir)) {
      const std::string name = f.filename().string();
      if (startsWith(name, "diffusion_pytorch_model") || !looksLikeWeightFile(f.string()) ||
          endsWith(name, ".index.json"))
        continue;
      addWeightFile(f, WeightRole::Unknown);
    }
    findTokenizer(dir, 3);
  }

  // A ComfyUI models folder (diffusion_models/, text_encoders/, vae/) or any folder of loose
  // weight files, a few levels deep.
  void inspectLooseFiles(const fs::path& dir) {
    r_.layout = "files";
    r_.layoutDescription = "a folder of separate weight files";
    scanLoose(dir, 3);
    findTokenizer(dir, 3);
    for (const char* comfy : {"diffusion_models", "text_encoders", "unet", "clip"}) {
      if (fs::is_directory(dir / comfy)) comfyFolder_ = true;
    }
    if (comfyFolder_ || r_.transformer.detail.find("model.diffusion_model.") != std::string::npos) {
      r_.layout = "comfyui";
      r_.layoutDescription = "ComfyUI weight files (one file per component)";
    }
    // Single files do not record the head count (it is assumed from the width, right for the
    // released models); a Wan config.json beside the DiT file states it for other sizes.
    if (r_.transformer.found) {
      const fs::path config = fs::path(r_.transformer.path).parent_path() / "config.json";
      if (fs::is_regular_file(config)) {
        const nlohmann::json j = readJsonFile(config.string());
        if (j.is_object() && (j.contains("dim") || j.contains("num_attention_heads")))
          stated_ = wanConfigFromAnyJson(j);
      }
    }
  }

  void scanLoose(const fs::path& dir, int depth) {
    std::vector<fs::path> indexed;
    for (const auto& f : filesIn(dir)) {
      if (endsWith(f.filename().string(), ".safetensors.index.json")) indexed.push_back(f);
    }
    for (const auto& index : indexed)
      addTensorFileSet({index}, index.string(), WeightRole::Unknown);
    for (const auto& f : filesIn(dir)) {
      const std::string name = f.filename().string();
      if (!looksLikeWeightFile(f.string()) || endsWith(name, ".index.json")) continue;
      // Shards belong to the index read above.
      if (!indexed.empty() && endsWith(name, ".safetensors")) continue;
      addWeightFile(f, WeightRole::Unknown);
    }
    if (depth <= 1) return;
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.is_directory(ec)) dirs.push_back(e.path());
    }
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) scanLoose(d, depth - 1);
  }

  void inspectSingleFile(const fs::path& file) {
    const WeightFileKind kind = sniffWeightFile(file.string());
    const std::string advice = conversionAdvice(file.string(), kind);
    if (!advice.empty()) throw InputError(advice);
    if (kind == WeightFileKind::Unknown) {
      throw InputError(file.string() +
                       ": not a weight file svgen knows (it reads .safetensors files, their "
                       ".safetensors.index.json and GGUF files)");
    }
    std::vector<std::shared_ptr<TensorFile>> files;
    try {
      files = openSet({file});
    } catch (const InputError& e) {
      throw InputError(damagedAdvice(e.what()));
    }
    addOpened(files, file.string(), WeightRole::Unknown, kind == WeightFileKind::SafetensorsIndex);
    const bool comfy = r_.transformer.detail.find("model.diffusion_model.") != std::string::npos;
    r_.layout = comfy ? "comfyui" : "single-file";
    for (WeightRole role : {WeightRole::Transformer, WeightRole::TextEncoder, WeightRole::Vae}) {
      if (component(role).found && r_.layoutDescription.empty())
        r_.layoutDescription =
            std::string(comfy ? "a ComfyUI " : "a single ") + roleLabel(role) + " file";
    }
    if (r_.layoutDescription.empty()) {
      std::vector<std::string> keys;
      for (const auto& f : files)
        for (const TensorInfo& t : f->tensors()) keys.push_back(t.name);
      const std::string hunyuan = detectHunyuanKeyLayout(keys);
      if (hunyuan != "unknown")
        throw InputError(hunyuanNotRunnable(file.string(),
                                            "a HunyuanVideo transformer (" + hunyuan + " names)"));
      throw InputError(file.string() +
                       ": holds no Wan 2.1 transformer, umT5 text encoder or VAE tensors");
    }
  }

  // HunyuanVideo's diffusers folders (a pipeline, or its transformer alone) are told apart by
  // their class names before Wan's parsing trips over their configs.
  static void refuseHunyuanFolder(const fs::path& dir, const std::string& className) {
    const std::string pipeline = diffusersClassName((dir / "model_index.json").string());
    const std::string transformer =
        diffusersClassName((dir / "transformer" / "config.json").string());
    if (pipeline.rfind("HunyuanVideo", 0) == 0 || transformer.rfind("HunyuanVideo", 0) == 0)
      throw InputError(hunyuanNotRunnable(dir.string(), "a diffusers HunyuanVideo folder"));
    if (className.rfind("HunyuanVideo", 0) == 0)
      throw InputError(hunyuanNotRunnable(dir.string(), "a diffusers " + className + " folder"));
  }

  static std::vector<std::shared_ptr<TensorFile>> openSet(const std::vector<fs::path>& paths) {
    std::vector<std::shared_ptr<TensorFile>> files;
    if (paths.size() == 1 && endsWith(paths[0].string(), ".json")) {
      const Checkpoint index = Checkpoint::open(paths[0].string());
      files.assign(index.files().begin(), index.files().end());
      return files;
    }
    for (const auto& p : paths) {
      if (sniffWeightFile(p.string()) == WeightFileKind::Gguf)
        files.push_back(GgufFile::open(p.string()));
      else
        files.push_back(SafetensorsFile::open(p.string()));
    }
    return files;
  }

  // `role` Unknown lets the tensor names decide; otherwise the folder named it (diffusers).
  void addTensorFileSet(const std::vector<fs::path>& paths, const std::string& where,
                        WeightRole role) {
    std::vector<std::shared_ptr<TensorFile>> files;
    try {
      files = openSet(paths);
    } catch (const InputError& e) {
      const bool gguf = sniffWeightFile(paths[0].string()) == WeightFileKind::Gguf;
      addUnreadable(where, gguf ? "GGUF (unreadable)" : "safetensors (unreadable)",
                    damagedAdvice(e.what()), role);
      return;
    }
    const bool indexed = paths.size() == 1 && endsWith(paths[0].string(), ".json");
    addOpened(files, where, role, indexed);
  }

  void addOpened(const std::vector<std::shared_ptr<TensorFile>>& files, const std::string& where,
                 WeightRole role, bool indexed) {
    SplitTensors split = splitByRole(files);
    const std::string format = formatOf(files, indexed);
    if (role != WeightRole::Unknown && role != WeightRole::Transformer) {
      // The folder says what it is; names of other components there would be a mislabel.
      TensorSetSummary all = merged(split);
      record(role, all, where, format);
      return;
    }
    record(WeightRole::Transformer, split.transformer, where, format);
    if (role == WeightRole::Transformer) {
      TensorSetSummary other = merged(split, /*skipTransformer=*/true);
      if (other.tensors)
        r_.notes.push_back(where + ": " + std::to_string(other.tensors) +
                           " tensors besides the transformer's (ignored)");
      return;
    }
    record(WeightRole::TextEncoder, split.textEncoder, where, format);
    record(WeightRole::Vae, split.vae, where, format);
    record(WeightRole::ImageEncoder, split.imageEncoder, where, format);
    if (split.unknown.tensors)
      r_.notes.push_back(where + ": " + std::to_string(split.unknown.tensors) +
                         " tensors of no recognised component (ignored)");
  }

  static TensorSetSummary merged(const SplitTensors& split, bool skipTransformer = false) {
    TensorSetSummary out;
    std::vector<const TensorSetSummary*> parts = {&split.textEncoder, &split.vae,
                                                  &split.imageEncoder, &split.unknown};
    if (!skipTransformer) parts.push_back(&split.transformer);
    for (const auto* p : parts) {
      for (const auto& f : p->files) {
        if (std::find(out.files.begin(), out.files.end(), f) == out.files.end())
          out.files.push_back(f);
      }
      for (const auto& d : p->dtypes) {
        if (std::find(out.dtypes.begin(), out.dtypes.end(), d) == out.dtypes.end())
          out.dtypes.push_back(d);
      }
      out.parameters += p->parameters;
      out.tensors += p->tensors;
      out.vaePatch = std::max(out.vaePatch, p->vaePatch);
    }
    std::sort(out.dtypes.begin(), out.dtypes.end());
    return out;
  }

  void record(WeightRole role, const TensorSetSummary& s, const std::string& where,
              const std::string& format) {
    if (s.tensors == 0) return;
    InspectedComponent& c =
        role == WeightRole::Transformer ? transformerSlot(where) : component(role);
    if (c.found) {
      // Picking one silently could pair one model's transformer with another's encoder.
      auto& seen = alternatives_[&c];
      if (seen.empty()) seen.push_back(c.path);
      seen.push_back(where);
      return;
    }
    c.found = c.readable = true;
    c.path = where;
    c.files = s.files;
    c.format = format;
    c.dtypes = s.dtypes;
    c.parameters = s.parameters;
    if (!s.keyPrefix.empty()) c.detail = "key prefix " + s.keyPrefix;
    if (role == WeightRole::Vae && s.vaePatch > 0) vaePatch_ = s.vaePatch;
    if (role != WeightRole::Transformer) return;
    c.detail = "keys: " + s.keyLayout + " names" +
               (s.keyPrefix.empty() ? std::string() : ", prefix " + s.keyPrefix);
    WanShapeMap& shapes = &c == &r_.lowNoiseTransformer ? lowNoiseShapes_ : ditShapes_;
    for (size_t i = 0; i < s.keys.size(); ++i) shapes[s.keys[i]] = s.shapes[i];
  }

  void addUnreadable(const std::string& path, const std::string& format, const std::string& problem,
                     WeightRole role) {
    r_.problems.push_back(problem);
    if (role == WeightRole::Unknown) role = roleFromFileName(path);
    if (role == WeightRole::Unknown) return;
    InspectedComponent& c =
        role == WeightRole::Transformer ? transformerSlot(path) : component(role);
    if (c.found) return;
    c.found = true;
    c.readable = false;
    c.path = path;
    c.files = {path};
    c.format = format;
    c.problem = problem;
  }

  void addWeightFile(const fs::path& file, WeightRole role) {
    const WeightFileKind kind = sniffWeightFile(file.string());
    switch (kind) {
      case WeightFileKind::Pickle:
        addUnreadable(file.string(), "PyTorch pickle", conversionAdvice(file.string(), kind), role);
        return;
      case WeightFileKind::Gguf:
      case WeightFileKind::Safetensors:
      case WeightFileKind::SafetensorsIndex:
        addTensorFileSet({file}, file.string(), role);
        return;
      default:
        r_.notes.push_back(file.string() + ": not a weight file svgen knows (ignored)");
    }
  }

  // A component folder (diffusers' transformer/, vae/, ...; svgen's model folder): its index when
  // it has one, else all its safetensors; GGUF files as they come, pickles named as unreadable.
  void addWeightFolder(const fs::path& dir, WeightRole role) {
    std::vector<fs::path> index, safetensors, others;
    for (const auto& f : filesIn(dir)) {
      const std::string name = f.filename().string();
      if (endsWith(name, ".safetensors.index.json"))
        index.push_back(f);
      else if (endsWith(name, ".safetensors"))
        safetensors.push_back(f);
      else if (looksLikeWeightFile(name) && !endsWith(name, ".json"))
        others.push_back(f);
    }
    if (index.size() > 1) {
      addUnreadable(dir.string(), "safetensors (ambiguous)",
                    dir.string() + ": holds " + std::to_string(index.size()) +
                        " .safetensors.index.json files; keep the one to use",
                    role);
      return;
    }
    if (!index.empty()) {
      addTensorFileSet(index, index[0].string(), role);
    } else if (!safetensors.empty()) {
      addTensorFileSet(safetensors, dir.string(), role);
    }
    for (const auto& f : others) addWeightFile(f, role);
  }

  void describeT5Config(const fs::path& config) {
    if (!fs::is_regular_file(config) || !r_.textEncoder.found) return;
    const nlohmann::json j = readJsonFile(config.string());
    if (!j.is_object()) return;
    std::string d;
    if (j.contains("d_model") && j["d_model"].is_number_integer())
      d = "d_model " + std::to_string(j["d_model"].get<int>());
    if (j.contains("num_layers") && j["num_layers"].is_number_integer())
      d += (d.empty() ? "" : ", ") + std::to_string(j["num_layers"].get<int>()) + " layers";
    if (d.empty()) return;
    std::string& detail = r_.textEncoder.detail;
    detail += (detail.empty() ? "config.json: " : "; config.json: ") + d;
  }

  // umT5's SentencePiece model or a Hugging Face tokenizer.json, in `dir` or below it.
  void findTokenizer(const fs::path& dir, int depth) {
    if (r_.tokenizer.found) return;
    for (const auto& [file, format] : std::vector<std::pair<const char*, const char*>>{
             {"spiece.model", "SentencePiece model"},
             {"tokenizer.json", "Hugging Face tokenizer.json"}}) {
      if (fs::is_regular_file(dir / file)) {
        InspectedComponent& t = r_.tokenizer;
        t.found = t.readable = true;
        t.path = dir.string();
        t.files = {(dir / file).string()};
        t.format = format;
        return;
      }
    }
    if (depth <= 0) return;
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.is_directory(ec)) dirs.push_back(e.path());
    }
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) findTokenizer(d, depth - 1);
  }

  std::optional<DescribedWanConfig> configOfShapes(const WanShapeMap& shapes,
                                                   const std::string& where) {
    if (shapes.empty()) return std::nullopt;
    try {
      DescribedWanConfig c = inferWanConfigFromShapes(shapes);
      for (const auto& p : c.problems) r_.problems.push_back(where + ": " + p);
      return c;
    } catch (const InputError& e) {
      r_.problems.push_back(where + ": " + e.what());
      return std::nullopt;
    }
  }

  // Wan 2.2's experts: both or neither, of one shape, and where the second takes over.
  void finishExperts(const std::optional<DescribedWanConfig>& high) {
    InspectedComponent& low = r_.lowNoiseTransformer;
    const bool twoExperts = low.found || statedBoundary_ || expertsNamed_;
    if (!twoExperts) return;
    const std::optional<DescribedWanConfig> lowConfig = configOfShapes(lowNoiseShapes_, low.path);
    if (high && lowConfig && shapeSummary(high->config) != shapeSummary(lowConfig->config)) {
      r_.problems.push_back("the two experts differ: the high-noise one has " +
                            shapeSummary(high->config) + ", the low-noise one " +
                            shapeSummary(lowConfig->config));
      low.problem = "does not have the high-noise expert's shape: use both experts of one model";
    }
    r_.boundaryRatio = statedBoundary_.value_or(r_.imageToVideo ? 0.9 : 0.875);
    if (!statedBoundary_)
      r_.notes.push_back("boundary_ratio not stated: Wan 2.2's " +
                         std::string(r_.imageToVideo ? "0.9 (image-to-video)" : "0.875") +
                         ", the low-noise expert below timestep " +
                         std::to_string(static_cast<int>(r_.boundaryRatio * 1000)));
    if (r_.config) {
      const WanConfig& c = r_.config->config;
      const bool a14b = c.dim == 5120 && c.numLayers == 40 && c.outChannels == 16;
      r_.modelName = a14b ? (r_.imageToVideo ? "Wan 2.2 I2V A14B" : "Wan 2.2 T2V A14B")
                          : "Wan 2.2 two-expert (custom size)";
    }
    if (!low.found && low.problem.empty())
      low.problem = "not found: a Wan 2.2 two-expert model needs its low-noise expert (" +
                    expertPlace(true) + ")";
    if (!r_.transformer.found)
      r_.transformer.problem =
          "not found: a Wan 2.2 two-expert model needs its high-noise expert (" +
          expertPlace(false) + ")";
  }

  void finish() {
    std::optional<DescribedWanConfig> fromShapes = configOfShapes(ditShapes_, r_.transformer.path);
    // With only the low-noise expert at hand its shapes still say what the model is.
    if (!fromShapes && ditShapes_.empty())
      fromShapes = configOfShapes(lowNoiseShapes_, r_.lowNoiseTransformer.path);
    if (stated_ && fromShapes) {
      r_.configConflicts = wanConfigConflicts(*stated_, *fromShapes);
      // Fields config.json left out but the shapes settle are no longer assumptions.
      for (auto it = stated_->assumed.begin(); it != stated_->assumed.end();) {
        if (fromShapes->assumed.count(it->first)) {
          ++it;
          continue;
        }
        copyField(stated_->config, fromShapes->config, it->first);
        it = stated_->assumed.erase(it);
      }
    }
    r_.config = stated_ ? stated_ : fromShapes;
    if (r_.config)
      r_.modelName = svgenLabel_.empty() ? wanModelName(r_.config->config) : svgenLabel_;
    r_.imageEncoderNeeded = r_.config && r_.config->config.imageDim > 0;
    r_.imageToVideo = r_.config && r_.config->config.inChannels > r_.config->config.outChannels;
    // Three 2x stages in both VAEs; Wan 2.2's codes 2×2 patches of pixels.
    r_.vaeSpatialScale = vaePatch_ > 0 ? 8 * vaePatch_
                         : r_.config   ? wanVaeScaleOfLatents(r_.config->config)
                                       : 8;
    if (vaePatch_ > 1)
      r_.vae.detail += std::string(r_.vae.detail.empty() ? "" : "; ") +
                       "Wan 2.2's VAE: 2×2 pixel patches, 16x in space";
    finishExperts(fromShapes);

    const bool singleFile = r_.layout == "comfyui" || r_.layout == "single-file";
    if (!r_.tokenizer.found && r_.layout != "svgen") {
      r_.tokenizer.problem =
          "not found: text-to-video needs umT5's spiece.model or tokenizer.json (google/umt5-xxl)";
      if (r_.layout == "comfyui" || singleFile)
        r_.tokenizer.problem += "; ComfyUI files do not carry it";
    }
    for (WeightRole role : {WeightRole::Transformer, WeightRole::TextEncoder, WeightRole::Vae}) {
      InspectedComponent& c = component(role);  // the high-noise expert, of two
      if (!c.found && c.problem.empty() && (role != WeightRole::Vae || r_.vaeNeeded))
        c.problem =
            singleFile ? "not in this file: pass the folder holding all the files" : "not found";
    }
    if (r_.imageEncoderNeeded && !r_.imageEncoder.found && r_.imageEncoder.problem.empty())
      r_.imageEncoder.problem =
          "not found: image-to-video needs the CLIP ViT-H/14 image encoder (diffusers' "
          "image_encoder/ folder, or ComfyUI's clip_vision_h.safetensors)";
    for (const auto& [component, paths] : alternatives_) {
      std::string list;
      for (size_t i = 0; i < paths.size() && i < 4; ++i) list += (i ? ", " : "") + paths[i];
      if (paths.size() > 4) list += " and " + std::to_string(paths.size() - 4) + " more";
      component->problem =
          std::to_string(paths.size()) + " found (" + list +
          "): svgen needs exactly one; point it at a folder holding one model's files (links "
          "to them will do)";
    }
    auto need = [&](const char* key, const InspectedComponent& c) {
      if (!c.found || !c.readable || !c.problem.empty()) r_.missing.push_back(key);
    };
    need("transformer", r_.transformer);
    if (r_.boundaryRatio > 0) need("transformer_2", r_.lowNoiseTransformer);
    need("text_encoder", r_.textEncoder);
    need("tokenizer", r_.tokenizer);
    if (r_.vaeNeeded) need("vae", r_.vae);
    if (r_.imageEncoderNeeded) need("image_encoder", r_.imageEncoder);

    const bool anything = r_.transformer.found || r_.lowNoiseTransformer.found ||
                          r_.textEncoder.found || r_.vae.found || r_.tokenizer.found ||
                          r_.imageEncoder.found;
    if (!anything) {
      std::string why = r_.path + ": holds nothing recognisable as a Wan 2.1 checkpoint";
      for (const auto& p : r_.problems) why += "\n  " + p;
      if (r_.problems.empty())
        why +=
            " (no diffusers model_index.json, Wan config.json, svgen config.json or weight files)";
      throw InputError(why);
    }
  }

  CheckpointInspection r_;
  WanShapeMap ditShapes_, lowNoiseShapes_;
  int vaePatch_ = 0;           // the VAE decoder's pixel patch side, when read
  bool lowNoise_ = false;      // transformer weights found now are the low-noise expert's
  bool expertsNamed_ = false;  // a transformer's file or folder named its expert
  std::optional<double> statedBoundary_;
  std::optional<DescribedWanConfig> stated_;
  std::string svgenLabel_;
  bool comfyFolder_ = false;
  // Components found more than once: every place each was found.
  std::map<InspectedComponent*, std::vector<std::string>> alternatives_;
};

}  // namespace

CheckpointInspection inspectCheckpoint(const std::string& path) {
  return Inspector(path).run();
}

const InspectedComponent* CheckpointInspection::component(const std::string& key) const {
  const std::pair<const char*, const InspectedComponent*> parts[] = {
      {"transformer", &transformer},
      {"transformer_2", &lowNoiseTransformer},
      {"text_encoder", &textEncoder},
      {"tokenizer", &tokenizer},
      {"vae", &vae},
      {"image_encoder", &imageEncoder},
      {"text_encoder_2", &textEncoder2},
      {"tokenizer_2", &tokenizer2}};
  for (const auto& [name, c] : parts)
    if (key == name) return c;
  return nullptr;
}

std::string diffusersClassName(const std::string& jsonPath) {
  std::error_code ec;
  if (!fs::is_regular_file(jsonPath, ec)) return {};
  try {
    const nlohmann::json j = readJsonFile(jsonPath);
    return j.is_object() ? j.value("_class_name", std::string()) : std::string();
  } catch (const std::exception&) {
    return {};
  }
}

std::string parameterCountText(int64_t n) {
  char buf[32];
  if (n >= 1000000000)
    std::snprintf(buf, sizeof buf, "%.2f B", n / 1e9);
  else if (n >= 1000000)
    std::snprintf(buf, sizeof buf, "%.1f M", n / 1e6);
  else if (n >= 1000)
    std::snprintf(buf, sizeof buf, "%.1f K", n / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  return buf;
}

}  // namespace svgen
