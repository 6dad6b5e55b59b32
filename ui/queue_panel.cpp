#include "ui/queue_panel.h"

#include "ui/run_queue.h"
#include "ui/run_summary.h"

#include <QAbstractItemModel>
#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace svgen::ui {

QueuePanel::QueuePanel(RunQueue* queue, QAction* addAction, QWidget* parent)
    : QWidget(parent), queue_(queue) {
  auto* title = new QLabel(tr("<b>Queue</b>"), this);
  list_ = new QListWidget(this);
  list_->setObjectName("queueList");
  list_->setDragDropMode(QAbstractItemView::InternalMove);
  list_->setDefaultDropAction(Qt::MoveAction);
  list_->setSelectionMode(QAbstractItemView::SingleSelection);
  list_->setWordWrap(true);
  list_->setMinimumHeight(90);
  list_->setMaximumHeight(180);
  list_->setToolTip(tr("Jobs run top to bottom; drag to reorder"));

  auto tool = [this](QAction* action, const QString& name) {
    auto* b = new QToolButton(this);
    b->setDefaultAction(action);
    b->setObjectName(name);
    b->setAutoRaise(true);
    return b;
  };
  add_ = tool(addAction, "queueAddButton");
  add_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  auto* upAction = new QAction(style()->standardIcon(QStyle::SP_ArrowUp), tr("Move up"), this);
  auto* downAction =
      new QAction(style()->standardIcon(QStyle::SP_ArrowDown), tr("Move down"), this);
  auto* removeAction =
      new QAction(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove job"), this);
  removeAction->setShortcut(QKeySequence::Delete);
  removeAction->setShortcutContext(Qt::WidgetShortcut);
  list_->addAction(removeAction);
  up_ = tool(upAction, "queueUpButton");
  down_ = tool(downAction, "queueDownButton");
  remove_ = tool(removeAction, "queueRemoveButton");
  run_ = new QPushButton(this);
  run_->setObjectName("queueRunButton");
  run_->setCheckable(true);

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(add_);
  buttons->addStretch(1);
  buttons->addWidget(up_);
  buttons->addWidget(down_);
  buttons->addWidget(remove_);

  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  column->addWidget(title);
  column->addWidget(list_);
  column->addLayout(buttons);
  column->addWidget(run_);

  connect(upAction, &QAction::triggered, this, &QueuePanel::moveSelectedUp);
  connect(downAction, &QAction::triggered, this, &QueuePanel::moveSelectedDown);
  connect(removeAction, &QAction::triggered, this, &QueuePanel::removeSelected);
  connect(run_, &QPushButton::clicked, this, &QueuePanel::runToggled);
  connect(list_, &QListWidget::currentRowChanged, this, &QueuePanel::updateButtons);
  // The view has already moved its item when this fires; the queue follows the view's order.
  connect(list_->model(), &QAbstractItemModel::rowsMoved, this,
          [this] { QTimer::singleShot(0, this, &QueuePanel::onRowsDropped); });
  connect(queue_, &RunQueue::changed, this, &QueuePanel::rebuild);
  connect(queue_, &RunQueue::activeChanged, this, &QueuePanel::updateButtons);
  rebuild();
}

int QueuePanel::selectedIndex() const {
  return list_->currentRow();
}

void QueuePanel::select(int index) {
  list_->setCurrentRow(index);
}

void QueuePanel::moveSelectedUp() {
  const int i = selectedIndex();
  if (i > 0 && queue_->move(i, i - 1)) select(i - 1);
}

void QueuePanel::moveSelectedDown() {
  const int i = selectedIndex();
  if (i >= 0 && i + 1 < queue_->size() && queue_->move(i, i + 1)) select(i + 1);
}

void QueuePanel::removeSelected() {
  const int i = selectedIndex();
  if (queue_->remove(i)) select(std::min(i, queue_->size() - 1));
}

void QueuePanel::rebuild() {
  const int current = list_->currentRow();
  const QSignalBlocker block(list_);
  list_->clear();
  int n = 0;
  for (const QueuedJob& job : queue_->jobs()) {
    const GenerationRequest& r = job.request;
    QString prompt = QString::fromStdString(r.prompt);
    if (prompt.size() > 60) prompt = prompt.left(59) + QStringLiteral("…");
    auto* item = new QListWidgetItem(QStringLiteral("%1. %2 — %3\n%4")
                                         .arg(++n)
                                         .arg(attentionLabel(r.attention), prompt, clipLabel(r)),
                                     list_);
    item->setData(Qt::UserRole, job.id);
    item->setToolTip(QString::fromStdString(r.prompt));
  }
  list_->setCurrentRow(std::min(current, list_->count() - 1));
  updateButtons();
}

void QueuePanel::updateButtons() {
  const int i = selectedIndex();
  up_->setEnabled(i > 0);
  down_->setEnabled(i >= 0 && i + 1 < list_->count());
  remove_->setEnabled(i >= 0);
  const bool active = queue_->isActive();
  run_->setChecked(active);
  run_->setIcon(style()->standardIcon(active ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
  run_->setText(active ? tr("Pause queue (after this job)")
                       : tr("Run queue (%n job(s))", nullptr, queue_->size()));
  run_->setEnabled(active || !queue_->isEmpty());
}

void QueuePanel::onRowsDropped() {
  QVector<int> ids;
  for (int i = 0; i < list_->count(); ++i)
    ids.push_back(list_->item(i)->data(Qt::UserRole).toInt());
  const int moved = list_->currentItem() ? list_->currentItem()->data(Qt::UserRole).toInt() : -1;
  queue_->reorder(ids);
  if (moved >= 0) select(queue_->indexOf(moved));
}

}  // namespace svgen::ui
