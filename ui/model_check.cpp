#include "ui/model_check.h"

#include "core/pipeline/engine.h"
#include "ui/model_label.h"

#include <QCoreApplication>
#include <QStringList>

namespace svgen::ui {

namespace {

QString tr(const char* text) {
  return QCoreApplication::translate("svgen::ui::ModelCheck", text);
}

QString fromStd(const std::string& s) {
  return QString::fromStdString(s);
}

QString joined(const std::vector<std::string>& items, const QString& separator) {
  QStringList out;
  for (const auto& i : items) out << fromStd(i);
  return out.join(separator);
}

QString componentLine(const QString& name, const InspectedComponent& c, bool needed) {
  if (!c.found) {
    QString line = name + ": " + (needed ? tr("MISSING") : tr("none"));
    if (!c.problem.empty()) line += " (" + fromStd(c.problem) + ")";
    return line;
  }
  QStringList parts = {fromStd(c.format)};
  if (!c.dtypes.empty()) parts << joined(c.dtypes, " ");
  if (c.parameters >= 0)
    parts << tr("%1 parameters").arg(fromStd(parameterCountText(c.parameters)));
  if (!c.detail.empty()) parts << fromStd(c.detail);
  QString line = name + ": " + (c.readable ? QString() : tr("UNREADABLE ")) + fromStd(c.path) +
                 "\n    " + parts.join("; ");
  if (!c.problem.empty()) line += "\n    " + fromStd(c.problem);
  return line;
}

// Why a part text-to-video needs cannot be used: its problem (which names the file) when it was
// found, or that it is not there.
QString missingReason(const std::string& part, const CheckpointInspection& r) {
  const InspectedComponent* c = r.component(part);
  if (!c) return tr("%1: not found").arg(fromStd(part));
  if (!c->problem.empty()) return fromStd(part) + ": " + fromStd(c->problem);
  if (c->found && !c->readable)
    return tr("%1: %2 cannot be read").arg(fromStd(part), fromStd(c->path));
  return tr("%1: not found").arg(fromStd(part));
}

void describeInto(ModelCheck& check, const std::string& model, const ModelDescriber& describe) {
  try {
    check.info = describe(model);
  } catch (const std::exception& e) {
    check.refusal = fromStd(e.what());
  }
}

}  // namespace

ModelCheck checkModel(const QString& model, const ModelDescriber& describe) {
  ModelCheck check;
  const std::string id = model.toStdString();
  if (model == "builtin") {
    describeInto(check, id, describe);
    check.summary = check.runnable() ? modelLabel(check.info) : tr("Built-in model unavailable");
    check.details = check.runnable() ? fromStd(check.info.description) : check.refusal;
    return check;
  }

  CheckpointInspection r;
  try {
    r = Engine::inspect(id);
  } catch (const std::exception& e) {
    check.summary = tr("Nothing usable in this folder");
    check.recognised = false;
    check.refusal = fromStd(e.what());
    check.details = check.refusal;
    return check;
  }
  QStringList summary = {fromStd(r.layout)};
  // wanModelName says "custom" for a DiT of no published size (the test fixtures, a distillate).
  if (r.modelName == "custom")
    summary << tr("%1, custom size").arg(fromStd(r.familyLabel));
  else if (!r.modelName.empty())
    summary << fromStd(r.modelName);
  if (r.transformer.parameters >= 0)
    summary << tr("%1 parameters").arg(fromStd(parameterCountText(r.transformer.parameters)));
  if (!r.transformer.dtypes.empty()) summary << joined(r.transformer.dtypes, "/");
  if (!r.missing.empty()) summary << tr("missing %1").arg(joined(r.missing, ", "));
  check.summary = summary.join(QStringLiteral(" · "));

  QStringList details = {fromStd(r.path), tr("Layout: %1").arg(fromStd(r.layoutDescription)),
                         componentLine(tr("Transformer"), r.transformer, true),
                         componentLine(tr("Text encoder"), r.textEncoder, true),
                         componentLine(tr("Tokenizer"), r.tokenizer, true)};
  if (r.layout == "hunyuan-diffusers")
    details << componentLine(tr("Text encoder 2"), r.textEncoder2, true)
            << componentLine(tr("Tokenizer 2"), r.tokenizer2, true);
  details << componentLine(tr("VAE"), r.vae, r.vaeNeeded);
  for (const auto& c : r.configConflicts) details << tr("Config conflict: %1").arg(fromStd(c));
  for (const auto& n : r.notes) details << tr("Note: %1").arg(fromStd(n));
  check.details = details.join('\n');

  if (!r.missing.empty()) {
    QStringList reasons;
    for (const auto& part : r.missing) reasons << missingReason(part, r);
    check.refusal = tr("Text-to-video needs every part: %1").arg(reasons.join("; "));
    return check;
  }
  // Complete on disk, but the engine may still not run this layout: it says why.
  describeInto(check, id, describe);
  return check;
}

}  // namespace svgen::ui
