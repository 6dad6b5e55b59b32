// Wan 2.1 image-to-video against the public implementations on tiny random weights
// (tests/fixtures/wan_i2v_*, made by tools/fixtures/make_wan_i2v_fixtures.py with diffusers and
// transformers on the GPU machine's CPU): the VAE's encoder, CLIP's image encoder with Wan's
// preprocessing, the image-conditioned DiT, the first-frame condition of WanImageToVideoPipeline,
// and a whole 4-step trajectory through the Engine from a PNG start image.
#include "support/tensor_compare.h"
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/model/model_family.h"
#include "core/model/wan/clip_vision_encoder.h"
#include "core/model/wan/wan_image_condition.h"
#include "core/model/wan/wan_model.h"
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

#include <fstream>

using namespace svgen;
using test::relativeError;

namespace {

TensorMap reference() {
  return loadTensors(test::sourcePath("tests/fixtures/wan_i2v_reference.safetensors"));
}

nlohmann::json readJson(const std::string& relative) {
  std::ifstream in(test::sourcePath(relative));
  return nlohmann::json::parse(in);
}

// Largest absolute difference over the reference's largest magnitude (at least 1).
// The posterior mean as diffusers returns it: our normalised latent undone.
at::Tensor unnormalised(const at::Tensor& latent, const WanVaeConfig& c) {
  const at::Tensor mean = at::tensor(c.latentsMean, at::kDouble).to(at::kFloat);
  const at::Tensor std = at::tensor(c.latentsStd, at::kDouble).to(at::kFloat);
  return latent * std.view({1, -1, 1, 1, 1}) + mean.view({1, -1, 1, 1, 1});
}

ClipVisionEncoder fixtureClip() {
  const std::string dir = "tests/fixtures/wan_i2v_tiny/image_encoder";
  return ClipVisionEncoder(clipVisionConfigFromJson(readJson(dir + "/config.json")),
                           loadTensors(test::sourcePath(dir + "/model.safetensors")), at::kCPU,
                           at::kFloat);
}

GenerationRequest i2vRequest(const std::string& model) {
  GenerationRequest r = test::wanFixtureRequest(model);
  r.width = 64;  // latent 8 x 6: not square, so rows and columns cannot be swapped unseen
  r.height = 48;
  r.imagePath = test::sourcePath("tests/fixtures/wan_i2v_start.png");
  return r;
}

}  // namespace

class TestWanI2vReference : public QObject {
  Q_OBJECT
 private slots:
  void init() { c10::GradMode::set_enabled(false); }

  void vaeEncoderMatchesDiffusers() {
    const TensorMap ref = reference();
    const WanVaeEncoder encoder =
        WanVaeEncoder(test::wanVaeConfig(), test::wanVaeWeights(), at::kCPU, at::kFloat);
    int chunks = 0;
    const at::Tensor latent = encoder.encode(ref.at("vaeenc.x"), [&](int, int) { ++chunks; });
    QCOMPARE(chunks, 3);  // the first frame, then two chunks of four
    const at::Tensor mean = unnormalised(latent, encoder.config());
    QCOMPARE(mean.sizes().vec(), ref.at("vaeenc.mean").sizes().vec());
    const double err = relativeError(mean, ref.at("vaeenc.mean"));
    qInfo("VAE encoder vs diffusers: %.3g of the largest value", err);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
  }

  void clipPreprocessingIsWans() {
    const TensorMap ref = reference();
    const at::Tensor pixels = fixtureClip().preprocess(ref.at("clip.image"));
    const double err = relativeError(pixels, ref.at("clip.pixels"));
    qInfo("CLIP preprocessing vs Wan's: %.3g", err);
    QVERIFY2(err < 1e-5, qPrintable(QString::number(err)));
  }

  void clipHiddenStatesMatchTransformers() {
    const TensorMap ref = reference();
    const ClipVisionEncoder clip = fixtureClip();
    QCOMPARE(clip.config().tokens(), 10);
    const at::Tensor hidden = clip.encode(ref.at("clip.pixels"));
    QCOMPARE(hidden.sizes().vec(), ref.at("clip.hidden").sizes().vec());
    const double err = relativeError(hidden, ref.at("clip.hidden"));
    qInfo("CLIP second-to-last hidden states vs transformers: %.3g", err);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
  }

  void imageTransformerMatchesDiffusers() {
    const TensorMap ref = reference();
    const std::string dir = "tests/fixtures/wan_i2v_tiny/transformer";
    const DescribedWanConfig config = wanConfigFromAnyJson(readJson(dir + "/config.json"));
    QCOMPARE(config.config.imageDim, 24);
    QCOMPARE(config.config.inChannels, 12);
    const TensorMap weights = toOriginalWanLayout(
        loadTensors(test::sourcePath(dir + "/diffusion_pytorch_model.safetensors")));
    QVERIFY(weights.count("img_emb.proj.1.weight") &&
            weights.count("blocks.1.cross_attn.k_img.weight"));
    const WanDiT dit(config.config, weights, at::kCPU, at::kFloat);
    const at::Tensor out = dit.forward(ref.at("dit.x"), ref.at("dit.timestep"),
                                       ref.at("dit.context"), ref.at("dit.image"), {});
    const double err = relativeError(out, ref.at("dit.out"));
    qInfo("I2V transformer vs diffusers: %.3g", err);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    // The image matters, and cannot be left out. (Scaling it would not show: the embedding starts
    // with a LayerNorm; nor would reordering its tokens: nothing positions them.)
    const at::Tensor other = dit.forward(ref.at("dit.x"), ref.at("dit.timestep"),
                                         ref.at("dit.context"), ref.at("dit.image").flip(2), {});
    QVERIFY(relativeError(other, ref.at("dit.out")) > 1e-3);
    QVERIFY_THROWS_EXCEPTION(
        InputError, dit.forward(ref.at("dit.x"), ref.at("dit.timestep"), ref.at("dit.context")));
  }

  void conditionMatchesThePipeline() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const TensorMap ref = reference();
    const std::string dir = test::freshDir("wan_i2v_condition");
    test::writeI2vFolder(dir);
    auto model = WanModel::load(dir, at::kCPU);
    Conditioning c = model->encode("a red circle", nullptr);
    // The PNG's bytes are the reference image's: the fit to 64 x 48 changes nothing.
    const at::Tensor image = ref.at("i2v.image");
    Video start;
    start.frames = 1;
    start.height = 48;
    start.width = 64;
    const at::Tensor bytes =
        ((image[0].permute({1, 2, 0}) + 1) * 127.5).round().to(at::kByte).contiguous();
    start.rgb.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
    QVERIFY(at::equal(fitStartImage(start, 48, 64), image));
    model->addImage(c, start, 9, 48, 64);
    const double condErr = relativeError(c.imageLatent, ref.at("i2v.condition"));
    const double tokenErr = relativeError(c.imageTokens, ref.at("i2v.image_embeds"));
    qInfo("first-frame condition vs the pipeline: %.3g; image tokens: %.3g", condErr, tokenErr);
    QVERIFY2(condErr < 1e-4, qPrintable(QString::number(condErr)));
    QVERIFY2(tokenErr < 1e-4, qPrintable(QString::number(tokenErr)));
  }

  void generatesThePipelineTrajectory() {
    const std::string dir = test::freshDir("wan_i2v_pipeline");
    test::writeI2vFolder(dir);
    checkTrajectory(dir, "diffusers");
  }

  void comfyUiFilesGiveTheSameClip() {
    // One file per component: the DiT under model.diffusion_model. in original names, the VAE in
    // original names (its encoder too), clip_vision_h with transformers' names.
    const std::string dir = test::freshDir("wan_i2v_comfyui");
    test::writeComfyUiFolder(dir, /*imageToVideo=*/true);
    const CheckpointInspection r = inspectModel(dir);
    QCOMPARE(QString::fromStdString(r.layout), QString("comfyui"));
    QVERIFY(r.imageEncoder.found && r.imageEncoderNeeded);
    checkTrajectory(dir, "ComfyUI files");
  }

 private:
  void checkTrajectory(const std::string& dir, const char* what) {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const TensorMap ref = reference();
    GenerationRequest r = i2vRequest(dir);
    const std::string work = test::freshDir("wan_i2v_trajectory");
    r.initNoisePath = work + "/init.safetensors";
    r.saveLatentsPath = work + "/final.safetensors";
    saveTensors(r.initNoisePath, {{"latent", ref.at("i2v.init")}});
    Engine engine;
    GenerationObserver quiet;
    const GenerationResult result = engine.generate(r, quiet);
    QCOMPARE(result.video.frames, 9);
    QCOMPARE(result.video.width, 64);
    QCOMPARE(result.video.height, 48);
    const at::Tensor latent = loadTensors(r.saveLatentsPath).at("latent");
    const double err = relativeError(latent, ref.at("i2v.latent.4"));
    qInfo("Engine image-to-video on %s vs diffusers: final latent error %.3g of its max", what,
          err);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    // The settings the clip carries name its start image.
    QCOMPARE(QString::fromStdString(result.request.imagePath), QString::fromStdString(r.imagePath));
  }
};

QTEST_GUILESS_MAIN(TestWanI2vReference)
#include "test_wan_i2v_reference.moc"
