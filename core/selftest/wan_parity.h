// Full-size parity of the Wan 2.1 port: our DiT, umT5 encoder and VAE decoder on a checkpoint
// folder against the public implementation's outputs on the same weights and inputs, saved by
// tools/fixtures/make_wan_parity.py (diffusers / transformers in float32 and in bfloat16). The CPU
// tests check the same code on tiny fixtures; this checks the real sizes on the GPU, where the
// bfloat16 paths and the CUDA kernels run.
#pragma once
#include "core/selftest/kernel_selftest.h"

#include <string>
#include <vector>

namespace svgen {

// Our float32 result must match the float32 reference to kFloat32ParityTolerance (relative, with
// TF32 off on both sides). Our bfloat16 result is held to the public implementation's own bfloat16
// error: at most twice it, plus 1e-3, capped below.
constexpr double kFloat32ParityTolerance = 1e-4;
// Never more than this, however far the public bf16 result is from float32 (a reference with NaN
// in it passes nothing).
constexpr double kBf16ParityToleranceCap = 0.3;

// Every component the reference file has outputs for ("dit.*", "t5.*", "vae.*"), in float32 and
// bfloat16 on `device`. Throws InputError for an unreadable folder or reference file.
std::vector<KernelCheck> runWanParity(const std::string& modelPath,
                                      const std::string& referencePath, const c10::Device& device,
                                      const SelftestReport& report = {});

}  // namespace svgen
