#pragma once
/// @brief Test hooks of the CUDA backend (implemented in cuda_evaluator.cu): not
/// part of enu's API. The backend registry replays through cuda_replay
/// (Backend::replay), and the gpu tests record maze lifetimes with cuda_record.

#include <vector>

#include "enu/cuda_backend.hpp"

namespace enu {

/// Replays hand-made observations through lifetimes 0 .. set.count-1 of one
/// parameter vector on the device (as the centre: member id kCentreMemberId) and
/// returns every step's actions, [lifetimes x steps x action_count]: the per-step
/// parity check against the CPU reference. observations: [lifetimes x steps x
/// sources x channels] in `shape`.
std::vector<float> cuda_replay(const ModelSpec& model, ObservationShape shape, const std::vector<float>& theta,
                               const std::vector<float>& observations, int steps, const LifetimeSet& set,
                               const CudaOptions& options = {});

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
