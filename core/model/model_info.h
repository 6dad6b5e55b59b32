// What a model offers before anything heavy runs: defaults, limits and its words. Plain data: the
// Engine API hands it to the studio as it is.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

struct ModelInfo {
  std::string id;     // "builtin" or the path
  std::string label;  // shown to users; says "untrained" when it is
  bool trained = false;
  std::string description;
  int defaultFrames = 0, defaultWidth = 0, defaultHeight = 0, defaultSteps = 0;
  double defaultGuidance = 0, defaultShift = 0, fps = 8;
  // The guidance scale is an input of the network (HunyuanVideo's guidance-distilled
  // transformer): one pass a step, no negative prompt.
  bool embeddedGuidance = false;
  std::string defaultSampler = "unipc";  // the one its own pipeline uses
  // The σ list Euler steps on when it is the pipeline's own rather than diffusers' default
  // scheduler's: "" or "hunyuan-video" (sampler.h's hunyuanVideoSigmas).
  std::string sigmaSchedule;
  int frameMultiple = 1;  // frames are a multiple of this (plus frameOffset)
  int frameOffset = 0;    // Wan: frames = 4k + 1
  int maxFrames = 0;
  int sizeMultiple = 1;  // width and height are multiples of this
  int minSize = 0, maxSize = 0;
  std::vector<std::string> vocabulary;  // empty: any text (a real tokenizer)
  // The model makes a clip from a start image and the prompt (GenerationRequest::imagePath), and
  // needs the image, unless imageOptional (TI2V: from text alone too).
  bool imageToVideo = false;
  bool imageOptional = false;
  // Two-expert models (Wan 2.2 A14B): the timestep (1000·σ as the sampler feeds it) below which
  // the low-noise expert denoises, and that expert's default guidance. 0 for one network.
  double expertBoundary = 0;
  double defaultLowNoiseGuidance = 0;
  std::string directory;  // the model's folder (SVOO's profile lives there); "" when none
  int layers = 0;         // transformer layers
  // The transformer's token grid for a clip: a token spans tokenFrames frames (the first frame
  // alone where firstFrameAlone: a causal video VAE keeps it as its own latent frame; else frames
  // are padded to whole tokens) and tokenPixels × tokenPixels pixels.
  int tokenFrames = 1, tokenPixels = 1;
  bool firstFrameAlone = false;
  std::array<int64_t, 3> tokenGrid(int frames, int width, int height) const {
    const int64_t f = frames < 1        ? 0
                      : firstFrameAlone ? 1 + (frames - 1) / tokenFrames
                                        : (frames + tokenFrames - 1) / tokenFrames;
    return {f, height / tokenPixels, width / tokenPixels};
  }
  // Device memory a decode takes beyond the weights: GiB per pixel of a frame, whole or in tiles
  // of decodeTile × decodeTile pixels (0: it does not tile). 0 for a decoder too light to count.
  double decodeGiBPerPixel = 0;
  int decodeTile = 0;
  double decodeGiB(int width, int height, bool tiled) const {
    double pixels = static_cast<double>(width) * height;
    if (tiled && decodeTile > 0)
      pixels = std::min(pixels, static_cast<double>(decodeTile) * decodeTile);
    return decodeGiBPerPixel * pixels;
  }
  // What a run holds on the GPU besides the decode, for planning a memory budget before anything
  // loads (core/pipeline/memory_plan.h). All 0 for a model too light to plan for.
  struct Memory {
    double weightsGiB = 0;      // held from load to the end: the transformer and the decoder
    double blocksGiB = 0;       // the part of it in the transformer's blocks (streamable)
    int blocks = 0;             // how many blocks
    double textEncoderGiB = 0;  // held while the prompts encode, then given back
    // Image-to-video: the image encoder and the VAE's encoder, held while the start image encodes
    // (after the text encoder is given back), and the VAE encoder's working memory per pixel of a
    // frame (it codes four frames at a time, untiled).
    double imageEncoderGiB = 0, imageEncodeBytesPerPixel = 0;
    // The denoiser's working memory per token of one sample (a guidance step has two), at the
    // larger of its two peaks: in attention, and in the feed-forward, where the hidden rows
    // (ffnBytesPerToken) come on top of what the layer keeps (running the feed-forward in chunks
    // leaves only a chunk's rows). Sparse attention's buffers add to both.
    double attentionBytesPerToken = 0, layerBytesPerToken = 0, ffnBytesPerToken = 0;
    double sparseBytesPerToken = 0;
  } memory;
};

}  // namespace svgen
