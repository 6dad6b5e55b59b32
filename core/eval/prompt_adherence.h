// Prompt adherence of the built-in model: does a clip show what its prompt asked for?
// Every attribute the prompt grammar names (background; per object colour, shape and motion) is
// read back out of the pixels with core/data/scene_analysis and the shape renderer, and compared
// with the SceneSpec the prompt was written from. evaluatePromptAdherence runs the measurement end
// to end: sample prompts, generate each through the Engine, score, tally held-in and held-out
// prompts apart. Qt-free.
//
// Only what the prompt says is scored: positions, speeds and phases are the sampler's choice and
// the model never sees them, so no rule compares positions with the SceneSpec. Lengths below are
// fractions of the shorter frame side ("side"); colours match within kColorTolerance (sRGB 0..255).
//
// Background (one verdict per clip, always applicable):
//   solid     the palette colour most border pixels are nearest to is the named one;
//   gradient  that holds for the top rows (the "from" colour) and for the bottom rows (the "to"
//             colour) separately, the top and bottom H/64 rows (at least one) of every frame;
//   stripes   the two most common nearest colours of the border pixels are the two named ones,
//             in either order (the prompt's word order does not say which stripe is leftmost).
// Object blob: in each frame, the largest 8-connected group of pixels of the object's palette
//   colour. The frame shows the object when that blob's area lies between 0.2× the smallest and
//   3× the largest area the prompt allows (the named size, or all three when the prompt names
//   none; scale 0.5 to 1.5 for growing and shrinking; any shape), and at least 3 pixels.
// Contact (two-object scenes): the blob's pixels that lie within 2 pixels of another object's
//   colour (fewer than 3 count as none). A frame covers the object when its blob has contact, or
//   when it does not show and at least half of the place its blob had in the nearest frame where
//   it shows is its own or another object's colour (at least a fifth the other's): one object
//   passes over or behind the other there.
// Colour: correct when the object shows in at least 50% of the frames and shows or is covered in
//   at least 75% (rounded up; with one object simply: shows in 75%).
// Motion, from the blob's centroid and area in the frames where the object shows ("visible
//   frames"); wrong when it shows in fewer than two frames:
//   moving    the displacement from the first to the last visible frame is at least 0.1 side and
//             points within 45° of the named direction (measured in pixels, y down);
//   still     every visible centroid is within 0.06 side of the median centroid, and the area
//             ratio last/first visible frame is between 0.77 and 1.3;
//   growing   area ratio last/first visible frame above 1.3; shrinking: below 0.77;
//   spinning  stays in place as for "still" (centroid only), and the blob's orientation changes:
//             aligned by centroid, some visible frame overlaps the first with IoU below 0.85 (a
//             square turned 45° overlaps itself with IoU 0.71; every sampled spin turns at least
//             108°); not applicable to circles and rings, which the sampler never spins;
//   bouncing  vertical oscillation: the centroid's vertical range is at least 0.1 side, its
//             horizontal range at most half the vertical one, and the vertical direction reverses
//             at least twice (reversals count only after a 0.03 side move back). Needs 8 frames or
//             more (two bounces alias at fewer); not applicable in shorter clips.
// Shape: up to three visible frames with at most 10% of the blob in contact are classified,
//   chosen by (in this order) smallest share in contact, not touching the frame edge, largest
//   blob. Each shape is rendered by
//   renderScenes with its centroid at the blob's and its area equal to the blob's; its score is
//   its best IoU with the blob over rotations (6° steps over the shape's symmetry, only when the
//   prompt says "spinning": the model never saw the other motions turned). Correct when the shape
//   with the highest mean score over those frames is the named one and that score is at least
//   0.5; wrong when the object never shows; not applicable when no visible frame qualifies (the
//   renderer, too, draws pairs it could not keep apart overlapping, hiding part of an object).
#pragma once
#include "core/data/scene.h"
#include "core/io/video.h"
#include "core/pipeline/generation.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace svgen {

class Engine;

enum class Verdict { Wrong, Correct, NotApplicable };
const char* verdictName(Verdict v);  // "wrong", "correct", "n/a"

struct ObjectScore {
  Verdict color = Verdict::Wrong;
  Verdict shape = Verdict::Wrong;
  Verdict motion = Verdict::Wrong;
  int visibleFrames = 0;    // frames where the object shows (see above)
  int coveredFrames = 0;    // frames where another object touches or covers it (see above)
  int predictedShape = -1;  // Shape of the best-fitting template; -1 when never classified
  float shapeIoU = 0;       // its mean IoU over the classified frames
  // First to last visible frame: centroid displacement in fractions of the shorter side (y down)
  // and blob area ratio; 0 when the object shows in fewer than two frames.
  float dx = 0, dy = 0, areaRatio = 0;
  std::string motionDetail;  // what was measured, in words
};

struct ClipScore {
  Verdict background = Verdict::Wrong;
  // Palette indices seen: solid: the dominant border colour; gradient: top, bottom; stripes: the
  // two most common border colours.
  std::vector<int> backgroundSeen;
  std::vector<ObjectScore> objects;  // one per SceneSpec object, in the same order
  // Every applicable verdict correct.
  bool allCorrect() const;
};

// Scores a clip against the scene its prompt came from. `clip` is (3, T, H, W) float in [-1, 1]
// on any device, any size and frame count (very small objects, under a few pixels, cannot be
// classified). Throws InputError for a malformed clip.
ClipScore scoreClip(const SceneSpec& spec, const at::Tensor& clip);
ClipScore scoreClip(const SceneSpec& spec, const Video& clip);

struct AttributeTally {
  int correct = 0;
  int scored = 0;  // not-applicable verdicts are left out
  void add(Verdict v);
  double accuracy() const { return scored > 0 ? static_cast<double>(correct) / scored : 0.0; }
};

// Background and "all" count clips; colour, shape and motion count objects. The "WhenFound" tallies
// count only objects whose colour was found, separating "drew the wrong thing" from "drew nothing".
struct AdherenceSummary {
  int clips = 0;
  int objects = 0;
  AttributeTally background, color, shape, motion, shapeWhenFound, motionWhenFound, all;
  void add(const ClipScore& score);
};

struct EvalOptions {
  std::string model = "builtin";
  int heldInCount = 40;   // prompts from SceneSampler(seed, heldOut=false)
  int heldOutCount = 20;  // prompts from SceneSampler(seed, heldOut=true)
  uint64_t seed = 1;      // prompt sampling; clip k (held-in first) is generated with seed + k
  // Generation overrides; 0 or negative: the model's default.
  int steps = 0;
  double guidance = -1;
  double shift = -1;
  std::string sampler = "unipc";
  int frames = 0;
  int width = 0;
  int height = 0;
  int threads = 0;
  std::string device = "auto";
  // By default only single-object scenes are kept (two-object scenes are skipped in the sampler's
  // stream): the built-in model is weak, and one object per clip keeps each verdict about one
  // thing. With twoObjects the sampler's own mix is used (about 35% two-object scenes).
  bool twoObjects = false;
};

struct ClipResult {
  int index = 0;  // position in the run, held-in prompts first
  bool heldOut = false;
  std::string prompt;
  SceneSpec scene;
  uint64_t seed = 0;  // generation seed
  ClipScore score;
  double seconds = 0;  // generation time
};

struct EvalReport {
  EvalOptions options;
  GenerationRequest request;  // the first clip's resolved request: the settings every clip ran with
  std::string modelLabel;
  std::string device;
  std::vector<ClipResult> clips;
  AdherenceSummary heldIn, heldOut;
  double seconds = 0;  // the whole run
};

// The first `count` scenes of SceneSampler(seed, heldOut), skipping two-object ones unless
// twoObjects.
std::vector<SceneSpec> sampleEvalScenes(uint64_t seed, bool heldOut, int count, bool twoObjects);

// Called after each clip with its scores and the generation (video, settings, timings); `done` of
// `total` clips.
using ClipCallback = std::function<void(const ClipResult& clip, const GenerationResult& generation,
                                        int done, int total)>;

// Runs the evaluation. Every request is resolved before the first generation, so bad settings fail
// at once with InputError. `observer` (may be null) sees each generation's progress and can cancel
// (Cancelled propagates).
EvalReport evaluatePromptAdherence(Engine& engine, const EvalOptions& options,
                                   const ClipCallback& onClip = {},
                                   GenerationObserver* observer = nullptr);

// Options, settings, every clip's verdicts and measurements, and both summaries.
std::string evalReportToJson(const EvalReport& report);

}  // namespace svgen
