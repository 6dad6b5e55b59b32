// The "Attention" dock: what the attention methods decided in the last run, read-only, from its
// attention record (AttentionRecorder). A step slider, a layer × head grid coloured by decision
// (conditional batch only), and for the selected head its pooled frame × frame attention map and,
// for SVG heads, the kept block mask, on the steps the record kept detail for.
#pragma once
#include <QColor>
#include <QImage>
#include <QString>
#include <QVector>
#include <QWidget>

#include <map>
#include <memory>
#include <vector>

class QComboBox;
class QDialog;
class QLabel;
class QPushButton;
class QSlider;

namespace svgen {
struct CallRecord;
struct HeadRecord;
}  // namespace svgen

namespace svgen::ui {

class HeadGrid;
class MatrixView;
class TokenOverlay;

class AttentionExplorer : public QWidget {
  Q_OBJECT
 public:
  explicit AttentionExplorer(QWidget* parent = nullptr);
  ~AttentionExplorer() override;

  // The run's frames, for the token overlay (set before or with its record).
  void setClip(const QVector<QImage>& frames);
  // Shows a run's record (null or empty: says there is none). Keeps the selected head.
  void setRecord(std::shared_ptr<const std::vector<CallRecord>> calls);
  bool hasRecord() const { return !steps_.empty(); }

  std::vector<int> steps() const;
  std::vector<int> detailSteps() const;
  int currentStep() const;  // -1 without a record
  void setStep(int step);
  void selectHead(int layer, int head);
  int selectedLayer() const { return selectedLayer_; }
  int selectedHead() const { return selectedHead_; }

  HeadGrid* grid() const { return grid_; }
  MatrixView* frameMapView() const { return frameMap_; }
  MatrixView* blockMaskView() const { return blockMask_; }
  QString detailText() const;

  // The token overlay of the selected head (detail steps): where a token attends, or clusters.
  enum class Overlay { Attention, QueryClusters, KeyClusters };
  void setOverlay(Overlay overlay);
  Overlay overlay() const;
  TokenOverlay* tokenOverlay() const { return overlay_; }
  // The overlay in a window of its own (true) or back in the explorer.
  void setOverlayEnlarged(bool enlarged);
  bool isOverlayEnlarged() const { return overlayWindow_ != nullptr; }
  bool hasTokenOverlay() const;
  // As a click on that token: shows the recorded row nearest to it.
  void selectToken(int token);
  int selectedToken() const { return selectedToken_; }
  // Index into the head's sampledRows of the row shown; -1 when none.
  int selectedRecordedRow() const { return selectedRow_; }
  QString tokenText() const;

 private:
  void showStep();
  void showHead();
  void showOverlay();

  std::shared_ptr<const std::vector<CallRecord>> record_;
  // step -> calls by layer (null where missing).
  std::map<int, std::vector<const CallRecord*>> steps_;
  int heads_ = 0;
  int selectedLayer_ = 0, selectedHead_ = 0;

  QLabel* summary_;
  QSlider* stepSlider_;
  QLabel* stepLabel_;
  HeadGrid* grid_;
  QLabel* headTitle_;
  QLabel* mapCaption_;
  QLabel* maskCaption_;
  QWidget* mapBox_;
  QWidget* maskBox_;
  MatrixView* frameMap_;
  MatrixView* blockMask_;
  QLabel* detail_;
  QWidget* overlayBox_;
  QComboBox* overlayMode_;
  TokenOverlay* overlay_;
  QLabel* overlayCaption_;
  QPushButton* overlayEnlarge_ = nullptr;
  QDialog* overlayWindow_ = nullptr;
  QVector<QImage> clip_;
  int selectedToken_ = -1;
  int selectedRow_ = -1;
};

}  // namespace svgen::ui
