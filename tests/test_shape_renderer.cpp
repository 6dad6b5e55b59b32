// The built-in model's training data: scenes, their prompts, and the tensor renderer.
#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/data/scene.h"
#include "core/data/scene_analysis.h"
#include "core/data/shape_renderer.h"
#include "core/model/builtin/builtin_words.h"
#include "tests/support/test_support.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <QtTest>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

using namespace svgen;

namespace {

const at::Device kCpu(at::kCPU);

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

at::Tensor render(const SceneSpec& scene, int frames = 16, int size = 128) {
  return renderScenes({scene}, frames, size, size, kCpu)[0];
}

// sRGB 0..255 of one pixel of a (3, T, H, W) clip.
std::array<float, 3> pixel(const at::Tensor& clip, int64_t t, int64_t y, int64_t x) {
  std::array<float, 3> rgb;
  for (int c = 0; c < 3; ++c) rgb[c] = (clip[c][t][y][x].item<float>() + 1) * 127.5f;
  return rgb;
}

bool near(const std::array<float, 3>& rgb, const NamedColor& c, float tol = 1.0f) {
  return std::abs(rgb[0] - c.r) <= tol && std::abs(rgb[1] - c.g) <= tol &&
         std::abs(rgb[2] - c.b) <= tol;
}

int colorIndex(const std::string& name) {
  for (size_t i = 0; i < palette().size(); ++i) {
    if (palette()[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

ObjectTrack trackOf(const std::string& prompt, const std::string& color, int frames = 16) {
  return trackColor(render(sceneFromPrompt(prompt, 3), frames), colorIndex(color));
}

bool increasing(const std::vector<float>& v, float minTotal) {
  for (size_t i = 1; i < v.size(); ++i) {
    if (!(v[i] > v[i - 1])) return false;
  }
  return v.back() - v.front() >= minTotal;
}

// Writes frames of clips side by side (one row per clip) as a PNG through ImageMagick.
void saveStrip(const std::vector<at::Tensor>& clips, const std::vector<int>& frames,
               const std::string& path) {
  const int64_t H = clips[0].size(2), W = clips[0].size(3);
  const int64_t gap = 2;
  const int64_t cols = static_cast<int64_t>(frames.size());
  const int64_t rows = static_cast<int64_t>(clips.size());
  const int64_t outW = cols * (W + gap), outH = rows * (H + gap);
  at::Tensor canvas = at::full({outH, outW, 3}, 255, at::kByte);
  for (int64_t r = 0; r < rows; ++r) {
    const at::Tensor u8 =
        ((clips[r] + 1) * 127.5).round().clamp(0, 255).to(at::kByte).permute({1, 2, 3, 0});
    for (int64_t c = 0; c < cols; ++c) {
      canvas.narrow(0, r * (H + gap), H).narrow(1, c * (W + gap), W).copy_(u8[frames[c]]);
    }
  }
  canvas = canvas.contiguous();
  const std::string ppm = path + ".ppm";
  {
    std::ofstream out(ppm, std::ios::binary);
    out << "P6\n" << outW << " " << outH << "\n255\n";
    out.write(reinterpret_cast<const char*>(canvas.data_ptr<uint8_t>()), canvas.numel());
  }
  const std::string cmd = "convert '" + ppm + "' '" + path + "' 2>/dev/null";
  if (std::system(cmd.c_str()) == 0) std::remove(ppm.c_str());
}

}  // namespace

class TestShapeRenderer : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { at::set_num_threads(2); }

  void samplerIsDeterministic() {
    SceneSampler a(42), b(42), c(43);
    std::vector<SceneSpec> sa, sb;
    bool differs = false;
    for (int i = 0; i < 64; ++i) {
      sa.push_back(a.next());
      sb.push_back(b.next());
      QVERIFY(sa.back() == sb.back());
      differs = differs || !(sa.back() == c.next());
    }
    QVERIFY(differs);
    const at::Tensor ta = renderScenes(sa, 8, 32, 32, kCpu);
    const at::Tensor tb = renderScenes(sb, 8, 32, 32, kCpu);
    QVERIFY(at::equal(ta, tb));
    QVERIFY(sceneFromPrompt("a red circle moving right", 5) ==
            sceneFromPrompt("a red circle moving right", 5));
  }

  void renderShapeAndRange() {
    SceneSampler sampler(1);
    std::vector<SceneSpec> scenes;
    for (int i = 0; i < 5; ++i) scenes.push_back(sampler.next());
    const at::Tensor v = renderScenes(scenes, 6, 40, 48, kCpu);
    QCOMPARE(v.sizes().vec(), (std::vector<int64_t>{5, 3, 6, 40, 48}));
    QCOMPARE(v.scalar_type(), at::kFloat);
    QVERIFY(v.is_contiguous());
    QVERIFY(v.min().item<float>() >= -1.0f && v.max().item<float>() <= 1.0f);
    QCOMPARE(renderScenes({}, 4, 8, 8, kCpu).size(0), int64_t(0));
    QVERIFY_THROWS_EXCEPTION(InputError, renderScenes(scenes, 0, 8, 8, kCpu));
  }

  void promptRoundTrip() {
    for (bool heldOut : {false, true}) {
      SceneSampler sampler(7, heldOut);
      for (int i = 0; i < 1000; ++i) {
        const SceneSpec s = sampler.next();
        const std::string prompt = sceneToPrompt(s);
        const SceneSpec p = sceneFromPrompt(prompt, 1234 + i);
        QCOMPARE(sceneToPrompt(p), prompt);
        QCOMPARE(p.background, s.background);
        QCOMPARE(p.bgColor, s.bgColor);
        QCOMPARE(p.bgColor2, s.bgColor2);
        QCOMPARE(p.objects.size(), s.objects.size());
        for (size_t k = 0; k < s.objects.size(); ++k) {
          QCOMPARE(p.objects[k].shape, s.objects[k].shape);
          QCOMPARE(p.objects[k].color, s.objects[k].color);
          QCOMPARE(p.objects[k].motion, s.objects[k].motion);
          QCOMPARE(p.objects[k].sizeInPrompt, s.objects[k].sizeInPrompt);
          if (s.objects[k].sizeInPrompt) QCOMPARE(p.objects[k].size, s.objects[k].size);
        }
      }
    }
  }

  void promptExamples() {
    QCOMPARE(
        sceneToPrompt(sceneFromPrompt(
            "a red circle moving right and a blue square moving down on a black background", 1)),
        std::string("a red circle moving right and a blue square moving down on a black "
                    "background"));
    const SceneSpec d = sceneFromPrompt(
        "a small orange star moving up and to the right and a large green triangle moving down "
        "and to the left on a gradient from blue to black",
        2);
    QCOMPARE(d.objects.size(), size_t(2));
    QCOMPARE(d.objects[0].motion, Motion::UpRight);
    QCOMPARE(d.objects[0].size, 0);
    QCOMPARE(d.objects[1].motion, Motion::DownLeft);
    QCOMPARE(d.objects[1].shape, Shape::Triangle);
    QCOMPARE(d.background, BackgroundKind::Gradient);
    QCOMPARE(d.bgColor, colorIndex("blue"));
    QCOMPARE(d.bgColor2, colorIndex("black"));
    QCOMPARE(sceneToPrompt(sceneFromPrompt("an orange ring growing on red and white stripes", 1)),
             std::string("an orange ring growing on red and white stripes"));
    QCOMPARE(sceneFromPrompt("a pink star spinning on a gray background", 1).objects[0].motion,
             Motion::Spin);
    QCOMPARE(
        sceneFromPrompt("a pink star standing still on a gray background", 1).objects[0].motion,
        Motion::Still);
    // Accepted variants: "to the", "a" before a vowel, no motion, no background.
    QCOMPARE(sceneFromPrompt("a red circle moving to the left", 1).objects[0].motion, Motion::Left);
    QCOMPARE(sceneFromPrompt("a orange circle", 1).objects[0].motion, Motion::Still);
    const SceneSpec noBg = sceneFromPrompt("a white square bouncing", 9);
    QVERIFY(noBg.bgColor != colorIndex("white") && noBg.bgColor2 != colorIndex("white"));
    QVERIFY(!noBg.objects[0].sizeInPrompt);
  }

  void parsingIgnoresCaseAndPunctuation() {
    const SceneSpec a = sceneFromPrompt("a red circle moving right on a blue background", 11);
    const SceneSpec b =
        sceneFromPrompt("  A Red CIRCLE, moving RIGHT -- on a blue background!!", 11);
    QVERIFY(a == b);
    QVERIFY(sceneFromPrompt("A small, GREEN star: spinning; on a black background.", 3) ==
            sceneFromPrompt("a small green star spinning on a black background", 3));
  }

  void unknownAndUngrammaticPrompts() {
    auto message = [](const std::string& prompt) -> std::string {
      try {
        sceneFromPrompt(prompt, 1);
      } catch (const InputError& e) {
        return e.what();
      }
      return "(no error)";
    };
    const std::string unknown = message("a red circle moving sideways on a blue background");
    QVERIFY2(unknown.find("\"sideways\"") != std::string::npos, unknown.c_str());
    QVERIFY(unknown.find("unknown word") != std::string::npos);
    const std::string two = message("a magenta hexagon moving right");
    QVERIFY2(two.find("\"magenta\"") != std::string::npos &&
                 two.find("\"hexagon\"") != std::string::npos,
             two.c_str());
    QVERIFY(message("a red circle moving 2 left").find("\"2\"") != std::string::npos);
    QVERIFY(message("").find("empty") != std::string::npos);
    const std::string noShape = message("a red moving right");
    QVERIFY2(noShape.find("expected a shape") != std::string::npos, noShape.c_str());
    QVERIFY(message("red circle moving right").find("starts with") != std::string::npos);
    QVERIFY(message("a red circle moving on a blue background").find("direction") !=
            std::string::npos);
    QVERIFY(message("a red circle moving up and to the on a blue background").find("\"left\"") !=
            std::string::npos);
    QVERIFY(message("a red circle and a blue square and a green star").find("two") !=
            std::string::npos);
    QVERIFY(message("a red circle on a red background").find("invisible") != std::string::npos);
    QVERIFY(message("a red circle on a blue background and").find("unexpected") !=
            std::string::npos);
    QVERIFY(message("a small large red circle").find("expected a colour") != std::string::npos);
    QVERIFY(message("a red circle on blue and blue stripes").find("two different") !=
            std::string::npos);
  }

  void vocabularyCoversPrompts() {
    const std::vector<std::string> vocab = builtin_words::vocabulary();
    QCOMPARE(vocab, builtin_words::vocabulary());
    // The shipped model numbers its words the same way as an untrained one would.
    const nlohmann::json shipped =
        readJsonFile(test::sourcePath("resources/models/builtin/config.json"));
    QCOMPARE(shipped.at("vocabulary").get<std::vector<std::string>>(), vocab);
    const std::set<std::string> known(vocab.begin(), vocab.end());
    QCOMPARE(known.size(), vocab.size());
    for (const auto& w : vocab) {
      for (char ch : w) QVERIFY2(ch >= 'a' && ch <= 'z', w.c_str());
    }
    std::set<std::string> used;
    size_t longest = 0;
    for (bool heldOut : {false, true}) {
      SceneSampler sampler(99, heldOut);
      for (int i = 0; i < 2000; ++i) {
        const auto ws = words(sceneToPrompt(sampler.next()));
        longest = std::max(longest, ws.size());
        for (const auto& w : ws) {
          QVERIFY2(known.count(w), w.c_str());
          used.insert(w);
        }
      }
    }
    QCOMPARE(used.size(), known.size());  // and every listed word does occur
    QVERIFY(longest <= 32);               // the word encoder reads at most 32 words
  }

  void heldOutSplit() {
    QCOMPARE(static_cast<int>(palette().size()), kColorCount);
    int held = 0, valid = 0;
    for (int c = 0; c < static_cast<int>(palette().size()); ++c) {
      for (int s = 0; s < kShapeCount; ++s) {
        for (int m = 0; m < kMotionCount; ++m) {
          if (!motionIsVisible(Shape(s), Motion(m))) continue;
          ++valid;
          held += isHeldOut(c, Shape(s), Motion(m));
        }
      }
    }
    const double fraction = double(held) / valid;
    QVERIFY2(fraction > 0.08 && fraction < 0.12, std::to_string(fraction).c_str());

    SceneSampler train(5, false), eval(5, true);
    std::set<std::tuple<int, int, int>> evalCombos;
    for (int i = 0; i < 5000; ++i) {
      for (const auto& o : train.next().objects) QVERIFY(!isHeldOut(o));
      for (const auto& o : eval.next().objects) {
        QVERIFY(isHeldOut(o));
        QVERIFY(motionIsVisible(o.shape, o.motion));
        evalCombos.insert({o.color, int(o.shape), int(o.motion)});
      }
    }
    // The evaluation stream covers every visible held-out combination.
    QCOMPARE(static_cast<int>(evalCombos.size()), held);
  }

  void sampledScenesAreVisible() {
    SceneSampler sampler(17);
    int two = 0;
    std::set<int> kinds, motions;
    for (int i = 0; i < 3000; ++i) {
      const SceneSpec s = sampler.next();
      kinds.insert(int(s.background));
      two += s.objects.size() == 2;
      if (s.background == BackgroundKind::Solid)
        QCOMPARE(s.bgColor2, s.bgColor);
      else
        QVERIFY(s.bgColor2 != s.bgColor);
      for (const auto& o : s.objects) {
        motions.insert(int(o.motion));
        QVERIFY(o.color != s.bgColor && o.color != s.bgColor2);
        QVERIFY(motionIsVisible(o.shape, o.motion));
        // Every object keeps its centre inside the frame for the whole clip.
        for (float t = 0; t <= 1.0f; t += 0.125f) {
          const ObjectPose p = objectPose(o, t);
          QVERIFY(p.cx > 0.05f && p.cx < 0.95f && p.cy > 0.05f && p.cy < 0.95f);
          QVERIFY(p.scale > 0.3f);
        }
      }
      if (s.objects.size() == 2) QVERIFY(s.objects[0].color != s.objects[1].color);
    }
    QCOMPARE(kinds.size(), size_t(3));
    QCOMPARE(motions.size(), size_t(kMotionCount));
    QVERIFY(two > 700 && two < 1400);
  }

  void renderedColorsAreExact() {
    const auto& P = palette();
    const SceneSpec s =
        sceneFromPrompt("a large red square standing still on a blue background", 1);
    const at::Tensor clip = render(s, 4, 64);
    const ObjectPose pose = objectPose(s.objects[0], 0);
    const int cx = int(pose.cx * 64), cy = int(pose.cy * 64);
    for (int t = 0; t < 4; ++t) {
      QVERIFY(near(pixel(clip, t, cy, cx), P[colorIndex("red")]));
      // The square's half side is 0.26 * 0.88 of the frame: 3 pixels inside its edge is interior.
      QVERIFY(near(pixel(clip, t, cy + 11, cx - 11), P[colorIndex("red")]));
    }
    // Far from the square: exactly the background.
    const int bx = pose.cx < 0.5f ? 63 : 0, by = pose.cy < 0.5f ? 63 : 0;
    QVERIFY(near(pixel(clip, 0, by, bx), P[colorIndex("blue")]));
    QCOMPARE(estimateBackgroundColor(clip), colorIndex("blue"));

    // Stripes: only the two colours away from the object; gradients: top and bottom rows near ends.
    const at::Tensor stripes = render(
        sceneFromPrompt("a small white circle standing still on red and green stripes", 1), 2, 64);
    QVERIFY(near(pixel(stripes, 0, 0, 0), P[colorIndex("red")]));
    QVERIFY(near(pixel(stripes, 0, 0, 8), P[colorIndex("green")]));
    QVERIFY(near(pixel(stripes, 0, 0, 16), P[colorIndex("red")]));
    const std::vector<float> hist = borderColorHistogram(stripes);
    QVERIFY(hist[colorIndex("red")] > 0.3f && hist[colorIndex("green")] > 0.3f);
    const at::Tensor gradient =
        render(sceneFromPrompt("a small white circle standing still on a gradient from black to "
                               "yellow",
                               1),
               2, 64);
    QVERIFY(near(pixel(gradient, 0, 0, 0), P[colorIndex("black")], 4));
    QVERIFY(near(pixel(gradient, 0, 63, 0), P[colorIndex("yellow")], 4));
  }

  void analysisHelpers() {
    QCOMPARE(nearestPaletteColor(231, 41, 39), colorIndex("red"));
    QCOMPARE(nearestPaletteColor(0, 0, 0), colorIndex("black"));
    QCOMPARE(nearestPaletteColor(130, 125, 131), colorIndex("gray"));
    for (size_t i = 0; i < palette().size(); ++i) {
      const auto& c = palette()[i];
      QCOMPARE(nearestPaletteColor(c.r, c.g, c.b), int(i));
    }
    // A colour absent from the clip has an empty track.
    const ObjectTrack none = trackOf("a red circle standing still on a blue background", "green");
    QCOMPARE(none.area.size(), size_t(16));
    QCOMPARE(none.area[0], 0.0f);
    QVERIFY(std::isnan(none.cx[0]));
  }

  void motionsAreVisible() {
    const ObjectTrack right = trackOf("a red circle moving right on a black background", "red");
    QVERIFY(increasing(right.cx, 0.35f));
    QVERIFY(std::abs(right.cy.back() - right.cy.front()) < 0.01f);
    const ObjectTrack left = trackOf("a yellow square moving left on a blue background", "yellow");
    QVERIFY(increasing(std::vector<float>(left.cx.rbegin(), left.cx.rend()), 0.35f));
    const ObjectTrack up = trackOf("a green triangle moving up on a white background", "green");
    QVERIFY(increasing(std::vector<float>(up.cy.rbegin(), up.cy.rend()), 0.35f));
    const ObjectTrack down = trackOf("a pink star moving down on a black background", "pink");
    QVERIFY(increasing(down.cy, 0.35f));
    const ObjectTrack diag =
        trackOf("a cyan ring moving up and to the right on a black background", "cyan");
    QVERIFY(increasing(diag.cx, 0.25f));
    QVERIFY(increasing(std::vector<float>(diag.cy.rbegin(), diag.cy.rend()), 0.25f));
    const ObjectTrack grow = trackOf("a blue square growing on a white background", "blue");
    QVERIFY(increasing(grow.area, 0.0f));
    QVERIFY(grow.area.back() > 4 * grow.area.front());
    const ObjectTrack shrink = trackOf("a blue circle shrinking on a white background", "blue");
    QVERIFY(increasing(std::vector<float>(shrink.area.rbegin(), shrink.area.rend()), 0.0f));
    const ObjectTrack still =
        trackOf("a purple star standing still on a white background", "purple");
    for (size_t t = 0; t < 16; ++t) {
      QCOMPARE(still.cx[t], still.cx[0]);
      QCOMPARE(still.cy[t], still.cy[0]);
      QCOMPARE(still.area[t], still.area[0]);
    }
    // Bouncing: up and back down at least twice, with a clear height.
    const ObjectTrack bounce = trackOf("a orange circle bouncing on a black background", "orange");
    int turns = 0;
    for (size_t t = 1; t + 1 < 16; ++t) {
      turns += (bounce.cy[t] - bounce.cy[t - 1]) * (bounce.cy[t + 1] - bounce.cy[t]) < 0;
    }
    QVERIFY(turns >= 2);
    const auto [lo, hi] = std::minmax_element(bounce.cy.begin(), bounce.cy.end());
    QVERIFY(*hi - *lo > 0.2f);
    // Spinning: the centroid stays, the pixels change from frame to frame.
    const SceneSpec spin =
        sceneFromPrompt("a large green square spinning on a black background", 4);
    const at::Tensor clip = render(spin);
    const ObjectTrack st = trackColor(clip, colorIndex("green"));
    for (size_t t = 0; t < 16; ++t) QVERIFY(std::abs(st.cx[t] - st.cx[0]) < 0.01f);
    for (int t = 1; t < 16; ++t) {
      const double change = (clip.select(1, t) - clip.select(1, t - 1)).abs().mean().item<double>();
      QVERIFY(change > 0.002);
    }
  }

  void secondObjectIsDrawnOnTop() {
    SceneSpec s = sceneFromPrompt(
        "a large red square standing still and a small blue circle standing still on a black "
        "background",
        1);
    s.objects[1].startX = s.objects[0].startX;
    s.objects[1].startY = s.objects[0].startY;
    const at::Tensor clip = render(s, 1, 64);
    const int cx = int(s.objects[0].startX * 64), cy = int(s.objects[0].startY * 64);
    QVERIFY(near(pixel(clip, 0, cy, cx), palette()[colorIndex("blue")]));
    std::swap(s.objects[0], s.objects[1]);
    QVERIFY(near(pixel(render(s, 1, 64), 0, cy, cx), palette()[colorIndex("red")]));
  }

  void edgesAreAntialiased() {
    const SceneSpec s =
        sceneFromPrompt("a large white circle standing still on a black background", 1);
    const at::Tensor clip = render(s, 1, 128);
    // Red channel from black (20) to white (240): count pixels strictly between.
    const at::Tensor r = (clip[0][0] + 1) * 127.5;
    const int64_t partial = ((r > 21) & (r < 239)).sum().item<int64_t>();
    // A circle of radius 33 px has a perimeter of about 210 pixels; the band of partial coverage is
    // about one pixel wide (its faint ends round to the pure colours).
    QVERIFY2(partial > 100 && partial < 400, std::to_string(partial).c_str());
    // Every partial pixel sits at the edge: about one radius from the centre.
    const double cx = s.objects[0].startX * 128, cy = s.objects[0].startY * 128;
    const double radius = objectRadius(2) * 128;
    const at::Tensor idx = ((r > 21) & (r < 239)).nonzero();
    for (int64_t i = 0; i < idx.size(0); ++i) {
      const double y = idx[i][0].item<int64_t>() + 0.5, x = idx[i][1].item<int64_t>() + 0.5;
      QVERIFY(std::abs(std::hypot(x - cx, y - cy) - radius) < 1.0);
    }
  }

  void batchEqualsOneByOne() {
    SceneSampler sampler(21);
    std::vector<SceneSpec> scenes;
    for (int i = 0; i < 10; ++i) scenes.push_back(sampler.next());
    const at::Tensor batch = renderScenes(scenes, 5, 48, 48, kCpu);
    for (size_t i = 0; i < scenes.size(); ++i) {
      const at::Tensor one = renderScenes({scenes[i]}, 5, 48, 48, kCpu);
      QVERIFY(at::allclose(batch[i], one[0], 0, 1e-5));
    }
  }

  void renderSpeed() {
    SceneSampler sampler(8);
    std::vector<SceneSpec> scenes;
    for (int i = 0; i < 8; ++i) scenes.push_back(sampler.next());
    renderScenes(scenes, 16, 128, 128, kCpu);  // warm-up
    const int reps = 3;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) renderScenes(scenes, 16, 128, 128, kCpu);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps;
    qInfo("renderScenes: 8 clips of 16x128x128 in %.3f s on the CPU (%.1f clips/s, %d threads)",
          seconds, 8 / seconds, at::get_num_threads());
    QVERIFY(seconds < 5.0);  // about 0.04 s when the machine is idle; this only catches regressions
  }

  void saveContactSheet() {
    const std::string dir = test::freshDir("shape_renderer");
    std::vector<at::Tensor> clips;
    for (const char* prompt : {
             "a large red circle standing still and a small yellow square standing still on a "
             "blue background",
             "a large green triangle standing still on a gradient from white to black",
             "a large pink star standing still on red and white stripes",
             "a large orange ring standing still on a purple background",
             "a small cyan star spinning on a black background",
             "a medium white square moving up and to the right on a gray background",
             "a medium yellow triangle growing on a blue background",
             "a small blue circle bouncing and a large red star moving left on a white background",
         }) {
      clips.push_back(render(sceneFromPrompt(prompt, 2)));
    }
    const std::string path = dir + "/frames.png";
    saveStrip(clips, {0, 3, 6, 9, 12, 15}, path);
    qInfo("contact sheet: %s", path.c_str());
    // What training sees: sampled scenes, their prompts beside the image.
    SceneSampler sampler(2024);
    std::vector<SceneSpec> scenes;
    std::ofstream prompts(dir + "/sampled.txt");
    for (int i = 0; i < 10; ++i) {
      scenes.push_back(sampler.next());
      prompts << sceneToPrompt(scenes.back()) << "\n";
    }
    const at::Tensor batch = renderScenes(scenes, 16, 128, 128, kCpu);
    saveStrip(batch.unbind(0), {0, 5, 10, 15}, dir + "/sampled.png");
  }
};

QTEST_GUILESS_MAIN(TestShapeRenderer)
#include "test_shape_renderer.moc"
