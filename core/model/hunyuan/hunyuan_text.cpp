#include "core/model/hunyuan/hunyuan_text.h"

#include "core/common/error.h"

#include <ATen/ATen.h>

namespace svgen {

const std::string& hunyuanPromptTemplate() {
  static const std::string t =
      "<|start_header_id|>system<|end_header_id|>\n\nDescribe the video by detailing the following "
      "aspects: 1. The main content and theme of the video.2. The color, shape, size, texture, "
      "quantity, text, and spatial relationships of the objects.3. Actions, events, behaviors "
      "temporal relationships, physical movement changes of the objects.4. background "
      "environment, light, style and atmosphere.5. camera angles, movements, and transitions used "
      "in the video:<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>";
  return t;
}

HunyuanLlamaIds hunyuanLlamaIds(const TokenizerJson& tokenizer, const std::string& prompt,
                                int maxTokens) {
  if (maxTokens < 1) throw InputError("HunyuanVideo: at least one prompt token is needed");
  const std::string& t = hunyuanPromptTemplate();
  const size_t slot = t.find("{}");
  // The template's part before the prompt ends at a word boundary ("\n\n"), so its tokens are the
  // first tokens of the whole; the pipeline hard-codes their count (95) for Llama 3's tokenizer.
  HunyuanLlamaIds out;
  out.crop = static_cast<int64_t>(tokenizer.encode(t.substr(0, slot)).size());
  out.ids = tokenizer.encode(t.substr(0, slot) + prompt + t.substr(slot + 2));
  const size_t keep = static_cast<size_t>(out.crop + maxTokens);
  if (out.ids.size() > keep) {
    out.dropped = static_cast<int64_t>(out.ids.size() - keep);
    out.ids.resize(keep);
  }
  return out;
}

HunyuanTextInputs encodeHunyuanPrompt(const TokenizerJson& llamaTokenizer,
                                      const LlamaTextEncoder& llama,
                                      const ClipTokenizer& clipTokenizer,
                                      const ClipTextEncoder& clip, const std::string& prompt,
                                      int maxTokens) {
  const HunyuanLlamaIds llamaIds = hunyuanLlamaIds(llamaTokenizer, prompt, maxTokens);
  const auto ids = at::tensor(llamaIds.ids, at::kLong).unsqueeze(0);
  const at::Tensor states = llama.encode(ids);
  HunyuanTextInputs out;
  out.text = states.narrow(1, llamaIds.crop, states.size(1) - llamaIds.crop).contiguous();
  out.droppedLlamaTokens = llamaIds.dropped;
  const int clipLength = clip.config().maxPositions;
  const auto clipIds =
      at::tensor(clipTokenizer.encode(prompt, clipLength, &out.droppedClipTokens), at::kLong)
          .unsqueeze(0);
  out.pooled = clip.encode(clipIds, clipTokenizer.endId()).pooled;
  return out;
}

}  // namespace svgen
