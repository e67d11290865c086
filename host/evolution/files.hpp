#pragma once
/// @brief Reading a run's files whole, and writing them so that a failure (a full disk, a file size
/// limit, a missing folder) is an enu::Error naming the file and the system's
/// reason, never a silent loss: whole files replaced atomically, and lines
/// appended in one write each. Internal to host/.

#include <string>

namespace enu {

/// The bytes of the file at `path`; an enu::Error "cannot open <what> '<path>':
/// <the system's reason>" (or "cannot read ...") when it cannot be read.
std::string read_whole_file(const std::string& path, const std::string& what);

/// Replaces `path` with `bytes` whole or not at all: a temporary file beside it,
/// synced, then renamed onto it. On any failure the temporary file is removed
/// and `path` keeps what it held (or stays absent).
void write_file_atomically(const std::string& path, const std::string& bytes);

/// A file opened for appending (created if absent). Every append() is one
/// write() of the kernel's, so nothing waits in a buffer of ours: what a killed
/// process wrote is in the file, and an error is reported by the call that
/// makes it.
class AppendedFile {
 public:
  explicit AppendedFile(std::string path);
  AppendedFile(const AppendedFile&) = delete;
  AppendedFile& operator=(const AppendedFile&) = delete;
  ~AppendedFile();

  void append(const std::string& text);
  /// Closes the file, reporting an error the system kept until then (a network
  /// filesystem may); the destructor closes it quietly.
  void close();

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace enu
