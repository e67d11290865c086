// MPI: the communicator (start-up agreement, watchdog) and the distributed evaluator.
#include "distributed.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace enu {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// MPI's default handler (MPI_ERRORS_ARE_FATAL) aborts the job on any MPI error,
// so a return code here is a bug in this file rather than a lost rank.
void check(int code, const char* call) {
  if (code != MPI_SUCCESS) throw Error(std::string(call) + " failed with MPI error " + std::to_string(code));
}

}  // namespace

Slice population_slice(int members, int ranks, int rank) {
  const int base = members / ranks, extra = members % ranks;
  return Slice{rank * base + std::min(rank, extra), base + (rank < extra ? 1 : 0)};
}

std::string MpiCommunicator::build_id() {
  return std::string("enu ") + ENU_VERSION + " (git " + ENU_GIT_COMMIT + ", " + __VERSION__ + ")";
}

MpiCommunicator::MpiCommunicator(int* argc, char*** argv) {
  // The watchdog thread may call MPI_Abort while the main thread is inside a collective.
  int provided = 0;
  check(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_free(&node);
  last_heard_.assign(size_t(size_), now_seconds());
  watchdog_ = std::thread([this] { watch(); });
  agree("binary build", build_id());
}

MpiCommunicator::~MpiCommunicator() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  watchdog_.join();
  // Heartbeats still in flight to rank 0 are received before MPI ends.
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank_ == 0) heartbeat();
  MPI_Finalize();
}

void MpiCommunicator::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this is for an MPI that would
}

void MpiCommunicator::arm(const std::string& what, double grace) {
  if (timeout_ <= 0.0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = true;
  armed_what_ = what;
  armed_limit_ = timeout_ + grace;
  deadline_ = now_seconds() + armed_limit_;
  changed_.notify_all();
}

void MpiCommunicator::disarm() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = false;
}

constexpr int kHeartbeatTag = 7102;
constexpr double kHeartbeatSeconds = 0.25;

void MpiCommunicator::heartbeat() {
  if (rank_ != 0) {
    check(MPI_Send(nullptr, 0, MPI_BYTE, 0, kHeartbeatTag, MPI_COMM_WORLD), "MPI_Send");
    return;
  }
  for (;;) {
    int waiting = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, kHeartbeatTag, MPI_COMM_WORLD, &waiting, &status), "MPI_Iprobe");
    if (!waiting) return;
    check(MPI_Recv(nullptr, 0, MPI_BYTE, status.MPI_SOURCE, kHeartbeatTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "MPI_Recv");
    last_heard_[size_t(status.MPI_SOURCE)] = now_seconds();
  }
}

std::string MpiCommunicator::silent_ranks(double now) const {
  std::string silent;
  for (int r = 1; r < size_; ++r) {
    if (now - last_heard_[size_t(r)] > 8 * kHeartbeatSeconds) {
      silent += (silent.empty() ? "" : ", ") + std::to_string(r);
    }
  }
  return silent;
}

void MpiCommunicator::watch() {
  // Beats every kHeartbeatSeconds; between beats, sleeps until the next beat or
  // the armed deadline, whichever comes first.
  std::unique_lock<std::mutex> lock(mutex_);
  double next_beat = 0.0;
  while (!stopping_) {
    const double now = now_seconds();
    if (now >= next_beat && size_ > 1) {
      lock.unlock();
      heartbeat();
      lock.lock();
      next_beat = now + kHeartbeatSeconds;
    }
    if (armed_ && now >= deadline_) {
      // A frozen process cannot name itself; rank 0 names the ranks it stopped hearing from.
      const std::string silent = rank_ == 0 ? silent_ranks(now) : "";
      std::fprintf(stderr,
                   "enu: rank %d of %d: %s did not finish within %.0f s (run.mpi_timeout_seconds = %g)%s%s; "
                   "aborting the whole job\n",
                   rank_, size_, armed_what_.c_str(), armed_limit_, timeout_,
                   silent.empty() ? "" : "; silent (stopped or frozen): rank ", silent.c_str());
      abort(124);
    }
    double wake = size_ > 1 ? next_beat : INFINITY;
    if (armed_) wake = std::min(wake, deadline_);
    if (std::isinf(wake)) {
      changed_.wait(lock);
    } else {
      changed_.wait_for(lock, std::chrono::duration<double>(std::max(0.0, wake - now_seconds())));
    }
  }
}

void MpiCommunicator::agree(const std::string& what, const std::string& value) {
  const unsigned long long mine = fnv1a64(value.data(), value.size());
  std::vector<unsigned long long> all(size_t(size_), 0);
  collective("the agreement on the " + what, 1.0, [&] {
    check(MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all.data(), 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD),
          "MPI_Allgather");
  });
  for (int r = 1; r < size_; ++r) {
    if (all[size_t(r)] == all[0]) continue;
    char hashes[80];
    std::snprintf(hashes, sizeof hashes, " (hash %016llx against rank 0's %016llx)", all[size_t(r)], all[0]);
    throw CollectiveError("ranks disagree: rank " + std::to_string(r) + " of " + std::to_string(size_) +
                          " runs a different " + what + " than rank 0" + hashes +
                          "; every rank must run the same binary, config and checkpoint");
  }
}

bool MpiCommunicator::any(bool flag) {
  int mine = flag ? 1 : 0, result = 0;
  collective("a stop decision", 1.0, [&] {
    check(MPI_Allreduce(&mine, &result, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD), "MPI_Allreduce");
  });
  return result != 0;
}

void MpiCommunicator::exchange_fitness(const float* local, const std::vector<int>& counts, double eval_seconds,
                                       float* all, const std::string& what) {
  // Each rank's block is its fitness then its evaluation time: still one collective.
  const int mine = counts[size_t(rank_)];
  send_.assign(local, local + mine);
  send_.push_back(float(eval_seconds));
  receive_counts_.resize(size_t(size_));
  displacements_.resize(size_t(size_));
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    receive_counts_[size_t(r)] = counts[size_t(r)] + 1;
    displacements_[size_t(r)] = total;
    total += counts[size_t(r)] + 1;
  }
  receive_.resize(size_t(total));
  const double started = now_seconds();
  // The grace lets a rank that is stuck in its own evaluation time out first and name itself.
  collective(what, std::max(1.0, 0.05 * timeout_), [&] {
    check(MPI_Allgatherv(send_.data(), mine + 1, MPI_FLOAT, receive_.data(), receive_counts_.data(),
                         displacements_.data(), MPI_FLOAT, MPI_COMM_WORLD),
          "MPI_Allgatherv");
  });
  times_.ranks = size_;
  times_.exchange = now_seconds() - started;
  times_.eval_min = INFINITY;
  times_.eval_max = 0.0;
  for (int r = 0; r < size_; ++r) {
    const float* block = receive_.data() + displacements_[size_t(r)];
    all = std::copy(block, block + counts[size_t(r)], all);
    times_.eval_min = std::min(times_.eval_min, double(block[counts[size_t(r)]]));
    times_.eval_max = std::max(times_.eval_max, double(block[counts[size_t(r)]]));
  }
}

DistributedEvaluator::DistributedEvaluator(MpiCommunicator& comm, std::unique_ptr<Evaluator> local)
    : comm_(comm), local_(std::move(local)) {}

std::string DistributedEvaluator::name() const {
  return local_->name() + " on " + std::to_string(comm_.size()) + " MPI ranks";
}

void DistributedEvaluator::evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) {
  if (pop.centre_only) {
    local_->evaluate(pop, lifetimes, fitness);
    return;
  }
  const int ranks = comm_.size();
  std::vector<int> counts(static_cast<size_t>(ranks));
  for (int r = 0; r < ranks; ++r) counts[size_t(r)] = population_slice(pop.size, ranks, r).count * lifetimes.count;
  const Slice slice = population_slice(pop.size, ranks, comm_.rank());
  Population mine = pop;
  mine.first = pop.first + slice.first;
  mine.size = slice.count;
  if (pop.rows) mine.rows = pop.rows + size_t(slice.first) * pop.param_count;
  slice_fitness_.resize(size_t(slice.count) * lifetimes.count);

  const std::string generation = " of generation " + std::to_string(pop.generation);
  const auto start = std::chrono::steady_clock::now();
  if (slice.count > 0) {
    const std::string members = "evaluating members " + std::to_string(mine.first) + ".." +
                                std::to_string(mine.first + mine.size - 1) + generation;
    comm_.watched(members, 0.0, [&] { local_->evaluate(mine, lifetimes, slice_fitness_.data()); });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  comm_.exchange_fitness(slice_fitness_.data(), counts, seconds, fitness,
                         "waiting in the fitness exchange (MPI_Allgatherv)" + generation +
                             " for the other ranks (a rank that died or hung)");
}

}  // namespace enu
