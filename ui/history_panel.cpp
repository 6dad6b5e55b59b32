#include "ui/history_panel.h"

#include "ui/history_store.h"
#include "ui/run_summary.h"

#include <QDesktopServices>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPixmap>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace svgen::ui {

HistoryPanel::HistoryPanel(HistoryStore* store, QWidget* parent) : QWidget(parent), store_(store) {
  list_ = new QListWidget(this);
  list_->setObjectName("historyList");
  list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  list_->setIconSize(QSize(64, 64));
  list_->setWordWrap(true);
  list_->setUniformItemSizes(false);
  list_->setToolTip(
      tr("Select one run to re-run it or compare it with its dense twin, "
         "or two runs to compare them"));

  open_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Open"), this);
  open_->setObjectName("historyOpenButton");
  open_->setToolTip(tr("Play this run in the player, ready to export (Enter)"));
  rerun_ = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Re-run"), this);
  rerun_->setObjectName("historyRerunButton");
  rerun_->setToolTip(tr("Load this run's settings and generate it again"));
  compare_ = new QPushButton(tr("Compare"), this);
  compare_->setObjectName("historyCompareButton");
  compare_->setToolTip(tr("Play two runs side by side with their PSNR/SSIM difference"));
  delete_ = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Delete"), this);
  delete_->setObjectName("historyDeleteButton");

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(open_);
  buttons->addWidget(rerun_);
  buttons->addWidget(compare_);
  buttons->addStretch(1);
  buttons->addWidget(delete_);
  // What loading the history had to repair stays in view until dismissed: a status-bar line
  // vanishes before anyone reads that their index was damaged.
  warning_ = new QLabel(store_->loadWarning(), this);
  warning_->setObjectName("historyWarning");
  warning_->setWordWrap(true);
  warning_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  warning_->setFrameShape(QFrame::StyledPanel);
  warning_->setVisible(!store_->loadWarning().isEmpty());
  auto* dismiss = new QPushButton(tr("Dismiss"), this);
  dismiss->setObjectName("historyWarningDismiss");
  dismiss->setVisible(warning_->isVisible());
  connect(dismiss, &QPushButton::clicked, this, [this, dismiss] {
    warning_->hide();
    dismiss->hide();
  });
  filter_ = new QLineEdit(this);
  filter_->setObjectName("historyFilter");
  filter_->setPlaceholderText(tr("Filter by prompt, method, model…"));
  filter_->setClearButtonEnabled(true);
  gallery_ = new QToolButton(this);
  gallery_->setObjectName("historyGallery");
  gallery_->setText(tr("Gallery"));
  gallery_->setCheckable(true);
  gallery_->setToolTip(tr("Show the runs as a grid of thumbnails"));
  auto* top = new QHBoxLayout;
  top->addWidget(filter_, 1);
  top->addWidget(gallery_);
  connect(filter_, &QLineEdit::textChanged, this, [this] { rebuild(); });
  connect(gallery_, &QToolButton::toggled, this, &HistoryPanel::setGallery);

  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(4, 4, 4, 4);
  column->addWidget(warning_);
  column->addLayout(top);
  column->addWidget(dismiss, 0, Qt::AlignRight);
  column->addWidget(list_, 1);
  column->addLayout(buttons);

  connect(open_, &QPushButton::clicked, this, &HistoryPanel::openSelected);
  connect(rerun_, &QPushButton::clicked, this, &HistoryPanel::rerunSelected);
  connect(compare_, &QPushButton::clicked, this, &HistoryPanel::compareSelected);
  connect(delete_, &QPushButton::clicked, this, [this] { deleteSelected(true); });
  connect(list_, &QListWidget::itemSelectionChanged, this, &HistoryPanel::updateButtons);
  connect(list_, &QListWidget::itemDoubleClicked, this, &HistoryPanel::openSelected);
  list_->installEventFilter(this);
  list_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(list_, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
    if (QListWidgetItem* item = list_->itemAt(at); item && !item->isSelected())
      selectIds({item->data(Qt::UserRole).toString()});
    QMenu* menu = contextMenu();
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(list_->viewport()->mapToGlobal(at));
  });
  connect(store_, &HistoryStore::changed, this, &HistoryPanel::rebuild);
  rebuild();
}

QString HistoryPanel::entryText(const HistoryEntry& e, const HistoryStore& store) {
  QString prompt = QString::fromStdString(e.request.prompt);
  if (prompt.isEmpty()) prompt = tr("(empty prompt)");
  const QString when = e.created.toString("yyyy-MM-dd hh:mm");
  QString quality;
  const HistoryEntry* twin = e.isDense() ? nullptr : store.denseTwin(e);
  const double speedup = twin ? HistoryStore::speedup(e, *twin) : -1;
  const QString speed = speedup > 0 ? tr("%1× the speed").arg(speedup, 0, 'f', 2) : QString();
  if (e.isDense())
    quality = tr("dense reference");
  else if (e.hasQuality())
    quality = tr("vs dense: %1 · PSNR %2 dB · SSIM %3")
                  .arg(speed)
                  .arg(e.psnr, 0, 'f', 2)
                  .arg(e.ssim, 0, 'f', 3);
  else if (twin)
    quality = tr("vs dense: %1 · quality being measured…").arg(speed);
  else
    quality = tr("no dense twin in the history: speed and quality against dense unknown");
  return tr("%1\n%2 · %3 s (attention %4 s, %5% computed) · %6\n%7 · %8")
      .arg(prompt, attentionLabel(e.request.attention))
      .arg(e.totalSeconds, 0, 'f', 1)
      .arg(e.attentionSeconds, 0, 'f', 1)
      .arg(100 * e.density, 0, 'f', 0)
      .arg(quality, clipLabel(e.request), when);
}

QIcon HistoryPanel::thumbnail(const QString& id) {
  auto it = thumbnails_.find(id);
  if (it != thumbnails_.end()) return *it;
  // A 96-pixel PNG: small enough to read here.
  const QIcon icon(QPixmap(store_->thumbnailPath(id)));
  thumbnails_.insert(id, icon);
  return icon;
}

void HistoryPanel::setFilter(const QString& text) {
  filter_->setText(text);  // rebuilds
}

void HistoryPanel::setGallery(bool gallery) {
  if (gallery_->isChecked() != gallery) {
    gallery_->setChecked(gallery);  // its toggled() calls back here with the state set
    return;
  }
  list_->setViewMode(gallery ? QListView::IconMode : QListView::ListMode);
  list_->setIconSize(gallery ? QSize(96, 96) : QSize(64, 64));
  list_->setResizeMode(QListView::Adjust);
  list_->setMovement(QListView::Static);
  list_->setGridSize(gallery ? QSize(124, 150) : QSize());
  rebuild();
}

bool HistoryPanel::isGallery() const {
  return list_->viewMode() == QListView::IconMode;
}

void HistoryPanel::rebuild() {
  const QStringList selected = selectedIds();
  const QStringList words = filter_->text().simplified().split(' ', Qt::SkipEmptyParts);
  {
    const QSignalBlocker block(list_);
    list_->clear();
    for (const HistoryEntry& e : store_->entries()) {
      const QString prompt = QString::fromStdString(e.request.prompt);
      const QString method = attentionLabel(e.request.attention);
      const QString searchable =
          QStringList{prompt, method, QString::fromStdString(e.request.attention.method),
                      e.modelLabel, e.device}
              .join(' ');
      const bool shown = std::all_of(words.begin(), words.end(), [&](const QString& w) {
        return searchable.contains(w, Qt::CaseInsensitive);
      });
      if (!shown) continue;
      const QString full = entryText(e, *store_);
      const QString caption =
          (prompt.size() > 28 ? prompt.left(27) + QStringLiteral("…") : prompt) + '\n' + method;
      auto* item = new QListWidgetItem(thumbnail(e.id), isGallery() ? caption : full, list_);
      item->setData(Qt::UserRole, e.id);
      item->setToolTip(isGallery() ? full : prompt);
    }
  }
  selectIds(selected);
  updateButtons();
}

QStringList HistoryPanel::selectedIds() const {
  QStringList ids;
  for (int i = 0; i < list_->count(); ++i)
    if (list_->item(i)->isSelected()) ids << list_->item(i)->data(Qt::UserRole).toString();
  return ids;
}

void HistoryPanel::selectIds(const QStringList& ids) {
  const QSignalBlocker block(list_);
  list_->clearSelection();
  for (int i = 0; i < list_->count(); ++i) {
    QListWidgetItem* item = list_->item(i);
    if (ids.contains(item->data(Qt::UserRole).toString())) {
      item->setSelected(true);
      list_->setCurrentItem(item, QItemSelectionModel::Select);
    }
  }
  updateButtons();
}

QStringList HistoryPanel::comparePair() const {
  const QStringList ids = selectedIds();
  if (ids.size() == 2) {
    // The dense run (or else the older one) goes on the left as the reference.
    const HistoryEntry* a = store_->find(ids[0]);
    const HistoryEntry* b = store_->find(ids[1]);
    if (!a || !b) return {};
    if (b->isDense() && !a->isDense()) return {ids[1], ids[0]};
    if (a->isDense() && !b->isDense()) return {ids[0], ids[1]};
    return a->created <= b->created ? QStringList{ids[0], ids[1]} : QStringList{ids[1], ids[0]};
  }
  if (ids.size() == 1) {
    const HistoryEntry* e = store_->find(ids[0]);
    const HistoryEntry* twin = e ? store_->denseTwin(*e) : nullptr;
    if (twin) return {twin->id, e->id};
  }
  return {};
}

bool HistoryPanel::eventFilter(QObject* watched, QEvent* event) {
  if (watched == list_ && event->type() == QEvent::KeyPress) {
    const int key = static_cast<QKeyEvent*>(event)->key();
    if (key == Qt::Key_Return || key == Qt::Key_Enter) {
      openSelected();
      return true;
    }
    if (key == Qt::Key_Delete) {
      deleteSelected(true);
      return true;
    }
  }
  return QWidget::eventFilter(watched, event);
}

QMenu* HistoryPanel::contextMenu() {
  auto* menu = new QMenu(this);
  menu->setObjectName("historyMenu");
  const QStringList ids = selectedIds();
  const bool one = ids.size() == 1;
  QAction* open = menu->addAction(tr("Open in the player"), this, &HistoryPanel::openSelected);
  open->setShortcut(Qt::Key_Return);
  open->setEnabled(one);
  QAction* exportRun = menu->addAction(tr("Export…"), this, [this, ids] {
    if (ids.size() == 1) emit exportRequested(ids.first());
  });
  exportRun->setEnabled(one);
  QAction* reveal = menu->addAction(tr("Show in folder"), this, [this, ids] {
    if (ids.size() == 1)
      QDesktopServices::openUrl(QUrl::fromLocalFile(store_->runFolder(ids.first())));
  });
  reveal->setEnabled(one);
  menu->addSeparator();
  menu->addAction(tr("Re-run"), this, &HistoryPanel::rerunSelected)->setEnabled(one);
  menu->addAction(tr("Compare"), this, &HistoryPanel::compareSelected)
      ->setEnabled(!comparePair().isEmpty());
  menu->addSeparator();
  QAction* remove = menu->addAction(tr("Delete…"), this, [this] { deleteSelected(true); });
  remove->setShortcut(QKeySequence::Delete);
  remove->setEnabled(!ids.isEmpty());
  return menu;
}

void HistoryPanel::openSelected() {
  const QStringList ids = selectedIds();
  if (ids.size() == 1) emit openRequested(ids.first());
}

void HistoryPanel::rerunSelected() {
  const QStringList ids = selectedIds();
  if (ids.size() != 1) return;
  if (const HistoryEntry* e = store_->find(ids[0])) emit rerunRequested(e->request);
}

void HistoryPanel::compareSelected() {
  const QStringList pair = comparePair();
  if (pair.size() == 2) emit compareRequested(pair[0], pair[1]);
}

void HistoryPanel::deleteSelected(bool confirm) {
  const QStringList ids = selectedIds();
  if (ids.isEmpty()) return;
  if (confirm &&
      QMessageBox::question(
          this, tr("Delete runs"),
          tr("Delete %n run(s) and their frames from the history?", nullptr, int(ids.size())),
          QMessageBox::Yes | QMessageBox::No, QMessageBox::No) != QMessageBox::Yes)
    return;
  for (const QString& id : ids) {
    thumbnails_.remove(id);
    store_->remove(id);
  }
}

void HistoryPanel::updateButtons() {
  const int n = int(selectedIds().size());
  open_->setEnabled(n == 1);
  rerun_->setEnabled(n == 1);
  delete_->setEnabled(n > 0);
  const bool canCompare = !comparePair().isEmpty();
  compare_->setEnabled(canCompare);
  compare_->setToolTip(canCompare ? tr("Play the two runs side by side with their PSNR/SSIM")
                                  : tr("Select two runs, or one that has a dense twin"));
}

}  // namespace svgen::ui
