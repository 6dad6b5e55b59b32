// umT5 encoders converted to GGUF by llama.cpp (and the city96 umt5-xxl-encoder GGUF files built
// on it) name tensors its way: "enc.blk.3.attn_q.weight", "token_embd.weight". This renames them to
// transformers' UMT5EncoderModel names, which the encoder and its shape inference read.
#pragma once
#include "core/io/tensor_map.h"

#include <string>

namespace svgen {

// True for a name in llama.cpp's T5 encoder scheme.
bool isLlamaCppT5Name(const std::string& name);

// The transformers name of a llama.cpp T5 encoder tensor; other names come back unchanged.
std::string umt5NameFromLlamaCpp(const std::string& name);

// Every key renamed (InputError if two land on one name).
TensorMap umt5FromLlamaCppNames(const TensorMap& weights);

}  // namespace svgen
