#include "core/selftest/wan_parity.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/io/tensor_io.h"
#include "core/model/wan/wan_components.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace svgen {

namespace {

std::string shapeOf(const at::Tensor& t) {
  return shapeText(t.sizes().vec());
}

const at::Tensor& need(const TensorMap& ref, const std::string& key, const std::string& path) {
  const auto it = ref.find(key);
  if (it == ref.end()) throw InputError(path + ": no tensor \"" + key + "\"");
  return it->second;
}

// TF32 would make our float32 convolutions and matmuls differ from the reference's by ~1e-3; the
// reference script turns it off too.
class NoTf32 {
 public:
  NoTf32()
      : cudnn_(at::globalContext().allowTF32CuDNN()),
        cublas_(at::globalContext().allowTF32CuBLAS()) {
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
  }
  ~NoTf32() {
    at::globalContext().setAllowTF32CuDNN(cudnn_);
    at::globalContext().setAllowTF32CuBLAS(cublas_);
  }

 private:
  bool cudnn_, cublas_;
};

struct Component {
  std::string name;    // "wan dit", "umt5 encoder", "wan vae decoder"
  std::string prefix;  // "dit", "t5", "vae"
  std::string output;  // the float32 reference's key after the prefix
  // Our output in `dtype` as float32 on the CPU.
  std::function<at::Tensor(at::ScalarType dtype)> run;
};

KernelCheck check(const Component& c, at::ScalarType dtype, const at::Tensor& ours,
                  const at::Tensor& reference, const at::Tensor* referenceBf16) {
  KernelCheck k;
  k.kernel = c.name + (dtype == at::kFloat ? " fp32" : " bf16");
  k.input = shapeOf(reference);
  if (ours.sizes() != reference.sizes()) {
    return failedCheck(k.kernel, k.input, "output shape " + shapeOf(ours));
  }
  const ErrorPair e = compareTensors(ours, reference);
  k.maxAbsError = e.maxAbs;
  k.relError = e.rel;
  if (dtype == at::kFloat) {
    k.tolerance = kFloat32ParityTolerance;
  } else {
    const double theirs = compareTensors(*referenceBf16, reference).rel;
    // Capped, so a broken reference (NaN, or far off itself) cannot wave anything through.
    k.tolerance =
        std::isfinite(theirs) ? std::min(2 * theirs + 1e-3, kBf16ParityToleranceCap) : 0.0;
    std::ostringstream note;
    note.precision(3);
    note << "public implementation in bf16: rel err " << theirs;
    k.note = note.str();
  }
  k.passed = std::isfinite(k.relError) && k.relError <= k.tolerance;
  return k;
}

}  // namespace

std::vector<KernelCheck> runWanParity(const std::string& modelPath,
                                      const std::string& referencePath, const c10::Device& device,
                                      const SelftestReport& report) {
  c10::NoGradGuard noGrad;
  const NoTf32 noTf32;
  const CheckpointInspection inspection = inspectRunnable(modelPath);
  const TensorMap ref = loadTensors(referencePath);
  const auto in = [&](const std::string& key) { return need(ref, key, referencePath); };

  const std::vector<Component> components = {
      {"wan dit", "dit", "out",
       [&](at::ScalarType dtype) {
         const auto dit = loadWanDiT(inspection, device, dtype);
         return dit
             ->forward(in("dit.x").to(device), in("dit.timestep").to(device),
                       in("dit.context").to(device))
             .to(at::kCPU, at::kFloat);
       }},
      {"umt5 encoder", "t5", "states",
       [&](at::ScalarType dtype) {
         return loadUmt5Encoder(inspection, device, dtype)
             ->encode(in("t5.ids"), in("t5.mask"))
             .to(at::kCPU, at::kFloat);
       }},
      {"wan vae decoder", "vae", "out_raw",
       [&](at::ScalarType dtype) {
         return loadWanVae(inspection, device, dtype)
             ->decode(in("vae.latent"), {}, /*clamp=*/false)
             .to(at::kCPU, at::kFloat);
       }},
  };
  std::vector<KernelCheck> checks;
  for (const Component& c : components) {
    const std::string key = c.prefix + "." + c.output;
    if (!ref.count(key)) continue;
    const at::Tensor& reference = ref.at(key);
    const at::Tensor& referenceBf16 = in(key + "_bf16");
    for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      KernelCheck k;
      try {
        k = check(c, dtype, c.run(dtype), reference, &referenceBf16);
      } catch (const std::exception& e) {
        k = failedCheck(c.name + (dtype == at::kFloat ? " fp32" : " bf16"), shapeOf(reference),
                        e.what());
      }
      if (report) report(k);
      checks.push_back(std::move(k));
    }
  }
  if (checks.empty()) {
    throw InputError(referencePath + ": no dit.out, t5.states or vae.out_raw to compare with");
  }
  return checks;
}

}  // namespace svgen
