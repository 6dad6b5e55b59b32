#include "core/data/scene.h"

#include "core/common/error.h"
#include "core/common/prompt_words.h"
#include "core/data/seeded_rng.h"
#include "core/model/builtin/builtin_words.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <sstream>

namespace svgen {

namespace {

constexpr float kPi = 3.14159265358979f;

// A gradient passes through blends of its two ends; an object colour closer than this (sRGB
// distance) to that line would hardly stand out, so the sampler avoids it.
constexpr float kMinGradientContrast = 60.0f;

const auto& kShapeNames = builtin_words::kShapes;
const auto& kSizeNames = builtin_words::kSizes;
static_assert(std::size(builtin_words::kShapes) == kShapeCount);
static_assert(std::size(builtin_words::kSizes) == kSizeCount);
const float kRadii[kSizeCount] = {0.12f, 0.18f, 0.26f};

struct Direction {
  float x, y;  // unit steps along the frame axes; y grows downwards
};

Direction directionOf(Motion m) {
  // Diagonals cover a bit less along each axis so their path length matches the straight ones.
  constexpr float d = 0.75f;
  switch (m) {
    case Motion::Left:
      return {-1, 0};
    case Motion::Right:
      return {1, 0};
    case Motion::Up:
      return {0, -1};
    case Motion::Down:
      return {0, 1};
    case Motion::UpLeft:
      return {-d, -d};
    case Motion::UpRight:
      return {d, -d};
    case Motion::DownLeft:
      return {-d, d};
    case Motion::DownRight:
      return {d, d};
    default:
      return {0, 0};
  }
}

float maxScale(const ObjectSpec& o) {
  if (o.motion == Motion::Grow || o.motion == Motion::Shrink) return 1.0f + 0.5f * o.speed;
  return 1.0f;
}

// Distance from the frame edge that keeps the whole object inside, as far as it fits.
float fullMargin(const ObjectSpec& o) {
  return std::min(0.5f, objectRadius(o.size) * shapeExtent(o.shape) * maxScale(o) + 0.02f);
}

// Along the direction of travel the path needs room, so the object may start or end partly
// outside the frame, but never by more than half.
float travelMargin(const ObjectSpec& o) {
  return 0.5f * objectRadius(o.size) * shapeExtent(o.shape) + 0.04f;
}

// Where in its allowed range an object starts, as a fraction of that range per axis.
struct Anchor {
  float x = 0.5f, y = 0.5f;
};

// How far a start may stray from its anchor, in frame fractions (about 8 pixels at 128 x 128).
// Uniform starts over the whole frame left the model to pick one of a continuum of layouts from
// pure noise, which three 20-minute training runs never learnt (MODEL_CARD.md); a narrow window
// keeps the layout a function of the prompt, with some variety.
constexpr float kStartJitter = 0.06f;

// A coordinate in [lo, hi] near the fraction `anchor` of that range.
float near(Rng& rng, float lo, float hi, float anchor) {
  if (hi <= lo) return 0.5f * (lo + hi);
  const float centre = lo + anchor * (hi - lo);
  return rng.uniform(std::max(lo, centre - kStartJitter), std::min(hi, centre + kStartJitter));
}

// A start coordinate such that start + travel stays within [m, 1 - m].
float startFor(Rng& rng, float travel, float m, float anchor) {
  const float lo = travel < 0 ? m - travel : m;
  const float hi = travel > 0 ? 1 - m - travel : 1 - m;
  return near(rng, lo, hi, anchor);
}

// Draws everything the prompt leaves open: the path, speed and phase.
void sampleMotion(ObjectSpec& o, Rng& rng, Anchor a) {
  o.startX = o.startY = 0.5f;
  o.speed = 0;
  o.phase = 0;
  switch (o.motion) {
    case Motion::Still:
    case Motion::Spin: {
      const float m = fullMargin(o);
      o.startX = near(rng, m, 1 - m, a.x);
      o.startY = near(rng, m, 1 - m, a.y);
      if (o.motion == Motion::Spin) {
        o.speed = rng.uniform(0.3f, 0.5f);
        o.phase = rng.uniform(0, 2 * kPi);
      }
      break;
    }
    case Motion::Grow:
    case Motion::Shrink: {
      o.speed = rng.uniform(0.8f, 1.0f);
      const float m = fullMargin(o);
      o.startX = near(rng, m, 1 - m, a.x);
      o.startY = near(rng, m, 1 - m, a.y);
      break;
    }
    case Motion::Bounce: {
      o.speed = rng.uniform(0.25f, 0.35f);
      o.phase = rng.uniform(0, kPi);
      const float m = fullMargin(o);
      o.startX = near(rng, m, 1 - m, a.x);
      o.startY = startFor(rng, -o.speed, travelMargin(o), a.y);
      break;
    }
    default: {
      o.speed = rng.uniform(0.4f, 0.55f);
      const Direction d = directionOf(o.motion);
      const float m = travelMargin(o), still = fullMargin(o);
      o.startX = startFor(rng, d.x * o.speed, d.x != 0 ? m : still, a.x);
      o.startY = startFor(rng, d.y * o.speed, d.y != 0 ? m : still, a.y);
      break;
    }
  }
}

bool movesVertically(Motion m) {
  return m == Motion::Up || m == Motion::Down || m == Motion::Bounce;
}

// One object starts in the middle of its range. Two objects start near opposite ends of theirs
// (at 0.2 and 0.8 of it), across the first object's motion: side by side when it moves up or down,
// one above the other otherwise.
Anchor anchorFor(size_t index, size_t count, Motion firstMotion) {
  Anchor a;
  if (count < 2) return a;
  const float f = index == 0 ? 0.2f : 0.8f;
  (movesVertically(firstMotion) ? a.x : a.y) = f;
  return a;
}

float colorDistance(const NamedColor& a, float r, float g, float b) {
  return std::sqrt((a.r - r) * (a.r - r) + (a.g - g) * (a.g - g) + (a.b - b) * (a.b - b));
}

// Distance in sRGB from colour c to the blends between a and b.
float distanceToBlend(int c, int a, int b) {
  const auto& P = palette();
  const float d[3] = {float(P[b].r - P[a].r), float(P[b].g - P[a].g), float(P[b].b - P[a].b)};
  const float p[3] = {float(P[c].r - P[a].r), float(P[c].g - P[a].g), float(P[c].b - P[a].b)};
  const float dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  float t = dd > 0 ? (p[0] * d[0] + p[1] * d[1] + p[2] * d[2]) / dd : 0;
  t = std::clamp(t, 0.0f, 1.0f);
  return colorDistance(P[c], P[a].r + t * d[0], P[a].g + t * d[1], P[a].b + t * d[2]);
}

bool visibleOn(int color, BackgroundKind kind, int a, int b) {
  if (color == a || color == b) return false;
  return kind != BackgroundKind::Gradient || distanceToBlend(color, a, b) >= kMinGradientContrast;
}

// A background on which every given object colour stands out.
void sampleBackground(SceneSpec& s, Rng& rng) {
  const int n = static_cast<int>(palette().size());
  for (;;) {
    const float u = rng.uniform();
    s.background = u < 0.6f   ? BackgroundKind::Solid
                   : u < 0.8f ? BackgroundKind::Gradient
                              : BackgroundKind::Stripes;
    s.bgColor = rng.below(n);
    s.bgColor2 = s.bgColor;
    if (s.background != BackgroundKind::Solid) {
      s.bgColor2 = rng.below(n - 1);
      if (s.bgColor2 >= s.bgColor) ++s.bgColor2;
    }
    bool ok = true;
    for (const auto& o : s.objects)
      ok = ok && visibleOn(o.color, s.background, s.bgColor, s.bgColor2);
    if (ok) return;
  }
}

// Draws the object's path, a few times if needed to keep it apart from the objects already placed
// (objects whose paths keep apart are easier to tell apart, for the model and for evaluation).
void placeObject(ObjectSpec& o, const std::vector<ObjectSpec>& placed, size_t count, Rng& rng) {
  const Anchor anchor =
      anchorFor(placed.size(), count, placed.empty() ? o.motion : placed[0].motion);
  auto overlaps = [&o](const ObjectSpec& other) {
    const float reach = 0.9f * (objectRadius(o.size) * shapeExtent(o.shape) +
                                objectRadius(other.size) * shapeExtent(other.shape));
    for (float t : {0.0f, 0.5f, 1.0f}) {
      const ObjectPose p = objectPose(o, t), q = objectPose(other, t);
      if (std::hypot(p.cx - q.cx, p.cy - q.cy) < reach) return true;
    }
    return false;
  };
  for (int attempt = 0; attempt < 16; ++attempt) {
    sampleMotion(o, rng, anchor);
    if (std::none_of(placed.begin(), placed.end(), overlaps)) return;
  }
}

// ---- parsing -----------------------------------------------------------------------------------

template <typename List>
std::string joinQuoted(const List& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += std::string("\"") + item + "\"";
  }
  return out;
}

std::vector<std::string> colorNames() {
  std::vector<std::string> names;
  for (const auto& c : palette()) names.push_back(c.name);
  return names;
}

class PromptParser {
 public:
  PromptParser(std::vector<std::string> words, std::string prompt)
      : words_(std::move(words)), prompt_(std::move(prompt)) {}

  SceneSpec parse(Rng& rng) {
    SceneSpec scene;
    scene.objects.push_back(object(rng));
    while (peek() == "and") {
      take();
      if (scene.objects.size() == 2) fail("the built-in model draws at most two objects");
      scene.objects.push_back(object(rng));
    }
    bool haveBackground = false;
    if (peek() == "on") {
      take();
      background(scene);
      haveBackground = true;
    }
    if (pos_ < words_.size()) {
      fail("unexpected \"" + words_[pos_] + "\" after " +
           (haveBackground ? std::string("the background") : std::string("the object")) +
           "; objects are joined with \"and a\", the background starts with \"on\"");
    }
    for (const auto& o : scene.objects) {
      if (haveBackground && (o.color == scene.bgColor || o.color == scene.bgColor2)) {
        fail(std::string("the ") + palette()[o.color].name + " " + shapeName(o.shape) +
             " would be invisible on a background of the same colour");
      }
    }
    for (size_t i = 0; i < scene.objects.size(); ++i) {
      placeObject(scene.objects[i], {scene.objects.begin(), scene.objects.begin() + i},
                  scene.objects.size(), rng);
    }
    if (!haveBackground) sampleBackground(scene, rng);
    return scene;
  }

 private:
  const std::string& peek(size_t ahead = 0) const {
    static const std::string end;
    return pos_ + ahead < words_.size() ? words_[pos_ + ahead] : end;
  }
  std::string take() { return pos_ < words_.size() ? words_[pos_++] : std::string(); }

  [[noreturn]] void fail(const std::string& why) const {
    throw InputError("cannot read the prompt \"" + prompt_ + "\": " + why);
  }

  std::string describeNext() const {
    return pos_ < words_.size() ? "\"" + words_[pos_] + "\"" : std::string("the end of the prompt");
  }

  void expect(const std::string& word, const std::string& context) {
    if (peek() != word)
      fail("expected \"" + word + "\" " + context + " but found " + describeNext());
    take();
  }

  int color(const std::string& context) {
    const auto names = colorNames();
    const auto it = std::find(names.begin(), names.end(), peek());
    if (it == names.end()) {
      fail("expected a colour (" + joinQuoted(names) + ") " + context + " but found " +
           describeNext());
    }
    take();
    return static_cast<int>(it - names.begin());
  }

  ObjectSpec object(Rng& rng) {
    ObjectSpec o;
    if (peek() == "a" || peek() == "an") {
      take();
    } else {
      fail("each object starts with \"a\" or \"an\" but found " + describeNext());
    }
    o.sizeInPrompt = false;
    const auto* size = std::find(std::begin(kSizeNames), std::end(kSizeNames), peek());
    if (size != std::end(kSizeNames)) {
      take();
      o.size = static_cast<int>(size - std::begin(kSizeNames));
      o.sizeInPrompt = true;
    }
    o.color = color("before the shape");
    const std::string shape = peek();
    const auto* it = std::find(std::begin(kShapeNames), std::end(kShapeNames), shape);
    if (it == std::end(kShapeNames)) {
      fail("expected a shape (" + joinQuoted(kShapeNames) + ") after \"" + palette()[o.color].name +
           "\" but found " + describeNext());
    }
    take();
    o.shape = static_cast<Shape>(it - std::begin(kShapeNames));
    o.motion = motion();
    if (!o.sizeInPrompt) o.size = rng.below(kSizeCount);
    return o;
  }

  Motion motion() {
    const std::string w = peek();
    if (w == "growing") return take(), Motion::Grow;
    if (w == "shrinking") return take(), Motion::Shrink;
    if (w == "spinning") return take(), Motion::Spin;
    if (w == "bouncing") return take(), Motion::Bounce;
    if (w == "standing") {
      take();
      expect("still", "after \"standing\"");
      return Motion::Still;
    }
    if (w != "moving") return Motion::Still;
    take();
    if (peek() == "to") {
      take();
      expect("the", "after \"moving to\"");
      return leftOrRight(Motion::Left, Motion::Right, "after \"moving to the\"");
    }
    if (peek() == "left" || peek() == "right") return leftOrRight(Motion::Left, Motion::Right, "");
    const bool up = peek() == "up";
    if (!up && peek() != "down") {
      fail(
          "expected a direction (\"left\", \"right\", \"up\", \"down\") after \"moving\" but "
          "found " +
          describeNext());
    }
    take();
    // "and to the ..." makes a diagonal; "and a ..." starts the next object.
    if (peek() == "and" && peek(1) == "to") {
      take();
      take();
      const std::string vertical = up ? "\"moving up and to\"" : "\"moving down and to\"";
      expect("the", "after " + vertical);
      return up ? leftOrRight(Motion::UpLeft, Motion::UpRight, "after \"moving up and to the\"")
                : leftOrRight(Motion::DownLeft, Motion::DownRight,
                              "after \"moving down and to the\"");
    }
    return up ? Motion::Up : Motion::Down;
  }

  Motion leftOrRight(Motion left, Motion right, const std::string& context) {
    if (peek() == "left") return take(), left;
    if (peek() == "right") return take(), right;
    fail("expected \"left\" or \"right\" " + context + " but found " + describeNext());
  }

  void background(SceneSpec& s) {
    if (peek() == "a" && peek(1) == "gradient") {
      take();
      take();
      expect("from", "after \"gradient\"");
      s.background = BackgroundKind::Gradient;
      s.bgColor = color("after \"gradient from\"");
      expect("to", "between the two gradient colours");
      s.bgColor2 = color("after \"to\"");
      if (peek() == "background") take();
      if (s.bgColor == s.bgColor2) fail("a gradient needs two different colours");
    } else if (peek() == "a") {
      take();
      s.background = BackgroundKind::Solid;
      s.bgColor = s.bgColor2 = color("after \"on a\"");
      expect("background", "after the background colour");
    } else {
      s.background = BackgroundKind::Stripes;
      s.bgColor = color("after \"on\" (or write \"on a ... background\")");
      expect("and", "between the two stripe colours");
      s.bgColor2 = color("after \"and\"");
      expect("stripes", "after the stripe colours");
      if (peek() == "background") take();
      if (s.bgColor == s.bgColor2) fail("stripes need two different colours");
    }
  }

  std::vector<std::string> words_;
  std::string prompt_;
  size_t pos_ = 0;
};

}  // namespace

bool operator==(const ObjectSpec& a, const ObjectSpec& b) {
  return a.shape == b.shape && a.color == b.color && a.size == b.size && a.motion == b.motion &&
         a.startX == b.startX && a.startY == b.startY && a.speed == b.speed && a.phase == b.phase &&
         a.sizeInPrompt == b.sizeInPrompt;
}

bool operator==(const SceneSpec& a, const SceneSpec& b) {
  return a.background == b.background && a.bgColor == b.bgColor && a.bgColor2 == b.bgColor2 &&
         a.objects == b.objects;
}

const std::vector<NamedColor>& palette() {
  // sRGB of each colour word, in builtin_words::kColours order.
  static constexpr int kRgb[][3] = {
      {230, 40, 40},   {245, 140, 30},  {240, 220, 40}, {50, 180, 70},
      {40, 200, 220},  {40, 80, 230},   {140, 60, 200}, {240, 110, 180},
      {240, 240, 240}, {128, 128, 128}, {20, 20, 20},
  };
  static_assert(std::size(kRgb) == std::size(builtin_words::kColours));
  static_assert(std::size(kRgb) == kColorCount);
  static const std::vector<NamedColor> colors = [] {
    std::vector<NamedColor> c;
    for (size_t i = 0; i < std::size(kRgb); ++i)
      c.push_back({builtin_words::kColours[i], kRgb[i][0], kRgb[i][1], kRgb[i][2]});
    return c;
  }();
  return colors;
}

const char* shapeName(Shape shape) {
  return kShapeNames[static_cast<int>(shape)];
}

const char* sizeName(int size) {
  return kSizeNames[std::clamp(size, 0, kSizeCount - 1)];
}

std::string motionPhrase(Motion motion) {
  switch (motion) {
    case Motion::Still:
      return "standing still";
    case Motion::Left:
      return "moving left";
    case Motion::Right:
      return "moving right";
    case Motion::Up:
      return "moving up";
    case Motion::Down:
      return "moving down";
    case Motion::UpLeft:
      return "moving up and to the left";
    case Motion::UpRight:
      return "moving up and to the right";
    case Motion::DownLeft:
      return "moving down and to the left";
    case Motion::DownRight:
      return "moving down and to the right";
    case Motion::Grow:
      return "growing";
    case Motion::Shrink:
      return "shrinking";
    case Motion::Spin:
      return "spinning";
    case Motion::Bounce:
      return "bouncing";
  }
  return "standing still";
}

float objectRadius(int size) {
  return kRadii[std::clamp(size, 0, kSizeCount - 1)];
}

float shapeExtent(Shape shape) {
  switch (shape) {
    case Shape::Square:
      return 0.88f;
    // Triangles and stars cover less of their circumcircle, so they get a larger one.
    case Shape::Triangle:
    case Shape::Star:
      return 1.3f;
    default:
      return 1.0f;
  }
}

bool motionIsVisible(Shape shape, Motion motion) {
  return !(motion == Motion::Spin && (shape == Shape::Circle || shape == Shape::Ring));
}

ObjectPose objectPose(const ObjectSpec& o, float t) {
  ObjectPose p{o.startX, o.startY, 1.0f, 0.0f};
  switch (o.motion) {
    case Motion::Still:
      break;
    case Motion::Grow:
      p.scale = 1.0f + o.speed * (t - 0.5f);
      break;
    case Motion::Shrink:
      p.scale = 1.0f - o.speed * (t - 0.5f);
      break;
    case Motion::Spin:
      p.angle = o.phase + 2 * kPi * o.speed * t;
      break;
    // Two bounces per clip: at 16 frames each one takes about 8 frames.
    case Motion::Bounce:
      p.cy = o.startY - o.speed * std::abs(std::sin(2 * kPi * t + o.phase));
      break;
    default: {
      const Direction d = directionOf(o.motion);
      p.cx += d.x * o.speed * t;
      p.cy += d.y * o.speed * t;
      break;
    }
  }
  return p;
}

std::string sceneToPrompt(const SceneSpec& scene) {
  std::ostringstream out;
  const auto& P = palette();
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    const ObjectSpec& o = scene.objects[i];
    if (i) out << " and ";
    const std::string first = o.sizeInPrompt ? sizeName(o.size) : P[o.color].name;
    out << (std::string("aeiou").find(first[0]) != std::string::npos ? "an " : "a ");
    if (o.sizeInPrompt) out << sizeName(o.size) << ' ';
    out << P[o.color].name << ' ' << shapeName(o.shape) << ' ' << motionPhrase(o.motion);
  }
  switch (scene.background) {
    case BackgroundKind::Solid:
      out << " on a " << P[scene.bgColor].name << " background";
      break;
    case BackgroundKind::Gradient:
      out << " on a gradient from " << P[scene.bgColor].name << " to " << P[scene.bgColor2].name;
      break;
    case BackgroundKind::Stripes:
      out << " on " << P[scene.bgColor].name << " and " << P[scene.bgColor2].name << " stripes";
      break;
  }
  return out.str();
}

SceneSpec sceneFromPrompt(const std::string& prompt, uint64_t seed) {
  const std::vector<std::string> words = splitPromptWords(prompt);
  if (words.empty())
    throw InputError("the prompt is empty; try e.g. \"a red circle moving right\"");
  const std::vector<std::string> vocabulary = builtin_words::vocabulary();
  std::vector<std::string> unknown;
  for (const auto& w : words) {
    if (std::find(vocabulary.begin(), vocabulary.end(), w) == vocabulary.end() &&
        std::find(unknown.begin(), unknown.end(), w) == unknown.end()) {
      unknown.push_back(w);
    }
  }
  if (!unknown.empty()) {
    std::string known;
    for (const auto& w : vocabulary) known += (known.empty() ? "" : " ") + w;
    throw InputError(std::string("unknown word") + (unknown.size() > 1 ? "s " : " ") +
                     joinQuoted(unknown) + " in the prompt \"" + prompt +
                     "\"; the built-in model knows only: " + known);
  }
  Rng rng(seed ^ 0x5EED5CE7E0000001ull);
  return PromptParser(words, prompt).parse(rng);
}

bool isHeldOut(int color, Shape shape, Motion motion) {
  return (color + 2 * static_cast<int>(shape) + 3 * static_cast<int>(motion)) % kColorCount == 0;
}

bool isHeldOut(const ObjectSpec& o) {
  return isHeldOut(o.color, o.shape, o.motion);
}

SceneSampler::SceneSampler(uint64_t seed, bool heldOut)
    : state_(seed ^ (heldOut ? 0x4E1D0A7E5EED0002ull : 0x7EA1A5EED0000003ull)), heldOut_(heldOut) {}

SceneSpec SceneSampler::next() {
  Rng rng(state_);
  const int nColors = static_cast<int>(palette().size());
  SceneSpec scene;
  const int count = rng.uniform() < 0.65f ? 1 : 2;
  while (static_cast<int>(scene.objects.size()) < count) {
    ObjectSpec o;
    for (;;) {
      o.shape = static_cast<Shape>(rng.below(kShapeCount));
      o.motion = static_cast<Motion>(rng.below(kMotionCount));
      if (!motionIsVisible(o.shape, o.motion)) continue;
      if (heldOut_) {
        // The one colour that the rule holds out for this shape and motion.
        const int k =
            (2 * static_cast<int>(o.shape) + 3 * static_cast<int>(o.motion)) % kColorCount;
        o.color = (kColorCount - k) % kColorCount;
      } else {
        o.color = rng.below(nColors);
        if (isHeldOut(o)) continue;
      }
      bool clash = false;
      for (const auto& other : scene.objects) clash = clash || other.color == o.color;
      if (!clash) break;
    }
    o.size = rng.below(kSizeCount);
    o.sizeInPrompt = rng.uniform() >= 0.25f;
    placeObject(o, scene.objects, static_cast<size_t>(count), rng);
    scene.objects.push_back(o);
  }
  sampleBackground(scene, rng);
  state_ = rng.state();
  return scene;
}

}  // namespace svgen
