# The built-in shapes model: svgen's own model folders and the shipped "builtin".
svgen_register(builtin SOURCES builtin_family.cpp builtin_model.cpp builtin_words.cpp
  clip_autoencoder.cpp config_json.cpp word_encoder.cpp)
