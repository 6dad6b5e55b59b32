// The Engine on the built-in model at a small size: determinism, defaults and validation,
// progress and previews, cancellation within one layer, initial-noise and latent files.
#include "core/attention/clustering/cluster_parameters.h"
#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/model/builtin/builtin_model.h"
#include "core/pipeline/engine.h"
#include "core/pipeline/request_json.h"
#include "core/pipeline/stopwatch.h"
#include "tests/support/test_support.h"

#include <ATen/ATen.h>

#include <cmath>

#include <QtTest>

#include <filesystem>
#include <limits>

using namespace svgen;

namespace {

GenerationRequest smallRequest() {
  GenerationRequest r;
  r.prompt = "a red circle moving right on a blue background";
  r.negativePrompt = "";
  r.frames = 3;
  r.width = 32;
  r.height = 32;
  r.steps = 2;
  r.seed = 7;
  r.threads = 2;
  return r;
}

class Recorder : public GenerationObserver {
 public:
  void onStage(const std::string& stage) override { stages.push_back(stage); }
  void onProgress(const Progress& p) override { progress.push_back(p); }
  void onPreview(int step, const Video& v) override { previews.push_back({step, v.frames}); }
  void onLayer(int layer, int layers) override {
    ++layerCalls;
    lastLayer = layer;
    layerCount = layers;
  }
  bool isCancelled() override {
    ++polls;
    if (cancelAtPoll > 0 && polls >= cancelAtPoll) {
      if (!cancelRequested) cancelClock.restart();
      cancelRequested = true;
      return true;
    }
    return false;
  }
  std::vector<std::string> stages;
  std::vector<Progress> progress;
  std::vector<std::pair<int, int>> previews;
  int polls = 0;
  int layerCalls = 0, lastLayer = -1, layerCount = 0;
  int cancelAtPoll = 0;
  bool cancelRequested = false;
  Stopwatch cancelClock;
};

}  // namespace

class TestEngine : public QObject {
  Q_OBJECT
  Engine engine_;

 private slots:
  void resultCarriesOnePositiveTimePerStep() {
    Recorder recorder;
    const GenerationResult result = engine_.generate(smallRequest(), recorder);
    QCOMPARE(result.stepSeconds.size(), size_t(smallRequest().steps));
    for (double s : result.stepSeconds) QVERIFY(s > 0);
  }

  void resolveFillsDefaultsAndRefusesBadValues() {
    const ModelInfo info = engine_.describeModel("builtin");
    QVERIFY(!info.label.empty());
    QVERIFY(!info.vocabulary.empty());
    GenerationRequest r;
    r.prompt = "a red circle";
    const GenerationRequest resolved = engine_.resolve(r);
    QCOMPARE(resolved.frames, info.defaultFrames);
    QCOMPARE(resolved.width, info.defaultWidth);
    QCOMPARE(resolved.steps, info.defaultSteps);
    QCOMPARE(resolved.guidance, info.defaultGuidance);

    auto expectProblem = [&](GenerationRequest bad, const QString& text) {
      try {
        engine_.resolve(bad);
        QFAIL(qPrintable("accepted: " + text));
      } catch (const InputError& e) {
        QVERIFY2(QString(e.what()).contains(text), e.what());
      }
    };
    r = smallRequest();
    r.vramGiB = -2;
    expectProblem(r, "vram must be 0 (the whole card) or a budget in GiB");
    r.vramGiB = std::nan("");
    expectProblem(r, "vram must be 0");
    r = smallRequest();
    r.width = 99;
    expectProblem(r, "nearest valid: 96");
    r = smallRequest();
    r.prompt = "a red zeppelin";
    expectProblem(r, "\"zeppelin\"");
    r = smallRequest();
    r.negativePrompt = "blurry";
    expectProblem(r, "negative prompt");
    r = smallRequest();
    r.sampler = "ddim";
    expectProblem(r, "ddim");
    r = smallRequest();
    r.frames = 1000;
    expectProblem(r, "frames 1000");
    r = smallRequest();
    r.device = "tpu";
    QVERIFY_THROWS_EXCEPTION(InputError, engine_.generate(r, *std::make_unique<Recorder>()));
    r = smallRequest();
    r.model = "/nonexistent/model";
    expectProblem(r, "does not exist");
  }

  void sameSeedSameFramesAndProgress() {
    Recorder a, b, c;
    GenerationRequest r = smallRequest();
    const GenerationResult ra = engine_.generate(r, a);
    const GenerationResult rb = engine_.generate(r, b);
    QCOMPARE(ra.video.frames, 3);
    QCOMPARE(ra.video.width, 32);
    QCOMPARE(ra.video.height, 32);
    QCOMPARE(ra.video.rgb.size(), size_t(3 * 32 * 32 * 3));
    QVERIFY(ra.video.rgb == rb.video.rgb);
    r.seed = 8;
    const GenerationResult rc = engine_.generate(r, c);
    QVERIFY(ra.video.rgb != rc.video.rgb);

    QCOMPARE(a.stages, (std::vector<std::string>{"load", "encode", "denoise", "decode"}));
    QCOMPARE(int(a.progress.size()), 2);
    QCOMPARE(a.progress.back().step, 2);
    QCOMPARE(a.progress.back().totalSteps, 2);
    QCOMPARE(a.progress.back().etaSeconds, 0.0);
    QVERIFY(a.progress.front().etaSeconds >= 0);
    QCOMPARE(int(a.previews.size()), 2);
    QCOMPARE(a.previews.front().second, 3);
    QCOMPARE(int(ra.timings.size()), 4);
    QVERIFY(ra.attentionSeconds > 0 && ra.attentionSeconds < ra.totalSeconds);
    QCOMPARE(ra.request.guidance, engine_.describeModel("builtin").defaultGuidance);
    // Every layer of every step is reported before it runs.
    const int layers = engine_.describeModel("builtin").layers;
    QVERIFY(layers > 0);
    QCOMPARE(a.layerCount, layers);
    QCOMPARE(a.lastLayer, layers - 1);
    QCOMPARE(a.layerCalls % layers, 0);
    QVERIFY(a.layerCalls >= 2 * layers);
  }

  void cancelStopsWithinOneLayer() {
    Recorder rec;
    rec.cancelAtPoll = 6;  // during the first denoising step's layers
    QVERIFY_THROWS_EXCEPTION(Cancelled, engine_.generate(smallRequest(), rec));
    // The engine polls before every layer and stops at the first poll that sees the request.
    QCOMPARE(rec.polls, rec.cancelAtPoll);
    QVERIFY(rec.progress.empty());
    QVERIFY(rec.cancelClock.seconds() < 5.0);
  }

  void initNoiseAndSavedLatents() {
    const std::string dir = test::freshDir("engine_latents");
    GenerationRequest r = smallRequest();
    const std::vector<int64_t> shape = {1, 3, 4, 32, 32};  // 3 frames pad to the temporal patch 2
    saveTensors(dir + "/noise.safetensors", {{"latent", at::randn(shape)}});
    r.initNoisePath = dir + "/noise.safetensors";
    r.saveLatentsPath = dir + "/final.safetensors";
    Recorder a, b;
    const GenerationResult ra = engine_.generate(r, a);
    r.seed = 99;  // the given noise replaces the seeded one
    r.saveLatentsPath.clear();
    const GenerationResult rb = engine_.generate(r, b);
    QVERIFY(ra.video.rgb == rb.video.rgb);
    const auto latents = loadTensors(dir + "/final.safetensors");
    QCOMPARE(latents.at("latent").sizes().vec(), shape);

    saveTensors(dir + "/wrong.safetensors", {{"latent", at::randn({1, 3, 2, 32, 32})}});
    r.initNoisePath = dir + "/wrong.safetensors";
    Recorder c;
    try {
      engine_.generate(r, c);
      QFAIL("a latent of the wrong shape was accepted");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("[1, 3, 4, 32, 32]"), e.what());
    }
  }

  // Values no clip can come from are refused with the reason instead of an all-black clip and a
  // success (issue 23, item 10).
  void nonFiniteNoiseAndWeightsAreRefused() {
    const std::string dir = test::freshDir("engine_non_finite");
    GenerationRequest r = smallRequest();
    at::Tensor noise = at::randn({1, 3, 4, 32, 32});
    noise[0][1][2][3][4] = std::numeric_limits<float>::quiet_NaN();
    saveTensors(dir + "/noise.safetensors", {{"latent", noise}});
    r.initNoisePath = dir + "/noise.safetensors";
    Recorder a;
    try {
      engine_.generate(r, a);
      QFAIL("a NaN in the initial noise was accepted");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("NaN or infinite"), e.what());
    }

    // A copy of the shipped model with one infinite weight in its second shard.
    const std::string source = findBuiltinModelDir();
    if (source.empty()) QSKIP("this install has no trained built-in model");
    const std::string model = dir + "/model";
    std::filesystem::copy(source, model);
    const std::string shard = model + "/model-00002-of-00002.safetensors";
    auto tensors = loadTensors(shard);
    std::string damaged;
    for (auto& [key, t] : tensors)
      if (key.rfind("blocks.", 0) == 0 && key.find("weight") != std::string::npos) {
        t = t.clone();
        t.view({-1})[0] = std::numeric_limits<float>::infinity();
        damaged = key;
        break;
      }
    QVERIFY(!damaged.empty());
    saveTensors(shard, tensors);
    r.initNoisePath.clear();
    r.model = model;
    Recorder b;
    try {
      engine_.generate(r, b);
      QFAIL("an infinite weight was accepted");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains(QString::fromStdString("'" + damaged + "'")), e.what());
    }
  }

  // A side output that cannot be written is reported with the result; the clip is kept.
  void aFailedSideOutputKeepsTheClip() {
    const std::string dir = test::freshDir("engine_side_output");
    GenerationRequest r = smallRequest();
    r.recordAttentionPath = dir + "/record.json";
    r.saveLatentsPath = dir + "/latents.safetensors";
    // Folders named like the outputs, made after the request was checked: both writes fail.
    struct MakeFoldersAtDecode : Recorder {
      std::string dir;
      void onStage(const std::string& stage) override {
        if (stage == "denoise") {
          std::filesystem::create_directories(dir + "/record.json");
          std::filesystem::create_directories(dir + "/latents.safetensors");
        }
      }
    } observer;
    observer.dir = dir;
    const GenerationResult result = engine_.generate(r, observer);
    QCOMPARE(result.video.frames, 3);
    QCOMPARE(int(result.outputProblems.size()), 2);
    QVERIFY2(QString::fromStdString(result.outputProblems[0]).startsWith("attention record"),
             result.outputProblems[0].c_str());
    QVERIFY2(QString::fromStdString(result.outputProblems[1]).startsWith("latents file"),
             result.outputProblems[1].c_str());
  }

  void requestJsonRoundTrip() {
    GenerationRequest r = smallRequest();
    r.negativePrompt = "a black square";
    r.attention.method = "svg2";
    r.attention.set(clustering::topP, 0.95);
    r.seed = 1234567890123ull;
    r.tiledDecode = true;
    r.vramGiB = 7.5;
    const GenerationRequest back = requestFromJson(requestToJson(r));
    QCOMPARE(requestToJson(back), requestToJson(r));
    QVERIFY(back.tiledDecode);
    QCOMPARE(back.vramGiB, 7.5);
    // Settings written before the memory options existed load with them off.
    const GenerationRequest old = requestFromJson("{\"prompt\": \"a red circle\"}");
    QVERIFY(!old.tiledDecode);
    QCOMPARE(old.vramGiB, 0.0);
    QCOMPARE(back.seed, r.seed);
    QCOMPARE(back.attention.get(clustering::topP), 0.95);
    QVERIFY_THROWS_EXCEPTION(InputError, requestFromJson("{\"frames\": \"many\"}"));
    QVERIFY_THROWS_EXCEPTION(InputError, requestFromJson("not json"));
    // Numbers a field's type cannot hold are refused, not cast (the fuzzer found 4.2e23 as a
    // seed: a float-to-integer cast out of range is undefined behaviour).
    for (const char* bad :
         {"{\"seed\": 425555555555555555555555}", "{\"seed\": -1}", "{\"frames\": 1e30}",
          "{\"frames\": 1099511627776}", "{\"frames\": 3.5}", "{\"steps\": -1e300}",
          "{\"attention\": {\"svg_block\": 1e300}}"}) {
      try {
        requestFromJson(bad);
        QFAIL(bad);
      } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find("whole number") != std::string::npos, e.what());
      }
    }
    QCOMPARE(requestFromJson("{\"frames\": 9.0}").frames, 9);
    // A boolean is no number, and an attention parameter keeps its type's range.
    QVERIFY_THROWS_EXCEPTION(InputError, requestFromJson("{\"frames\": true}"));
    QVERIFY_THROWS_EXCEPTION(InputError, requestFromJson("{\"guidance\": false}"));
    // A clip's metadata restores its request.
    GenerationResult result;
    result.request = r;
    QCOMPARE(requestToJson(requestFromJson(resultMetadataJson(result))), requestToJson(r));
  }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
