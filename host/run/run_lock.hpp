#pragma once
// The lock that keeps a run folder to one run at a time: two processes (or two
// threads) evolving into one folder would interleave their metrics rows and
// overwrite each other's checkpoints.

#include <filesystem>

namespace enu {

/// Holds an exclusive flock on <folder>/run.lock while it lives, with the
/// holder's pid, host, start time and command written in the file for whoever
/// is refused. flock belongs to the open file description, so a second RunLock
/// on the same folder is refused within one process too (two threads).
class RunLock {
 public:
  /// Creates the folder if needed and takes its lock, or throws enu::Error
  /// naming the folder and the process that holds it, and what to do.
  explicit RunLock(const std::filesystem::path& folder);
  /// Releases the lock. The file stays: removing it would let a process that
  /// has just opened it lock a file that no longer has the name.
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
  int fd_ = -1;
};

}  // namespace enu
