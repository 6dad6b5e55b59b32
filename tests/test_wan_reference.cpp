// Our Wan 2.1 DiT against diffusers' WanTransformer3DModel on the same tiny random weights. The
// fixture (tests/fixtures/wan_tiny*, made by tools/fixtures/make_wan_fixtures.py on the GPU
// machine) holds a diffusers pipeline folder and the reference outputs.
#include "support/test_support.h"

#include "core/io/tensor_io.h"
#include "core/model/wan_config_inference.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_keys.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QtTest/QtTest>

#include <fstream>

using namespace svgen;

namespace {

TensorMap reference() {
  return loadTensors(test::sourcePath("tests/fixtures/wan_tiny_reference.safetensors"));
}

const std::string kTransformerDir = "tests/fixtures/wan_tiny/transformer";

TensorMap fixtureWeights() {
  return loadTensors(test::sourcePath(kTransformerDir + "/diffusion_pytorch_model.safetensors"));
}

// `weights` in any key layout the loaders accept; the config is the folder's config.json.
WanDiT fixtureDiT(const TensorMap& weights) {
  std::ifstream in(test::sourcePath(kTransformerDir + "/config.json"));
  return WanDiT(wanConfigFromAnyJson(nlohmann::json::parse(in)).config,
                toOriginalWanLayout(weights), at::Device(at::kCPU), at::kFloat);
}

at::Tensor forwardOnFixtureInputs(const WanDiT& dit, const TensorMap& ref) {
  return dit.forward(ref.at("dit.x"), ref.at("dit.timestep"), ref.at("dit.context"));
}

}  // namespace

class TestWanReference : public QObject {
  Q_OBJECT
 private slots:
  void transformerMatchesDiffusers() {
    c10::NoGradGuard noGrad;
    const TensorMap ref = reference();
    const WanDiT dit = fixtureDiT(fixtureWeights());
    QCOMPARE(dit.config().numLayers, 2);
    QCOMPARE(dit.config().numHeads, 2);
    const at::Tensor out = forwardOnFixtureInputs(dit, ref);
    const at::Tensor expected = ref.at("dit.out");
    QCOMPARE(out.sizes().vec(), expected.sizes().vec());
    const double err = (out - expected).abs().max().item<double>();
    const double scale = expected.abs().max().item<double>();
    qInfo("WanDiT vs diffusers: max abs error %.3g (output max %.3g)", err, scale);
    QVERIFY2(err < 1e-4, qPrintable(QString("max abs error %1").arg(err)));
  }

  void sameWeightsInOriginalLayoutGiveTheSameOutput() {
    // Wan2.1's own key names (what ComfyUI single files and the original repository use).
    c10::NoGradGuard noGrad;
    const TensorMap ref = reference();
    TensorMap original;
    std::vector<std::string> keys;
    for (const auto& [name, t] : fixtureWeights()) {
      original[wanKeyToOriginal(name)] = t;
      keys.push_back(wanKeyToOriginal(name));
    }
    QCOMPARE(detectWanKeyLayout(keys), std::string("original"));
    const at::Tensor out = forwardOnFixtureInputs(fixtureDiT(original), ref);
    QVERIFY((out - ref.at("dit.out")).abs().max().item<double>() < 1e-4);
  }
};

QTEST_GUILESS_MAIN(TestWanReference)
#include "test_wan_reference.moc"
