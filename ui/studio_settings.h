// Where the studio keeps what it remembers between sessions. One place names the file and the
// keys, so that panels added later do not invent their own locations.
#pragma once
#include <QSettings>

#include <memory>

namespace svgen::ui {

inline constexpr char kOrganisation[] = "svgen";
inline constexpr char kApplication[] = "Sparse VideoGen Studio";

// An INI file in the user's config folder. Tests redirect it with
// QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, folder).
std::unique_ptr<QSettings> openStudioSettings();

namespace keys {
inline constexpr char kGeometry[] = "window/geometry";
inline constexpr char kState[] = "window/state";
inline constexpr char kRequest[] = "run/request";  // requestToJson of the last settings
// The last checkpoint folder chosen (the chosen model itself is kRequest's "model").
inline constexpr char kModelFolder[] = "model/folder";
inline constexpr char kSeedLocked[] = "run/seedLocked";
inline constexpr char kLoop[] = "player/loop";
inline constexpr char kExportDir[] = "export/lastFolder";
inline constexpr char kLightTheme[] = "appearance/light";
// The jobs waiting in the queue: a list of requestToJson, first to run first.
inline constexpr char kQueue[] = "queue/jobs";
// MiB of compressed attention records the history keeps (HistoryStore::setRecordBudgetMiB).
inline constexpr char kHistoryRecordBudget[] = "history/recordBudgetMiB";
// The Sparsity dock: the method here, each parameter under "sparsity/<its name>" (SparsityPanel).
inline constexpr char kSparsityMethod[] = "sparsity/method";
}  // namespace keys

}  // namespace svgen::ui
