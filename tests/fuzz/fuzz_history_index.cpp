// libFuzzer: any bytes as the studio's history index (index.json) beside one real run folder.
// Loading must never crash, list an entry whose id is not a plain name, or lose the run on disk.
#include "ui/history_store.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static int argc = 1;
  static char name[] = "fuzz_history_index";
  static char* argv[] = {name, nullptr};
  static QCoreApplication app(argc, argv);
  static const QString folder =
      QDir::tempPath() +
      QStringLiteral("/svgen-fuzz-history-%1").arg(QCoreApplication::applicationPid());
  QDir(folder).removeRecursively();
  QDir().mkpath(folder + "/20260101-000000-000-1");
  QFile run(folder + "/20260101-000000-000-1/run.json");
  if (!run.open(QIODevice::WriteOnly)) return 0;
  run.write(R"({"id": "20260101-000000-000-1", "created": "2026-01-01T00:00:00.000",
               "request": {"prompt": "a red circle"}, "frames": 3})");
  run.close();
  QFile index(folder + "/index.json");
  if (!index.open(QIODevice::WriteOnly)) return 0;
  index.write(reinterpret_cast<const char*>(data), static_cast<qint64>(size));
  index.close();

  svgen::ui::HistoryStore store(folder);
  bool keptTheRun = false;
  for (const svgen::ui::HistoryEntry& e : store.entries()) {
    if (!svgen::ui::HistoryStore::isPlainId(e.id)) std::abort();
    keptTheRun |= e.id == "20260101-000000-000-1";
  }
  if (!keptTheRun) std::abort();
  return 0;
}
