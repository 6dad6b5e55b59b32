// The history's files as an attacker or a crash leaves them: ids that are paths, links inside run
// folders, a damaged or missing index, requests that name files to write. Each case failed before
// the history validated what it reads (issue 23, items 1 and 2).
#include "tests/support/test_support.h"

#include "ui/history_panel.h"
#include "ui/history_store.h"
#include "ui/studio_controller.h"
#include "ui/video_images.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace svgen;
using namespace svgen::ui;

namespace {

// A finished run without running a model: a few flat frames and the settings that "made" them.
RunOutcome syntheticRun(uint64_t seed) {
  auto result = std::make_shared<GenerationResult>();
  result->request.prompt = "a red circle";
  result->request.seed = seed;
  result->request.frames = 3;
  result->request.width = result->request.height = 16;
  result->modelLabel = "built-in";
  result->device = "cpu";
  Video& v = result->video;
  v.frames = 3;
  v.width = v.height = 16;
  v.rgb.assign(v.frameBytes() * 3, static_cast<uint8_t>(40 + seed));
  RunOutcome outcome;
  outcome.frames = clipImages(v);
  outcome.result = result;
  return outcome;
}

bool addAndWait(HistoryStore& store, uint64_t seed) {
  QSignalSpy added(&store, &HistoryStore::entryAdded);
  store.add(syntheticRun(seed));
  return QTest::qWaitFor([&] { return added.count() == 1 && !store.isBusy(); }, 30000);
}

void writeFile(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
  f.write(bytes);
}

QByteArray readFile(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QJsonObject indexEntry(const QString& id) {
  QJsonObject e;
  e["id"] = id;
  e["created"] = "2026-12-01T10:00:00.000";
  e["request"] = QJsonObject{{"prompt", "a red circle"}};
  e["frames"] = 3;
  return e;
}

void writeIndex(const QString& folder, const QJsonArray& runs) {
  QJsonObject root;
  root["format"] = "svgen-studio-history";
  root["version"] = 1;
  root["runs"] = runs;
  writeFile(folder + "/index.json", QJsonDocument(root).toJson());
}

}  // namespace

class TestHistoryFiles : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { registerRunTypes(); }
  void onlyPlainNamesAreIds();
  void anIdThatIsAPathIsNeitherListedNorDeleted();
  void deleteRemovesLinksWithoutFollowingThem();
  void aDamagedIndexIsKeptAsideAndRebuilt();
  void aMissingIndexIsRebuiltFromTheRunFolders();
  void theStudioNeverWritesWhereARequestSays();
  void settingsDifferencesNameWhatDiffers();
  void aRunKeepsItsStartImageByHash();
};

// What Compare warns of (issue 22, item 2: a 20-step run against a 10-step one, without a word).
void TestHistoryFiles::settingsDifferencesNameWhatDiffers() {
  GenerationRequest a;
  a.prompt = "a red circle";
  a.steps = 20;
  GenerationRequest b = a;
  b.attention.method = "svg";
  QVERIFY(HistoryStore::settingsDifferences(a, b).isEmpty());  // attention is what is compared
  b.steps = 10;
  b.seed = a.seed + 1;
  const QStringList d = HistoryStore::settingsDifferences(a, b);
  QCOMPARE(d.size(), 2);
  QVERIFY(d.contains("steps 20 vs 10"));
}

void TestHistoryFiles::aRunKeepsItsStartImageByHash() {
  QTemporaryDir root;
  const QString image = root.filePath("start.png");
  writeFile(image, "not really a PNG, but bytes to hash");
  HistoryStore store(root.filePath("history"));
  RunOutcome run = syntheticRun(1);
  auto result = std::make_shared<GenerationResult>(*run.result);
  result->request.imagePath = image.toStdString();
  run.result = result;
  QSignalSpy added(&store, &HistoryStore::entryAdded);
  store.add(run);
  QVERIFY(QTest::qWaitFor([&] { return added.count() == 1 && !store.isBusy(); }, 30000));
  // The copy sits in the run's folder, named by the bytes' SHA-256, and the entry points at it:
  // the run keeps its image when the original changes or goes.
  const HistoryEntry& e = store.entries().first();
  const QString kept = QString::fromStdString(e.request.imagePath);
  QCOMPARE(QFileInfo(kept).absolutePath(), QFileInfo(store.runFolder(e.id)).absoluteFilePath());
  const QByteArray hash =
      QCryptographicHash::hash(readFile(image), QCryptographicHash::Sha256).toHex();
  QCOMPARE(QFileInfo(kept).fileName(), "start-image-" + QString::fromLatin1(hash) + ".png");
  QCOMPARE(readFile(kept), readFile(image));
  QFile::remove(image);
  HistoryStore reopened(root.filePath("history"));
  QCOMPARE(reopened.entries().first().request.imagePath, e.request.imagePath);
  // Runs from different images are not twins, and the difference is named.
  GenerationRequest other = e.request;
  other.imagePath = "/elsewhere/start-image-0000.png";
  QVERIFY(!HistoryStore::areTwins(e.request, other));
  QVERIFY(HistoryStore::settingsDifferences(e.request, other).contains("different start images"));
  other.imagePath = e.request.imagePath;
  QVERIFY(HistoryStore::areTwins(e.request, other));
}

void TestHistoryFiles::onlyPlainNamesAreIds() {
  QVERIFY(HistoryStore::isPlainId("20261206-101500-123-1"));
  QVERIFY(HistoryStore::isPlainId("run_2.b"));
  for (const char* bad : {"", ".", "..", "../x", "a/b", "/etc", ".hidden", "a\\b", "a b", "ü"})
    QVERIFY2(!HistoryStore::isPlainId(QString::fromUtf8(bad)), bad);
  QVERIFY(!HistoryStore::isPlainId(QString(65, 'a')));
}

void TestHistoryFiles::anIdThatIsAPathIsNeitherListedNorDeleted() {
  QTemporaryDir root;
  const QString history = root.filePath("history"), victim = root.filePath("victim");
  QVERIFY(QDir().mkpath(history + "/good") && QDir().mkpath(victim));
  writeFile(victim + "/precious.txt", "keep me");
  // Deep enough to climb out of any temporary folder, then back down to the victim.
  const QString escape = QString("../").repeated(40) + QDir(victim).canonicalPath().mid(1);
  writeIndex(history, {indexEntry(escape), indexEntry("../victim"), indexEntry("good")});

  HistoryStore store(history);
  QCOMPARE(store.entries().size(), 1);
  QCOMPARE(store.entries().first().id, QString("good"));
  QVERIFY2(store.loadWarning().contains("plain folder name"), qPrintable(store.loadWarning()));
  QVERIFY(!store.remove(escape));
  QVERIFY(!store.remove("../victim"));
  QCOMPARE(readFile(victim + "/precious.txt"), QByteArray("keep me"));

  // The panel says what was skipped, and keeps saying it until dismissed.
  HistoryPanel panel(&store);
  auto* warning = panel.findChild<QLabel*>("historyWarning");
  QVERIFY(warning && !warning->isHidden());
  QVERIFY(warning->text().contains("not a plain folder name: 2."));
}

void TestHistoryFiles::deleteRemovesLinksWithoutFollowingThem() {
  QTemporaryDir root;
  const QString history = root.filePath("history"), victim = root.filePath("victim");
  QVERIFY(QDir().mkpath(victim));
  writeFile(victim + "/precious.txt", "keep me");
  {
    HistoryStore store(history);
    QVERIFY(addAndWait(store, 1));
    const QString id = store.entries().first().id;
    // Something put a link to the victim inside the run folder.
    QVERIFY(QFile::link(victim, store.runFolder(id) + "/linked"));
    QVERIFY(store.remove(id));
    QVERIFY(!QFileInfo::exists(store.runFolder(id)));
  }
  QCOMPARE(readFile(victim + "/precious.txt"), QByteArray("keep me"));

  // A run folder that is itself a link is not listed: the history lists only folders it made.
  QVERIFY(QFile::link(victim, history + "/linkedrun"));
  writeIndex(history, {indexEntry("linkedrun")});
  HistoryStore store(history);
  QVERIFY(store.entries().isEmpty());
  QVERIFY(!store.remove("linkedrun"));
  QCOMPARE(readFile(victim + "/precious.txt"), QByteArray("keep me"));
}

void TestHistoryFiles::aDamagedIndexIsKeptAsideAndRebuilt() {
  QTemporaryDir root;
  const QString history = root.filePath("history");
  QStringList ids;
  {
    HistoryStore store(history);
    QVERIFY(addAndWait(store, 1));
    QVERIFY(addAndWait(store, 2));
    for (const HistoryEntry& e : store.entries()) ids << e.id;
    QVERIFY(store.loadWarning().isEmpty());
  }
  // A crash or a full disk leaves half an index.
  const QByteArray whole = readFile(history + "/index.json");
  const QByteArray truncated = whole.left(whole.size() / 2);
  writeFile(history + "/index.json", truncated);

  HistoryStore store(history);
  QStringList listed;
  for (const HistoryEntry& e : store.entries()) listed << e.id;
  QCOMPARE(listed, ids);  // both runs, newest first
  QCOMPARE(store.entries().first().request.seed, uint64_t(2));
  QVERIFY2(store.loadWarning().contains("could not be read"), qPrintable(store.loadWarning()));
  const QStringList kept = QDir(history).entryList({"index.damaged-*.json"}, QDir::Files);
  QCOMPARE(kept.size(), 1);
  QCOMPARE(readFile(history + '/' + kept.first()), truncated);
  QVERIFY(store.loadWarning().contains(kept.first()));

  // The rebuilt index is whole again, and the next run joins the old ones instead of replacing
  // them.
  QVERIFY(addAndWait(store, 3));
  const QJsonObject index = QJsonDocument::fromJson(readFile(history + "/index.json")).object();
  QCOMPARE(index["runs"].toArray().size(), 3);

  // Garbage that parses as JSON but is no index is treated the same way.
  writeFile(history + "/index.json", "[1, 2, 3]");
  HistoryStore again(history);
  QCOMPARE(again.entries().size(), 3);
  QCOMPARE(QDir(history).entryList({"index.damaged-*.json"}, QDir::Files).size(), 2);
}

void TestHistoryFiles::aMissingIndexIsRebuiltFromTheRunFolders() {
  QTemporaryDir root;
  const QString history = root.filePath("history");
  {
    HistoryStore store(history);
    QVERIFY(addAndWait(store, 5));
  }
  QVERIFY(QFile::remove(history + "/index.json"));
  QDir().mkpath(history + "/stray");  // a folder without run.json is left alone
  HistoryStore store(history);
  QCOMPARE(store.entries().size(), 1);
  QCOMPARE(store.entries().first().request.seed, uint64_t(5));
  QCOMPARE(store.entries().first().frames, 3);
  QVERIFY(store.loadWarning().contains("found in their folders"));
  QVERIFY(store.loadWarning().contains("without a readable run.json, left alone: 1."));
  QVERIFY(QFileInfo::exists(history + "/index.json"));
  QVERIFY(QFileInfo::exists(history + "/stray"));
}

void TestHistoryFiles::theStudioNeverWritesWhereARequestSays() {
  QTemporaryDir root;
  const QString latents = root.filePath("latents.safetensors");
  const QString record = root.filePath("record.json");
  writeFile(record, "keep me");
  StudioController controller;
  GenerationRequest r;
  r.prompt = "a red circle";
  r.frames = 2;
  r.width = r.height = 32;
  r.steps = 1;
  r.device = "cpu";
  r.saveLatentsPath = latents.toStdString();
  r.recordAttentionPath = record.toStdString();
  QSignalSpy finished(&controller, &StudioController::finished);
  QSignalSpy failed(&controller, &StudioController::failed);
  QVERIFY(controller.start(r));
  QVERIFY(QTest::qWaitFor([&] { return finished.count() + failed.count() > 0; }, 120000));
  QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
  QVERIFY(!QFileInfo::exists(latents));
  QCOMPARE(readFile(record), QByteArray("keep me"));
  // The run still recorded its attention, into the studio's own folder.
  QVERIFY(finished.first().first().value<RunOutcome>().attention);
}

QTEST_MAIN(TestHistoryFiles)
#include "test_history_files.moc"
