// The "History" dock: every finished run, newest first, with its thumbnail, prompt, method and
// budget, time, its speed and quality against its dense twin. Open (Enter, double-click) puts a
// past run back in the player, ready to export; Re-run loads its settings back into the docks and
// generates; Compare opens two runs side by side (the two selected, or one and its dense twin);
// Delete (the Delete key) removes runs and their files. Every action is also on the context menu,
// with Export… and Show in folder.
#pragma once
#include "core/pipeline/generation.h"

#include <QHash>
#include <QIcon>
#include <QWidget>

class QLabel;
class QLineEdit;
class QToolButton;
class QListWidget;
class QMenu;
class QPushButton;

namespace svgen::ui {

class HistoryStore;
struct HistoryEntry;

class HistoryPanel : public QWidget {
  Q_OBJECT
 public:
  HistoryPanel(HistoryStore* store, QWidget* parent = nullptr);

  QListWidget* list() const { return list_; }
  // Only runs whose prompt, method (with its budget), model or device contain every word of
  // `text` are listed; empty lists all.
  void setFilter(const QString& text);
  // Thumbnails in a grid with a short caption (the whole row's text in the tooltip), or the list.
  void setGallery(bool gallery);
  bool isGallery() const;
  QStringList selectedIds() const;
  void selectIds(const QStringList& ids);
  // The text of a run's row: what the list shows.
  static QString entryText(const HistoryEntry& e, const HistoryStore& store);

  // The two runs Compare would open for the selection; empty when it cannot.
  QStringList comparePair() const;
  // The context menu for the current selection (the caller owns and shows it).
  QMenu* contextMenu();

 public slots:
  void openSelected();
  void rerunSelected();
  void compareSelected();
  // `confirm`: ask first (the Delete button does; tests and scripts do not).
  void deleteSelected(bool confirm = true);

 signals:
  void openRequested(const QString& id);
  // Open the run, then export it.
  void exportRequested(const QString& id);
  void rerunRequested(const svgen::GenerationRequest& request);
  void compareRequested(const QString& reference, const QString& other);

 private:
  void rebuild();
  void updateButtons();
  QIcon thumbnail(const QString& id);
  bool eventFilter(QObject* watched, QEvent* event) override;

  HistoryStore* store_;
  QListWidget* list_;
  QPushButton* open_;
  QPushButton* rerun_;
  QPushButton* compare_;
  QPushButton* delete_;
  QLabel* warning_;
  QLineEdit* filter_;
  QToolButton* gallery_;
  QHash<QString, QIcon> thumbnails_;
};

}  // namespace svgen::ui
