#include "core/model/video_frames.h"

#include <ATen/ATen.h>

namespace svgen {

Video videoFromUnitRange(const at::Tensor& rgb, int frames, double fps) {
  at::Tensor x = rgb.detach().to(at::kCPU, at::kFloat).narrow(1, 0, frames);
  at::Tensor bytes =
      ((x.clamp(-1, 1) + 1) * 127.5).round().to(at::kByte).permute({1, 2, 3, 0}).contiguous();
  Video v;
  v.frames = frames;
  v.height = static_cast<int>(bytes.size(1));
  v.width = static_cast<int>(bytes.size(2));
  v.fps = fps;
  v.rgb.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
  return v;
}

}  // namespace svgen
