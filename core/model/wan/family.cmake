# Wan 2.1 text-to-video checkpoints (diffusers, ComfyUI, the original repository).
svgen_register(wan SOURCES wan_family.cpp wan_model.cpp wan_components.cpp wan_vae_config.cpp
  wan_vae_decoder.cpp)
