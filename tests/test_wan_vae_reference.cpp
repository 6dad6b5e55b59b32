// Our Wan-VAE decoder against diffusers' AutoencoderKLWan on the tiny fixture
// (tests/fixtures/wan_tiny*, made by tools/fixtures/make_wan_fixtures.py).
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/model/tile_blend.h"
#include "core/model/wan/wan_vae_config.h"
#include "core/model/wan/wan_vae_decoder.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <QtTest/QtTest>

#include <cmath>

using namespace svgen;

namespace {

double maxError(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

class TestWanVaeReference : public QObject {
  Q_OBJECT
 private slots:
  void tilesAreStitchedWithLinearRamps() {
    // Constant tiles make the ramps visible: a 2 x 3 grid of 10 x 10 tiles every 6 pixels (4
    // blended), the last column ragged at 7 pixels. Tile (r, c) holds 10·r + c.
    std::vector<std::vector<at::Tensor>> tiles(2);
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 3; ++c)
        tiles[r].push_back(at::full({1, 1, 2, 10, c == 2 ? 7 : 10}, 10.0 * r + c));
    const at::Tensor out = stitchTiles(tiles, 6, 4)[0][0][0];
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{12, 6 + 6 + 6}));
    auto at = [&](int y, int x) { return out[y][x].item<double>(); };
    QCOMPARE(at(0, 0), 0.0);
    QCOMPARE(at(0, 5), 0.0);
    // Columns 6..9 ramp from tile 0 into tile 1 (weights 0, 1/4, 2/4, 3/4), then tile 1 alone.
    for (int x = 0; x < 4; ++x) QVERIFY(std::abs(at(0, 6 + x) - x / 4.0) < 1e-6);
    QCOMPARE(at(0, 10), 1.0);
    // Rows 6..9 ramp from the first row of tiles into the second.
    for (int y = 0; y < 4; ++y) QVERIFY(std::abs(at(6 + y, 0) - 10.0 * y / 4.0) < 1e-6);
    QCOMPARE(at(11, 0), 10.0);
    // A corner: blended up, then left with the left neighbour as already blended up.
    // Tile (0, 1) there was itself blended over tile (0, 0) when the first row was stitched.
    const double above = 0.0 * 0.5 + 1.0 * 0.5;
    const double up = 11.0 * 0.5 + above * 0.5;  // tile (1, 1) over tile (0, 1), row weight 2/4
    const double left = 10.0 * 0.5 + 0.0 * 0.5;  // tile (1, 0) over tile (0, 0), same row
    QVERIFY(std::abs(at(8, 8) - (left * 0.5 + up * 0.5)) < 1e-6);
    QCOMPARE(at(11, 17), 12.0);  // the ragged last tile, past every blend
  }

  void tiledDecodeRunsEveryTileAndOneTileIsTheWholeDecode() {
    c10::NoGradGuard noGrad;
    const WanVaeDecoder vae(test::wanVaeConfig(), test::wanVaeWeights(), at::Device(at::kCPU),
                            at::kFloat);
    at::manual_seed(4);
    const at::Tensor latent = at::randn({1, vae.config().zDim, 2, 8, 12});
    int last = 0, total = 0;
    const at::Tensor tiled = vae.decodeTiled(latent, {4, 3}, [&](int done, int all) {
      QCOMPARE(done, last + 1);
      last = done;
      total = all;
    });
    QCOMPARE(total, 2 * 3 * 4);  // frames over a 3 x 4 grid of tiles
    QCOMPARE(last, total);
    const at::Tensor whole = vae.decode(latent);
    QCOMPARE(tiled.sizes().vec(), whole.sizes().vec());
    QVERIFY(tiled.abs().max().item<double>() <= 1.0);  // clamped like the whole decode
    QVERIFY(at::equal(vae.decodeTiled(latent, {12, 12}), whole));
    QVERIFY_THROWS_EXCEPTION(InputError, vae.decodeTiled(latent, {4, 5}));
  }

  // diffusers' own tiled decode (AutoencoderKLWan.tiled_decode, 32-pixel tiles every 24 on the
  // tiny VAE; tools/fixtures/make_vae_tiling_reference.py): the same tiles, blends and clamp. On
  // random weights tiling changes the frames a lot (up to 2.0 of the [−1, 1] range against the
  // whole decode, in diffusers too), so this is the check that our tiling is theirs.
  void tiledDecodeMatchesDiffusersTiling() {
    c10::NoGradGuard noGrad;
    const TensorMap ref =
        loadTensors(test::sourcePath("tests/fixtures/wan_tiny_vae_tiled.safetensors"));
    const WanVaeDecoder vae(test::wanVaeConfig(), test::wanVaeWeights(), at::Device(at::kCPU),
                            at::kFloat);
    const at::Tensor tiled = vae.decodeTiled(ref.at("latent"), {4, 3});
    const at::Tensor whole = vae.decode(ref.at("latent"));
    QCOMPARE(tiled.sizes().vec(), ref.at("tiled").sizes().vec());
    const double tiledErr = maxError(tiled, ref.at("tiled"));
    const double wholeErr = maxError(whole, ref.at("whole"));
    qInfo(
        "tiled decode vs diffusers' tiled decode: max abs error %.3g (whole: %.3g; tiled vs "
        "whole in diffusers: %.3g)",
        tiledErr, wholeErr, maxError(ref.at("tiled"), ref.at("whole")));
    QVERIFY2(wholeErr < 1e-4, qPrintable(QString("whole: max abs error %1").arg(wholeErr)));
    QVERIFY2(tiledErr < 1e-4, qPrintable(QString("tiled: max abs error %1").arg(tiledErr)));
  }

  void decoderMatchesDiffusers() {
    c10::NoGradGuard noGrad;
    const TensorMap ref = test::wanReference();
    const WanVaeDecoder vae(test::wanVaeConfig(), test::wanVaeWeights(), at::Device(at::kCPU),
                            at::kFloat);
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
    const WanVaeConfig config = test::wanVaeConfig();
    const WanVaeDecoder vae(config,
                            test::wanVaeInOriginalNames(test::wanVaeWeights(), config.numResBlocks),
                            at::Device(at::kCPU), at::kFloat);
    QVERIFY(maxError(vae.decode(ref.at("vae.latent")), ref.at("vae.out")) < 1e-4);
  }

  void configFromShapesMatchesConfigJson() {
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& [k, t] : wanVaeKeysToDiffusers(test::wanVaeWeights()))
      shapes[k] = t.sizes().vec();
    const WanVaeConfig inferred = inferWanVaeConfigFromShapes(shapes);
    const WanVaeConfig stated = test::wanVaeConfig();
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
    TensorMap weights = test::wanVaeWeights();
    weights.erase("decoder.up_blocks.1.upsamplers.0.time_conv.weight");
    try {
      WanVaeDecoder vae(test::wanVaeConfig(), weights, at::Device(at::kCPU), at::kFloat);
      QFAIL("expected an InputError");
    } catch (const InputError& e) {
      QVERIFY2(
          std::string(e.what()).find("up_blocks.1.upsamplers.0.time_conv") != std::string::npos,
          e.what());
    }
    weights = test::wanVaeWeights();
    weights["decoder.conv_in.weight"] = at::zeros({16, 4, 3, 3, 3});
    QVERIFY_THROWS_EXCEPTION(
        InputError, WanVaeDecoder(test::wanVaeConfig(), weights, at::Device(at::kCPU), at::kFloat));
    const WanVaeDecoder vae(test::wanVaeConfig(), test::wanVaeWeights(), at::Device(at::kCPU),
                            at::kFloat);
    QVERIFY_THROWS_EXCEPTION(InputError, vae.decode(at::zeros({1, 3, 2, 4, 4})));
  }
};

QTEST_GUILESS_MAIN(TestWanVaeReference)
#include "test_wan_vae_reference.moc"
