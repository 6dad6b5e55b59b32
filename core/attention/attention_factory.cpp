#include "core/attention/attention_factory.h"

#include "core/attention/svg2_attention.h"
#include "core/attention/svg_attention.h"
#include "core/attention/svoo_attention.h"
#include "core/common/error.h"

namespace svgen {

std::unique_ptr<AttentionBackend> makeAttentionBackend(const AttentionConfig& config,
                                                       const std::string& modelDir) {
  const auto problems = attentionConfigProblems(config);
  if (!problems.empty()) throw InputError(problems.front());
  if (config.method == "svg") return std::make_unique<SvgAttention>(config);
  if (config.method == "svg2") return std::make_unique<Svg2Attention>(config);
  if (config.method == "svoo")
    return std::make_unique<SvooAttention>(config, loadSvooProfile(config, modelDir));
  return std::make_unique<DenseAttention>();
}

}  // namespace svgen
