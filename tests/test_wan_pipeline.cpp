// A Wan 2.1 checkpoint through the Engine, as `svgen generate --model FOLDER` runs it: the tiny
// diffusers folder in tests/fixtures/wan_tiny, against diffusers' own 4-step UniPC trajectory with
// CFG 5 (tools/fixtures/make_wan_fixtures.py). This covers tokenizer, umT5, DiT, sampler, guidance
// and VAE together, and the request checks a Wan model brings.
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/io/tensor_map.h"
#include "core/pipeline/engine.h"
#include "core/text/sentencepiece_tokenizer.h"

#include <ATen/ATen.h>

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>

using namespace svgen;

namespace {

const std::string kFolder = "tests/fixtures/wan_tiny";

GenerationRequest fixtureRequest() {
  return test::wanFixtureRequest(test::sourcePath(kFolder));
}

}  // namespace

class TestWanPipeline : public QObject {
  Q_OBJECT
 private slots:
  void describesTheFolderWithWanLimits() {
    Engine engine;
    const ModelInfo info = engine.describeModel(test::sourcePath(kFolder));
    QVERIFY(info.trained);
    QCOMPARE(info.frameMultiple, 4);
    QCOMPARE(info.frameOffset, 1);
    QCOMPARE(info.sizeMultiple, 16);
    QVERIFY(info.vocabulary.empty());  // any text: a real tokenizer
  }

  void refusesImpossibleFramesAndSizesWithTheNearestValid() {
    Engine engine;
    GenerationRequest r = fixtureRequest();
    r.frames = 10;
    try {
      engine.resolve(r);
      QFAIL("10 frames should be refused");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("nearest valid: 9") != std::string::npos, e.what());
    }
    r = fixtureRequest();
    r.width = 72;
    try {
      engine.resolve(r);
      QFAIL("width 72 should be refused");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("nearest valid") != std::string::npos, e.what());
    }
  }

  void aFolderMissingItsVaeSaysSo() {
    const std::string dir = test::freshDir("wan_no_vae");
    for (const char* part : {"transformer", "text_encoder", "tokenizer"}) {
      std::filesystem::copy(test::sourcePath(kFolder + "/" + part), dir + "/" + part,
                            std::filesystem::copy_options::recursive);
    }
    std::filesystem::copy(test::sourcePath(kFolder + "/model_index.json"),
                          dir + "/model_index.json");
    Engine engine;
    try {
      engine.describeModel(dir);
      QFAIL("a folder without its VAE should be refused");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("vae") != std::string::npos, e.what());
    }
  }

  void aFolderOfTwoModelsIsRefusedNotMixed() {
    // A models folder with two diffusion models: taking either silently could pair it with the
    // wrong encoder or VAE, so the transformer counts as missing and both files are named.
    const std::string dir = test::freshDir("wan_two_dits");
    test::writeComfyUiFolder(dir);
    const std::string dits = dir + "/diffusion_models/";
    std::filesystem::copy(dits + "wan2.1_t2v_tiny_fp32.safetensors",
                          dits + "wan2.1_t2v_other_fp32.safetensors");
    const CheckpointInspection i = Engine::inspect(dir);
    QCOMPARE(i.missing, std::vector<std::string>{"transformer"});
    QVERIFY2(i.transformer.problem.find("2 found") != std::string::npos,
             i.transformer.problem.c_str());
    QVERIFY(i.transformer.problem.find("wan2.1_t2v_other_fp32") != std::string::npos);
    QVERIFY(i.textEncoder.problem.empty() && i.vae.problem.empty());
    try {
      Engine().describeModel(dir);
      QFAIL("an ambiguous folder should be refused");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("one model") != std::string::npos, e.what());
    }
  }

  // A misshaped weight is named as the file spells it, with the file (issue 23, item 12: the
  // model's own name "blocks.0.norm3.weight" and no path were all a user got).
  void aMisshapedWeightIsNamedAsTheFileHasIt() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const std::string dir = test::freshDir("wan_misshaped");
    std::filesystem::copy(test::sourcePath(kFolder), dir, std::filesystem::copy_options::recursive);
    const std::string file = dir + "/transformer/diffusion_pytorch_model.safetensors";
    TensorMap weights = loadTensors(file);
    weights["blocks.0.norm2.weight"] = at::ones({31});
    saveTensors(file, weights);
    GenerationRequest r = fixtureRequest();
    r.model = dir;
    GenerationObserver quiet;
    try {
      Engine().generate(r, quiet);
      QFAIL("a misshaped weight was accepted");
    } catch (const InputError& e) {
      const std::string message = e.what();
      QVERIFY2(message.find("\"blocks.0.norm2.weight\"") != std::string::npos, e.what());
      QVERIFY2(message.find("norm3") == std::string::npos, e.what());
      QVERIFY2(message.find(dir + "/transformer") != std::string::npos, e.what());
      QVERIFY2(message.find("[31]") != std::string::npos, e.what());
    }

    // The text encoder and the VAE name their files too.
    weights["blocks.0.norm2.weight"] = at::ones({32});
    saveTensors(file, weights);
    const std::string encoderFile = dir + "/text_encoder/model.safetensors";
    TensorMap encoder = loadTensors(encoderFile);
    const std::string key = "encoder.block.0.layer.0.layer_norm.weight";
    QVERIFY(encoder.count(key));
    encoder[key] = at::ones({encoder[key].size(0) - 1});
    saveTensors(encoderFile, encoder);
    try {
      Engine().generate(r, quiet);
      QFAIL("a misshaped text encoder weight was accepted");
    } catch (const InputError& e) {
      const std::string message = e.what();
      QVERIFY2(message.find(dir + "/text_encoder") != std::string::npos, e.what());
      QVERIFY2(message.find(key) != std::string::npos, e.what());
    }
  }

  void cancelStopsTheVaeBetweenChunks() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    // Cancelled while decoding: the VAE stops after its second latent frame of three.
    struct CancelInDecode : GenerationObserver {
      bool decoding = false;
      int checksInDecode = 0;
      void onStage(const std::string& stage) override { decoding = stage == "decode"; }
      bool isCancelled() override { return decoding && ++checksInDecode > 1; }
    } observer;
    Engine engine;
    QVERIFY_THROWS_EXCEPTION(Cancelled, engine.generate(fixtureRequest(), observer));
    QCOMPARE(observer.checksInDecode, 2);  // one check per chunk; the second one cancels
  }

  void decodeMemoryEstimateFollowsThePixels() {
    // The measured whole-frame decodes (H200: 8.4 GiB at 832x480, 20.1 at 1280x720) and a
    // 256-pixel tile's share, which --vram's choice of a tiled decode rests on.
    const ModelInfo wan = Engine().describeModel(test::sourcePath(kFolder));
    QVERIFY(std::abs(wan.decodeGiB(1280, 720, false) - 20.1) < 0.2);
    QVERIFY(std::abs(wan.decodeGiB(832, 480, false) - 8.4) < 0.5);
    QVERIFY(wan.decodeGiB(1280, 720, true) < 1.5);
    QCOMPARE(wan.decodeGiB(64, 64, true), wan.decodeGiB(64, 64, false));  // one tile
    QCOMPARE(Engine().describeModel("builtin").decodeGiB(1280, 720, false), 0.0);
  }

  void tiledDecodeAndABudgetOnTheCpu() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    // The fixture's 8 x 8 latent is one tile: the tiled decode is the whole decode, exactly. A
    // GPU budget on the CPU is said, not silently dropped.
    GenerationObserver quiet;
    Engine engine;
    GenerationRequest r = fixtureRequest();
    r.steps = 1;
    const GenerationResult whole = engine.generate(r, quiet);
    r.tiledDecode = true;
    r.vramGiB = 6;
    const GenerationResult tiled = engine.generate(r, quiet);
    QCOMPARE(tiled.video.rgb, whole.video.rgb);
    QCOMPARE(tiled.notes.size(), size_t(1));
    QVERIFY2(tiled.notes[0].find("--vram budgets GPU memory") != std::string::npos,
             tiled.notes[0].c_str());
  }

  // --structured-attention rewrites the cached model's heads for one run: the clip changes, the
  // run says why, and the next plain run gets the model's own weights back (a reload).
  void structuredAttentionIsForItsRunOnly() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    GenerationObserver quiet;
    Engine engine;
    GenerationRequest r = fixtureRequest();
    r.steps = 1;
    const GenerationResult plain = engine.generate(r, quiet);
    r.structuredAttention = true;
    const GenerationResult structured = engine.generate(r, quiet);
    QVERIFY(structured.video.rgb != plain.video.rgb);
    QVERIFY(std::any_of(structured.notes.begin(), structured.notes.end(), [](const auto& n) {
      return n.find("structured for a speed run") != std::string::npos;
    }));
    QVERIFY(engine.generate(r, quiet).video.rgb == structured.video.rgb);  // same grid, same seed
    r.structuredAttention = false;
    QVERIFY(engine.generate(r, quiet).video.rgb == plain.video.rgb);
    GenerationRequest builtin;
    builtin.prompt = "a red circle";
    builtin.steps = 1;
    builtin.structuredAttention = true;
    QVERIFY_THROWS_EXCEPTION(InputError, engine.generate(builtin, quiet));
  }

  void generatesDiffusersTrajectory() { checkTrajectory(test::sourcePath(kFolder), "diffusers"); }

  void comfyUiFilesGiveTheSameClip() {
    // The same weights as ComfyUI keeps them: one file per component, original DiT and VAE names.
    const std::string dir = test::freshDir("wan_comfyui");
    test::writeComfyUiFolder(dir);
    QCOMPARE(QString::fromStdString(Engine::inspect(dir).layout), QString("comfyui"));
    checkTrajectory(dir, "ComfyUI files");
  }

 private:
  void checkTrajectory(const std::string& model, const char* what) {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const TensorMap ref = test::wanReference();
    const std::string dir = test::freshDir("wan_pipeline");
    GenerationRequest r = fixtureRequest();
    r.model = model;
    r.initNoisePath = dir + "/init.safetensors";
    r.saveLatentsPath = dir + "/final.safetensors";
    saveTensors(r.initNoisePath, {{"latent", ref.at("unipc.init")}});
    Engine engine;
    GenerationObserver quiet;
    const GenerationResult result = engine.generate(r, quiet);
    QCOMPARE(result.video.frames, 9);
    QCOMPARE(result.video.width, 64);
    QCOMPARE(result.video.height, 64);
    const at::Tensor latent = loadTensors(r.saveLatentsPath).at("latent");
    const at::Tensor expected = ref.at("unipc.latent.4");
    const double err = (latent - expected).abs().max().item<double>() /
                       std::max(1.0, expected.abs().max().item<double>());
    qInfo("Engine on %s vs diffusers' pipeline: final latent error %.3g of its max", what, err);
    QVERIFY2(err < 1e-4, qPrintable(QString("relative error %1").arg(err)));
    // The same prompts again reuse the encoded text; the result is unchanged.
    const GenerationResult again = engine.generate(r, quiet);
    QCOMPARE(again.video.rgb, result.video.rgb);
  }
};

QTEST_GUILESS_MAIN(TestWanPipeline)
#include "test_wan_pipeline.moc"
