// Full-reference quality of a clip against a reference clip of the same size: PSNR and SSIM, the
// numbers sparse-attention papers report for a sparse run against the dense run with the same
// seed. Qt-free; no LibTorch in this header.
//
// PSNR: over all frames, rows, columns and the three RGB channels at once (one MSE for the whole
//   clip, not a mean of per-frame PSNRs), peak 255: 10·log10(255² / MSE) dB. Identical clips give
//   +infinity; reports that need a finite number (JSON has no infinity) use reportablePsnr().
// SSIM: Wang, Bovik, Sheikh and Simoncelli (2004) on luma Y = 0.299 R + 0.587 G + 0.114 B (not
//   rounded), 11×11 Gaussian window with sigma 1.5 (normalised to sum 1), K1 = 0.01, K2 = 0.03,
//   L = 255, local statistics with the population (1/N) weights of the window; the SSIM map covers
//   the positions where the window fits inside the frame (MATLAB's 'valid', the reference code's
//   choice), and a frame's SSIM is that map's mean. The clip's SSIM is the mean over frames.
//   Frames must be at least 11×11.
#pragma once
#include "core/io/video.h"

#include <vector>

namespace svgen {

// The PSNR that reports write for identical clips (and caps finite values at): JSON has no
// infinity. Tell identical clips apart with VideoQuality::identical.
constexpr double kReportedPsnrCap = 100.0;

// min(psnr, kReportedPsnrCap); +inf becomes the cap.
double reportablePsnr(double psnr);

struct VideoQuality {
  double mse = 0;                 // over every sample of the clip
  double psnr = 0;                // dB; +inf when identical
  double ssim = 0;                // mean over frames; 1 when identical
  std::vector<double> framePsnr;  // dB per frame; +inf for identical frames
  std::vector<double> frameSsim;  // per frame
  bool identical = false;         // every byte equal
};

// Every function below throws InputError when the clips differ in frame count, width or height
// (the message gives both sizes), when a clip is empty or its byte count does not match its size,
// and (SSIM only) when frames are smaller than the 11×11 window.

// PSNR of `test` against `reference` over the whole clip, in dB.
double videoPsnr(const Video& reference, const Video& test);
// PSNR of each frame, in dB.
std::vector<double> framePsnr(const Video& reference, const Video& test);
// Mean SSIM over frames.
double videoSsim(const Video& reference, const Video& test);
// SSIM of each frame.
std::vector<double> frameSsim(const Video& reference, const Video& test);

// All of the above in one pass over the clips.
VideoQuality compareVideos(const Video& reference, const Video& test);

}  // namespace svgen
