// The world of the built-in model: clips of one or two coloured shapes moving over a background,
// described by a small prompt grammar. This header is plain C++ (no ATen) so the CLI, the studio
// and the evaluator can describe scenes without pulling in tensors; shape_renderer.h draws them.
//
// Prompt grammar (words are lowercase letters only; parsing ignores case and punctuation):
//   prompt     := object [ "and" object ] [ background ]
//   object     := ("a" | "an") [ size ] color shape [ motion ]
//   size       := "small" | "medium" | "large"
//   motion     := "moving" direction | "growing" | "shrinking" | "spinning" | "bouncing"
//               | "standing" "still"
//   direction  := ["to" "the"] ("left" | "right") | "up" | "down"
//               | ("up" | "down") "and" "to" "the" ("left" | "right")
//   background := "on" "a" color "background"
//               | "on" "a" "gradient" "from" color "to" color          (top to bottom)
//               | "on" color "and" color "stripes"                      (vertical stripes)
// e.g. "a red circle moving right and a small blue square moving down on a black background".
// Generated prompts always use the canonical form; the parser also takes the optional variants.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

enum class Shape { Circle, Square, Triangle, Star, Ring };

// The order is part of the held-out rule (isHeldOut), so append new motions at the end only.
enum class Motion {
  Still,
  Left,
  Right,
  Up,
  Down,
  UpLeft,
  UpRight,
  DownLeft,
  DownRight,
  Grow,
  Shrink,
  Spin,
  Bounce
};

enum class BackgroundKind { Solid, Gradient, Stripes };

constexpr int kColorCount = 11;  // palette().size(); also the modulus of the held-out rule
constexpr int kShapeCount = 5;
constexpr int kMotionCount = 13;
constexpr int kSizeCount = 3;

struct NamedColor {
  std::string name;
  int r, g, b;  // sRGB, 0..255
};

struct ObjectSpec {
  Shape shape = Shape::Circle;
  int color = 0;  // index into palette()
  int size = 1;   // 0 small, 1 medium, 2 large
  Motion motion = Motion::Still;
  // Centre at the start of the clip as fractions of the frame width and height (for Bounce: the
  // lowest point of the bounce).
  float startX = 0.5f, startY = 0.5f;
  // Directional motion: distance covered over the whole clip in frame fractions. Grow/Shrink:
  // total change of scale. Spin: turns over the clip. Bounce: height in frame fractions.
  float speed = 0;
  float phase = 0;  // Spin: starting angle (radians). Bounce: phase of |sin| (radians).
  // Whether the prompt names the size; when it does not, the size was drawn from the seed.
  bool sizeInPrompt = true;
};

struct SceneSpec {
  BackgroundKind background = BackgroundKind::Solid;
  int bgColor = 0;   // Solid: the colour. Gradient: top. Stripes: the leftmost stripe.
  int bgColor2 = 0;  // Gradient: bottom. Stripes: the other stripe. Solid: equal to bgColor.
  std::vector<ObjectSpec> objects;  // drawn in order: later objects cover earlier ones
};

bool operator==(const ObjectSpec& a, const ObjectSpec& b);
inline bool operator!=(const ObjectSpec& a, const ObjectSpec& b) {
  return !(a == b);
}
bool operator==(const SceneSpec& a, const SceneSpec& b);
inline bool operator!=(const SceneSpec& a, const SceneSpec& b) {
  return !(a == b);
}

// The eleven colours, in a fixed order (indices appear in ObjectSpec/SceneSpec and isHeldOut).
const std::vector<NamedColor>& palette();
const char* shapeName(Shape shape);
const char* sizeName(int size);
// The words of the motion phrase, e.g. "moving up and to the right", "standing still".
std::string motionPhrase(Motion motion);

// Nominal radius of an object of this size at scale 1, as a fraction of the shorter frame side.
float objectRadius(int size);
// The shape's own half-size in units of objectRadius: circle and ring radius 1, square half side
// 0.88, triangle and star circumradius 1.3 (so that all five look about equally big).
float shapeExtent(Shape shape);
// Circles and rings look the same at every angle, so they are never sampled spinning; parsing
// "a red circle spinning" is accepted and renders as a circle standing still.
bool motionIsVisible(Shape shape, Motion motion);

// Where an object is at clip time t in [0, 1] (first frame 0, last frame 1).
struct ObjectPose {
  float cx, cy;  // centre, fractions of frame width and height (may leave [0, 1])
  float scale;   // multiplies objectRadius(size)
  float angle;   // radians, counter-clockwise on screen
};
ObjectPose objectPose(const ObjectSpec& object, float t);

std::string sceneToPrompt(const SceneSpec& scene);

// Parses the grammar above. What the prompt leaves open (positions, speeds, phases, a missing size,
// a missing background) is drawn from `seed`; a missing motion means standing still. Throws
// InputError naming unknown words or saying where the grammar breaks, and for an object whose
// colour equals a background colour (it would be invisible).
SceneSpec sceneFromPrompt(const std::string& prompt, uint64_t seed);

// The words a generated prompt can contain: builtin_words::vocabulary() (core/model).

// Colour × shape × motion combinations kept out of training entirely, for measuring how the model
// composes what it has seen. The rule: held out iff (color + 2·shape + 3·motion) mod 11 == 0, with
// the indices of palette(), Shape and Motion. For every shape × motion exactly one of the eleven
// colours is held out (about 9% of all combinations), so every colour, shape and motion, and every
// pair of them, still appears in training.
bool isHeldOut(const ObjectSpec& object);
bool isHeldOut(int color, Shape shape, Motion motion);

// A deterministic stream of random scenes: the same seed gives the same scenes on every platform.
// heldOut=false never yields an object with a held-out combination; heldOut=true yields scenes in
// which every object is held out (the evaluation set).
class SceneSampler {
 public:
  explicit SceneSampler(uint64_t seed, bool heldOut = false);
  SceneSpec next();

 private:
  uint64_t state_;
  bool heldOut_;
};

}  // namespace svgen
