// A history index written by hand (tests of the studio's plots and panels that need past runs
// without running them).
#pragma once
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace svgen::test {

// Writes `runs` as the history index in `folder`; false when the file cannot be written.
inline bool writeHistoryIndex(const QString& folder, const QJsonArray& runs) {
  QFile index(folder + "/index.json");
  const QByteArray json = QJsonDocument(QJsonObject{{"runs", runs}}).toJson();
  return index.open(QIODevice::WriteOnly) && index.write(json) == json.size();
}

}  // namespace svgen::test
