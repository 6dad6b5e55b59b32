// Wan 2.2 TI2V-5B's parts against diffusers on tiny random weights (tests/fixtures/wan22_ti2v_*,
// made by tools/fixtures/make_wan22_ti2v_fixtures.py): the Wan 2.2 VAE (residual stages with
// weightless shortcuts, 2×2 pixel patches, 16x in space) decoding and encoding, in diffusers' and
// the original repository's names; and a 4-step text-to-video run through the Engine against
// diffusers' WanPipeline with expand_timesteps, as TI2V-5B's pipeline is built.
#include "support/tensor_compare.h"
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/io/tensor_io.h"
#include "core/model/model_family.h"
#include "core/model/wan/wan_vae_decoder.h"
#include "core/model/wan/wan_vae_encoder.h"
#include "core/model/wan_config_inference.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_keys.h"
#include "core/pipeline/engine.h"
#include "core/text/sentencepiece_tokenizer.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace svgen;
using test::relativeError;

namespace {

const char* kFolder = "tests/fixtures/wan22_ti2v_tiny";

TensorMap reference() {
  return loadTensors(test::sourcePath("tests/fixtures/wan22_ti2v_reference.safetensors"));
}

WanVaeConfig vaeConfig() {
  std::ifstream in(test::sourcePath(std::string(kFolder) + "/vae/config.json"));
  return wanVaeConfigFromJson(nlohmann::json::parse(in));
}

TensorMap vaeWeights() {
  return loadTensors(
      test::sourcePath(std::string(kFolder) + "/vae/diffusion_pytorch_model.safetensors"));
}

// The fixture's clip (96 x 64, 9 frames, 4 UniPC steps, CFG 5) from `init`, its final latent
// saved beside it.
GenerationRequest fixtureRequest(const std::string& model, const at::Tensor& init) {
  GenerationRequest r = test::wanFixtureRequest(model);
  r.width = 96;
  r.height = 64;
  const std::string work = test::freshDir("wan22_ti2v_run");
  r.initNoisePath = work + "/init.safetensors";
  r.saveLatentsPath = work + "/final.safetensors";
  saveTensors(r.initNoisePath, {{"latent", init}});
  return r;
}

}  // namespace

class TestWan22Ti2v : public QObject {
  Q_OBJECT
 private slots:
  void init() { c10::GradMode::set_enabled(false); }

  void configOfTheWan22Vae() {
    const WanVaeConfig c = vaeConfig();
    QVERIFY(c.residual);
    QCOMPARE(c.patchSize, 2);
    QCOMPARE(c.decoderDim(), 8);
    QCOMPARE(c.baseDim, 4);
    QCOMPARE(c.spatialScale(), 16);
    // A single file has no config: its shapes say the same (statistics aside).
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& [k, t] : vaeWeights()) shapes[k] = t.sizes().vec();
    const WanVaeConfig inferred = inferWanVaeConfigFromShapes(shapes);
    QVERIFY(inferred.residual);
    QCOMPARE(inferred.patchSize, 2);
    QCOMPARE(inferred.baseDim, 4);
    QCOMPARE(inferred.decoderDim(), 8);
    QCOMPARE(inferred.zDim, 6);
    QVERIFY(inferred.dimMult == c.dimMult);
    QVERIFY(inferred.temporalDownsample == c.temporalDownsample);
    QCOMPARE(inferred.numResBlocks, 1);
    // The released VAE's own statistics come with its 48 channels.
    QCOMPARE(wanVae22Config().latentsStd.size(), size_t(48));
  }

  void decoderMatchesDiffusers() {
    const TensorMap ref = reference();
    const WanVaeDecoder decoder(vaeConfig(), vaeWeights(), at::kCPU, at::kFloat);
    const at::Tensor x = decoder.decode(ref.at("vae22dec.z"));
    const at::Tensor want = ref.at("vae22dec.x");
    QCOMPARE(x.sizes().vec(), want.sizes().vec());
    const double err = relativeError(x, want);
    // The clamp to [−1, 1] must not hide the comparison: most values are inside it.
    const double inside = (want.abs() < 0.999).to(at::kFloat).mean().item<double>();
    qInfo("Wan 2.2 VAE decoder vs diffusers: %.3g (%.0f%% of values unclamped)", err, 100 * inside);
    QVERIFY2(inside > 0.5, qPrintable(QString::number(inside)));
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    // The original repository's names (ComfyUI's wan2.2_vae.safetensors) give the same decoder.
    const WanVaeDecoder original(vaeConfig(),
                                 test::wanVaeInOriginalNames(vaeWeights(), 1, /*nested=*/true),
                                 at::kCPU, at::kFloat);
    QVERIFY(at::equal(original.decode(ref.at("vae22dec.z")), x));
  }

  void encoderMatchesDiffusers() {
    const TensorMap ref = reference();
    const WanVaeConfig c = vaeConfig();
    const WanVaeEncoder encoder(c, vaeWeights(), at::kCPU, at::kFloat);
    const at::Tensor latent = encoder.encode(ref.at("vae22enc.x"));
    const at::Tensor mean =
        latent * at::tensor(c.latentsStd, at::kDouble).to(at::kFloat).view({1, -1, 1, 1, 1}) +
        at::tensor(c.latentsMean, at::kDouble).to(at::kFloat).view({1, -1, 1, 1, 1});
    QCOMPARE(mean.sizes().vec(), ref.at("vae22enc.mean").sizes().vec());
    const double err = relativeError(mean, ref.at("vae22enc.mean"));
    qInfo("Wan 2.2 VAE encoder vs diffusers: %.3g", err);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    const WanVaeEncoder original(c, test::wanVaeInOriginalNames(vaeWeights(), 1, true), at::kCPU,
                                 at::kFloat);
    QVERIFY(at::equal(original.encode(ref.at("vae22enc.x")), latent));
    // Frames must come in whole 16-pixel squares.
    QVERIFY_THROWS_EXCEPTION(InputError, encoder.encode(at::zeros({1, 3, 5, 40, 64})));
  }

  void textToVideoMatchesThePipeline() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const TensorMap ref = reference();
    const std::string dir = modelFolder("wan22_ti2v");
    const CheckpointInspection inspection = inspectModel(dir);
    QCOMPARE(QString::fromStdString(inspection.family), QString("wan2.2-ti2v-5b"));
    QCOMPARE(inspection.vaeSpatialScale, 16);
    const ModelInfo info = describeVideoModel(dir);
    QCOMPARE(info.sizeMultiple, 32);  // 16x VAE, 2×2 patches
    QCOMPARE(info.tokenPixels, 32);
    QCOMPARE(info.fps, 24.0);
    QCOMPARE(info.defaultFrames, 121);
    QVERIFY(info.imageToVideo && info.imageOptional);  // text alone, or text and a start image
    QVERIFY(info.memory.imageEncoderGiB > 0);  // the VAE's encoder, planned for with an image

    GenerationRequest r = fixtureRequest(dir, ref.at("ti2v.init"));
    Engine engine;
    GenerationObserver quiet;
    const GenerationResult result = engine.generate(r, quiet);
    QCOMPARE(result.video.frames, 9);
    QCOMPARE(result.video.width, 96);
    QCOMPARE(result.video.height, 64);
    const double err =
        relativeError(loadTensors(r.saveLatentsPath).at("latent"), ref.at("ti2v.latent.4"));
    qInfo("Engine Wan 2.2 TI2V text-to-video vs diffusers: final latent error %.3g", err);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    // A size that is not whole 32-pixel tokens is refused before anything runs.
    r.width = 80;
    QVERIFY_THROWS_EXCEPTION(InputError, engine.generate(r, quiet));
  }

  // ComfyUI's files: the DiT under model.diffusion_model. in original names, and
  // wan2.2_vae.safetensors in the original nested names, which alone say it is Wan 2.2's VAE.
  void comfyUiFilesGiveTheSameClip() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const TensorMap ref = reference();
    const std::string dir = test::freshDir("wan22_ti2v_comfyui");
    test::writeComfyUiFolder(dir);
    for (const char* part : {"diffusion_models", "vae"}) fs::remove_all(dir + "/" + part);
    fs::create_directories(dir + "/diffusion_models");
    fs::create_directories(dir + "/vae");
    TensorMap dit;
    for (const auto& [k, t] : loadTensors(test::sourcePath(
             std::string(kFolder) + "/transformer/diffusion_pytorch_model.safetensors")))
      dit["model.diffusion_model." + wanKeyToOriginal(k)] = t;
    saveTensors(dir + "/diffusion_models/wan2.2_ti2v_5B_tiny_fp32.safetensors", dit);
    fs::copy_file(test::sourcePath(std::string(kFolder) + "/transformer/config.json"),
                  dir + "/diffusion_models/config.json");
    saveTensors(dir + "/vae/wan2.2_vae.safetensors",
                test::wanVaeInOriginalNames(vaeWeights(), 1, /*nested=*/true));
    // The tiny VAE's statistics are its own (the released file's come with its 48 channels).
    fs::copy_file(test::sourcePath(std::string(kFolder) + "/vae/config.json"),
                  dir + "/vae/config.json");
    const CheckpointInspection inspection = inspectModel(dir);
    QCOMPARE(QString::fromStdString(inspection.layout), QString("comfyui"));
    QCOMPARE(QString::fromStdString(inspection.family), QString("wan2.2-ti2v-5b"));
    QVERIFY2(inspection.missing.empty(),
             inspection.missing.empty() ? "" : inspection.missing.front().c_str());
    const GenerationRequest r = fixtureRequest(dir, ref.at("ti2v.init"));
    Engine engine;
    GenerationObserver quiet;
    engine.generate(r, quiet);
    const double err =
        relativeError(loadTensors(r.saveLatentsPath).at("latent"), ref.at("ti2v.latent.4"));
    qInfo("Engine Wan 2.2 TI2V from ComfyUI files vs diffusers: %.3g", err);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
  }

  // The image mode: the start image through the VAE is the first latent frame, clean (timestep 0
  // for its tokens) at every step, as diffusers' WanImageToVideoPipeline with expand_timesteps.
  void imageToVideoMatchesThePipeline() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const TensorMap ref = reference();
    const std::string dir = modelFolder("wan22_ti2v_image");
    GenerationRequest r = fixtureRequest(dir, ref.at("ti2v_i2v.init"));
    r.imagePath = test::sourcePath("tests/fixtures/wan22_ti2v_start.png");
    Engine engine;
    GenerationObserver quiet;
    const GenerationResult result = engine.generate(r, quiet);
    QCOMPARE(result.video.frames, 9);
    const at::Tensor latent = loadTensors(r.saveLatentsPath).at("latent");
    const at::Tensor want = ref.at("ti2v_i2v.final");
    const double first = relativeError(latent.narrow(2, 0, 1), want.narrow(2, 0, 1));
    const double err = relativeError(latent, want);
    qInfo("Engine Wan 2.2 TI2V image-to-video vs diffusers: first frame %.3g, final latent %.3g",
          first, err);
    QVERIFY2(first < 1e-4, qPrintable(QString::number(first)));
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    // The clean first frame's tokens at timestep 0 matter to every token, not only their own.
    const DescribedWanConfig config = wanConfigFromAnyJson(nlohmann::json::parse(
        std::ifstream(test::sourcePath(std::string(kFolder) + "/transformer/config.json"))));
    const WanDiT dit(
        config.config,
        toOriginalWanLayout(loadTensors(test::sourcePath(
            std::string(kFolder) + "/transformer/diffusion_pytorch_model.safetensors"))),
        at::kCPU, at::kFloat);
    const at::Tensor x = at::randn({1, 6, 3, 4, 6});
    const at::Tensor t = at::full({1}, 700.0);
    const at::Tensor context = at::randn({1, 8, 32});
    DiTForwardOptions clean;
    clean.cleanPrefixTokens = 6;
    const at::Tensor withClean = dit.forward(x, t, context, {}, clean);
    const at::Tensor noisy = dit.forward(x, t, context, {}, {});
    QVERIFY(relativeError(withClean.narrow(2, 1, 2), noisy.narrow(2, 1, 2)) > 1e-3);
    clean.cleanPrefixTokens = 72;  // every token: refused, there is nothing to denoise
    QVERIFY_THROWS_EXCEPTION(InputError, dit.forward(x, t, context, {}, clean));
  }

 private:
  // The fixture's transformer and VAE with wan_tiny's text encoder and tokenizer.
  static std::string modelFolder(const std::string& name) {
    const std::string dir = test::freshDir(name);
    const std::string t2v = test::sourcePath("tests/fixtures/wan_tiny");
    const auto recursive = fs::copy_options::recursive | fs::copy_options::overwrite_existing;
    for (const char* part : {"text_encoder", "tokenizer", "scheduler"})
      fs::copy(t2v + "/" + part, dir + "/" + part, recursive);
    fs::copy(test::sourcePath(kFolder), dir, recursive);
    return dir;
  }
};

QTEST_GUILESS_MAIN(TestWan22Ti2v)
#include "test_wan22_ti2v.moc"
