// The tiny Wan 2.1 fixture (tests/fixtures/wan_tiny*) in the other layouts users have: what the
// loaders must accept, written out here independently of the loaders' own key mappings.
#pragma once
#include "core/io/tensor_map.h"
#include "core/model/wan/wan_vae_config.h"
#include "core/pipeline/generation.h"

#include <string>

namespace svgen::test {

// tests/fixtures/wan_tiny_reference.safetensors: every reference output.
TensorMap wanReference();

// The tiny fixture VAE (tests/fixtures/wan_tiny/vae): its tensors in diffusers' names, and its
// config.json, which holds its own latent statistics.
TensorMap wanVaeWeights();
WanVaeConfig wanVaeConfig();

// The clip of the reference trajectory (tools/fixtures/make_wan_fixtures.py) from `model` (the
// fixture folder, or a copy in another layout): 9 frames of 64 x 64, 4 UniPC steps, CFG 5, on the
// CPU.
GenerationRequest wanFixtureRequest(const std::string& model);

// The fixture VAE's tensors under the original Wan2.1 repository's names (decoder.conv1,
// decoder.middle.N, decoder.upsamples.N, decoder.head, conv2; encoder.conv1, encoder.middle.N,
// encoder.downsamples.N, encoder.head, conv1), as wan_2.1_vae.safetensors has them. `nested`:
// Wan 2.2's (wan2.2_vae.safetensors), whose stages nest their layers
// (decoder.upsamples.S.upsamples.J).
TensorMap wanVaeInOriginalNames(const TensorMap& diffusers, int numResBlocks, bool nested = false);

// A ComfyUI models folder made from the fixture: diffusion_models/ (original DiT names behind
// "model.diffusion_model."), text_encoders/ (transformers' umT5 names), vae/ (original names) and
// tokenizer/spiece.model, which ComfyUI files do not carry, plus the DiT's config.json beside its
// file (the tiny head size cannot be inferred from shapes).
// With `imageToVideo` the transformer is the image-to-video fixture's and clip_vision/ holds its
// image encoder as ComfyUI's clip_vision_h.safetensors names it.
void writeComfyUiFolder(const std::string& dir, bool imageToVideo = false);

// A tiny Wan 2.1 image-to-video diffusers folder with random weights, made here: its transformer
// (the tiny text-to-video sizes with 12 input channels and image width 24) and CLIP image encoder
// (width 24, 3 layers, 42-pixel images), and the text encoder, tokenizer, VAE and scheduler of
// tests/fixtures/wan_tiny. Without `withImageEncoder` the image encoder is left out (a download
// that stopped half-way).
void writeRandomI2vFolder(const std::string& dir, bool withImageEncoder = true);

// The image-to-video reference fixture as a diffusers folder (tests/fixtures/wan_i2v_tiny, made by
// tools/fixtures/make_wan_i2v_fixtures.py): its transformer, image encoder and image processor,
// with the text encoder, tokenizer, VAE and scheduler it shares with tests/fixtures/wan_tiny.
void writeI2vFolder(const std::string& dir);

// Wan 2.2's two-expert reference fixtures (tests/fixtures/wan22_tiny, wan22_i2v_tiny, made by
// tools/fixtures/make_wan22_fixtures.py) as one model, in the text encoder, tokenizer and VAE of
// wan_tiny (whose transformer is the text-to-video high-noise expert). `layout`: "diffusers"
// (transformer/ and transformer_2/, the boundary in model_index.json) or "comfyui" (ComfyUI's
// wan2.2_*_high_noise_* and *_low_noise_* files in original names, as writeComfyUiFolder).
void writeWan22Folder(const std::string& dir, bool imageToVideo,
                      const std::string& layout = "diffusers");

}  // namespace svgen::test
