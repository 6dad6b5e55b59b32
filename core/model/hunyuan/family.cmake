# HunyuanVideo (T2V 13B) from diffusers pipeline folders: its transformer, 3D causal VAE, prompt
# encoding through LLaVA-Llama-3 and CLIP-L (core/text/), and the model the Engine drives.
svgen_register(hunyuan SOURCES hunyuan_family.cpp hunyuan_model.cpp hunyuan_inspection.cpp
  hunyuan_config.cpp hunyuan_dit.cpp hunyuan_keys.cpp hunyuan_text.cpp hunyuan_vae.cpp)
