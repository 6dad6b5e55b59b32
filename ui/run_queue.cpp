#include "ui/run_queue.h"

namespace svgen::ui {

RunQueue::RunQueue(QObject* parent) : QObject(parent) {}

int RunQueue::indexOf(int id) const {
  for (int i = 0; i < jobs_.size(); ++i)
    if (jobs_[i].id == id) return i;
  return -1;
}

int RunQueue::add(const GenerationRequest& request) {
  const int id = nextId_++;
  jobs_.push_back({id, request});
  emit changed();
  return id;
}

void RunQueue::addAll(const QVector<GenerationRequest>& requests) {
  if (requests.isEmpty()) return;
  for (const GenerationRequest& request : requests) jobs_.push_back({nextId_++, request});
  emit changed();
}

bool RunQueue::remove(int index) {
  if (index < 0 || index >= jobs_.size()) return false;
  jobs_.removeAt(index);
  emit changed();
  return true;
}

bool RunQueue::move(int from, int to) {
  if (from < 0 || from >= jobs_.size() || to < 0 || to >= jobs_.size()) return false;
  if (from == to) return true;
  jobs_.move(from, to);
  emit changed();
  return true;
}

void RunQueue::reorder(const QVector<int>& ids) {
  QVector<QueuedJob> ordered;
  QVector<QueuedJob> rest = jobs_;
  for (int id : ids)
    for (int i = 0; i < rest.size(); ++i)
      if (rest[i].id == id) {
        ordered.push_back(rest.takeAt(i));
        break;
      }
  ordered += rest;
  jobs_ = ordered;
  emit changed();
}

QueuedJob RunQueue::takeFirst() {
  if (jobs_.isEmpty()) return {};
  QueuedJob job = jobs_.takeFirst();
  emit changed();
  return job;
}

void RunQueue::clear() {
  if (jobs_.isEmpty()) return;
  jobs_.clear();
  emit changed();
}

void RunQueue::setActive(bool active) {
  if (active_ == active) return;
  active_ = active;
  emit activeChanged(active);
}

}  // namespace svgen::ui
