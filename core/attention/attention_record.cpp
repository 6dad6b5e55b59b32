#include "core/attention/attention_record.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace svgen {

namespace {

using json = nlohmann::json;

const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string toBase64(const std::vector<uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (i + 1 < bytes.size()) v |= uint32_t{bytes[i + 1]} << 8;
    if (i + 2 < bytes.size()) v |= bytes[i + 2];
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kBase64[v & 63] : '=';
  }
  return out;
}

std::vector<uint8_t> fromBase64(const std::string& text) {
  if (text.size() % 4 != 0) throw InputError("attention record: row maps are not base64");
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  auto value = [](char c) -> uint32_t {
    const char* p = std::strchr(kBase64, c);
    if (!p || c == '\0') throw InputError("attention record: row maps are not base64");
    return static_cast<uint32_t>(p - kBase64);
  };
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool pad2 = text[i + 2] == '=', pad3 = text[i + 3] == '=';
    const uint32_t v = value(text[i]) << 18 | value(text[i + 1]) << 12 |
                       (pad2 ? 0 : value(text[i + 2]) << 6) | (pad3 ? 0 : value(text[i + 3]));
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (!pad2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (!pad3) out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

}  // namespace

std::string attentionRecordJson(const std::vector<CallRecord>& records) {
  json calls = json::array();
  for (const CallRecord& c : records) {
    json heads = json::array();
    for (const HeadRecord& h : c.headRecords) {
      json jh = {{"index", h.index}, {"decision", h.decision}, {"density", h.density}};
      if (h.spatialError >= 0) jh["spatial_error"] = h.spatialError;
      if (h.temporalError >= 0) jh["temporal_error"] = h.temporalError;
      if (!h.queryClusterSizes.empty()) jh["query_cluster_sizes"] = h.queryClusterSizes;
      if (!h.keyClusterSizes.empty()) jh["key_cluster_sizes"] = h.keyClusterSizes;
      if (!h.frameMap.empty()) jh["frame_map"] = h.frameMap;
      if (!h.blockMask.empty()) {
        std::string bits(h.blockMask.size(), '0');
        for (size_t i = 0; i < bits.size(); ++i)
          if (h.blockMask[i]) bits[i] = '1';
        jh["block_mask"] = {{"rows", h.maskRows}, {"cols", h.maskCols}, {"bits", bits}};
      }
      if (!h.queryLabels.empty()) jh["query_labels"] = h.queryLabels;
      if (!h.keyLabels.empty()) jh["key_labels"] = h.keyLabels;
      if (!h.sampledRows.empty()) {
        jh["sampled_rows"] = h.sampledRows;
        jh["row_maps"] = {{"pool", h.rowMapPool}, {"base64", toBase64(h.rowMaps)}};
      }
      heads.push_back(std::move(jh));
    }
    calls.push_back({{"step", c.step},
                     {"layer", c.layer},
                     {"method", c.method},
                     {"grid", c.grid},
                     {"batch", c.batch},
                     {"heads", c.heads},
                     {"detail", c.detail},
                     {"head_records", std::move(heads)}});
  }
  return json{{"format", "svgen-attention-record"}, {"version", 1}, {"calls", std::move(calls)}}
      .dump();
}

void writeAttentionRecord(const std::vector<CallRecord>& calls, const std::string& path) {
  writeFileAtomically(path, attentionRecordJson(calls));
}

std::vector<CallRecord> parseAttentionRecord(const std::string& text) {
  static const std::string W = "attention record";
  std::vector<CallRecord> out;
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != "svgen-attention-record")
      throw InputError("not an svgen attention record");
    for (const json& c : j.at("calls")) {
      CallRecord r;
      r.step = jsonRequired<int>(c, "step", W);
      r.layer = jsonRequired<int>(c, "layer", W);
      r.method = jsonRequired<std::string>(c, "method", W);
      r.grid = jsonRequired<std::array<int64_t, 3>>(c, "grid", W);
      // At most 2^26 tokens (Wan 720p is 75,600): products of grid sizes cannot overflow, and the
      // views that index by token stay bounded.
      constexpr int64_t kMaxTokens = int64_t{1} << 26;
      for (int64_t g : r.grid)
        if (g < 1 || g > kMaxTokens)
          throw InputError("attention record: grid sizes must be from 1 to 2^26");
      const int64_t frameTokens = r.grid[0] * r.grid[1];  // each ≤ 2^26: no overflow
      if (frameTokens > kMaxTokens || frameTokens * r.grid[2] > kMaxTokens)
        throw InputError("attention record: more than 2^26 tokens");
      const int64_t tokens = frameTokens * r.grid[2];
      r.batch = jsonRequired<int>(c, "batch", W);
      r.heads = jsonRequired<int>(c, "heads", W);
      r.detail = jsonRequired<bool>(c, "detail", W);
      for (const json& h : c.at("head_records")) {
        HeadRecord hr;
        hr.index = jsonRequired<int>(h, "index", W);
        hr.decision = jsonRequired<std::string>(h, "decision", W);
        hr.density = jsonRequired<double>(h, "density", W);
        readJsonField(h, "spatial_error", hr.spatialError, W);
        readJsonField(h, "temporal_error", hr.temporalError, W);
        readJsonField(h, "query_cluster_sizes", hr.queryClusterSizes, W);
        readJsonField(h, "key_cluster_sizes", hr.keyClusterSizes, W);
        readJsonField(h, "frame_map", hr.frameMap, W);
        if (h.contains("block_mask")) {
          const json& m = h.at("block_mask");
          hr.maskRows = jsonRequired<int>(m, "rows", W);
          hr.maskCols = jsonRequired<int>(m, "cols", W);
          const std::string bits = jsonRequired<std::string>(m, "bits", W);
          if (hr.maskRows < 0 || hr.maskCols < 0 ||
              bits.size() != static_cast<size_t>(hr.maskRows) * static_cast<size_t>(hr.maskCols))
            throw InputError("block mask size does not match its rows and columns");
          for (char b : bits) hr.blockMask.push_back(b == '1');
        }
        readJsonField(h, "query_labels", hr.queryLabels, W);
        readJsonField(h, "key_labels", hr.keyLabels, W);
        readJsonField(h, "sampled_rows", hr.sampledRows, W);
        for (int32_t row : hr.sampledRows)
          if (row < 0 || row >= tokens)
            throw InputError("attention record: a sampled row is outside the grid's tokens");
        for (const std::vector<int32_t>* labels : {&hr.queryLabels, &hr.keyLabels})
          if (!labels->empty() && static_cast<int64_t>(labels->size()) != tokens)
            throw InputError("attention record: cluster labels do not match the grid's tokens");
        if (h.contains("row_maps")) {
          const json& m = h.at("row_maps");
          hr.rowMapPool = jsonRequired<int>(m, "pool", W);
          hr.rowMaps = fromBase64(jsonRequired<std::string>(m, "base64", W));
          const int64_t p = std::max(1, hr.rowMapPool);
          const int64_t cells = r.grid[0] * ((r.grid[1] + p - 1) / p) * ((r.grid[2] + p - 1) / p);
          if (hr.rowMaps.size() != hr.sampledRows.size() * static_cast<size_t>(cells))
            throw InputError("attention record: row maps do not match the sampled rows and grid");
        }
        r.headRecords.push_back(std::move(hr));
      }
      out.push_back(std::move(r));
    }
  } catch (const json::exception& e) {
    throw InputError(std::string("attention record: ") + e.what());
  }
  return out;
}

}  // namespace svgen
