// Flow-matching samplers on problems with exact answers.
#include "support/test_support.h"

#include "core/common/error.h"
#include "core/sampling/dpm_sampler.h"
#include "core/sampling/euler_sampler.h"
#include "core/sampling/sampler.h"
#include "core/sampling/unipc_sampler.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <QtTest>

#include <cmath>
#include <fstream>

using namespace svgen;

namespace {

at::Tensor randn(std::vector<int64_t> shape, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::empty(shape, at::kDouble).normal_(0, 1, gen);
}

// Data drawn from N(m, s²): the exact velocity of the probability-flow ODE is known, and the
// normalised sample z = (x − (1−σ)m) / √v(σ), v(σ) = (1−σ)²s² + σ², stays constant along it.
struct GaussianFlow {
  double m = 0.7, s = 1.0;
  double shift = 1.0;
  double var(double sigma) const { return (1 - sigma) * (1 - sigma) * s * s + sigma * sigma; }
  at::Tensor velocity(const at::Tensor& x, double sigma) const {
    at::Tensor x0 = m + (1 - sigma) * s * s / var(sigma) * (x - (1 - sigma) * m);
    return (x - x0) / sigma;
  }
  at::Tensor exactEnd(const at::Tensor& xStart, double sigma0) const {
    return m + s * (xStart - (1 - sigma0) * m) / std::sqrt(var(sigma0));
  }
};

double solveError(const std::string& name, int steps, GaussianFlow flow = {}) {
  auto sampler = makeSampler(name, steps, flow.shift);
  at::Tensor x = randn({256}, 11) * sampler->sigma(0) + (1 - sampler->sigma(0)) * flow.m;
  const at::Tensor start = x.clone();
  for (int i = 0; i < steps; ++i) x = sampler->step(flow.velocity(x, sampler->sigma(i)), i, x);
  return (x - flow.exactEnd(start, sampler->sigma(0))).abs().max().item<double>();
}

nlohmann::json samplerReference(const char* file) {
  std::ifstream in(test::sourcePath(std::string("tests/fixtures/samplers/") + file));
  return nlohmann::json::parse(in);
}

at::Tensor row(const nlohmann::json& values) {
  return at::tensor(values.get<std::vector<double>>(), at::kDouble);
}

}  // namespace

class TestSamplers : public QObject {
  Q_OBJECT

 private slots:
  void sigmaScheduleMatchesDesign() {
    const auto s = flowSigmas(4, 5.0);
    QCOMPARE(s.size(), size_t(5));
    // linspace(1, 0.001, 5)[:4], shifted; the first kept just below 1.
    const double base[4] = {1.0, 0.75025, 0.5005, 0.25075};
    QVERIFY(std::abs(s[0] - (1 - 1e-6)) < 1e-12);
    for (int i = 1; i < 4; ++i) QVERIFY(std::abs(s[i] - 5 * base[i] / (1 + 4 * base[i])) < 1e-12);
    QCOMPARE(s[4], 0.0);
    const auto unshifted = flowSigmas(10, 1.0);
    QVERIFY(std::abs(unshifted[0] - (1 - 1e-6)) < 1e-12);
    QVERIFY(std::abs(unshifted[5] - 0.5005) < 1e-12);
    QVERIFY_THROWS_EXCEPTION(InputError, flowSigmas(0, 5.0));
    QVERIFY_THROWS_EXCEPTION(InputError, flowSigmas(10, 0.0));
  }

  // diffusers' FlowMatchEulerDiscreteScheduler.set_timesteps(N) with shift s, as its source builds
  // it: σ_0 exactly 1, linspace down to the training table's σ_min = shift(1/1000), shifted a
  // second time (so the last σ before 0 is shift(shift(0.001)): 0.00893 at s = 3 and 4 steps, where
  // UniPC's list, linspace(1, 0.001, N + 1) without its end, stops at 0.501), float32 values.
  // Expected values computed by emulating its float32 arithmetic.
  void eulerFollowsTheFlowMatchEulerSchedule() {
    const std::vector<double> s3 = flowMatchEulerSigmas(4, 3.0);
    const std::vector<float> want3 = {1.0f, 0.857692301273346f, 0.602150559425354f,
                                      0.008928571827709675f};
    QCOMPARE(s3.size(), size_t{5});
    for (size_t i = 0; i < want3.size(); ++i) QCOMPARE(float(s3[i]), want3[i]);
    QCOMPARE(s3[4], 0.0);
    const std::vector<double> s5 = flowMatchEulerSigmas(10, 5.0);
    QCOMPARE(float(s5[1]), 0.9757429957389832f);
    QCOMPARE(float(s5[8]), 0.3950953781604767f);
    QCOMPARE(float(s5[9]), 0.0244140662252903f);
    // No shift: the list runs 1 … 0.001 evenly, and one step is σ = 1 alone.
    const std::vector<double> s1 = flowMatchEulerSigmas(3, 1.0);
    QCOMPARE(float(s1[1]), 0.5005000233650208f);
    QCOMPARE(float(s1[2]), 0.0010000000474974513f);
    QCOMPARE(flowMatchEulerSigmas(1, 3.0), (std::vector<double>{1.0, 0.0}));
    // The Euler sampler walks exactly that list, and the network sees σ·1000 in float32.
    auto euler = makeSampler("euler", 4, 3.0);
    for (int i = 0; i <= 4; ++i) QCOMPARE(euler->sigma(i), s3[size_t(i)]);
    QCOMPARE(euler->modelTimestep(1), 857.6923217773438);
    QVERIFY(std::abs(flowSigmas(4, 3.0)[3] - 0.5009990009990011) < 1e-12);  // UniPC's, kept
    QVERIFY_THROWS_EXCEPTION(InputError, flowMatchEulerSigmas(0, 3.0));
  }

  // Wan's get_sampling_sigmas: linspace(1, 0, N + 1) without its end, shifted; σ_0 exactly 1,
  // the network sees ⌊1000·σ⌋.
  void dpmFollowsWansSigmas() {
    const std::vector<double> s = wanDpmSigmas(4, 3.0);
    QCOMPARE(s, (std::vector<double>{1.0, double(0.9f), 0.75, 0.5, 0.0}));
    auto dpm = makeSampler("dpm++", 4, 3.0);
    for (int i = 0; i <= 4; ++i) QCOMPARE(dpm->sigma(i), s[size_t(i)]);
    const double want[4] = {1000, 900, 750, 500};
    for (int i = 0; i < 4; ++i) QCOMPARE(dpm->modelTimestep(i), want[i]);
    // shift 5, 10 steps: σ_9 = 5·0.1/1.4 = 0.357142…, truncated to 357.
    auto five = makeSampler("dpm++", 10, 5.0);
    QCOMPARE(float(five->sigma(9)), float(0.5 / 1.4));
    QCOMPARE(five->modelTimestep(9), 357.0);
    QCOMPARE(wanDpmSigmas(1, 5.0), (std::vector<double>{1.0, 0.0}));
    QVERIFY_THROWS_EXCEPTION(InputError, wanDpmSigmas(0, 5.0));
    QVERIFY_THROWS_EXCEPTION(InputError, makeSampler("dpm", 4, 5.0));
  }

  // The public implementations themselves, run on the GPU machine by our scripts
  // (tools/fixtures/make_sampler_reference.py, make_dpm_reference.py): diffusers'
  // FlowMatchEulerDiscreteScheduler's lists, and Wan 2.1's own DPM++ sampler stepping fixed
  // velocities, whose every sample ours must reproduce.
  void eulerMatchesDiffusersItself() {
    const nlohmann::json reference = samplerReference("flow_match_euler.json");
    int cases = 0;
    for (const auto& c : reference.at("cases")) {
      ++cases;
      const int steps = c.at("steps");
      auto euler = makeSampler("euler", steps, c.at("shift").get<double>());
      const auto sigmas = c.at("sigmas").get<std::vector<double>>();
      const auto timesteps = c.at("timesteps").get<std::vector<double>>();
      QCOMPARE(sigmas.size(), size_t(steps + 1));
      for (int i = 0; i <= steps; ++i) QCOMPARE(euler->sigma(i), sigmas[size_t(i)]);
      for (int i = 0; i < steps; ++i) QCOMPARE(euler->modelTimestep(i), timesteps[size_t(i)]);
    }
    QCOMPARE(cases, 5);
  }

  // HunyuanVideo's pipeline hands the same scheduler its own σ list (linspace(1, 0, N + 1)
  // without its end), which the scheduler shifts: its default 50 steps at shift 7 and others.
  void hunyuanVideoSigmasMatchThePipeline() {
    const nlohmann::json reference = samplerReference("hunyuan_video_sigmas.json");
    int cases = 0;
    for (const auto& c : reference.at("cases")) {
      ++cases;
      const int steps = c.at("steps");
      const std::vector<double> ours = hunyuanVideoSigmas(steps, c.at("shift").get<double>());
      const auto sigmas = c.at("sigmas").get<std::vector<double>>();
      const auto timesteps = c.at("timesteps").get<std::vector<double>>();
      QCOMPARE(ours, sigmas);
      EulerSampler euler(ours);
      QCOMPARE(euler.numSteps(), steps);
      for (int i = 0; i < steps; ++i) QCOMPARE(euler.modelTimestep(i), timesteps[size_t(i)]);
    }
    QCOMPARE(cases, 5);
    // Not Wan's list: the last σ before 0 is shift(1/N), where Euler's default ends lower.
    QVERIFY(hunyuanVideoSigmas(50, 7.0)[49] > flowMatchEulerSigmas(50, 7.0)[49]);
    QVERIFY_THROWS_EXCEPTION(InputError, hunyuanVideoSigmas(0, 7.0));
  }

  void dpmMatchesWansOwnSampler() {
    const nlohmann::json reference = samplerReference("wan_dpm_solver.json");
    int cases = 0;
    for (const auto& c : reference.at("cases")) {
      const int steps = c.at("steps");
      auto dpm = makeSampler("dpm++", steps, c.at("shift").get<double>());
      const auto sigmas = c.at("sigmas").get<std::vector<double>>();
      const auto timesteps = c.at("timesteps").get<std::vector<double>>();
      for (int i = 0; i <= steps; ++i) QCOMPARE(dpm->sigma(i), sigmas[size_t(i)]);
      at::Tensor x = row(c.at("start"));
      for (int i = 0; i < steps; ++i) {
        QCOMPARE(dpm->modelTimestep(i), timesteps[size_t(i)]);
        x = dpm->step(row(c.at("velocities")[size_t(i)]), i, x);
        const at::Tensor want = row(c.at("samples")[size_t(i)]);
        const double err = (x - want).abs().max().item<double>();
        // The reference computes in float32.
        QVERIFY2(err < 2e-5 * (1 + want.abs().max().item<double>()),
                 qPrintable(QString("%1 steps, shift %2, step %3: max error %4")
                                .arg(steps)
                                .arg(c.at("shift").get<double>())
                                .arg(i)
                                .arg(err)));
      }
      ++cases;
    }
    QCOMPARE(cases, 5);
  }

  void modelTimesteps() {
    auto euler = makeSampler("euler", 10, 5.0);
    auto unipc = makeSampler("unipc", 10, 5.0);
    for (int i = 0; i < 10; ++i) {
      QCOMPARE(euler->modelTimestep(i), double(float(euler->sigma(i)) * 1000.0f));
      // Integer timesteps, truncated as the reference casts them.
      QCOMPARE(unipc->modelTimestep(i), std::floor(1000 * unipc->sigma(i)));
    }
    QVERIFY_THROWS_EXCEPTION(InputError, makeSampler("ddim", 10, 5.0));
  }

  // A velocity field pointing at one fixed x0 must bring the noise exactly to x0, and every
  // intermediate state must lie on the straight path (1 − σ)·x0 + σ·ε.
  void fixedTargetIsRecoveredExactly() {
    for (const char* name : {"euler", "unipc", "dpm++"}) {
      for (int steps : {1, 2, 5, 20}) {
        auto sampler = makeSampler(name, steps, 5.0);
        const at::Tensor x0 = randn({3, 4, 5}, 1);
        const at::Tensor eps = randn({3, 4, 5}, 2);
        at::Tensor x = (1 - sampler->sigma(0)) * x0 + sampler->sigma(0) * eps;
        for (int i = 0; i < steps; ++i) {
          const double sigma = sampler->sigma(i);
          at::Tensor v = (x - x0) / sigma;
          QVERIFY(at::allclose(sampler->predictX0(v, i, x), x0, 1e-9, 1e-9));
          x = sampler->step(v, i, x);
          const double next = sampler->sigma(i + 1);
          QVERIFY2(at::allclose(x, (1 - next) * x0 + next * eps, 1e-9, 1e-9),
                   qPrintable(QString("%1, %2 steps, step %3").arg(name).arg(steps).arg(i)));
        }
        QVERIFY(at::allclose(x, x0, 1e-9, 1e-9));
      }
    }
  }

  // The stochastic sampler puts the implied x0 back on the path with fresh, seeded noise: for a
  // fixed target every state is (1 − σ)·x0 + σ·ε' with ε' standard normal and new each step, and
  // the last step lands on x0.
  void ancestralRenoisesWithFreshSeededNoise() {
    const int steps = 6;
    auto run = [&](uint64_t seed, std::vector<at::Tensor>* noises) {
      auto sampler = makeSampler("ancestral", steps, 3.0, seed);
      const at::Tensor x0 = randn({64, 64, 8}, 1);
      at::Tensor x = (1 - sampler->sigma(0)) * x0 + sampler->sigma(0) * randn({64, 64, 8}, 2);
      for (int i = 0; i < steps; ++i) {
        x = sampler->step((x - x0) / sampler->sigma(i), i, x);
        const double next = sampler->sigma(i + 1);
        if (next > 0 && noises) noises->push_back((x - (1 - next) * x0) / next);
      }
      return (x - x0).abs().max().item<double>();
    };
    std::vector<at::Tensor> noises, again, other;
    QVERIFY(run(7, &noises) < 1e-9);
    QCOMPARE(noises.size(), size_t(steps - 1));
    for (const at::Tensor& n : noises) {
      QVERIFY(std::abs(n.mean().item<double>()) < 0.03);
      QVERIFY(std::abs(n.std().item<double>() - 1) < 0.03);
    }
    const double corr = (noises[0] * noises[1]).mean().item<double>();
    QVERIFY2(std::abs(corr) < 0.03,
             qPrintable(QString("successive noises correlate: %1").arg(corr)));
    run(7, &again);
    run(8, &other);
    QVERIFY(at::equal(noises[2], again[2]));  // a seed means the same clip
    QVERIFY(!at::allclose(noises[2], other[2]));
  }

  // On a curved flow (Gaussian data) Euler converges at first order and UniPC at second. (With a
  // strong shift the last, first-order jump from σ ≈ 0.25 to 0 dominates both errors.)
  void convergenceOrders() {
    const double euler10 = solveError("euler", 10), euler20 = solveError("euler", 20);
    const double unipc10 = solveError("unipc", 10), unipc20 = solveError("unipc", 20);
    // DPM++ on Wan's σ list (σ_0 = 1, a first-order last jump from 1/N) is not monotone at few
    // steps (10 steps land closer than 20 here, as the reference algorithm does too), so its order
    // is read further out: a 4x finer grid cuts the error more than 6x (first order: 4x).
    const double dpm20 = solveError("dpm++", 20), dpm80 = solveError("dpm++", 80);
    qInfo(
        "max error  euler 10: %.2e  20: %.2e   unipc 10: %.2e  20: %.2e   dpm++ 20: %.2e  "
        "80: %.2e",
        euler10, euler20, unipc10, unipc20, dpm20, dpm80);
    QVERIFY(euler10 / euler20 > 1.6 && euler10 / euler20 < 2.6);
    QVERIFY(unipc10 / unipc20 > 3.0);
    QVERIFY(unipc20 < euler20 / 5);
    QVERIFY(dpm20 / dpm80 > 6);
    QVERIFY(dpm20 < euler20 / 5);
  }

  void stepsMustComeInOrder() {
    UniPCSampler sampler(5, 5.0);
    at::Tensor x = randn({4}, 3);
    x = sampler.step(x, 0, x);
    QVERIFY_THROWS_EXCEPTION(std::logic_error, sampler.step(x, 2, x));
    DpmSolverSampler dpm(5, 5.0);
    x = dpm.step(x, 0, x);
    QVERIFY_THROWS_EXCEPTION(std::logic_error, dpm.step(x, 2, x));
  }
};

QTEST_GUILESS_MAIN(TestSamplers)
#include "test_samplers.moc"
