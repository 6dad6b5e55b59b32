// HunyuanVideo's causal VAE decoder against diffusers' AutoencoderKLHunyuanVideo on tiny random
// weights (tests/fixtures/hunyuan_vae_*, made by tools/fixtures/make_hunyuan_vae_fixtures.py):
// one window, the framewise decode diffusers runs by default for longer latents (windows blended
// over 4 frames), and the errors for a damaged file or a wrong latent.
#include "support/tensor_compare.h"
#include "support/test_support.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/tensor_io.h"
#include "core/model/hunyuan/hunyuan_vae.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <QtTest/QtTest>

using namespace svgen;
using test::relativeError;

namespace {

const char* kFolder = "tests/fixtures/hunyuan_vae_tiny/";

HunyuanVaeConfig tinyConfig() {
  return hunyuanVaeConfigFromJson(
      readJsonFile(test::sourcePath(std::string(kFolder) + "config.json")));
}

TensorMap tinyWeights() {
  return loadTensors(
      test::sourcePath(std::string(kFolder) + "diffusion_pytorch_model.safetensors"));
}

TensorMap reference() {
  return loadTensors(test::sourcePath("tests/fixtures/hunyuan_vae_reference.safetensors"));
}

}  // namespace

class TestHunyuanVae : public QObject {
  Q_OBJECT
 private slots:
  void init() { c10::GradMode::set_enabled(false); }

  void oneWindowMatchesDiffusers() {
    const HunyuanVaeDecoder vae(tinyConfig(), tinyWeights(), at::kCPU, at::kFloat);
    const TensorMap ref = reference();
    const at::Tensor video = vae.decode(ref.at("short.latent"));
    QCOMPARE(video.sizes().vec(), ref.at("short.video").sizes().vec());
    const double err = relativeError(video, ref.at("short.video"));
    qInfo("3 latent frames -> 9: relative error %.3g", err);
    QVERIFY2(err < 1e-5, qPrintable(QString::number(err)));
  }

  // 8 latent frames: windows at latent frames 0, 3 and 6, cross-faded; the whole latent in one
  // window gives something else (the windows' norms and attention see only their frames).
  void framewiseDecodeMatchesDiffusers() {
    const HunyuanVaeDecoder vae(tinyConfig(), tinyWeights(), at::kCPU, at::kFloat);
    const TensorMap ref = reference();
    int windows = 0;
    const at::Tensor video = vae.decode(ref.at("long.latent"), [&] { ++windows; });
    QCOMPARE(windows, 2);  // called between the three windows
    QCOMPARE(video.sizes().vec(), ref.at("long.video").sizes().vec());
    const double err = relativeError(video, ref.at("long.video"));
    qInfo("8 latent frames -> 29 in windows: relative error %.3g", err);
    QVERIFY2(err < 1e-5, qPrintable(QString::number(err)));
    const double whole =
        relativeError(vae.decodeWindow(ref.at("long.latent")), ref.at("long.untiled"));
    QVERIFY2(whole < 1e-5, qPrintable(QString::number(whole)));
    QVERIFY(relativeError(video, ref.at("long.untiled")) > 1e-2);
  }

  // diffusers' enable_tiling: 64-pixel tiles every 48 here (256 every 192 by default), blended
  // over 16 pixels in reading order, alone and inside framewise windows.
  void spatialTilesMatchDiffusers() {
    HunyuanVaeDecoder vae(tinyConfig(), tinyWeights(), at::kCPU, at::kFloat);
    const TensorMap ref = reference();
    const at::Tensor whole = vae.decode(ref.at("tiled.latent"));
    vae.setSpatialTiling(true, 64, 48);
    for (const std::string c : {"tiled", "tiledlong"}) {
      const at::Tensor video = vae.decode(ref.at(c + ".latent"));
      QCOMPARE(video.sizes().vec(), ref.at(c + ".video").sizes().vec());
      const double err = relativeError(video, ref.at(c + ".video"));
      qInfo("%s: relative error %.3g", c.c_str(), err);
      QVERIFY2(err < 1e-5, qPrintable(QString("%1: %2").arg(c.c_str()).arg(err)));
    }
    QVERIFY(relativeError(whole, ref.at("tiled.video")) > 1e-2);  // the tiles show
    // A latent no larger than a tile decodes whole.
    QVERIFY(relativeError(vae.decode(ref.at("short.latent")), ref.at("short.video")) < 1e-5);
    QVERIFY_THROWS_EXCEPTION(InputError, vae.setSpatialTiling(true, 64, 50));
    QVERIFY_THROWS_EXCEPTION(InputError, vae.setSpatialTiling(true, 64, 72));
  }

  void damagedWeightsAndLatentsAreNamed() {
    TensorMap w = tinyWeights();
    w.erase("decoder.up_blocks.2.upsamplers.0.conv.conv.weight");
    try {
      HunyuanVaeDecoder(tinyConfig(), w, at::kCPU, at::kFloat);
      QFAIL("a missing upsampler was accepted");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("decoder.up_blocks.2.upsamplers.0.conv.conv.weight") !=
                   std::string::npos,
               e.what());
    }
    // A prefix in front of the VAE's own names is dropped (single files of whole pipelines).
    TensorMap prefixed;
    for (const auto& [k, t] : tinyWeights()) prefixed["vae." + k] = t;
    const HunyuanVaeDecoder vae(tinyConfig(), prefixed, at::kCPU, at::kFloat);
    QVERIFY_THROWS_EXCEPTION(InputError, vae.decode(at::zeros({1, 3, 2, 4, 6})));
    nlohmann::json j = readJsonFile(test::sourcePath(std::string(kFolder) + "config.json"));
    j["temporal_compression_ratio"] = 8;
    QVERIFY_THROWS_EXCEPTION(InputError, hunyuanVaeConfigFromJson(j));
    j["temporal_compression_ratio"] = 4;
    j["spatial_compression_ratio"] = 6;
    QVERIFY_THROWS_EXCEPTION(InputError, hunyuanVaeConfigFromJson(j));
  }
};

QTEST_GUILESS_MAIN(TestHunyuanVae)
#include "test_hunyuan_vae.moc"
