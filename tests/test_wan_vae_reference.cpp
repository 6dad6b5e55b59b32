// Our Wan-VAE decoder against diffusers' AutoencoderKLWan on the tiny fixture
// (tests/fixtures/wan_tiny*, made by tools/fixtures/make_wan_fixtures.py).
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/model/wan/wan_vae_config.h"
#include "core/model/wan/wan_vae_decoder.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QtTest/QtTest>

#include <cmath>
#include <fstream>

using namespace svgen;

namespace {

TensorMap vaeWeights() {
  return loadTensors(
      test::sourcePath("tests/fixtures/wan_tiny/vae/diffusion_pytorch_model.safetensors"));
}

WanVaeConfig fixtureConfig() {
  std::ifstream in(test::sourcePath("tests/fixtures/wan_tiny/vae/config.json"));
  return wanVaeConfigFromJson(nlohmann::json::parse(in));
}

double maxError(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

class TestWanVaeReference : public QObject {
  Q_OBJECT
 private slots:
  void tiledDecodeMatchesDiffusers() {
    // diffusers' tiled_decode on the fixture VAE (tools/fixtures/make_vae_tiling_reference.py):
    // tiles of 4 latent pixels every 3 on an 8 x 12 latent, a 3 x 4 grid with ragged last tiles.
    c10::NoGradGuard noGrad;
    const TensorMap ref =
        loadTensors(test::sourcePath("tests/fixtures/wan_tiny_vae_tiled.safetensors"));
    const WanVaeDecoder vae(fixtureConfig(), vaeWeights(), at::Device(at::kCPU), at::kFloat);
    const at::Tensor latent = ref.at("latent");
    int last = 0, total = 0;
    const at::Tensor tiled = vae.decodeTiled(latent, {4, 3}, [&](int done, int all) {
      QCOMPARE(done, last + 1);
      last = done;
      total = all;
    });
    QCOMPARE(total, 2 * 3 * 4);  // frames over every tile
    QCOMPARE(last, total);
    const double err = maxError(tiled, ref.at("tiled"));
    const double whole = maxError(vae.decode(latent), ref.at("whole"));
    // Random weights mix the whole frame (the mid block attends over all of it), so tiles differ
    // from the whole decode far more than real weights make them; what must hold is that the
    // tiles, ramps and crops are diffusers'.
    const double apart = maxError(ref.at("tiled"), ref.at("whole"));
    qInfo("tiled decode vs diffusers' tiled_decode: max abs error %.2g (tiled vs whole %.2g)", err,
          apart);
    QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    QVERIFY2(whole < 1e-4, qPrintable(QString::number(whole)));
    QVERIFY(apart > 1e-2);  // the fixture does exercise the tiling
    // One tile covering the latent is the whole decode, exactly.
    QVERIFY(at::equal(vae.decodeTiled(latent, {12, 12}), vae.decode(latent)));
    QVERIFY_THROWS_EXCEPTION(InputError, vae.decodeTiled(latent, {4, 5}));
  }

  void decoderMatchesDiffusers() {
    c10::NoGradGuard noGrad;
    const TensorMap ref = test::wanReference();
    const WanVaeDecoder vae(fixtureConfig(), vaeWeights(), at::Device(at::kCPU), at::kFloat);
    int chunks = 0;
    const at::Tensor raw = vae.decode(
        ref.at("vae.latent"),
        [&](int done, int total) {
          ++chunks;
          QCOMPARE(total, 3);
          QCOMPARE(done, chunks);
        },
        /*clamp=*/false);
    QCOMPARE(chunks, 3);
    QCOMPARE(raw.sizes().vec(), ref.at("vae.out_raw").sizes().vec());  // 1 + 4·(3 − 1) frames
    const double rawErr = maxError(raw, ref.at("vae.out_raw"));
    const at::Tensor out = vae.decode(ref.at("vae.latent"));
    const double err = maxError(out, ref.at("vae.out"));
    qInfo(
        "Wan-VAE decoder vs diffusers: max abs error %.3g before the clamp (output max %.3g), "
        "%.3g after",
        rawErr, ref.at("vae.out_raw").abs().max().item<double>(), err);
    QVERIFY2(rawErr < 1e-4, qPrintable(QString("max abs error %1").arg(rawErr)));
    QVERIFY2(err < 1e-4, qPrintable(QString("max abs error %1").arg(err)));
  }

  void originalNamesGiveTheSameFrames() {
    c10::NoGradGuard noGrad;
    const TensorMap ref = test::wanReference();
    const WanVaeConfig config = fixtureConfig();
    const WanVaeDecoder vae(config, test::wanVaeInOriginalNames(vaeWeights(), config.numResBlocks),
                            at::Device(at::kCPU), at::kFloat);
    QVERIFY(maxError(vae.decode(ref.at("vae.latent")), ref.at("vae.out")) < 1e-4);
  }

  void configFromShapesMatchesConfigJson() {
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& [k, t] : wanVaeKeysToDiffusers(vaeWeights())) shapes[k] = t.sizes().vec();
    const WanVaeConfig inferred = inferWanVaeConfigFromShapes(shapes);
    const WanVaeConfig stated = fixtureConfig();
    QCOMPARE(inferred.zDim, stated.zDim);
    QCOMPARE(inferred.baseDim, stated.baseDim);
    QCOMPARE(inferred.dimMult, stated.dimMult);
    QCOMPARE(inferred.numResBlocks, stated.numResBlocks);
    QCOMPARE(inferred.temporalDownsample, stated.temporalDownsample);
    // z 4 is not Wan 2.1's VAE: no statistics to assume.
    QCOMPARE(inferred.latentsStd, std::vector<double>(4, 1.0));
    QCOMPARE(wanVae21Config().latentsMean.size(), size_t(16));
  }

  void badWeightsNameTheTensor() {
    TensorMap weights = vaeWeights();
    weights.erase("decoder.up_blocks.1.upsamplers.0.time_conv.weight");
    try {
      WanVaeDecoder vae(fixtureConfig(), weights, at::Device(at::kCPU), at::kFloat);
      QFAIL("expected an InputError");
    } catch (const InputError& e) {
      QVERIFY2(
          std::string(e.what()).find("up_blocks.1.upsamplers.0.time_conv") != std::string::npos,
          e.what());
    }
    weights = vaeWeights();
    weights["decoder.conv_in.weight"] = at::zeros({16, 4, 3, 3, 3});
    QVERIFY_THROWS_EXCEPTION(
        InputError, WanVaeDecoder(fixtureConfig(), weights, at::Device(at::kCPU), at::kFloat));
    const WanVaeDecoder vae(fixtureConfig(), vaeWeights(), at::Device(at::kCPU), at::kFloat);
    QVERIFY_THROWS_EXCEPTION(InputError, vae.decode(at::zeros({1, 3, 2, 4, 4})));
  }
};

QTEST_GUILESS_MAIN(TestWanVaeReference)
#include "test_wan_vae_reference.moc"
