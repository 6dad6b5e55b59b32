#include "ui/main_window.h"

#include "core/common/error.h"
#include "core/io/video_reader.h"
#include "core/pipeline/request_json.h"
#include "ui/attention_explorer.h"
#include "ui/compare_player.h"
#include "ui/error_dialog.h"
#include "ui/field_notice.h"
#include "ui/history_panel.h"
#include "ui/history_store.h"
#include "ui/key_ownership.h"
#include "ui/model_label.h"
#include "ui/model_picker.h"
#ifdef SVGEN_HAVE_PLOTS
#include "ui/plots_panel.h"
#endif
#include "ui/player_widget.h"
#include "ui/prompt_panel.h"
#include "ui/queue_panel.h"
#include "ui/queue_runner.h"
#include "ui/run_panel.h"
#include "ui/run_queue.h"
#include "ui/run_summary.h"
#include "ui/shortcuts_dialog.h"
#include "ui/sparsity_panel.h"
#include "ui/studio_controller.h"
#include "ui/studio_settings.h"
#include "ui/time_format.h"
#include "ui/video_exporter.h"
#include "ui/video_images.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScrollArea>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QtConcurrent>

namespace svgen::ui {

namespace {

// Bump when docks are added, renamed or removed, so an old saved layout is ignored, not
// misapplied. 2: the Sparsity dock. 3: the Attention dock. 4: the History dock. 5: the Plots
// dock.
constexpr int kLayoutVersion = 5;
constexpr int kStatusMessageMs = 8000;

bool isClipFile(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  return QStringList{"mp4", "mov", "m4v", "y4m", "png"}.contains(suffix);
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      controller_(new StudioController(this)),
      exporter_(new VideoExporter(this)),
      player_(new PlayerWidget(this)),
      prompt_(new PromptPanel(this)),
      run_(new RunPanel(this)),
      sparsity_(new SparsityPanel(this)),
      explorer_(new AttentionExplorer(this)),
      queue_(new RunQueue(this)),
      history_(new HistoryStore({}, this)),
      historyPanel_(new HistoryPanel(history_, this)) {
  setObjectName("mainWindow");
  setWindowTitle(tr("Sparse VideoGen Studio"));
  setAcceptDrops(true);
  setDockOptions(AnimatedDocks | AllowTabbedDocks | AllowNestedDocks);
  setCentralWidget(player_);

  buildActions();
  buildDocks();
  buildMenus();
  buildStatusBar();
  connectController();

  prompt_->setDevices(controller_->devices());
  ModelPicker* picker = prompt_->modelPicker();
  picker->setDescriber(
      [this](const std::string& model) { return controller_->describeModel(model); });
  connect(picker, &ModelPicker::accepted, this, &MainWindow::onModelAccepted);
  connect(picker, &ModelPicker::runnableChanged, this,
          [this, picker](bool runnable, const QString& refusal) {
            run_->setBlockedReason(refusal);
            if (!runnable) {
              modelStatus_->setText(
                  tr("Model: %1 (cannot run)").arg(QFileInfo(picker->model()).fileName()));
              modelStatus_->setToolTip(refusal);
            }
            updateActions();
          });
  KeyOwnership::install(this);
  FieldNotice::attachAll(prompt_);
  FieldNotice::attachAll(sparsity_);
  setModel("builtin");
  resize(1280, 800);
  defaultState_ = saveState(kLayoutVersion);
  restoreSettings();
  if (const int skipped = queueRunner_->restore()) {
    // Said once: the saved queue is rewritten without them.
    statusBar()->showMessage(
        tr("%n queued job(s) from the last session could not be read and were dropped", nullptr,
           skipped),
        kStatusMessageMs * 2);
  }
  // Once the window has its size (and whenever it changes, until a saved layout is restored): the
  // prompt settings keep the height they need, the Sparsity dock takes the rest (and scrolls when
  // that is not enough).
  if (!layoutRestored_) QTimer::singleShot(0, this, &MainWindow::fitLeftDocks);
  updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions() {
  exportAction_ = new QAction(
      VideoExporter::mp4Available() ? tr("&Export MP4…") : tr("&Export video (Y4M)…"), this);
  exportAction_->setObjectName("exportAction");
  exportAction_->setShortcut(tr("Ctrl+E"));
  connect(exportAction_, &QAction::triggered, this, &MainWindow::exportWithDialog);

  loadSettingsAction_ = new QAction(tr("&Load settings from clip…"), this);
  loadSettingsAction_->setObjectName("loadSettingsAction");
  loadSettingsAction_->setShortcut(QKeySequence::Open);
  loadSettingsAction_->setToolTip(
      tr("Restore the settings a clip was made with (or drop it here)"));
  connect(loadSettingsAction_, &QAction::triggered, this, &MainWindow::loadSettingsWithDialog);

  quitAction_ = new QAction(tr("&Quit"), this);
  quitAction_->setObjectName("quitAction");
  quitAction_->setShortcut(QKeySequence::Quit);
  quitAction_->setMenuRole(QAction::QuitRole);
  connect(quitAction_, &QAction::triggered, this, &QWidget::close);

  generateAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Generate"), this);
  generateAction_->setObjectName("generateAction");
  generateAction_->setShortcuts(
      {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
  connect(generateAction_, &QAction::triggered, this, &MainWindow::generate);

  cancelAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaStop), tr("&Cancel"), this);
  cancelAction_->setObjectName("cancelAction");
  cancelAction_->setShortcut(Qt::Key_Escape);
  connect(cancelAction_, &QAction::triggered, this, &MainWindow::cancel);

  addToQueueAction_ =
      new QAction(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add to &queue"), this);
  addToQueueAction_->setObjectName("addToQueueAction");
  addToQueueAction_->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return),
                                   QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Enter)});
  addToQueueAction_->setToolTip(tr("Add the current settings to the queue (Ctrl+Shift+Return)"));
  connect(addToQueueAction_, &QAction::triggered, this, &MainWindow::addToQueue);

  resetLayoutAction_ = new QAction(tr("&Reset layout"), this);
  resetLayoutAction_->setObjectName("resetLayoutAction");
  connect(resetLayoutAction_, &QAction::triggered, this, &MainWindow::resetLayout);

  shortcutsAction_ = new QAction(tr("&Keyboard shortcuts"), this);
  shortcutsAction_->setObjectName("shortcutsAction");
  shortcutsAction_->setShortcut(QKeySequence::HelpContents);
  connect(shortcutsAction_, &QAction::triggered, this, &MainWindow::showShortcuts);

  aboutAction_ = new QAction(tr("&About Sparse VideoGen Studio"), this);
  aboutAction_->setObjectName("aboutAction");
  aboutAction_->setMenuRole(QAction::AboutRole);
  connect(aboutAction_, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(exportAction_);
  file->addAction(loadSettingsAction_);
  file->addSeparator();
  file->addAction(quitAction_);

  QMenu* runMenu = menuBar()->addMenu(tr("&Run"));
  runMenu->addAction(generateAction_);
  runMenu->addAction(cancelAction_);
  runMenu->addSeparator();
  runMenu->addAction(addToQueueAction_);

  QMenu* playback = menuBar()->addMenu(tr("&Playback"));
  playback->addAction(player_->playAction());
  playback->addAction(player_->previousAction());
  playback->addAction(player_->nextAction());

  viewMenu_ = menuBar()->addMenu(tr("&View"));
  for (QDockWidget* dock :
       {promptDock_, sparsityDock_, runDock_, attentionDock_, historyDock_, plotsDock_})
    if (dock) viewMenu_->addAction(dock->toggleViewAction());
  viewMenu_->addSeparator();
  viewMenu_->addAction(resetLayoutAction_);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(shortcutsAction_);
  help->addAction(aboutAction_);
}

QDockWidget* MainWindow::addPanelDock(QWidget* panel, const QString& title,
                                      const QString& objectName, Qt::DockWidgetArea area) {
  auto* dock = new QDockWidget(title, this);
  // saveState()/restoreState() find docks by objectName: it must be unique and never change.
  dock->setObjectName(objectName);
  auto* scroll = new QScrollArea(dock);
  scroll->setWidget(panel);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  dock->setWidget(scroll);
  addDockWidget(area, dock);
  return dock;
}

void MainWindow::buildDocks() {
  prompt_->setObjectName("promptPanel");
  run_->setObjectName("runPanel");
  sparsity_->setObjectName("sparsityPanel");
  // Dock titles show '&' as it is; menu entries need it doubled.
  promptDock_ =
      addPanelDock(prompt_, tr("Prompt & settings"), "promptDock", Qt::LeftDockWidgetArea);
  queuePanel_ = new QueuePanel(queue_, addToQueueAction_, run_);
  queuePanel_->setObjectName("queuePanel");
  run_->setQueuePanel(queuePanel_);
  runDock_ = addPanelDock(run_, tr("Run"), "runDock", Qt::RightDockWidgetArea);
  // Under the prompt settings: both say how the next run goes.
  sparsityDock_ = addPanelDock(sparsity_, tr("Sparsity"), "sparsityDock", Qt::LeftDockWidgetArea);
  splitDockWidget(promptDock_, sparsityDock_, Qt::Vertical);
  // A tab beside the Run dock: the run's progress while it runs, what its attention decided after.
  explorer_->setObjectName("attentionExplorer");
  attentionDock_ =
      addPanelDock(explorer_, tr("Attention"), "attentionDock", Qt::RightDockWidgetArea);
  tabifyDockWidget(runDock_, attentionDock_);
  runDock_->raise();
  historyPanel_->setObjectName("historyPanel");
  // A third tab on the right: the side docks keep their height for the settings, and the compare
  // player opens in a window of its own.
  historyDock_ = new QDockWidget(tr("History"), this);
  historyDock_->setObjectName("historyDock");
  historyDock_->setWidget(historyPanel_);
  addDockWidget(Qt::RightDockWidgetArea, historyDock_);
  tabifyDockWidget(attentionDock_, historyDock_);
#ifdef SVGEN_HAVE_PLOTS
  plots_ = new PlotsPanel(history_, this);
  plots_->setObjectName("plotsPanel");
  plotsDock_ = new QDockWidget(tr("Plots"), this);
  plotsDock_->setObjectName("plotsDock");
  plotsDock_->setWidget(plots_);
  addDockWidget(Qt::RightDockWidgetArea, plotsDock_);
  tabifyDockWidget(historyDock_, plotsDock_);
  plotsDock_->toggleViewAction()->setText(tr("Plots"));
#endif
  runDock_->raise();
  promptDock_->toggleViewAction()->setText(tr("Prompt && settings panel"));
  runDock_->toggleViewAction()->setText(tr("Run panel"));
  sparsityDock_->toggleViewAction()->setText(tr("Sparsity panel"));
  attentionDock_->toggleViewAction()->setText(tr("Attention explorer"));
  historyDock_->toggleViewAction()->setText(tr("History"));
  resizeDocks({promptDock_, runDock_}, {360, 340}, Qt::Horizontal);
}

void MainWindow::buildStatusBar() {
  modelStatus_ = new QLabel(this);
  modelStatus_->setObjectName("modelStatus");
  deviceStatus_ = new QLabel(this);
  deviceStatus_->setObjectName("deviceStatus");
  statusBar()->addPermanentWidget(modelStatus_);
  statusBar()->addPermanentWidget(deviceStatus_);
  updateDeviceStatus(prompt_->deviceDescription());
  connect(prompt_, &PromptPanel::deviceChanged, this,
          [this] { updateDeviceStatus(prompt_->deviceDescription()); });
  connect(prompt_, &PromptPanel::edited, this, &MainWindow::updateSparsityClip);
  // What these settings measured before, against dense: new settings or a new run change it.
  connect(sparsity_, &SparsityPanel::edited, this, &MainWindow::updateMeasuredSpeed);
  connect(history_, &HistoryStore::changed, this, &MainWindow::updateMeasuredSpeed);
}

void MainWindow::connectController() {
  connect(controller_, &StudioController::runningChanged, this, &MainWindow::onRunningChanged);
  connect(controller_, &StudioController::stageChanged, run_, &RunPanel::showStage);
  connect(controller_, &StudioController::progress, run_, &RunPanel::showProgress);
  connect(controller_, &StudioController::layer, run_, &RunPanel::showLayer);
  connect(controller_, &StudioController::phase, run_, &RunPanel::showPhase);
  connect(controller_, &StudioController::preview, run_, &RunPanel::showPreview);
  connect(controller_, &StudioController::finished, this, &MainWindow::onFinished);
  connect(controller_, &StudioController::failed, this, &MainWindow::onFailed);
  connect(controller_, &StudioController::cancelled, this, &MainWindow::onCancelled);
  // After the window's own handlers, so a paused queue's message is the one that stays.
  queueRunner_ = new QueueRunner(queue_, controller_, this);
  connect(queueRunner_, &QueueRunner::message, this, [this](const QString& text, int milliseconds) {
    statusBar()->showMessage(text, milliseconds);
  });
  connect(run_, &RunPanel::generateClicked, this, &MainWindow::generate);
  connect(run_, &RunPanel::cancelClicked, this, &MainWindow::cancel);
  connect(exporter_, &VideoExporter::finished, this, &MainWindow::onExportFinished);
  connect(queuePanel_, &QueuePanel::runToggled, this, &MainWindow::setQueueRunning);
  connect(historyPanel_, &HistoryPanel::rerunRequested, this, &MainWindow::rerun);
  connect(historyPanel_, &HistoryPanel::compareRequested, this, &MainWindow::compareRuns);
  connect(historyPanel_, &HistoryPanel::openRequested, this,
          [this](const QString& id) { openRun(id); });
  connect(historyPanel_, &HistoryPanel::exportRequested, this,
          [this](const QString& id) { openRun(id, true); });
  connect(history_, &HistoryStore::failed, this,
          [this](const QString& message) { statusBar()->showMessage(message, kStatusMessageMs); });
  connect(history_, &HistoryStore::recordsEvicted, this, [this](int, const QString& message) {
    statusBar()->showMessage(message, kStatusMessageMs);
  });
  history_->setRecordBudgetMiB(
      openStudioSettings()->value(keys::kHistoryRecordBudget, 512.0).toDouble());
}

bool MainWindow::setModel(const std::string& model) {
  ModelPicker* picker = prompt_->modelPicker();
  if (picker->choose(QString::fromStdString(model))) return true;
  showError(tr("The model could not be opened"), picker->check().refusal, FailureKind::Input);
  return false;
}

void MainWindow::onModelAccepted(const ModelInfo& info) {
  prompt_->setModelInfo(info);
  updateSparsityClip();
  modelStatus_->setText(tr("Model: %1").arg(modelLabel(info)));
  modelStatus_->setToolTip(QString::fromStdString(info.description));
}

ComparePlayer* MainWindow::comparePlayer() const {
  return compare_;
}

ErrorDialog* MainWindow::errorDialog() const {
  return errorDialog_;
}

bool MainWindow::isExporting() const {
  return exporter_->isBusy();
}

void MainWindow::saveSettings() const {
  auto settings = openStudioSettings();
  settings->setValue(keys::kGeometry, saveGeometry());
  settings->setValue(keys::kState, saveState(kLayoutVersion));
  // The prompt panel's fields; the Sparsity dock keeps the attention under its own keys.
  settings->setValue(keys::kRequest, QString::fromStdString(requestToJson(prompt_->request())));
  sparsity_->saveSettings(*settings);
  settings->setValue(keys::kSeedLocked, prompt_->seedLocked());
  settings->setValue(keys::kModelFolder, prompt_->modelPicker()->folder());
  settings->setValue(keys::kLoop, player_->loops());
}

void MainWindow::restoreSettings() {
  auto settings = openStudioSettings();
  if (settings->contains(keys::kGeometry))
    restoreGeometry(settings->value(keys::kGeometry).toByteArray());
  if (settings->contains(keys::kState))
    layoutRestored_ = restoreState(settings->value(keys::kState).toByteArray(), kLayoutVersion);
  prompt_->setSeedLocked(settings->value(keys::kSeedLocked, true).toBool());
  player_->setLoop(settings->value(keys::kLoop, true).toBool());
  sparsity_->restoreSettings(*settings);
  prompt_->modelPicker()->setFolder(settings->value(keys::kModelFolder).toString());
  const QString json = settings->value(keys::kRequest).toString();
  if (json.isEmpty()) return;
  try {
    const GenerationRequest request = requestFromJson(json.toStdString());
    // A folder that can no longer run says why in its row; no dialog before the window shows.
    if (request.model != prompt_->modelPicker()->model().toStdString())
      prompt_->modelPicker()->choose(QString::fromStdString(request.model));
    prompt_->setRequest(request);
    updateSparsityClip();
  } catch (const std::exception&) {
    // Settings from another version that no longer parse: start from the model's defaults.
  }
}

GenerationRequest MainWindow::currentRequest() const {
  GenerationRequest request = prompt_->request();
  request.attention = sparsity_->config();
  return request;
}

bool MainWindow::applyRequest(const GenerationRequest& request) {
  const ModelPicker* picker = prompt_->modelPicker();
  // Chosen again when refused: the folder may have been fixed since, or the request names another.
  if ((request.model != picker->model().toStdString() || !picker->isRunnable()) &&
      !setModel(request.model))
    return false;
  prompt_->setRequest(request);
  sparsity_->setConfig(request.attention);
  updateSparsityClip();
  prompt_->setSeedLocked(true);  // the point of restoring is to get the same clip again
  return true;
}

void MainWindow::rerun(const GenerationRequest& request) {
  if (!applyRequest(request)) return;
  if (controller_->isRunning()) {
    statusBar()->showMessage(tr("Settings loaded; Generate when the running job ends"),
                             kStatusMessageMs);
    return;
  }
  generate();
}

void MainWindow::openRun(const QString& id, bool thenExport) {
  const HistoryEntry* found = history_->find(id);
  if (!found) return;
  const HistoryEntry entry = *found;
  const QString folder = history_->runFolder(id);
  struct Loaded {
    Video video;
    std::shared_ptr<const std::vector<CallRecord>> record;
  };
  auto* watcher = new QFutureWatcher<Loaded>(this);
  connect(watcher, &QFutureWatcher<Loaded>::finished, this, [this, watcher, entry, thenExport] {
    watcher->deleteLater();
    const Loaded loaded = watcher->result();
    const Video& video = loaded.video;
    if (video.empty() || video.frames != entry.frames) {
      statusBar()->showMessage(tr("The frames of this run are missing or damaged in %1")
                                   .arg(QDir::toNativeSeparators(history_->runFolder(entry.id))),
                               kStatusMessageMs);
      emit runOpened(entry.id, false);
      return;
    }
    lastResult_ = HistoryStore::resultOf(entry, video);
    const QVector<QImage> frames = clipImages(lastResult_->video);
    player_->setClip(frames, lastResult_->video.fps);
    explorer_->setClip(frames);
    // A run whose record was not kept (evicted, too large, from an older version) shows none
    // rather than the last run's.
    explorer_->setRecord(loaded.record);
#ifdef SVGEN_HAVE_PLOTS
    plots_->setRecord(loaded.record);
#endif
    run_->showOutcome(tr("Past run of %1").arg(entry.created.toString("yyyy-MM-dd hh:mm")), true);
    statusBar()->showMessage(
        tr("Opened the run of %1: %2%3")
            .arg(entry.created.toString("yyyy-MM-dd hh:mm"),
                 attentionLabel(entry.request.attention),
                 loaded.record ? QString() : tr(" (its attention record was not kept)")),
        kStatusMessageMs);
    updateActions();
    emit runOpened(entry.id, true);
    if (thenExport) exportWithDialog();
  });
  const double fps = entry.fps;
  watcher->setFuture(QtConcurrent::run([folder, fps] {
    Loaded loaded;
    try {
      loaded.video = HistoryStore::readClip(folder, fps);
    } catch (const std::exception&) {
    }
    loaded.record = HistoryStore::readRecord(folder);
    return loaded;
  }));
}

void MainWindow::compareRuns(const QString& reference, const QString& other) {
  const HistoryEntry* a = history_->find(reference);
  const HistoryEntry* b = history_->find(other);
  if (!a || !b) return;
  if (!compare_) {
    // A window of its own, so both clips get the room a dock would not have.
    compare_ = new ComparePlayer(this);
    compare_->setWindowFlag(Qt::Window);
    compare_->setWindowTitle(tr("Compare runs"));
    compare_->resize(900, 560);
  }
  auto label = [](const HistoryEntry& e) {
    return QStringLiteral("<b>%1</b><br>%2 · %3 s")
        .arg(attentionLabel(e.request.attention).toHtmlEscaped(),
             QString::fromStdString(e.request.prompt).toHtmlEscaped())
        .arg(e.totalSeconds, 0, 'f', 1);
  };
  // Runs that differ in more than their attention are compared all the same (a user may want
  // to), but the numbers then measure those differences too: say which.
  const QStringList differences = HistoryStore::settingsDifferences(a->request, b->request);
  compare_->setWarning(
      differences.isEmpty()
          ? QString()
          : tr("Not like for like: %1. PSNR/SSIM measure these differences too, not only the "
               "attention.")
                .arg(differences.join(", ")));
  const QString folderA = history_->runFolder(a->id), folderB = history_->runFolder(b->id);
  const double fps = a->fps;
  compare_->load(
      [folderA, folderB, fps] {
        return std::make_pair(HistoryStore::readClip(folderA, fps),
                              HistoryStore::readClip(folderB, fps));
      },
      label(*a), label(*b));
  compare_->show();
  compare_->raise();
  compare_->activateWindow();
}

bool MainWindow::loadSettingsFromClip(const QString& path) {
  try {
    const std::string json = readVideoMetadata(path.toStdString());
    if (json.empty()) {
      statusBar()->showMessage(tr("%1 holds no settings").arg(QFileInfo(path).fileName()),
                               kStatusMessageMs);
      return false;
    }
    if (!applyRequest(requestFromJson(json))) return false;
    statusBar()->showMessage(tr("Settings restored from %1").arg(QFileInfo(path).fileName()),
                             kStatusMessageMs);
    return true;
  } catch (const std::exception& e) {
    showError(tr("No settings could be read"), QString::fromStdString(e.what()),
              FailureKind::Input);
    return false;
  }
}

bool MainWindow::modelRefused() {
  const ModelPicker* picker = prompt_->modelPicker();
  if (picker->isRunnable()) return false;
  statusBar()->showMessage(tr("Cannot run: %1").arg(picker->check().refusal), kStatusMessageMs);
  return true;
}

void MainWindow::generate() {
  if (controller_->isRunning() || modelRefused() || !prompt_->checkPromptGiven()) return;
  if (!prompt_->seedLocked()) prompt_->randomiseSeed();
  const GenerationRequest request = currentRequest();
  if (controller_->start(request)) saveSettings();
}

void MainWindow::cancel() {
  if (!controller_->isRunning()) return;
  controller_->cancel();
  run_->showOutcome(tr("Stopping…"), false);
}

void MainWindow::addToQueue() {
  if (modelRefused() || !prompt_->checkPromptGiven()) return;
  if (!prompt_->seedLocked()) prompt_->randomiseSeed();
  const GenerationRequest request = currentRequest();
  queue_->add(request);
  statusBar()->showMessage(tr("Queued %1 (%n job(s) waiting)", nullptr, queue_->size())
                               .arg(attentionLabel(request.attention)),
                           kStatusMessageMs);
  saveSettings();
}

void MainWindow::setQueueRunning(bool run) {
  queueRunner_->setRunning(run);
}

void MainWindow::exportTo(const QString& path) {
  if (!lastResult_) {
    emit exportFinished(false, path, tr("There is no clip to export yet."));
    return;
  }
  if (!exporter_->start(lastResult_, path)) {
    emit exportFinished(false, path, tr("Another export is still running."));
    return;
  }
  statusBar()->showMessage(tr("Exporting %1…").arg(QFileInfo(path).fileName()));
  updateActions();
}

void MainWindow::exportWithDialog() {
  if (!lastResult_ || exporter_->isBusy()) return;
  auto settings = openStudioSettings();
  QString folder = settings->value(keys::kExportDir).toString();
  if (folder.isEmpty() || !QDir(folder).exists())
    folder = QStandardPaths::writableLocation(QStandardPaths::MoviesLocation);
  const bool mp4 = VideoExporter::mp4Available();
  const QString suffix = mp4 ? "mp4" : "y4m";
  const QString name = QString("svgen-%1.%2").arg(lastResult_->request.seed).arg(suffix);
  QStringList filters;
  if (mp4) filters << tr("MP4 video (*.mp4)");
  filters << tr("Y4M uncompressed video (*.y4m)");
  QString selected = filters.first();
  QString path =
      QFileDialog::getSaveFileName(this, exportAction_->text().remove('&'),
                                   QDir(folder).filePath(name), filters.join(";;"), &selected);
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += selected.contains("mp4") ? ".mp4" : ".y4m";
  settings->setValue(keys::kExportDir, QFileInfo(path).absolutePath());
  exportTo(path);
}

void MainWindow::loadSettingsWithDialog() {
  const QString path =
      QFileDialog::getOpenFileName(this, tr("Load settings from clip"), QString(),
                                   tr("Clips made by svgen (*.mp4 *.mov *.m4v *.y4m *.png)"));
  if (!path.isEmpty()) loadSettingsFromClip(path);
}

void MainWindow::resetLayout() {
  restoreState(defaultState_, kLayoutVersion);
}

void MainWindow::showShortcuts() {
  QList<QAction*> actions = {generateAction_,
                             cancelAction_,
                             addToQueueAction_,
                             player_->playAction(),
                             player_->previousAction(),
                             player_->nextAction(),
                             exportAction_,
                             loadSettingsAction_,
                             shortcutsAction_,
                             quitAction_};
  ShortcutsDialog dialog(actions, this);
  dialog.exec();
}

void MainWindow::showAbout() {
  QMessageBox::about(
      this, tr("About Sparse VideoGen Studio"),
      tr("<h3>Sparse VideoGen Studio %1</h3>"
         "<p>Generate short videos with a Wan 2.1 video diffusion transformer, accelerated by "
         "training-free sparse attention (SVG, SVG2, SVOO), and look inside the attention.</p>"
         "<p>Runs the built-in model on any machine; Wan 2.1 checkpoints on CUDA.</p>")
          .arg(QStringLiteral(SVGEN_VERSION)));
}

void MainWindow::quitWithoutAsking() {
  quitting_ = true;
  close();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (controller_->isRunning() && quitting_) {
    controller_->cancel();
  } else if (controller_->isRunning()) {
    const auto answer = QMessageBox::question(this, tr("A run is in progress"),
                                              tr("Stop the running generation and quit?"),
                                              QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
    if (answer != QMessageBox::Yes) {
      event->ignore();
      return;
    }
    controller_->cancel();
  }
  saveSettings();
  QMainWindow::closeEvent(event);
}

void MainWindow::resizeEvent(QResizeEvent* event) {
  QMainWindow::resizeEvent(event);
  if (!layoutRestored_) QTimer::singleShot(0, this, &MainWindow::fitLeftDocks);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const QList<QUrl> urls = event->mimeData()->urls();
  if (urls.size() == 1 && urls.first().isLocalFile() && isClipFile(urls.first().toLocalFile()))
    event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QList<QUrl> urls = event->mimeData()->urls();
  if (urls.isEmpty()) return;
  event->acceptProposedAction();
  loadSettingsFromClip(urls.first().toLocalFile());
}

void MainWindow::onRunningChanged(bool running) {
  run_->setRunning(running);
  if (running && tabifiedDockWidgets(runDock_).contains(attentionDock_)) runDock_->raise();
  if (running) statusBar()->showMessage(tr("Generating…"));
  updateActions();
}

void MainWindow::onFinished(const RunOutcome& outcome) {
  lastResult_ = outcome.result;
  history_->add(outcome);
  const GenerationResult& r = *outcome.result;
  player_->setClip(outcome.frames, r.video.fps);
  player_->play();
  run_->showOutcome(tr("Done in %1").arg(formatDuration(r.totalSeconds)), true);
  run_->showTimings(r.timings, r.attentionSeconds);
  explorer_->setClip(outcome.frames);
  explorer_->setRecord(outcome.attention);
#ifdef SVGEN_HAVE_PLOTS
  plots_->setRecord(outcome.attention);
#endif
  // The Run dock stays in front with the run's timings; the summary points to the explorer.
  run_->showAttention(QString::fromStdString(r.request.attention.method), r.attentionDensity,
                      r.sparseAttentionDensity, r.attentionSeconds, outcome.attention != nullptr);
  statusBar()->showMessage(
      tr("%1 frames of %2×%3 in %4 s, %5 s of it in attention (%6, %7% of dense computed)")
          .arg(r.video.frames)
          .arg(r.video.width)
          .arg(r.video.height)
          .arg(r.totalSeconds, 0, 'f', 1)
          .arg(r.attentionSeconds, 0, 'f', 1)
          .arg(QString::fromStdString(r.request.attention.method).toUpper())
          .arg(100 * r.attentionDensity, 0, 'f', 1),
      kStatusMessageMs * 2);
  if (!r.modelLabel.empty()) {
    ModelInfo info = prompt_->modelInfo();
    info.label = r.modelLabel;
    modelStatus_->setText(tr("Model: %1").arg(modelLabel(info)));
  }
  if (!r.device.empty()) updateDeviceStatus(QString::fromStdString(r.device));
  updateActions();
}

void MainWindow::onFailed(const QString& title, const QString& message, FailureKind kind) {
  run_->showOutcome(tr("Failed"), false);
  // The dialog has the whole message; the status bar line only has to say which run failed.
  statusBar()->showMessage(tr("The run failed: %1").arg(briefMessage(message)), kStatusMessageMs);
  showError(title, message, kind);
}

void MainWindow::onCancelled() {
  run_->showOutcome(tr("Cancelled"), false);
  statusBar()->showMessage(tr("Run cancelled"), kStatusMessageMs);
}

void MainWindow::onExportFinished(bool ok, const QString& path, const QString& message) {
  if (ok) {
    statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)),
                             kStatusMessageMs * 2);
  } else {
    statusBar()->clearMessage();
    showError(tr("The export failed"), message, FailureKind::Runtime);
  }
  updateActions();
  emit exportFinished(ok, path, message);
}

void MainWindow::showError(const QString& title, const QString& message, FailureKind kind) {
  if (errorDialog_) errorDialog_->close();
  errorDialog_ = new ErrorDialog(title, message, kind, this);
  errorDialog_->open();
}

void MainWindow::updateActions() {
  const bool running = controller_->isRunning();
  const bool runnable = prompt_->modelPicker()->isRunnable();
  generateAction_->setEnabled(!running && runnable);
  addToQueueAction_->setEnabled(runnable);
  cancelAction_->setEnabled(running);
  exportAction_->setEnabled(lastResult_ != nullptr && !exporter_->isBusy());
}

void MainWindow::updateDeviceStatus(const QString& device) {
  deviceStatus_->setText(tr("Device: %1").arg(device));
}

void MainWindow::fitLeftDocks() {
  if (layoutRestored_ || !isVisible() || promptDock_->isFloating() || sparsityDock_->isFloating() ||
      dockWidgetArea(sparsityDock_) != dockWidgetArea(promptDock_) ||
      tabifiedDockWidgets(promptDock_).contains(sparsityDock_))
    return;
  const int title = promptDock_->height() - promptDock_->widget()->height();
  const int need = prompt_->sizeHint().height() + title;
  const int total = promptDock_->height() + sparsityDock_->height();
  if (total <= need) return;
  resizeDocks({promptDock_, sparsityDock_}, {need, total - need}, Qt::Vertical);
  defaultState_ = saveState(kLayoutVersion);
}

void MainWindow::updateSparsityClip() {
  const GenerationRequest r = prompt_->request();
  sparsity_->setClip(prompt_->modelInfo(), r.frames, r.width, r.height, r.steps);
  updateMeasuredSpeed();
}

void MainWindow::updateMeasuredSpeed() {
  const HistoryStore::SpeedEvidence e = history_->measuredSpeed(currentRequest());
  sparsity_->setMeasuredSpeedup(
      e.speedup, e.created.isValid() ? QLocale().toString(e.created, QLocale::ShortFormat) : "");
}

}  // namespace svgen::ui
