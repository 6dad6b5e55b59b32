# Wan checkpoints (diffusers, ComfyUI, the original repositories): Wan 2.1 text-to-video, and
# image-to-video with the same pipeline and two more encoders; Wan 2.2 A14B, two experts of the
# same shape taking turns, and TI2V-5B in the latents of the Wan 2.2 VAE.
svgen_register(wan SOURCES wan_family.cpp wan_model.cpp wan_components.cpp wan_vae_config.cpp
  wan_vae_blocks.cpp wan_vae_decoder.cpp wan_vae_encoder.cpp clip_vision_encoder.cpp
  wan_image_condition.cpp)
svgen_register(wan_i2v SOURCES wan_i2v_family.cpp)
svgen_register(wan22_t2v SOURCES wan22_family.cpp)
svgen_register(wan22_i2v)
svgen_register(wan22_ti2v)
