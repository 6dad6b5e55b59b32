# SVOO: co-clustering with a per-layer budget profiled offline.
svgen_register(svoo SOURCES svoo_attention.cpp svoo_profile.cpp svoo_profiler.cpp svoo_method.cpp)
