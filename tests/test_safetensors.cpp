// Safetensors reading, writing, sharding and 16-bit float conversion, including every way a
// corrupt file must be refused before its data is touched.
#include <ATen/ATen.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "core/common/error.h"
#include "core/io/safetensors.h"
#include "core/io/tensor_io.h"
#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <random>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QtTest>

namespace fs = std::filesystem;
using json = nlohmann::json;
using svgen::DType;

namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A header whose one tensor's shape nests `depth` arrays deep.
std::string deepShapeHeader(int depth) {
  const char open = 91, close = 93;  // by code: moc reads this file and loses its place otherwise
  return "{\"x\":{\"dtype\":\"F32\",\"shape\":" + std::string(depth, open) +
         std::string(depth, close) + ",\"data_offsets\":[0,0]}}";
}

// A header of `count` tensors without data.
std::string zeroSizeTensors(int count) {
  std::string h = "{";
  for (int i = 0; i < count; ++i) {
    h += (i ? ",\"t" : "\"t") + std::to_string(i) +
         "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
  }
  return h + "}";
}

void writeAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

// A file with the given header text (padded as the reference writer pads it) and data bytes; the
// length field can be overridden to lie.
std::string rawFile(std::string header, const std::string& data,
                    std::optional<uint64_t> lengthField = std::nullopt) {
  header.append((8 - header.size() % 8) % 8, ' ');
  uint64_t n = lengthField.value_or(header.size());
  return le64(n) + header + data;
}

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool sameTensors(const std::map<std::string, at::Tensor>& a,
                 const std::map<std::string, at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end()) return false;
    const at::Tensor& u = it->second;
    if (t.scalar_type() != u.scalar_type() || t.sizes() != u.sizes()) return false;
    if (t.numel() > 0 && !at::equal(t, u)) return false;
  }
  return true;
}

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

 private:
  std::string dir_;

  // Opening `bytes` written as `fileName` must throw InputError naming the file and every one of
  // `mustName` (tensor keys, reasons).
  void expectRejected(const std::string& fileName, const std::string& bytes,
                      const std::vector<std::string>& mustName) {
    const std::string path = dir_ + "/" + fileName;
    writeAll(path, bytes);
    try {
      svgen::SafetensorsFile::open(path);
      QFAIL(qPrintable(QString::fromStdString(fileName + " was accepted")));
    } catch (const svgen::InputError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find(path) != std::string::npos, e.what());
      for (const auto& word : mustName) QVERIFY2(msg.find(word) != std::string::npos, e.what());
    }
    // The loaders above it report the same error.
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::loadTensors(path));
  }

  // A valid file whose tensors sit at known offsets, to corrupt afterwards.
  std::string validFile(const std::string& name) {
    const std::string path = dir_ + "/" + name;
    svgen::saveTensors(path, {{"blocks.0.q.weight", at::arange(32, at::kFloat).reshape({4, 8})},
                              {"blocks.0.q.bias", at::arange(8, at::kFloat)}});
    return path;
  }

 private slots:
  void init() { dir_ = svgen::test::freshDir("safetensors"); }

  void dtypeNames() {
    for (DType d : {DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32, DType::U8}) {
      DType back;
      QVERIFY(svgen::parseDType(svgen::dtypeName(d), back));
      QCOMPARE(back, d);
      QCOMPARE(svgen::dtypeFromName(svgen::dtypeName(d)), d);
    }
    QCOMPARE(svgen::dtypeSize(DType::BF16), size_t{2});
    QCOMPARE(svgen::dtypeSize(DType::I64), size_t{8});
    QCOMPARE(std::string(svgen::dtypeName(DType::BF16)), std::string("BF16"));
    DType d = DType::U8;
    QVERIFY(!svgen::parseDType("F64", d));
    QCOMPARE(d, DType::U8);
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::dtypeFromName("f32"));
  }

  void roundTripAllDtypes() {
    at::manual_seed(7);
    std::map<std::string, at::Tensor> tensors = {
        {"f32", at::randn({3, 5})},
        {"f16", at::randn({2, 3, 4}).to(at::kHalf)},
        {"bf16", at::randn({7}).to(at::kBFloat16)},
        {"i64", at::tensor(std::vector<int64_t>{INT64_MIN, -1, 0, 1, INT64_MAX})},
        {"i32", at::randint(-1000, 1000, {4, 1}, at::kInt)},
        {"u8", at::randint(0, 256, {9}, at::kByte)},
        // Not contiguous: saved by value, as the caller sees it.
        {"transposed", at::randn({4, 6}).t()},
    };
    std::map<std::string, std::string> meta = {{"format", "pt"}, {"note", "ünïcode, \"quotes\""}};
    const std::string path = dir_ + "/all.safetensors";
    svgen::saveTensors(path, tensors, meta);

    auto loaded = svgen::loadTensors(path);
    QVERIFY(sameTensors(tensors, loaded));
    QVERIFY(loaded.at("transposed").is_contiguous());

    auto file = svgen::SafetensorsFile::open(path);
    QCOMPARE(file->metadata(), meta);
    QCOMPARE(file->names().size(), tensors.size());
    QCOMPARE(file->headerSize() % 8, uint64_t{0});
    for (const auto& info : file->tensors()) {
      // Every tensor is aligned to its element size, so it can be read in place.
      QCOMPARE(info.begin % svgen::dtypeSize(info.dtype), uint64_t{0});
      QCOMPARE(reinterpret_cast<uintptr_t>(file->data(info)) % svgen::dtypeSize(info.dtype),
               uintptr_t{0});
    }
    const svgen::TensorInfo* f16 = file->find("f16");
    QVERIFY(f16);
    QCOMPARE(f16->dtype, DType::F16);
    QCOMPARE(f16->shape, (std::vector<int64_t>{2, 3, 4}));
    QCOMPARE(f16->numel(), int64_t{24});
    QCOMPARE(file->find("absent"), nullptr);
  }

  void headerLayout() {
    svgen::SafetensorsWriter w;
    const float data[2] = {1.0f, 2.0f};
    const uint8_t byte = 9;
    w.add("b", DType::U8, {1}, &byte, 1);
    w.add("a", DType::F32, {2}, data, sizeof data);
    w.setMetadata("k", "v");
    const std::string path = dir_ + "/layout.safetensors";
    w.write(path);
    const std::string bytes = readAll(path);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
    QCOMPARE(n % 8, uint64_t{0});
    QCOMPARE(bytes.size(), 8 + n + 9);
    const std::string header = bytes.substr(8, n);
    // Compact JSON with sorted keys, then spaces up to the 8-byte boundary.
    const std::string text =
        R"({"__metadata__":{"k":"v"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},)"
        R"("b":{"data_offsets":[8,9],"dtype":"U8","shape":[1]}})";
    QCOMPARE(header.substr(0, text.size()), text);
    QCOMPARE(header.find_first_not_of(' ', text.size()), std::string::npos);
    QCOMPARE(bytes.substr(8 + n, 8), std::string(reinterpret_cast<const char*>(data), 8));
    QCOMPARE(static_cast<uint8_t>(bytes.back()), uint8_t{9});
  }

  void readsReferenceWriterLayout() {
    // Field order and metadata placement as Hugging Face's writer emits them.
    const int32_t ints[3] = {1, -2, 3};
    const std::string data(reinterpret_cast<const char*>(ints), sizeof ints);
    const std::string path = dir_ + "/reference.safetensors";
    writeAll(path, rawFile(R"({"__metadata__":{"format":"pt"},"x":{"dtype":"I32","shape":[3],)"
                           R"("data_offsets":[0,12]}})",
                           data));
    auto t = svgen::loadTensors(path).at("x");
    QCOMPARE(t.scalar_type(), at::kInt);
    QVERIFY(at::equal(t, at::tensor(std::vector<int32_t>{1, -2, 3})));
    QCOMPARE(svgen::Checkpoint::open(path).metadata().at("format"), std::string("pt"));
  }

  void emptyAndScalarTensors() {
    std::map<std::string, at::Tensor> tensors = {
        {"empty", at::empty({0}, at::kFloat)},
        {"empty2d", at::empty({3, 0}, at::kBFloat16)},
        {"scalar", at::scalar_tensor(3.5, at::kFloat)},
        {"scalar_i64", at::scalar_tensor(-42, at::kLong)},
    };
    const std::string path = dir_ + "/edge.safetensors";
    svgen::saveTensors(path, tensors);
    auto loaded = svgen::loadTensors(path);
    QVERIFY(sameTensors(tensors, loaded));
    QCOMPARE(loaded.at("scalar").dim(), int64_t{0});
    QCOMPARE(loaded.at("scalar").item<float>(), 3.5f);
    QCOMPARE(loaded.at("scalar_i64").item<int64_t>(), int64_t{-42});
    QCOMPARE(loaded.at("empty").sizes().vec(), (std::vector<int64_t>{0}));
    auto file = svgen::SafetensorsFile::open(path);
    QCOMPARE(file->find("scalar")->shape.size(), size_t{0});
    QCOMPARE(file->find("scalar")->numel(), int64_t{1});
    QCOMPARE(file->find("empty")->numel(), int64_t{0});
    QCOMPARE(file->find("empty")->nbytes(), uint64_t{0});

    // A file with no tensors at all is valid too.
    svgen::SafetensorsWriter().write(dir_ + "/nothing.safetensors");
    QVERIFY(svgen::loadTensors(dir_ + "/nothing.safetensors").empty());
  }

  void writerRejectsBadTensors() {
    svgen::SafetensorsWriter w;
    const float f[4] = {};
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, w.add("x", DType::F32, {2, 3}, f, sizeof f));
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, w.add("x", DType::F32, {-1, -4}, f, sizeof f));
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, w.add("", DType::F32, {4}, f, sizeof f));
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, w.add("__metadata__", DType::F32, {4}, f, 16));
    w.add("x", DType::F32, {4}, f, sizeof f);
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, w.addView("x", DType::F32, {4}, f, sizeof f));
    QCOMPARE(w.size(), size_t{1});
    QCOMPARE(w.dataBytes(), uint64_t{16});
    // Types safetensors here cannot hold are refused by name, not written as something else.
    QVERIFY_THROWS_EXCEPTION(
        svgen::InputError,
        svgen::saveTensors(dir_ + "/d.safetensors", {{"d", at::ones({2}, at::kDouble)}}));
    QVERIFY(!fs::exists(dir_ + "/d.safetensors"));
    // The header is JSON, which cannot carry arbitrary bytes.
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::saveTensors(dir_ + "/u.safetensors",
                                                                   {{"bad\xff", at::ones({1})}}));
    QVERIFY(!fs::exists(dir_ + "/u.safetensors"));
    QCOMPARE(listDir(dir_), std::vector<std::string>{});
  }

  void bf16Conversions() {
    QCOMPARE(svgen::floatToBf16(1.0f), uint16_t{0x3f80});
    QCOMPARE(svgen::floatToBf16(-2.0f), uint16_t{0xc000});
    QCOMPARE(svgen::floatToBf16(0.0f), uint16_t{0x0000});
    QCOMPARE(svgen::floatToBf16(-0.0f), uint16_t{0x8000});
    QCOMPARE(svgen::bf16ToFloat(0x4049), 3.140625f);
    // Ties go to the even neighbour, anything past the tie rounds up.
    QCOMPARE(svgen::floatToBf16(floatOf(0x3f808000)), uint16_t{0x3f80});
    QCOMPARE(svgen::floatToBf16(floatOf(0x3f818000)), uint16_t{0x3f82});
    QCOMPARE(svgen::floatToBf16(floatOf(0x3f808001)), uint16_t{0x3f81});
    QCOMPARE(svgen::floatToBf16(floatOf(0x3f807fff)), uint16_t{0x3f80});
    const float inf = std::numeric_limits<float>::infinity();
    QCOMPARE(svgen::floatToBf16(inf), uint16_t{0x7f80});
    QCOMPARE(svgen::floatToBf16(-inf), uint16_t{0xff80});
    QCOMPARE(svgen::floatToBf16(std::numeric_limits<float>::max()), uint16_t{0x7f80});
    // A NaN whose payload lives only in the dropped bits must stay NaN, sign kept.
    const uint16_t nan = svgen::floatToBf16(floatOf(0x7f800001));
    QVERIFY(std::isnan(svgen::bf16ToFloat(nan)));
    QVERIFY(std::isnan(svgen::bf16ToFloat(svgen::floatToBf16(floatOf(0xff800001)))));
    QVERIFY(svgen::floatToBf16(floatOf(0xff800001)) & 0x8000);
    QVERIFY(std::isinf(svgen::bf16ToFloat(0x7f80)));
    // Float subnormals survive.
    QCOMPARE(svgen::floatToBf16(floatOf(0x00010000)), uint16_t{0x0001});

    for (uint32_t b = 0; b < 0x10000; ++b) {
      const float f = svgen::bf16ToFloat(static_cast<uint16_t>(b));
      if (std::isnan(f)) continue;
      QCOMPARE(svgen::floatToBf16(f), static_cast<uint16_t>(b));
    }
    std::mt19937 rng(1);
    for (int i = 0; i < 200000; ++i) {
      const float f = floatOf(rng());
      if (std::isnan(f)) continue;
      QCOMPARE(svgen::floatToBf16(f), c10::BFloat16(f).x);
    }
  }

  void halfConversions() {
    QCOMPARE(svgen::floatToHalf(1.0f), uint16_t{0x3c00});
    QCOMPARE(svgen::floatToHalf(-2.0f), uint16_t{0xc000});
    QCOMPARE(svgen::floatToHalf(-0.0f), uint16_t{0x8000});
    QCOMPARE(svgen::halfToFloat(0x3555), 0.333251953125f);
    QCOMPARE(svgen::floatToHalf(65504.0f), uint16_t{0x7bff});
    QCOMPARE(svgen::floatToHalf(65519.0f), uint16_t{0x7bff});
    QCOMPARE(svgen::floatToHalf(65520.0f), uint16_t{0x7c00});  // the tie rounds to infinity
    QCOMPARE(svgen::floatToHalf(1e10f), uint16_t{0x7c00});
    QCOMPARE(svgen::floatToHalf(-1e10f), uint16_t{0xfc00});
    const float inf = std::numeric_limits<float>::infinity();
    QCOMPARE(svgen::floatToHalf(inf), uint16_t{0x7c00});
    QCOMPARE(svgen::halfToFloat(0xfc00), -inf);
    // Subnormals: 2^-24 is the smallest; 2^-25 is a tie that goes to even (zero).
    QCOMPARE(svgen::floatToHalf(std::ldexp(1.0f, -24)), uint16_t{0x0001});
    QCOMPARE(svgen::halfToFloat(0x0001), std::ldexp(1.0f, -24));
    QCOMPARE(svgen::floatToHalf(std::ldexp(1.0f, -25)), uint16_t{0x0000});
    QCOMPARE(svgen::floatToHalf(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), uint16_t{0x0001});
    QCOMPARE(svgen::floatToHalf(3 * std::ldexp(1.0f, -25)), uint16_t{0x0002});
    QCOMPARE(svgen::floatToHalf(-std::ldexp(1.0f, -26)), uint16_t{0x8000});
    QCOMPARE(svgen::halfToFloat(0x03ff), 1023 * std::ldexp(1.0f, -24));
    QCOMPARE(svgen::floatToHalf(std::ldexp(1.0f, -14)), uint16_t{0x0400});
    // Just under the smallest normal rounds up into it.
    QCOMPARE(svgen::floatToHalf(std::nextafter(std::ldexp(1.0f, -14), 0.0f)), uint16_t{0x0400});
    QCOMPARE(svgen::floatToHalf(std::numeric_limits<float>::denorm_min()), uint16_t{0});
    const uint16_t nan = svgen::floatToHalf(std::nanf(""));
    QCOMPARE(nan & 0x7c00, 0x7c00);
    QVERIFY(nan & 0x03ff);
    QVERIFY(std::isnan(svgen::halfToFloat(nan)));
    QVERIFY(std::isnan(svgen::halfToFloat(svgen::floatToHalf(floatOf(0x7f800001)))));
    QVERIFY(std::isnan(svgen::halfToFloat(0x7c01)));

    for (uint32_t b = 0; b < 0x10000; ++b) {
      const float f = svgen::halfToFloat(static_cast<uint16_t>(b));
      QCOMPARE(bitsOf(f) == bitsOf(static_cast<float>(
                                c10::Half(static_cast<uint16_t>(b), c10::Half::from_bits()))) ||
                   std::isnan(f),
               true);
      if (std::isnan(f)) continue;
      QCOMPARE(svgen::floatToHalf(f), static_cast<uint16_t>(b));
    }
    // Against c10's conversion over random bits, and densely around the subnormal range.
    std::mt19937 rng(2);
    for (int i = 0; i < 200000; ++i) {
      const float f = floatOf(rng());
      if (std::isnan(f)) continue;
      QCOMPARE(svgen::floatToHalf(f), c10::Half(f).x);
    }
    std::uniform_real_distribution<float> small(-1e-4f, 1e-4f);
    for (int i = 0; i < 200000; ++i) {
      const float f = small(rng);
      QCOMPARE(svgen::floatToHalf(f), c10::Half(f).x);
    }
  }

  // -- Corrupt files -------------------------------------------------------------------------

  void rejectsTruncatedFiles() {
    const std::string good = readAll(validFile("good.safetensors"));
    auto file = svgen::SafetensorsFile::open(dir_ + "/good.safetensors");
    const svgen::TensorInfo* last = &file->tensors()[0];
    for (const auto& t : file->tensors()) {
      if (t.end > last->end) last = &t;
    }
    const std::string lastName = last->name;
    file.reset();

    expectRejected("cut_in_data.safetensors", good.substr(0, good.size() - 3),
                   {"\"" + lastName + "\"", "beyond"});
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(good[i]);
    expectRejected("cut_in_header.safetensors", good.substr(0, 8 + n / 2), {"header length"});
    expectRejected("cut_in_length.safetensors", good.substr(0, 5), {"truncated"});
    expectRejected("empty.safetensors", "", {"truncated"});
  }

  void rejectsHeaderLengthBeyondFile() {
    expectRejected("long_header.safetensors", rawFile("{}", "", 1000000),
                   {"header length 1000000"});
    expectRejected("huge_header.safetensors", rawFile("{}", "", UINT64_MAX - 1), {"header length"});
  }

  void rejectsHeaderOverLimit() {
    // 150 MB of header would fit in the file but exceeds the 100 MB cap; a sparse file keeps the
    // test cheap and the check must come before any parsing.
    const std::string path = dir_ + "/capped.safetensors";
    const uint64_t n = 150ull * 1000 * 1000;
    writeAll(path, le64(n) + "{");
    QCOMPARE(::truncate(path.c_str(), static_cast<off_t>(n + 8)), 0);
    try {
      svgen::SafetensorsFile::open(path);
      QFAIL("150 MB header accepted");
    } catch (const svgen::InputError& e) {
      QVERIFY2(std::string(e.what()).find("limit") != std::string::npos, e.what());
    }
  }

  void rejectsBadJson() {
    expectRejected("not_json.safetensors", rawFile("{not json", ""), {"not valid JSON"});
    expectRejected("binary.safetensors", rawFile(std::string("\0\x01\x02\x03", 4), ""),
                   {"not valid JSON"});
    expectRejected("array.safetensors", rawFile("[1,2,3]", ""), {"not an object"});
    expectRejected("string.safetensors", rawFile("\"hello\"", ""), {"not an object"});
    expectRejected("duplicate.safetensors",
                   rawFile(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                           R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                           "ab"),
                   {"\"w\"", "twice"});
  }

  // Found by attacking the reader (issue 23): a shape nested 100,000 deep overflowed the stack,
  // and 100,000 zero-size tensors took minutes (nlohmann's callback parser rescans each object).
  void rejectsDeepNestingAndHugeTensorCounts() {
    expectRejected("deep.safetensors", rawFile(deepShapeHeader(100000), ""), {"levels deep"});
    // A duplicate in an inner object is found too.
    expectRejected("inner_duplicate.safetensors",
                   rawFile("{\"w\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],"
                           "\"data_offsets\":[0,1]}}",
                           "a"),
                   {"\"dtype\"", "twice"});
    const auto start = std::chrono::steady_clock::now();
    expectRejected("many.safetensors", rawFile(zeroSizeTensors(100000), ""), {"100000 tensors"});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Linear: well under a second here (read twice, through open and loadTensors); the quadratic
    // parser took minutes.
    QVERIFY2(seconds < 20, qPrintable(QString::number(seconds)));
    // 20,000 tensors are below the cap and read in full.
    const std::string path = dir_ + "/some.safetensors";
    writeAll(path, rawFile(zeroSizeTensors(20000), ""));
    QCOMPARE(svgen::SafetensorsFile::open(path)->names().size(), size_t{20000});
  }

  void rejectsBadEntries() {
    const std::string data(128, '\0');
    auto one = [&](const std::string& entry) {
      return rawFile(R"({"blocks.0.q.weight":)" + entry + "}", data);
    };
    const std::string key = "\"blocks.0.q.weight\"";
    expectRejected("unknown_dtype.safetensors",
                   one(R"({"dtype":"Q4","shape":[4,8],"data_offsets":[0,128]})"),
                   {key, "unknown dtype \"Q4\""});
    expectRejected("dtype_number.safetensors",
                   one(R"({"dtype":4,"shape":[4,8],"data_offsets":[0,128]})"), {key, "dtype"});
    expectRejected("no_shape.safetensors", one(R"({"dtype":"F32","data_offsets":[0,128]})"),
                   {key, "shape"});
    expectRejected("negative_dim.safetensors",
                   one(R"({"dtype":"F32","shape":[-4,-8],"data_offsets":[0,128]})"),
                   {key, "[-4,-8]", "non-negative integer"});
    expectRejected("fractional_dim.safetensors",
                   one(R"({"dtype":"F32","shape":[4,8.0],"data_offsets":[0,128]})"),
                   {key, "non-negative integer"});
    expectRejected("string_dim.safetensors",
                   one(R"({"dtype":"F32","shape":["4",8],"data_offsets":[0,128]})"),
                   {key, "non-negative integer"});
    expectRejected("overflowing_shape.safetensors",
                   one(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,128]})"),
                   {key, "too large"});
    expectRejected("no_offsets.safetensors", one(R"({"dtype":"F32","shape":[4,8]})"),
                   {key, "data_offsets"});
    expectRejected("three_offsets.safetensors",
                   one(R"({"dtype":"F32","shape":[4,8],"data_offsets":[0,64,128]})"),
                   {key, "data_offsets"});
    expectRejected("reversed_offsets.safetensors",
                   one(R"({"dtype":"F32","shape":[0],"data_offsets":[64,0]})"),
                   {key, "begin after end"});
    expectRejected("beyond_end.safetensors",
                   one(R"({"dtype":"F32","shape":[4,16],"data_offsets":[0,256]})"),
                   {key, "beyond", "128 bytes"});
    expectRejected("wrong_span.safetensors",
                   one(R"({"dtype":"F32","shape":[4,8],"data_offsets":[0,100]})"),
                   {key, "data_offsets [0, 100) hold 100 bytes but shape [4, 8] of F32 needs 128"});
    // The same bytes read as a wider type: the span no longer matches.
    expectRejected("wrong_dtype_size.safetensors",
                   one(R"({"dtype":"I64","shape":[4,8],"data_offsets":[0,128]})"),
                   {key, "needs 256"});
    expectRejected("entry_not_object.safetensors", one("[1,2]"), {key, "not a JSON object"});
  }

  void rejectsOverlaps() {
    const std::string data(32, '\0');
    expectRejected("overlap.safetensors",
                   rawFile(R"({"first":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                           R"("second":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                           data),
                   {"\"second\"", "\"first\"", "overlap"});
    expectRejected("same_range.safetensors",
                   rawFile(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]},)"
                           R"("b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}})",
                           data),
                   {"\"a\"", "\"b\"", "overlap"});
    // Empty tensors own no bytes, so they may sit anywhere.
    const std::string path = dir_ + "/empty_inside.safetensors";
    writeAll(path, rawFile(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
                           data));
    QCOMPARE(svgen::SafetensorsFile::open(path)->tensors().size(), size_t{2});
  }

  void rejectsBadMetadata() {
    expectRejected("meta_number.safetensors", rawFile(R"({"__metadata__":{"steps":100}})", ""),
                   {"__metadata__", "\"steps\"", "not a string"});
    expectRejected("meta_array.safetensors", rawFile(R"({"__metadata__":["a"]})", ""),
                   {"__metadata__"});
  }

  void rejectsMissingFile() {
    const std::string path = dir_ + "/nope.safetensors";
    try {
      svgen::Checkpoint::open(path);
      QFAIL("missing file accepted");
    } catch (const svgen::InputError& e) {
      QVERIFY(std::string(e.what()).find(path) != std::string::npos);
    }
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::SafetensorsFile::open(path));
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::SafetensorsFile::open(dir_));
  }

  // -- Checkpoints -----------------------------------------------------------------------------

  void shardedRoundTrip() {
    at::manual_seed(3);
    std::map<std::string, at::Tensor> tensors;
    for (int i = 0; i < 10; ++i) {
      tensors["blocks." + std::to_string(i) + ".weight"] = at::randn({16, 16});  // 1 KiB
    }
    tensors["big"] = at::randn({1024});  // 4 KiB: alone in a shard
    tensors["half"] = at::randn({8, 8}).to(at::kHalf);
    tensors["ids"] = at::arange(5, at::kLong);
    const uint64_t limit = 3000;
    svgen::saveTensorsSharded(dir_, "model", tensors, limit, {{"format", "pt"}});

    const std::string indexPath = dir_ + "/model.safetensors.index.json";
    QVERIFY(fs::exists(indexPath));
    QVERIFY(!fs::exists(dir_ + "/model.safetensors"));
    const json index = json::parse(readAll(indexPath));
    uint64_t total = 0;
    for (const auto& [k, t] : tensors) total += t.nbytes();
    QCOMPARE(index["metadata"]["total_size"].get<uint64_t>(), total);
    QCOMPARE(index["weight_map"].size(), tensors.size());

    int shards = 0;
    for (const auto& name : listDir(dir_)) {
      if (name.find(".safetensors.index.json") != std::string::npos) continue;
      ++shards;
      QVERIFY2(name.rfind("model-", 0) == 0, name.c_str());
      const auto size = fs::file_size(dir_ + "/" + name);
      auto f = svgen::SafetensorsFile::open(dir_ + "/" + name);
      QVERIFY2(size <= limit || f->tensors().size() == 1, name.c_str());
      QCOMPARE(f->metadata().at("format"), std::string("pt"));
    }
    QVERIFY(shards >= 3);
    const std::string last = "-of-0000" + std::to_string(shards) + ".safetensors";
    QVERIFY(fs::exists(dir_ + "/model-00001" + last));

    const auto viaIndex = svgen::loadTensors(indexPath);
    const auto viaFolder = svgen::loadTensors(dir_);
    QVERIFY(sameTensors(tensors, viaIndex));
    QVERIFY(sameTensors(tensors, viaFolder));

    svgen::Checkpoint ck = svgen::Checkpoint::open(dir_);
    QCOMPARE(ck.size(), tensors.size());
    QCOMPARE(ck.files().size(), static_cast<size_t>(shards));
    QVERIFY(ck.fileOf("blocks.0.weight") != ck.fileOf("big"));
    QCOMPARE(ck.find("big")->shape, (std::vector<int64_t>{1024}));
    QCOMPARE(ck.metadata().at("format"), std::string("pt"));
    QVERIFY(ck.contains("ids") && !ck.contains("nope"));
    QCOMPARE(ck.find("nope"), nullptr);
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, ck.data("nope"));
    const auto* ids = reinterpret_cast<const int64_t*>(ck.data("ids"));
    QCOMPARE(ids[4], int64_t{4});

    // Writing the same basename again as one file removes the shards and index, so the folder
    // still opens as exactly one checkpoint.
    std::map<std::string, at::Tensor> small = {{"only", at::ones({2})}};
    svgen::saveTensorsSharded(dir_, "model", small, limit);
    QCOMPARE(listDir(dir_), (std::vector<std::string>{"model.safetensors"}));
    QVERIFY(sameTensors(small, svgen::loadTensors(dir_)));
  }

  void missingShardIsNamed() {
    std::map<std::string, at::Tensor> tensors;
    for (int i = 0; i < 6; ++i) tensors["t" + std::to_string(i)] = at::zeros({256});
    auto written = [&] {
      std::vector<svgen::TensorRef> refs;
      for (const auto& [k, t] : tensors) {
        refs.push_back({k, DType::F32, t.sizes().vec(), t.data_ptr(), t.nbytes()});
      }
      return svgen::writeSharded(dir_, "ckpt", refs, 2500);
    }();
    QVERIFY(written.size() >= 4);
    QCOMPARE(written.back(), dir_ + "/ckpt.safetensors.index.json");
    const std::string gone = fs::path(written[1]).filename().string();
    fs::remove(written[1]);
    for (const std::string& path : {written.back(), dir_}) {
      try {
        svgen::Checkpoint::open(path);
        QFAIL("index with a missing shard accepted");
      } catch (const svgen::InputError& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find(gone) != std::string::npos, e.what());
        QVERIFY2(msg.find("ckpt.safetensors.index.json") != std::string::npos, e.what());
        QVERIFY2(msg.find("missing") != std::string::npos, e.what());
      }
    }
  }

  void badIndexes() {
    auto expectIndexError = [&](const std::string& text, const std::string& word) {
      const std::string path = dir_ + "/bad.safetensors.index.json";
      writeAll(path, text);
      try {
        svgen::Checkpoint::open(path);
        QFAIL(qPrintable(QString::fromStdString("accepted: " + text)));
      } catch (const svgen::InputError& e) {
        QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find(word) != std::string::npos, e.what());
      }
    };
    svgen::saveTensors(dir_ + "/s1.safetensors", {{"a", at::ones({2})}});
    expectIndexError("{", "not valid JSON");
    expectIndexError(R"({"metadata":{}})", "weight_map");
    expectIndexError(R"({"weight_map":{"a":3}})", "\"a\"");
    expectIndexError(R"({"weight_map":{"a":"../s1.safetensors"}})", "inside the index's folder");
    expectIndexError(R"({"weight_map":{"a":"/etc/passwd"}})", "inside the index's folder");
    expectIndexError(R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors"}})",
                     "\"b\" is mapped to \"s1.safetensors\" but that shard does not hold it");
    // Two indexes in one folder: ambiguous.
    writeAll(dir_ + "/x.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors"}})");
    writeAll(dir_ + "/y.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors"}})");
    fs::remove(dir_ + "/bad.safetensors.index.json");
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::Checkpoint::open(dir_));
    fs::remove(dir_ + "/y.safetensors.index.json");
    QCOMPARE(svgen::Checkpoint::open(dir_).names(), (std::vector<std::string>{"a"}));
  }

  void folderOfLooseFiles() {
    svgen::saveTensors(dir_ + "/text.safetensors", {{"text.w", at::ones({3})}});
    svgen::saveTensors(dir_ + "/dit.safetensors", {{"dit.w", at::zeros({2, 2})}});
    writeAll(dir_ + "/config.json", "{}");  // other files in the folder are ignored
    auto all = svgen::loadTensors(dir_);
    QCOMPARE(all.size(), size_t{2});
    QVERIFY(at::equal(all.at("text.w"), at::ones({3})));
    QCOMPARE(svgen::Checkpoint::open(dir_).files().size(), size_t{2});

    svgen::saveTensors(dir_ + "/extra.safetensors", {{"dit.w", at::ones({1})}});
    try {
      svgen::Checkpoint::open(dir_);
      QFAIL("duplicate key across files accepted");
    } catch (const svgen::InputError& e) {
      const std::string msg = e.what();
      QVERIFY2(msg.find("\"dit.w\"") != std::string::npos, e.what());
      QVERIFY2(msg.find("dit.safetensors") != std::string::npos, e.what());
      QVERIFY2(msg.find("extra.safetensors") != std::string::npos, e.what());
    }

    const std::string emptyDir = svgen::test::freshDir("safetensors-empty");
    QVERIFY_THROWS_EXCEPTION(svgen::InputError, svgen::Checkpoint::open(emptyDir));
  }

  // -- Writing safely ----------------------------------------------------------------------------

  void missingFolderFailsCleanly() {
    const std::string path = dir_ + "/no/such/dir/out.safetensors";
    try {
      svgen::saveTensors(path, {{"a", at::ones({4})}});
      QFAIL("write into a missing folder succeeded");
    } catch (const svgen::RuntimeFailure& e) {
      QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
      QVERIFY2(std::string(e.what()).find(std::strerror(ENOENT)) != std::string::npos, e.what());
    }
    QVERIFY(!fs::exists(dir_ + "/no"));
    QCOMPARE(listDir(dir_), std::vector<std::string>{});
  }

  void diskFullKeepsOldFile() {
    // A file-size limit makes write() fail with EFBIG part way through, as a full disk would.
    const std::string path = dir_ + "/weights.safetensors";
    svgen::saveTensors(path, {{"old", at::ones({4})}});
    const std::string before = readAll(path);

    struct rlimit saved {};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limited = saved;
    limited.rlim_cur = 64 * 1024;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &limited), 0);
    std::string error;
    try {
      svgen::saveTensors(path, {{"new", at::ones({1 << 20})}});  // 4 MiB
    } catch (const svgen::RuntimeFailure& e) {
      error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, oldHandler);

    QVERIFY2(!error.empty(), "write past the file-size limit reported success");
    QVERIFY2(error.find(path) != std::string::npos, error.c_str());
    QVERIFY2(error.find(std::strerror(EFBIG)) != std::string::npos, error.c_str());
    QCOMPARE(readAll(path), before);
    QCOMPARE(listDir(dir_), std::vector<std::string>{"weights.safetensors"});  // no temp left

    // And once there is room, the old file is replaced.
    svgen::saveTensors(path, {{"new", at::full({3}, 2.0)}});
    auto loaded = svgen::loadTensors(path);
    QCOMPARE(loaded.size(), size_t{1});
    QVERIFY(at::equal(loaded.at("new"), at::full({3}, 2.0)));
    QCOMPARE(listDir(dir_), std::vector<std::string>{"weights.safetensors"});
  }

  void devFullReportsNoSpace() {
    struct stat before {};
    if (::stat("/dev/full", &before) != 0 || !S_ISCHR(before.st_mode) ||
        ::access("/dev/full", W_OK) != 0) {
      QSKIP("/dev/full is not available");
    }
    try {
      svgen::saveTensors("/dev/full", {{"a", at::ones({1 << 16})}});
      QFAIL("writing to /dev/full succeeded");
    } catch (const svgen::RuntimeFailure& e) {
      QVERIFY2(std::string(e.what()).find("/dev/full") != std::string::npos, e.what());
      QVERIFY2(std::string(e.what()).find(std::strerror(ENOSPC)) != std::string::npos, e.what());
    }
    // The device node itself must not have been renamed over.
    struct stat after {};
    QCOMPARE(::stat("/dev/full", &after), 0);
    QVERIFY(S_ISCHR(after.st_mode));
    QCOMPARE(after.st_rdev, before.st_rdev);
  }

  void symlinkTargetIsReplaced() {
    const std::string real = dir_ + "/real.safetensors";
    const std::string link = dir_ + "/link.safetensors";
    svgen::saveTensors(real, {{"a", at::ones({1})}});
    fs::create_symlink(real, link);
    svgen::saveTensors(link, {{"b", at::zeros({2})}});
    QVERIFY(fs::is_symlink(link));
    QVERIFY(svgen::loadTensors(real).count("b"));
  }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
