// HunyuanVideo's text side on tiny files of the real kinds (tests/fixtures/hunyuan_text_tiny,
// made by transformers and tokenizers on the GPU machine:
// tools/fixtures/make_hunyuan_text_fixtures.py): the Llama 3 tokenizer.json and CLIP's vocab.json +
// merges.txt token for token against tokenizers.js, Hugging Face's JavaScript implementation
// (tools/fixtures/make_tokenizer_reference.mjs), on edge cases; the prompt template's crop; the
// encoders' key layouts, held types and causal pooling; the errors a user with a wrong or damaged
// file gets. (The encoders' outputs against transformers' wait for that script's reference run.)
#include "support/tensor_compare.h"
#include "support/test_support.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/tensor_io.h"
#include "core/model/hunyuan/hunyuan_text.h"
#include "core/text/clip_text_encoder.h"
#include "core/text/clip_tokenizer.h"
#include "core/text/llama_encoder.h"
#include "core/text/tokenizer_json.h"
#include "core/text/unicode_text.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>

using namespace svgen;
using test::relativeError;

namespace {

std::string fixture(const std::string& part) {
  return test::sourcePath("tests/fixtures/hunyuan_text_tiny/" + part);
}

const nlohmann::json& referenceJson() {
  static const nlohmann::json j =
      readJsonFile(test::sourcePath("tests/fixtures/hunyuan_tokenizer_reference.json"));
  return j;
}

// A prompt's ids through the template, for the encoders.
at::Tensor promptIds(int n) {
  const TokenizerJson tok(fixture("tokenizer"));
  const std::string p = referenceJson().at("prompts")[n];
  return at::tensor(hunyuanLlamaIds(tok, p).ids, at::kLong).unsqueeze(0);
}

std::vector<int64_t> idsOf(const at::Tensor& t) {
  const at::Tensor flat = t.to(at::kLong).flatten().contiguous();
  return std::vector<int64_t>(flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel());
}

LlamaConfig llamaConfig() {
  return llamaConfigFromJson(readJsonFile(fixture("text_encoder/config.json")));
}
ClipTextConfig clipConfig() {
  return clipTextConfigFromJson(readJsonFile(fixture("text_encoder_2/config.json")));
}
TensorMap llamaWeights() {
  return loadTensors(fixture("text_encoder/model.safetensors"));
}
TensorMap clipWeights() {
  return loadTensors(fixture("text_encoder_2/model.safetensors"));
}

std::string quoted(const std::string& s) {
  return "\"" + s.substr(0, 40) + "\"";
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

class TestHunyuanText : public QObject {
  Q_OBJECT
 private slots:
  void init() { c10::GradMode::set_enabled(false); }

  void llamaTokenizerMatchesTokenizersJs() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
    const TokenizerJson tok(fixture("tokenizer"));
    int checked = 0;
    for (const auto& c : referenceJson().at("texts")) {
      const std::string text = c.at("text");
      const auto want = c.at("llama").get<std::vector<int64_t>>();
      const std::vector<int64_t> got = tok.encode(text);
      QVERIFY2(got == want,
               qPrintable(QString::fromStdString(quoted(text)) +
                          QString(": %1 ids, want %2").arg(got.size()).arg(want.size())));
      ++checked;
    }
    QCOMPARE(checked, 12);
    // Entries only ignore_merges reaches are one token each.
    QCOMPARE(tok.encode("zyxw").size(), size_t{2});  // <|begin_of_text|> and the word
  }

  void clipTokenizerMatchesTokenizersJs() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
    const ClipTokenizer tok(fixture("tokenizer_2"));
    for (const auto& c : referenceJson().at("texts")) {
      const std::string text = c.at("text");
      const auto want = c.at("clip").get<std::vector<int64_t>>();
      QVERIFY2(tok.encode(text, 77) == want, qPrintable(QString::fromStdString(quoted(text))));
      QCOMPARE(tok.truncatedTokens(text, 77),
               std::max<int64_t>(0, c.at("clip_untruncated").get<int64_t>() - 77));
    }
  }

  void templateIsCutAtThePrompt() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
    const nlohmann::json& j = referenceJson();
    QCOMPARE(j.at("template").get<std::string>(), hunyuanPromptTemplate());
    const TokenizerJson tok(fixture("tokenizer"));
    const std::string prompt = j.at("prompts")[1];
    const HunyuanLlamaIds ids = hunyuanLlamaIds(tok, prompt);
    QCOMPARE(ids.crop, j.at("crop_start").get<int64_t>());
    QCOMPARE(ids.ids, j.at("texts")[3].at("llama").get<std::vector<int64_t>>());
    QCOMPARE(ids.dropped, int64_t{0});
    // Past maxTokens the pipeline cuts the prompt (its closing <|eot_id|> too).
    const HunyuanLlamaIds cut = hunyuanLlamaIds(tok, prompt, 4);
    QCOMPARE(cut.ids.size(), size_t(ids.crop + 4));
    QCOMPARE(cut.dropped, static_cast<int64_t>(ids.ids.size()) - ids.crop - 4);
  }

  // The states a layer further on do not change the earlier ones (causal), −3 is two layers
  // before the final norm's, and the final state is normed.
  void llamaHiddenStatesIndexAsTransformersDoes() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
    const LlamaConfig config = llamaConfig();
    const TensorMap w = llamaWeights();
    const at::Tensor ids = promptIds(0);
    const LlamaTextEncoder minus3(config, w, at::kCPU, at::kFloat, kHunyuanHiddenState);
    QCOMPARE(minus3.layersRun(), config.numLayers - 2);
    const LlamaTextEncoder two(config, w, at::kCPU, at::kFloat, 2);
    QVERIFY(at::equal(minus3.encode(ids), two.encode(ids)));
    const at::Tensor last = LlamaTextEncoder(config, w, at::kCPU, at::kFloat, -1).encode(ids);
    const at::Tensor rms = last.div(w.at("norm.weight")).pow(2).mean(-1);
    QVERIFY(at::allclose(rms, at::ones_like(rms), 1e-3, 1e-3));
    const at::Tensor full = two.encode(ids);
    const at::Tensor prefix = two.encode(ids.narrow(1, 0, 10));
    QVERIFY(at::allclose(prefix, full.narrow(1, 0, 10), 1e-5, 1e-5));
  }

  // A bfloat16 copy held in bfloat16 and widened per matrix gives the float32 result of the
  // rounded weights: what an 8B encoder on the CPU does.
  void llamaHeldNarrowComputesWide() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
    TensorMap w = llamaWeights();
    for (auto& [k, t] : w) t = t.to(at::kBFloat16).to(at::kFloat);
    const LlamaTextEncoder wide(llamaConfig(), w, at::kCPU, at::kFloat, -3);
    const LlamaTextEncoder narrow(llamaConfig(), w, at::kCPU, at::kFloat, -3, at::kBFloat16);
    const at::Tensor ids = promptIds(0);
    QVERIFY(at::allclose(wide.encode(ids), narrow.encode(ids), 1e-6, 1e-6));
  }

  // CLIP pools at the first end token; what follows it (the pipelines' padding) changes nothing.
  void clipPoolsAtTheFirstEnd() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
    const ClipTokenizer tok(fixture("tokenizer_2"));
    const ClipTextEncoder enc(clipConfig(), clipWeights(), at::kCPU, at::kFloat);
    const std::vector<int64_t> ids =
        tok.encode(referenceJson().at("prompts")[0].get<std::string>());
    std::vector<int64_t> padded = ids;
    padded.resize(77, tok.endId());
    const ClipTextStates cut = enc.encode(at::tensor(ids, at::kLong).unsqueeze(0), tok.endId());
    const ClipTextStates full = enc.encode(at::tensor(padded, at::kLong).unsqueeze(0), tok.endId());
    QVERIFY(at::allclose(cut.pooled, full.pooled, 1e-5, 1e-6));
    QVERIFY(at::equal(cut.pooled, cut.last.select(1, static_cast<int64_t>(ids.size()) - 1)));
  }

  void prefixedAndShapeInferredWeightsLoad() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
    // LLaVA's whole checkpoint: the language model under language_model.model., a vision tower
    // with layers of its own, an LM head.
    TensorMap llava;
    for (const auto& [k, t] : llamaWeights()) llava["language_model.model." + k] = t;
    llava["vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight"] = at::zeros({3, 3});
    llava["language_model.lm_head.weight"] = at::zeros({3, 3});
    const TensorMap named = llamaKeys(llava);
    QCOMPARE(named.size(), llamaWeights().size());
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& [k, t] : named) shapes[k] = t.sizes().vec();
    const LlamaConfig inferred = inferLlamaConfigFromShapes(shapes);
    QCOMPARE(inferred.numLayers, llamaConfig().numLayers);
    QCOMPARE(inferred.hiddenSize, llamaConfig().hiddenSize);
    QCOMPARE(inferred.vocabSize, llamaConfig().vocabSize);
    QCOMPARE(inferred.intermediateSize, llamaConfig().intermediateSize);
    const at::Tensor ids = promptIds(0);
    const LlamaTextEncoder plain(llamaConfig(), llamaWeights(), at::kCPU, at::kFloat, 2);
    const LlamaTextEncoder prefixed(llamaConfig(), llava, at::kCPU, at::kFloat, 2);
    QVERIFY(at::equal(prefixed.encode(ids), plain.encode(ids)));
    // ComfyUI's clip_l: text_model. under a prefix of its own.
    TensorMap comfy;
    for (const auto& [k, t] : clipWeights()) comfy["clip_l.transformer.text_model." + k] = t;
    std::map<std::string, std::vector<int64_t>> clipShapes;
    for (const auto& [k, t] : clipTextKeys(comfy)) clipShapes[k] = t.sizes().vec();
    QCOMPARE(inferClipTextConfigFromShapes(clipShapes).numLayers, clipConfig().numLayers);
    const ClipTextEncoder clip(clipConfig(), comfy, at::kCPU, at::kFloat);
  }

  void damagedFilesAreRefusedClearly() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
    QTemporaryDir dir;
    const std::string d = dir.path().toStdString();
    auto expectError = [](auto&& make, const std::string& part) {
      try {
        make();
        QFAIL(("no error; expected one naming " + part).c_str());
      } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find(part) != std::string::npos, e.what());
      }
    };
    expectError([&] { TokenizerJson t(d); }, "tokenizer.json");
    writeFile(d + "/tokenizer.json", "{\"model\": {\"type\": \"WordPiece\"}}");
    expectError([&] { TokenizerJson t(d); }, "WordPiece");
    writeFile(d + "/tokenizer.json", "{\"model\": ");
    expectError([&] { TokenizerJson t(d); }, "JSON");
    // Merges of another vocabulary.
    nlohmann::json spec = readJsonFile(fixture("tokenizer/tokenizer.json"));
    spec["model"]["merges"].push_back(nlohmann::json::array({"q", "qqqq"}));
    writeFile(d + "/tokenizer.json", spec.dump());
    expectError([&] { TokenizerJson t(d); }, "do not belong together");
    expectError([&] { ClipTokenizer t(d); }, "vocab.json");
    std::filesystem::copy_file(fixture("tokenizer_2/vocab.json"), d + "/vocab.json");
    writeFile(d + "/merges.txt", "#version: 0.2\nth e r e\n");
    expectError([&] { ClipTokenizer t(d); }, "line 2");

    TensorMap w = llamaWeights();
    w.erase("layers.1.mlp.down_proj.weight");
    expectError([&] { LlamaTextEncoder e(llamaConfig(), w, at::kCPU, at::kFloat, -3); },
                "layers.1.mlp.down_proj.weight");
    // Layers past the state read need not be there.
    w = llamaWeights();
    w.erase("layers.3.mlp.down_proj.weight");
    w.erase("norm.weight");
    LlamaTextEncoder ok(llamaConfig(), w, at::kCPU, at::kFloat, -3);
    expectError([&] { LlamaTextEncoder e(llamaConfig(), llamaWeights(), at::kCPU, at::kFloat, 9); },
                "hidden state 9");
    expectError([&] { ok.encode(at::full({1, 3}, 100000, at::kLong)); }, "vocabulary");
    nlohmann::json scaled = readJsonFile(fixture("text_encoder/config.json"));
    scaled["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
    expectError([&] { llamaConfigFromJson(scaled); }, "RoPE scaling");
    TensorMap c = clipWeights();
    c.begin()->second = at::zeros({1});
    expectError([&] { ClipTextEncoder e(clipConfig(), c, at::kCPU, at::kFloat); }, "has shape");
  }
};

QTEST_GUILESS_MAIN(TestHunyuanText)
#include "test_hunyuan_text.moc"
