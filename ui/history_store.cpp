#include "ui/history_store.h"

#include "core/attention/attention_record.h"
#include "core/pipeline/request_json.h"
#include "core/pipeline/video_quality.h"
#include "ui/video_images.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>
#include <QtConcurrent>

#include <algorithm>
#include <cmath>
#include <memory>

namespace svgen::ui {

namespace {

constexpr int kIndexVersion = 1;
constexpr int kThumbnailSize = 96;
constexpr int kMaxIdLength = 64;
const char kFramesFolder[] = "frames";
const char kRunFile[] = "run.json";
const char kRecordFile[] = "attention.json.z";

QString framePath(const QString& runFolder, int t) {
  return QStringLiteral("%1/%2/%3.png").arg(runFolder, kFramesFolder).arg(t + 1, 4, 10, QChar('0'));
}

// The run's start image copied into its folder under a name made from its SHA-256, so the run
// keeps the exact image it started from when the original moves or changes, and runs from the
// same image can be told by name. Returns the copy's path, or "" (and why in `error`).
QString keepStartImage(const QString& folder, const QString& path, QString* error) {
  QFile in(path);
  if (!in.open(QIODevice::ReadOnly)) {
    *error = HistoryStore::tr("cannot read the start image %1: %2").arg(path, in.errorString());
    return {};
  }
  const QByteArray bytes = in.readAll();
  const QString hash =
      QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
  const QString suffix = QFileInfo(path).suffix().toLower();
  const QString kept = folder + "/start-image-" + hash + (suffix.isEmpty() ? "" : "." + suffix);
  QSaveFile out(kept);
  if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit()) {
    *error = HistoryStore::tr("cannot write %1: %2").arg(kept, out.errorString());
    return {};
  }
  return kept;
}

QJsonObject toJson(const HistoryEntry& e) {
  QJsonObject o;
  o["id"] = e.id;
  o["created"] = e.created.toString(Qt::ISODateWithMs);
  o["request"] =
      QJsonDocument::fromJson(QByteArray::fromStdString(requestToJson(e.request))).object();
  o["model_label"] = e.modelLabel;
  o["device"] = e.device;
  o["frames"] = e.frames;
  o["width"] = e.width;
  o["height"] = e.height;
  o["fps"] = e.fps;
  o["total_seconds"] = e.totalSeconds;
  o["attention_seconds"] = e.attentionSeconds;
  o["density"] = e.density;
  o["sparse_density"] = e.sparseDensity;
  QJsonArray steps;
  for (double seconds : e.stepSeconds) steps.append(seconds);
  o["step_seconds"] = steps;
  if (e.hasQuality()) {
    o["twin"] = e.twinId;
    o["psnr"] = e.psnr;
    o["ssim"] = e.ssim;
  }
  return o;
}

HistoryEntry fromJson(const QJsonObject& o) {
  HistoryEntry e;
  e.id = o["id"].toString();
  e.created = QDateTime::fromString(o["created"].toString(), Qt::ISODateWithMs);
  e.request = requestFromJson(
      QJsonDocument(o["request"].toObject()).toJson(QJsonDocument::Compact).toStdString());
  e.modelLabel = o["model_label"].toString();
  e.device = o["device"].toString();
  e.frames = o["frames"].toInt();
  e.width = o["width"].toInt();
  e.height = o["height"].toInt();
  e.fps = o["fps"].toDouble(8);
  e.totalSeconds = o["total_seconds"].toDouble();
  e.attentionSeconds = o["attention_seconds"].toDouble();
  e.density = o["density"].toDouble(1);
  e.sparseDensity = o["sparse_density"].toDouble(1);
  for (const QJsonValue& v : o["step_seconds"].toArray())
    if (v.isDouble()) e.stepSeconds.push_back(v.toDouble());
  e.twinId = o["twin"].toString();
  e.psnr = o["psnr"].toDouble(-1);
  e.ssim = o["ssim"].toDouble(-1);
  return e;
}

struct Measurement {
  QString id, twinId;
  double psnr = -1, ssim = -1;
  QString error;
};

}  // namespace

bool HistoryEntry::isDense() const {
  return request.attention.method.empty() || request.attention.method == "dense";
}

HistoryStore::HistoryStore(const QString& folder, QObject* parent)
    : QObject(parent), folder_(folder.isEmpty() ? defaultFolder() : folder) {
  load();
}

HistoryStore::~HistoryStore() {
  for (QFuture<void>& f : writes_) f.waitForFinished();
}

QString HistoryStore::defaultFolder() {
  return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/history";
}

QString HistoryStore::indexPath() const {
  return folder_ + "/index.json";
}

QString HistoryStore::runFolder(const QString& id) const {
  return folder_ + '/' + id;
}

QString HistoryStore::thumbnailPath(const QString& id) const {
  return runFolder(id) + "/thumbnail.png";
}

const HistoryEntry* HistoryStore::find(const QString& id) const {
  for (const HistoryEntry& e : entries_)
    if (e.id == id) return &e;
  return nullptr;
}

bool HistoryStore::areTwins(const GenerationRequest& a, const GenerationRequest& b) {
  return a.model == b.model && a.prompt == b.prompt && a.negativePrompt == b.negativePrompt &&
         a.seed == b.seed && a.frames == b.frames && a.width == b.width && a.height == b.height &&
         a.steps == b.steps && a.guidance == b.guidance &&
         a.lowNoiseGuidance == b.lowNoiseGuidance && a.shift == b.shift && a.sampler == b.sampler &&
         sameStartImage(a, b);
}

bool HistoryStore::sameStartImage(const GenerationRequest& a, const GenerationRequest& b) {
  // Kept images are named by their hash; other paths compare as they are.
  return QFileInfo(QString::fromStdString(a.imagePath)).fileName() ==
         QFileInfo(QString::fromStdString(b.imagePath)).fileName();
}

QStringList HistoryStore::settingsDifferences(const GenerationRequest& a,
                                              const GenerationRequest& b) {
  QStringList out;
  auto differ = [&](const QString& name, const QString& x, const QString& y) {
    if (x != y) out << tr("%1 %2 vs %3").arg(name, x, y);
  };
  differ(tr("model"), QString::fromStdString(a.model), QString::fromStdString(b.model));
  differ(tr("prompt"), QString::fromStdString(a.prompt), QString::fromStdString(b.prompt));
  differ(tr("negative prompt"), QString::fromStdString(a.negativePrompt),
         QString::fromStdString(b.negativePrompt));
  differ(tr("seed"), QString::number(a.seed), QString::number(b.seed));
  differ(tr("frames"), QString::number(a.frames), QString::number(b.frames));
  differ(tr("size"), QStringLiteral("%1×%2").arg(a.width).arg(a.height),
         QStringLiteral("%1×%2").arg(b.width).arg(b.height));
  differ(tr("steps"), QString::number(a.steps), QString::number(b.steps));
  differ(tr("guidance"), QString::number(a.guidance), QString::number(b.guidance));
  if (a.lowNoiseGuidance >= 0 || b.lowNoiseGuidance >= 0)
    differ(tr("low-noise guidance"), QString::number(a.lowNoiseGuidance),
           QString::number(b.lowNoiseGuidance));
  differ(tr("shift"), QString::number(a.shift), QString::number(b.shift));
  differ(tr("sampler"), QString::fromStdString(a.sampler), QString::fromStdString(b.sampler));
  if (!sameStartImage(a, b)) out << tr("different start images");
  return out;
}

const HistoryEntry* HistoryStore::denseTwin(const HistoryEntry& entry) const {
  for (const HistoryEntry& e : entries_)
    if (e.id != entry.id && e.isDense() && areTwins(e.request, entry.request)) return &e;
  return nullptr;
}

HistoryStore::SpeedEvidence HistoryStore::measuredSpeed(const GenerationRequest& r) const {
  auto sameCost = [&](const GenerationRequest& a) {
    return a.attention == r.attention && a.model == r.model && a.device == r.device &&
           a.threads == r.threads && a.frames == r.frames && a.width == r.width &&
           a.height == r.height && a.steps == r.steps && usesGuidance(a) == usesGuidance(r) &&
           a.sampler == r.sampler;
  };
  for (const HistoryEntry& e : entries_) {  // newest first
    if (e.isDense() || !sameCost(e.request)) continue;
    const HistoryEntry* twin = denseTwin(e);
    const double x = twin ? speedup(e, *twin) : -1;
    if (x > 0) return {x, e.id, e.created};
  }
  return {};
}

bool HistoryStore::isPlainId(const QString& id) {
  if (id.isEmpty() || id.size() > kMaxIdLength || id.startsWith('.')) return false;
  for (QChar c : id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
    if (!plain) return false;
  }
  return true;
}

QVector<HistoryEntry> HistoryStore::scanRunFolders(int* unreadable) const {
  QVector<HistoryEntry> found;
  *unreadable = 0;
  const QFileInfoList folders =
      QDir(folder_).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks);
  for (const QFileInfo& info : folders) {
    if (!isPlainId(info.fileName())) continue;
    QFile file(info.filePath() + '/' + kRunFile);
    if (!file.open(QIODevice::ReadOnly)) {
      ++*unreadable;
      continue;
    }
    try {
      HistoryEntry e = fromJson(QJsonDocument::fromJson(file.readAll()).object());
      // The folder's name is the id: a run.json copied into another folder describes that one.
      e.id = info.fileName();
      found.push_back(e);
    } catch (const std::exception&) {
      ++*unreadable;
    }
  }
  std::sort(found.begin(), found.end(),
            [](const HistoryEntry& a, const HistoryEntry& b) { return a.created > b.created; });
  return found;
}

double HistoryStore::speedup(const HistoryEntry& entry, const HistoryEntry& twin) {
  // A twin on another device or thread count is a twin for quality, not for speed.
  if (entry.device != twin.device || entry.request.threads != twin.request.threads) return -1;
  // Model loading and the first run's warm-up belong to neither method: the steps are compared
  // where both runs have them.
  auto seconds = [&](const HistoryEntry& e) {
    if (entry.stepSeconds.isEmpty() || twin.stepSeconds.isEmpty()) return e.totalSeconds;
    double sum = 0;
    for (double s : e.stepSeconds) sum += s;
    return sum;
  };
  const double mine = seconds(entry);
  return mine > 0 ? seconds(twin) / mine : -1;
}

void HistoryStore::load() {
  QFile file(indexPath());
  const bool exists = file.exists();
  QString problem;
  QJsonArray runs;
  if (exists) {
    if (!file.open(QIODevice::ReadOnly)) {
      problem = file.errorString();
    } else {
      QJsonParseError error{};
      const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
      const QJsonObject root = doc.object();
      if (error.error != QJsonParseError::NoError)
        problem = tr("%1 at byte %2").arg(error.errorString()).arg(error.offset);
      else if (!doc.isObject() || !root["runs"].isArray() ||
               (root.contains("format") && root["format"] != "svgen-studio-history"))
        problem = tr("it is not a history index");
      else
        runs = root["runs"].toArray();
      file.close();
    }
  }

  int skipped = 0;
  QSet<QString> listed;
  for (const QJsonValue& v : runs) {
    try {
      HistoryEntry e = fromJson(v.toObject());
      if (!isPlainId(e.id) || listed.contains(e.id)) {
        ++skipped;
        continue;
      }
      // A run whose folder went away (deleted by hand) is not listed.
      const QFileInfo folder(runFolder(e.id));
      if (folder.isDir() && !folder.isSymLink()) {
        entries_.push_back(e);
        listed.insert(e.id);
      }
    } catch (const std::exception&) {
      // An entry from another version that no longer parses: skip it, keep the rest.
    }
  }

  // Runs on disk the index does not list (the index was lost, damaged or written before the run
  // finished) are listed again from their own run.json.
  int unreadable = 0;
  int adopted = 0;
  for (const HistoryEntry& e : scanRunFolders(&unreadable))
    if (!listed.contains(e.id)) {
      entries_.push_back(e);
      ++adopted;
    }
  if (adopted > 0)
    std::stable_sort(
        entries_.begin(), entries_.end(),
        [](const HistoryEntry& a, const HistoryEntry& b) { return a.created > b.created; });

  QStringList notes;
  if (!problem.isEmpty()) {
    const QString kept =
        QStringLiteral("%1/index.damaged-%2.json")
            .arg(folder_, QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss-zzz"));
    const bool renamed = QFile::rename(indexPath(), kept);
    notes << tr("The history index %1 could not be read (%2). %3 It was rebuilt from the run "
                "folders: %4 run(s) found.")
                 .arg(QDir::toNativeSeparators(indexPath()), problem,
                      renamed ? tr("It was kept as %1.").arg(QDir::toNativeSeparators(kept))
                              : tr("It could not be kept aside and will be replaced."))
                 .arg(adopted);
  } else if (adopted > 0) {
    notes << tr("Runs missing from the history index were found in their folders and listed "
                "again: %1.")
                 .arg(adopted);
  }
  if (skipped > 0)
    notes << tr("History entries skipped because their id is not a plain folder name: %1.")
                 .arg(skipped);
  if (unreadable > 0)
    notes << tr("Folders in the history without a readable run.json, left alone: %1.")
                 .arg(unreadable);
  for (HistoryEntry& e : entries_)
    e.hasRecord = QFileInfo::exists(runFolder(e.id) + '/' + kRecordFile);
  loadWarning_ = notes.join(' ');
  if (!problem.isEmpty() || adopted > 0 || skipped > 0) save();
}

void HistoryStore::save() {
  QJsonArray runs;
  for (const HistoryEntry& e : entries_) runs.append(toJson(e));
  QJsonObject root;
  root["format"] = "svgen-studio-history";
  root["version"] = kIndexVersion;
  root["runs"] = runs;
  QDir().mkpath(folder_);
  // QSaveFile writes beside the index and renames over it: a crash leaves the old index whole.
  QSaveFile file(indexPath());
  if (!file.open(QIODevice::WriteOnly) ||
      file.write(QJsonDocument(root).toJson(QJsonDocument::Indented)) < 0 || !file.commit())
    emit failed(tr("The history index %1 could not be saved: %2")
                    .arg(QDir::toNativeSeparators(indexPath()), file.errorString()));
}

void HistoryStore::add(const RunOutcome& outcome) {
  if (!outcome.result || outcome.frames.isEmpty()) return;
  const GenerationResult& r = *outcome.result;
  HistoryEntry e;
  e.created = QDateTime::currentDateTime();
  e.id = e.created.toString("yyyyMMdd-HHmmss-zzz") + QStringLiteral("-%1").arg(++counter_);
  e.request = r.request;
  e.modelLabel = QString::fromStdString(r.modelLabel);
  e.device = QString::fromStdString(r.device);
  e.frames = r.video.frames;
  e.width = r.video.width;
  e.height = r.video.height;
  e.fps = r.video.fps;
  e.totalSeconds = r.totalSeconds;
  e.attentionSeconds = r.attentionSeconds;
  e.density = r.attentionDensity;
  e.sparseDensity = r.sparseAttentionDensity;
  e.stepSeconds = QVector<double>(r.stepSeconds.begin(), r.stepSeconds.end());

  const QString folder = runFolder(e.id);
  const QVector<QImage> frames = outcome.frames;
  // Written last by the pool thread, after the start image is kept and its path is the copy's.
  auto kept = std::make_shared<HistoryEntry>(e);
  auto error = std::make_shared<QString>();
  auto keptRecord = std::make_shared<bool>(false);
  const auto attention = outcome.attention;
  const qint64 recordCap = static_cast<qint64>(recordBudgetMiB_ * (1 << 20) / 4);
  ++pending_;
  QFuture<void> write =
      QtConcurrent::run([folder, frames, kept, error, attention, recordCap, keptRecord] {
        if (!QDir().mkpath(folder + '/' + kFramesFolder)) {
          *error = tr("cannot create %1").arg(folder);
          return;
        }
        for (int t = 0; t < frames.size(); ++t)
          if (!frames[t].save(framePath(folder, t), "PNG")) {
            *error = tr("cannot write %1").arg(framePath(folder, t));
            return;
          }
        const QImage middle = frames[frames.size() / 2];
        const QImage thumb =
            middle.width() > kThumbnailSize || middle.height() > kThumbnailSize
                ? middle.scaled(kThumbnailSize, kThumbnailSize, Qt::KeepAspectRatio,
                                Qt::SmoothTransformation)
                : middle.scaled(middle.size() *
                                (kThumbnailSize / std::max(middle.width(), middle.height())));
        thumb.save(folder + "/thumbnail.png", "PNG");
        if (attention && !attention->empty()) {
          const QByteArray packed =
              qCompress(QByteArray::fromStdString(attentionRecordJson(*attention)), 6);
          QSaveFile record(folder + '/' + kRecordFile);
          // Too big a record is dropped, not the run: the clip matters more than its explorer.
          if (packed.size() <= recordCap && record.open(QIODevice::WriteOnly) &&
              record.write(packed) == packed.size() && record.commit())
            *keptRecord = true;
        }
        if (!kept->request.imagePath.empty()) {
          // A start image that cannot be copied any more (moved since the run read it) costs the
          // run only its copy: the entry keeps the original path.
          QString ignored;
          const QString copy =
              keepStartImage(folder, QString::fromStdString(kept->request.imagePath), &ignored);
          if (!copy.isEmpty()) kept->request.imagePath = copy.toStdString();
        }
        // Last, so a run folder with a run.json is complete: the index can be rebuilt from these.
        const QByteArray entryJson = QJsonDocument(toJson(*kept)).toJson(QJsonDocument::Indented);
        QSaveFile entry(folder + '/' + kRunFile);
        if (!entry.open(QIODevice::WriteOnly) || entry.write(entryJson) < 0 || !entry.commit())
          *error = tr("cannot write %1: %2").arg(entry.fileName(), entry.errorString());
      });
  writes_.push_back(write);
  auto* watcher = new QFutureWatcher<void>(this);
  connect(watcher, &QFutureWatcher<void>::finished, this,
          [this, watcher, kept, error, folder, keptRecord]() mutable {
            HistoryEntry e = *kept;
            watcher->deleteLater();
            if (!error->isEmpty()) {
              QDir(folder).removeRecursively();
              emit failed(tr("The run could not be kept in the history: %1").arg(*error));
            } else {
              e.hasRecord = *keptRecord;
              entries_.prepend(e);
              evictRecords();
              save();
              emit entryAdded(e.id);
              emit changed();
              measureWhatIsMissing();
            }
            taskDone();
          });
  watcher->setFuture(write);
}

bool HistoryStore::remove(const QString& id) {
  const HistoryEntry* e = isPlainId(id) ? find(id) : nullptr;
  if (!e) return false;
  entries_.removeAt(int(e - entries_.data()));
  for (HistoryEntry& other : entries_)
    if (other.twinId == id) {
      other.twinId.clear();
      other.psnr = other.ssim = -1;
    }
  // A plain id names a direct child of the history folder. When that child is a link, only the
  // link goes; removeRecursively removes links inside the folder without following them.
  const QFileInfo run(runFolder(id));
  if (run.isSymLink())
    QFile::remove(run.filePath());
  else if (run.isDir())
    QDir(run.filePath()).removeRecursively();
  save();
  emit changed();
  measureWhatIsMissing();
  return true;
}

Video HistoryStore::readClip(const QString& runFolder, double fps) {
  QVector<QImage> frames;
  for (int t = 0;; ++t) {
    const QString path = framePath(runFolder, t);
    if (!QFileInfo::exists(path)) break;
    frames.push_back(QImage(path));
  }
  return videoFromImages(frames, fps);
}

std::shared_ptr<const GenerationResult> HistoryStore::resultOf(const HistoryEntry& e, Video video) {
  auto r = std::make_shared<GenerationResult>();
  video.fps = e.fps;
  r->video = std::move(video);
  r->request = e.request;
  r->totalSeconds = e.totalSeconds;
  r->attentionSeconds = e.attentionSeconds;
  r->attentionDensity = e.density;
  r->sparseAttentionDensity = e.sparseDensity;
  r->stepSeconds = std::vector<double>(e.stepSeconds.begin(), e.stepSeconds.end());
  r->modelLabel = e.modelLabel.toStdString();
  r->device = e.device.toStdString();
  return r;
}

std::shared_ptr<const std::vector<CallRecord>> HistoryStore::readRecord(const QString& runFolder) {
  QFile file(runFolder + '/' + kRecordFile);
  if (!file.open(QIODevice::ReadOnly)) return nullptr;
  const QByteArray json = qUncompress(file.readAll());
  if (json.isEmpty()) return nullptr;
  try {
    return std::make_shared<const std::vector<CallRecord>>(
        parseAttentionRecord(json.toStdString()));
  } catch (const std::exception&) {
    return nullptr;
  }
}

void HistoryStore::setRecordBudgetMiB(double mib) {
  recordBudgetMiB_ = std::max(0.0, mib);
  evictRecords();
}

void HistoryStore::evictRecords() {
  const qint64 budget = static_cast<qint64>(recordBudgetMiB_ * (1 << 20));
  qint64 used = 0;
  int evicted = 0;
  for (HistoryEntry& e : entries_) {  // newest first: the oldest go
    if (!e.hasRecord) continue;
    const QString path = runFolder(e.id) + '/' + kRecordFile;
    const qint64 size = QFileInfo(path).size();
    if (used + size <= budget) {
      used += size;
      continue;
    }
    QFile::remove(path);
    e.hasRecord = false;
    ++evicted;
  }
  if (evicted == 0) return;
  save();
  emit recordsEvicted(evicted, tr("The attention records of %1 older run(s) were removed to keep "
                                  "them within %2 MiB; their clips stay.")
                                   .arg(evicted)
                                   .arg(recordBudgetMiB_, 0, 'f', 0));
}

void HistoryStore::measureWhatIsMissing() {
  for (const HistoryEntry& e : entries_) {
    if (e.isDense() || e.hasQuality() || measuring_.contains(e.id) || unmeasurable_.contains(e.id))
      continue;
    const HistoryEntry* twin = denseTwin(e);
    if (!twin) continue;
    measuring_.insert(e.id);
    ++pending_;
    const QString id = e.id, twinId = twin->id;
    const QString a = runFolder(twinId), b = runFolder(id);
    const double fps = e.fps;
    auto* watcher = new QFutureWatcher<Measurement>(this);
    connect(watcher, &QFutureWatcher<Measurement>::finished, this, [this, watcher] {
      watcher->deleteLater();
      const Measurement m = watcher->result();
      measuring_.remove(m.id);
      // Either run may have been deleted while it was measured.
      auto it = std::find_if(entries_.begin(), entries_.end(),
                             [&](const HistoryEntry& x) { return x.id == m.id; });
      if (it != entries_.end() && find(m.twinId) && m.error.isEmpty()) {
        it->twinId = m.twinId;
        it->psnr = m.psnr;
        it->ssim = m.ssim;
        save();
        emit qualityMeasured(m.id);
        emit changed();
      } else if (!m.error.isEmpty()) {
        unmeasurable_.insert(m.id);
      }
      taskDone();
    });
    watcher->setFuture(QtConcurrent::run([id, twinId, a, b, fps] {
      Measurement m;
      m.id = id;
      m.twinId = twinId;
      try {
        const VideoQuality q = compareVideos(readClip(a, fps), readClip(b, fps));
        m.psnr = reportablePsnr(q.psnr);
        m.ssim = q.ssim;
      } catch (const std::exception& ex) {
        m.error = QString::fromStdString(ex.what());
      }
      return m;
    }));
  }
}

void HistoryStore::taskDone() {
  if (--pending_ == 0) emit idle();
}

}  // namespace svgen::ui
