// Packed weights: fp8 as PyTorch reads and rounds it, every GGUF type svgen decodes against
// llama.cpp's own dequantiser (tests/fixtures/gguf, tools/fixtures/make_gguf_reference.py), the
// GGUF reader refusing files that lie, and ComfyUI's scaled fp8 layout.
#include "support/gguf_builder.h"
#include "support/test_support.h"

#include "core/common/error.h"
#include "core/io/dtype.h"
#include "core/io/gguf_file.h"
#include "core/io/packed_weights.h"
#include "core/io/safetensors.h"
#include "core/io/tensor_io.h"
#include "kernels/cpu/dequantize.h"

#include <ATen/ATen.h>

#include <QtTest/QtTest>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

using namespace svgen;

namespace {

std::string inputErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// E4M3 and E5M2 by their definition, written independently of the decoder under test.
double fp8Reference(uint8_t v, int expBits, int mantBits) {
  const int bias = (1 << (expBits - 1)) - 1;
  const int sign = v >> 7;
  const int exp = (v >> mantBits) & ((1 << expBits) - 1);
  const int mant = v & ((1 << mantBits) - 1);
  const double s = sign ? -1.0 : 1.0;
  const int maxExp = (1 << expBits) - 1;
  if (expBits == 4 && exp == maxExp && mant == (1 << mantBits) - 1) return std::nan("");
  if (expBits == 5 && exp == maxExp)
    return mant ? std::nan("") : s * std::numeric_limits<double>::infinity();
  if (exp == 0) return s * std::ldexp(mant, 1 - bias - mantBits);
  return s * std::ldexp(1.0 + mant / double(1 << mantBits), exp - bias);
}

const std::string kFixture = "tests/fixtures/gguf/every_type.gguf";
const std::string kExpected = "tests/fixtures/gguf/every_type_dequantized.safetensors";

test::GgufSpec validSpec() {
  test::GgufSpec s;
  s.metadata = {test::ggufString("general.architecture", "wan")};
  s.tensors.push_back(test::ggufTensor("blocks.0.ffn.0.weight", at::randn({4, 64}), 8));
  s.tensors.push_back(test::ggufTensor("blocks.0.ffn.0.bias", at::randn({4}), 0));
  return s;
}

}  // namespace

class TestPackedWeights : public QObject {
  Q_OBJECT
 private slots:
  void fp8DecodesEveryBitPattern() {
    for (int v = 0; v < 256; ++v) {
      const auto b = static_cast<uint8_t>(v);
      const double e4 = fp8Reference(b, 4, 3), e5 = fp8Reference(b, 5, 2);
      const float g4 = fp8e4m3ToFloat(b), g5 = fp8e5m2ToFloat(b);
      QVERIFY2(std::isnan(e4) ? std::isnan(g4) : g4 == e4, qPrintable(QString::number(v)));
      QVERIFY2(std::isnan(e5) ? std::isnan(g5) : g5 == e5, qPrintable(QString::number(v)));
    }
    QCOMPARE(fp8e4m3ToFloat(0x7e), 448.0f);  // the largest E4M3
    QCOMPARE(fp8e4m3ToFloat(0x01), 1.0f / 512);
    QCOMPARE(fp8e5m2ToFloat(0x7b), 57344.0f);
  }

  void fp8RoundsToNearestEven() {
    using Encode = uint8_t (*)(float);
    using Decode = float (*)(uint8_t);
    for (auto [encode, decode, e5] :
         {std::tuple<Encode, Decode, bool>{floatToFp8e4m3, fp8e4m3ToFloat, false},
          std::tuple<Encode, Decode, bool>{floatToFp8e5m2, fp8e5m2ToFloat, true}}) {
      // Every value is its own encoding; halfway between neighbours goes to the even one, a
      // hair past halfway to the far one.
      for (int v = 0; v < 0x7f; ++v) {
        const float a = decode(static_cast<uint8_t>(v));
        if (e5 && v >= 0x7c) break;
        QCOMPARE(int(encode(a)), v);
        QCOMPARE(int(encode(-a)), v | 0x80);
        if ((e5 && v == 0x7b) || (!e5 && v == 0x7e)) continue;
        const float b = decode(static_cast<uint8_t>(v + 1));
        const float mid = 0.5f * (a + b);
        QCOMPARE(int(encode(mid)), (v % 2 == 0) ? v : v + 1);
        QCOMPARE(int(encode(std::nextafter(mid, b))), v + 1);
        QCOMPARE(int(encode(std::nextafter(mid, a))), v);
      }
    }
    // Out of range: E4M3 has no infinity, E5M2 does.
    QCOMPARE(int(floatToFp8e4m3(464.0f)), 0x7e);
    QCOMPARE(int(floatToFp8e4m3(465.0f)), 0x7f);
    QCOMPARE(int(floatToFp8e4m3(1e9f)), 0x7f);
    QCOMPARE(int(floatToFp8e4m3(-INFINITY)), 0xff);
    QCOMPARE(int(floatToFp8e5m2(61440.0f)), 0x7c);
    QCOMPARE(int(floatToFp8e5m2(-1e9f)), 0xfc);
    QVERIFY(std::isnan(fp8e5m2ToFloat(floatToFp8e5m2(NAN))));
    QVERIFY(std::isnan(fp8e4m3ToFloat(floatToFp8e4m3(NAN))));
  }

  void everyGgufTypeMatchesLlamaCppsDequantizer() {
    const auto file = GgufFile::open(test::sourcePath(kFixture));
    QCOMPARE(file->version(), 3u);
    QCOMPARE(QString::fromStdString(file->architecture()), QString("wan"));
    const TensorMap expected = loadTensors(test::sourcePath(kExpected));
    QCOMPARE(file->tensors().size(), expected.size());
    std::set<std::string> types;
    for (const TensorInfo& t : file->tensors()) {
      const at::Tensor want = expected.at(t.name);
      QCOMPARE(t.shape, want.sizes().vec());
      at::Tensor got = at::empty(t.shape, at::kFloat);
      kernels::dequantizeToFloat(packedFormatOf(t.dtype), file->data(t), t.numel(), 1.0f,
                                 got.data_ptr<float>());
      const double err = (got - want).abs().max().item<double>();
      QVERIFY2(
          err == 0,
          qPrintable(
              QString("%1 (%2): max error %3").arg(t.name.c_str(), dtypeName(t.dtype)).arg(err)));
      types.insert(dtypeName(t.dtype));
    }
    const std::set<std::string> all = {"F32",  "F16",  "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
                                       "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"};
    QCOMPARE(types, all);
    // ComfyUI-GGUF's 5-D patch embedding comes back in its real shape.
    QCOMPARE(file->find("patch_embedding.weight")->shape, (std::vector<int64_t>{6, 4, 1, 2, 2}));
  }

  void loadingKeepsBlocksPackedAndUnpacksOnUse() {
    const LoadedWeights w = loadWeights({test::sourcePath(kFixture)});
    const TensorMap expected = loadTensors(test::sourcePath(kExpected));
    QCOMPARE(w.dense.size(), size_t(3));  // F32, F16 and BF16 are used as stored
    QCOMPARE(w.packed.size(), size_t(10));
    const PackedTensor& q4k = w.packed.at("blocks.0.ffn.0.weight");
    QCOMPARE(q4k.dtype, DType::Q4_K);
    QCOMPARE(q4k.bytes.numel(), int64_t(3 * 2 * 144));  // the file's bytes, not floats
    QVERIFY(at::equal(q4k.unpack(at::kFloat), expected.at("blocks.0.ffn.0.weight")));
    QVERIFY(at::equal(q4k.unpack(at::kBFloat16),
                      expected.at("blocks.0.ffn.0.weight").to(at::kBFloat16)));
    QVERIFY(at::equal(w.dense.at("patch_embedding.weight").to(at::kFloat),
                      expected.at("patch_embedding.weight")));
    QCOMPARE(w.packed.at("blocks.0.self_attn.q.weight").dtype, DType::Q6_K);
  }

  void lyingGgufHeadersAreRefusedNamingFileAndTensor() {
    const std::string dir = test::freshDir("gguf_lies");
    struct Lie {
      const char* name;
      std::function<void(test::GgufSpec&)> edit;
      std::function<void(std::string&)> cut;  // applied to the bytes
      const char* expected;
    };
    const std::vector<Lie> lies = {
        {"magic", {}, [](std::string& b) { b[0] = 'X'; }, "not a GGUF file"},
        {"version 1", [](test::GgufSpec& s) { s.version = 1; }, {}, "GGUF version 1"},
        {"tensor count", [](test::GgufSpec& s) { s.tensorCount = 1ull << 40; }, {}, "tensors"},
        {"key count", [](test::GgufSpec& s) { s.metadataCount = 5; }, {}, ""},
        {"huge array",
         [](test::GgufSpec& s) {
           std::string a = test::ggufI32Array("comfy.gguf.orig_shape.x", {1, 2});
           std::memset(&a[a.size() - 8 - 8], 0x7f, 7);  // the element count's low bytes
           s.metadata.push_back(a);
         },
         {},
         "cannot fit"},
        {"truncated data",
         {},
         [](std::string& b) { b.resize(b.size() - 7); },
         "\"blocks.0.ffn.0.bias\""},
        {"partial block",
         [](test::GgufSpec& s) {
           s.tensors[0].ggufDims = {48, 4};
         },
         {},
         "not whole Q8_0 blocks"},
        {"unaligned offset", [](test::GgufSpec& s) { s.tensors[1].offset = 3; }, {}, "alignment"},
        {"overlap", [](test::GgufSpec& s) { s.tensors[1].offset = 0; }, {}, "overlap"},
        {"unsupported type",
         [](test::GgufSpec& s) { s.tensors[1].type = 23; },
         {},
         "IQ4_XS is not supported"},
        {"duplicate name",
         [](test::GgufSpec& s) { s.tensors[1].name = s.tensors[0].name; },
         {},
         "appears twice"},
        {"shape metadata",
         [](test::GgufSpec& s) {
           s.metadata.push_back(
               test::ggufI32Array("comfy.gguf.orig_shape.blocks.0.ffn.0.bias", {3, 2}));
         },
         {},
         "has 6 elements but the tensor holds 4"},
        {"overflowing dimensions",
         [](test::GgufSpec& s) {
           s.tensors[1].ggufDims = {0, 1ull << 62, 3};
         },
         {},
         "dimensions overflow"},
        {"row bytes overflowing",  // 2^62 floats: 2^64 bytes wraps to 0 unless checked
         [](test::GgufSpec& s) { s.tensors[1].ggufDims = {1ull << 62}; },
         {},
         "run past the data section"},
        {"five dimensions",
         [](test::GgufSpec& s) {
           s.tensors[1].ggufDims = {1, 1, 1, 1, 4};
         },
         {},
         "5 dimensions"},
        {"alignment",
         [](test::GgufSpec& s) { s.metadata.push_back(test::ggufU32("general.alignment", 3)); },
         {},
         "power of two"},
    };
    at::manual_seed(3);
    for (const Lie& lie : lies) {
      test::GgufSpec spec = validSpec();
      if (lie.edit) lie.edit(spec);
      std::string bytes = test::ggufBytes(spec);
      if (lie.cut) lie.cut(bytes);
      const std::string path = dir + "/lie.gguf";
      test::spit(path, bytes);
      const std::string why = inputErrorOf([&] { GgufFile::open(path); });
      QVERIFY2(has(why, path) && has(why, lie.expected),
               qPrintable(QString("%1: %2").arg(lie.name, why.c_str())));
    }
    // The unedited file is fine, so each refusal above is its lie's.
    test::spit(dir + "/good.gguf", test::ggufBytes(validSpec()));
    QCOMPARE(GgufFile::open(dir + "/good.gguf")->tensors().size(), size_t(2));
  }

  void everyTruncationIsAnInputError() {
    // A download cut anywhere: never a crash or a read past the end.
    const std::string whole = test::slurp(test::sourcePath(kFixture));
    const std::string path = test::freshDir("gguf_cut") + "/cut.gguf";
    for (size_t n = 0; n < whole.size(); n += (n < 1200 ? 1 : 97)) {
      test::spit(path, whole.substr(0, n));
      QVERIFY2(has(inputErrorOf([&] { GgufFile::open(path); }), "cut.gguf"),
               qPrintable(QString::number(n)));
    }
  }

  void scaledFp8IsUnpackedWithItsScales() {
    // ComfyUI's *_fp8_e4m3fn_scaled files: fp8 weights, a float scale beside each, a marker.
    const std::string path = test::freshDir("fp8_scaled") + "/model.safetensors";
    at::manual_seed(5);
    const at::Tensor w = at::randn({8, 16}) * 3;
    const float scale = w.abs().max().item<float>() / 448.0f;
    std::vector<uint8_t> fp8(w.numel()), rows(w.numel());
    const at::Tensor rowScale = w.abs().amax(1) / 448.0f;
    for (int64_t i = 0; i < w.numel(); ++i) {
      fp8[i] = floatToFp8e4m3(w.view(-1)[i].item<float>() / scale);
      rows[i] = floatToFp8e4m3(w.view(-1)[i].item<float>() / rowScale[i / 16].item<float>());
    }
    SafetensorsWriter writer;
    writer.add("model.diffusion_model.a.weight", DType::F8_E4M3, {8, 16}, fp8.data(), fp8.size());
    writer.add("model.diffusion_model.a.scale_weight", DType::F32, {}, &scale, 4);
    writer.add("model.diffusion_model.a.scale_input", DType::F32, {}, &scale, 4);
    writer.add("model.diffusion_model.b.weight", DType::F8_E4M3, {8, 16}, rows.data(), rows.size());
    writer.add("model.diffusion_model.b.weight_scale", DType::F32, {8, 1},
               rowScale.data_ptr<float>(), 32);
    writer.add("model.diffusion_model.scaled_fp8", DType::F8_E4M3, {0}, nullptr, 0);
    writer.write(path);

    const LoadedWeights loaded = loadWeights({path});
    QVERIFY(loaded.dense.empty());  // scales and marker are consumed, not left as weights
    QCOMPARE(loaded.packed.size(), size_t(2));
    const at::Tensor a = loaded.packed.at("model.diffusion_model.a.weight").unpack(at::kFloat);
    const at::Tensor b = loaded.packed.at("model.diffusion_model.b.weight").unpack(at::kFloat);
    at::Tensor expectA = at::empty({8, 16}), expectB = at::empty({8, 16});
    for (int64_t i = 0; i < w.numel(); ++i) {
      expectA.view(-1)[i] = fp8e4m3ToFloat(fp8[i]) * scale;
      expectB.view(-1)[i] = fp8e4m3ToFloat(rows[i]) * rowScale[i / 16].item<float>();
    }
    QVERIFY(at::allclose(a, expectA, 0, 0));
    QVERIFY(at::allclose(b, expectB, 1e-7, 0));
    // e4m3 keeps 3 mantissa bits: within 1/16 of each value, relative.
    QVERIFY((a - w).abs().le(w.abs() / 16 + scale / 512).all().item<bool>());

    // A scale for a weight the file does not have, or of the wrong size, is named.
    SafetensorsWriter bad;
    bad.add("x.weight", DType::F8_E4M3, {8, 16}, fp8.data(), fp8.size());
    bad.add("y.scale_weight", DType::F32, {}, &scale, 4);
    bad.write(path);
    QVERIFY(
        has(inputErrorOf([&] { loadWeights({path}); }), "y.weight: the file has no such weight"));
    SafetensorsWriter wrong;
    wrong.add("x.weight", DType::F8_E4M3, {8, 16}, fp8.data(), fp8.size());
    wrong.add("x.scale_weight", DType::F32, {3}, rowScale.data_ptr<float>(), 12);
    wrong.write(path);
    QVERIFY(has(inputErrorOf([&] { loadWeights({path}); }), "3 values for a weight of shape"));
  }

  void genericLoadingWidensPackedTypes() {
    // Code that wants plain tensors (loadTensors) gets fp8 and GGUF blocks as float32.
    const TensorMap all = loadTensors(test::sourcePath(kFixture));
    const TensorMap expected = loadTensors(test::sourcePath(kExpected));
    for (const auto& [name, t] : expected)
      QVERIFY2(at::equal(all.at(name).to(at::kFloat), t), name.c_str());
  }
};

QTEST_GUILESS_MAIN(TestPackedWeights)
#include "test_packed_weights.moc"
