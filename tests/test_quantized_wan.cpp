// The tiny Wan 2.1 fixture as the files creators download: ComfyUI's scaled fp8 DiT and umT5, and a
// GGUF Q8_0 DiT, through `svgen inspect` and the Engine against diffusers' float trajectory; and a
// DiT holding packed weights giving exactly what it gives with the same weights unpacked.
#include "support/gguf_builder.h"
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/common/error.h"
#include "core/io/dtype.h"
#include "core/io/packed_weights.h"
#include "core/io/safetensors.h"
#include "core/io/tensor_io.h"
#include "core/model/wan_dit.h"
#include "core/model/weight_init.h"
#include "core/pipeline/engine.h"
#include "core/text/sentencepiece_tokenizer.h"
#include "kernels/packed_format.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <QtTest/QtTest>

#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;
using namespace svgen;

namespace {

const std::string kDit = "/diffusion_models/wan2.1_t2v_tiny_fp32.safetensors";
const std::string kText = "/text_encoders/umt5_xxl_tiny_fp32.safetensors";

bool isMatrix(const std::string& name, const at::Tensor& t) {
  return t.dim() == 2 && name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
}

// ComfyUI's *_fp8_e4m3fn_scaled layout: each matrix as fp8 of w / s with s = max|w| / 448 beside
// it as "<x>.scale_weight", the rest unchanged, and the "scaled_fp8" marker. Returns the values the
// file stands for, widened to float32.
TensorMap writeScaledFp8(const std::string& path, const TensorMap& tensors,
                         const std::string& prefix) {
  TensorMap widened;
  std::vector<std::vector<uint8_t>> keep;
  std::vector<float> scales;
  keep.reserve(tensors.size());
  scales.reserve(tensors.size());
  SafetensorsWriter w;
  for (const auto& [name, t] : tensors) {
    if (!isMatrix(name, t)) {
      widened[name] = t;
      const at::Tensor c = t.contiguous();
      w.add(name, fromScalarType(c.scalar_type()), c.sizes().vec(), c.data_ptr(), c.nbytes());
      continue;
    }
    const at::Tensor f = t.to(at::kFloat).contiguous();
    const float s = std::max(f.abs().max().item<float>() / 448.0f, 1e-12f);
    std::vector<uint8_t>& bytes = keep.emplace_back(f.numel());
    at::Tensor& wide = widened[name] = at::empty_like(f);
    for (int64_t i = 0; i < f.numel(); ++i) {
      bytes[i] = floatToFp8e4m3(f.data_ptr<float>()[i] / s);
      wide.data_ptr<float>()[i] = fp8e4m3ToFloat(bytes[i]) * s;
    }
    scales.push_back(s);
    w.add(name, DType::F8_E4M3, f.sizes().vec(), bytes.data(), bytes.size());
    const std::string stem = name.substr(0, name.size() - 7);
    w.add(stem + ".scale_weight", DType::F32, {}, &scales.back(), 4);
  }
  w.add(prefix + "scaled_fp8", DType::F8_E4M3, {0}, nullptr, 0);
  w.write(path);
  return widened;
}

// ComfyUI-GGUF's Wan conversion: matrices in Q8_0, vectors in F32, the 5-D patch embedding in F16
// with its real shape in metadata.
// `poisoned`: a matrix whose first block scale is made NaN, as a damaged download would have it.
void writeGgufQ8(const std::string& path, const TensorMap& tensors,
                 const std::string& poisoned = {}) {
  test::GgufSpec spec;
  spec.metadata = {test::ggufString("general.architecture", "wan")};
  for (const auto& [name, t] : tensors) {
    if (t.dim() == 5) {
      test::GgufTensorSpec s = test::ggufTensor(name, t, 1);
      s.ggufDims = {s.ggufDims[0] * s.ggufDims[1], s.ggufDims[2], s.ggufDims[3], s.ggufDims[4]};
      std::vector<int32_t> shape(t.sizes().begin(), t.sizes().end());
      spec.metadata.push_back(test::ggufI32Array("comfy.gguf.orig_shape." + name, shape));
      spec.tensors.push_back(std::move(s));
    } else {
      spec.tensors.push_back(test::ggufTensor(name, t, isMatrix(name, t) ? 8 : 0));
      if (name == poisoned) spec.tensors.back().bytes.replace(0, 2, "\x00\x7e", 2);
    }
  }
  test::spit(path, test::ggufBytes(spec));
}

// llama.cpp's names for a transformers umT5 encoder tensor, the way city96's umt5-xxl-encoder GGUF
// files have them (written here from its converter's table, independently of the reader's).
std::string llamaCppT5Name(std::string name) {
  const std::pair<const char*, const char*> parts[] = {
      {"encoder.final_layer_norm", "enc.output_norm"},
      {"shared", "token_embd"},
      {"encoder.block.", "enc.blk."},
      {"layer.0.SelfAttention.relative_attention_bias", "attn_rel_b"},
      {"layer.0.SelfAttention.q", "attn_q"},
      {"layer.0.SelfAttention.k", "attn_k"},
      {"layer.0.SelfAttention.v", "attn_v"},
      {"layer.0.SelfAttention.o", "attn_o"},
      {"layer.0.layer_norm", "attn_norm"},
      {"layer.1.DenseReluDense.wi_0", "ffn_gate"},
      {"layer.1.DenseReluDense.wi_1", "ffn_up"},
      {"layer.1.DenseReluDense.wo", "ffn_down"},
      {"layer.1.layer_norm", "ffn_norm"},
  };
  for (const auto& [from, to] : parts)
    if (const size_t at = name.find(from); at != std::string::npos)
      name.replace(at, std::strlen(from), to);
  return name;
}

// The umT5 encoder as a llama.cpp GGUF ("t5encoder"): matrices whose rows are whole 32-element
// blocks in Q8_0, the rest in F32.
void writeT5Gguf(const std::string& path, const TensorMap& tensors) {
  test::GgufSpec spec;
  spec.metadata = {test::ggufString("general.architecture", "t5encoder")};
  for (const auto& [name, t] : tensors) {
    if (name == "encoder.embed_tokens.weight") continue;  // tied to shared.weight
    const bool q8 = isMatrix(name, t) && t.size(1) % 32 == 0;
    spec.tensors.push_back(test::ggufTensor(llamaCppT5Name(name), t, q8 ? 8 : 0));
  }
  test::spit(path, test::ggufBytes(spec));
}

GenerationRequest fixtureRequest(const std::string& model, const std::string& dir) {
  GenerationRequest r = test::wanFixtureRequest(model);
  r.initNoisePath = dir + "/init.safetensors";
  r.saveLatentsPath = dir + "/final.safetensors";
  return r;
}

}  // namespace

class TestQuantizedWan : public QObject {
  Q_OBJECT
 private slots:
  void scaledFp8FilesRunTheClip() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const std::string dir = test::freshDir("wan_fp8");
    test::writeComfyUiFolder(dir);
    // The same values widened to float32 in an otherwise identical folder: what the fp8 files
    // must reproduce exactly, whatever fp8's own error against the float32 model.
    const std::string widened = test::freshDir("wan_fp8_widened");
    test::writeComfyUiFolder(widened);
    saveTensors(
        widened + kDit,
        writeScaledFp8(dir + "/diffusion_models/wan2.1_t2v_tiny_fp8_e4m3fn_scaled.safetensors",
                       loadTensors(dir + kDit), "model.diffusion_model."));
    saveTensors(widened + kText,
                writeScaledFp8(dir + "/text_encoders/umt5_xxl_tiny_fp8_e4m3fn_scaled.safetensors",
                               loadTensors(dir + kText), ""));
    fs::remove(dir + kDit);
    fs::remove(dir + kText);
    const CheckpointInspection r = Engine::inspect(dir);
    QVERIFY2(r.missing.empty(), r.missing.empty() ? "" : r.missing.front().c_str());
    QVERIFY(std::count(r.transformer.dtypes.begin(), r.transformer.dtypes.end(), "F8_E4M3"));
    QVERIFY(std::count(r.textEncoder.dtypes.begin(), r.textEncoder.dtypes.end(), "F8_E4M3"));
    // The scales and the marker are how the weights are stored, not parameters.
    const CheckpointInspection wide = Engine::inspect(widened);
    QCOMPARE(r.transformer.parameters, wide.transformer.parameters);
    QCOMPARE(r.textEncoder.parameters, wide.textEncoder.parameters);
    at::Tensor fp8, same;
    checkTrajectory(dir, "scaled fp8 DiT and umT5", 0.15, &fp8);
    checkTrajectory(widened, "the same values in float32 files", 0.15, &same);
    if (QTest::currentTestFailed()) return;
    QVERIFY2(at::allclose(fp8, same, 0, 1e-6), "fp8 files differ from their widened values");
  }

  void ggufQ8FileRunsTheClip() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const std::string dir = test::freshDir("wan_gguf");
    test::writeComfyUiFolder(dir);
    widenedDit_ = test::freshDir("wan_gguf_source") + "/dit.safetensors";
    fs::copy_file(dir + kDit, widenedDit_);
    writeGgufQ8(dir + "/diffusion_models/wan2.1-t2v-tiny-Q8_0.gguf", loadTensors(dir + kDit));
    writeT5Gguf(dir + "/text_encoders/umt5-xxl-encoder-tiny-Q8_0.gguf", loadTensors(dir + kText));
    fs::remove(dir + kDit);
    fs::remove(dir + kText);
    const CheckpointInspection r = Engine::inspect(dir);
    QVERIFY2(r.missing.empty(), r.missing.empty() ? "" : r.missing.front().c_str());
    QCOMPARE(QString::fromStdString(r.transformer.format), QString("GGUF v3, architecture wan"));
    QCOMPARE(r.transformer.dtypes, (std::vector<std::string>{"F16", "F32", "Q8_0"}));
    QCOMPARE(QString::fromStdString(r.textEncoder.format),
             QString("GGUF v3, architecture t5encoder"));
    QCOMPARE(r.textEncoder.dtypes, (std::vector<std::string>{"F32", "Q8_0"}));
    checkTrajectory(dir, "GGUF Q8_0 DiT and umT5 (llama.cpp names)", 0.03);

    // A NaN inside a packed weight is named after the first step, as for any other weight.
    const std::string key = "model.diffusion_model.blocks.1.ffn.0.weight";
    writeGgufQ8(dir + "/diffusion_models/wan2.1-t2v-tiny-Q8_0.gguf", loadTensors(widenedDit_), key);
    GenerationRequest bad = fixtureRequest(dir, test::freshDir("wan_gguf_nan"));
    bad.initNoisePath.clear();
    bad.steps = 1;
    GenerationObserver quiet;
    try {
      Engine().generate(bad, quiet);
      QFAIL("a NaN weight ran");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("blocks.1.ffn.0.weight") != std::string::npos, e.what());
    }
  }

  void packedWeightsGiveTheSameForwardAsUnpacked() {
    // Every matrix packed, in each layout kind (fp8 with a row scale, 32-element blocks,
    // 256-element blocks): the forward pass must equal the one with those weights unpacked, so
    // packing changes memory, never results.
    WanConfig c;
    c.dim = 256;
    c.ffnDim = 512;
    c.numHeads = 2;
    c.numLayers = 1;
    c.patch = {1, 2, 2};
    c.inChannels = 4;
    c.outChannels = 4;
    c.textDim = 256;
    c.freqDim = 32;
    c.textLen = 8;
    const TensorMap base = initWanWeights(c, 11, false);
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(12);
    const at::Tensor x = at::empty({1, 4, 2, 4, 4}, at::kFloat).normal_(0, 1, gen);
    const at::Tensor context = at::empty({1, 5, 256}, at::kFloat).normal_(0, 1, gen);
    const at::Tensor t = at::tensor({500.0f});
    for (DType type : {DType::F8_E4M3, DType::Q8_0, DType::Q4_K}) {
      TensorMap dense, unpacked;
      PackedMap packed;
      for (const auto& [name, w] : base) {
        if (w.dim() != 2 || wanParameterIsFp32(name)) {
          dense[name] = unpacked[name] = w;
          continue;
        }
        PackedTensor p;
        p.dtype = type;
        p.shape = w.sizes().vec();
        const DTypeBlock block = dtypeBlock(type);
        p.bytes = at::randint(0, 256, {w.numel() / block.elements * block.bytes}, gen, at::kByte);
        // Small, finite block scales (the f16 fields): fp8 needs none, Q8_0's is bytes 0-1,
        // Q4_K's d and dmin bytes 0-3.
        const int64_t fields = type == DType::Q8_0 ? 1 : type == DType::Q4_K ? 2 : 0;
        auto* bytes = p.bytes.data_ptr<uint8_t>();
        for (int64_t b = 0; b < p.bytes.numel() / block.bytes; ++b) {
          for (int64_t f = 0; f < fields; ++f) {
            const uint16_t h = floatToHalf(0.002f * static_cast<float>((b + f) % 7 + 1));
            std::memcpy(bytes + b * block.bytes + 2 * f, &h, 2);
          }
          if (type == DType::F8_E4M3)
            bytes[b] = static_cast<uint8_t>(bytes[b] & 0xb7);  // |v| ≤ 0.875: no NaN
        }
        if (type == DType::F8_E4M3) p.rowScale = at::rand({p.shape[0]}, gen) * 0.05;
        unpacked[name] = p.unpack(at::kFloat);
        packed.emplace(name, std::move(p));
      }
      const WanDiT packedDit(c, dense, packed, at::kCPU, at::kFloat);
      const WanDiT plainDit(c, unpacked, at::kCPU, at::kFloat);
      QVERIFY(!packedDit.packedParameters().empty());
      const at::Tensor a = packedDit.forward(x, t, context);
      const at::Tensor b = plainDit.forward(x, t, context);
      QVERIFY2(at::isfinite(a).all().item<bool>(), dtypeName(type));
      QVERIFY2(at::equal(a, b), dtypeName(type));
    }
  }

 private:
  std::string widenedDit_;
  // The final latent of the fixture's 4-step clip from `model`, checked against diffusers' float32
  // trajectory within a relative error of `bound`.
  void checkTrajectory(const std::string& model, const char* what, double bound,
                       at::Tensor* finalLatent = nullptr) {
    const TensorMap ref = test::wanReference();
    const std::string dir = test::freshDir("wan_quantized_run");
    GenerationRequest r = fixtureRequest(model, dir);
    saveTensors(r.initNoisePath, {{"latent", ref.at("unipc.init")}});
    GenerationObserver quiet;
    const GenerationResult result = Engine().generate(r, quiet);
    QCOMPARE(result.video.frames, 9);
    const at::Tensor latent = loadTensors(r.saveLatentsPath).at("latent");
    const at::Tensor expected = ref.at("unipc.latent.4");
    const double err = (latent - expected).norm().item<double>() / expected.norm().item<double>();
    qInfo("%s vs diffusers' float32 pipeline: final latent relative error %.4f", what, err);
    if (finalLatent) *finalLatent = latent;
    QVERIFY2(err < bound, qPrintable(QString("%1: relative error %2").arg(what).arg(err)));
  }
};

QTEST_GUILESS_MAIN(TestQuantizedWan)
#include "test_quantized_wan.moc"
