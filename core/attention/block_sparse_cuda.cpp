// The bridge from ATen tensors and a host BlockSparsePlan to the CUDA kernel's raw-pointer API.
#include "core/attention/block_sparse.h"

#include "kernels/cuda/block_sparse_attention.h"
#include "kernels/cuda/cuda_runtime_info.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

namespace svgen {

namespace {

kernels::Bf16Strides stridesOf(const at::Tensor& t) {
  // (heads, L, d) with every head in one "batch": the head stride carries the head index.
  return {0, t.stride(0), t.stride(1)};
}

}  // namespace

// The plan's int32 arrays as one device buffer, and the layout pointing into it.
DeviceBlockSparsePlan uploadBlockSparsePlan(const BlockSparsePlan& plan, const at::Device& device) {
  const std::vector<int32_t>* parts[] = {&plan.queryStarts, &plan.keyStarts,  &plan.offsets,
                                         &plan.keyBlocks,   &plan.queryOrder, &plan.keyOrder};
  int64_t total = 0;
  for (const auto* part : parts) total += static_cast<int64_t>(part->size());
  at::Tensor host = at::empty({std::max<int64_t>(1, total)},
                              at::TensorOptions().dtype(at::kInt).pinned_memory(true));
  int64_t offset[6];
  {
    int32_t* dst = host.data_ptr<int32_t>();
    int64_t pos = 0;
    for (int i = 0; i < 6; ++i) {
      offset[i] = pos;
      std::copy(parts[i]->begin(), parts[i]->end(), dst + pos);
      pos += static_cast<int64_t>(parts[i]->size());
    }
  }
  DeviceBlockSparsePlan d;
  d.scores = plan.scoresComputed();
  d.storage = {host.to(device, /*non_blocking=*/true)};
  const int32_t* base = d.storage[0].data_ptr<int32_t>();
  auto pointer = [&](int i) { return parts[i]->empty() ? nullptr : base + offset[i]; };
  kernels::BlockSparseDeviceLayout& L = d.layout;
  L.heads = static_cast<int>(plan.heads);
  L.headsPerBatch = static_cast<int>(plan.heads);
  L.queryLen = static_cast<int>(plan.queryLen);
  L.keyLen = static_cast<int>(plan.keyLen);
  L.numQueryBlocks = plan.numQueryBlocks;
  L.numKeyBlocks = plan.numKeyBlocks;
  L.queryStarts = pointer(0);
  L.keyStarts = pointer(1);
  L.offsets = pointer(2);
  L.keyBlocks = pointer(3);
  L.queryOrder = pointer(4);
  L.keyOrder = pointer(5);
  return d;
}

bool blockSparseCudaSupports(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  if (!kernels::cudaKernelsCompiled() || !q.is_cuda()) return false;
  for (const at::Tensor* t : {&q, &k, &v}) {
    if (t->scalar_type() != at::kBFloat16 || t->dim() != 3 || t->device() != q.device())
      return false;
  }
  return (q.size(2) == 64 || q.size(2) == 128) && k.size(2) == q.size(2) && v.size(2) == q.size(2);
}

DeviceBlockSparsePlan makeDeviceBlockSparsePlan(
    int64_t heads, int64_t queryLen, int64_t keyLen, int numQueryBlocks, int numKeyBlocks,
    const at::Tensor& queryStarts, const at::Tensor& keyStarts, const at::Tensor& offsets,
    const at::Tensor& keyBlocks, const at::Tensor& queryOrder, const at::Tensor& keyOrder,
    int64_t scores) {
  const at::Device device = offsets.device();
  auto check = [&](const at::Tensor& t, int64_t numel, const char* name) {
    if (!t.defined()) return;
    if (!t.is_cuda() || t.device() != device || t.scalar_type() != at::kInt || !t.is_contiguous() ||
        (numel >= 0 && t.numel() != numel))
      throw std::invalid_argument(std::string("device block-sparse plan: ") + name +
                                  " must be a contiguous int32 tensor of the right size on " +
                                  device.str());
  };
  check(queryStarts, heads * (numQueryBlocks + 1), "query starts");
  check(keyStarts, heads * (numKeyBlocks + 1), "key starts");
  check(offsets, heads * numQueryBlocks + 1, "offsets");
  check(keyBlocks, -1, "key blocks");
  check(queryOrder, heads * queryLen, "query order");
  check(keyOrder, heads * keyLen, "key order");
  if (!queryStarts.defined() || !keyStarts.defined() || !keyBlocks.defined())
    throw std::invalid_argument("device block-sparse plan: starts and key blocks are required");
  DeviceBlockSparsePlan d;
  d.storage = {queryStarts, keyStarts, offsets, keyBlocks, queryOrder, keyOrder};
  d.scores = scores;
  kernels::BlockSparseDeviceLayout& L = d.layout;
  L.heads = static_cast<int>(heads);
  L.headsPerBatch = static_cast<int>(heads);
  L.queryLen = static_cast<int>(queryLen);
  L.keyLen = static_cast<int>(keyLen);
  L.numQueryBlocks = numQueryBlocks;
  L.numKeyBlocks = numKeyBlocks;
  L.queryStarts = queryStarts.data_ptr<int32_t>();
  L.keyStarts = keyStarts.data_ptr<int32_t>();
  L.offsets = offsets.data_ptr<int32_t>();
  L.keyBlocks = keyBlocks.numel() ? keyBlocks.data_ptr<int32_t>() : nullptr;
  L.queryOrder = queryOrder.defined() ? queryOrder.data_ptr<int32_t>() : nullptr;
  L.keyOrder = keyOrder.defined() ? keyOrder.data_ptr<int32_t>() : nullptr;
  return d;
}

at::Tensor blockSparseAttentionCuda(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const BlockSparsePlan& plan,
                                    const BlockSparseCudaOptions& options) {
  if (!blockSparseCudaSupports(q, k, v))
    throw std::invalid_argument(
        "block-sparse attention on CUDA needs bf16 (heads, L, 64 or 128) tensors on one device");
  return blockSparseAttentionCuda(q, k, v, uploadBlockSparsePlan(plan, q.device()), options);
}

at::Tensor blockSparseAttentionCuda(const at::Tensor& qIn, const at::Tensor& kIn,
                                    const at::Tensor& vIn, const DeviceBlockSparsePlan& d,
                                    const BlockSparseCudaOptions& options) {
  int64_t* scoresCounted = options.scoresCounted;
  if (!blockSparseCudaSupports(qIn, kIn, vIn))
    throw std::invalid_argument(
        "block-sparse attention on CUDA needs bf16 (heads, L, 64 or 128) tensors on one device");
  // Rows must be 16-byte aligned with unit stride along d; the usual head-major tensors are.
  auto rows = [](const at::Tensor& t) {
    return t.stride(2) == 1 && t.stride(1) % 8 == 0 && t.stride(0) % 8 == 0 ? t : t.contiguous();
  };
  const at::Tensor q = rows(qIn), k = rows(kIn), v = rows(vIn);
  at::Tensor out = options.out;
  if (!out.defined()) {
    out = at::empty_like(q, q.options().memory_format(at::MemoryFormat::Contiguous));
  } else if (out.sizes() != q.sizes() || !out.is_contiguous() || out.device() != q.device() ||
             out.scalar_type() != at::kBFloat16) {
    throw std::invalid_argument("block-sparse attention on CUDA: `out` must be like q, contiguous");
  }
  if (d.layout.heads != q.size(0) || d.layout.queryLen != q.size(1) ||
      d.layout.keyLen != k.size(1) || v.size(1) != k.size(1) || d.storage[0].device() != q.device())
    throw std::invalid_argument("block-sparse attention on CUDA: tensors do not match the plan");
  at::Tensor workspace = at::empty(
      {static_cast<int64_t>(kernels::blockSparseWorkspaceBytes(d.layout) / sizeof(int32_t)) + 1},
      q.options().dtype(at::kInt));
  at::Tensor counter;
  if (scoresCounted) counter = at::zeros({1}, q.options().dtype(at::kLong));

  kernels::BlockSparseCudaArgs a;
  a.q = q.data_ptr();
  a.k = k.data_ptr();
  a.v = v.data_ptr();
  a.out = out.data_ptr();
  a.qStrides = stridesOf(q);
  a.kStrides = stridesOf(k);
  a.vStrides = stridesOf(v);
  a.outStrides = stridesOf(out);
  a.headDim = static_cast<int>(q.size(2));
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(q.size(2))));
  a.layout = d.layout;
  a.workspace = workspace.data_ptr();
  a.scoresComputed =
      scoresCounted ? reinterpret_cast<unsigned long long*>(counter.data_ptr<int64_t>()) : nullptr;
  a.queryTile = options.queryTile;
  a.variant = options.variant;
  kernels::blockSparseAttentionCuda(a);
  if (scoresCounted) *scoresCounted = counter.item<int64_t>();
  return out;
}

}  // namespace svgen
