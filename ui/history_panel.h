// The "History" dock: every finished run, newest first, with its thumbnail, prompt, method and
// budget, time, and quality against its dense twin. Re-run loads a run's settings back into the
// docks and generates; Compare opens two runs side by side (the two selected, or one and its
// dense twin); Delete removes runs and their files.
#pragma once
#include "core/pipeline/generation.h"

#include <QHash>
#include <QIcon>
#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;

namespace svgen::ui {

class HistoryStore;
struct HistoryEntry;

class HistoryPanel : public QWidget {
  Q_OBJECT
 public:
  HistoryPanel(HistoryStore* store, QWidget* parent = nullptr);

  QListWidget* list() const { return list_; }
  QStringList selectedIds() const;
  void selectIds(const QStringList& ids);
  // The text of a run's row: what the list shows.
  static QString entryText(const HistoryEntry& e, const HistoryStore& store);

  // The two runs Compare would open for the selection; empty when it cannot.
  QStringList comparePair() const;

 public slots:
  void rerunSelected();
  void compareSelected();
  // `confirm`: ask first (the Delete button does; tests and scripts do not).
  void deleteSelected(bool confirm = true);

 signals:
  void rerunRequested(const svgen::GenerationRequest& request);
  void compareRequested(const QString& reference, const QString& other);

 private:
  void rebuild();
  void updateButtons();
  QIcon thumbnail(const QString& id);

  HistoryStore* store_;
  QListWidget* list_;
  QPushButton* rerun_;
  QPushButton* compare_;
  QPushButton* delete_;
  QLabel* warning_;
  QHash<QString, QIcon> thumbnails_;
};

}  // namespace svgen::ui
