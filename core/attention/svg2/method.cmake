# SVG2: k-means clusters and top-p cluster pairs.
svgen_attention_method(svg2 SOURCES svg2_attention.cpp svg2_method.cpp)
