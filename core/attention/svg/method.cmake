# SVG: spatial and temporal band masks chosen by sampled-row profiling.
svgen_register(svg SOURCES svg_attention.cpp svg_masks.cpp svg_method.cpp)
