// The queue section of the Run dock: the jobs waiting, in the order they will run, with buttons to
// add the current settings, move a job up or down (or drag it), remove it, and start or pause the
// queue. Edits go to the RunQueue; the list is redrawn from it.
#pragma once
#include <QWidget>

class QAction;
class QListWidget;
class QPushButton;
class QToolButton;

namespace svgen::ui {

class RunQueue;

class QueuePanel : public QWidget {
  Q_OBJECT
 public:
  // `addAction` is the window's "Add to queue" action (it knows the current settings).
  QueuePanel(RunQueue* queue, QAction* addAction, QWidget* parent = nullptr);

  QListWidget* list() const { return list_; }
  int selectedIndex() const;
  void select(int index);

 public slots:
  void moveSelectedUp();
  void moveSelectedDown();
  void removeSelected();

 signals:
  // Start (true) or pause (false) the queue.
  void runToggled(bool run);

 private:
  void rebuild();
  void updateButtons();
  void onRowsDropped();

  RunQueue* queue_;
  QListWidget* list_;
  QToolButton* add_;
  QToolButton* up_;
  QToolButton* down_;
  QToolButton* remove_;
  QPushButton* run_;
};

}  // namespace svgen::ui
