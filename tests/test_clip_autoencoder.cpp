// The built-in model's autoencoder (clip_autoencoder.h) and a latent built-in model around it:
// shapes, the latent normalisation, errors, and what the model folder's config says.
#include "core/common/error.h"
#include "core/model/builtin/builtin_model.h"
#include "core/model/builtin/clip_autoencoder.h"
#include "core/model/weight_init.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <QtTest>

using namespace svgen;

namespace {

AutoencoderConfig smallConfig() {
  AutoencoderConfig c;
  c.latentChannels = 4;
  c.width = 8;
  return c;
}

}  // namespace

class TestClipAutoencoder : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { at::set_num_threads(1); }

  void encodesToTheTokenGridAndBack() {
    const AutoencoderConfig c = smallConfig();
    const ClipAutoencoder ae(c, initAutoencoderWeights(c, 3), at::kCPU);
    const at::Tensor clips = at::rand({2, 3, 6, 16, 24}) * 2 - 1;
    const at::Tensor z = ae.encode(clips);
    QCOMPARE(z.sizes().vec(), (std::vector<int64_t>{2, 4, 3, 2, 3}));
    QCOMPARE(ae.decode(z).sizes().vec(), clips.sizes().vec());
    // Odd frame counts and sizes that are not multiples of 8 are refused, as are latents with the
    // wrong channel count.
    QVERIFY_THROWS_EXCEPTION(InputError, ae.encode(at::zeros({1, 3, 5, 16, 16})));
    QVERIFY_THROWS_EXCEPTION(InputError, ae.encode(at::zeros({1, 3, 4, 12, 16})));
    QVERIFY_THROWS_EXCEPTION(InputError, ae.decode(at::zeros({1, 3, 2, 2, 2})));
  }

  void latentsAreNormalisedByTheStoredStatistics() {
    const AutoencoderConfig c = smallConfig();
    TensorMap w = initAutoencoderWeights(c, 4);
    w["autoencoder.latent_mean"] = at::tensor({0.5f, -1.0f, 2.0f, 0.0f});
    w["autoencoder.latent_std"] = at::tensor({2.0f, 0.5f, 1.0f, 4.0f});
    const ClipAutoencoder ae(c, w, at::kCPU);
    const at::Tensor clips = at::rand({1, 3, 2, 8, 8}) * 2 - 1;
    const at::Tensor raw = ae.encodeRaw(clips);
    const at::Tensor mean = w["autoencoder.latent_mean"].view({1, 4, 1, 1, 1});
    const at::Tensor stdev = w["autoencoder.latent_std"].view({1, 4, 1, 1, 1});
    QVERIFY(at::allclose(ae.encode(clips), (raw - mean) / stdev, 1e-5, 1e-6));
    QVERIFY(at::allclose(ae.decode(ae.encode(clips)), ae.decodeRaw(raw), 1e-4, 1e-5));
  }

  void missingWeightsAreNamed() {
    const AutoencoderConfig c = smallConfig();
    TensorMap w = initAutoencoderWeights(c, 5);
    w.erase("autoencoder.decoder.3.weight");
    try {
      ClipAutoencoder ae(c, w, at::kCPU);
      QFAIL("an autoencoder without decoder.3 was built");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("autoencoder.decoder.3.weight") != std::string::npos,
               e.what());
    }
  }

  void aLatentBuiltinModelKeepsTheTokenGrid() {
    const BuiltinSpec pixel = defaultBuiltinSpec();
    const BuiltinSpec latent = withAutoencoder(pixel, 16);
    QCOMPARE(latent.dit.inChannels, 16);
    QCOMPARE(latent.dit.outChannels, 16);
    // The config round-trips, and a pixel-space config has no autoencoder.
    const BuiltinSpec back = builtinSpecFromJson(toJson(latent));
    QCOMPARE(back.autoencoder.latentChannels, 16);
    QCOMPARE(back.autoencoder.width, latent.autoencoder.width);
    QVERIFY(!builtinSpecFromJson(toJson(pixel)).autoencoder.enabled());
    // A config whose DiT does not take the latent channels is refused.
    nlohmann::json bad = toJson(latent);
    bad["autoencoder"]["latent_channels"] = 8;
    QVERIFY_THROWS_EXCEPTION(InputError, builtinSpecFromJson(bad));

    TensorMap weights = initWanWeights(latent.dit, 1, /*zeroHead=*/false);
    const TensorMap text =
        initWordEncoderWeights(latent.text, static_cast<int>(latent.vocabulary.size()) + 1, 2);
    const TensorMap ae = initAutoencoderWeights(latent.autoencoder, 3);
    weights.insert(text.begin(), text.end());
    weights.insert(ae.begin(), ae.end());
    BuiltinModel model(latent, weights, "builtin", at::kCPU);
    TensorMap pixelWeights = initWanWeights(pixel.dit, 1, /*zeroHead=*/false);
    pixelWeights.insert(text.begin(), text.end());
    BuiltinModel pixelModel(pixel, pixelWeights, "builtin", at::kCPU);
    // 15 frames pad to 16 as in pixel space; 8 latent frames × 16 × 16, the pixel model's grid.
    QCOMPARE(model.latentShape(15, 128, 128), (std::vector<int64_t>{16, 8, 16, 16}));
    QCOMPARE(pixelModel.latentShape(15, 128, 128), (std::vector<int64_t>{3, 16, 128, 128}));
    QCOMPARE(model.info().sizeMultiple, 8);
    const Video v = model.decode(at::zeros({1, 16, 2, 4, 4}), 3, 8.0);
    QCOMPARE(v.frames, 3);
    QCOMPARE(v.width, 32);
    QCOMPARE(v.height, 32);
  }
};

QTEST_GUILESS_MAIN(TestClipAutoencoder)
#include "test_clip_autoencoder.moc"
