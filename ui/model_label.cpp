#include "ui/model_label.h"

#include <QCoreApplication>

namespace svgen::ui {

QString modelLabel(const ModelInfo& info) {
  QString label = QString::fromStdString(info.label.empty() ? info.id : info.label);
  if (label.isEmpty()) return QCoreApplication::translate("svgen::ui", "no model");
  if (!info.trained && !label.contains("untrained", Qt::CaseInsensitive))
    label += QCoreApplication::translate("svgen::ui", " (untrained)");
  return label;
}

}  // namespace svgen::ui
