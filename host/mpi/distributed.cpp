// MPI: the communicator (start-up agreement, watchdog) and the distributed evaluator.
#include "mpi/distributed.hpp"

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

void MpiCommunicator::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (!armed_) {
      changed_.wait(lock);
      continue;
    }
    const double left = deadline_ - now_seconds();
    if (left > 0.0) {
      changed_.wait_for(lock, std::chrono::duration<double>(left));
      continue;
    }
    std::fprintf(stderr,
                 "enu: rank %d of %d: %s did not finish within %.0f s (run.mpi_timeout_seconds = %g); "
                 "aborting the whole job\n",
                 rank_, size_, armed_what_.c_str(), armed_limit_, timeout_);
    abort(124);
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

void MpiCommunicator::await_arrivals(const std::string& what) {
  // Each rank reports to rank 0 before the collective, so that a rank that hung
  // or was stopped can be named: a collective only says that someone is missing.
  constexpr int kArrivalTag = 7101;
  if (rank_ != 0) {
    check(MPI_Send(nullptr, 0, MPI_BYTE, 0, kArrivalTag, MPI_COMM_WORLD), "MPI_Send");
    return;
  }
  std::vector<MPI_Request> arrivals(size_t(size_), MPI_REQUEST_NULL);
  for (int r = 1; r < size_; ++r) {
    check(MPI_Irecv(nullptr, 0, MPI_BYTE, r, kArrivalTag, MPI_COMM_WORLD, &arrivals[size_t(r)]), "MPI_Irecv");
  }
  const double limit = timeout_ > 0.0 ? timeout_ + std::max(1.0, 0.05 * timeout_) : INFINITY;
  const double deadline = now_seconds() + limit;
  for (;;) {
    int all_arrived = 0;
    check(MPI_Testall(size_, arrivals.data(), &all_arrived, MPI_STATUSES_IGNORE), "MPI_Testall");
    if (all_arrived) return;
    if (now_seconds() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string missing;
  for (int r = 1; r < size_; ++r) {
    int arrived = 0;
    if (arrivals[size_t(r)] != MPI_REQUEST_NULL) MPI_Test(&arrivals[size_t(r)], &arrived, MPI_STATUS_IGNORE);
    if (arrivals[size_t(r)] != MPI_REQUEST_NULL && !arrived) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
  }
  std::fprintf(stderr,
               "enu: rank %d of %d: rank(s) %s did not arrive within %.0f s (run.mpi_timeout_seconds = %g) while "
               "%s; they hung or were stopped; aborting the whole job\n",
               rank_, size_, missing.c_str(), limit, timeout_, what.c_str());
  abort(124);
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
