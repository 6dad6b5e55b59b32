// The Sparsity dock offscreen: the controls each method shows, presets and "Custom", values refused
// at the widget, the settings through QSettings and the window, the SVG estimate against the mask
// rule, and a real SVG run through the studio's worker that computes less than dense.
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/svg/svg_method.h"
#include "core/attention/svg2/svg2_method.h"
#include "core/attention/svoo/svoo_method.h"
#include "core/attention/warmup.h"
#include "core/pipeline/request_json.h"
#include "tests/support/small_clip.h"
#include "tests/support/history_index.h"
#include "tests/support/test_support.h"

#include "core/attention/method_registry.h"
#include "core/attention/svg/svg_masks.h"
#include "ui/history_store.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/run_panel.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"
#include "ui/studio_settings.h"

#include <QComboBox>
#include <QDockWidget>
#include <QDir>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

#include <cmath>
#include <tuple>

using namespace svgen;
using namespace svgen::ui;

namespace {

constexpr int kRunTimeoutMs = 180000;

template <typename T>
T* child(QWidget& parent, const char* name) {
  T* w = parent.findChild<T*>(name);
  if (!w) qFatal("no child %s", name);
  return w;
}

void chooseMethod(SparsityPanel& panel, const QString& method) {
  auto* box = child<QComboBox>(panel, "method");
  box->setCurrentIndex(box->findData(method));
}

QString presetText(SparsityPanel& panel) {
  return child<QComboBox>(panel, "preset")->currentText();
}

// What the user sees of each group and the SVG2-only row.
struct Shown {
  bool svg, clusters, minRatio, svoo, warmup, preset;
  bool operator==(const Shown& o) const {
    return svg == o.svg && clusters == o.clusters && minRatio == o.minRatio && svoo == o.svoo &&
           warmup == o.warmup && preset == o.preset;
  }
};

Shown shown(SparsityPanel& panel) {
  auto visible = [&](QWidget* w) { return w->isVisibleTo(&panel) && w->isEnabled(); };
  return {visible(child<QGroupBox>(panel, "svgGroup")),
          visible(child<QGroupBox>(panel, "clusterGroup")),
          visible(child<QDoubleSpinBox>(panel, "minKeyClusterRatio")),
          visible(child<QGroupBox>(panel, "svooGroup")),
          visible(child<QGroupBox>(panel, "warmupGroup")),
          visible(child<QComboBox>(panel, "preset"))};
}

}  // namespace

namespace QTest {
template <>
char* toString(const Shown& s) {
  return qstrdup(QString("svg %1 clusters %2 minRatio %3 svoo %4 warmup %5 preset %6")
                     .arg(s.svg)
                     .arg(s.clusters)
                     .arg(s.minRatio)
                     .arg(s.svoo)
                     .arg(s.warmup)
                     .arg(s.preset)
                     .toUtf8()
                     .constData());
}
}  // namespace QTest

class TestSparsityPanel : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void init();
  void methodSwitchingShowsTheRightControls();
  void presetsSetValuesAndCustomAppearsOnEdit();
  void invalidValuesAreRefusedAtTheWidget();
  void configRoundTripsThroughQSettings();
  void windowRunsAndRemembersTheDocksConfig();
  void svgEstimateFollowsTheMaskRule();
  void svgRunThroughTheWorkerComputesLessThanDense();
  void pastRunsSayWhenSettingsAreSlowerThanDense();

 private:
  QString settingsDir_;
};

void TestSparsityPanel::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  settingsDir_ = QString::fromStdString(test::freshDir("ui_sparsity_settings"));
}

void TestSparsityPanel::init() {
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsDir_);
  QDir(settingsDir_).removeRecursively();
  QDir().mkpath(settingsDir_);
}

void TestSparsityPanel::methodSwitchingShowsTheRightControls() {
  SparsityPanel panel;
  panel.show();
  QCOMPARE(QString::fromStdString(panel.config().method), QString("dense"));
  QCOMPARE(shown(panel), (Shown{false, false, false, false, false, false}));
  chooseMethod(panel, "svg");
  QCOMPARE(shown(panel), (Shown{true, false, false, false, true, true}));
  chooseMethod(panel, "svg2");
  QCOMPARE(shown(panel), (Shown{false, true, true, false, true, true}));
  chooseMethod(panel, "svoo");
  QCOMPARE(shown(panel), (Shown{false, true, false, true, true, true}));
  chooseMethod(panel, "dense");
  QCOMPARE(shown(panel), (Shown{false, false, false, false, false, false}));
  QVERIFY(panel.estimateText().contains("100%"));

  // The method combo lists exactly the library's methods, in its order.
  auto* method = child<QComboBox>(panel, "method");
  QCOMPARE(method->count(), int(attentionMethodIds().size()));
  for (int i = 0; i < method->count(); ++i)
    QCOMPARE(method->itemData(i).toString(), QString::fromStdString(attentionMethodIds()[i]));
  QCOMPARE(method->itemText(2), QString("SVG2"));
}

void TestSparsityPanel::presetsSetValuesAndCustomAppearsOnEdit() {
  SparsityPanel panel;
  QSignalSpy edited(&panel, &SparsityPanel::edited);
  // The studio starts balanced.
  chooseMethod(panel, "svg");
  QCOMPARE(presetText(panel), QString("Balanced"));
  QCOMPARE(panel.config().get(svg::density), 0.3);

  // Chosen in the preset box as a user does.
  auto* preset = child<QComboBox>(panel, "preset");
  emit preset->activated(preset->findText("Quality"));
  QCOMPARE(panel.config().get(svg::density), 0.4);
  QVERIFY(panel.preset() == SparsityPanel::Preset::Quality);
  QCOMPARE(presetText(panel), QString("Quality"));
  panel.applyPreset(SparsityPanel::Preset::Fast);
  QCOMPARE(panel.config().get(svg::density), 0.2);
  QCOMPARE(presetText(panel), QString("Fast"));

  // An edit makes it Custom; putting the value back finds the preset again.
  auto* density = child<QDoubleSpinBox>(panel, "svgDensity");
  density->stepBy(1);
  QCOMPARE(panel.config().get(svg::density), 0.25);
  QCOMPARE(presetText(panel), QString("Custom"));
  density->stepBy(-1);
  QCOMPARE(presetText(panel), QString("Fast"));
  child<QSpinBox>(panel, "warmupLayers")->setValue(1);
  QCOMPARE(presetText(panel), QString("Custom"));
  QVERIFY(edited.count() > 0);

  chooseMethod(panel, "svg2");
  child<QSpinBox>(panel, "queryClusters")->setValue(48);
  panel.applyPreset(SparsityPanel::Preset::Quality);
  AttentionConfig c = panel.config();
  QCOMPARE(QString::fromStdString(c.method), QString("svg2"));
  QCOMPARE(c.get(clustering::topP), 0.9);
  // Cluster counts are a resolution, not a budget: presets leave them (auto scales with the clip).
  QCOMPARE(c.get(clustering::queryClusters), 48);
  QCOMPARE(c.get(clustering::keyClusters), 0);
  QCOMPARE(c.get(warmup::layers), 0);  // the preset's warm-up replaces the edit above
  QCOMPARE(presetText(panel), QString("Quality"));
  panel.applyPreset(SparsityPanel::Preset::Balanced);
  QCOMPARE(panel.config().get(clustering::topP), 0.8);
  panel.applyPreset(SparsityPanel::Preset::Fast);
  c = panel.config();
  QCOMPARE(c.get(clustering::topP), 0.7);
  QCOMPARE(c.get(clustering::queryClusters), 48);
  QCOMPARE(presetText(panel), QString("Fast"));
  child<QDoubleSpinBox>(panel, "topP")->setValue(0.75);
  QCOMPARE(presetText(panel), QString("Custom"));
  QCOMPARE(child<QSpinBox>(panel, "keyClusters")->text(), QString("auto"));

  chooseMethod(panel, "svoo");
  panel.applyPreset(SparsityPanel::Preset::Balanced);
  c = panel.config();
  QCOMPARE(QString::fromStdString(c.method), QString("svoo"));
  QCOMPARE(c.get(clustering::topP), 0.8);
  QCOMPARE(presetText(panel), QString("Balanced"));
  // Only SVG2 reads the minimum key-cluster ratio: editing it leaves SVOO's preset as it was.
  child<QDoubleSpinBox>(panel, "minKeyClusterRatio")->setValue(0.3);
  QCOMPARE(presetText(panel), QString("Balanced"));
  // Every preset passes the library's checks.
  for (auto p : {SparsityPanel::Preset::Quality, SparsityPanel::Preset::Balanced,
                 SparsityPanel::Preset::Fast})
    QVERIFY(attentionConfigProblems(SparsityPanel::presetConfig(p)).empty());
}

void TestSparsityPanel::invalidValuesAreRefusedAtTheWidget() {
  SparsityPanel panel;
  panel.show();
  chooseMethod(panel, "svg");
  auto* density = child<QDoubleSpinBox>(panel, "svgDensity");
  density->setValue(5);
  QCOMPARE(density->value(), 1.0);
  density->setValue(0);
  QCOMPARE(density->value(), 0.01);
  auto* block = child<QSpinBox>(panel, "svgBlock");
  block->setValue(8);
  QCOMPARE(block->value(), 16);
  QCOMPARE(child<QSpinBox>(panel, "warmupLayers")->maximum(), 64);

  // Out-of-range values arriving from a clip or old settings are clamped, never run.
  AttentionConfig wild;
  wild.method = "svg2";
  wild.set(clustering::topP, 0);
  wild.set(svg::density, 2);
  wild.set(clustering::queryClusters, -3);
  wild.set(warmup::fraction, 1.5);
  panel.setConfig(wild);
  const AttentionConfig c = panel.config();
  QCOMPARE(c.get(clustering::topP), 0.05);
  QCOMPARE(c.get(svg::density), 1.0);
  QCOMPARE(c.get(clustering::queryClusters), 0);
  QCOMPARE(c.get(warmup::fraction), 1.0);
  QVERIFY(attentionConfigProblems(c).empty());
  auto* problems = child<QLabel>(panel, "problems");
  QVERIFY(!problems->isVisibleTo(&panel));

  // What the boxes cannot refuse is shown in red under the panel.
  chooseMethod(panel, "svoo");
  child<QLineEdit>(panel, "svooProfile")->setText("/nonexistent/svoo_profile.json");
  QVERIFY(problems->isVisibleTo(&panel));
  QVERIFY(problems->text().contains("does not exist"));
  QVERIFY(problems->styleSheet().contains("color"));
  child<QLineEdit>(panel, "svooProfile")->clear();
  QVERIFY(!problems->isVisibleTo(&panel));
}

void TestSparsityPanel::configRoundTripsThroughQSettings() {
  AttentionConfig want;
  want.method = "svg2";
  want.set(svg::density, 0.35);
  want.set(svg::block, 128);
  want.set(clustering::topP, 0.65);
  want.set(clustering::queryClusters, 24);
  want.set(clustering::keyClusters, 200);
  want.set(svg2::minKeyClusterRatio, 0.15);
  want.set(svg2::kmeansIterations, 30);
  want.set(svg2::kmeansWarmIterations, 3);
  want.set(svoo::profile, "/tmp/some_profile.json");
  want.set(warmup::fraction, 0.25);
  want.set(warmup::layers, 2);
  {
    SparsityPanel panel;
    panel.setConfig(want);
    QVERIFY(panel.preset() == SparsityPanel::Preset::Custom);
    auto settings = openStudioSettings();
    panel.saveSettings(*settings);
  }
  SparsityPanel back;
  back.restoreSettings(*openStudioSettings());
  const AttentionConfig got = back.config();
  QCOMPARE(QString::fromStdString(got.method), QString("svg2"));
  QCOMPARE(got.get(svg::density), want.get(svg::density));
  QCOMPARE(got.get(svg::block), want.get(svg::block));
  QCOMPARE(got.get(clustering::topP), want.get(clustering::topP));
  QCOMPARE(got.get(clustering::queryClusters), want.get(clustering::queryClusters));
  QCOMPARE(got.get(clustering::keyClusters), want.get(clustering::keyClusters));
  QCOMPARE(got.get(svg2::minKeyClusterRatio), want.get(svg2::minKeyClusterRatio));
  QCOMPARE(got.get(svg2::kmeansIterations), want.get(svg2::kmeansIterations));
  QCOMPARE(got.get(svg2::kmeansWarmIterations), want.get(svg2::kmeansWarmIterations));
  QCOMPARE(QString::fromStdString(got.get(svoo::profile)),
           QString::fromStdString(want.get(svoo::profile)));
  QCOMPARE(got.get(warmup::fraction), want.get(warmup::fraction));
  QCOMPARE(got.get(warmup::layers), want.get(warmup::layers));
  QCOMPARE(presetText(back), QString("Custom"));

  // Nothing saved: the studio's balanced start.
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                     QString::fromStdString(test::freshDir("ui_sparsity_empty")));
  SparsityPanel fresh;
  fresh.restoreSettings(*openStudioSettings());
  QCOMPARE(fresh.config().get(svg::density), 0.3);
  QCOMPARE(QString::fromStdString(fresh.config().method), QString("dense"));
}

void TestSparsityPanel::windowRunsAndRemembersTheDocksConfig() {
  AttentionConfig want = SparsityPanel::presetConfig(SparsityPanel::Preset::Fast);
  want.method = "svoo";
  want.set(clustering::queryClusters, 16);  // no preset sets clusters: Fast still matches
  want.set(clustering::keyClusters, 128);
  {
    MainWindow first;
    auto* dock = first.findChild<QDockWidget*>("sparsityDock");
    QVERIFY(dock);
    QCOMPARE(first.dockWidgetArea(dock), Qt::LeftDockWidgetArea);
    QVERIFY(first.sparsityPanel());
    first.sparsityPanel()->setConfig(want);
    // Generate runs the dock's attention.
    const GenerationRequest r = first.currentRequest();
    QCOMPARE(QString::fromStdString(r.attention.method), QString("svoo"));
    QCOMPARE(r.attention.get(clustering::topP), 0.7);
    QCOMPARE(QString::fromStdString(r.prompt),
             QString::fromStdString(first.promptPanel()->request().prompt));
    first.saveSettings();  // as quitting does
  }
  MainWindow second;
  const AttentionConfig got = second.currentRequest().attention;
  QCOMPARE(QString::fromStdString(got.method), QString("svoo"));
  QCOMPARE(got.get(clustering::topP), 0.7);
  QCOMPARE(got.get(clustering::queryClusters), 16);
  QCOMPARE(got.get(clustering::keyClusters), 128);
  QCOMPARE(presetText(*second.sparsityPanel()), QString("Fast"));
}

void TestSparsityPanel::svgEstimateFollowsTheMaskRule() {
  MainWindow window;
  SparsityPanel& panel = *window.sparsityPanel();
  chooseMethod(panel, "svg");
  const ModelInfo& info = window.promptPanel()->modelInfo();
  // The built-in model's default clip: frames/2 × height/8 × width/8.
  const std::array<int64_t, 3> grid = panel.tokenGrid();
  QCOMPARE(grid[0], int64_t{(info.defaultFrames + 1) / 2});
  QCOMPARE(grid[1], int64_t{info.defaultHeight / 8});
  QCOMPARE(grid[2], int64_t{info.defaultWidth / 8});
  const AttentionConfig c = panel.config();
  const double sparse = svgMaskDensity(grid, c.get(svg::block), c.get(svg::density));
  QCOMPARE(panel.sparseDensityEstimate(), sparse);
  QVERIFY(sparse <= c.get(svg::density) + 1e-9);
  const double w = std::lround(c.get(warmup::fraction) * info.defaultSteps) /
                   static_cast<double>(info.defaultSteps);
  QCOMPARE(panel.warmupStepShare(), w);
  QCOMPARE(panel.overallDensityEstimate(), w + (1 - w) * sparse);
  const QString text = panel.estimateText();
  QVERIFY2(text.contains(QString("%1%").arg(100 * (w + (1 - w) * sparse), 0, 'f', 1)),
           qPrintable(text));
  QVERIFY(child<QLabel>(panel, "estimate")->text() == text);

  // The estimate follows the prompt panel's clip.
  GenerationRequest r = window.promptPanel()->request();
  r.frames = 8;
  r.width = 64;
  r.height = 96;
  window.promptPanel()->setRequest(r);
  QVERIFY(panel.tokenGrid() == (std::array<int64_t, 3>{4, 12, 8}));
  QCOMPARE(panel.sparseDensityEstimate(),
           svgMaskDensity({4, 12, 8}, c.get(svg::block), c.get(svg::density)));

  // Warm-up layers count: each sparse step runs its first layers dense (before, 10 warm-up layers
  // of an 8-layer model still estimated the sparse share).
  const int layers = info.layers;
  QVERIFY(layers > 2);
  AttentionConfig withLayers = panel.config();
  withLayers.set(warmup::layers, 2);
  panel.setConfig(withLayers);
  const double sparseNow = panel.sparseDensityEstimate();
  const double l = 2.0 / layers;
  QCOMPARE(panel.overallDensityEstimate(), w + (1 - w) * (l + (1 - l) * sparseNow));
  QVERIFY(panel.estimateText().contains(QString("first 2 of %1 layers").arg(layers)));
  withLayers.set(warmup::layers, layers + 2);
  panel.setConfig(withLayers);
  QCOMPARE(panel.overallDensityEstimate(), 1.0);
  QVERIFY(panel.estimateText().contains("this run is dense"));
  withLayers.set(warmup::layers, 0);
  panel.setConfig(withLayers);

  // SVG2 and SVOO depend on the data: the estimate says so and gives the warm-up share.
  chooseMethod(panel, "svg2");
  QVERIFY(panel.sparseDensityEstimate() < 0);
  QVERIFY(panel.estimateText().contains("data-dependent (top-p 0.80)"));
}

void TestSparsityPanel::svgRunThroughTheWorkerComputesLessThanDense() {
  MainWindow window;
  window.show();
  test::useSmallClip(window, "a red circle moving right on a blue background", 7);
  chooseMethod(*window.sparsityPanel(), "svg");
  const double estimate = window.sparsityPanel()->overallDensityEstimate();
  QSignalSpy finished(window.controller(), &StudioController::finished);
  QSignalSpy failed(window.controller(), &StudioController::failed);

  window.generate();
  QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() == 1, kRunTimeoutMs);
  QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
  const auto outcome = finished.first().first().value<RunOutcome>();
  const GenerationResult& r = *outcome.result;
  QCOMPARE(QString::fromStdString(r.request.attention.method), QString("svg"));
  QCOMPARE(r.request.attention.get(svg::density), 0.3);
  qInfo("density %.4f, sparse calls %.4f, estimate %.4f, attention %.3f s", r.attentionDensity,
        r.sparseAttentionDensity, estimate, r.attentionSeconds);
  QVERIFY(r.attentionDensity < 1.0);
  QVERIFY(r.sparseAttentionDensity < 1.0);
  QVERIFY(r.attentionSeconds > 0);
  QVERIFY(std::abs(r.attentionDensity - estimate) < 1e-6);

  // The run panel says what was computed.
  const QString text = window.runPanel()->attentionText();
  QVERIFY2(text.contains("SVG") &&
               text.contains(QString("%1%").arg(100 * r.attentionDensity, 0, 'f', 1)),
           qPrintable(text));
}

QTEST_MAIN(TestSparsityPanel)
void TestSparsityPanel::pastRunsSayWhenSettingsAreSlowerThanDense() {
  // A history written by hand: SVG2 at these settings took 20 s where its dense twin took 15 s,
  // with another prompt and seed (which change no time).
  const QString folder = QString::fromStdString(test::freshDir("ui_sparsity_speed_history"));
  AttentionConfig svg2 = SparsityPanel::presetConfig(SparsityPanel::Preset::Balanced);
  svg2.method = "svg2";
  GenerationRequest ran;
  ran.prompt = "a red circle";
  ran.seed = 5;
  ran.steps = 6;
  ran.attention = svg2;
  GenerationRequest dense = ran;
  dense.attention = AttentionConfig{};
  // At 7 steps the only dense twin ran on another device: no speed to compare with.
  GenerationRequest ran7 = ran, dense7 = dense;
  ran7.steps = dense7.steps = 7;
  QJsonArray runs;
  for (const auto& [id, request, seconds, device] :
       {std::tuple{"s", ran, 20.0, "cpu"}, std::tuple{"d", dense, 15.0, "cpu"},
        std::tuple{"s7", ran7, 3.0, "cuda:0"}, std::tuple{"d7", dense7, 30.0, "cpu"}}) {
    QDir().mkpath(folder + '/' + id);
    const QJsonObject r =
        QJsonDocument::fromJson(QByteArray::fromStdString(requestToJson(request))).object();
    runs.append(
        QJsonObject{{"id", id}, {"request", r}, {"total_seconds", seconds}, {"device", device}});
  }
  QVERIFY(test::writeHistoryIndex(folder, runs));
  HistoryStore store(folder);
  QCOMPARE(store.entries().size(), 4);
  QVERIFY(store.measuredSpeed(ran7).speedup < 0);

  GenerationRequest next = ran;
  next.prompt = "a blue square";
  next.seed = 9;
  const HistoryStore::SpeedEvidence e = store.measuredSpeed(next);
  QCOMPARE(e.speedup, 0.75);
  QCOMPARE(e.id, QString("s"));
  // Other steps or other budgets measured nothing yet.
  next.steps = 12;
  QVERIFY(store.measuredSpeed(next).speedup < 0);
  next = ran;
  next.attention.set(clustering::topP, 0.5);
  QVERIFY(store.measuredSpeed(next).speedup < 0);

  SparsityPanel panel;
  panel.resize(320, 700);
  panel.show();
  panel.setConfig(svg2);
  auto* speed = child<QLabel>(panel, "measuredSpeed");
  QVERIFY(!speed->isVisibleTo(&panel));
  panel.setMeasuredSpeedup(e.speedup, "yesterday");
  QVERIFY(speed->isVisibleTo(&panel));
  QVERIFY2(panel.speedText().contains("Likely slower than dense"), qPrintable(panel.speedText()));
  QVERIFY(panel.speedText().contains("0.75×"));
  panel.setMeasuredSpeedup(1.5);
  QVERIFY(panel.speedText().contains("1.50× faster"));
  chooseMethod(panel, "dense");  // dense has nothing to compare
  QVERIFY(!speed->isVisibleTo(&panel));
  // The cost estimate and this line sit above the budget groups (in view at 1280×800).
  chooseMethod(panel, "svg2");
  QApplication::processEvents();
  QVERIFY(child<QLabel>(panel, "estimate")->y() < child<QGroupBox>(panel, "clusterGroup")->y());
  QVERIFY(speed->y() < child<QGroupBox>(panel, "clusterGroup")->y());
}

#include "test_sparsity_panel.moc"
