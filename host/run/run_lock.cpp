#include "run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <system_error>

#include "enu/common.hpp"
#include "files.hpp"

namespace enu {
namespace fs = std::filesystem;

namespace {

// This process's command line, its arguments joined by spaces (Linux; "" elsewhere).
std::string this_command() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string command((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace_if(command.begin(), command.end(), [](char c) { return c == '\0' || c == '\n'; }, ' ');
  while (!command.empty() && command.back() == ' ') command.pop_back();
  return command;
}

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

// The record a holder writes into the lock file after taking the lock: its
// lines "pid: ...", "host: ...", "since: ...", "command: ...".
std::map<std::string, std::string> read_record(const fs::path& lock_file) {
  std::ifstream in(lock_file);
  std::map<std::string, std::string> field;
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(": ");
    if (colon != std::string::npos) field[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return field;
}

// Why `folder` cannot be locked, who holds it, and what to do.
std::string refusal(const fs::path& folder, const fs::path& lock_file) {
  std::map<std::string, std::string> holder = read_record(lock_file);
  const std::string& pid = holder["pid"];  // empty between its holder's flock and its record
  const std::string dir = folder.string();
  std::string message = "run folder '" + dir + "' is in use by ";
  if (pid.empty()) {
    message += "a process that has not written its details yet";
  } else {
    message += "pid " + pid + " on host " + holder["host"] + ", since " + holder["since"];
    if (!holder["command"].empty()) message += " (" + holder["command"] + ")";
  }
  return message + ". Wait for that run to end, or stop it (Ctrl-C, or kill " + (pid.empty() ? "it" : pid) +
         ": enu evolve stops at the end of a generation) and continue it with `enu evolve --resume " + dir +
         "`; or give this run another folder";
}

}  // namespace

RunLock::RunLock(const fs::path& folder) : folder_(folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw Error("cannot create the run folder '" + folder.string() + "': " + error.message());
  const fs::path path = folder / "run.lock";
  // O_CLOEXEC: a program this process starts (tools/plot.py) must not hold the lock on.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open '" + path.string() + "': " + std::strerror(errno));
  // The kernel releases a flock when the last descriptor of its open file
  // description closes, also when its process is killed: a lock file left by a
  // killed run does not block the next one.
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int flock_error = errno;
    ::close(fd_);
    if (flock_error != EWOULDBLOCK) throw Error("cannot lock '" + path.string() + "': " + std::strerror(flock_error));
    throw Error(refusal(folder, path));
  }
  // Through a descriptor of its own, whose closing leaves our lock: a flock
  // belongs to fd_'s open file description, not to the file.
  std::ostringstream record;
  record << "pid: " << ::getpid() << "\nhost: " << host_name() << "\nsince: " << utc_now()
         << "\ncommand: " << this_command() << "\n";
  try {
    if (::ftruncate(fd_, 0) != 0) throw Error("cannot write '" + path.string() + "': " + std::strerror(errno));
    AppendedFile(path.string()).append(record.str());
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

RunLock::~RunLock() { ::close(fd_); }

}  // namespace enu
