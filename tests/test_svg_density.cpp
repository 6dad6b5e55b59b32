// svgMaskDensity, the LibTorch-free density estimate the studio shows, against the masks SVG
// actually builds (svgMasks), on hand-worked and real grids and across budgets and block sizes.
#include <ATen/ATen.h>

#include "core/attention/svg/svg_masks.h"

#include <array>
#include <cstdint>
#include <vector>

#include <QElapsedTimer>
#include <QtTest>

using namespace svgen;

class TestSvgDensity : public QObject {
  Q_OBJECT

 private slots:
  void handWorkedGrids() {
    // 4 frames × 1 × 2, blocks of 2: the diagonal plus the sink keep 7 of 16 blocks.
    QCOMPARE(svgMaskDensity({4, 1, 2}, 2, 0.5), 7.0 / 16);
    QCOMPARE(svgMaskDensity({4, 1, 2}, 2, 0.3), 7.0 / 16);  // never below diagonal + sink
    QCOMPARE(svgMaskDensity({4, 1, 2}, 2, 1.0), 1.0);
    // A partial last block: sizes 4, 4, 1.
    QCOMPARE(svgMaskDensity({3, 1, 3}, 4, 0.3), (16.0 + 32.0 + 4.0 + 1.0) / 81.0);
    // One frame: all sink.
    QCOMPARE(svgMaskDensity({1, 4, 4}, 4, 0.2), 1.0);
    QCOMPARE(svgMaskDensity({0, 16, 16}, 64, 0.25), 1.0);
  }

  void matchesTheMasksSvgBuilds() {
    const std::vector<std::array<int64_t, 3>> grids = {
        {8, 16, 16},  // the built-in model's default clip: 2,048 tokens
        {9, 16, 16},  // 17 frames padded to 18
        {2, 8, 8},    // the studio's tiny test clip
        {3, 5, 7},    // nothing divides the block
        {13, 4, 6},  {21, 6, 10}, {1, 16, 16}};
    for (const auto& grid : grids)
      for (int block : {16, 32, 64, 100, 128})
        for (double density : {0.01, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0}) {
          const double expected = svgMasks(grid, block, density).spatial.density();
          const double got = svgMaskDensity(grid, block, density);
          QVERIFY2(got == expected,
                   qPrintable(QString("grid %1x%2x%3 block %4 density %5: %6 vs %7")
                                  .arg(grid[0])
                                  .arg(grid[1])
                                  .arg(grid[2])
                                  .arg(block)
                                  .arg(density)
                                  .arg(got, 0, 'g', 17)
                                  .arg(expected, 0, 'g', 17)));
        }
  }

  void fastOnLargeGrids() {
    // Wan 2.1 at 720p: 21 × 45 × 80 = 75,600 tokens, 1,182 blocks. Answers at UI speed.
    QElapsedTimer clock;
    clock.start();
    const double d = svgMaskDensity({21, 45, 80}, 64, 0.25);
    QVERIFY(d > 0 && d <= 0.25 + 1e-9);
    QVERIFY2(clock.elapsed() < 500, qPrintable(QString::number(clock.elapsed())));
  }
};

QTEST_GUILESS_MAIN(TestSvgDensity)
#include "test_svg_density.moc"
