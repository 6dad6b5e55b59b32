# Dense: the baseline (dense/dense_method.cpp).
svgen_register(dense SOURCES dense_method.cpp)
