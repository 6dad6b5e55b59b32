// The byte-level BPE tokenizers' parts on cases whose answers are known by hand: GPT-2's byte
// table, merges by rank, Llama 3's ignore_merges and CLIP's "</w>", Llama 3's split pattern (digits
// in threes, case-insensitive contractions, the last space of a run going to the next word),
// CLIP's normalisation, and a whole tokenizer.json written here. The same tokenizers against
// transformers on trained vocabularies: test_hunyuan_text.
#include "support/test_support.h"

#include "core/common/error.h"
#include "core/text/byte_level_bpe.h"
#include "core/text/clip_tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/text/unicode_text.h"

#include <nlohmann/json.hpp>

#include <QtTest/QtTest>

#include <fstream>

using namespace svgen;

namespace {

using Strings = std::vector<std::string>;

// Llama 3's split, as its tokenizer.json holds it.
const char* kLlama3 =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

std::unordered_map<std::string, int64_t> vocabOf(const Strings& pieces) {
  std::unordered_map<std::string, int64_t> v;
  for (const auto& p : pieces) v.emplace(p, static_cast<int64_t>(v.size()));
  return v;
}

}  // namespace

class TestBpeTokenizers : public QObject {
  Q_OBJECT
 private slots:
  void init() {
    if (!unicodeTextAvailable()) QSKIP("built without ICU (libicu-dev)");
  }

  void gpt2ByteTable() {
    QCOMPARE(byteLevelText(" "), std::string("\u0120"));   // Ġ
    QCOMPARE(byteLevelText("\n"), std::string("\u010A"));  // Ċ
    QCOMPARE(byteLevelText(std::string(1, '\0')), std::string("\u0100"));
    QCOMPARE(byteLevelText("a~!"), std::string("a~!"));
    QCOMPARE(byteLevelText("\xC3\xA9"), std::string("\u00C3\u00A9"));  // é's two bytes
    QCOMPARE(byteLevelText("\xAD"), std::string("\u0143"));  // the soft hyphen is remapped
  }

  void mergesGoByRank() {
    const auto vocab = vocabOf({"a", "b", "c", "ab", "bc", "abc"});
    const ByteLevelBpe leftFirst(vocab, {{"a", "b"}, {"b", "c"}, {"ab", "c"}});
    QCOMPARE(leftFirst.word("abc"), (std::vector<int64_t>{5}));
    const ByteLevelBpe rightFirst(vocab, {{"b", "c"}, {"a", "b"}});
    QCOMPARE(rightFirst.word("abc"), (std::vector<int64_t>{0, 4}));  // "a" "bc"
    // Every occurrence of the best pair merges, left to right, without overlap.
    const ByteLevelBpe pairs(vocabOf({"a", "aa"}), {{"a", "a"}});
    QCOMPARE(pairs.word("aaa"), (std::vector<int64_t>{1, 0}));
    QVERIFY_THROWS_EXCEPTION(InputError, ByteLevelBpe(vocabOf({"a"}), {{"a", "a"}}));
    QVERIFY_THROWS_EXCEPTION(InputError, leftFirst.word("abd"));
  }

  void ignoreMergesAndWordEnds() {
    const auto vocab = vocabOf({"x", "y", "z", "xy", "xyz"});
    // No merge builds "xyz" from "xy" + "z": only ignore_merges finds it.
    QCOMPARE(ByteLevelBpe(vocab, {{"x", "y"}}).word("xyz"), (std::vector<int64_t>{3, 2}));
    QCOMPARE(ByteLevelBpe(vocab, {{"x", "y"}}, "", true).word("xyz"), (std::vector<int64_t>{4}));
    const auto clip = vocabOf({"a", "b", "b</w>", "ab</w>", "a</w>"});
    const ByteLevelBpe withEnds(clip, {{"a", "b</w>"}}, "</w>");
    QCOMPARE(withEnds.word("ab"), (std::vector<int64_t>{3}));
    QCOMPARE(withEnds.word("ba"), (std::vector<int64_t>{1, 4}));
  }

  void llama3Split() {
    const UnicodeSplitter s(kLlama3);
    QCOMPARE(s.isolate("1234567"), (Strings{"123", "456", "7"}));
    QCOMPARE(s.isolate("it's I'M"), (Strings{"it", "'s", " I", "'M"}));
    QCOMPARE(s.isolate("a   b"), (Strings{"a", "  ", " b"}));
    QCOMPARE(s.isolate("Hello\n\nworld!!\n"), (Strings{"Hello", "\n\n", "world", "!!\n"}));
    QCOMPARE(s.isolate("naïve café"), (Strings{"naïve", " café"}));
    QCOMPARE(s.isolate("(x) "), (Strings{"(x", ")", " "}));
    std::string joined;
    for (const auto& piece : s.isolate("  mixed 12 text\t\tand\r\nmore  ")) joined += piece;
    QCOMPARE(joined, std::string("  mixed 12 text\t\tand\r\nmore  "));
    QVERIFY_THROWS_EXCEPTION(InputError, UnicodeSplitter("(unclosed"));
  }

  void clipNormalisesAndSplits() {
    QCOMPARE(clipNormalise("  Hello   WORLD\t!\n "), std::string("hello world !"));
    QCOMPARE(clipNormalise("ÉCOLE"), std::string("école"));
    // NFC: e + combining acute is é.
    QCOMPARE(clipNormalise("e\xCC\x81"), std::string("\xC3\xA9"));
  }

  // A tokenizer.json of Llama 3's make, written by hand: added tokens first, the split, the
  // byte-level pieces, the BPE, <|begin_of_text|> in front.
  void tokenizerJsonWholePath() {
    const std::string dir = test::freshDir("tokenizer_json");
    nlohmann::json vocab = nlohmann::json::object();
    int next = 0;
    for (const char* piece :
         {"H",        "i",         "\u0120", "t",           "h", "e", "r", "!", "Hi", "\u0120t",
          "\u0120th", "\u0120the", "er",     "\u0120there", "1", "2", "3", "4", "12", "123"})
      vocab[piece] = next++;
    nlohmann::json spec = {
        {"model",
         {{"type", "BPE"},
          {"vocab", vocab},
          {"merges", {"H i", "\u0120 t", "\u0120t h", "\u0120th e", "e r", "1 2", "12 3"}},
          {"ignore_merges", true}}},
        {"normalizer", nullptr},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"},
             {"pattern", {{"Regex", kLlama3}}},
             {"behavior", "Isolated"},
             {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
        {"added_tokens",
         {{{"id", 100}, {"content", "<|begin_of_text|>"}, {"special", true}},
          {{"id", 101}, {"content", "<|eot_id|>"}, {"special", true}}}},
        {"post_processor",
         {{"type", "Sequence"},
          {"processors",
           {{{"type", "ByteLevel"}},
            {{"type", "TemplateProcessing"},
             {"single",
              {{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}},
               {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
             {"special_tokens",
              {{"<|begin_of_text|>", {{"id", "<|begin_of_text|>"}, {"ids", {100}}}}}}}}}}}};
    std::ofstream(dir + "/tokenizer.json") << spec.dump();
    const TokenizerJson tok(dir);
    // "Hi" (merge), " there" (in the vocabulary whole: ignore_merges; the merges alone would
    // stop at " the" + "r"... ), "!", <|eot_id|>, "1234" → "123" "4".
    QCOMPARE(tok.encode("Hi there!<|eot_id|>1234"),
             (std::vector<int64_t>{100, 8, 13, 7, 101, 19, 17}));
    QCOMPARE(tok.encode(""), (std::vector<int64_t>{100}));
    QCOMPARE(tok.id("<|eot_id|>"), int64_t{101});
    QCOMPARE(tok.vocabularySize(), size_t{102});
  }
};

QTEST_GUILESS_MAIN(TestBpeTokenizers)
#include "test_bpe_tokenizers.moc"
