// The ES update on the device (the host's HostUpdater, step for step): member
// ranks by a CUB radix sort, shaped weights and their pair coefficients in one
// block, the noise regenerated from Philox in chunks of pairs, the direction as
// cuBLAS GEMVs over those chunks, and the optimizer step in one kernel. Only P
// fitness values go up and theta with its moments (3 D floats) come back.
#include <cublas_v2.h>

#include <cub/block/block_reduce.cuh>
#include <cub/device/device_radix_sort.cuh>

#include <algorithm>
#include <cmath>
#include <string>

#include "cuda_check.cuh"
#include "enu/cuda_backend.hpp"
#include "enu/philox.hpp"
#include "enu/strategy.hpp"
#include "kernel_syntax.cuh"
#include "launch_geometry.cuh"

namespace enu {
namespace {

using cuda::ceil_div;
using cuda::DeviceBuffer;
using cuda::grid_stride_blocks;

constexpr int kThreads = 256;
constexpr size_t kMaxBlocks = 65535;  // grid-stride loops take the rest
constexpr int kWeightThreads = 1024;
constexpr size_t kNoiseChunkBytes = size_t(256) << 20;  // noise of at most this many bytes at a time

/// One block: rank r of each member (ties share the mean of their ranks, as on
/// the host), its shaped weight, the sum of |w|, and the pair coefficients
/// (w_2i - w_2i+1) / sum |w|. The four arrays are separate buffers.
__global__ void weights_kernel(const double* __restrict__ sorted, const int* __restrict__ order, int P, bool pareto,
                               double exponent, double* __restrict__ weights, float* __restrict__ coefficients) {
  using Reduce = cub::BlockReduce<double, kWeightThreads>;
  ENU_SHARED(typename Reduce::TempStorage, scratch);
  ENU_SHARED(double, norm);
  double partial = 0.0;
  for (int j = threadIdx.x; j < P; j += blockDim.x) {
    const double key = sorted[j];
    int lo = 0, hi = j;  // first position holding `key`
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (sorted[mid] < key) lo = mid + 1; else hi = mid;
    }
    const int begin = lo;
    lo = j + 1, hi = P;  // one past the last position holding `key`
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (sorted[mid] <= key) lo = mid + 1; else hi = mid;
    }
    const double rank = 0.5 * double(begin + 1 + lo);
    const double w = pareto ? pow(rank / double(P), exponent) : (P > 1 ? (rank - 1.0) / double(P - 1) - 0.5 : 0.0);
    weights[order[j]] = w;
    partial += fabs(w);
  }
  const double total = Reduce(scratch).Sum(partial);
  if (threadIdx.x == 0) norm = total > 0.0 ? total : 1.0;
  __syncthreads();
  for (int pair = threadIdx.x; 2 * pair + 1 < P; pair += blockDim.x) {
    coefficients[pair] = float(weights[2 * pair] / norm - weights[2 * pair + 1] / norm);
  }
}

/// noise[p][k] = eps_{first + p}[k] for `pairs` pairs: the numbers es_noise() draws.
__global__ void noise_kernel(uint64_t seed, uint64_t generation, int first, int pairs, size_t D, float* noise) {
  const PhiloxKey key = stream_key(seed, Stream::es_noise);
  const size_t blocks = ceil_div(D, 4);
  ENU_GRID_STRIDE(i, blocks * pairs) {
    const size_t p = i / blocks, block = i % blocks;
    float draws[4];
    normals4(PhiloxCounter{{uint32_t(block), uint32_t(first + p), uint32_t(generation), 0}}, key, draws);
    for (int lane = 0; lane < 4 && block * 4 + lane < D; ++lane) noise[p * D + block * 4 + lane] = draws[lane];
  }
}

struct OptimizerArgs {
  bool adam;
  float lr, decay, momentum, beta1, beta2, epsilon, correction1, correction2;
};

/// optimizer_step() of host/evolution/strategy.cpp, one parameter per thread;
/// the four arrays are separate buffers (m2 null for momentum SGD).
__global__ void optimizer_kernel(OptimizerArgs a, const float* __restrict__ direction, size_t D,
                                 float* __restrict__ theta, float* __restrict__ m1, float* __restrict__ m2) {
  ENU_GRID_STRIDE(k, D) {
    const float g = direction[k];
    if (!a.adam) {
      m1[k] = a.momentum * m1[k] + g;
      theta[k] += a.lr * (m1[k] - a.decay * theta[k]);
      continue;
    }
    m1[k] = a.beta1 * m1[k] + (1.0f - a.beta1) * g;
    m2[k] = a.beta2 * m2[k] + (1.0f - a.beta2) * g * g;
    const float step = (m1[k] / a.correction1) / (sqrtf(m2[k] / a.correction2) + a.epsilon);
    theta[k] += a.lr * (step - a.decay * theta[k]);
  }
}

bool require_device() {
  std::string why;
  if (cuda_device_count(&why) == 0) throw Error("run.es_update = cuda: " + why + "; use run.es_update=host");
  return true;
}

class CudaUpdater final : public EsUpdater {
 public:
  CudaUpdater() {
    ENU_CUBLAS_CHECK(cublasCreate(&blas_));
    ENU_CUBLAS_CHECK(cublasSetStream(blas_, stream_));
  }
  ~CudaUpdater() override { cublasDestroy(blas_); }

  std::string name() const override { return "cuda"; }

  void apply(const EsConfig& config, uint64_t seed, uint64_t generation, float sigma,
             const std::vector<double>& member_fitness, EsState& state) override {
    const int P = int(member_fitness.size()), pairs = P / 2;
    const size_t D = state.theta.size();
    const bool adam = config.optimizer == OptimizerKind::adam;

    // Ranks and pair coefficients.
    std::vector<int> identity(static_cast<size_t>(P));
    for (int m = 0; m < P; ++m) identity[size_t(m)] = m;
    fitness_.upload(member_fitness.data(), size_t(P), stream_);
    members_.upload(identity.data(), size_t(P), stream_);
    sorted_.resize(size_t(P));
    order_.resize(size_t(P));
    size_t scratch_bytes = 0;
    ENU_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, scratch_bytes, fitness_.data(), sorted_.data(),
                                                   members_.data(), order_.data(), P, 0, 64, stream_));
    scratch_.resize(scratch_bytes);
    ENU_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(scratch_.data(), scratch_bytes, fitness_.data(), sorted_.data(),
                                                   members_.data(), order_.data(), P, 0, 64, stream_));
    weights_.resize(size_t(P));
    coefficients_.resize(size_t(std::max(pairs, 1)));
    ENU_LAUNCH(weights_kernel, 1, kWeightThreads, 0, stream_)(
        sorted_.data(), order_.data(), P, config.shaping == Shaping::pareto, config.pareto_exponent, weights_.data(),
        coefficients_.data());
    ENU_CUDA_CHECK_LAUNCH();

    // direction = sigma * sum_p c_p eps_p, a chunk of pairs per GEMV.
    direction_.resize(D);
    ENU_CUDA_CHECK(cudaMemsetAsync(direction_.data(), 0, D * sizeof(float), stream_));
    const int chunk = int(std::max<size_t>(1, std::min<size_t>(size_t(pairs), kNoiseChunkBytes / (D * sizeof(float)))));
    noise_.resize(size_t(chunk) * D);
    const float one = 1.0f;
    for (int first = 0; first < pairs; first += chunk) {
      const int count = std::min(chunk, pairs - first);
      const int blocks = grid_stride_blocks(size_t(count) * ceil_div(D, 4), kThreads, kMaxBlocks);
      ENU_LAUNCH(noise_kernel, blocks, kThreads, 0, stream_)(seed, generation, first, count, D, noise_.data());
      ENU_CUDA_CHECK_LAUNCH();
      // Column-major D x count with leading dimension D is the row-major [count x D] noise.
      ENU_CUBLAS_CHECK(cublasSgemv(blas_, CUBLAS_OP_N, int(D), count, &sigma, noise_.data(), int(D),
                                   coefficients_.data() + first, 1, &one, direction_.data(), 1));
    }

    // The optimizer step on the device copy of the state.
    OptimizerArgs args{adam, config.learning_rate, config.weight_decay, config.momentum, config.beta1,
                       config.beta2, config.epsilon, 1.0f, 1.0f};
    if (adam) {
      ++state.optimizer_steps;
      const double t = double(state.optimizer_steps);
      args.correction1 = float(1.0 - std::pow(double(config.beta1), t));
      args.correction2 = float(1.0 - std::pow(double(config.beta2), t));
    }
    theta_.upload(state.theta.data(), D, stream_);
    moment1_.upload(state.moment1.data(), D, stream_);
    if (adam) moment2_.upload(state.moment2.data(), D, stream_);
    ENU_LAUNCH(optimizer_kernel, grid_stride_blocks(D, kThreads, kMaxBlocks), kThreads, 0, stream_)(
        args, direction_.data(), D, theta_.data(), moment1_.data(), adam ? moment2_.data() : nullptr);
    ENU_CUDA_CHECK_LAUNCH();
    theta_.download(state.theta.data(), D, stream_);
    moment1_.download(state.moment1.data(), D, stream_);
    if (adam) moment2_.download(state.moment2.data(), D, stream_);
    ENU_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

 private:
  bool device_ = require_device();  // first: no device gives its reason, not a failed stream
  cuda::OwnedStream stream_;
  cublasHandle_t blas_ = nullptr;
  DeviceBuffer<double> fitness_, sorted_, weights_;
  DeviceBuffer<int> members_, order_;
  DeviceBuffer<unsigned char> scratch_;
  DeviceBuffer<float> coefficients_, noise_, direction_, theta_, moment1_, moment2_;
};

}  // namespace

std::unique_ptr<EsUpdater> make_cuda_updater() { return std::make_unique<CudaUpdater>(); }

}  // namespace enu
