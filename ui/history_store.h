// Every finished run, kept across restarts: an index (index.json) plus, per run, its frames as
// lossless PNGs, a thumbnail, its start image if it had one (named by its SHA-256) and its own
// entry (run.json), in a folder under
// QStandardPaths::AppDataLocation (preferences stay in QSettings). The index is a cache of the
// run.json files: a damaged one is kept aside under another name and rebuilt from the run folders,
// so no run is lost to a bad write. Run ids come from files a user (or anything else) can edit, so
// only plain names are accepted and nothing outside the history folder is ever deleted. Sparse runs
// are measured against their dense twin (same model, prompt, seed, size, frames, steps, guidance,
// shift and sampler) when the history has one: PSNR/SSIM from core/pipeline/video_quality, computed
// on a pool thread. Files are written and read off the UI thread; the index itself is small and is
// saved on it.
#pragma once
#include "core/pipeline/generation.h"
#include "ui/run_types.h"

#include <QDateTime>
#include <QFuture>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>
#include <QVector>

#include <memory>
#include <vector>

namespace svgen {
struct CallRecord;
}

namespace svgen::ui {

struct HistoryEntry {
  QString id;  // also the run's folder name
  QDateTime created;
  GenerationRequest request;  // what ran, the model's defaults filled in
  QString modelLabel;
  QString device;
  int frames = 0, width = 0, height = 0;
  double fps = 8;
  double totalSeconds = 0, attentionSeconds = 0;
  double density = 1, sparseDensity = 1;
  // Wall time of each denoising step (GenerationResult::stepSeconds); empty for runs kept before
  // the history recorded them.
  QVector<double> stepSeconds;
  // Against the dense twin: PSNR in dB (capped at kReportedPsnrCap) and mean SSIM; < 0 while
  // not measured.
  QString twinId;
  double psnr = -1, ssim = -1;
  // Its attention record is kept (compressed, attention.json.z in the run folder), so the
  // explorer and plots work for it after a restart.
  bool hasRecord = false;

  bool isDense() const;
  bool hasQuality() const { return psnr >= 0 && !twinId.isEmpty(); }
};

class HistoryStore : public QObject {
  Q_OBJECT
 public:
  // `folder` empty: defaultFolder(). Reads the index there (a missing or unreadable one is an
  // empty history).
  explicit HistoryStore(const QString& folder = {}, QObject* parent = nullptr);
  // Waits for files still being written, so that none is left half-written.
  ~HistoryStore() override;

  static QString defaultFolder();
  // A run id is a plain folder name: letters, digits, '-', '_' and '.', not starting with '.', at
  // most 64 characters. Anything else (a path, "..") is refused wherever an id is read.
  static bool isPlainId(const QString& id);
  // What loading had to repair, for the user (empty when nothing): a damaged index kept aside and
  // rebuilt, entries skipped because their id is not a plain name.
  QString loadWarning() const { return loadWarning_; }
  QString folder() const { return folder_; }
  QString indexPath() const;
  QString runFolder(const QString& id) const;
  QString thumbnailPath(const QString& id) const;

  // Newest first.
  const QVector<HistoryEntry>& entries() const { return entries_; }
  const HistoryEntry* find(const QString& id) const;
  // The newest dense run this one can be measured against; null when none.
  const HistoryEntry* denseTwin(const HistoryEntry& entry) const;
  static bool areTwins(const GenerationRequest& a, const GenerationRequest& b);
  // Image-to-video: both runs start from the same image (kept images are named by their SHA-256).
  static bool sameStartImage(const GenerationRequest& a, const GenerationRequest& b);
  // What differs between two runs' settings besides the attention ("steps 20 vs 10"): what
  // makes a comparison of their clips measure more than the attention. Empty for twins.
  static QStringList settingsDifferences(const GenerationRequest& a, const GenerationRequest& b);
  // How many times faster `entry` denoised than its dense `twin` (their step times; whole run
  // times for runs kept before steps were timed); < 0 when it cannot tell, as for a twin that ran
  // on another device or thread count.
  static double speedup(const HistoryEntry& entry, const HistoryEntry& twin);
  // What these settings measured before: the newest kept sparse run of the same method and
  // budgets, model, device, threads, frames, size, steps, guidance and sampler (any prompt or
  // seed: neither changes the time) that has a dense twin, and its speed-up over that twin.
  struct SpeedEvidence {
    double speedup = -1;  // < 0: no such run
    QString id;
    QDateTime created;
  };
  SpeedEvidence measuredSpeed(const GenerationRequest& r) const;

  // Saves the run's frames and thumbnail on a pool thread, then lists it (entryAdded) and
  // measures whatever the new run makes measurable.
  void add(const RunOutcome& outcome);
  // Unlists the run and removes its folder (a link in its place is removed, never followed); runs
  // measured against it lose their numbers and are measured again against another twin if there
  // is one. False for an id that is not listed or not a plain name.
  bool remove(const QString& id);

  // True while files are written or quality is measured.
  bool isBusy() const { return pending_ > 0; }

  // Reads a run's frames back (on the calling thread: call it from a pool thread).
  static Video readClip(const QString& runFolder, double fps);
  // Reads a run's kept attention record (pool thread); null when it has none or it is damaged.
  static std::shared_ptr<const std::vector<CallRecord>> readRecord(const QString& runFolder);

  // Attention records are large (a 720p run's can be hundreds of MiB as JSON): they are kept
  // compressed, one run's only up to a quarter of the budget, and all of them within it; past it
  // the oldest runs lose their records (not their clips) and recordsEvicted() says how many.
  // The budget comes from the setting "history/recordBudgetMiB" (default 512).
  void setRecordBudgetMiB(double mib);
  double recordBudgetMiB() const { return recordBudgetMiB_; }
  // A past run as the player and the exporter take a finished one: its settings, timings and
  // `video` (read with readClip). The exported file's embedded settings are the run's own.
  static std::shared_ptr<const GenerationResult> resultOf(const HistoryEntry& entry, Video video);

 signals:
  void changed();
  void entryAdded(const QString& id);
  void qualityMeasured(const QString& id);
  void idle();
  void failed(const QString& message);
  void recordsEvicted(int runs, const QString& message);

 private:
  void load();
  // Every run folder with a readable run.json, newest first.
  QVector<HistoryEntry> scanRunFolders(int* unreadable) const;
  void save();
  void measureWhatIsMissing();
  void evictRecords();
  void taskDone();

  QString folder_;
  QString loadWarning_;
  QVector<HistoryEntry> entries_;
  QSet<QString> measuring_;
  QSet<QString> unmeasurable_;  // tried and failed: not retried in this session
  QList<QFuture<void>> writes_;
  int pending_ = 0;
  int counter_ = 0;
  double recordBudgetMiB_ = 512;
};

}  // namespace svgen::ui
