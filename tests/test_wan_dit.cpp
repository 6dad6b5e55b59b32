// The Wan DiT on a tiny config: shapes, determinism, both key layouts, error messages, 3D RoPE.
#include "core/common/error.h"
#include "core/io/weight_quantization.h"
#include "core/model/dit_step.h"
#include "core/model/rope.h"
#include "core/model/wan_config.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_keys.h"
#include "core/model/weight_init.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>

#include <QtTest>

#include <cmath>

using namespace svgen;

namespace {

WanConfig tinyConfig() {
  WanConfig c;
  c.dim = 48;
  c.ffnDim = 64;
  c.numHeads = 2;  // head dim 24: RoPE splits 12 pairs into 4 frame + 4 + 4
  c.numLayers = 2;
  c.patch = {1, 2, 2};
  c.inChannels = 4;
  c.outChannels = 5;
  c.textDim = 16;
  c.freqDim = 32;
  c.textLen = 8;
  return c;
}

at::Tensor randn(std::vector<int64_t> shape, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::empty(shape, at::kFloat).normal_(0, 1, gen);
}

struct Inputs {
  at::Tensor x, t, context;
};

Inputs tinyInputs() {
  return {randn({2, 4, 3, 4, 6}, 1), at::tensor({999.0f, 250.0f}), randn({2, 5, 16}, 2)};
}

}  // namespace

class TestWanDiT : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { at::set_num_threads(1); }

  void forwardShapeAndDeterminism() {
    const WanConfig c = tinyConfig();
    WanDiT dit(c, initWanWeights(c, 3, false), at::kCPU, at::kFloat);
    Inputs in = tinyInputs();
    at::Tensor a = dit.forward(in.x, in.t, in.context);
    QCOMPARE(a.sizes().vec(), (std::vector<int64_t>{2, 5, 3, 4, 6}));
    QVERIFY(at::isfinite(a).all().item<bool>());
    at::Tensor b = dit.forward(in.x, in.t, in.context);
    QVERIFY(at::equal(a, b));
    // The batch entries are independent: running one alone gives the same numbers.
    at::Tensor single =
        dit.forward(in.x.narrow(0, 1, 1), in.t.narrow(0, 1, 1), in.context.narrow(0, 1, 1));
    QVERIFY(at::allclose(single[0], a[1], 1e-5, 1e-5));
    // The timestep and the text both matter.
    at::Tensor otherT = dit.forward(in.x, at::tensor({10.0f, 500.0f}), in.context);
    QVERIFY(!at::allclose(otherT, a));
    at::Tensor otherText = dit.forward(in.x, in.t, in.context * 2);
    QVERIFY(!at::allclose(otherText, a));
  }

  // The memory levers a budget pulls change where the work happens, not what comes out: the
  // feed-forward in token chunks (uneven ones: 3·4·6/2·2 = 18 tokens in chunks of 5), and the
  // guidance step's two samples one pass after the other.
  void memoryLeversKeepTheOutput() {
    const WanConfig c = tinyConfig();
    WanDiT dit(c, initWanWeights(c, 3, false), at::kCPU, at::kFloat);
    const Inputs in = tinyInputs();
    const at::Tensor whole = dit.forward(in.x, in.t, in.context);
    DiTForwardOptions chunked;
    chunked.ffnChunkTokens = 5;
    const at::Tensor pieces = dit.forward(in.x, in.t, in.context, chunked);
    QVERIFY(at::allclose(pieces, whole, 1e-5, 1e-5));
    chunked.ffnChunkTokens = 1000;  // more than the tokens: one piece
    QVERIFY(at::equal(dit.forward(in.x, in.t, in.context, chunked), whole));

    Conditioning cond{in.context, true};
    DenoiseStep step;
    step.timestep = 600;
    step.sigma = 0.6;
    step.guidance = 5;
    const at::Tensor x = in.x.narrow(0, 0, 1);
    const at::Tensor batched = ditVelocity(dit, x, cond, step);
    step.guidanceInTurn = true;
    step.ffnChunkTokens = 7;
    const at::Tensor inTurn = ditVelocity(dit, x, cond, step);
    QCOMPARE(inTurn.sizes().vec(), batched.sizes().vec());
    QVERIFY(at::allclose(inTurn, batched, 1e-4, 1e-5));
    // Guidance really ran: the negative prompt's pass matters.
    Conditioning other{at::cat({in.context.narrow(0, 0, 1), in.context.narrow(0, 0, 1)}), true};
    QVERIFY(!at::allclose(ditVelocity(dit, x, other, step), inTurn, 1e-3, 1e-3));
  }

  // Block swap: the blocks' weights leave the device for host memory and come back one block
  // ahead in each pass; the output does not change, packed weights included, and placing them
  // back restores the model as it was.
  void streamedBlocksGiveTheSameOutput() {
    const WanConfig c = tinyConfig();
    TensorMap dense = initWanWeights(c, 3, false);
    PackedMap packed;
    packed.emplace("blocks.1.ffn.0.weight", packScaledFp8(dense.at("blocks.1.ffn.0.weight")));
    dense.erase("blocks.1.ffn.0.weight");
    WanDiT dit(c, dense, packed, at::kCPU, at::kFloat);
    const Inputs in = tinyInputs();
    const at::Tensor resident = dit.forward(in.x, in.t, in.context);
    const size_t before = dit.parameters().size();
    dit.place(at::kCPU, true);
    QCOMPARE(dit.hostBlocks().size(), size_t(c.numLayers));
    for (const auto& [name, t] : dit.parameters())
      QVERIFY2(name.rfind("blocks.", 0) != 0, name.c_str());
    QVERIFY(dit.packedParameters().empty());
    QCOMPARE(dit.hostBlocks()[1].packed.count("blocks.1.ffn.0.weight"), size_t(1));
    QVERIFY(dit.hostBlocks()[0].bytes() > 0);
    QVERIFY(at::equal(dit.forward(in.x, in.t, in.context), resident));
    dit.place(at::kCPU, false);
    QVERIFY(dit.hostBlocks().empty());
    QCOMPARE(dit.parameters().size(), before);
    QCOMPARE(dit.packedParameters().size(), size_t(1));
    QVERIFY(at::equal(dit.forward(in.x, in.t, in.context), resident));
  }

  void zeroHeadGivesZeroOutput() {
    const WanConfig c = tinyConfig();
    WanDiT dit(c, initWanWeights(c, 3, true), at::kCPU, at::kFloat);
    Inputs in = tinyInputs();
    QVERIFY(at::equal(dit.forward(in.x, in.t, in.context), at::zeros({2, 5, 3, 4, 6})));
  }

  void contextIsPaddedWithZeroRows() {
    // Wan pads the text to text_len with zero rows that still pass the text MLP; giving the padded
    // context explicitly must change nothing.
    const WanConfig c = tinyConfig();
    WanDiT dit(c, initWanWeights(c, 3, false), at::kCPU, at::kFloat);
    Inputs in = tinyInputs();
    at::Tensor padded = at::cat({in.context, at::zeros({2, c.textLen - 5, c.textDim})}, 1);
    QVERIFY(at::equal(dit.forward(in.x, in.t, in.context), dit.forward(in.x, in.t, padded)));
  }

  void bothKeyLayoutsLoadTheSameModel() {
    const WanConfig c = tinyConfig();
    TensorMap original = initWanWeights(c, 5, false);
    TensorMap diffusers, comfy;
    for (const auto& [k, v] : original) {
      diffusers[wanKeyToDiffusers(k)] = v;
      comfy["model.diffusion_model." + k] = v;
    }
    QCOMPARE(detectWanKeyLayout({"blocks.0.attn1.to_q.weight"}), std::string("diffusers"));
    QCOMPARE(detectWanKeyLayout({"blocks.0.self_attn.q.weight"}), std::string("original"));
    QVERIFY(diffusers.count("blocks.1.attn1.to_out.0.weight"));
    QVERIFY(diffusers.count("blocks.0.norm2.bias"));
    QVERIFY(diffusers.count("condition_embedder.time_proj.weight"));
    QVERIFY(diffusers.count("scale_shift_table"));
    QVERIFY(diffusers.count("blocks.1.scale_shift_table"));
    QVERIFY(diffusers.count("proj_out.weight"));
    QVERIFY(diffusers.count("blocks.0.ffn.net.0.proj.weight"));

    Inputs in = tinyInputs();
    at::Tensor ref = WanDiT(c, original, at::kCPU, at::kFloat).forward(in.x, in.t, in.context);
    for (const TensorMap* layout : {&diffusers, &comfy}) {
      TensorMap mapped = toOriginalWanLayout(*layout);
      QCOMPARE(mapped.size(), original.size());
      at::Tensor out = WanDiT(c, mapped, at::kCPU, at::kFloat).forward(in.x, in.t, in.context);
      QVERIFY(at::equal(out, ref));
    }
  }

  void shapeMismatchNamesKeyAndShapes() {
    const WanConfig c = tinyConfig();
    TensorMap w = initWanWeights(c, 5, false);
    w["blocks.1.cross_attn.k.weight"] = at::zeros({48, 40});
    try {
      WanDiT dit(c, w, at::kCPU, at::kFloat);
      QFAIL("a wrong shape was accepted");
    } catch (const InputError& e) {
      const QString msg = e.what();
      QVERIFY2(msg.contains("blocks.1.cross_attn.k.weight"), e.what());
      QVERIFY2(msg.contains("[48, 48]") && msg.contains("[48, 40]"), e.what());
    }
    w.erase("blocks.1.cross_attn.k.weight");
    try {
      WanDiT dit(c, w, at::kCPU, at::kFloat);
      QFAIL("a missing key was accepted");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("missing the key \"blocks.1.cross_attn.k.weight\""),
               e.what());
    }
  }

  void badInputShapeIsAnError() {
    const WanConfig c = tinyConfig();
    WanDiT dit(c, initWanWeights(c, 3, false), at::kCPU, at::kFloat);
    Inputs in = tinyInputs();
    QVERIFY_THROWS_EXCEPTION(InputError, dit.forward(randn({2, 4, 3, 5, 6}, 1), in.t, in.context));
    QVERIFY_THROWS_EXCEPTION(InputError, dit.forward(randn({2, 3, 3, 4, 6}, 1), in.t, in.context));
  }

  void cancellationHookRunsBeforeEachLayer() {
    const WanConfig c = tinyConfig();
    WanDiT dit(c, initWanWeights(c, 3, false), at::kCPU, at::kFloat);
    Inputs in = tinyInputs();
    std::vector<int> layers;
    DiTForwardOptions options;
    options.beforeLayer = [&](int layer) { layers.push_back(layer); };
    dit.forward(in.x, in.t, in.context, options);
    QCOMPARE(layers, (std::vector<int>{0, 1}));
  }

  void ropeMatchesPerElementFormula() {
    const int64_t F = 3, H = 4, W = 5, heads = 2;
    for (int64_t d : {24, 64, 128}) {
      at::Tensor x = randn({1, F * H * W, heads, d}, 9);
      at::Tensor out = applyRope(x, makeRopeTables(F, H, W, d, at::kCPU));
      const int64_t c = d / 2, spatial = c / 3, frame = c - 2 * spatial;
      // As Wan2.1's wan/modules/model.py splits it: the frame axis gets d − 4⌊d/6⌋ dims, height and
      // width 2⌊d/6⌋ each.
      QCOMPARE(2 * frame, d - 4 * (d / 6));
      QCOMPARE(2 * spatial, 2 * (d / 6));
      auto xa = x.accessor<float, 4>();
      auto oa = out.accessor<float, 4>();
      double worst = 0;
      for (int64_t f = 0; f < F; ++f)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w)
            for (int64_t n = 0; n < heads; ++n)
              for (int64_t j = 0; j < c; ++j) {
                const int64_t token = (f * H + h) * W + w;
                int64_t pos, local, axisDims;
                if (j < frame) {
                  pos = f, local = j, axisDims = 2 * frame;
                } else if (j < frame + spatial) {
                  pos = h, local = j - frame, axisDims = 2 * spatial;
                } else {
                  pos = w, local = j - frame - spatial, axisDims = 2 * spatial;
                }
                const double angle = pos * std::pow(10000.0, -2.0 * local / axisDims);
                const double a = xa[0][token][n][2 * j], b = xa[0][token][n][2 * j + 1];
                const double re = a * std::cos(angle) - b * std::sin(angle);
                const double im = a * std::sin(angle) + b * std::cos(angle);
                worst = std::max({worst, std::abs(re - oa[0][token][n][2 * j]),
                                  std::abs(im - oa[0][token][n][2 * j + 1])});
              }
      QVERIFY2(worst < 1e-5, qPrintable(QString("head dim %1: max error %2").arg(d).arg(worst)));
    }
  }

  void sincosPositionEmbeddingFollowsEachAxis() {
    const int64_t F = 3, H = 4, W = 5, d = 48;  // 24 pairs: 8 frame, 8 height, 8 width
    const at::Tensor e = sincosPositionEmbedding(F, H, W, d, at::kCPU);
    QCOMPARE(e.sizes().vec(), (std::vector<int64_t>{F * H * W, d}));
    auto at_ = [&](int64_t f, int64_t h, int64_t w) { return e[(f * H + h) * W + w]; };
    // Columns 0–15 depend on the frame only, 16–31 on the row, 32–47 on the column.
    QVERIFY(at::equal(at_(1, 0, 0).narrow(0, 0, 16), at_(1, 3, 4).narrow(0, 0, 16)));
    QVERIFY(!at::allclose(at_(0, 2, 2).narrow(0, 0, 16), at_(2, 2, 2).narrow(0, 0, 16)));
    QVERIFY(at::equal(at_(0, 2, 0).narrow(0, 16, 16), at_(2, 2, 4).narrow(0, 16, 16)));
    QVERIFY(at::equal(at_(0, 0, 3).narrow(0, 32, 16), at_(2, 3, 3).narrow(0, 32, 16)));
    // Frame 2, pair j: sin(2ω_j) then cos(2ω_j), ω_j = 10000^(−2j/16).
    for (int64_t j = 0; j < 8; ++j) {
      const double w = std::pow(10000.0, -2.0 * j / 16);
      QVERIFY(std::abs(at_(2, 0, 0)[j].item<double>() - std::sin(2 * w)) < 1e-6);
      QVERIFY(std::abs(at_(2, 0, 0)[8 + j].item<double>() - std::cos(2 * w)) < 1e-6);
    }
  }

  void positionEmbeddingLetsTheModelTellFramesApart() {
    // With RoPE alone a constant input gives the same output in every frame: every value vector is
    // the same, so whatever the (relative) attention weights, each token gets that vector back.
    // The absolute embedding makes the frames differ.
    WanConfig c = tinyConfig();
    c.patch = {1, 1, 1};
    const at::Tensor x = at::ones({1, 4, 3, 1, 1});
    const at::Tensor t = at::tensor({500.0f}), context = randn({1, 5, 16}, 2);
    WanDiT plain(c, initWanWeights(c, 3, false), at::kCPU, at::kFloat);
    c.positionEmbedding = "sincos";
    WanDiT absolute(c, initWanWeights(c, 3, false), at::kCPU, at::kFloat);
    const at::Tensor a = absolute.forward(x, t, context), b = plain.forward(x, t, context);
    QVERIFY(at::allclose(b.select(2, 0), b.select(2, 2), 1e-5, 1e-5));
    QVERIFY(!at::allclose(a.select(2, 0), a.select(2, 2), 1e-4, 1e-4));
    QVERIFY(!at::allclose(a, b));
    c.positionEmbedding = "learned";
    QVERIFY_EXCEPTION_THROWN(validateConfig(c), InputError);
  }

  void timestepEmbeddingIsCosThenSin() {
    at::Tensor e = timestepEmbedding(at::tensor({0.0f, 500.0f}), 8);
    QCOMPARE(e.sizes().vec(), (std::vector<int64_t>{2, 8}));
    // t = 0: cos half all ones, sin half all zeros.
    QVERIFY(at::allclose(e[0].narrow(0, 0, 4), at::ones({4})));
    QVERIFY(at::allclose(e[0].narrow(0, 4, 4), at::zeros({4})));
    const double f1 = std::pow(10000.0, -1.0 / 4);
    QVERIFY(std::abs(e[1][1].item<float>() - std::cos(500.0 * f1)) < 1e-5);
    QVERIFY(std::abs(e[1][5].item<float>() - std::sin(500.0 * f1)) < 1e-5);
  }
};

QTEST_GUILESS_MAIN(TestWanDiT)
#include "test_wan_dit.moc"
