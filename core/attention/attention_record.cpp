#include "core/attention/attention_record.h"

#include "core/common/error.h"
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
  std::vector<CallRecord> out;
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != "svgen-attention-record")
      throw InputError("not an svgen attention record");
    for (const json& c : j.at("calls")) {
      CallRecord r;
      r.step = c.at("step");
      r.layer = c.at("layer");
      r.method = c.at("method");
      r.grid = c.at("grid").get<std::array<int64_t, 3>>();
      r.batch = c.at("batch");
      r.heads = c.at("heads");
      r.detail = c.at("detail");
      for (const json& h : c.at("head_records")) {
        HeadRecord hr;
        hr.index = h.at("index");
        hr.decision = h.at("decision");
        hr.density = h.at("density");
        hr.spatialError = h.value("spatial_error", -1.0);
        hr.temporalError = h.value("temporal_error", -1.0);
        hr.queryClusterSizes = h.value("query_cluster_sizes", std::vector<int32_t>{});
        hr.keyClusterSizes = h.value("key_cluster_sizes", std::vector<int32_t>{});
        hr.frameMap = h.value("frame_map", std::vector<float>{});
        if (h.contains("block_mask")) {
          const json& m = h.at("block_mask");
          hr.maskRows = m.at("rows");
          hr.maskCols = m.at("cols");
          const std::string bits = m.at("bits");
          if (bits.size() != static_cast<size_t>(hr.maskRows) * hr.maskCols)
            throw InputError("block mask size does not match its rows and columns");
          for (char b : bits) hr.blockMask.push_back(b == '1');
        }
        hr.queryLabels = h.value("query_labels", std::vector<int32_t>{});
        hr.keyLabels = h.value("key_labels", std::vector<int32_t>{});
        hr.sampledRows = h.value("sampled_rows", std::vector<int32_t>{});
        if (h.contains("row_maps")) {
          const json& m = h.at("row_maps");
          hr.rowMapPool = m.at("pool");
          hr.rowMaps = fromBase64(m.at("base64").get<std::string>());
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
