// Our umT5 encoder and SentencePiece tokenization against transformers' UMT5EncoderModel on the
// tiny fixture (tests/fixtures/wan_tiny*, made by tools/fixtures/make_wan_fixtures.py).
#include "support/test_support.h"
#include "support/wan_fixture.h"

#include "core/common/error.h"
#include "core/io/tensor_io.h"
#include "core/text/sentencepiece_tokenizer.h"
#include "core/text/umt5_config.h"
#include "core/text/umt5_encoder.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <QtTest/QtTest>

#include <fstream>

using namespace svgen;

namespace {

TensorMap encoderWeights() {
  return loadTensors(test::sourcePath("tests/fixtures/wan_tiny/text_encoder/model.safetensors"));
}

Umt5Config fixtureConfig() {
  std::ifstream in(test::sourcePath("tests/fixtures/wan_tiny/text_encoder/config.json"));
  return umt5ConfigFromJson(nlohmann::json::parse(in));
}

std::vector<std::string> fixturePrompts() {
  std::ifstream in(test::sourcePath("tests/fixtures/wan_tiny_reference.json"));
  return nlohmann::json::parse(in).at("prompts").get<std::vector<std::string>>();
}

}  // namespace

class TestUmt5Reference : public QObject {
  Q_OBJECT
 private slots:
  void tokenizerMatchesThePipeline() {
    if (!sentencePieceAvailable()) QSKIP("built without libsentencepiece-dev");
    const TensorMap ref = test::wanReference();
    SentencePieceTokenizer tokenizer(test::sourcePath("tests/fixtures/wan_tiny/tokenizer"));
    std::vector<std::string> prompts = fixturePrompts();
    QCOMPARE(prompts.size(), size_t(3));
    const TokenizedPrompts t = tokenizer.encode(prompts, 512);
    QVERIFY(at::equal(t.ids, ref.at("t5.ids")));
    QVERIFY(at::equal(t.mask, ref.at("t5.mask")));
    // Extra whitespace changes nothing; a prompt longer than the length keeps room for </s>.
    const TokenizedPrompts spaced = tokenizer.encode({"  a red   circle moving right on a blue "
                                                      "background\n"},
                                                     512);
    QVERIFY(at::equal(spaced.ids[0], ref.at("t5.ids")[0]));
    const TokenizedPrompts cut = tokenizer.encode({prompts[1]}, 4);
    QCOMPARE(cut.ids[0][3].item<int64_t>(), SentencePieceTokenizer::kEosId);
    QCOMPARE(cut.mask.sum().item<int64_t>(), int64_t(4));
  }

  void missingTokenizerNamesTheFile() {
    const std::string dir = test::freshDir("umt5_no_tokenizer");
    try {
      SentencePieceTokenizer t(dir);
      QFAIL("expected an InputError");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find(dir) != std::string::npos, e.what());
    }
  }

  void encoderMatchesTransformers() {
    c10::NoGradGuard noGrad;
    const TensorMap ref = test::wanReference();
    const Umt5Encoder encoder(fixtureConfig(), encoderWeights(), at::Device(at::kCPU), at::kFloat);
    const at::Tensor states = encoder.encode(ref.at("t5.ids"), ref.at("t5.mask"));
    const at::Tensor expected = ref.at("t5.states");
    QCOMPARE(states.sizes().vec(), expected.sizes().vec());
    const double err = (states - expected).abs().max().item<double>();
    qInfo("umT5 encoder vs transformers: max abs error %.3g (states max %.3g)", err,
          expected.abs().max().item<double>());
    QVERIFY2(err < 1e-4, qPrintable(QString("max abs error %1").arg(err)));
    // The empty prompt is </s> alone; its padded rows are exactly zero.
    QCOMPARE(states[2].narrow(0, 1, 511).abs().max().item<double>(), 0.0);
  }

  // On the CPU for a GPU run, umT5 holds its matrices in bfloat16 and widens each as it is used:
  // the same states as float32 matrices holding the same bfloat16 values.
  void bfloat16StorageWidensExactly() {
    c10::NoGradGuard noGrad;
    const TensorMap ref = test::wanReference();
    TensorMap rounded;
    for (const auto& [k, t] : encoderWeights()) {
      const bool small = k.find("layer_norm") != std::string::npos ||
                         k.find("relative_attention_bias") != std::string::npos;
      rounded[k] = small ? t : t.to(at::kBFloat16).to(at::kFloat);
    }
    const at::Device cpu(at::kCPU);
    const Umt5Encoder narrow(fixtureConfig(), encoderWeights(), cpu, at::kFloat, at::kBFloat16);
    const Umt5Encoder wide(fixtureConfig(), rounded, cpu, at::kFloat);
    const at::Tensor a = narrow.encode(ref.at("t5.ids"), ref.at("t5.mask"));
    const at::Tensor b = wide.encode(ref.at("t5.ids"), ref.at("t5.mask"));
    QCOMPARE((a - b).abs().max().item<double>(), 0.0);
    // And bfloat16 weights are not float32 ones: the storage type really was used.
    QVERIFY((a - ref.at("t5.states")).abs().max().item<double>() > 1e-5);
  }

  void prefixedKeysLoadToo() {
    // ComfyUI's single files may put a prefix in front of transformers' names.
    c10::NoGradGuard noGrad;
    const TensorMap ref = test::wanReference();
    TensorMap prefixed;
    for (const auto& [k, t] : encoderWeights()) prefixed["text_encoders.umt5." + k] = t;
    const Umt5Encoder encoder(fixtureConfig(), prefixed, at::Device(at::kCPU), at::kFloat);
    const at::Tensor states = encoder.encode(ref.at("t5.ids"), ref.at("t5.mask"));
    QVERIFY((states - ref.at("t5.states")).abs().max().item<double>() < 1e-4);
  }

  void configFromShapesMatchesConfigJson() {
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& [k, t] : encoderWeights()) shapes[k] = t.sizes().vec();
    const Umt5Config inferred = inferUmt5ConfigFromShapes(shapes);
    const Umt5Config stated = fixtureConfig();
    QCOMPARE(inferred.vocabSize, stated.vocabSize);
    QCOMPARE(inferred.dModel, stated.dModel);
    QCOMPARE(inferred.dKv, stated.dKv);
    QCOMPARE(inferred.dFf, stated.dFf);
    QCOMPARE(inferred.numLayers, stated.numLayers);
    QCOMPARE(inferred.numHeads, stated.numHeads);
    QCOMPARE(inferred.numBuckets, stated.numBuckets);
  }

  void badWeightsNameTheTensor() {
    TensorMap weights = encoderWeights();
    weights.erase("encoder.block.1.layer.1.DenseReluDense.wo.weight");
    try {
      Umt5Encoder e(fixtureConfig(), weights, at::Device(at::kCPU), at::kFloat);
      QFAIL("expected an InputError");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("block.1.layer.1.DenseReluDense.wo") != std::string::npos,
               e.what());
    }
    weights = encoderWeights();
    weights["encoder.block.0.layer.0.SelfAttention.q.weight"] = at::zeros({16, 32});
    QVERIFY_THROWS_EXCEPTION(
        InputError, Umt5Encoder(fixtureConfig(), weights, at::Device(at::kCPU), at::kFloat));
  }

  void bucketsFollowT5() {
    // 32 buckets over distance 128: 16 per direction, offsets below 8 exact, the rest logarithmic.
    const at::Tensor b = relativePositionBuckets(300, 32, 128);
    QCOMPARE(b[0][0].item<int64_t>(), int64_t(0));
    QCOMPARE(b[0][5].item<int64_t>(), int64_t(16 + 5));  // key after the query
    QCOMPARE(b[5][0].item<int64_t>(), int64_t(5));       // key before it
    QCOMPARE(b[0][299].item<int64_t>(), int64_t(31));    // past the max distance: the last bucket
    QCOMPARE(b[299][0].item<int64_t>(), int64_t(15));
    // 8 + floor(log(16/8)/log(128/8)·8) = 10
    QCOMPARE(b[16][0].item<int64_t>(), int64_t(10));
  }
};

QTEST_GUILESS_MAIN(TestUmt5Reference)
#include "test_umt5_reference.moc"
