#include "core/data/shape_renderer.h"

#include "core/common/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace svgen {

namespace {

bool rotationInvariant(Shape shape) {
  return shape == Shape::Circle || shape == Shape::Ring;
}

// Signed distance fields at unit size (negative inside), y up, after Inigo Quilez's 2D formulas;
// shapeExtent() scales them to the object.

at::Tensor sdRingFromRadius(const at::Tensor& r) {
  // Outer radius 1, inner 0.55: hollow enough to read as a ring even when small.
  return (r - 0.775).abs_() - 0.225;
}

at::Tensor sdSquare(const at::Tensor& x, const at::Tensor& y) {
  at::Tensor qx = x.abs() - 1;
  at::Tensor qy = y.abs() - 1;
  at::Tensor outside = at::sqrt(qx.clamp_min(0).square() + qy.clamp_min(0).square());
  return outside + at::maximum(qx, qy).clamp_max_(0);
}

// Equilateral triangle with circumradius 1 and its centroid at the origin, pointing up.
at::Tensor sdTriangle(const at::Tensor& x, const at::Tensor& y) {
  const double k = std::sqrt(3.0);
  const double h = k / 2;  // half the side
  at::Tensor px = x.abs() - h;
  at::Tensor py = y + h / k;
  // Fold the point onto the edge nearest to it.
  at::Tensor fold = (px + k * py) > 0;
  at::Tensor fx = at::where(fold, (px - k * py) * 0.5, px);
  at::Tensor fy = at::where(fold, (-k * px - py) * 0.5, py);
  fx = fx - fx.clamp(-2 * h, 0);
  return -at::sqrt(fx.square() + fy.square()) * at::sign(fy);
}

// Five-pointed star with tips at radius 1, one pointing up.
at::Tensor sdStar(const at::Tensor& x, const at::Tensor& y) {
  // Quilez's inner-vertex parameter; 0.5 gives a classic, clearly pointed star.
  constexpr double kInner = 0.5;
  const double k1x = 0.809016994375, k1y = -0.587785252292;
  const double k2x = -k1x, k2y = k1y;
  at::Tensor px = x.abs();
  at::Tensor py = y;
  // Two mirror folds map every point into one of the ten symmetric wedges.
  at::Tensor d = (px * k1x + py * k1y).clamp_min_(0) * 2;
  px = px - d * k1x;
  py = py - d * k1y;
  d = (px * k2x + py * k2y).clamp_min_(0) * 2;
  px = (px - d * k2x).abs_();
  py = py - d * k2y - 1;
  const double bax = kInner * -k1y, bay = kInner * k1x - 1;
  const double baLen2 = bax * bax + bay * bay;
  at::Tensor h = ((px * bax + py * bay) / baLen2).clamp_(0, 1);
  at::Tensor dist = at::sqrt((px - h * bax).square() + (py - h * bay).square());
  return dist * at::sign(py * bax - px * bay);
}

// Coverage of a pixel from its signed distance (in pixels) to the edge: a smoothstep one pixel
// wide.
at::Tensor coverage(const at::Tensor& distancePx) {
  at::Tensor t = (0.5 - distancePx).clamp_(0, 1);
  return t * t * (3 - 2 * t);
}

float toUnit(int srgb) {
  return static_cast<float>(srgb) / 127.5f - 1.0f;
}

}  // namespace

at::Tensor renderScenes(const std::vector<SceneSpec>& scenes, int frames, int height, int width,
                        const at::Device& device) {
  if (frames < 1 || height < 1 || width < 1) {
    throw InputError("cannot render " + std::to_string(frames) + " frames of " +
                     std::to_string(width) + "x" + std::to_string(height));
  }
  const auto& P = palette();
  const int64_t B = static_cast<int64_t>(scenes.size());
  const int64_t T = frames, H = height, W = width;
  const at::TensorOptions opts = at::TensorOptions().dtype(at::kFloat).device(device);
  int64_t slots = 0;
  for (const auto& s : scenes) {
    slots = std::max<int64_t>(slots, static_cast<int64_t>(s.objects.size()));
    for (const auto& o : s.objects) {
      if (o.color < 0 || o.color >= static_cast<int>(P.size())) {
        throw InputError("object colour index " + std::to_string(o.color) +
                         " is not in the palette");
      }
    }
    for (int c : {s.bgColor, s.bgColor2}) {
      if (c < 0 || c >= static_cast<int>(P.size())) {
        throw InputError("background colour index " + std::to_string(c) + " is not in the palette");
      }
    }
  }
  if (B == 0) return at::zeros({0, 3, T, H, W}, opts);

  // Everything per scene and per object is computed here on the host (a few floats each) and
  // crosses to the device in one copy; the per-pixel work below is all broadcasting tensor ops.
  // Rows: 0-5 background (c1 rgb, c2 rgb), 6 gradient flag, 7 stripes flag.
  std::vector<float> sceneRows(8 * B);
  // Object slot o of scene b is row o * B + b; rows: cx, cy (pixels), radius (pixels), cos, sin.
  const int64_t N = slots * B;
  std::vector<float> poseRows(5 * N * T, 0.0f);
  std::vector<float> colorRows(3 * N, 0.0f);
  std::vector<std::vector<int64_t>> byShape(kShapeCount);
  const float side = static_cast<float>(std::min(H, W));
  for (int64_t b = 0; b < B; ++b) {
    const SceneSpec& s = scenes[b];
    const NamedColor& c1 = P[s.bgColor];
    const NamedColor& c2 = s.background == BackgroundKind::Solid ? c1 : P[s.bgColor2];
    const float bg[6] = {toUnit(c1.r), toUnit(c1.g), toUnit(c1.b),
                         toUnit(c2.r), toUnit(c2.g), toUnit(c2.b)};
    for (int k = 0; k < 6; ++k) sceneRows[k * B + b] = bg[k];
    sceneRows[6 * B + b] = s.background == BackgroundKind::Gradient ? 1.0f : 0.0f;
    sceneRows[7 * B + b] = s.background == BackgroundKind::Stripes ? 1.0f : 0.0f;
    for (size_t o = 0; o < s.objects.size(); ++o) {
      const ObjectSpec& obj = s.objects[o];
      const int64_t n = static_cast<int64_t>(o) * B + b;
      byShape[static_cast<int>(obj.shape)].push_back(n);
      const NamedColor& c = P[obj.color];
      colorRows[0 * N + n] = toUnit(c.r);
      colorRows[1 * N + n] = toUnit(c.g);
      colorRows[2 * N + n] = toUnit(c.b);
      const float extent = objectRadius(obj.size) * shapeExtent(obj.shape) * side;
      for (int64_t f = 0; f < T; ++f) {
        const float t = T > 1 ? static_cast<float>(f) / static_cast<float>(T - 1) : 0.0f;
        const ObjectPose pose = objectPose(obj, t);
        float* row = poseRows.data() + n * T + f;
        row[0 * N * T] = pose.cx * static_cast<float>(W);
        row[1 * N * T] = pose.cy * static_cast<float>(H);
        row[2 * N * T] = std::max(pose.scale, 0.0f) * extent;
        row[3 * N * T] = std::cos(pose.angle);
        row[4 * N * T] = std::sin(pose.angle);
      }
    }
  }
  const int64_t sceneCount = 8 * B, poseCount = 5 * N * T, colorCount = 3 * N;
  std::vector<float> host;
  host.reserve(sceneCount + poseCount + colorCount);
  host.insert(host.end(), sceneRows.begin(), sceneRows.end());
  host.insert(host.end(), poseRows.begin(), poseRows.end());
  host.insert(host.end(), colorRows.begin(), colorRows.end());
  // copy=true: on the CPU the result must not alias `host`.
  const at::Tensor params =
      at::from_blob(host.data(), {static_cast<int64_t>(host.size())}, at::kFloat)
          .to(opts, /*non_blocking=*/false, /*copy=*/true);
  const at::Tensor sceneP = params.narrow(0, 0, sceneCount).view({8, B});
  const at::Tensor poseP = params.narrow(0, sceneCount, poseCount).view({5, N, T});
  const at::Tensor colorP = params.narrow(0, sceneCount + poseCount, colorCount).view({3, N});

  // Pixel centres, in pixels.
  const at::Tensor xs = at::arange(W, opts).add_(0.5);
  const at::Tensor ys = at::arange(H, opts).add_(0.5);

  // Background (B, 3, 1, H, W): c1 + (c2 - c1) * weight, where the weight is the vertical ramp for
  // gradients and the stripe pattern for stripes (and c2 == c1 for solid colours, so exact).
  const at::Tensor c1 = sceneP.narrow(0, 0, 3).t().reshape({B, 3, 1, 1, 1});
  const at::Tensor c2 = sceneP.narrow(0, 3, 3).t().reshape({B, 3, 1, 1, 1});
  const at::Tensor ramp = (ys / static_cast<double>(H)).view({1, 1, 1, H, 1});
  // Eight stripes across the shorter side, vertical, starting with c1 at the left edge.
  const double stripeWidth = side / 8.0;
  const at::Tensor stripe = at::fmod(at::floor(xs / stripeWidth), 2).view({1, 1, 1, 1, W});
  const at::Tensor weight =
      sceneP[6].view({B, 1, 1, 1, 1}) * ramp + sceneP[7].view({B, 1, 1, 1, 1}) * stripe;
  at::Tensor video = c1 + (c2 - c1) * weight;
  if (slots == 0) return video.expand({B, 3, T, H, W}).contiguous();

  // Coverage of every object slot; slots without an object stay zero and so draw nothing.
  at::Tensor alpha = at::zeros({N, T, H, W}, opts);
  for (int k = 0; k < kShapeCount; ++k) {
    if (byShape[k].empty()) continue;
    const Shape shape = static_cast<Shape>(k);
    const int64_t n = static_cast<int64_t>(byShape[k].size());
    const at::Tensor idx = at::from_blob(byShape[k].data(), {n}, at::kLong)
                               .to(opts.dtype(at::kLong), /*non_blocking=*/false, /*copy=*/true);
    const at::Tensor pose = poseP.index_select(1, idx).view({5, n, T, 1, 1});
    const at::Tensor radius = pose[2].clamp_min(1e-6);
    const at::Tensor inv = radius.reciprocal();
    // Offsets in units of the radius, y up so the SDFs' "up" is up on screen.
    const at::Tensor dx = (xs.view({1, 1, 1, W}) - pose[0]) * inv;  // (n, T, 1, W)
    const at::Tensor dy = (pose[1] - ys.view({1, 1, H, 1})) * inv;  // (n, T, H, 1)
    at::Tensor sd;
    if (rotationInvariant(shape)) {
      const at::Tensor r = at::sqrt(dx.square() + dy.square());
      sd = shape == Shape::Ring ? sdRingFromRadius(r) : r - 1;
    } else {
      // Rotating the shape counter-clockwise by a is rotating the pixel clockwise by a.
      const at::Tensor cs = pose[3], sn = pose[4];
      const at::Tensor u = dx * cs + dy * sn;
      const at::Tensor v = dy * cs - dx * sn;
      sd = shape == Shape::Square     ? sdSquare(u, v)
           : shape == Shape::Triangle ? sdTriangle(u, v)
                                      : sdStar(u, v);
    }
    alpha.index_copy_(0, idx, coverage(sd * radius));
  }

  // Later slots over earlier ones. lerp gives exactly the colour where coverage is 1.
  const at::Tensor colors = colorP.t().reshape({slots, B, 3, 1, 1, 1});
  const at::Tensor alphaSlots = alpha.view({slots, B, 1, T, H, W});
  video = video.expand({B, 3, T, H, W});
  for (int64_t o = 0; o < slots; ++o) {
    video =
        at::lerp(video, colors[o].expand({B, 3, T, H, W}), alphaSlots[o].expand({B, 3, T, H, W}));
  }
  return video.contiguous();
}

}  // namespace svgen
