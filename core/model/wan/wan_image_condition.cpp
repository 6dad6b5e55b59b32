#include "core/model/wan/wan_image_condition.h"

#include "core/common/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace svgen {

at::Tensor fitStartImage(const Video& image, int height, int width) {
  if (image.frames < 1 || image.width < 1 || image.height < 1 ||
      image.rgb.size() < image.frameBytes())
    throw InputError("the start image is empty");
  if (height < 1 || width < 1) throw InputError("the clip's size must be positive");
  at::Tensor rgb =
      at::from_blob(const_cast<uint8_t*>(image.frame(0)), {image.height, image.width, 3}, at::kByte)
          .permute({2, 0, 1})
          .unsqueeze(0)
          .to(at::kFloat)
          .div(127.5)
          .sub(1.0);  // copies: the bytes stay the caller's
  // The largest centred crop of the clip's aspect ratio.
  const double target = static_cast<double>(width) / height;
  int64_t cropW = image.width, cropH = image.height;
  if (static_cast<double>(image.width) / image.height > target)
    cropW = std::max<int64_t>(1, std::lround(image.height * target));
  else
    cropH = std::max<int64_t>(1, std::lround(image.width / target));
  rgb =
      rgb.narrow(2, (image.height - cropH) / 2, cropH).narrow(3, (image.width - cropW) / 2, cropW);
  if (cropH == height && cropW == width) return rgb.contiguous();
  const bool shrinking = cropH > height || cropW > width;
  at::Tensor out = shrinking ? at::_upsample_bicubic2d_aa(rgb, {height, width}, false)
                             : at::upsample_bicubic2d(rgb, {height, width}, false);
  return out.clamp(-1.0, 1.0).contiguous();
}

at::Tensor conditionClip(const at::Tensor& image, int frames) {
  if (frames < 1) throw InputError("the clip needs at least one frame");
  return at::cat({image.unsqueeze(2),
                  at::zeros({1, 3, frames - 1, image.size(2), image.size(3)}, image.options())},
                 2);
}

at::Tensor firstFrameMask(int64_t latentFrames, int64_t h, int64_t w, const at::Tensor& like) {
  at::Tensor mask = at::zeros({1, 4, latentFrames, h, w}, like.options().dtype(at::kFloat));
  mask.narrow(2, 0, 1).fill_(1.0);
  return mask;
}

}  // namespace svgen
