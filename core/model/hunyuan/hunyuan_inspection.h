// What a diffusers HunyuanVideo pipeline folder holds (transformer/, vae/, text_encoder/ with
// tokenizer/, text_encoder_2/ with tokenizer_2/), from config files and safetensors headers only,
// as `svgen inspect` reports it and HunyuanModel loads it.
#pragma once
#include "core/model/checkpoint_inspection.h"

#include <string>

namespace svgen {

// True for a folder whose model_index.json names a HunyuanVideo pipeline.
bool isHunyuanPipelineFolder(const std::string& path);

// The folder's components, each found, readable and sized, or with the problem a user should fix;
// `missing` lists those that are not usable. Layout "hunyuan-diffusers".
CheckpointInspection inspectHunyuanFolder(const std::string& path);

}  // namespace svgen
