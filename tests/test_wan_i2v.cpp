// Wan 2.1 image-to-video end to end on a tiny random-weight folder made here
// (test::writeRandomI2vFolder): how it is recognised and refused, that the start image reaches the
// clip through both of its paths (CLIP tokens and the VAE-encoded first frame), how a photo of
// another shape is fitted, and the VAE encoder's file layouts. Parity with the public
// implementation is tests/test_wan_i2v_reference.cpp's.
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/io/video_export.h"
#include "core/model/model_family.h"
#include "core/model/wan/clip_vision_encoder.h"
#include "core/model/wan/wan_image_condition.h"
#include "core/model/wan/wan_model.h"
#include "core/model/wan/wan_vae_encoder.h"
#include "core/pipeline/engine.h"
#include "core/pipeline/request_validation.h"
#include "core/text/sentencepiece_tokenizer.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QtTest/QtTest>

using namespace svgen;

namespace {

WanVaeEncoder fixtureEncoder(const TensorMap& weights) {
  return WanVaeEncoder(test::wanVaeConfig(), weights, at::kCPU, at::kFloat);
}

// A 64 x 48 start image: a vertical gradient in one colour.
Video startImage(uint8_t red, uint8_t blue) {
  Video v;
  v.frames = 1;
  v.width = 64;
  v.height = 48;
  v.rgb.resize(v.frameBytes());
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* p = v.frame(0) + (y * 64 + x) * 3;
      p[0] = red;
      p[1] = static_cast<uint8_t>(y * 5);
      p[2] = blue;
    }
  return v;
}

std::string writeStartImage(const std::string& dir, const std::string& name, const Video& v) {
  const std::string path = dir + "/" + name;
  exportVideo(v, path, ExportOptions{});
  return path;
}

GenerationRequest i2vRequest(const std::string& model, const std::string& image) {
  GenerationRequest r = test::wanFixtureRequest(model);
  r.width = 64;  // latent 8 x 6: not square, so rows and columns cannot be swapped unseen
  r.height = 48;
  r.imagePath = image;
  return r;
}

}  // namespace

class TestWanI2v : public QObject {
  Q_OBJECT
 private slots:
  void init() { c10::GradMode::set_enabled(false); }

  void recognisedAsImageToVideo() {
    const std::string dir = test::freshDir("wan_i2v_inspect");
    test::writeRandomI2vFolder(dir);
    const CheckpointInspection r = inspectModel(dir);
    QVERIFY(r.imageEncoderNeeded);
    QVERIFY(r.imageEncoder.found);
    QVERIFY2(r.missing.empty(), r.missing.empty() ? "" : r.missing.front().c_str());
    QCOMPARE(QString::fromStdString(r.family), QString("wan2.1-i2v"));
    QCOMPARE(r.config->config.imageDim, 24);
    const ModelInfo info = describeVideoModel(dir);
    QVERIFY(info.imageToVideo);
    QVERIFY2(info.label.find("image-to-video") != std::string::npos, info.label.c_str());
    QVERIFY(info.memory.imageEncoderGiB > 0);
    // Text-to-video checkpoints stay in their own family and take no image.
    const std::string t2v = test::sourcePath("tests/fixtures/wan_tiny");
    QCOMPARE(QString::fromStdString(inspectModel(t2v).family), QString("wan2.1-t2v"));
    QVERIFY(!describeVideoModel(t2v).imageToVideo);
  }

  void aMissingImageEncoderIsNamed() {
    const std::string dir = test::freshDir("wan_i2v_no_clip");
    test::writeRandomI2vFolder(dir, /*withImageEncoder=*/false);
    const CheckpointInspection r = inspectModel(dir);
    QCOMPARE(r.missing, std::vector<std::string>{"image_encoder"});
    QVERIFY(r.imageEncoder.problem.find("clip_vision_h") != std::string::npos);
    try {
      WanModel::load(dir, at::kCPU);
      QFAIL("an image-to-video folder without its image encoder loaded");
    } catch (const InputError& e) {
      const std::string what = e.what();
      QVERIFY2(what.find("cannot run image-to-video") != std::string::npos, e.what());
      QVERIFY2(what.find("image_encoder") != std::string::npos, e.what());
    }
  }

  void requestsMustMatchTheTask() {
    const std::string dir = test::freshDir("wan_i2v_requests");
    test::writeRandomI2vFolder(dir);
    const ModelInfo i2v = describeVideoModel(dir);
    GenerationRequest r = i2vRequest(dir, dir + "/start.png");
    QVERIFY(requestProblems(r, i2v).empty());
    r.imagePath.clear();
    const auto missing = requestProblems(r, i2v);
    QCOMPARE(missing.size(), size_t(1));
    QVERIFY2(missing[0].find("start image") != std::string::npos, missing[0].c_str());
    const std::string t2vFolder = test::sourcePath("tests/fixtures/wan_tiny");
    const auto extra =
        requestProblems(i2vRequest(t2vFolder, dir + "/start.png"), describeVideoModel(t2vFolder));
    QCOMPARE(extra.size(), size_t(1));
    QVERIFY2(extra[0].find("takes no start image") != std::string::npos, extra[0].c_str());
  }

  void theStartImageShapesTheClip() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const std::string dir = test::freshDir("wan_i2v_runs");
    test::writeRandomI2vFolder(dir);
    const std::string warm = writeStartImage(dir, "warm.y4m", startImage(230, 20));
    const std::string cold = writeStartImage(dir, "cold.y4m", startImage(20, 230));
    Engine engine;
    GenerationObserver quiet;
    auto run = [&](const std::string& image) {
      GenerationRequest r = i2vRequest(dir, image);
      r.saveLatentsPath = dir + "/final.safetensors";
      const GenerationResult result = engine.generate(r, quiet);
      return std::make_pair(result, loadTensors(r.saveLatentsPath).at("latent"));
    };
    const auto [first, latent] = run(warm);
    QCOMPARE(first.video.frames, 9);
    QCOMPARE(first.video.width, 64);
    QCOMPARE(first.video.height, 48);
    QCOMPARE(QString::fromStdString(first.request.imagePath), QString::fromStdString(warm));
    QVERIFY(at::isfinite(latent).all().item<bool>());
    // Same image, same clip; another image, another clip.
    const auto [again, same] = run(warm);
    QVERIFY(at::equal(same, latent));
    QCOMPARE(again.video.rgb, first.video.rgb);
    const auto [other, different] = run(cold);
    QVERIFY((different - latent).abs().max().item<double>() > 1e-3);
    // The start image reaches the DiT by both paths: the CLIP tokens and the encoded frame.
    auto model = WanModel::load(dir, at::kCPU);
    Conditioning a = model->encode("a red circle", nullptr);
    Conditioning b = a;
    model->addImage(a, startImage(230, 20), 9, 48, 64);
    model->addImage(b, startImage(20, 230), 9, 48, 64);
    QCOMPARE(a.imageTokens.sizes().vec(), (std::vector<int64_t>{1, 10, 24}));
    QCOMPARE(a.imageLatent.sizes().vec(), (std::vector<int64_t>{1, 8, 3, 6, 8}));
    QVERIFY(!at::equal(a.imageTokens, b.imageTokens));
    QVERIFY(!at::equal(a.imageLatent.narrow(1, 4, 4), b.imageLatent.narrow(1, 4, 4)));
    QVERIFY(at::equal(a.imageLatent.narrow(1, 0, 4), b.imageLatent.narrow(1, 0, 4)));  // mask
    // A text-to-video model takes none.
    auto t2v = WanModel::load(test::sourcePath("tests/fixtures/wan_tiny"), at::kCPU);
    Conditioning t = t2v->encode("a red circle", nullptr);
    QVERIFY_THROWS_EXCEPTION(InputError, t2v->addImage(t, startImage(1, 2), 9, 48, 64));
  }

  void anUnreadableImageIsRefusedBeforeLoading() {
    const std::string dir = test::freshDir("wan_i2v_bad_image");
    test::writeRandomI2vFolder(dir);
    test::spit(dir + "/notes.png", "plain text, not a PNG");
    struct Stages : GenerationObserver {
      std::vector<std::string> seen;
      void onStage(const std::string& stage) override { seen.push_back(stage); }
    } observer;
    Engine engine;
    try {
      engine.generate(i2vRequest(dir, dir + "/notes.png"), observer);
      QFAIL("a start image that is no image was accepted");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("notes.png") != std::string::npos, e.what());
    }
    QVERIFY(observer.seen.empty());  // nothing loaded
  }

  void vaeEncoderReadsTheOriginalNames() {
    // wan_2.1_vae.safetensors (ComfyUI, the original repository) names the encoder encoder.conv1,
    // encoder.downsamples.N, encoder.middle.N, encoder.head and its quant conv conv1.
    const TensorMap diffusers = test::wanVaeWeights();
    const TensorMap original = test::wanVaeInOriginalNames(diffusers, 2);
    QVERIFY(original.count("encoder.downsamples.0.residual.0.gamma"));
    QVERIFY(original.count("encoder.head.2.weight") && original.count("conv1.weight"));
    QVERIFY(!original.count("encoder.conv_in.weight"));
    at::manual_seed(3);
    const at::Tensor x = at::rand({1, 3, 9, 24, 40}) * 2 - 1;
    int chunks = 0;
    const at::Tensor latent = fixtureEncoder(diffusers).encode(x, [&](int, int) { ++chunks; });
    QCOMPARE(chunks, 3);  // the first frame, then two chunks of four
    QCOMPARE(latent.sizes().vec(), (std::vector<int64_t>{1, 4, 3, 3, 5}));
    QVERIFY(at::equal(fixtureEncoder(original).encode(x), latent));
  }

  void vaeEncoderRefusesBadInput() {
    TensorMap weights = test::wanVaeWeights();
    const WanVaeEncoder encoder = fixtureEncoder(weights);
    // Frames must be 1 + 4k, sizes multiples of 8.
    QVERIFY_THROWS_EXCEPTION(InputError, encoder.encode(at::zeros({1, 3, 4, 16, 16})));
    QVERIFY_THROWS_EXCEPTION(InputError, encoder.encode(at::zeros({1, 3, 5, 12, 16})));
    weights.erase("encoder.conv_out.weight");
    try {
      fixtureEncoder(weights);
      QFAIL("a VAE without its encoder's conv_out was accepted");
    } catch (const InputError& e) {
      QVERIFY(std::string(e.what()).find("encoder.conv_out.weight") != std::string::npos);
    }
  }

  void clipRefusesWhatItCannotRead() {
    nlohmann::json config = {{"hidden_size", 24},        {"intermediate_size", 48},
                             {"num_attention_heads", 5}, {"num_hidden_layers", 3},
                             {"patch_size", 14},         {"image_size", 42}};
    QVERIFY_THROWS_EXCEPTION(InputError, clipVisionConfigFromJson(config));  // 24 / 5 heads
    config["num_attention_heads"] = 2;
    config["hidden_act"] = "relu";
    QVERIFY_THROWS_EXCEPTION(InputError, clipVisionConfigFromJson(config));
    config["hidden_act"] = "quick_gelu";
    const ClipVisionConfig c = clipVisionConfigFromJson({{"vision_config", config}});
    QCOMPARE(c.tokens(), 10);
    QCOMPARE(QString::fromStdString(c.activation), QString("quick_gelu"));
    // Missing tensors are named as the file names them.
    try {
      ClipVisionEncoder(c, TensorMap{}, at::kCPU, at::kFloat);
      QFAIL("an empty image encoder was accepted");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("vision_model.embeddings") != std::string::npos,
               e.what());
    }
  }

  void startImagesAreCroppedNotStretched() {
    // 120 x 40: red thirds left and right, blue in the middle. A square clip keeps the middle
    // 40 x 40, all blue.
    Video wide;
    wide.frames = 1;
    wide.width = 120;
    wide.height = 40;
    wide.rgb.resize(wide.frameBytes());
    for (int y = 0; y < 40; ++y)
      for (int x = 0; x < 120; ++x) {
        uint8_t* p = wide.frame(0) + (y * 120 + x) * 3;
        const bool middle = x >= 40 && x < 80;
        p[0] = middle ? 0 : 255;
        p[2] = middle ? 255 : 0;
      }
    const at::Tensor square = fitStartImage(wide, 32, 32);
    QCOMPARE(square.sizes().vec(), (std::vector<int64_t>{1, 3, 32, 32}));
    QVERIFY(square[0][0].max().item<double>() < -0.95);  // no red
    QVERIFY(square[0][2].min().item<double>() > 0.95);   // all blue
    // The same size passes unchanged; enlarging works and stays in range.
    const at::Tensor exact = fitStartImage(startImage(9, 99), 48, 64);
    QVERIFY(std::abs(exact[0][0][0][0].item<double>() - (9 / 127.5 - 1)) < 1e-6);
    QVERIFY(std::abs(exact[0][2][0][0].item<double>() - (99 / 127.5 - 1)) < 1e-6);
    const at::Tensor tall = fitStartImage(wide, 96, 48);
    QCOMPARE(tall.sizes().vec(), (std::vector<int64_t>{1, 3, 96, 48}));
    QVERIFY(tall.abs().max().item<double>() <= 1.0);
    Video empty;
    QVERIFY_THROWS_EXCEPTION(InputError, fitStartImage(empty, 32, 32));
    // The clip the VAE encodes: the image, then zero frames; the mask marks the first latent
    // frame only.
    const at::Tensor clip = conditionClip(square, 9);
    QCOMPARE(clip.sizes().vec(), (std::vector<int64_t>{1, 3, 9, 32, 32}));
    QVERIFY(at::equal(clip.select(2, 0), square));
    QCOMPARE(clip.narrow(2, 1, 8).abs().max().item<double>(), 0.0);
    const at::Tensor mask = firstFrameMask(3, 2, 2, square);
    QCOMPARE(mask.sizes().vec(), (std::vector<int64_t>{1, 4, 3, 2, 2}));
    QCOMPARE(mask.sum().item<double>(), 16.0);
    QCOMPARE(mask.narrow(2, 0, 1).min().item<double>(), 1.0);
  }
};

QTEST_GUILESS_MAIN(TestWanI2v)
#include "test_wan_i2v.moc"
