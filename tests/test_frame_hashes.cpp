// Pins the frames of a short clip per attention method on the CPU, bit for bit. A refactor must not
// change what a run draws; a change that means to (new weights, a new sampler default, a numerical
// fix) re-pins these with the reason in its commit message. Run with SVGEN_PRINT_HASHES=1 to print
// the current values. CTest runs it on OpenBLAS's and LibTorch's AVX2 kernels
// (tests/CMakeLists.txt): by hand, set OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 as it
// does.
#include "core/attention/attention_config.h"
#include "core/attention/warmup.h"
#include "core/pipeline/engine.h"

#include <QtTest>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>

using namespace svgen;

namespace {

// FNV-1a over every pixel: cheap, and any changed byte changes it.
uint64_t frameHash(const Video& v) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : v.rgb) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return h;
}

GenerationRequest clipFor(const std::string& method) {
  GenerationRequest r;
  r.prompt = "a yellow star moving left on a purple background";
  r.frames = 16;
  r.width = 128;
  r.height = 128;
  r.steps = 3;
  r.seed = 11;
  r.threads = 1;  // one thread: the same sums in the same order on any core count
  r.previewEvery = 0;
  r.attention = attentionConfigFor(method);
  r.attention.set(warmup::fraction, 0.0);  // every step runs the method
  return r;
}

// Taken on the CPU build of this repository (Debian LibTorch 1.13, OpenBLAS), AVX2 kernels.
const std::map<std::string, uint64_t> kPinned = {
    {"dense", 0x79fde040530d15d9ull},
    {"svg", 0xe559acb9a29b0610ull},
    {"svg2", 0xdcae4cd0e4cfc2ceull},
    {"svoo", 0x1ff50a9c00dfba63ull},
};

}  // namespace

class TestFrameHashes : public QObject {
  Q_OBJECT

 private slots:
  void everyMethodDrawsThePinnedFrames() {
    Engine engine;
    GenerationObserver quiet;
    const bool print = std::getenv("SVGEN_PRINT_HASHES") != nullptr;
    for (const auto& [method, pinned] : kPinned) {
      const GenerationResult result = engine.generate(clipFor(method), quiet);
      const uint64_t h = frameHash(result.video);
      if (print)
        std::printf("    {\"%s\", 0x%016llxull},\n", method.c_str(), (unsigned long long)h);
      QVERIFY2(print || h == pinned, qPrintable(QString("%1: frames hash %2, pinned %3")
                                                    .arg(method.c_str())
                                                    .arg(h, 16, 16, QChar('0'))
                                                    .arg(pinned, 16, 16, QChar('0'))));
    }
  }
};

QTEST_GUILESS_MAIN(TestFrameHashes)
#include "test_frame_hashes.moc"
