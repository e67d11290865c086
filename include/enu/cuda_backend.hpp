#pragma once
/// @brief Entry points of the CUDA backend, implemented in cuda/ (only in builds
/// with nvcc). No CUDA header is needed to use them.

#include <memory>
#include <string>

#include "enu/config.hpp"
#include "enu/evaluator.hpp"
#include "enu/strategy.hpp"

namespace enu {

/// Number of usable CUDA devices; 0 with `reason` set when there is no driver or device.
int cuda_device_count(std::string* reason);

/// True in the CPU-emulation build (ENU_CUDA_EMULATION, cuda/emulation): its
/// one "device" runs the kernels on the CPU, to check them, not to be fast, so
/// --backend auto does not choose it (--backend cuda does).
bool cuda_is_emulation();

/// Makes device `index` current for this process (an MPI rank picks its own GPU).
void cuda_use_device(int index);

/// The current device's name, e.g. "NVIDIA H100 80GB HBM3".
std::string cuda_device_name();
/// The current device's FP32 FMA rate in GFLOP/s as an FMA-chain kernel at
/// full occupancy measures it (best of five): the GPU denominator of `enu bench`.
double cuda_peak_gflops();

/// The fused_v2 kernel's phases in SM clocks (clock64), opt-in through
/// CudaOptions::phase_clocks, to set against its performance model
/// (docs/gpu_v2.md): each block's thread 0 laps the clock after the block
/// barrier that ends a phase, so a phase's count includes waiting for its
/// slowest warp. Summed over blocks and evaluations.
struct PhaseClocks {
  double synapse = 0.0;      // staging, cell steps and read-outs of the synapse rows, to the barrier after them
  double neuron = 0.0;       // the same for the neuron rows (the segmented mean is their staging)
  double environment = 0.0;  // read-out to actions, the tasks' act and observe, the observations' scatter
  double block_ticks = 0.0;  // the block-ticks these cover: per block, steps x ticks_per_step
};

/// How networks run on the device (run.cuda_path, run.cuda_tf32, run.cuda_precision).
struct CudaOptions {
  CudaPath path = CudaPath::automatic;
  bool tf32 = false;                                // layered path
  CudaPrecision precision = CudaPrecision::fp32;    // fused_v2 path (exact here; `enu evolve`'s default is tf32)
  int members_per_chunk = 0;  // layered path: members evaluated together; 0 = as many as fit in memory
  int lifetimes_per_block = 0;  // fused_v2: a block's lifetimes; 0 = as many as fit in shared memory
  PhaseClocks* phase_clocks = nullptr;  // fused_v2: where each evaluation adds its phase clocks; null = not counted
};

/// Why run.cuda_path `path` cannot take `network`'s cells ("" when it can; auto
/// and layered take every network). Shared memory, which depends on the device
/// and the task, is checked when the evaluator is made.
std::string cuda_network_path_limit(const NetworkSpec& network, CudaPath path);

/// The CUDA backend for a single-unit task (iaf, stdp, stdp_complex) on a cell,
/// or a maze task (tmaze, double_tmaze) on a network. One launch evaluates a
/// whole population: each member's parameters are regenerated on the device from
/// the centre and its Philox noise, and the task's lifetimes run inside the
/// kernel. Throws enu::Error when there is no device, the task has no CUDA
/// version, or the sizes exceed what the kernels take.
std::unique_ptr<Evaluator> make_cuda_evaluator(const ModelSpec& model, const TaskConfig& task,
                                               const CudaOptions& options = {});

/// The ES update on the current device (es.update = cuda): CUB ranking, the
/// direction as cuBLAS GEMVs over noise regenerated on the device, the optimizer
/// step in a kernel; the same numbers as the host's up to float summation order.
std::unique_ptr<EsUpdater> make_cuda_updater();

}  // namespace enu
