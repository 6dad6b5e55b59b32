// HunyuanVideo as `svgen generate --model FOLDER` runs it: a diffusers pipeline folder assembled
// from the tiny fixtures (transformer: hunyuan_tiny, VAE: hunyuan_vae_tiny, encoders and
// tokenizers: hunyuan_text_tiny, made by transformers and tokenizers on the GPU machine). The
// sampler, embedded guidance, transformer and decode against diffusers' own HunyuanVideoPipeline
// fed the same text embeddings (tools/fixtures/make_hunyuan_trajectory.py: 3 Euler steps at
// guidance 6, shift 7, from saved noise); the Engine's run against the same loop; what inspect says
// of the folder; the SVOO profile; the errors for a broken one.
#include "support/tensor_compare.h"
#include "support/test_support.h"

#include "core/attention/svoo/svoo_profile.h"
#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/model/hunyuan/hunyuan_model.h"
#include "core/model/video_frames.h"
#include "core/pipeline/engine.h"
#include "core/sampling/euler_sampler.h"
#include "core/sampling/sampler.h"
#include "core/text/unicode_text.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <QtTest/QtTest>

#include <filesystem>
#include <functional>
#include <fstream>

using namespace svgen;
using test::relativeError;
namespace fs = std::filesystem;

namespace {

const TensorMap& reference() {
  static const TensorMap t =
      loadTensors(test::sourcePath("tests/fixtures/hunyuan_trajectory.safetensors"));
  return t;
}

std::string prompt() {
  return "An astronaut rides a horse on the moon at sunset";
}

// The pipeline's 3 Euler steps from `x`, as the Engine takes them.
at::Tensor threeSteps(HunyuanModel& model, const Conditioning& c, at::Tensor x,
                      const std::function<void(int, const at::Tensor&)>& after = {}) {
  EulerSampler sampler(hunyuanVideoSigmas(3, 7.0));
  for (int i = 0; i < 3; ++i) {
    DenoiseStep step;
    step.index = i;
    step.count = 3;
    step.timestep = sampler.modelTimestep(i);
    step.sigma = sampler.sigma(i);
    step.guidance = 6.0;
    x = sampler.step(model.velocity(x, c, step), i, x);
    if (after) after(i, x);
  }
  return x;
}

// The pipeline folder as hunyuanvideo-community/HunyuanVideo lays it out.
std::string pipelineFolder(const std::string& name) {
  const std::string dir = test::freshDir(name);
  const auto copy = [&](const std::string& from, const std::string& to) {
    fs::copy(test::sourcePath("tests/fixtures/" + from), dir + "/" + to,
             fs::copy_options::recursive);
  };
  copy("hunyuan_tiny/transformer", "transformer");
  copy("hunyuan_vae_tiny", "vae");
  for (const char* part : {"text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2"})
    copy(std::string("hunyuan_text_tiny/") + part, part);
  std::ofstream(dir + "/model_index.json")
      << "{\"_class_name\": \"HunyuanVideoPipeline\", \"_diffusers_version\": \"0.40.0.dev0\"}";
  return dir;
}

GenerationRequest fixtureRequest(const std::string& dir) {
  GenerationRequest r;
  r.model = dir;
  r.prompt = prompt();
  r.frames = 9;
  r.width = 48;
  r.height = 32;
  r.steps = 3;  // the sampler left to the model: Euler on the pipeline's σ list
  r.device = "cpu";
  return r;
}

}  // namespace

class TestHunyuanPipeline : public QObject {
  Q_OBJECT
 private slots:
  void init() {
    c10::GradMode::set_enabled(false);
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
  }

  void inspectNamesEveryComponent() {
    const std::string dir = pipelineFolder("hunyuan_inspect");
    const CheckpointInspection i = Engine::inspect(dir);
    QCOMPARE(i.layout, std::string("hunyuan-diffusers"));
    QCOMPARE(i.family, std::string("hunyuan-t2v"));
    QVERIFY2(i.missing.empty(), i.missing.empty() ? "" : i.missing.front().c_str());
    QCOMPARE(i.modelName, std::string("HunyuanVideo (custom size)"));
    QVERIFY(i.textEncoder2.readable && i.tokenizer2.readable && i.textEncoder.parameters > 0);
    const ModelInfo info = Engine().describeModel(dir);
    QVERIFY(info.embeddedGuidance);
    QCOMPARE(info.defaultSampler, std::string("euler"));
    QCOMPARE(info.defaultFrames, 129);
    QCOMPARE(info.defaultWidth, 1280);
    QCOMPARE(info.defaultHeight, 720);
    QCOMPARE(info.defaultGuidance, 6.0);
    QCOMPARE(info.defaultShift, 7.0);
    QCOMPARE(info.sizeMultiple, 16);
    QCOMPARE(info.layers, 4);
    const auto grid = info.tokenGrid(129, 1280, 720);
    QCOMPARE(grid[0] * grid[1] * grid[2], int64_t{33 * 45 * 80});
  }

  // HunyuanModel step by step against the pipeline's latents after each step, then its decode,
  // from the same text embeddings.
  void trajectoryMatchesDiffusersPipeline() {
    const std::string dir = pipelineFolder("hunyuan_trajectory");
    auto model = HunyuanModel::load(dir, at::kCPU);
    Conditioning c;
    c.text = reference().at("text");
    c.pooled = reference().at("pooled");
    const at::Tensor noise = reference().at("noise");
    QCOMPARE(model->latentShape(9, 32, 48), noise.sizes().slice(1).vec());
    EulerSampler sampler(hunyuanVideoSigmas(3, 7.0));
    for (int i = 0; i < 3; ++i)
      QVERIFY(std::abs(sampler.modelTimestep(i) -
                       reference().at("timestep." + std::to_string(i)).item<double>()) < 1e-3);
    const at::Tensor x = threeSteps(*model, c, noise, [](int i, const at::Tensor& latent) {
      const double err = relativeError(latent, reference().at("latent." + std::to_string(i)));
      qInfo("step %d: relative error %.3g", i, err);
      QVERIFY2(err < 1e-4, qPrintable(QString("step %1: %2").arg(i).arg(err)));
    });
    QVERIFY(relativeError(x, reference().at("final")) < 1e-4);
    const Video video = model->decode(x, 9, 24.0);
    const Video want = videoFromUnitRange(reference().at("video")[0], 9, 24.0);
    QCOMPARE(video.frames, want.frames);
    int worst = 0;
    for (size_t k = 0; k < video.rgb.size(); ++k)
      worst = std::max(worst, std::abs(int(video.rgb[k]) - int(want.rgb[k])));
    QVERIFY2(worst <= 1, qPrintable(QString("decoded frames differ by %1 levels").arg(worst)));
  }

  // The Engine: defaults resolved (Euler on the pipeline's σ list, guidance 6 embedded, shift
  // 7), the prompt through both text encoders, the saved noise in and the final latent out: the
  // same as the model's own loop above from the same prompt.
  void engineRunsThePipeline() {
    const std::string dir = pipelineFolder("hunyuan_engine");
    const std::string noise = dir + "/noise.safetensors", latent = dir + "/latent.safetensors";
    saveTensors(noise, {{"latent", reference().at("noise")}});
    GenerationRequest r = fixtureRequest(dir);
    r.initNoisePath = noise;
    r.saveLatentsPath = latent;
    r.negativePrompt = "blurry";  // not used by embedded guidance, and the run says so
    GenerationObserver quiet;
    Engine engine;
    const GenerationResult result = engine.generate(r, quiet);
    QCOMPARE(result.notes.size(), size_t{1});
    QVERIFY2(result.notes[0].find("negative prompt is not used") != std::string::npos,
             result.notes[0].c_str());
    QCOMPARE(result.request.guidance, 6.0);
    QCOMPARE(result.request.shift, 7.0);
    QCOMPARE(result.request.sampler, std::string("euler"));
    QCOMPARE(result.video.frames, 9);
    QCOMPARE(result.stepSeconds.size(), size_t{3});
    auto model = HunyuanModel::load(dir, at::kCPU);
    const Conditioning c = model->encode(prompt(), nullptr);
    QCOMPARE(c.text.size(2), int64_t{32});
    QCOMPARE(c.pooled.sizes().vec(), (std::vector<int64_t>{1, 24}));
    const at::Tensor want = threeSteps(*model, c, reference().at("noise"));
    const double err = relativeError(loadTensors(latent).at("latent"), want);
    qInfo("engine against the model's loop: relative error %.3g", err);
    QVERIFY2(err < 1e-6, qPrintable(QString::number(err)));
  }

  // `svgen profile`'s table for SVOO: every one of the 4 blocks measured over the video's keys
  // (the joint attention's text keys are not sparse candidates).
  void svooProfileCoversEveryBlock() {
    const std::string dir = pipelineFolder("hunyuan_profile");
    GenerationRequest r = fixtureRequest(dir);
    r.steps = 4;
    r.previewEvery = 0;
    Engine engine;
    GenerationObserver quiet;
    const SvooProfile p = engine.profileSparsity({engine.resolve(r)}, 0.95, quiet);
    QCOMPARE(p.keyFraction.size(), size_t{4});
    for (double f : p.keyFraction) QVERIFY2(f > 0 && f <= 1, qPrintable(QString::number(f)));
  }

  void brokenFoldersAreRefusedClearly() {
    auto expectError = [](const std::string& dir, const std::string& part) {
      try {
        Engine().describeModel(dir);
        auto m = HunyuanModel::load(dir, at::kCPU);
        QFAIL(("no error; expected one naming " + part).c_str());
      } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find(part) != std::string::npos, e.what());
      }
    };
    std::string dir = pipelineFolder("hunyuan_no_tokenizer_2");
    fs::remove_all(dir + "/tokenizer_2");
    expectError(dir, "tokenizer_2");
    QCOMPARE(Engine::inspect(dir).missing, std::vector<std::string>{"tokenizer_2"});

    dir = pipelineFolder("hunyuan_other_clip");
    nlohmann::json config =
        nlohmann::json::parse(std::ifstream(dir + "/text_encoder_2/config.json"));
    config["hidden_size"] = 32;
    std::ofstream(dir + "/text_encoder_2/config.json") << config.dump();
    expectError(dir, "do not fit the transformer");

    dir = pipelineFolder("hunyuan_long_prompt");
    auto model = HunyuanModel::load(dir, at::kCPU);
    std::string longPrompt;
    for (int i = 0; i < 300; ++i) longPrompt += "word ";
    QVERIFY_THROWS_EXCEPTION(InputError, model->checkPrompt(longPrompt));
    model->checkPrompt(prompt());
  }
};

QTEST_GUILESS_MAIN(TestHunyuanPipeline)
#include "test_hunyuan_pipeline.moc"
