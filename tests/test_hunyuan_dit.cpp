// HunyuanVideo's transformer against diffusers' HunyuanVideoTransformer3DModel on tiny random
// weights (tests/fixtures/hunyuan_*, made by tools/fixtures/make_hunyuan_fixtures.py with
// diffusers' own forward): the whole pass and its pieces (RoPE tables), from diffusers' folder and
// from the original names ComfyUI's single files use; the key conversion's errors; the config read
// from json and from shapes.
#include "support/tensor_compare.h"
#include "support/test_support.h"

#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/method_registry.h"
#include "core/attention/svg/svg_method.h"
#include "core/attention/svg2/svg2_method.h"
#include "core/attention/svoo/svoo_attention.h"
#include "core/attention/warmup.h"
#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/tensor_io.h"
#include "core/model/hunyuan/hunyuan_config.h"
#include "core/model/hunyuan/hunyuan_dit.h"
#include "core/model/hunyuan/hunyuan_keys.h"
#include "core/model/rope.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <QtTest/QtTest>

using namespace svgen;
using test::relativeError;

namespace {

TensorMap reference() {
  return loadTensors(test::sourcePath("tests/fixtures/hunyuan_reference.safetensors"));
}

HunyuanConfig tinyConfig() {
  return hunyuanConfigFromJson(
      readJsonFile(test::sourcePath("tests/fixtures/hunyuan_tiny/transformer/config.json")));
}

TensorMap diffusersWeights() {
  return loadTensors(test::sourcePath(
      "tests/fixtures/hunyuan_tiny/transformer/diffusion_pytorch_model.safetensors"));
}

TensorMap originalWeights() {
  return loadTensors(test::sourcePath("tests/fixtures/hunyuan_tiny_original.safetensors"));
}

// The fixture case `c` through our model: the text trimmed to its unmasked tokens (diffusers
// masks the padded keys out, which is the same).
at::Tensor run(const HunyuanDiT& dit, const TensorMap& ref, const std::string& c) {
  const at::Tensor mask = ref.at(c + ".encoder_attention_mask");
  const int64_t valid = mask.sum().item<int64_t>();
  return dit.forward(ref.at(c + ".hidden_states"), ref.at(c + ".timestep"),
                     ref.at(c + ".encoder_hidden_states").narrow(1, 0, valid),
                     ref.at(c + ".pooled_projections"), ref.at(c + ".guidance"));
}

std::vector<std::string> keysOf(const TensorMap& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  return keys;
}

}  // namespace

class TestHunyuanDiT : public QObject {
  Q_OBJECT
 private slots:
  void init() { c10::GradMode::set_enabled(false); }

  void diffusersFolderMatchesDiffusersForward() {
    const TensorMap w = diffusersWeights();
    QCOMPARE(detectHunyuanKeyLayout(keysOf(w)), std::string("diffusers"));
    const HunyuanDiT dit(tinyConfig(), toOriginalHunyuanLayout(w), at::kCPU, at::kFloat);
    const TensorMap ref = reference();
    for (const std::string c : {"a", "b"}) {
      const at::Tensor got = run(dit, ref, c);
      QCOMPARE(got.sizes().vec(), ref.at(c + ".output").sizes().vec());
      const double err = relativeError(got, ref.at(c + ".output"));
      qInfo("case %s (padding %s): relative error %.3g", c.c_str(),
            ref.at(c + ".encoder_attention_mask").min().item<float>() < 1 ? "dropped" : "none",
            err);
      QVERIFY2(err < 1e-5, qPrintable(QString("case %1: %2").arg(c.c_str()).arg(err)));
    }
  }

  // Flux shares the original block names and diffusers' x_embedder: it is not HunyuanVideo.
  void fluxIsNotHunyuanVideo() {
    QCOMPARE(detectHunyuanKeyLayout({"double_blocks.0.img_attn.qkv.weight", "img_in.weight",
                                     "txt_in.weight", "single_blocks.0.linear1.weight"}),
             std::string("unknown"));
    QCOMPARE(detectHunyuanKeyLayout({"x_embedder.weight", "context_embedder.weight",
                                     "single_transformer_blocks.0.attn.to_q.weight"}),
             std::string("unknown"));
  }

  void originalNamesGiveTheSameWeightsAndOutput() {
    const TensorMap original = originalWeights();
    QCOMPARE(detectHunyuanKeyLayout(keysOf(original)), std::string("original"));
    const TensorMap converted = toOriginalHunyuanLayout(diffusersWeights());
    QCOMPARE(converted.size(), original.size());
    for (const auto& [name, t] : original) {
      QVERIFY2(converted.count(name), name.c_str());
      QVERIFY2(at::equal(converted.at(name), t), name.c_str());
    }
    // ComfyUI's prefix is dropped too.
    TensorMap prefixed;
    for (const auto& [name, t] : original) prefixed["model.diffusion_model." + name] = t;
    const HunyuanDiT dit(tinyConfig(), toOriginalHunyuanLayout(prefixed), at::kCPU, at::kFloat);
    const TensorMap ref = reference();
    QVERIFY(relativeError(run(dit, ref, "a"), ref.at("a.output")) < 1e-5);
  }

  // diffusers' RoPE tables repeat each pair's angle twice; ours hold one column a pair.
  void ropeTablesMatchDiffusers() {
    const TensorMap ref = reference();
    const HunyuanConfig c = tinyConfig();
    const RopeTables t = makeRopeTables(
        3, 4, 6, {c.ropeAxes[0] / 2, c.ropeAxes[1] / 2, c.ropeAxes[2] / 2}, at::kCPU, c.ropeTheta);
    const at::Tensor cosPairs = ref.at("a.rope_cos").slice(1, 0, c.headDim, 2);
    const at::Tensor sinPairs = ref.at("a.rope_sin").slice(1, 0, c.headDim, 2);
    QVERIFY((t.cos - cosPairs).abs().max().item<double>() < 1e-5);
    QVERIFY((t.sin - sinPairs).abs().max().item<double>() < 1e-5);
  }

  // Every method runs on HunyuanVideo's joint attention: at a full budget (the text kept dense
  // whatever the budget) the pass is the dense one, and a real budget computes less.
  void sparseMethodsRunWithTheTextDense() {
    const HunyuanDiT dit(tinyConfig(), originalWeights(), at::kCPU, at::kFloat);
    const TensorMap ref = reference();
    for (const std::string method : {"svg", "svg2", "svoo"}) {
      AttentionConfig c;
      c.method = method;
      c.set(warmup::fraction, 0);
      c.set(svg::density, 1.0);
      c.set(svg::block, 16);
      c.set(clustering::topP, 1.0);
      c.set(svg2::minKeyClusterRatio, 0);
      SvooProfile profile;
      profile.keyFraction.assign(dit.layers(), 1.0);
      std::unique_ptr<AttentionBackend> backend =
          method == "svoo" ? std::make_unique<SvooAttention>(c, profile) : makeAttentionBackend(c);
      HunyuanForwardOptions o;
      o.attention = backend.get();
      o.step = 5;
      o.numSteps = 10;
      const at::Tensor got = dit.forward(ref.at("b.hidden_states"), ref.at("b.timestep"),
                                         ref.at("b.encoder_hidden_states"),
                                         ref.at("b.pooled_projections"), ref.at("b.guidance"), o);
      const double err = relativeError(got, ref.at("b.output"));
      QVERIFY2(err < 1e-5, qPrintable(QString("%1: %2").arg(method.c_str()).arg(err)));
      QCOMPARE(backend->stats().calls, int64_t{dit.layers()});
      QCOMPARE(backend->stats().denseCalls, int64_t{0});
    }
    AttentionConfig c;
    c.method = "svg";
    c.set(warmup::fraction, 0);
    c.set(svg::density, 0.25);
    c.set(svg::block, 16);
    std::unique_ptr<AttentionBackend> svg = makeAttentionBackend(c);
    HunyuanForwardOptions o;
    o.attention = svg.get();
    QVERIFY(at::isfinite(dit.forward(ref.at("a.hidden_states"), ref.at("a.timestep"),
                                     ref.at("a.encoder_hidden_states").narrow(1, 0, 5),
                                     ref.at("a.pooled_projections"), ref.at("a.guidance"), o))
                .all()
                .item<bool>());
    QVERIFY2(svg->stats().sparseDensity() < 0.9,
             qPrintable(QString::number(svg->stats().sparseDensity())));
  }

  void aProjectionWithAPartMissingIsNamed() {
    TensorMap w = diffusersWeights();
    w.erase("transformer_blocks.1.attn.add_k_proj.weight");
    try {
      toOriginalHunyuanLayout(w);
      QFAIL("a missing k projection was accepted");
    } catch (const InputError& e) {
      const std::string what = e.what();
      QVERIFY2(what.find("double_blocks.1.txt_attn_qkv.weight") != std::string::npos, e.what());
      QVERIFY2(what.find("incomplete") != std::string::npos, e.what());
    }
    // The model names a missing weight and a misshaped one.
    TensorMap original = originalWeights();
    original.erase("single_blocks.0.linear2.weight");
    try {
      HunyuanDiT(tinyConfig(), original, at::kCPU, at::kFloat);
      QFAIL("a missing weight was accepted");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("single_blocks.0.linear2.weight") != std::string::npos,
               e.what());
    }
  }

  void guidanceAndTextAreChecked() {
    const HunyuanDiT dit(tinyConfig(), originalWeights(), at::kCPU, at::kFloat);
    const TensorMap ref = reference();
    QVERIFY_THROWS_EXCEPTION(
        InputError, dit.forward(ref.at("a.hidden_states"), ref.at("a.timestep"),
                                ref.at("a.encoder_hidden_states"), ref.at("a.pooled_projections"),
                                at::Tensor()));
    QVERIFY_THROWS_EXCEPTION(
        InputError,
        dit.forward(ref.at("a.hidden_states"), ref.at("a.timestep"), at::zeros({1, 3, 31}),
                    ref.at("a.pooled_projections"), ref.at("a.guidance")));
    // Odd latent sizes are not whole patches.
    QVERIFY_THROWS_EXCEPTION(
        InputError, dit.forward(at::zeros({1, 4, 3, 7, 12}), ref.at("a.timestep"),
                                ref.at("a.encoder_hidden_states"), ref.at("a.pooled_projections"),
                                ref.at("a.guidance")));
  }

  // The released 13B's shapes give back its config; the tiny one's 16-wide heads need the json
  // for their RoPE split.
  void configFromShapes() {
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& [name, shape] : hunyuanParameterShapes(HunyuanConfig::hunyuan13B()))
      shapes[name] = shape;
    const HunyuanConfig c = hunyuanConfigFromShapes(shapes);
    QCOMPARE(c.dim(), 3072);
    QCOMPARE(c.numHeads, 24);
    QCOMPARE(c.dualLayers, 20);
    QCOMPARE(c.singleLayers, 40);
    QCOMPARE(c.refinerLayers, 2);
    QCOMPARE(c.mlpHidden, 12288);
    QCOMPARE(c.textDim, 4096);
    QCOMPARE(c.pooledDim, 768);
    QCOMPARE(c.outChannels, 16);
    QVERIFY(c.guidanceEmbeds);
    int64_t parameters = 0;
    for (const auto& [name, shape] : hunyuanParameterShapes(c)) {
      int64_t n = 1;
      for (int64_t s : shape) n *= s;
      parameters += n;
    }
    // HunyuanVideo's transformer is "13B" (12.82 billion parameters as released).
    qInfo("13B parameters: %.3f billion", parameters / 1e9);
    QVERIFY(parameters > 12.5e9 && parameters < 13.2e9);

    std::map<std::string, std::vector<int64_t>> tiny;
    for (const auto& [name, t] : originalWeights()) tiny[name] = t.sizes().vec();
    try {
      hunyuanConfigFromShapes(tiny);
      QFAIL("16-wide heads were given a RoPE split");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("rope_axes_dim") != std::string::npos, e.what());
    }
    tiny.erase("img_in.proj.weight");
    QVERIFY_THROWS_EXCEPTION(InputError, hunyuanConfigFromShapes(tiny));
  }

  void impossibleConfigsAreRefused() {
    nlohmann::json j =
        readJsonFile(test::sourcePath("tests/fixtures/hunyuan_tiny/transformer/config.json"));
    j["rope_axes_dim"] = {4, 6, 8};
    QVERIFY_THROWS_EXCEPTION(InputError, hunyuanConfigFromJson(j));
    j["rope_axes_dim"] = {4, 6, 6};
    j["image_condition_type"] = "latent_concat";
    QVERIFY_THROWS_EXCEPTION(InputError, hunyuanConfigFromJson(j));
  }
};

QTEST_GUILESS_MAIN(TestHunyuanDiT)
#include "test_hunyuan_dit.moc"
