# SVG2: k-means clusters and top-p cluster pairs.
svgen_register(svg2 SOURCES svg2_attention.cpp svg2_method.cpp)
