// HunyuanVideo's prompt → the transformer's two text inputs, as diffusers' HunyuanVideoPipeline
// makes them: the prompt inside a fixed instruction template through LLaVA-Llama-3-8B, whose third
// hidden state from the end is kept for the prompt's own tokens (the template's are cut off again),
// and CLIP-L's pooled text.
#pragma once
#include "core/text/clip_text_encoder.h"
#include "core/text/clip_tokenizer.h"
#include "core/text/llama_encoder.h"
#include "core/text/tokenizer_json.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

// How many of the prompt's Llama tokens the pipeline keeps, and which hidden state it reads.
constexpr int kHunyuanTextTokens = 256;
constexpr int kHunyuanHiddenState = -3;

// The pipeline's template; "{}" is where the prompt goes.
const std::string& hunyuanPromptTemplate();

struct HunyuanLlamaIds {
  std::vector<int64_t> ids;  // the whole templated prompt, cut to crop + maxTokens
  int64_t crop = 0;          // the template's tokens in front of the prompt (95 for Llama 3's)
  int64_t dropped = 0;       // the prompt's tokens beyond maxTokens, lost
};
HunyuanLlamaIds hunyuanLlamaIds(const TokenizerJson& tokenizer, const std::string& prompt,
                                int maxTokens = kHunyuanTextTokens);

struct HunyuanTextInputs {
  at::Tensor text;    // (1, Lt, hidden) float32: the prompt's tokens (and the closing <|eot_id|>)
  at::Tensor pooled;  // (1, clipHidden) float32
  int64_t droppedLlamaTokens = 0, droppedClipTokens = 0;
};

// `llama` must read kHunyuanHiddenState (the pipeline's default) for the pipeline's states.
HunyuanTextInputs encodeHunyuanPrompt(const TokenizerJson& llamaTokenizer,
                                      const LlamaTextEncoder& llama,
                                      const ClipTokenizer& clipTokenizer,
                                      const ClipTextEncoder& clip, const std::string& prompt,
                                      int maxTokens = kHunyuanTextTokens);

}  // namespace svgen
