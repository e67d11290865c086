#pragma once
// The layered path for networks too large for one block per lifetime (DESIGN.md
// section 4, issue 4): each tick is a sequence of device-wide steps over all
// (member, lifetime) rows of a chunk of members: the broadcast (a gather by
// pre[]), each gate layer as one cuBLAS strided-batched GEMM (one batch entry
// per member, its parameters rebuilt in global memory), element-wise gate maths,
// the segmented synapse mean as a CUB segmented reduction, the neuron cells the
// same way, and the task stepped by one thread per lifetime.

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "cuda_check.cuh"
#include "population_kernels.cuh"

namespace enu::cuda {

/// The device state of one cell kind's rows: [gate input | gates | candidate |
/// [h ; 1] | LSTM c | outputs], each row-major with its own leading dimension.
struct CellRows {
  CellSpec spec;
  CellLayout layout;
  int gate_ld = 0, gates_ld = 0, hidden_ld = 0;
  DeviceBuffer<float> gate_in, gates, cand, hidden, cell, out;

  void init(const CellSpec& kind);
  /// Floats one row needs.
  size_t floats_per_row() const;
  void resize(size_t rows);
};

class LayeredNetwork {
 public:
  /// `net.pre` must point to device memory; `tf32` lets cuBLAS use TF32 tensor cores.
  LayeredNetwork(const DeviceNetwork& net, size_t param_count, bool tf32);
  ~LayeredNetwork();
  LayeredNetwork(const LayeredNetwork&) = delete;
  LayeredNetwork& operator=(const LayeredNetwork&) = delete;

  /// Device bytes one (member, lifetime) needs, and one member's parameters.
  size_t bytes_per_lifetime() const;
  size_t bytes_per_member() const { return param_count_ * sizeof(float); }

  /// launch_network's contract: fitness[m * lifetimes.count + e] (device memory)
  /// for the population whose centre is in device memory; members run in chunks
  /// of at most `members_per_chunk`.
  void evaluate(const Population& pop, const LifetimeSet& lifetimes, const DeviceTask& task, float* fitness,
                int members_per_chunk, cudaStream_t stream);

 private:
  void cell_step(CellRows& rows, size_t theta_offset, int members, int rows_per_member, CellRole role,
                 const Population& pop, int first_member, const LifetimeSet& lifetimes, uint32_t tick,
                 cudaStream_t stream);
  template <class Task>
  void evaluate_chunks(const Population& pop, const LifetimeSet& lifetimes, const Task& task, int steps,
                       ObservationShape shape, float* fitness, int members_per_chunk, cudaStream_t stream);
  void gemm(const float* x, int x_ld, size_t theta_offset, int cols, float* out, int out_ld, int members,
            int rows_per_member, int k);

  DeviceNetwork net_;
  size_t param_count_;
  cublasHandle_t blas_ = nullptr;
  CellRows synapses_, neurons_;
  DeviceBuffer<float> theta_, sensory_, sums_, readout_;
  DeviceBuffer<unsigned char> tasks_, scratch_;  // a kernel task per lifetime; CUB's scratch
};

}  // namespace enu::cuda
