// The host memory estimate against counts made by hand for small configs, and
// the refusal of a config this machine cannot hold.
#include <gtest/gtest.h>

#include <string>

#include "enu/config.hpp"
#include "host_memory.hpp"

namespace enu {
namespace {

// Bytes of each part, in order.
std::vector<double> part_bytes(const HostMemory& memory) {
  std::vector<double> bytes;
  for (const HostMemory::Part& part : memory.parts) bytes.push_back(part.bytes);
  return bytes;
}

// A function task: fitness values and parameter vectors, no CPU evaluator.
TEST(HostMemory, CountsAFunctionRunByHand) {
  const RunConfig config =
      parse_config("task:\n  name: sphere\n  function:\n    dimension: 10\nes:\n  population: 4\n  lifetimes: 3\n",
                   "test.yaml");
  const HostMemory memory = estimate_host_memory(config, 5, 3);
  // 5 x 3 fitness floats and 5 x 32 bytes of ranks; 16 vectors of 10 floats.
  EXPECT_EQ(part_bytes(memory), (std::vector<double>{4 * 15 + 32 * 5, 4 * 16 * 10}));
  EXPECT_EQ(memory.parts[0].what, "fitness values (5 members x 3 lifetimes)");
  EXPECT_EQ(memory.parts[1].what, "parameter vectors (16 x 10 floats)");
  EXPECT_DOUBLE_EQ(memory.total(), 860.0);
}

// One ENU cell (I 4, M 2, O 1) on two CPU threads.
TEST(HostMemory, CountsACellEvaluatorByHand) {
  const RunConfig config = parse_config(
      "task:\n  name: stdp\nmodel:\n  cell:\n    inputs: 4\n    memory: 2\n    outputs: 1\n"
      "es:\n  population: 2\n  lifetimes: 3\nrun:\n  backend: cpu\n  threads: 2\n",
      "test.yaml");
  // U = I + O + M = 7 gate inputs, 2 gate chunks: theta = 8 x 4 + 8 x 2 + 3 x 1 = 51.
  // A lifetime's batch row: U + 1 + (2 + 3) M + 1 + O = 20 floats, and I + O of
  // observations and actions. A work item: min(lifetimes 3, 32) lifetimes.
  const double per_thread = 4.0 * (3 * (20 + 4 + 1) + 2 * 51);
  const HostMemory memory = estimate_host_memory(config, 3, 3);
  EXPECT_EQ(part_bytes(memory), (std::vector<double>{4 * 9 + 32 * 3, 4 * 16 * 51, 2 * per_thread}));
  EXPECT_EQ(memory.parts[2].what, "CPU evaluator (2 threads x 3 lifetimes of one cell)");
}

// A maze network of 3 neurons with 2 synapses each, C 3, M 2, on one thread.
TEST(HostMemory, CountsANetworkEvaluatorByHand) {
  const RunConfig config = parse_config(
      "task:\n  name: tmaze\nmodel:\n  kind: network\n  network:\n    channels: 3\n    memory: 2\n"
      "    topology:\n      inputs: 4\n      neurons: 3\n      outputs: 3\n      fan_in: 2\n"
      "es:\n  lifetimes: 2\nrun:\n  backend: reference\n",
      "test.yaml");
  // Synapse cell: I 2C = 6, O C = 3, U = 6 + 3 + 2 = 11: theta 12 x 4 + 12 x 2 + 3 x 3 = 81,
  // row 12 + 10 + 1 + 3 = 26. Neuron cell: I 3, U = 8: theta 9 x 4 + 9 x 2 + 9 = 63,
  // row 9 + 10 + 1 + 3 = 23. A lifetime: 6 synapses x (26 + C noise) + 3 neurons x
  // (23 + 3) + 2 x 4 inputs x C (sensory and observations) + 3 actions = 279 floats.
  const double per_thread = 4.0 * (2 * 279 + 2 * (81 + 63) + 6);
  const HostMemory memory = estimate_host_memory(config, 1, 2);
  ASSERT_EQ(memory.parts.size(), 3u);
  EXPECT_DOUBLE_EQ(memory.parts[1].bytes, 4.0 * 16 * (81 + 63));
  EXPECT_DOUBLE_EQ(memory.parts[2].bytes, per_thread);
  EXPECT_EQ(memory.parts[2].what, "CPU evaluator (1 thread x 2 lifetimes of 3 neurons and 6 synapses)");
}

// The cuda backend checks its device itself: no CPU evaluator is counted.
TEST(HostMemory, CudaBackendHasNoCpuWorkers) {
  const RunConfig config = parse_config("task:\n  name: stdp\nrun:\n  backend: cuda\n", "test.yaml");
  EXPECT_EQ(estimate_host_memory(config, 9, 8).parts.size(), 2u);
}

TEST(HostMemory, RefusesNamingTheSizesLargestFirst) {
  const double tib = 1024.0 * 1024 * 1024 * 1024;
  const HostMemory need{{{"parameter vectors (x)", 1536.0}, {"fitness values (y)", 3.7 * tib}}};
  EXPECT_NO_THROW(require_host_memory(need, "this run", need.total()));
  try {
    require_host_memory(need, "es.population 1 x es.lifetimes 2", 20.1 * 1024 * 1024 * 1024);
    ADD_FAILURE() << "not refused";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "es.population 1 x es.lifetimes 2 needs 3.7 TiB of host memory (fitness values (y) 3.7 TiB, parameter "
                 "vectors (x) 1.5 KiB); this machine has 20.1 GiB available");
  }
}

TEST(HostMemory, FormatsBytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(3.5 * 1024 * 1024), "3.5 MiB");
  EXPECT_EQ(format_bytes(4e12 + 3.2e10), "3.7 TiB");
}

TEST(HostMemory, SomethingIsAvailable) { EXPECT_GT(available_host_memory(), 0.0); }

}  // namespace
}  // namespace enu
