// The run queue kept across restarts: each waiting job's full request (requestToJson), in queue
// order, under one QSettings key. Restored jobs wait for the user to press Run: a queue that
// started by itself could fill the GPU before anyone looked at it.
#pragma once
class QSettings;

namespace svgen::ui {

class RunQueue;

void saveQueue(QSettings& settings, const RunQueue& queue);
// Appends the stored jobs to `queue`; an entry that no longer parses (another version, a hand
// edit) is skipped with a warning. Returns how many were skipped.
int restoreQueue(const QSettings& settings, RunQueue& queue);

}  // namespace svgen::ui
