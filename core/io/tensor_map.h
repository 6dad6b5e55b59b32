// Named tensors, as a checkpoint holds them.
#pragma once
#include <ATen/core/Tensor.h>

#include <initializer_list>
#include <map>
#include <string>

namespace svgen {

using TensorMap = std::map<std::string, at::Tensor>;

// `key` from the first of `roots` ("encoder.", "decoder.", ...) that starts it or follows a dot:
// whatever prefix a file put in front of a component's own names is dropped.
inline std::string fromRootName(const std::string& key, std::initializer_list<const char*> roots) {
  for (const char* root : roots) {
    const size_t at = key.find(root);
    if (at != std::string::npos && (at == 0 || key[at - 1] == '.')) return key.substr(at);
  }
  return key;
}

}  // namespace svgen
