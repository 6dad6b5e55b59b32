// Wan 2.2 A14B's two experts against diffusers on tiny random weights (tests/fixtures/wan22_*,
// made by tools/fixtures/make_wan22_fixtures.py with diffusers' own WanPipeline and
// WanImageToVideoPipeline, so the switch at the boundary is theirs): whole 4-step trajectories
// through the Engine, in two file layouts; and the rules around them: which expert runs a step,
// its guidance, the defaults, and the requests a one-network model refuses.
#include "support/tensor_compare.h"
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/model/model_family.h"
#include "core/model/wan/wan_model.h"
#include "core/pipeline/engine.h"
#include "core/pipeline/request_validation.h"
#include "core/text/sentencepiece_tokenizer.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <QtTest/QtTest>

#include <filesystem>

namespace fs = std::filesystem;
using namespace svgen;
using test::relativeError;

namespace {

TensorMap reference() {
  return loadTensors(test::sourcePath("tests/fixtures/wan22_reference.safetensors"));
}

// The fixture's clip: 9 frames of 64 x 48, 4 UniPC steps, the high-noise expert's guidance and
// the low-noise one's as the fixture script ran them.
GenerationRequest wan22Request(const std::string& model, bool imageToVideo) {
  GenerationRequest r = test::wanFixtureRequest(model);
  r.width = 64;
  r.height = 48;
  r.shift = imageToVideo ? 4.0 : 3.0;
  r.guidance = imageToVideo ? 4.0 : 5.0;
  r.lowNoiseGuidance = 2.0;
  if (imageToVideo) r.imagePath = test::sourcePath("tests/fixtures/wan_i2v_start.png");
  return r;
}

}  // namespace

class TestWan22 : public QObject {
  Q_OBJECT
 private slots:
  void init() { c10::GradMode::set_enabled(false); }

  void textToVideoMatchesThePipeline() { checkTrajectory(false, "diffusers"); }
  void imageToVideoMatchesThePipeline() { checkTrajectory(true, "diffusers"); }
  void comfyUiExpertFilesGiveTheSameClip() { checkTrajectory(false, "comfyui"); }

  void theFamilyAndItsDefaults() {
    const std::string dir = test::freshDir("wan22_family");
    test::writeWan22Folder(dir, false);
    QCOMPARE(QString::fromStdString(modelFamilyOf(dir).id), QString("wan2.2-t2v-a14b"));
    const ModelInfo info = describeVideoModel(dir);
    QCOMPARE(info.expertBoundary, 875.0);
    // The Wan2.2 repository's t2v_A14B: 40 steps, shift 12, guidance 4 then 3, 720p.
    QCOMPARE(info.defaultSteps, 40);
    QCOMPARE(info.defaultShift, 12.0);
    QCOMPARE(info.defaultGuidance, 4.0);
    QCOMPARE(info.defaultLowNoiseGuidance, 3.0);
    QCOMPARE(info.defaultWidth, 1280);
    QCOMPARE(info.defaultHeight, 720);
    QVERIFY(!info.imageToVideo);

    const std::string i2v = test::freshDir("wan22_i2v_family");
    test::writeWan22Folder(i2v, true);
    QCOMPARE(QString::fromStdString(modelFamilyOf(i2v).id), QString("wan2.2-i2v-a14b"));
    const ModelInfo image = describeVideoModel(i2v);
    QVERIFY(image.imageToVideo);
    QCOMPARE(image.expertBoundary, 900.0);
    QCOMPARE(image.defaultShift, 5.0);
    QCOMPARE(image.defaultLowNoiseGuidance, 3.5);
  }

  // diffusers' guidance_scale_2 rule: the low-noise expert follows a guidance the user set, and
  // the model's own pair when both are left to it. A one-network model refuses a second scale.
  void lowNoiseGuidanceResolves() {
    ModelInfo m;
    m.label = "two experts";
    m.defaultFrames = 9;
    m.defaultWidth = m.defaultHeight = 64;
    m.defaultSteps = 4;
    m.defaultGuidance = 4;
    m.defaultLowNoiseGuidance = 3;
    m.defaultShift = 5;
    m.frameMultiple = 4;
    m.frameOffset = 1;
    m.maxFrames = 81;
    m.sizeMultiple = 16;
    m.maxSize = 1024;
    m.expertBoundary = 875;
    GenerationRequest r;
    r.prompt = "a cat";
    QCOMPARE(resolveRequest(r, m).lowNoiseGuidance, 3.0);
    r.guidance = 6;
    QCOMPARE(resolveRequest(r, m).lowNoiseGuidance, 6.0);
    r.lowNoiseGuidance = 1.5;
    QCOMPARE(resolveRequest(r, m).lowNoiseGuidance, 1.5);
    r.lowNoiseGuidance = 51;
    QVERIFY_THROWS_EXCEPTION(InputError, resolveRequest(r, m));
    // Guidance 1 on the high-noise expert alone still needs the negative prompt's pass.
    r.guidance = 1;
    r.lowNoiseGuidance = 3;
    QVERIFY(usesGuidance(resolveRequest(r, m)));
    m.expertBoundary = 0;
    try {
      resolveRequest(r, m);
      QFAIL("a one-network model took a low-noise guidance");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("two-expert"), e.what());
    }
  }

  // Each step runs the expert of its noise level, loading it in place of the other: the same
  // velocity as a one-network model of that expert alone, and the low-noise one guided with its
  // own scale.
  void eachStepRunsTheExpertOfItsNoiseLevel() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const std::string dir = test::freshDir("wan22_turns");
    test::writeWan22Folder(dir, false);
    auto both = WanModel::load(dir, at::kCPU);
    // The low-noise expert alone, as a Wan 2.1 folder.
    const std::string lowAlone = test::freshDir("wan22_low_alone");
    const auto recursive = fs::copy_options::recursive | fs::copy_options::overwrite_existing;
    for (const char* part : {"text_encoder", "tokenizer", "vae"})
      fs::copy(dir + "/" + part, lowAlone + "/" + part, recursive);
    fs::copy(dir + "/transformer_2", lowAlone + "/transformer", recursive);
    auto low = WanModel::load(lowAlone, at::kCPU);
    auto high = WanModel::load(test::sourcePath("tests/fixtures/wan_tiny"), at::kCPU);
    QCOMPARE(low->info().expertBoundary, 0.0);

    const std::string negative;
    const Conditioning c = both->encode("a red circle", &negative);
    const at::Tensor x = at::randn({1, 4, 3, 6, 8});
    DenoiseStep step;
    step.guidance = 5;
    step.lowNoiseGuidance = 2;
    step.sigma = 0.8;
    for (double t : {999.0, 875.0, 874.0, 300.0, 900.0}) {
      step.timestep = t;
      const bool lowNoise = t < 875;
      DenoiseStep alone = step;
      if (lowNoise) alone.guidance = 2;
      const at::Tensor want = (lowNoise ? low : high)->velocity(x, c, alone);
      const at::Tensor got = both->velocity(x, c, step);
      QVERIFY2(at::allclose(got, want, 1e-5, 1e-6),
               qPrintable(QString("timestep %1: the wrong expert or guidance").arg(t)));
    }
    QVERIFY(!at::allclose(high->velocity(x, c, step), low->velocity(x, c, step)));
  }

 private:
  void checkTrajectory(bool imageToVideo, const std::string& layout) {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const TensorMap ref = reference();
    const std::string task = imageToVideo ? "i2v" : "t2v";
    const std::string dir = test::freshDir("wan22_" + task + "_" + layout);
    test::writeWan22Folder(dir, imageToVideo, layout);
    const CheckpointInspection inspection = inspectModel(dir);
    QCOMPARE(QString::fromStdString(inspection.layout), QString::fromStdString(layout));
    QVERIFY(inspection.missing.empty());
    GenerationRequest r = wan22Request(dir, imageToVideo);
    const std::string work = test::freshDir("wan22_trajectory");
    r.initNoisePath = work + "/init.safetensors";
    r.saveLatentsPath = work + "/final.safetensors";
    saveTensors(r.initNoisePath, {{"latent", ref.at(task + ".init")}});
    Engine engine;
    GenerationObserver quiet;
    const GenerationResult result = engine.generate(r, quiet);
    QCOMPARE(result.video.frames, 9);
    QCOMPARE(result.request.lowNoiseGuidance, 2.0);
    const at::Tensor latent = loadTensors(r.saveLatentsPath).at("latent");
    const double err = relativeError(latent, ref.at(task + ".latent.4"));
    qInfo("Engine Wan 2.2 %s (%s) vs diffusers: final latent error %.3g of its max", task.c_str(),
          layout.c_str(), err);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    // The low-noise expert's own scale reached it: the high-noise one's in its place differs.
    GenerationRequest highOnly = r;
    highOnly.lowNoiseGuidance = r.guidance;
    const GenerationResult other = engine.generate(highOnly, quiet);
    QVERIFY(relativeError(loadTensors(r.saveLatentsPath).at("latent"), ref.at(task + ".latent.4")) >
            1e-3);
    QCOMPARE(other.request.lowNoiseGuidance, r.guidance);
  }
};

QTEST_GUILESS_MAIN(TestWan22)
#include "test_wan22.moc"
