// PSNR and SSIM against cases whose answer is known: identical clips, a constant offset (PSNR in
// closed form), flat frames (SSIM in closed form), a brute-force SSIM written from the paper's
// formulas, noise that grows, and the refusals for clips that cannot be compared.
#include "core/common/error.h"
#include "core/pipeline/video_quality.h"

#include <ATen/ATen.h>

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace svgen;

namespace {

Video blankClip(int frames, int width, int height) {
  Video v;
  v.frames = frames;
  v.width = width;
  v.height = height;
  v.rgb.assign(v.frameBytes() * frames, 0);
  return v;
}

// Gradients, a moving square and per-frame colour, so every frame and channel has structure.
Video patternClip(int frames, int width, int height) {
  Video v = blankClip(frames, width, height);
  for (int t = 0; t < frames; ++t) {
    uint8_t* f = v.frame(t);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        uint8_t* p = f + (static_cast<size_t>(y) * width + x) * 3;
        const bool square = x >= 4 + 3 * t && x < 20 + 3 * t && y >= 6 && y < 22;
        p[0] = static_cast<uint8_t>(square ? 230 : 20 + (x * 200) / width);
        p[1] = static_cast<uint8_t>(square ? 40 : 30 + (y * 190) / height);
        p[2] = static_cast<uint8_t>((60 + 25 * t + x + y) % 256);
      }
    }
  }
  return v;
}

// Adds zero-mean Gaussian noise of standard deviation `sigma` to every sample, clamped to 0..255.
Video noisy(const Video& v, double sigma, uint32_t seed) {
  Video out = v;
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  for (uint8_t& b : out.rgb) {
    b = static_cast<uint8_t>(std::clamp(std::lround(b + noise(rng)), 0L, 255L));
  }
  return out;
}

// SSIM of one frame straight from Wang et al. (2004): for every position where the 11×11 window
// fits, Gaussian-weighted means, variances and covariance of the luma, then the mean of the map.
double bruteForceSsim(const Video& a, const Video& b, int t) {
  const int r = 5;
  double g[11];
  double gsum = 0;
  for (int i = -r; i <= r; ++i) {
    g[i + r] = std::exp(-(i * i) / (2 * 1.5 * 1.5));
    gsum += g[i + r];
  }
  for (double& w : g) w /= gsum;
  auto lum = [](const Video& v, int t, int x, int y) {
    const uint8_t* p = v.frame(t) + (static_cast<size_t>(y) * v.width + x) * 3;
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
  };
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  double total = 0;
  int count = 0;
  for (int cy = r; cy < a.height - r; ++cy) {
    for (int cx = r; cx < a.width - r; ++cx) {
      double mx = 0, my = 0;
      for (int dy = -r; dy <= r; ++dy) {
        for (int dx = -r; dx <= r; ++dx) {
          const double w = g[dy + r] * g[dx + r];
          mx += w * lum(a, t, cx + dx, cy + dy);
          my += w * lum(b, t, cx + dx, cy + dy);
        }
      }
      double vx = 0, vy = 0, cxy = 0;
      for (int dy = -r; dy <= r; ++dy) {
        for (int dx = -r; dx <= r; ++dx) {
          const double w = g[dy + r] * g[dx + r];
          const double ex = lum(a, t, cx + dx, cy + dy) - mx;
          const double ey = lum(b, t, cx + dx, cy + dy) - my;
          vx += w * ex * ex;
          vy += w * ey * ey;
          cxy += w * ex * ey;
        }
      }
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      ++count;
    }
  }
  return total / count;
}

template <typename F>
bool throwsInputError(F&& f, const char* needle) {
  try {
    f();
  } catch (const InputError& e) {
    if (QString(e.what()).contains(needle)) return true;
    qWarning("InputError without \"%s\": %s", needle, e.what());
    return false;
  }
  return false;
}

}  // namespace

class TestVideoQuality : public QObject {
  Q_OBJECT

 private slots:
  void identicalClips() {
    const Video v = patternClip(3, 40, 32);
    QVERIFY(std::isinf(videoPsnr(v, v)) && videoPsnr(v, v) > 0);
    QCOMPARE(videoSsim(v, v), 1.0);
    const VideoQuality q = compareVideos(v, v);
    QVERIFY(q.identical);
    QCOMPARE(q.mse, 0.0);
    QVERIFY(std::isinf(q.psnr));
    QCOMPARE(q.ssim, 1.0);
    QCOMPARE(static_cast<int>(q.framePsnr.size()), 3);
    QCOMPARE(static_cast<int>(q.frameSsim.size()), 3);
    for (double p : q.framePsnr) QVERIFY(std::isinf(p));
    for (double s : q.frameSsim) QCOMPARE(s, 1.0);
    QCOMPARE(reportablePsnr(q.psnr), kReportedPsnrCap);
    QCOMPARE(reportablePsnr(31.5), 31.5);
  }

  void constantOffsetPsnr() {
    Video a = blankClip(2, 16, 12);
    for (size_t i = 0; i < a.rgb.size(); ++i) a.rgb[i] = static_cast<uint8_t>(50 + i % 150);
    Video b = a;
    for (uint8_t& x : b.rgb) x = static_cast<uint8_t>(x + 10);
    const double expected = 20 * std::log10(255.0 / 10.0);  // MSE 100
    QVERIFY(std::abs(videoPsnr(a, b) - expected) < 1e-12);
    QVERIFY(std::abs(videoPsnr(b, a) - expected) < 1e-12);
    for (double p : framePsnr(a, b)) QVERIFY(std::abs(p - expected) < 1e-12);
    const VideoQuality q = compareVideos(a, b);
    QVERIFY(!q.identical);
    QCOMPARE(q.mse, 100.0);
  }

  // PSNR pools the squared error of the whole clip; per-frame values keep frames apart.
  void psnrPoolsFrames() {
    Video a = blankClip(2, 12, 12);
    std::fill(a.rgb.begin(), a.rgb.end(), 100);
    Video b = a;
    for (size_t i = b.frameBytes(); i < b.rgb.size(); ++i) b.rgb[i] = 120;  // frame 1 only: MSE 400
    const std::vector<double> frames = framePsnr(a, b);
    QVERIFY(std::isinf(frames[0]));
    QVERIFY(std::abs(frames[1] - 20 * std::log10(255.0 / 20.0)) < 1e-12);
    QVERIFY(std::abs(videoPsnr(a, b) - 10 * std::log10(255.0 * 255.0 / 200.0)) < 1e-12);
  }

  // Flat grey frames: both variances and the covariance are 0, so SSIM is the luminance term
  // (2ab + C1) / (a² + b² + C1).
  void flatFramesSsim() {
    Video a = blankClip(1, 16, 16);
    Video b = a;
    std::fill(a.rgb.begin(), a.rgb.end(), 100);
    std::fill(b.rgb.begin(), b.rgb.end(), 140);
    const double c1 = std::pow(0.01 * 255, 2);
    const double expected = (2 * 100.0 * 140.0 + c1) / (100.0 * 100.0 + 140.0 * 140.0 + c1);
    QVERIFY(std::abs(videoSsim(a, b) - expected) < 1e-9);
  }

  void matchesBruteForce() {
    const Video a = patternClip(2, 19, 14);
    const Video b = noisy(a, 12.0, 3);
    const std::vector<double> fast = frameSsim(a, b);
    QCOMPARE(static_cast<int>(fast.size()), 2);
    for (int t = 0; t < 2; ++t) {
      const double slow = bruteForceSsim(a, b, t);
      QVERIFY2(std::abs(fast[t] - slow) < 1e-9,
               qPrintable(QString("frame %1: %2 vs %3").arg(t).arg(fast[t]).arg(slow)));
      QVERIFY(slow < 1.0);
    }
    QVERIFY(std::abs(videoSsim(a, b) - (fast[0] + fast[1]) / 2) < 1e-15);
  }

  void noiseLowersBoth() {
    const Video v = patternClip(4, 48, 40);
    double lastSsim = 1.0;
    double lastPsnr = std::numeric_limits<double>::infinity();
    for (double sigma : {2.0, 8.0, 25.0, 60.0}) {
      const VideoQuality q = compareVideos(v, noisy(v, sigma, 11));
      QVERIFY2(q.ssim < lastSsim, qPrintable(QString("sigma %1: SSIM %2").arg(sigma).arg(q.ssim)));
      QVERIFY2(q.psnr < lastPsnr, qPrintable(QString("sigma %1: PSNR %2").arg(sigma).arg(q.psnr)));
      QVERIFY(q.ssim > -1.0 && q.ssim < 1.0);
      lastSsim = q.ssim;
      lastPsnr = q.psnr;
    }
    QVERIFY(lastSsim < 0.5);
  }

  void symmetric() {
    const Video a = patternClip(3, 33, 27);
    const Video b = noisy(a, 20.0, 5);
    QVERIFY(std::abs(videoSsim(a, b) - videoSsim(b, a)) < 1e-12);
    QCOMPARE(videoPsnr(a, b), videoPsnr(b, a));
  }

  // A clip big enough that the SSIM filter works in several chunks agrees frame by frame with
  // the same frames compared one at a time.
  void chunkedFramesAgree() {
    // 640x480: two frames per chunk, so 5 frames make chunks of 2, 2 and 1.
    const int frames = 5, width = 640, height = 480;
    Video a = blankClip(frames, width, height);
    for (size_t i = 0; i < a.rgb.size(); ++i) a.rgb[i] = static_cast<uint8_t>((i * 7919) >> 6);
    const Video b = noisy(a, 15.0, 9);
    const std::vector<double> all = frameSsim(a, b);
    for (int t : {0, 3, frames - 1}) {
      Video fa = blankClip(1, width, height), fb = blankClip(1, width, height);
      std::copy(a.frame(t), a.frame(t) + a.frameBytes(), fa.rgb.begin());
      std::copy(b.frame(t), b.frame(t) + b.frameBytes(), fb.rgb.begin());
      QVERIFY(std::abs(videoSsim(fa, fb) - all[t]) < 1e-12);
    }
  }

  void refusesMismatches() {
    const Video a = patternClip(2, 32, 24);
    QVERIFY(throwsInputError([&] { videoPsnr(a, patternClip(3, 32, 24)); }, "different sizes"));
    QVERIFY(throwsInputError([&] { videoSsim(a, patternClip(2, 24, 32)); }, "24x32"));
    QVERIFY(throwsInputError([&] { compareVideos(a, patternClip(2, 32, 16)); }, "32x16"));
    QVERIFY(throwsInputError([&] { framePsnr(a, Video{}); }, "empty"));
    Video broken = a;
    broken.rgb.pop_back();
    QVERIFY(throwsInputError([&] { frameSsim(a, broken); }, "bytes"));
    const Video tiny = patternClip(1, 10, 16);
    QVERIFY(throwsInputError([&] { videoSsim(tiny, tiny); }, "11x11"));
    QVERIFY(std::isinf(videoPsnr(tiny, tiny)));  // PSNR has no window
  }
};

QTEST_GUILESS_MAIN(TestVideoQuality)
#include "test_video_quality.moc"
