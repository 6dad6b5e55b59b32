# Dense: the baseline (dense/dense_method.cpp).
svgen_attention_method(dense SOURCES dense_method.cpp)
