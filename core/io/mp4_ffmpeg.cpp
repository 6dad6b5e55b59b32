// H.264 MP4 through the FFmpeg libraries: the format people share. Compiled only when the build
// has FFmpeg (SVGEN_HAVE_FFMPEG).
#include "core/common/error.h"
#include "core/io/atomic_file.h"
#include "core/io/video_io_internal.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace svgen::detail {
namespace {

// The key we own, and "comment", which players and `ffprobe` show.
const char kMetadataKey[] = "svgen";
const char kCommentKey[] = "comment";

std::string avError(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buffer, sizeof buffer);
  return buffer;
}

void check(int rc, const char* what, const std::string& path) {
  if (rc < 0) throw RuntimeFailure(std::string(what) + " '" + path + "': " + avError(rc));
}

// libx264 prints its statistics at info level on every export; errors reach the user through
// our exceptions instead. Only FFmpeg's untouched default is lowered, so an application that set
// its own level keeps it.
void quietFfmpegLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);
  });
}

struct OutputContextDeleter {
  void operator()(AVFormatContext* ctx) const {
    if (ctx->pb && !(ctx->oformat->flags & AVFMT_NOFILE)) avio_closep(&ctx->pb);
    avformat_free_context(ctx);
  }
};
struct InputContextDeleter {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
struct FrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct PacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct SwsDeleter {
  void operator()(SwsContext* ctx) const { sws_freeContext(ctx); }
};
struct DictionaryGuard {
  AVDictionary* dict = nullptr;
  ~DictionaryGuard() { av_dict_free(&dict); }
};

using OutputContext = std::unique_ptr<AVFormatContext, OutputContextDeleter>;
using InputContext = std::unique_ptr<AVFormatContext, InputContextDeleter>;
using CodecContext = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

template <typename T>
T* notNull(T* p, const char* what) {
  if (!p) throw RuntimeFailure(std::string("out of memory while ") + what);
  return p;
}

// Copies a frame into an even-sized buffer, repeating the last column and row.
void padFrame(const uint8_t* src, int width, int height, uint8_t* dst, int paddedWidth,
              int paddedHeight) {
  const size_t srcStride = static_cast<size_t>(width) * 3, dstStride = paddedWidth * 3;
  for (int r = 0; r < paddedHeight; ++r) {
    const uint8_t* in = src + static_cast<size_t>(std::min(r, height - 1)) * srcStride;
    uint8_t* out = dst + static_cast<size_t>(r) * dstStride;
    std::memcpy(out, in, srcStride);
    for (int c = width; c < paddedWidth; ++c) std::memcpy(out + c * 3, in + (width - 1) * 3, 3);
  }
}

InputContext openInput(const std::string& path) {
  quietFfmpegLogs();
  AVFormatContext* raw = nullptr;
  const int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0) throw InputError("cannot open video '" + path + "': " + avError(rc));
  return InputContext(raw);
}

std::string metadataOf(const AVFormatContext* ctx) {
  for (const char* key : {kMetadataKey, kCommentKey}) {
    const AVDictionaryEntry* entry = av_dict_get(ctx->metadata, key, nullptr, AV_DICT_MATCH_CASE);
    if (entry && entry->value) return entry->value;
  }
  return "";
}

bool isFullRange(const AVFrame* frame) {
  switch (frame->format) {
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
      return true;
    default:
      return frame->color_range == AVCOL_RANGE_JPEG;
  }
}

}  // namespace

void exportMp4(const Video& video, const std::string& path, const ExportOptions& options,
               const CancelFn& cancelled) {
  quietFfmpegLogs();
  const Rational rate = fpsToRational(options.fps);
  // 4:2:0 stores one chroma sample per 2×2 block, so x264 accepts only even sizes.
  const int width = video.width + (video.width & 1);
  const int height = video.height + (video.height & 1);

  const AVOutputFormat* muxer = av_guess_format(nullptr, path.c_str(), nullptr);
  if (!muxer) throw InputError("FFmpeg has no muxer for '" + path + "'");
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
  if (!codec)
    throw RuntimeFailure(
        "this FFmpeg has no H.264 encoder (libx264): export to .y4m or a PNG pattern instead");

  AtomicFile file(path);
  file.releaseHandle();  // avio reopens the temporary by name

  // The context's URL must be the temporary: +faststart reopens that URL to move the index to
  // the front. The muxer is chosen from the target's extension.
  AVFormatContext* rawOutput = nullptr;
  check(avformat_alloc_output_context2(&rawOutput, muxer, nullptr, file.tempPath().c_str()),
        "cannot set up the muxer for", path);
  OutputContext output(rawOutput);

  CodecContext encoder(notNull(avcodec_alloc_context3(codec), "setting up the encoder"));
  encoder->width = width;
  encoder->height = height;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->time_base = {rate.den, rate.num};
  encoder->framerate = {rate.num, rate.den};
  encoder->sample_aspect_ratio = {1, 1};
  // Tagged as what swscale is told to produce below, so players convert back with the same matrix.
  encoder->color_range = AVCOL_RANGE_MPEG;
  encoder->colorspace = AVCOL_SPC_BT709;
  encoder->color_primaries = AVCOL_PRI_BT709;
  encoder->color_trc = AVCOL_TRC_BT709;
  if (output->oformat->flags & AVFMT_GLOBALHEADER) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  {
    // "crf" is libx264's; another H.264 encoder leaves it unused in the dictionary.
    DictionaryGuard codecOptions;
    av_dict_set_int(&codecOptions.dict, "crf", options.crf, 0);
    check(avcodec_open2(encoder.get(), codec, &codecOptions.dict),
          "cannot open the H.264 encoder for", path);
  }

  AVStream* stream = notNull(avformat_new_stream(output.get(), nullptr), "adding a video stream");
  stream->time_base = encoder->time_base;
  stream->avg_frame_rate = encoder->framerate;
  check(avcodec_parameters_from_context(stream->codecpar, encoder.get()),
        "cannot configure the video stream of", path);

  if (!options.metadataJson.empty()) {
    check(av_dict_set(&output->metadata, kCommentKey, options.metadataJson.c_str(), 0),
          "cannot store the settings in", path);
    check(av_dict_set(&output->metadata, kMetadataKey, options.metadataJson.c_str(), 0),
          "cannot store the settings in", path);
  }
  check(avio_open(&output->pb, file.tempPath().c_str(), AVIO_FLAG_WRITE), "cannot write", path);
  {
    // use_metadata_tags: the MP4 muxer drops keys outside its iTunes list ("svgen") otherwise.
    DictionaryGuard muxerOptions;
    av_dict_set(&muxerOptions.dict, "movflags", "+faststart+use_metadata_tags", 0);
    check(avformat_write_header(output.get(), &muxerOptions.dict), "cannot write the header of",
          path);
  }

  SwsPtr converter(
      notNull(sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P,
                             SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr),
              "setting up the colour conversion"));
  // Source: full-range RGB. Destination: BT.709 limited range, the HD default players assume.
  sws_setColorspaceDetails(converter.get(), sws_getCoefficients(SWS_CS_DEFAULT), 1,
                           sws_getCoefficients(SWS_CS_ITU709), 0, 0, 1 << 16, 1 << 16);

  FramePtr frame(notNull(av_frame_alloc(), "allocating a frame"));
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  frame->color_range = encoder->color_range;
  frame->colorspace = encoder->colorspace;
  frame->color_primaries = encoder->color_primaries;
  frame->color_trc = encoder->color_trc;
  check(av_frame_get_buffer(frame.get(), 0), "cannot allocate a frame for", path);
  PacketPtr packet(notNull(av_packet_alloc(), "allocating a packet"));

  auto writePackets = [&] {
    for (;;) {
      const int rc = avcodec_receive_packet(encoder.get(), packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      check(rc, "cannot encode", path);
      // libx264 leaves durations at 0; the MP4 muxer then gets the last frame's duration (and
      // so the file's) wrong.
      packet->duration = 1;
      av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
      packet->stream_index = stream->index;
      check(av_interleaved_write_frame(output.get(), packet.get()), "cannot write", path);
    }
  };

  std::vector<uint8_t> padded;
  if (width != video.width || height != video.height)
    padded.resize(static_cast<size_t>(width) * height * 3);
  for (int t = 0; t < video.frames; ++t) {
    if (cancelled && cancelled()) throw Cancelled();
    const uint8_t* rgb = video.frame(t);
    if (!padded.empty()) {
      padFrame(rgb, video.width, video.height, padded.data(), width, height);
      rgb = padded.data();
    }
    // The encoder may still hold a reference to the previous frame's buffers.
    check(av_frame_make_writable(frame.get()), "cannot allocate a frame for", path);
    const uint8_t* planes[1] = {rgb};
    const int strides[1] = {width * 3};
    sws_scale(converter.get(), planes, strides, 0, height, frame->data, frame->linesize);
    frame->pts = t;
    check(avcodec_send_frame(encoder.get(), frame.get()), "cannot encode", path);
    writePackets();
  }
  check(avcodec_send_frame(encoder.get(), nullptr), "cannot encode", path);
  writePackets();
  check(av_write_trailer(output.get()), "cannot finish", path);
  check(avio_closep(&output->pb), "cannot write", path);
  file.commit(cancelled);
}

VideoFile readMp4(const std::string& path) {
  InputContext input = openInput(path);
  int rc = avformat_find_stream_info(input.get(), nullptr);
  if (rc < 0) throw InputError("cannot read the streams of '" + path + "': " + avError(rc));
  const AVCodec* decoderCodec = nullptr;
  const int streamIndex =
      av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoderCodec, 0);
  if (streamIndex < 0 || !decoderCodec)
    throw InputError("'" + path + "' has no video stream this FFmpeg can decode");
  const AVStream* stream = input->streams[streamIndex];

  CodecContext decoder(notNull(avcodec_alloc_context3(decoderCodec), "setting up the decoder"));
  check(avcodec_parameters_to_context(decoder.get(), stream->codecpar),
        "cannot set up the decoder for", path);
  check(avcodec_open2(decoder.get(), decoderCodec, nullptr), "cannot open the decoder for", path);

  VideoFile result;
  Video& video = result.video;
  FramePtr frame(notNull(av_frame_alloc(), "allocating a frame"));
  PacketPtr packet(notNull(av_packet_alloc(), "allocating a packet"));
  SwsContext* converter = nullptr;
  SwsPtr converterOwner;

  auto takeFrames = [&] {
    for (;;) {
      const int got = avcodec_receive_frame(decoder.get(), frame.get());
      if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) return;
      if (got < 0) throw InputError("cannot decode '" + path + "': " + avError(got));
      if (video.frames == 0) {
        video.width = frame->width;
        video.height = frame->height;
      } else if (frame->width != video.width || frame->height != video.height) {
        throw InputError("'" + path + "' changes frame size mid-stream");
      }
      converter = sws_getCachedContext(
          converter, frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
          frame->width, frame->height, AV_PIX_FMT_RGB24,
          SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr);
      converterOwner.release();
      converterOwner.reset(converter);
      if (!converter) throw RuntimeFailure("cannot convert the frames of '" + path + "' to RGB");
      // Use the matrix the file is tagged with (ours: BT.709); untagged files get BT.601.
      sws_setColorspaceDetails(converter, sws_getCoefficients(frame->colorspace),
                               isFullRange(frame.get()) ? 1 : 0,
                               sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
      video.rgb.resize(video.rgb.size() + video.frameBytes());
      uint8_t* planes[1] = {video.rgb.data() + video.rgb.size() - video.frameBytes()};
      const int strides[1] = {video.width * 3};
      sws_scale(converter, frame->data, frame->linesize, 0, frame->height, planes, strides);
      ++video.frames;
      av_frame_unref(frame.get());
    }
  };

  while ((rc = av_read_frame(input.get(), packet.get())) >= 0) {
    if (packet->stream_index == streamIndex) {
      const int sent = avcodec_send_packet(decoder.get(), packet.get());
      av_packet_unref(packet.get());
      if (sent < 0) throw InputError("cannot decode '" + path + "': " + avError(sent));
      takeFrames();
    } else {
      av_packet_unref(packet.get());
    }
  }
  if (rc != AVERROR_EOF) throw InputError("cannot read '" + path + "': " + avError(rc));
  check(avcodec_send_packet(decoder.get(), nullptr), "cannot decode", path);
  takeFrames();

  AVRational rate = stream->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = stream->r_frame_rate;
  if (rate.num > 0 && rate.den > 0) video.fps = av_q2d(rate);
  if (input->duration != AV_NOPTS_VALUE && input->duration > 0)
    result.durationSeconds = static_cast<double>(input->duration) / AV_TIME_BASE;
  else if (stream->duration != AV_NOPTS_VALUE)
    result.durationSeconds = stream->duration * av_q2d(stream->time_base);
  else
    result.durationSeconds = video.frames / video.fps;
  result.codec = avcodec_get_name(stream->codecpar->codec_id);
  const char* pixelFormat =
      av_get_pix_fmt_name(static_cast<AVPixelFormat>(stream->codecpar->format));
  result.pixelFormat = pixelFormat ? pixelFormat : "";
  result.metadataJson = metadataOf(input.get());
  return result;
}

std::string readMp4Metadata(const std::string& path) {
  // Opening reads the container's index (moov), which holds the tags; no frame is decoded.
  return metadataOf(openInput(path).get());
}

}  // namespace svgen::detail
