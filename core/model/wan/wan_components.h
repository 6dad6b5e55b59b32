// Each Wan 2.1 component built from what inspectCheckpoint found: the files of a diffusers folder,
// ComfyUI single files or the original layout, with dimensions from config.json or tensor shapes.
// WanModel runs them as a pipeline; the full-size parity check (core/selftest/wan_parity) runs them
// one by one against the public implementation's outputs.
#pragma once
#include "core/io/packed_weights.h"
#include "core/io/tensor_map.h"
#include "core/model/checkpoint_inspection.h"
#include "core/model/wan/clip_vision_encoder.h"
#include "core/model/wan/wan_vae_decoder.h"
#include "core/model/wan/wan_vae_encoder.h"
#include "core/model/wan_dit.h"
#include "core/text/umt5_encoder.h"

#include <c10/core/Device.h>

#include <memory>
#include <string>

namespace svgen {

// The inspection of `path`, or an InputError naming every missing or unusable component.
CheckpointInspection inspectRunnable(const std::string& path);

// Every tensor of a component's files (safetensors or GGUF), fp8 and GGUF blocks kept packed. An
// index stands for its shards, which are then not read a second time (umT5-XXL alone is 11 GB of
// bf16 files).
LoadedWeights loadComponent(const InspectedComponent& component);

// With `streamBlocks` the blocks go to host memory without passing through the device (a 14B
// DiT need not fit it even once).
std::unique_ptr<WanDiT> loadWanDiT(const CheckpointInspection& inspection, const at::Device& device,
                                   at::ScalarType dtype, bool streamBlocks = false);
// Throws InputError when the encoder's width is not the transformer's text width. `storage`: see
// Umt5Encoder (default: `dtype`).
std::unique_ptr<Umt5Encoder> loadUmt5Encoder(const CheckpointInspection& inspection,
                                             const at::Device& device, at::ScalarType dtype,
                                             at::ScalarType storage = at::ScalarType::Undefined);
// Throws InputError when the VAE's latent channels are not the transformer's.
std::unique_ptr<WanVaeDecoder> loadWanVae(const CheckpointInspection& inspection,
                                          const at::Device& device, at::ScalarType dtype);
// The same VAE's encoder (image-to-video).
std::unique_ptr<WanVaeEncoder> loadWanVaeEncoder(const CheckpointInspection& inspection,
                                                 const at::Device& device, at::ScalarType dtype);
// Image-to-video's CLIP image encoder; throws InputError when it is absent or its width is not
// the transformer's image width.
std::unique_ptr<ClipVisionEncoder> loadClipVision(const CheckpointInspection& inspection,
                                                  const at::Device& device, at::ScalarType dtype);

}  // namespace svgen
