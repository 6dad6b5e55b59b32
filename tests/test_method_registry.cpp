// The attention method registry: each method describes itself once, and what is made from the
// descriptions (validation, JSON, presets, labels, backends) holds for every registered method and
// parameter, so a new method is checked here without a line of this file changing.
#include "core/attention/attention_backend.h"
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/method_registry.h"
#include "core/attention/svg/svg_method.h"
#include "core/attention/warmup.h"
#include "core/common/error.h"
#include "core/pipeline/request_json.h"

#include <QtTest>

#include <set>

using namespace svgen;

namespace {

// A valid value other than the default, inside the form's bounds.
double otherValue(const ParameterSpec& s) {
  const double low = s.formMin.value_or(s.min), high = s.formMax.value_or(s.max);
  const double v = s.defaultValue + s.step <= high ? s.defaultValue + s.step : low;
  return s.kind == ParameterKind::Count ? std::floor(v) : v;
}

}  // namespace

class TestMethodRegistry : public QObject {
  Q_OBJECT

 private slots:
  void everyDescriptionIsComplete() {
    const auto ids = attentionMethodIds();
    QCOMPARE(ids.front(), std::string("dense"));  // the baseline leads every list
    QCOMPARE(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
    for (const MethodDescriptor* m : attentionMethods()) {
      QVERIFY2(!m->label.empty() && !m->description.empty() && m->make, m->id.c_str());
      QVERIFY(findAttentionMethod(m->id) == m);
      if (!m->sparse) continue;
      QVERIFY2(m->makeAtFraction && !m->sweep.empty() && !m->sweepFlag.empty(), m->id.c_str());
      for (const ParameterSpec* p : m->parameters) QVERIFY(&attentionParameter(p->key) == p);
    }
    QVERIFY(findAttentionMethod("flash") == nullptr);
    QCOMPARE(attentionMethodList(), std::string("dense, svg, svg2 or svoo"));
  }

  void parametersHaveOneKeyFlagAndNameEach() {
    std::set<std::string> keys, flags, names;
    for (const ParameterSpec* p : attentionParameters()) {
      QVERIFY2(keys.insert(p->key).second, p->key.c_str());
      QVERIFY2(flags.insert(p->flag).second, p->flag.c_str());
      QVERIFY2(names.insert(p->name).second, p->name.c_str());
      QVERIFY2(!p->label.empty() && !p->help.empty() && !p->noun.empty(), p->key.c_str());
      QVERIFY2(!p->group.empty() && !p->groupTitle.empty(), p->key.c_str());
      if (p->kind == ParameterKind::Path) continue;
      QVERIFY2(p->problem(p->defaultValue).empty(), p->key.c_str());
      QVERIFY2(p->presets.empty() || p->presets.size() == std::size(kPresets), p->key.c_str());
      for (double v : p->presets) QVERIFY2(p->problem(v).empty(), p->key.c_str());
    }
    QVERIFY_THROWS_EXCEPTION(std::logic_error, attentionParameter("no_such_key"));
  }

  void outOfRangeValuesAreNamedWithTheirRange() {
    for (const ParameterSpec* p : attentionParameters()) {
      if (p->kind == ParameterKind::Path) continue;
      AttentionConfig c;
      c.setNumber(*p, p->minOpen ? p->min : p->min - 1);
      const auto problems = attentionConfigProblems(c);
      QCOMPARE(problems.size(), size_t{1});
      QCOMPARE(problems.front(), p->noun + " must be " + p->rangeText());
    }
    AttentionConfig c;
    c.set(svg::density, 0);
    QCOMPARE(attentionConfigProblems(c).front(), std::string("SVG density must be in (0, 1]"));
    c = AttentionConfig();
    c.set(clustering::queryClusters, 5000);
    QCOMPARE(attentionConfigProblems(c).front(),
             std::string("query clusters must be 0 (auto) to 4096"));
    c = AttentionConfig();
    c.set(warmup::layers, -1);
    QCOMPARE(attentionConfigProblems(c).front(), std::string("warm-up layers must be 0 or more"));
    c = attentionConfigFor("flash");
    QVERIFY(attentionConfigProblems(c).front().find("dense, svg, svg2 or svoo") !=
            std::string::npos);
    QVERIFY_THROWS_EXCEPTION(InputError, makeAttentionBackend(c));
  }

  void everyParameterRoundTripsThroughTheSettingsJson() {
    GenerationRequest r;
    r.prompt = "a red circle";
    r.attention.method = "svg2";
    for (const ParameterSpec* p : attentionParameters()) {
      if (p->kind == ParameterKind::Path)
        r.attention.setText(*p, "/tmp/" + p->key + ".json");
      else
        r.attention.setNumber(*p, otherValue(*p));
    }
    const GenerationRequest back = requestFromJson(requestToJson(r));
    QVERIFY(back.attention == r.attention);
    QVERIFY(back.attention != AttentionConfig());
    // A file from before a parameter existed loads with its default.
    const GenerationRequest old = requestFromJson(R"({"attention": {"method": "svg"}})");
    QVERIFY(old.attention == attentionConfigFor("svg"));
  }

  void presetsSetTheirValuesAndAreRecognised() {
    for (Preset preset : kPresets) {
      QCOMPARE(presetFromId(presetId(preset)).value(), preset);
      for (const MethodDescriptor* m : attentionMethods()) {
        AttentionConfig c = withPreset(attentionConfigFor(m->id), preset);
        QVERIFY(attentionConfigProblems(c).empty());
        for (const ParameterSpec* p : attentionParameters())
          if (!p->presets.empty()) QCOMPARE(c.number(*p), p->presetValue(preset));
        if (m->sparse) {
          QCOMPARE(matchingPreset(c).value(), preset);
        } else {
          QVERIFY(!matchingPreset(c).has_value());  // dense has no budget to match
        }
      }
    }
    QVERIFY(!presetFromId("turbo").has_value());
    // One set of budgets: what the CLI starts from (each parameter's default) is the studio's
    // Balanced preset, for every sparse method.
    for (const MethodDescriptor* m : attentionMethods())
      if (m->sparse)
        QCOMPARE(matchingPreset(attentionConfigFor(m->id)).value_or(Preset::Fast),
                 Preset::Balanced);
    for (const ParameterSpec* p : attentionParameters())
      if (!p->presets.empty()) QCOMPARE(p->defaultValue, p->presetValue(Preset::Balanced));
    // Automatic clusters: 32 × 256 on the built-in model's 2,048 tokens (its measured best),
    // SVG2's own counts at Wan 480p and 720p.
    const AttentionConfig automatic = attentionConfigFor("svg2");
    QCOMPARE(clustering::resolvedQueryClusters(automatic, 2048), 32);
    QCOMPARE(clustering::resolvedKeyClusters(automatic, 2048), 256);
    QCOMPARE(clustering::resolvedQueryClusters(automatic, 32760), 127);
    QCOMPARE(clustering::resolvedKeyClusters(automatic, 32760), 511);
    QCOMPARE(clustering::resolvedQueryClusters(automatic, 75600), 295);
    QCOMPARE(clustering::resolvedKeyClusters(automatic, 75600), 1000);
    QCOMPARE(clustering::resolvedQueryClusters(automatic, 20), 2);
    QCOMPARE(clustering::resolvedKeyClusters(automatic, 20), 4);
    // A value the method does not read leaves the preset standing; one it reads does not.
    AttentionConfig c = withPreset(attentionConfigFor("svg"), Preset::Fast);
    c.set(clustering::topP, 0.33);
    QCOMPARE(matchingPreset(c).value(), Preset::Fast);
    c.set(svg::density, 0.33);
    QVERIFY(!matchingPreset(c).has_value());
  }

  void labelsAndBackendsComeFromTheDescriptions() {
    AttentionConfig c = attentionConfigFor("svg");
    QCOMPARE(attentionBudgetLabel(c), std::string("density 30%"));
    c.method = "svg2";
    QCOMPARE(attentionBudgetLabel(c), std::string("top-p 0.80"));
    c.method = "dense";
    QCOMPARE(attentionBudgetLabel(c), std::string());
    for (const MethodDescriptor* m : attentionMethods()) {
      if (m->supports.needsProfile) continue;  // a profile table: test_sparse_methods
      QVERIFY(makeAttentionBackend(attentionConfigFor(m->id)) != nullptr);
    }
  }
};

QTEST_GUILESS_MAIN(TestMethodRegistry)
#include "test_method_registry.moc"
