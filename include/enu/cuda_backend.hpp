#pragma once
/// @brief Entry points of the CUDA backend, implemented in cuda/ (only in builds
/// with nvcc). No CUDA header is needed to use them.

#include <memory>
#include <string>
#include <vector>

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

/// How networks run on the device (run.cuda_path, run.cuda_tf32).
struct CudaOptions {
  CudaPath path = CudaPath::automatic;
  bool tf32 = false;
  int members_per_chunk = 0;  // layered path: members evaluated together; 0 = as many as fit in memory
};

/// The CUDA backend for a single-unit task (iaf, stdp, stdp_complex) on a cell,
/// or a maze task (tmaze, double_tmaze) on a network. One launch evaluates a
/// whole population: each member's parameters are regenerated on the device from
/// the centre and its Philox noise, and the task's lifetimes run inside the
/// kernel. Throws enu::Error when there is no device, the task has no CUDA
/// version, or the sizes exceed what the kernels take.
std::unique_ptr<Evaluator> make_cuda_evaluator(const ModelSpec& model, const TaskConfig& task,
                                               const CudaOptions& options = {});

/// Replays hand-made observations through lifetimes 0 .. set.count-1 of one
/// parameter vector on the device (as the centre: member id kCentreMemberId) and
/// returns every step's actions, [lifetimes x steps x action_count]: the per-step
/// parity check against the CPU reference. observations: [lifetimes x steps x
/// sources x channels] in `shape`.
std::vector<float> cuda_replay(const ModelSpec& model, ObservationShape shape, const std::vector<float>& theta,
                               const std::vector<float>& observations, int steps, const LifetimeSet& set,
                               const CudaOptions& options = {});

/// The ES update on the current device (es.update = cuda): CUB ranking, the
/// direction as cuBLAS GEMVs over noise regenerated on the device, the optimizer
/// step in a kernel; the same numbers as the host's up to float summation order.
std::unique_ptr<EsUpdater> make_cuda_updater();

/// Every step of maze lifetimes 0 .. set.count-1 as the device ran them for one
/// parameter vector (as the centre): what the agent saw, [lifetimes x steps x
/// sources x channels], the read-out it acted on, [lifetimes x steps x 3], and
/// each lifetime's fitness. The CPU replays the read-outs through its own
/// environment to check that both environments agree step for step.
struct DeviceRecording {
  std::vector<float> observations, actions, fitness;
};
DeviceRecording cuda_record(const ModelSpec& model, const TaskConfig& task, const std::vector<float>& theta,
                            const LifetimeSet& set, const CudaOptions& options = {});

}  // namespace enu
