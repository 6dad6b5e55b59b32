// The training program on the tiny configuration on the CPU: the loss goes down, a run resumes
// from its checkpoint, and the model folder it writes generates through the Engine.
#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/tensor_io.h"
#include "core/pipeline/engine.h"
#include "core/sampling/sampler.h"
#include "core/training/noise_levels.h"
#include "core/training/rollout.h"
#include "core/training/shape_swap.h"
#include "core/training/trainer.h"
#include "tests/support/test_support.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <QtTest>

#include <filesystem>
#include <set>
#include <fstream>

using namespace svgen;
namespace fs = std::filesystem;

namespace {

TrainOptions tinyOptions(const std::string& dir) {
  TrainOptions o;
  o.outDir = dir;
  o.config = "tiny";
  o.device = "cpu";
  o.batch = 4;
  o.lr = 2e-3;
  o.warmupSteps = 10;
  o.logEvery = 20;
  o.checkpointEvery = 20;
  o.textDropout = 0.1;
  return o;
}

class Counter : public TrainObserver {
 public:
  void onLog(const TrainProgress& p) override { losses.push_back(p.loss); }
  void onNote(const std::string& line) override { notes.push_back(line); }
  std::vector<double> losses;
  std::vector<std::string> notes;
};

// A short run of a trained model folder through the Engine, as a user would generate.
GenerationResult generateTwoSteps(Engine& engine, const std::string& modelDir) {
  GenerationRequest req;
  req.model = modelDir;
  req.prompt = "a red circle moving right on a blue background";
  req.steps = 2;
  GenerationObserver quiet;
  return engine.generate(req, quiet);
}

}  // namespace

class TestTraining : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { at::set_num_threads(1); }  // tiny tensors: threads only add overhead

  void lossGoesDown() {
    TrainOptions o = tinyOptions(test::freshDir("train_loss"));
    o.steps = 160;
    Counter counter;
    const TrainResult r = trainBuiltinModel(o, counter);
    QCOMPARE(r.steps, int64_t(160));
    QCOMPARE(int(counter.losses.size()), 8);
    qInfo("loss per 20 steps: first %.4f last %.4f", counter.losses.front(), counter.losses.back());
    QVERIFY2(r.finalLoss < 0.6 * r.firstLoss,
             qPrintable(QString("loss %1 -> %2").arg(r.firstLoss).arg(r.finalLoss)));
    // The log file has a header and one row per report.
    std::ifstream log(fs::path(o.outDir) / "train_log.csv");
    int lines = 0;
    for (std::string line; std::getline(log, line);) ++lines;
    QCOMPARE(lines, 9);
  }

  void resumesFromCheckpointAndModelGenerates() {
    const std::string dir = test::freshDir("train_resume");
    TrainOptions o = tinyOptions(dir);
    o.steps = 40;
    Counter first;
    trainBuiltinModel(o, first);
    const auto optimizerState = loadTensors(dir + "/checkpoint/optimizer.safetensors");
    QCOMPARE(optimizerState.at("adam.step").item<int64_t>(), int64_t(40));

    o.resume = true;
    o.steps = 60;
    o.positionEmbedding = "none";  // the checkpoint's own setting (sincos) must win
    Counter second;
    const TrainResult r = trainBuiltinModel(o, second);
    QCOMPARE(r.steps, int64_t(60));
    QCOMPARE(int(second.losses.size()), 1);  // only steps 41..60 ran

    // The written model folder is a model the Engine runs.
    Engine engine;
    const ModelInfo info = engine.describeModel(r.modelDir);
    QVERIFY(info.trained);
    QVERIFY(QString::fromStdString(info.label).contains("60 steps"));
    const GenerationResult result = generateTwoSteps(engine, r.modelDir);
    QCOMPARE(result.video.frames, info.defaultFrames);
    QCOMPARE(result.video.width, 32);
    // The position embedding it trained with is part of the model's config.
    const nlohmann::json config = readJsonFile(r.modelDir + "/config.json");
    QCOMPARE(QString::fromStdString(config.at("dit").at("position_embedding").get<std::string>()),
             QString("sincos"));
  }

  void badOptionsAreInputErrors() {
    TrainOptions o = tinyOptions(test::freshDir("train_bad"));
    o.config = "huge";
    Counter c;
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(o, c));
    o = tinyOptions(test::freshDir("train_bad2"));
    o.resume = true;  // nothing to resume from
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(o, c));
    o = tinyOptions(test::freshDir("train_bad3"));
    o.lossSigmaFloor = 0;  // would weight clean samples infinitely
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(o, c));
    o = tinyOptions(test::freshDir("train_bad4"));
    o.pureNoiseShare = 1.5;
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(o, c));
    o = tinyOptions(test::freshDir("train_bad5"));
    o.rolloutShare = -0.1;
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(o, c));
    o = tinyOptions(test::freshDir("train_bad6"));
    o.shapeSwapShare = 2;
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(o, c));
    o = tinyOptions(test::freshDir("train_bad7"));
    o.shapeSwapMinSigma = 0;
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(o, c));
  }

  void rolloutStepsFollowTheSamplersSchedule() {
    at::manual_seed(3);
    const std::vector<double> grid = flowSigmas(20, 3.0);
    const RolloutLevels r = drawRolloutLevels(20, 3.0, 4000, at::kCPU);
    std::set<int> fromSteps;
    for (int64_t i = 0; i < r.from.size(0); ++i) {
      const double from = r.from[i].item<double>(), to = r.to[i].item<double>();
      int step = -1;
      for (size_t k = 0; k + 1 < grid.size(); ++k)
        if (std::abs(grid[k] - from) < 1e-6) step = static_cast<int>(k);
      QVERIFY2(step >= 0 && step < 19, qPrintable(QString::number(from)));  // never the last step
      QVERIFY(std::abs(grid[step + 1] - to) < 1e-6);
      fromSteps.insert(step);
    }
    QCOMPARE(int(fromSteps.size()), 19);
    QVERIFY_THROWS_EXCEPTION(InputError, drawRolloutLevels(1, 3.0, 4, at::kCPU));

    // A step from a perfect prediction lands where noising the true clip to the next level would;
    // one from a prediction that only repeats its input stays there.
    const at::Tensor x0 = at::rand({2, 3, 2, 4, 4}) * 2 - 1, noise = at::randn({2, 3, 2, 4, 4});
    const at::Tensor from = at::tensor({1.0f, 0.6f}), to = at::tensor({0.9f, 0.3f});
    const at::Tensor f = from.view({-1, 1, 1, 1, 1}), t = to.view({-1, 1, 1, 1, 1});
    const at::Tensor sample = (1 - f) * x0 + f * noise;
    QVERIFY(at::allclose(stepToLevel(sample, x0, from, to), (1 - t) * x0 + t * noise, 1e-5, 1e-6));
    QVERIFY(at::allclose(stepToLevel(sample, sample, from, to), sample));
  }

  void rolloutInputsComeFromTheGuidedPrediction() {
    const at::Tensor x0 = at::rand({3, 3, 2, 4, 4}) * 2 - 1, noise = at::randn({3, 3, 2, 4, 4});
    const RolloutLevels r{at::tensor({1.0f, 0.8f, 0.5f}), at::tensor({0.9f, 0.6f, 0.4f})};
    const at::Tensor f = r.from.view({-1, 1, 1, 1, 1}), t = r.to.view({-1, 1, 1, 1, 1});
    const at::Tensor sample = (1 - f) * x0 + f * noise;
    at::Tensor ids = at::zeros({3, 5}, at::kLong);
    ids[0][0] = 4;  // rows 0 and 1 are prompted; row 2's prompt was dropped
    ids[1][1] = 7;

    // A perfect predictor lands where noising the true clip to the next level would.
    const X0Predictor oracle = [&](const at::Tensor& x, const at::Tensor&, const at::Tensor&) {
      return at::cat(std::vector<at::Tensor>(x.size(0) / 3, x0));
    };
    QVERIFY(at::allclose(rolloutInputs(oracle, x0, noise, ids, r, 2.0), (1 - t) * x0 + t * noise,
                         1e-5, 1e-6));
    // A predictor of zeros keeps the noise, scaled to the next level.
    const X0Predictor zero = [&](const at::Tensor& x, const at::Tensor&, const at::Tensor&) {
      return at::zeros_like(x);
    };
    QVERIFY(at::allclose(rolloutInputs(zero, x0, noise, ids, r, 2.0), (t / f) * sample));
    // Guidance as sampling forms it: the prompted rows get 1 + g(3 − 1) = 5, the dropped row
    // its unconditional prediction, 1. The predictor sees the timesteps of r.from.
    const X0Predictor words = [&](const at::Tensor& x, const at::Tensor& ts, const at::Tensor& w) {
      if (!at::allclose(ts.narrow(0, 0, 3), r.from * 1000)) throw std::runtime_error("timestep");
      const at::Tensor prompted = w.ne(0).any(1).to(at::kFloat).view({-1, 1, 1, 1, 1});
      return (1 + 2 * prompted).expand_as(x).clone().requires_grad_(true);
    };
    const at::Tensor guided = rolloutInputs(words, x0, noise, ids, r, 2.0);
    const at::Tensor expected = at::tensor({5.0f, 5.0f, 1.0f}).view({-1, 1, 1, 1, 1});
    QVERIFY(at::allclose(guided, expected + (t / f) * (sample - expected), 1e-5, 1e-6));
    QVERIFY(!guided.requires_grad());
    // Without guidance the predictor is asked once, for the prompts only.
    const at::Tensor plain = rolloutInputs(words, x0, noise, ids, r, 1.0);
    const at::Tensor once = at::tensor({3.0f, 3.0f, 1.0f}).view({-1, 1, 1, 1, 1});
    QVERIFY(at::allclose(plain, once + (t / f) * (sample - once), 1e-5, 1e-6));
  }

  void rolloutShareIsRecorded() {
    TrainOptions o = tinyOptions(test::freshDir("train_rollout"));
    o.steps = 3;
    o.rolloutShare = 0.5;
    Counter c;
    const TrainResult r = trainBuiltinModel(o, c);
    QVERIFY(std::isfinite(r.finalLoss));
    // The checkpoint records the share, so a resume with another one is announced.
    const nlohmann::json settings = readJsonFile(o.outDir + "/checkpoint/trainer.json");
    QCOMPARE(settings.at("rollout_share").get<double>(), 0.5);
  }

  void pureNoiseShareTrainsAtSigmaOne() {
    // The head starts at zero, so the first step's loss is mean(x0² / max(σ, floor)²) over the
    // same rendered clips: with every clip at σ = 1 that is mean(x0²), exactly what a floor of 1
    // gives on the ordinary noise levels.
    auto firstLoss = [](double share, double floor, const char* dir) {
      TrainOptions o = tinyOptions(test::freshDir(dir));
      o.steps = 1;
      o.logEvery = 1;
      o.pureNoiseShare = share;
      o.lossSigmaFloor = floor;
      Counter c;
      return trainBuiltinModel(o, c).firstLoss;
    };
    const double allPure = firstLoss(1.0, 0.2, "train_pure1");
    const double unweighted = firstLoss(0.0, 1.0, "train_pure_floor1");
    const double none = firstLoss(0.0, 0.2, "train_pure0");
    QVERIFY2(std::abs(allPure - unweighted) <= 1e-6 * unweighted,
             qPrintable(QString("%1 vs %2").arg(allPure).arg(unweighted)));
    QVERIFY2(allPure < 0.9 * none, qPrintable(QString("%1 vs %2").arg(allPure).arg(none)));
  }

  void pureNoiseClipsGetTheSamplersFirstTimestep() {
    at::manual_seed(5);
    const NoiseLevels n = drawNoiseLevels("shift", 0.25, 20000, at::kCPU);
    const at::Tensor pure = n.sigma.eq(1);
    const double share = pure.to(at::kDouble).mean().item<double>();
    QVERIFY2(share > 0.24 && share < 0.26, qPrintable(QString::number(share)));
    const at::Tensor t = n.timestep.masked_select(pure);
    QVERIFY(t.ge(999).all().item<bool>() && t.lt(1000).all().item<bool>());
    // UniPC starts at 999 and Euler at 999.999: both ends of the range are drawn.
    QVERIFY(t.min().item<double>() < 999.01 && t.max().item<double>() > 999.99);
    const at::Tensor rest = pure.logical_not();
    QVERIFY(at::allclose(n.timestep.masked_select(rest), n.sigma.masked_select(rest) * 1000));
    QVERIFY(n.sigma.masked_select(rest).lt(1).all().item<bool>());
    // Without the share nothing is pure noise, and the draw is the plain schedule.
    at::manual_seed(5);
    const NoiseLevels plain = drawNoiseLevels("shift", 0.0, 20000, at::kCPU);
    QVERIFY(plain.sigma.lt(1).all().item<bool>());
    QVERIFY_THROWS_EXCEPTION(InputError, drawNoiseLevels("cosine", 0.25, 4, at::kCPU));
  }

  void latentRunTrainsTheAutoencoderFirst() {
    const std::string dir = test::freshDir("train_latent");
    TrainOptions o = tinyOptions(dir);
    o.latentChannels = 4;
    o.autoencoderSteps = 200;
    o.batch = 8;  // two clips per autoencoder step
    o.steps = 40;
    Counter first;
    const TrainResult r = trainBuiltinModel(o, first);
    // The autoencoder's reconstruction loss, reported every 20 of its steps,
    // goes down.
    std::vector<double> reconstruction;
    for (const auto& line : first.notes) {
      const auto at = line.find("reconstruction loss ");
      if (at != std::string::npos) reconstruction.push_back(std::stod(line.substr(at + 20)));
    }
    QCOMPARE(int(reconstruction.size()), 10);
    QVERIFY2(
        reconstruction.back() < 0.7 * reconstruction.front(),
        qPrintable(QString("%1 -> %2").arg(reconstruction.front()).arg(reconstruction.back())));
    QVERIFY(std::isfinite(r.finalLoss));

    // The model folder holds the autoencoder; the Engine generates through its decoder.
    const nlohmann::json config = readJsonFile(r.modelDir + "/config.json");
    QCOMPARE(config.at("autoencoder").at("latent_channels").get<int>(), 4);
    const auto weights = loadTensors(r.modelDir);
    QVERIFY(weights.count("autoencoder.decoder.0.weight") == 1);
    QVERIFY(weights.at("autoencoder.latent_std").ge(1e-3).all().item<bool>());
    Engine engine;
    const GenerationResult result = generateTwoSteps(engine, r.modelDir);
    QCOMPARE(result.video.width, 32);
    QCOMPARE(result.video.frames, engine.describeModel(r.modelDir).defaultFrames);

    // Resumed, the run keeps its autoencoder and does not train it again.
    o.resume = true;
    o.latentChannels = 0;  // the checkpoint's spec wins
    o.steps = 45;
    Counter second;
    const TrainResult resumed = trainBuiltinModel(o, second);
    for (const auto& line : second.notes)
      QVERIFY2(line.find("reconstruction") == std::string::npos, line.c_str());
    const auto after = loadTensors(resumed.modelDir);
    QVERIFY(at::equal(after.at("autoencoder.decoder.0.weight"),
                      weights.at("autoencoder.decoder.0.weight")));

    // A fine-tune of the latent model keeps its autoencoder frozen too.
    TrainOptions tune = tinyOptions(test::freshDir("train_latent_tune"));
    tune.config = "builtin";  // the folder's architecture wins
    tune.initFrom = resumed.modelDir;
    tune.steps = 2;
    Counter third;
    const auto tuned = loadTensors(trainBuiltinModel(tune, third).modelDir);
    QVERIFY(at::equal(tuned.at("autoencoder.latent_std"), weights.at("autoencoder.latent_std")));
    QVERIFY(!at::equal(tuned.at("blocks.0.ffn.0.weight"), after.at("blocks.0.ffn.0.weight")));
    // ...and resumes with it.
    TrainOptions tuneMore = tinyOptions(tune.outDir);
    tuneMore.resume = true;
    tuneMore.steps = 3;
    Counter fourth;
    const auto resumedTune = loadTensors(trainBuiltinModel(tuneMore, fourth).modelDir);
    QVERIFY(at::equal(resumedTune.at("autoencoder.decoder.0.weight"),
                      weights.at("autoencoder.decoder.0.weight")));
  }

  void shapeSwapsChangeOnlyTheShapeAndStayHeldIn() {
    SceneSampler sampler(11, /*heldOut=*/false);
    std::vector<SceneSpec> scenes;
    std::vector<bool> chosen;
    for (int i = 0; i < 300; ++i) {
      scenes.push_back(sampler.next());
      chosen.push_back(i % 3 != 0);
    }
    const std::vector<SceneSpec> swapped = swapShapes(scenes, chosen, 5);
    std::set<std::pair<int, int>> pairs;  // (true shape, input shape)
    for (size_t i = 0; i < scenes.size(); ++i) {
      if (!chosen[i]) {
        QVERIFY(swapped[i] == scenes[i]);
        continue;
      }
      for (size_t k = 0; k < scenes[i].objects.size(); ++k) {
        ObjectSpec o = swapped[i].objects[k];
        QVERIFY(o.shape != scenes[i].objects[k].shape);
        QVERIFY(!isHeldOut(o));
        pairs.insert({int(scenes[i].objects[k].shape), int(o.shape)});
        o.shape = scenes[i].objects[k].shape;
        QVERIFY(o == scenes[i].objects[k]);  // nothing else changed
      }
    }
    QVERIFY2(pairs.size() >= 18, qPrintable(QString::number(pairs.size())));  // of 20 possible
    QVERIFY(swapShapes(scenes, chosen, 5) == swapped);                        // seeded
    QVERIFY_THROWS_EXCEPTION(InputError, swapShapes(scenes, {true}, 5));
  }

  void shapeSwapChangesTheInputNotTheTarget() {
    // A fresh model's zero head predicts 0 whatever its input, so its first loss sees only the
    // targets: the same with and without swaps. A trained model sees the swapped inputs.
    TrainOptions base = tinyOptions(test::freshDir("train_swap_base"));
    base.steps = 40;
    base.pureNoiseShare = 0;  // pure-noise inputs show no shape to swap
    Counter b;
    const TrainResult trained = trainBuiltinModel(base, b);
    auto firstLoss = [&](double share, const std::string& init, const char* dir,
                         double minSigma = kDefaultShapeSwapMinSigma) {
      TrainOptions t = tinyOptions(test::freshDir(dir));
      t.steps = 1;
      t.logEvery = 1;
      t.batch = 16;
      t.pureNoiseShare = 0;
      t.shapeSwapShare = share;
      t.shapeSwapMinSigma = minSigma;
      if (!init.empty()) {
        t.config = "builtin";  // the folder's architecture wins
        t.initFrom = init;
      }
      Counter c;
      return trainBuiltinModel(t, c).firstLoss;
    };
    const double freshPlain = firstLoss(0, "", "train_swap_f0");
    const double freshSwapped = firstLoss(1, "", "train_swap_f1");
    QVERIFY2(std::abs(freshPlain - freshSwapped) <= 1e-6 * freshPlain,
             qPrintable(QString("%1 vs %2").arg(freshPlain).arg(freshSwapped)));
    const double trainedPlain = firstLoss(0, trained.modelDir, "train_swap_t0");
    const double trainedSwapped = firstLoss(1, trained.modelDir, "train_swap_t1");
    // The same inputs would give the same loss to the last bit (the CPU run is deterministic);
    // the tiny model hardly looks at outlines, so the difference is small.
    QVERIFY2(std::abs(trainedPlain - trainedSwapped) > 1e-6 * trainedPlain,
             qPrintable(QString("%1 vs %2").arg(trainedPlain).arg(trainedSwapped)));
    // With the floor at σ = 1 only pure noise, which shows no shape, would be swapped.
    QCOMPARE(firstLoss(1, trained.modelDir, "train_swap_t1_floor1", 1.0), trainedPlain);
  }

  void resumingWithOtherSettingsSaysSo() {
    const std::string dir = test::freshDir("train_resume_note");
    TrainOptions o = tinyOptions(dir);
    o.steps = 2;
    o.pureNoiseShare = 0;
    Counter first;
    trainBuiltinModel(o, first);
    o.resume = true;
    o.steps = 3;
    o.pureNoiseShare = 0.25;
    Counter second;
    trainBuiltinModel(o, second);
    bool noted = false;
    for (const auto& line : second.notes)
      noted = noted || line.find("pure_noise_share 0.25; the checkpoint trained with 0.0") !=
                           std::string::npos;
    QVERIFY2(noted, second.notes.empty() ? "no notes" : second.notes.back().c_str());
  }

  void initFromStartsFromTheModelsWeights() {
    TrainOptions o = tinyOptions(test::freshDir("train_init_base"));
    o.steps = 60;
    Counter base;
    const TrainResult trained = trainBuiltinModel(o, base);

    // A fresh run's zero head makes its first loss high; one that starts from the trained model
    // starts near where that model ended.
    auto firstLoss = [&](const std::string& init, const char* dir) {
      TrainOptions t = tinyOptions(test::freshDir(dir));
      t.steps = 1;
      t.logEvery = 1;
      t.initFrom = init;
      // The folder's architecture wins: the shipped one would not fit the tiny weights.
      if (!init.empty()) t.config = "builtin";
      Counter c;
      return trainBuiltinModel(t, c);
    };
    const TrainResult fresh = firstLoss("", "train_init_fresh");
    const TrainResult tuned = firstLoss(trained.modelDir, "train_init_tuned");
    QVERIFY2(tuned.firstLoss < 0.8 * fresh.firstLoss,
             qPrintable(QString("%1 vs %2").arg(tuned.firstLoss).arg(fresh.firstLoss)));
    auto labelOf = [](const std::string& modelDir) {
      return QString::fromStdString(
          readJsonFile(modelDir + "/config.json").at("label").get<std::string>());
    };
    QCOMPARE(labelOf(tuned.modelDir), QString("built-in shapes (trained 60 steps) + 1 steps"));

    // Resumed, a fine-tune keeps its base: the label counts on from there.
    TrainOptions more = tinyOptions(fs::path(tuned.modelDir).parent_path().string());
    more.resume = true;
    more.steps = 3;
    Counter resumed;
    QCOMPARE(labelOf(trainBuiltinModel(more, resumed).modelDir),
             QString("built-in shapes (trained 60 steps) + 3 steps"));

    // An untrained model folder is no start.
    const std::string untrained = test::freshDir("train_init_untrained");
    nlohmann::json config = readJsonFile(trained.modelDir + "/config.json");
    config["trained"] = false;
    std::ofstream(untrained + "/config.json") << config.dump();
    fs::copy_file(trained.modelDir + "/model.safetensors", untrained + "/model.safetensors");
    TrainOptions fromUntrained = tinyOptions(test::freshDir("train_init_from_untrained"));
    fromUntrained.initFrom = untrained;
    Counter u;
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(fromUntrained, u));

    Counter c;
    TrainOptions both = tinyOptions(test::freshDir("train_init_resume"));
    both.initFrom = trained.modelDir;
    both.resume = true;
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(both, c));
    TrainOptions notModel = tinyOptions(test::freshDir("train_init_notmodel"));
    notModel.initFrom = test::freshDir("train_init_empty");
    QVERIFY_THROWS_EXCEPTION(InputError, trainBuiltinModel(notModel, c));

    // A model folder missing one weight is refused, naming it.
    const std::string broken = test::freshDir("train_init_broken");
    fs::copy_file(trained.modelDir + "/config.json", broken + "/config.json");
    auto weights = loadTensors(trained.modelDir);
    weights.erase("head.head.weight");
    saveTensors(broken + "/model.safetensors", weights);
    TrainOptions missing = tinyOptions(test::freshDir("train_init_missing"));
    missing.initFrom = broken;
    try {
      trainBuiltinModel(missing, c);
      QFAIL("a model without head.head.weight was accepted");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("head.head.weight") != std::string::npos, e.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestTraining)
#include "test_training.moc"
