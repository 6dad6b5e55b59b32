#include "ui/field_notice.h"

#include "ui/stepped_spin_box.h"

#include <QDoubleSpinBox>
#include <QKeyEvent>
#include <QLocale>
#include <QSpinBox>
#include <QTimer>
#include <QToolTip>

#include <cmath>

namespace svgen::ui {

namespace {

const char kNoticeProperty[] = "adjustmentNotice";

QString typedText(const QAbstractSpinBox* box) {
  if (auto* d = qobject_cast<const QDoubleSpinBox*>(box)) return d->cleanText();
  if (auto* i = qobject_cast<const QSpinBox*>(box)) return i->cleanText();
  return {};
}

}  // namespace

void FieldNotice::attach(QAbstractSpinBox* box) {
  box->installEventFilter(new FieldNotice(box));
}

void FieldNotice::attachAll(QObject* root) {
  for (QAbstractSpinBox* box : root->findChildren<QAbstractSpinBox*>()) attach(box);
}

bool FieldNotice::eventFilter(QObject* watched, QEvent* event) {
  auto* box = qobject_cast<QAbstractSpinBox*>(watched);
  if (box && event->type() == QEvent::KeyPress) {
    const QString key = static_cast<QKeyEvent*>(event)->text();
    if (key.size() == 1 && (key[0].isDigit() || key == "." || key == "," || key == "-")) {
      // Let the box take the key now: one it refuses leaves the text as it was, and then what
      // the user meant is said.
      const QString before = typedText(box);
      static_cast<QObject*>(box)->event(event);
      bool ok = false;
      QLocale().toDouble(before + key, &ok);
      if (typedText(box) == before && ok) {
        auto* d = qobject_cast<QDoubleSpinBox*>(box);
        auto* i = qobject_cast<QSpinBox*>(box);
        const QString low = d ? d->textFromValue(d->minimum()) : QString::number(i->minimum());
        const QString high = d ? d->textFromValue(d->maximum()) : QString::number(i->maximum());
        refused_ = tr("%1 is outside %2 to %3").arg(before + key, low, high);
        show(box, refused_);
      }
      return true;
    }
  }
  const bool ends = event->type() == QEvent::FocusOut ||
                    (event->type() == QEvent::KeyPress &&
                     (static_cast<QKeyEvent*>(event)->key() == Qt::Key_Return ||
                      static_cast<QKeyEvent*>(event)->key() == Qt::Key_Enter));
  if (box && ends) {
    // Read what was typed now, compare with what the box keeps once it has handled the event.
    const QString typed = typedText(box);
    QTimer::singleShot(0, box, [this, box, typed] { check(box, typed); });
  }
  return QObject::eventFilter(watched, event);
}

void FieldNotice::check(QAbstractSpinBox* box, const QString& typed) {
  bool ok = false;
  const double value = QLocale().toDouble(typed, &ok);
  if (!ok) return;  // not a number: the box restores its value, which the user sees
  QString notice;
  if (auto* d = qobject_cast<QDoubleSpinBox*>(box)) {
    const double kept = d->value();
    if (std::fabs(value - kept) > 0.5 * std::pow(10.0, -d->decimals()))
      notice = tr("%1 is outside %2 to %3: kept %4")
                   .arg(typed, d->textFromValue(d->minimum()), d->textFromValue(d->maximum()),
                        d->textFromValue(kept));
  } else if (auto* i = qobject_cast<QSpinBox*>(box)) {
    const int kept = i->value();
    if (value != kept) {
      auto* grid = qobject_cast<SteppedSpinBox*>(box);
      if (grid && grid->multiple() > 1 && value >= i->minimum() && value <= i->maximum())
        notice = grid->offset() > 0
                     ? tr("%1 is not %2k+%3, which this model needs: kept the nearest, %4")
                           .arg(typed)
                           .arg(grid->multiple())
                           .arg(grid->offset())
                           .arg(kept)
                     : tr("%1 is not a multiple of %2, which this model needs: kept the nearest, "
                          "%3")
                           .arg(typed)
                           .arg(grid->multiple())
                           .arg(kept);
      else
        notice = tr("%1 is outside %2 to %3: kept %4")
                     .arg(typed)
                     .arg(i->minimum())
                     .arg(i->maximum())
                     .arg(kept);
    }
  }
  if (notice.isEmpty() && !refused_.isEmpty()) notice = refused_ + tr(": kept %1").arg(box->text());
  refused_.clear();
  show(box, notice);
}

void FieldNotice::show(QAbstractSpinBox* box, const QString& notice) {
  box->setProperty(kNoticeProperty, notice);
  if (!notice.isEmpty())
    QToolTip::showText(box->mapToGlobal(QPoint(0, box->height())), notice, box);
}

}  // namespace svgen::ui
