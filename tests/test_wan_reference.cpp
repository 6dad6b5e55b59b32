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

WanDiT loadFixtureDiT() {
  const std::string dir = test::sourcePath("tests/fixtures/wan_tiny/transformer");
  std::ifstream in(dir + "/config.json");
  const DescribedWanConfig described = wanConfigFromAnyJson(nlohmann::json::parse(in));
  const TensorMap weights =
      toOriginalWanLayout(loadTensors(dir + "/diffusion_pytorch_model.safetensors"));
  return WanDiT(described.config, weights, at::Device(at::kCPU), at::kFloat);
}

}  // namespace

class TestWanReference : public QObject {
  Q_OBJECT
 private slots:
  void transformerMatchesDiffusers() {
    c10::NoGradGuard noGrad;
    const TensorMap ref = reference();
    const WanDiT dit = loadFixtureDiT();
    QCOMPARE(dit.config().numLayers, 2);
    QCOMPARE(dit.config().numHeads, 2);
    at::Tensor out = dit.forward(ref.at("dit.x"), ref.at("dit.timestep"), ref.at("dit.context"));
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
    const std::string dir = test::sourcePath("tests/fixtures/wan_tiny/transformer");
    TensorMap diffusers = loadTensors(dir + "/diffusion_pytorch_model.safetensors");
    TensorMap original;
    for (const auto& [name, t] : diffusers) original[wanKeyToOriginal(name)] = t;
    QCOMPARE(detectWanKeyLayout([&] {
               std::vector<std::string> keys;
               for (const auto& kv : original) keys.push_back(kv.first);
               return keys;
             }()),
             std::string("original"));
    std::ifstream in(dir + "/config.json");
    const WanDiT dit(wanConfigFromAnyJson(nlohmann::json::parse(in)).config,
                     toOriginalWanLayout(original), at::Device(at::kCPU), at::kFloat);
    at::Tensor out = dit.forward(ref.at("dit.x"), ref.at("dit.timestep"), ref.at("dit.context"));
    QVERIFY((out - ref.at("dit.out")).abs().max().item<double>() < 1e-4);
  }
};

QTEST_GUILESS_MAIN(TestWanReference)
#include "test_wan_reference.moc"
