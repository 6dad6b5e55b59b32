#include "ui/run_summary.h"

#include "core/attention/method_registry.h"

#include <QCoreApplication>

namespace svgen::ui {

namespace {

QString tr(const char* text) {
  return QCoreApplication::translate("RunSummary", text);
}

QString orDefault(int value) {
  return value > 0 ? QString::number(value) : tr("default");
}

}  // namespace

QString methodLabel(const AttentionConfig& attention) {
  if (attention.method.empty()) return tr("Dense");
  const MethodDescriptor* m = findAttentionMethod(attention.method);
  return m ? QString::fromStdString(m->label) : QString::fromStdString(attention.method).toUpper();
}

QString budgetLabel(const AttentionConfig& a) {
  return QString::fromStdString(attentionBudgetLabel(a));
}

QString attentionLabel(const AttentionConfig& attention) {
  const QString budget = budgetLabel(attention);
  return budget.isEmpty() ? methodLabel(attention) : methodLabel(attention) + ' ' + budget;
}

QString clipLabel(const GenerationRequest& r) {
  const QString size = r.width > 0 && r.height > 0
                           ? QStringLiteral("%1×%2").arg(r.width).arg(r.height)
                           : tr("default size");
  return tr("%1 frames %2, %3 steps, seed %4")
      .arg(orDefault(r.frames), size, orDefault(r.steps))
      .arg(r.seed);
}

QString briefMessage(const QString& message) {
  constexpr int kLength = 90;
  return message.size() > kLength ? message.left(kLength) + QStringLiteral("…") : message;
}

}  // namespace svgen::ui
