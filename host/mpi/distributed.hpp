#pragma once
// One evolution over many processes with MPI (built only when CMake finds MPI).
// Rank r evaluates a contiguous slice of the population; one MPI_Allgatherv per
// generation gives every rank the whole fitness vector, and every rank then
// applies the same deterministic update, so the centre is never sent. A watchdog
// thread ends the job when a rank stalls. See docs/distributed.md.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "enu/communicator.hpp"
#include "enu/evaluator.hpp"

namespace enu {

/// Members first .. first+count-1 of a population of `members` split over
/// `ranks`: the first members % ranks ranks take one extra member; ranks past
/// the members get empty slices (they still join the exchange).
struct Slice {
  int first = 0, count = 0;
};
Slice population_slice(int members, int ranks, int rank);

/// Owns MPI for the process (MPI_Init_thread .. MPI_Finalize) and the watchdog.
class MpiCommunicator final : public Communicator {
 public:
  /// Initialises MPI and checks that every rank runs the same binary build.
  MpiCommunicator(int* argc, char*** argv);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  /// Rank among the ranks on this node: picks the GPU.
  int local_rank() const { return local_rank_; }
  void agree(const std::string& what, const std::string& value) override;
  bool any(bool flag) override;
  ExchangeTimes last_exchange() const override { return times_; }

  /// Seconds a rank may spend in one watched phase before the job is aborted (0: unwatched).
  void set_timeout(double seconds) { timeout_ = seconds; }

  /// Every rank's `local` (count floats, counts[r] on rank r) concatenated in
  /// rank order into `all`, with every rank's evaluation time: the one collective
  /// of a generation. `what` names it in a timeout message.
  void exchange_fitness(const float* local, const std::vector<int>& counts, double eval_seconds, float* all,
                        const std::string& what);

  /// Runs `body` under the watchdog: when it takes longer than the timeout (plus
  /// `grace`), this rank prints "rank R: <what> ..." and aborts the whole job.
  template <class Body>
  void watched(const std::string& what, double grace, Body&& body) {
    struct Disarm {
      MpiCommunicator* comm;
      ~Disarm() { comm->disarm(); }
    };
    arm(what, grace);
    Disarm disarm_on_exit{this};
    body();
  }

  /// A collective under the watchdog (every collective goes through here).
  template <class Body>
  void collective(const std::string& what, double grace, Body&& body) {
    watched(what, grace, body);
  }

  /// Ends every rank of the job: for errors only this rank has seen.
  [[noreturn]] void abort(int code);

  /// The build this binary is: version, git commit and compiler.
  static std::string build_id();

 private:
  /// The watchdog thread's beat: other ranks tell rank 0 they are alive; rank 0
  /// records when it last heard from each, to name a rank that froze.
  void heartbeat();
  std::string silent_ranks(double now) const;
  void arm(const std::string& what, double grace);
  void disarm();
  void watch();

  int rank_ = 0, size_ = 1, local_rank_ = 0;
  double timeout_ = 0.0;
  ExchangeTimes times_;
  std::vector<float> send_, receive_;
  std::vector<int> receive_counts_, displacements_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool armed_ = false, stopping_ = false;
  double deadline_ = 0.0;  // steady-clock seconds
  std::vector<double> last_heard_;  // rank 0: when each rank's last heartbeat arrived
  std::string armed_what_;
  double armed_limit_ = 0.0;
  std::thread watchdog_;
};

/// Evaluates this rank's slice with a local backend and exchanges fitness, so
/// every rank holds the whole population's. Centre-only populations (the centre
/// each generation, the final held-out evaluation) are evaluated on each rank
/// without communication: the update never reads them and every rank's copy is
/// the same, so nothing needs to be sent.
class DistributedEvaluator final : public Evaluator {
 public:
  DistributedEvaluator(MpiCommunicator& comm, std::unique_ptr<Evaluator> local);
  std::string name() const override;
  void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) override;

 private:
  MpiCommunicator& comm_;
  std::unique_ptr<Evaluator> local_;
  std::vector<float> slice_fitness_;
};

}  // namespace enu
