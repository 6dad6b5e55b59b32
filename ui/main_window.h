// The studio window: the player in the middle, panels in docks around it, menus and the status
// bar. It wires panels to the StudioController and owns nothing that computes.
#pragma once
#include "core/pipeline/generation.h"
#include "ui/run_types.h"

#include <QByteArray>
#include <QMainWindow>
#include <QPointer>

#include <memory>
#include <string>

class QAction;
class QDockWidget;
class QLabel;

namespace svgen::ui {

class AttentionExplorer;
class ComparePlayer;
class ErrorDialog;
class HistoryPanel;
class HistoryStore;
class PlotsPanel;
class PlayerWidget;
class PromptPanel;
class QueuePanel;
class RunPanel;
class QueueRunner;
class RunQueue;
class SparsityPanel;
class StudioController;
class VideoExporter;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  StudioController* controller() const { return controller_; }
  PromptPanel* promptPanel() const { return prompt_; }
  RunPanel* runPanel() const { return run_; }
  SparsityPanel* sparsityPanel() const { return sparsity_; }
  AttentionExplorer* attentionExplorer() const { return explorer_; }
  PlayerWidget* player() const { return player_; }
  RunQueue* queue() const { return queue_; }
  QueuePanel* queuePanel() const { return queuePanel_; }
  HistoryStore* history() const { return history_; }
  HistoryPanel* historyPanel() const { return historyPanel_; }
  // Null in builds without QCustomPlot.
  PlotsPanel* plotsPanel() const { return plots_; }
  // The side-by-side player's window, once Compare has opened it.
  ComparePlayer* comparePlayer() const;
  std::shared_ptr<const GenerationResult> lastResult() const { return lastResult_; }
  // The error dialog on screen now, if any.
  ErrorDialog* errorDialog() const;
  bool isExporting() const;

  // Chooses the model in the prompt panel's picker, which fits the settings to it; false (with a
  // dialog) when it cannot run.
  bool setModel(const std::string& model);

  // Window geometry, dock layout and the last settings, in openStudioSettings().
  void saveSettings() const;
  void restoreSettings();
  // Restores the settings embedded in an exported clip (MP4, Y4M sidecar, PNG).
  bool loadSettingsFromClip(const QString& path);
  // Puts a request's settings into the prompt and Sparsity docks, seed locked; false (with a
  // dialog) when its model cannot be opened.
  bool applyRequest(const GenerationRequest& request);
  // What Generate runs now: the prompt panel's request with the Sparsity dock's attention.
  GenerationRequest currentRequest() const;

 public slots:
  void generate();
  // Closes the window as Quit does but without asking: a running generation is cancelled, the
  // queue and settings are saved. For SIGTERM and a session that ends (ui/signal_quit.h).
  void quitWithoutAsking();
  void cancel();
  // Adds the current settings to the queue as a job (Ctrl+Shift+Return).
  void addToQueue();
  // Starts the queue's jobs one after another, or pauses it once the running job ends.
  void setQueueRunning(bool run);
  // History → Re-run: the run's settings back in the docks, then Generate.
  void rerun(const GenerationRequest& request);
  // A past run back in the player and ready to export (its frames are read off the UI thread;
  // runOpened() follows). `thenExport`: the Export dialog opens once it is loaded.
  void openRun(const QString& id, bool thenExport = false);
  // Opens two history runs side by side, `reference` (the dense one) on the left.
  void compareRuns(const QString& reference, const QString& other);
  // The Export action without its file dialog: exportFinished() follows.
  void exportTo(const QString& path);
  void exportWithDialog();
  void loadSettingsWithDialog();
  void resetLayout();
  void showShortcuts();
  void showAbout();

 signals:
  void exportFinished(bool ok, const QString& path, const QString& message);
  void runOpened(const QString& id, bool ok);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void buildActions();
  void buildMenus();
  void buildDocks();
  void buildStatusBar();
  void connectController();
  QDockWidget* addPanelDock(QWidget* panel, const QString& title, const QString& objectName,
                            Qt::DockWidgetArea area);

  void onModelAccepted(const ModelInfo& info);
  // True (with the reason in the status bar) when the chosen model cannot run.
  bool modelRefused();
  void onRunningChanged(bool running);
  void onFinished(const RunOutcome& outcome);
  void onFailed(const QString& title, const QString& message, FailureKind kind);
  void onCancelled();
  void onExportFinished(bool ok, const QString& path, const QString& message);
  void showError(const QString& title, const QString& message, FailureKind kind);
  void updateActions();
  void updateDeviceStatus(const QString& device);
  // Tells the Sparsity dock the clip its estimate is for.
  void updateSparsityClip();
  void updateMeasuredSpeed();
  // Gives the prompt dock the height its settings need and the Sparsity dock below it the rest.
  void fitLeftDocks();

  StudioController* controller_;
  VideoExporter* exporter_;
  PlayerWidget* player_;
  PromptPanel* prompt_;
  RunPanel* run_;
  SparsityPanel* sparsity_;
  AttentionExplorer* explorer_;
  RunQueue* queue_;
  QueueRunner* queueRunner_ = nullptr;
  QueuePanel* queuePanel_ = nullptr;
  HistoryStore* history_;
  HistoryPanel* historyPanel_;
  PlotsPanel* plots_ = nullptr;
  QPointer<ComparePlayer> compare_;
  QDockWidget* promptDock_ = nullptr;
  QDockWidget* runDock_ = nullptr;
  QDockWidget* sparsityDock_ = nullptr;
  QDockWidget* attentionDock_ = nullptr;
  QDockWidget* historyDock_ = nullptr;
  QDockWidget* plotsDock_ = nullptr;
  QLabel* modelStatus_ = nullptr;
  QLabel* deviceStatus_ = nullptr;
  QMenu* viewMenu_ = nullptr;

  QAction* exportAction_ = nullptr;
  QAction* loadSettingsAction_ = nullptr;
  QAction* quitAction_ = nullptr;
  QAction* generateAction_ = nullptr;
  QAction* cancelAction_ = nullptr;
  QAction* addToQueueAction_ = nullptr;
  QAction* resetLayoutAction_ = nullptr;
  QAction* shortcutsAction_ = nullptr;
  QAction* aboutAction_ = nullptr;

  QPointer<ErrorDialog> errorDialog_;
  std::shared_ptr<const GenerationResult> lastResult_;
  bool layoutRestored_ = false;
  bool quitting_ = false;
  QByteArray defaultState_;  // the layout as built, for View → Reset layout
};

}  // namespace svgen::ui
