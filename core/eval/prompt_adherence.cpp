#include "core/eval/prompt_adherence.h"

#include "core/common/error.h"
#include "core/data/scene_analysis.h"
#include "core/data/shape_renderer.h"
#include "core/pipeline/engine.h"
#include "core/pipeline/request_json.h"
#include "core/pipeline/stopwatch.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <tuple>

namespace svgen {

namespace {

constexpr float kPi = 3.14159265358979f;

// The thresholds documented in the header.
constexpr float kMinAreaFactor = 0.2f;  // × the smallest area the prompt allows
constexpr float kMaxAreaFactor = 3.0f;  // × the largest
constexpr int kMinBlobPixels = 3;
constexpr float kColorFrameShare = 0.75f;
constexpr float kMinTravel = 0.1f;
constexpr float kMaxDirectionError = 45.0f;  // degrees
constexpr float kStillRadius = 0.06f;
constexpr float kGrowRatio = 1.3f;
constexpr float kShrinkRatio = 0.77f;
constexpr float kSpinMaxIoU = 0.85f;
constexpr float kBounceMinRange = 0.1f;
constexpr float kBounceHysteresis = 0.03f;
constexpr int kBounceMinFrames = 8;
constexpr float kCoveredShare = 0.5f;         // of the last seen blob's place
constexpr float kCoveredByOtherShare = 0.2f;  // of which the other object covers at least this
constexpr int kShapeFrames = 3;
constexpr float kMaxContactShare = 0.1f;
constexpr float kShapeMinIoU = 0.5f;
constexpr float kRotationStep = 6.0f;  // degrees

// Templates are drawn at the largest size so that the canvas is only ~3-4 radii wide.
constexpr int kTemplateSize = 2;
constexpr int kTemplateBackground = 10;  // black
constexpr int kTemplateObject = 8;       // white

const at::Device kCpu(at::kCPU);

// ---- blobs ------------------------------------------------------------------------------------

struct Blob {
  int area = 0;
  float cx = 0, cy = 0;  // centroid in pixels (pixel centres at i + 0.5)
  bool touchesEdge = false;
  std::vector<int> pixels;  // y * W + x
};

// Pixels within kColorTolerance of a palette colour: (T, H, W) bytes on the CPU. The same test
// as trackColor, which only returns sums; the blob analysis needs the pixels themselves.
std::vector<uint8_t> colorMask(const at::Tensor& srgb, int color) {
  const NamedColor& c = palette()[color];
  const at::Tensor target =
      at::tensor(std::vector<float>{float(c.r), float(c.g), float(c.b)}, at::kFloat)
          .to(srgb.device())
          .view({3, 1, 1, 1});
  const at::Tensor mask = ((srgb - target).square().sum(0) < kColorTolerance * kColorTolerance)
                              .to(at::kByte)
                              .cpu()
                              .contiguous();
  const uint8_t* p = mask.data_ptr<uint8_t>();
  return std::vector<uint8_t>(p, p + mask.numel());
}

// The largest 8-connected group of set pixels in one frame; the centroid of all matching pixels
// (trackColor's) would be pulled around by stray specks of the colour elsewhere in the frame.
Blob largestBlob(const uint8_t* mask, int H, int W) {
  std::vector<int> label(static_cast<size_t>(H) * W, 0);
  std::vector<int> stack, members;
  Blob best;
  int next = 0;
  for (int start = 0; start < H * W; ++start) {
    if (!mask[start] || label[start]) continue;
    ++next;
    members.clear();
    stack.assign(1, start);
    label[start] = next;
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      members.push_back(p);
      const int y = p / W, x = p % W;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const int yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
          const int q = yy * W + xx;
          if (mask[q] && !label[q]) {
            label[q] = next;
            stack.push_back(q);
          }
        }
      }
    }
    if (static_cast<int>(members.size()) > best.area) {
      best.area = static_cast<int>(members.size());
      best.pixels = members;
    }
  }
  double sx = 0, sy = 0;
  for (int p : best.pixels) {
    const int y = p / W, x = p % W;
    sx += x + 0.5;
    sy += y + 0.5;
    best.touchesEdge = best.touchesEdge || x == 0 || y == 0 || x == W - 1 || y == H - 1;
  }
  if (best.area > 0) {
    best.cx = static_cast<float>(sx / best.area);
    best.cy = static_cast<float>(sy / best.area);
  }
  return best;
}

// IoU of two blobs after shifting `b` by whole pixels so that the centroids meet.
float alignedIoU(const Blob& a, const Blob& b, int H, int W) {
  if (a.area == 0 || b.area == 0) return 0;
  const int sx = static_cast<int>(std::lround(a.cx - b.cx));
  const int sy = static_cast<int>(std::lround(a.cy - b.cy));
  std::vector<uint8_t> inA(static_cast<size_t>(H) * W, 0);
  for (int p : a.pixels) inA[p] = 1;
  int inter = 0;
  for (int p : b.pixels) {
    const int y = p / W + sy, x = p % W + sx;
    if (y >= 0 && y < H && x >= 0 && x < W && inA[y * W + x]) ++inter;
  }
  return static_cast<float>(inter) / static_cast<float>(a.area + b.area - inter);
}

// ---- shapes -----------------------------------------------------------------------------------

// Each shape's drawn area as a fraction of its extent circle, pi (objectRadius · shapeExtent)^2:
// measured once on the renderer itself, so that area-matched templates match what it draws.
const std::array<float, kShapeCount>& fillFractions() {
  static const std::array<float, kShapeCount> fill = [] {
    constexpr int kCanvas = 256;
    std::vector<SceneSpec> scenes;
    for (int s = 0; s < kShapeCount; ++s) {
      SceneSpec scene;
      scene.bgColor = scene.bgColor2 = kTemplateBackground;
      ObjectSpec o;
      o.shape = static_cast<Shape>(s);
      o.color = kTemplateObject;
      o.size = kTemplateSize;
      scene.objects.push_back(o);
      scenes.push_back(scene);
    }
    const at::Tensor video = renderScenes(scenes, 1, kCanvas, kCanvas, kCpu);
    const at::Tensor counts = (video.select(1, 0) > 0).sum({1, 2, 3}).to(at::kFloat);
    std::array<float, kShapeCount> out{};
    for (int s = 0; s < kShapeCount; ++s) {
      const float r = objectRadius(kTemplateSize) * shapeExtent(static_cast<Shape>(s)) * kCanvas;
      out[s] = counts[s].item<float>() / (kPi * r * r);
    }
    return out;
  }();
  return fill;
}

// Degrees after which the shape looks the same again (0: at every angle).
float symmetryPeriod(Shape shape) {
  switch (shape) {
    case Shape::Square:
      return 90;
    case Shape::Triangle:
      return 120;
    case Shape::Star:
      return 72;
    default:
      return 0;
  }
}

// Best IoU of the blob with each shape, drawn by renderScenes at the blob's centroid and area.
std::array<float, kShapeCount> shapeIoUs(const Blob& blob, int H, int W, bool tryRotations) {
  std::array<float, kShapeCount> best{};
  std::vector<uint8_t> inBlob(static_cast<size_t>(H) * W, 0);
  for (int p : blob.pixels) inBlob[p] = 1;
  for (int s = 0; s < kShapeCount; ++s) {
    const Shape shape = static_cast<Shape>(s);
    const float extentPx = std::sqrt(blob.area / (fillFractions()[s] * kPi));
    // A square canvas on which the template at kTemplateSize has this extent; its pixels line up
    // with the clip's, offset by (ox, oy).
    const int S = std::max(8, static_cast<int>(std::lround(
                                  extentPx / (objectRadius(kTemplateSize) * shapeExtent(shape)))));
    const int ox = static_cast<int>(std::floor(blob.cx)) - S / 2;
    const int oy = static_cast<int>(std::floor(blob.cy)) - S / 2;
    std::vector<float> angles = {0};
    const float period = symmetryPeriod(shape);
    if (tryRotations && period > 0) {
      for (float a = kRotationStep; a < period - 1e-3f; a += kRotationStep) angles.push_back(a);
    }
    std::vector<SceneSpec> scenes;
    for (float a : angles) {
      SceneSpec scene;
      scene.bgColor = scene.bgColor2 = kTemplateBackground;
      ObjectSpec o;
      o.shape = shape;
      o.color = kTemplateObject;
      o.size = kTemplateSize;
      o.startX = (blob.cx - ox) / S;
      o.startY = (blob.cy - oy) / S;
      if (a != 0) {
        // At clip time 0 a spinning object is turned by its phase, at scale 1.
        o.motion = Motion::Spin;
        o.phase = a * kPi / 180;
      }
      scene.objects.push_back(o);
      scenes.push_back(scene);
    }
    const at::Tensor masks =
        (renderScenes(scenes, 1, S, S, kCpu).select(1, 0) > 0).to(at::kByte).contiguous();
    const uint8_t* m = masks.data_ptr<uint8_t>();
    for (size_t k = 0; k < angles.size(); ++k) {
      const uint8_t* t = m + k * S * S;
      int inter = 0, area = 0;
      for (int y = 0; y < S; ++y) {
        const int cy = y + oy;
        if (cy < 0 || cy >= H) continue;
        for (int x = 0; x < S; ++x) {
          const int cx = x + ox;
          // Template pixels off the clip's frame are cut off, as the clip's object would be.
          if (cx < 0 || cx >= W || !t[y * S + x]) continue;
          ++area;
          inter += inBlob[cy * W + cx];
        }
      }
      const int uni = area + blob.area - inter;
      if (uni > 0) best[s] = std::max(best[s], static_cast<float>(inter) / uni);
    }
  }
  return best;
}

// ---- objects ----------------------------------------------------------------------------------

// Range of blob areas (pixels) a frame may show for this object: any shape, the named size or all
// sizes, the motion's range of scales.
std::pair<float, float> plausibleArea(const ObjectSpec& o, int H, int W) {
  const float side = static_cast<float>(std::min(H, W));
  const bool scales = o.motion == Motion::Grow || o.motion == Motion::Shrink;
  const float sMin = scales ? 0.5f : 1.0f, sMax = scales ? 1.5f : 1.0f;
  float lo = 1e30f, hi = 0;
  for (int size = 0; size < kSizeCount; ++size) {
    if (o.sizeInPrompt && size != o.size) continue;
    for (int s = 0; s < kShapeCount; ++s) {
      const float r = objectRadius(size) * shapeExtent(static_cast<Shape>(s)) * side;
      const float area = fillFractions()[s] * kPi * r * r;
      lo = std::min(lo, area * sMin * sMin);
      hi = std::max(hi, area * sMax * sMax);
    }
  }
  return {std::max(static_cast<float>(kMinBlobPixels), kMinAreaFactor * lo), kMaxAreaFactor * hi};
}

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

// Direction of a motion in pixels (y down), from the pose itself.
std::pair<float, float> motionDirection(Motion m, int H, int W) {
  ObjectSpec o;
  o.motion = m;
  o.speed = 1;
  const ObjectPose a = objectPose(o, 0), b = objectPose(o, 1);
  return {(b.cx - a.cx) * W, (b.cy - a.cy) * H};
}

Verdict scoreMotion(const ObjectSpec& o, const std::vector<Blob>& blobs,
                    const std::vector<int>& visible, int H, int W, ObjectScore& out) {
  if (!motionIsVisible(o.shape, o.motion)) {
    out.motionDetail = "a spinning circle or ring looks still: not scored";
    return Verdict::NotApplicable;
  }
  const int T = static_cast<int>(blobs.size());
  if (o.motion == Motion::Bounce && T < kBounceMinFrames) {
    out.motionDetail = "bouncing needs 8 frames or more: not scored";
    return Verdict::NotApplicable;
  }
  if (visible.size() < 2) {
    out.motionDetail = "the object shows in fewer than two frames";
    return Verdict::Wrong;
  }
  const float side = static_cast<float>(std::min(H, W));
  const Blob& first = blobs[visible.front()];
  const Blob& last = blobs[visible.back()];
  const float dx = last.cx - first.cx, dy = last.cy - first.cy;
  const float travel = std::hypot(dx, dy) / side;
  out.dx = dx / side;
  out.dy = dy / side;
  out.areaRatio = static_cast<float>(last.area) / static_cast<float>(first.area);

  std::vector<float> xs, ys;
  for (int f : visible) {
    xs.push_back(blobs[f].cx);
    ys.push_back(blobs[f].cy);
  }
  auto median = [](std::vector<float> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const float mx = median(xs), my = median(ys);
  float wander = 0;
  for (size_t i = 0; i < xs.size(); ++i)
    wander = std::max(wander, std::hypot(xs[i] - mx, ys[i] - my) / side);

  switch (o.motion) {
    case Motion::Still: {
      const bool stays = wander <= kStillRadius;
      const bool sameSize = out.areaRatio >= kShrinkRatio && out.areaRatio <= kGrowRatio;
      out.motionDetail =
          format("strays %.3f from its median place; area ratio %.2f", wander, out.areaRatio);
      return stays && sameSize ? Verdict::Correct : Verdict::Wrong;
    }
    case Motion::Grow:
    case Motion::Shrink: {
      out.motionDetail = format("area ratio last/first %.2f", out.areaRatio);
      const bool ok =
          o.motion == Motion::Grow ? out.areaRatio > kGrowRatio : out.areaRatio < kShrinkRatio;
      return ok ? Verdict::Correct : Verdict::Wrong;
    }
    case Motion::Spin: {
      float minIoU = 1;
      for (int f : visible) minIoU = std::min(minIoU, alignedIoU(first, blobs[f], H, W));
      out.motionDetail =
          format("strays %.3f; least overlap with the first frame IoU %.2f", wander, minIoU);
      return wander <= kStillRadius && minIoU < kSpinMaxIoU ? Verdict::Correct : Verdict::Wrong;
    }
    case Motion::Bounce: {
      const float xRange =
          (*std::max_element(xs.begin(), xs.end()) - *std::min_element(xs.begin(), xs.end())) /
          side;
      const float yRange =
          (*std::max_element(ys.begin(), ys.end()) - *std::min_element(ys.begin(), ys.end())) /
          side;
      // Reversals of the vertical direction, each counted once the centroid has come back by
      // the hysteresis from its last extreme (so jitter does not count).
      const float h = kBounceHysteresis * side;
      int reversals = 0, dir = 0;
      float extreme = ys.front();
      for (float y : ys) {
        if (dir == 0) {
          if (std::abs(y - extreme) >= h) dir = y > extreme ? 1 : -1;
          if (dir != 0) extreme = y;
        } else if ((y - extreme) * dir > 0) {
          extreme = y;
        } else if (std::abs(y - extreme) >= h) {
          ++reversals;
          dir = -dir;
          extreme = y;
        }
      }
      out.motionDetail =
          format("vertical range %.3f, horizontal %.3f, %.0f reversals", yRange, xRange, reversals);
      const bool ok = yRange >= kBounceMinRange && xRange <= 0.5f * yRange && reversals >= 2;
      return ok ? Verdict::Correct : Verdict::Wrong;
    }
    default: {
      const auto [ex, ey] = motionDirection(o.motion, H, W);
      float angle = 180;
      if (travel > 0) {
        const float cosAngle = (dx * ex + dy * ey) / (std::hypot(dx, dy) * std::hypot(ex, ey));
        angle = std::acos(std::clamp(cosAngle, -1.0f, 1.0f)) * 180 / kPi;
      }
      out.motionDetail = format("moved %.3f at %.0f° from the named direction", travel, angle);
      return travel >= kMinTravel && angle <= kMaxDirectionError ? Verdict::Correct
                                                                 : Verdict::Wrong;
    }
  }
}

// How many of the blob's pixels have a pixel of another object's colour within two pixels (the
// antialiased seam between two objects matches neither colour).
int contactPixels(const Blob& blob, const uint8_t* others, int H, int W) {
  int contact = 0;
  for (int p : blob.pixels) {
    const int y = p / W, x = p % W;
    bool near = false;
    for (int yy = std::max(0, y - 2); yy <= std::min(H - 1, y + 2) && !near; ++yy) {
      for (int xx = std::max(0, x - 2); xx <= std::min(W - 1, x + 2) && !near; ++xx) {
        near = others[yy * W + xx] != 0;
      }
    }
    contact += near;
  }
  return contact;
}

// `mask`: this object's colour, `others`: the other objects' colours (empty with one object),
// both (T, H, W).
ObjectScore scoreObject(const ObjectSpec& o, const std::vector<uint8_t>& mask,
                        const std::vector<uint8_t>& others, int T, int H, int W) {
  const auto [minArea, maxArea] = plausibleArea(o, H, W);
  const size_t frameSize = static_cast<size_t>(H) * W;
  std::vector<Blob> blobs;
  std::vector<int> visible;
  for (int f = 0; f < T; ++f) {
    blobs.push_back(largestBlob(mask.data() + f * frameSize, H, W));
    const float area = static_cast<float>(blobs.back().area);
    if (area >= minArea && area <= maxArea) visible.push_back(f);
  }
  // With two objects one may pass over the other. A frame where this object's blob touches the
  // other's colour, or where it is missing and the other covers where it was last seen, may not
  // show this object whole: such frames do not count against its colour, and its shape is read
  // from frames with little contact.
  std::vector<int> contact(T, 0);
  std::vector<bool> covered(T, false);
  for (int f = 0; f < T && !others.empty(); ++f) {
    const uint8_t* other = others.data() + f * frameSize;
    const bool isVisible = std::find(visible.begin(), visible.end(), f) != visible.end();
    contact[f] = contactPixels(blobs[f], other, H, W);
    if (blobs[f].area > 0 && contact[f] >= kMinBlobPixels) {
      covered[f] = true;
    } else if (!isVisible && !visible.empty()) {
      const int g = *std::min_element(visible.begin(), visible.end(), [f](int a, int b) {
        return std::abs(a - f) < std::abs(b - f);
      });
      const uint8_t* own = mask.data() + f * frameSize;
      int byOther = 0, byEither = 0;
      for (int p : blobs[g].pixels) {
        byOther += other[p] != 0;
        byEither += (other[p] | own[p]) != 0;
      }
      const float n = static_cast<float>(blobs[g].area);
      covered[f] = byEither >= kCoveredShare * n && byOther >= kCoveredByOtherShare * n;
    }
  }
  ObjectScore score;
  score.visibleFrames = static_cast<int>(visible.size());
  score.coveredFrames = static_cast<int>(std::count(covered.begin(), covered.end(), true));
  int accounted = 0;
  for (int f = 0; f < T; ++f) {
    accounted += covered[f] || std::find(visible.begin(), visible.end(), f) != visible.end();
  }
  auto share = [T](float s) { return static_cast<int>(std::ceil(s * T - 1e-4f)); };
  score.color = accounted >= share(kColorFrameShare) && score.visibleFrames >= share(0.5f)
                    ? Verdict::Correct
                    : Verdict::Wrong;
  score.motion = scoreMotion(o, blobs, visible, H, W, score);

  // Shape: whole blobs show it best: frames with little contact with another object, then those
  // clear of the frame edge, then the largest blobs.
  if (visible.empty()) return score;
  auto contactShare = [&](int f) {
    return contact[f] >= kMinBlobPixels ? static_cast<float>(contact[f]) / blobs[f].area : 0.0f;
  };
  std::vector<int> candidates;
  for (int f : visible) {
    if (contactShare(f) <= kMaxContactShare) candidates.push_back(f);
  }
  if (candidates.empty()) {
    // Pressed against the other object in every frame: the renderer, too, draws pairs it could
    // not keep apart overlapping, and part of this one may be hidden.
    score.shape = Verdict::NotApplicable;
    return score;
  }
  auto rank = [&](int f) {
    return std::make_tuple(contactShare(f), blobs[f].touchesEdge, -blobs[f].area);
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](int a, int b) { return rank(a) < rank(b); });
  if (static_cast<int>(candidates.size()) > kShapeFrames) candidates.resize(kShapeFrames);
  std::array<float, kShapeCount> sum{};
  for (int f : candidates) {
    const auto ious = shapeIoUs(blobs[f], H, W, o.motion == Motion::Spin);
    for (int s = 0; s < kShapeCount; ++s) sum[s] += ious[s];
  }
  const int predicted = static_cast<int>(std::max_element(sum.begin(), sum.end()) - sum.begin());
  score.predictedShape = predicted;
  score.shapeIoU = sum[predicted] / static_cast<float>(candidates.size());
  score.shape = predicted == static_cast<int>(o.shape) && score.shapeIoU >= kShapeMinIoU
                    ? Verdict::Correct
                    : Verdict::Wrong;
  return score;
}

Verdict scoreBackground(const SceneSpec& spec, const at::Tensor& clip, std::vector<int>& seen) {
  switch (spec.background) {
    case BackgroundKind::Solid: {
      seen = {estimateBackgroundColor(clip)};
      return seen[0] == spec.bgColor ? Verdict::Correct : Verdict::Wrong;
    }
    case BackgroundKind::Gradient: {
      const int64_t H = clip.size(2);
      const int64_t rows = std::max<int64_t>(1, H / 64);
      // The border of a strip of rows is those rows: the helper reads just the top or bottom.
      seen = {estimateBackgroundColor(clip.narrow(2, 0, rows)),
              estimateBackgroundColor(clip.narrow(2, H - rows, rows))};
      return seen[0] == spec.bgColor && seen[1] == spec.bgColor2 ? Verdict::Correct
                                                                 : Verdict::Wrong;
    }
    case BackgroundKind::Stripes: {
      const std::vector<float> h = borderColorHistogram(clip);
      std::vector<int> order(h.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return h[a] > h[b]; });
      seen = {order[0], order[1]};
      const bool ok = (seen[0] == spec.bgColor && seen[1] == spec.bgColor2) ||
                      (seen[0] == spec.bgColor2 && seen[1] == spec.bgColor);
      return ok ? Verdict::Correct : Verdict::Wrong;
    }
  }
  return Verdict::Wrong;
}

at::Tensor videoToClip(const Video& video) {
  if (video.frames < 1 || video.height < 1 || video.width < 1 ||
      video.rgb.size() != video.frameBytes() * video.frames) {
    throw InputError("cannot score an empty or malformed clip");
  }
  return at::from_blob(const_cast<uint8_t*>(video.rgb.data()),
                       {video.frames, video.height, video.width, 3}, at::kByte)
      .permute({3, 0, 1, 2})
      .to(at::kFloat)
      .div(127.5)
      .sub(1)
      .contiguous();
}

// ---- the run ----------------------------------------------------------------------------------

class QuietObserver : public GenerationObserver {};

nlohmann::json summaryJson(const AdherenceSummary& s) {
  auto tally = [](const AttributeTally& t) {
    return nlohmann::json{{"correct", t.correct}, {"scored", t.scored}, {"accuracy", t.accuracy()}};
  };
  return {{"clips", s.clips},
          {"objects", s.objects},
          {"background", tally(s.background)},
          {"color", tally(s.color)},
          {"shape", tally(s.shape)},
          {"motion", tally(s.motion)},
          {"shape_when_found", tally(s.shapeWhenFound)},
          {"motion_when_found", tally(s.motionWhenFound)},
          {"all", tally(s.all)}};
}

}  // namespace

const char* verdictName(Verdict v) {
  switch (v) {
    case Verdict::Correct:
      return "correct";
    case Verdict::NotApplicable:
      return "n/a";
    default:
      return "wrong";
  }
}

bool ClipScore::allCorrect() const {
  if (background == Verdict::Wrong) return false;
  for (const auto& o : objects) {
    if (o.color == Verdict::Wrong || o.shape == Verdict::Wrong || o.motion == Verdict::Wrong)
      return false;
  }
  return true;
}

ClipScore scoreClip(const SceneSpec& spec, const at::Tensor& clip) {
  if (clip.dim() != 4 || clip.size(0) != 3 || clip.size(1) < 1 || clip.size(2) < 1 ||
      clip.size(3) < 1) {
    throw InputError("cannot score a clip of " + std::to_string(clip.dim()) +
                     " dimensions: expected (3, T, H, W)");
  }
  c10::NoGradGuard noGrad;
  const at::Tensor x = clip.detach().to(at::kFloat);
  ClipScore score;
  score.background = scoreBackground(spec, x, score.backgroundSeen);
  const at::Tensor srgb = (x + 1) * 127.5;
  const int T = static_cast<int>(x.size(1)), H = static_cast<int>(x.size(2)),
            W = static_cast<int>(x.size(3));
  std::vector<std::vector<uint8_t>> masks;
  for (const auto& o : spec.objects) {
    if (o.color < 0 || o.color >= static_cast<int>(palette().size())) {
      throw InputError("object colour index " + std::to_string(o.color) + " is not in the palette");
    }
    masks.push_back(colorMask(srgb, o.color));
  }
  for (size_t i = 0; i < spec.objects.size(); ++i) {
    std::vector<uint8_t> others;
    for (size_t j = 0; j < masks.size(); ++j) {
      if (j == i) continue;
      if (others.empty()) others.assign(masks[j].size(), 0);
      for (size_t p = 0; p < others.size(); ++p) others[p] |= masks[j][p];
    }
    score.objects.push_back(scoreObject(spec.objects[i], masks[i], others, T, H, W));
  }
  return score;
}

ClipScore scoreClip(const SceneSpec& spec, const Video& clip) {
  return scoreClip(spec, videoToClip(clip));
}

void AttributeTally::add(Verdict v) {
  if (v == Verdict::NotApplicable) return;
  ++scored;
  if (v == Verdict::Correct) ++correct;
}

void AdherenceSummary::add(const ClipScore& score) {
  ++clips;
  background.add(score.background);
  for (const auto& o : score.objects) {
    ++objects;
    color.add(o.color);
    shape.add(o.shape);
    motion.add(o.motion);
    if (o.color == Verdict::Correct) {
      shapeWhenFound.add(o.shape);
      motionWhenFound.add(o.motion);
    }
  }
  all.add(score.allCorrect() ? Verdict::Correct : Verdict::Wrong);
}

std::vector<SceneSpec> sampleEvalScenes(uint64_t seed, bool heldOut, int count, bool twoObjects) {
  SceneSampler sampler(seed, heldOut);
  std::vector<SceneSpec> scenes;
  while (static_cast<int>(scenes.size()) < count) {
    SceneSpec s = sampler.next();
    if (twoObjects || s.objects.size() == 1) scenes.push_back(std::move(s));
  }
  return scenes;
}

EvalReport evaluatePromptAdherence(Engine& engine, const EvalOptions& options,
                                   const ClipCallback& onClip, GenerationObserver* observer) {
  if (options.heldInCount < 0 || options.heldOutCount < 0) {
    throw InputError("prompt counts must be 0 or more");
  }
  if (options.heldInCount + options.heldOutCount == 0) {
    throw InputError("nothing to evaluate: both prompt counts are 0");
  }
  Stopwatch total;
  EvalReport report;
  report.options = options;

  struct Job {
    SceneSpec scene;
    bool heldOut;
    GenerationRequest request;
  };
  std::vector<Job> jobs;
  for (bool heldOut : {false, true}) {
    const int count = heldOut ? options.heldOutCount : options.heldInCount;
    for (SceneSpec& s : sampleEvalScenes(options.seed, heldOut, count, options.twoObjects)) {
      GenerationRequest r;
      r.model = options.model;
      r.prompt = sceneToPrompt(s);
      r.frames = options.frames;
      r.width = options.width;
      r.height = options.height;
      r.steps = options.steps;
      r.guidance = options.guidance;
      r.shift = options.shift;
      r.sampler = options.sampler;
      r.threads = options.threads;
      r.device = options.device;
      r.seed = options.seed + jobs.size();
      r.previewEvery = 0;
      // Resolving every request first turns a bad setting into an error before any work.
      jobs.push_back({std::move(s), heldOut, engine.resolve(r)});
    }
  }
  // The settings every clip shares; each clip's prompt and seed are in its ClipResult.
  report.request = jobs.front().request;
  report.request.prompt.clear();

  QuietObserver quiet;
  GenerationObserver& obs = observer ? *observer : quiet;
  const int n = static_cast<int>(jobs.size());
  for (int i = 0; i < n; ++i) {
    const Job& job = jobs[i];
    GenerationResult result = engine.generate(job.request, obs);
    ClipResult clip;
    clip.index = i;
    clip.heldOut = job.heldOut;
    clip.prompt = job.request.prompt;
    clip.scene = job.scene;
    clip.seed = job.request.seed;
    clip.seconds = result.totalSeconds;
    clip.score = scoreClip(job.scene, result.video);
    (job.heldOut ? report.heldOut : report.heldIn).add(clip.score);
    if (report.modelLabel.empty()) {
      report.modelLabel = result.modelLabel;
      report.device = result.device;
    }
    report.clips.push_back(clip);
    if (onClip) onClip(report.clips.back(), result, i + 1, n);
  }
  report.seconds = total.seconds();
  return report;
}

std::string evalReportToJson(const EvalReport& report) {
  const auto& o = report.options;
  nlohmann::json clips = nlohmann::json::array();
  for (const auto& c : report.clips) {
    nlohmann::json objects = nlohmann::json::array();
    for (size_t k = 0; k < c.score.objects.size(); ++k) {
      const ObjectScore& s = c.score.objects[k];
      const ObjectSpec& spec = c.scene.objects[k];
      objects.push_back(
          {{"color", palette()[spec.color].name},
           {"shape", shapeName(spec.shape)},
           {"motion", motionPhrase(spec.motion)},
           {"held_out", isHeldOut(spec)},
           {"verdicts",
            {{"color", verdictName(s.color)},
             {"shape", verdictName(s.shape)},
             {"motion", verdictName(s.motion)}}},
           {"visible_frames", s.visibleFrames},
           {"covered_frames", s.coveredFrames},
           {"predicted_shape", s.predictedShape >= 0
                                   ? nlohmann::json(shapeName(static_cast<Shape>(s.predictedShape)))
                                   : nlohmann::json(nullptr)},
           {"shape_iou", s.shapeIoU},
           {"displacement", {s.dx, s.dy}},
           {"area_ratio", s.areaRatio},
           {"motion_detail", s.motionDetail}});
    }
    nlohmann::json seen = nlohmann::json::array();
    for (int b : c.score.backgroundSeen) seen.push_back(palette()[b].name);
    clips.push_back({{"index", c.index},
                     {"held_out", c.heldOut},
                     {"prompt", c.prompt},
                     {"seed", c.seed},
                     {"seconds", c.seconds},
                     {"background", verdictName(c.score.background)},
                     {"background_seen", seen},
                     {"all_correct", c.score.allCorrect()},
                     {"objects", objects}});
  }
  nlohmann::json j = {
      {"options",
       {{"model", o.model},
        {"count", o.heldInCount},
        {"heldout_count", o.heldOutCount},
        {"seed", o.seed},
        {"two_objects", o.twoObjects}}},
      {"request", nlohmann::json::parse(requestToJson(report.request))},
      {"model_label", report.modelLabel},
      {"device", report.device},
      {"seconds", report.seconds},
      {"summary",
       {{"held_in", summaryJson(report.heldIn)}, {"held_out", summaryJson(report.heldOut)}}},
      {"clips", clips}};
  return j.dump(2);
}

}  // namespace svgen
