// svgen inspect's core: tiny fake Wan 2.1 checkpoints in each layout users bring (diffusers,
// ComfyUI, the Wan2.1 repository, svgen's own) must be named right, their transformer config
// recovered from config.json or from tensor shapes alone, and unreadable files named with the fix.
#include "core/common/error.h"
#include "core/io/safetensors.h"
#include "core/model/checkpoint_inspection.h"
#include "core/model/model_family.h"
#include "core/model/wan_config_inference.h"
#include "core/model/wan_keys.h"
#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include <QTemporaryDir>
#include <QtTest>

namespace fs = std::filesystem;
using svgen::CheckpointInspection;
using svgen::DType;
using svgen::WanConfig;

namespace {

WanConfig tinyConfig() {
  WanConfig c;
  c.dim = 64;
  c.numHeads = 2;
  c.numLayers = 2;
  c.ffnDim = 128;
  c.textDim = 32;
  c.freqDim = 16;
  c.patch = {1, 2, 2};
  c.inChannels = 4;
  c.outChannels = 4;
  return c;
}

struct FakeTensor {
  std::string name;  // original Wan name
  std::vector<int64_t> shape;
};

// Every parameter of the DiT, in the original names, with the shapes the model builds.
std::vector<FakeTensor> ditTensors(const WanConfig& c) {
  const int64_t d = c.dim;
  std::vector<FakeTensor> t = {
      {"patch_embedding.weight", {d, c.inChannels, c.patch[0], c.patch[1], c.patch[2]}},
      {"patch_embedding.bias", {d}},
      {"text_embedding.0.weight", {d, c.textDim}},
      {"text_embedding.0.bias", {d}},
      {"text_embedding.2.weight", {d, d}},
      {"text_embedding.2.bias", {d}},
      {"time_embedding.0.weight", {d, c.freqDim}},
      {"time_embedding.0.bias", {d}},
      {"time_embedding.2.weight", {d, d}},
      {"time_embedding.2.bias", {d}},
      {"time_projection.1.weight", {6 * d, d}},
      {"time_projection.1.bias", {6 * d}},
      {"head.head.weight", {int64_t(c.outChannels) * c.patchVolume(), d}},
      {"head.head.bias", {int64_t(c.outChannels) * c.patchVolume()}},
      {"head.modulation", {1, 2, d}},
  };
  for (int i = 0; i < c.numLayers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    for (const char* attn : {"self_attn.", "cross_attn."}) {
      for (const char* proj : {"q.", "k.", "v.", "o."}) {
        t.push_back({b + attn + proj + "weight", {d, d}});
        t.push_back({b + attn + proj + "bias", {d}});
      }
      t.push_back({b + attn + "norm_q.weight", {d}});
      t.push_back({b + attn + "norm_k.weight", {d}});
    }
    t.push_back({b + "norm3.weight", {d}});
    t.push_back({b + "norm3.bias", {d}});
    t.push_back({b + "ffn.0.weight", {c.ffnDim, d}});
    t.push_back({b + "ffn.0.bias", {c.ffnDim}});
    t.push_back({b + "ffn.2.weight", {d, c.ffnDim}});
    t.push_back({b + "ffn.2.bias", {d}});
    t.push_back({b + "modulation", {1, 6, d}});
  }
  return t;
}

int64_t parameterCount(const std::vector<FakeTensor>& tensors) {
  int64_t n = 0;
  for (const auto& t : tensors) {
    int64_t e = 1;
    for (int64_t s : t.shape) e *= s;
    n += e;
  }
  return n;
}

// Small random values as F32 or F16 bytes; the inspection must never look at them.
std::vector<uint8_t> randomBytes(const std::vector<int64_t>& shape, DType dtype,
                                 std::mt19937& rng) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::normal_distribution<float> dist(0.f, 0.02f);
  std::vector<uint8_t> bytes(n * svgen::dtypeSize(dtype));
  for (int64_t i = 0; i < n; ++i) {
    const float v = dist(rng);
    if (dtype == DType::F16) {
      const uint16_t h = svgen::floatToHalf(v);
      std::memcpy(bytes.data() + 2 * i, &h, 2);
    } else {
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    }
  }
  return bytes;
}

enum class Names { Original, Diffusers };

void writeDitFile(const std::string& path, const WanConfig& c, const std::string& prefix,
                  Names names, DType dtype) {
  std::mt19937 rng(1);
  svgen::SafetensorsWriter w;
  for (const auto& t : ditTensors(c)) {
    const std::string name = names == Names::Diffusers ? svgen::wanKeyToDiffusers(t.name) : t.name;
    const auto bytes = randomBytes(t.shape, dtype, rng);
    w.add(prefix + name, dtype, t.shape, bytes.data(), bytes.size());
  }
  fs::create_directories(fs::path(path).parent_path());
  w.write(path);
}

void writeText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A stand-in umT5 encoder in Hugging Face names.
void writeT5File(const std::string& path) {
  std::mt19937 rng(2);
  svgen::SafetensorsWriter w;
  for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"shared.weight", {10, 8}},
           {"encoder.block.0.layer.0.SelfAttention.q.weight", {8, 8}},
           {"encoder.final_layer_norm.weight", {8}}}) {
    const auto bytes = randomBytes(shape, DType::F32, rng);
    w.add(name, DType::F32, shape, bytes.data(), bytes.size());
  }
  fs::create_directories(fs::path(path).parent_path());
  w.write(path);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + " | ";
  return out;
}

void compareShapeFields(const WanConfig& got, const WanConfig& want) {
  QCOMPARE(got.dim, want.dim);
  QCOMPARE(got.numLayers, want.numLayers);
  QCOMPARE(got.ffnDim, want.ffnDim);
  QCOMPARE(got.textDim, want.textDim);
  QCOMPARE(got.freqDim, want.freqDim);
  QVERIFY(got.patch == want.patch);
  QCOMPARE(got.inChannels, want.inChannels);
  QCOMPARE(got.outChannels, want.outChannels);
}

// The message of the InputError `f` throws, or a failure when it throws none.
template <typename F>
std::string inputErrorOf(F f) {
  try {
    f();
  } catch (const svgen::InputError& e) {
    return e.what();
  }
  return "<no InputError>";
}

}  // namespace

class TestCheckpointInspection : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  std::string at(const std::string& relative) {
    return (fs::path(tmp_.path().toStdString()) / relative).string();
  }

  // A diffusers folder: sharded transformer with its config.json, a text encoder, a tokenizer and
  // deliberately no VAE. `statedLayers` lets a test make config.json disagree with the weights.
  std::string makeDiffusers(const std::string& name, int statedLayers) {
    const std::string root = at(name);
    const WanConfig c = tinyConfig();
    writeText(root + "/model_index.json", R"({"_class_name": "WanPipeline"})");
    nlohmann::json config = {{"_class_name", "WanTransformer3DModel"},
                             {"num_attention_heads", c.numHeads},
                             {"attention_head_dim", c.headDim()},
                             {"num_layers", statedLayers},
                             {"ffn_dim", c.ffnDim},
                             {"in_channels", c.inChannels},
                             {"out_channels", c.outChannels},
                             {"text_dim", c.textDim},
                             {"freq_dim", c.freqDim},
                             {"patch_size", c.patch},
                             {"eps", 1e-6}};
    writeText(root + "/transformer/config.json", config.dump());
    std::mt19937 rng(3);
    std::vector<std::vector<uint8_t>> storage;
    std::vector<svgen::TensorRef> refs;
    for (const auto& t : ditTensors(c)) {
      storage.push_back(randomBytes(t.shape, DType::F32, rng));
      refs.push_back({svgen::wanKeyToDiffusers(t.name), DType::F32, t.shape, storage.back().data(),
                      storage.back().size()});
    }
    // Small shards so the folder has several, as real downloads do.
    svgen::writeSharded(root + "/transformer", "diffusion_pytorch_model", refs, 64 * 1024);
    writeT5File(root + "/text_encoder/model.safetensors");
    writeText(root + "/text_encoder/config.json", R"({"d_model": 8, "num_layers": 1})");
    writeText(root + "/tokenizer/spiece.model", "not a real SentencePiece model");
    return root;
  }

 private slots:
  void initTestCase() { QVERIFY(tmp_.isValid()); }

  void diffusersFolderWithoutVae() {
    const std::string root = makeDiffusers("diffusers", tinyConfig().numLayers);
    const CheckpointInspection r = svgen::inspectCheckpoint(root);
    QCOMPARE(r.layout, std::string("diffusers"));
    QVERIFY(r.transformer.found && r.transformer.readable);
    QVERIFY2(r.transformer.files.size() > 1, r.transformer.format.c_str());
    QVERIFY(r.transformer.format.find("shards + index") != std::string::npos);
    QCOMPARE(r.transformer.parameters, parameterCount(ditTensors(tinyConfig())));
    QVERIFY(r.transformer.dtypes == std::vector<std::string>{"F32"});
    QVERIFY(r.transformer.detail.find("diffusers") != std::string::npos);
    QVERIFY(r.textEncoder.found && r.textEncoder.readable);
    QCOMPARE(r.textEncoder.parameters, int64_t(10 * 8 + 8 * 8 + 8));
    QVERIFY(r.tokenizer.found);
    QVERIFY(!r.vae.found);
    QVERIFY2(r.missing == std::vector<std::string>{"vae"}, joined(r.missing).c_str());
    QVERIFY(r.config.has_value());
    QCOMPARE(r.config->source, std::string("config.json"));
    compareShapeFields(r.config->config, tinyConfig());
    QCOMPARE(r.config->config.numHeads, 2);
    QVERIFY(!r.config->assumed.count("num_heads"));
    QVERIFY2(r.configConflicts.empty(), joined(r.configConflicts).c_str());
    QCOMPARE(r.modelName, std::string("custom"));
    QVERIFY2(r.problems.empty(), joined(r.problems).c_str());
  }

  void configDisagreeingWithWeightsIsReported() {
    const std::string root = makeDiffusers("diffusers-conflict", 3);
    const CheckpointInspection r = svgen::inspectCheckpoint(root);
    QCOMPARE(r.configConflicts.size(), size_t(1));
    QVERIFY2(r.configConflicts[0].find("num_layers") != std::string::npos,
             r.configConflicts[0].c_str());
  }

  void comfyUiFileWithPrefix() {
    const std::string file = at("comfy/wan2.1_t2v_tiny_fp16.safetensors");
    fs::create_directories(fs::path(file).parent_path());
    writeDitFile(file, tinyConfig(), "model.diffusion_model.", Names::Original, DType::F16);
    const CheckpointInspection r = svgen::inspectCheckpoint(file);
    QCOMPARE(r.layout, std::string("comfyui"));
    QVERIFY(r.transformer.dtypes == std::vector<std::string>{"F16"});
    QVERIFY(r.transformer.detail.find("model.diffusion_model.") != std::string::npos);
    QVERIFY(r.config.has_value());
    QCOMPARE(r.config->source, std::string("tensor shapes"));
    compareShapeFields(r.config->config, tinyConfig());
    // dim 64 is no multiple of 128, so the guess falls back to 64-wide heads, and says so.
    QCOMPARE(r.config->config.numHeads, 1);
    QVERIFY(r.config->assumed.count("num_heads"));
    QVERIFY(r.missing == (std::vector<std::string>{"text_encoder", "tokenizer", "vae"}));
    QVERIFY(r.tokenizer.problem.find("ComfyUI") != std::string::npos);
  }

  void originalLayoutFileWithoutPrefix() {
    const std::string file = at("dit_original.safetensors");
    writeDitFile(file, tinyConfig(), "", Names::Original, DType::F32);
    const CheckpointInspection r = svgen::inspectCheckpoint(file);
    QCOMPARE(r.layout, std::string("single-file"));
    QVERIFY(r.transformer.detail.find("original") != std::string::npos);
    compareShapeFields(r.config->config, tinyConfig());
  }

  void wanSizesAreNamed() {
    QCOMPARE(svgen::wanModelName(WanConfig::wan13B()), std::string("Wan 2.1 T2V 1.3B"));
    QCOMPARE(svgen::wanModelName(WanConfig::wan14B()), std::string("Wan 2.1 T2V 14B"));
    QCOMPARE(svgen::wanModelName(tinyConfig()), std::string("custom"));
  }

  // The Wan2.1 repository ships its text encoder and VAE as pickles: found, named, not loadable.
  void wanRepositoryFolderWithPickles() {
    const std::string root = at("Wan2.1-T2V-tiny");
    const WanConfig c = tinyConfig();
    writeText(root + "/config.json", nlohmann::json({{"_class_name", "WanModel"},
                                                     {"dim", c.dim},
                                                     {"num_heads", c.numHeads},
                                                     {"num_layers", c.numLayers},
                                                     {"ffn_dim", c.ffnDim},
                                                     {"in_dim", c.inChannels},
                                                     {"out_dim", c.outChannels},
                                                     {"freq_dim", c.freqDim},
                                                     {"text_len", 512}})
                                         .dump());
    writeDitFile(root + "/diffusion_pytorch_model.safetensors", c, "", Names::Original, DType::F32);
    writeText(root + "/models_t5_umt5-xxl-enc-bf16.pth", std::string("PK\x03\x04", 4) + "zip");
    writeText(root + "/Wan2.1_VAE.pth", std::string("\x80\x02", 2) + "pickle");
    writeText(root + "/google/umt5-xxl/spiece.model", "x");
    const CheckpointInspection r = svgen::inspectCheckpoint(root);
    QCOMPARE(r.layout, std::string("wan-original"));
    QVERIFY(r.transformer.readable);
    QVERIFY(r.textEncoder.found && !r.textEncoder.readable);
    QVERIFY(r.vae.found && !r.vae.readable);
    QVERIFY(r.tokenizer.found);
    QVERIFY2(r.missing == (std::vector<std::string>{"text_encoder", "vae"}),
             joined(r.missing).c_str());
    QCOMPARE(r.problems.size(), size_t(2));
    QVERIFY(r.textEncoder.problem.find("models_t5_umt5-xxl-enc-bf16.pth") != std::string::npos);
    QVERIFY(r.textEncoder.problem.find("convert it to safetensors") != std::string::npos);
    // config.json leaves out text_dim and patch_size; the weights settle them.
    compareShapeFields(r.config->config, c);
    QVERIFY(!r.config->assumed.count("text_dim"));
    QVERIFY(r.configConflicts.empty());
  }

  void truncatedFileIsNamed() {
    const std::string good = at("whole.safetensors");
    writeDitFile(good, tinyConfig(), "", Names::Original, DType::F32);
    const std::string file = at("truncated.safetensors");
    fs::copy_file(good, file);
    fs::resize_file(file, 6);
    std::string why = inputErrorOf([&] { svgen::inspectCheckpoint(file); });
    QVERIFY2(why.find("truncated.safetensors") != std::string::npos, why.c_str());
    QVERIFY2(why.find("download it again") != std::string::npos, why.c_str());
    // Cut inside the header too: the header length then points past the end.
    fs::copy_file(good, file, fs::copy_options::overwrite_existing);
    fs::resize_file(file, 200);
    why = inputErrorOf([&] { svgen::inspectCheckpoint(file); });
    QVERIFY2(why.find("truncated") != std::string::npos, why.c_str());
  }

  void pickleSaysWhatToConvertToAndADamagedGgufIsNamed() {
    const std::string pth = at("model.pth");
    writeText(pth, std::string("\x80\x02", 2) + "pickle");
    std::string why = inputErrorOf([&] { svgen::inspectCheckpoint(pth); });
    QVERIFY2(why.find("model.pth") != std::string::npos, why.c_str());
    QVERIFY2(why.find("convert it to safetensors") != std::string::npos, why.c_str());
    const std::string gguf = at("wan-q4.gguf");
    writeText(gguf, "GGUF\x03");
    why = inputErrorOf([&] { svgen::inspectCheckpoint(gguf); });
    QVERIFY2(why.find("wan-q4.gguf") != std::string::npos &&
                 why.find("GGUF") != std::string::npos &&
                 why.find("download it again") != std::string::npos,
             why.c_str());
  }

  // HunyuanVideo's transformer alone (a folder, a single file) is named as such, with what to point
  // svgen at instead (the pipeline folder), by inspect and by generate --model; not with what
  // Wan's parsing trips over in it. The whole pipeline folder: test_hunyuan_pipeline.
  void hunyuanVideoIsNamedAndWhatIsMissing() {
    for (const auto& [path, what] : std::vector<std::pair<std::string, std::string>>{
             {"tests/fixtures/hunyuan_tiny", "a diffusers HunyuanVideo folder"},
             {"tests/fixtures/hunyuan_tiny/transformer",
              "a diffusers HunyuanVideoTransformer3DModel folder"},
             {"tests/fixtures/hunyuan_tiny_original.safetensors",
              "a HunyuanVideo transformer (original names)"}}) {
      const std::string full = svgen::test::sourcePath(path);
      for (int via = 0; via < 2; ++via) {
        try {
          if (via == 0)
            svgen::inspectCheckpoint(full);
          else
            svgen::modelFamilyOf(full);
          QFAIL(qPrintable(QString::fromStdString(path + " was taken")));
        } catch (const svgen::InputError& e) {
          const std::string msg = e.what();
          QVERIFY2(msg.find(full + ": " + what) != std::string::npos, e.what());
          QVERIFY2(msg.find("from a diffusers pipeline folder") != std::string::npos, e.what());
        }
      }
    }
  }

  void emptyOrAbsentPathIsAnInputError() {
    const std::string empty = at("empty");
    fs::create_directories(empty);
    std::string why = inputErrorOf([&] { svgen::inspectCheckpoint(empty); });
    QVERIFY2(why.find("nothing recognisable") != std::string::npos, why.c_str());
    why = inputErrorOf([&] { svgen::inspectCheckpoint(at("does-not-exist")); });
    QVERIFY2(why.find("no such file") != std::string::npos, why.c_str());
  }

  void builtinModelFolder() {
    const std::string dir = svgen::test::sourcePath("resources/models/builtin");
    const CheckpointInspection r = svgen::inspectCheckpoint(dir);
    QCOMPARE(r.layout, std::string("svgen"));
    QVERIFY(r.transformer.readable && r.textEncoder.readable && r.tokenizer.found);
    QVERIFY(!r.vaeNeeded);
    QVERIFY2(r.missing.empty(), joined(r.missing).c_str());
    QVERIFY2(r.configConflicts.empty(), joined(r.configConflicts).c_str());
    QCOMPARE(r.config->config.numLayers, 8);
  }

  // Found by attacking the reader (issue 23): a zero patch size reached a division by the patch
  // volume (SIGFPE). Refused with the tensor named; the file itself is named by the inspector.
  void zeroPatchSizeIsRefused() {
    const svgen::WanShapeMap zero = {{"patch_embedding.weight", {1, 1, 0, 1, 1}},
                                     {"head.head.weight", {16, 1}}};
    try {
      svgen::inferWanConfigFromShapes(zero);
      QFAIL("a zero patch size was accepted");
    } catch (const svgen::InputError& e) {
      QVERIFY2(std::string(e.what()).find("patch_embedding.weight") != std::string::npos, e.what());
    }
    const std::string file = at("zero_patch.safetensors");
    svgen::SafetensorsWriter w;
    const std::vector<float> head(16, 0.0f);
    w.add("patch_embedding.weight", DType::F32, {1, 1, 0, 1, 1}, nullptr, 0);
    w.add("head.head.weight", DType::F32, {16, 1}, head.data(), head.size() * sizeof(float));
    w.write(file);
    const CheckpointInspection r = svgen::inspectCheckpoint(file);
    QVERIFY(!r.config.has_value());
    QVERIFY2(joined(r.problems).find(file) != std::string::npos, joined(r.problems).c_str());
    QVERIFY2(joined(r.problems).find("patch_embedding.weight") != std::string::npos,
             joined(r.problems).c_str());
  }

  // Wan 2.2 A14B as diffusers ships it: transformer/ (high noise) and transformer_2/ (low
  // noise), with the boundary in model_index.json.
  void wan22DiffusersFolderHasTwoExperts() {
    const std::string root = makeDiffusers("wan22-diffusers", tinyConfig().numLayers);
    writeText(root + "/model_index.json",
              R"({"_class_name": "WanPipeline", "boundary_ratio": 0.8,
                  "transformer_2": ["diffusers", "WanTransformer3DModel"]})");
    writeDitFile(root + "/transformer_2/diffusion_pytorch_model.safetensors", tinyConfig(), "",
                 Names::Diffusers, DType::F32);
    const CheckpointInspection r = svgen::inspectModel(root);
    QVERIFY(r.transformer.found && r.lowNoiseTransformer.found && r.lowNoiseTransformer.readable);
    QVERIFY(r.lowNoiseTransformer.path.find("transformer_2") != std::string::npos);
    QCOMPARE(r.boundaryRatio, 0.8);
    QVERIFY(!r.imageToVideo);
    QCOMPARE(r.family, std::string("wan2.2-t2v-a14b"));
    QCOMPARE(r.modelName, std::string("Wan 2.2 two-expert (custom size)"));
    QVERIFY2(r.missing == std::vector<std::string>{"vae"}, joined(r.missing).c_str());
    // Without its second expert the folder is half a model, and says which half is missing.
    fs::remove_all(root + "/transformer_2");
    const CheckpointInspection half = svgen::inspectModel(root);
    QVERIFY2(contains(half.missing, "transformer_2"), joined(half.missing).c_str());
    QVERIFY2(half.lowNoiseTransformer.problem.find("transformer_2/") != std::string::npos,
             half.lowNoiseTransformer.problem.c_str());
  }

  // ComfyUI's Wan 2.2 files name their expert; either order of discovery gives the same pair.
  void wan22ComfyUiFilesNameTheirExperts() {
    const std::string root = at("wan22-comfy");
    writeDitFile(root + "/diffusion_models/wan2.2_t2v_high_noise_14B_fp16.safetensors",
                 tinyConfig(), "model.diffusion_model.", Names::Original, DType::F16);
    writeDitFile(root + "/diffusion_models/wan2.2_t2v_low_noise_14B_fp16.safetensors", tinyConfig(),
                 "model.diffusion_model.", Names::Original, DType::F16);
    writeT5File(root + "/text_encoders/umt5_xxl_fp16.safetensors");
    const CheckpointInspection r = svgen::inspectModel(root);
    QCOMPARE(r.layout, std::string("comfyui"));
    QVERIFY(r.transformer.path.find("high_noise") != std::string::npos);
    QVERIFY(r.lowNoiseTransformer.path.find("low_noise") != std::string::npos);
    QVERIFY2(r.transformer.problem.empty(), r.transformer.problem.c_str());  // not "2 found"
    QCOMPARE(r.boundaryRatio, 0.875);  // Wan 2.2's text-to-video default, said in a note
    QVERIFY(joined(r.notes).find("boundary_ratio not stated") != std::string::npos);
    QCOMPARE(r.family, std::string("wan2.2-t2v-a14b"));
    QVERIFY(!contains(r.missing, "transformer") && !contains(r.missing, "transformer_2"));
    // The high-noise file alone is not a model that can run.
    fs::remove(root + "/diffusion_models/wan2.2_t2v_low_noise_14B_fp16.safetensors");
    const CheckpointInspection alone = svgen::inspectModel(root);
    QVERIFY(contains(alone.missing, "transformer_2"));
    QVERIFY(alone.lowNoiseTransformer.problem.find("low_noise") != std::string::npos);
  }

  // The Wan2.2 repository's I2V-A14B folder: two experts under high_noise_model/ and
  // low_noise_model/, whose config says model_type i2v although it has no CLIP image input.
  void wan22OriginalImageToVideoFolder() {
    const std::string root = at("Wan2.2-I2V-tiny");
    WanConfig c = tinyConfig();
    c.inChannels = 2 * c.outChannels + 4;
    for (const char* expert : {"high_noise_model", "low_noise_model"}) {
      writeText(root + "/" + expert + "/config.json", nlohmann::json({{"_class_name", "WanModel"},
                                                                      {"model_type", "i2v"},
                                                                      {"dim", c.dim},
                                                                      {"num_heads", c.numHeads},
                                                                      {"num_layers", c.numLayers},
                                                                      {"ffn_dim", c.ffnDim},
                                                                      {"in_dim", c.inChannels},
                                                                      {"out_dim", c.outChannels}})
                                                          .dump());
      writeDitFile(root + "/" + expert + "/diffusion_pytorch_model.safetensors", c, "",
                   Names::Original, DType::F32);
    }
    writeT5File(root + "/models_t5_umt5-xxl-enc-bf16.safetensors");
    writeText(root + "/google/umt5-xxl/spiece.model", "x");
    const CheckpointInspection r = svgen::inspectModel(root);
    QCOMPARE(r.layout, std::string("wan-original"));
    QVERIFY(r.transformer.path.find("high_noise_model") != std::string::npos);
    QVERIFY(r.lowNoiseTransformer.path.find("low_noise_model") != std::string::npos);
    QVERIFY(r.imageToVideo);
    QVERIFY(!r.imageEncoderNeeded);  // the weights have no image embedding: no CLIP
    QCOMPARE(r.config->config.imageDim, 0);
    QCOMPARE(r.boundaryRatio, 0.9);
    QCOMPARE(r.family, std::string("wan2.2-i2v-a14b"));
    QVERIFY2(r.missing == std::vector<std::string>{"vae"}, joined(r.missing).c_str());
  }

  void wan22ExpertsOfDifferentShapesAreRefused() {
    const std::string root = at("wan22-mismatch");
    WanConfig deeper = tinyConfig();
    deeper.numLayers += 1;
    writeDitFile(root + "/wan2.2_t2v_high_noise.safetensors", tinyConfig(), "", Names::Original,
                 DType::F32);
    writeDitFile(root + "/wan2.2_t2v_low_noise.safetensors", deeper, "", Names::Original,
                 DType::F32);
    const CheckpointInspection r = svgen::inspectModel(root);
    QVERIFY(contains(r.missing, "transformer_2"));
    QVERIFY2(joined(r.problems).find("the two experts differ") != std::string::npos,
             joined(r.problems).c_str());
  }

  void theRegistryNamesTheFamilyOfEachLayout() {
    const CheckpointInspection builtin =
        svgen::inspectModel(svgen::test::sourcePath("resources/models/builtin"));
    QCOMPARE(builtin.family, std::string("builtin"));
    const CheckpointInspection wan =
        svgen::inspectModel(makeDiffusers("diffusers-family", tinyConfig().numLayers));
    QCOMPARE(wan.family, std::string("wan2.1-t2v"));
    QCOMPARE(wan.familyLabel, std::string("Wan 2.1 text-to-video"));
    // The shared inspector reads files only; the family comes from the registry.
    QVERIFY(svgen::inspectCheckpoint(svgen::test::sourcePath("resources/models/builtin"))
                .family.empty());
  }
};

QTEST_GUILESS_MAIN(TestCheckpointInspection)
#include "test_checkpoint_inspection.moc"
