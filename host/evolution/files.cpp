#include "files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "enu/common.hpp"

namespace enu {
namespace {

// Writes all of `bytes` to `fd`: 0, or the errno of the write() that failed
// (after a short write, as at a file size limit, the next one says why).
int write_all(int fd, const std::string& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// Owns the temporary file until it has been renamed onto its target, and
// removes it on any failure before that.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::string target)
      : target_(std::move(target)), path_(target_ + ".tmp-" + std::to_string(::getpid())) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("creating", errno);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(path_.c_str());
  }

  void write(const std::string& bytes) {
    if (const int error = write_all(fd_, bytes)) fail("writing", error);
  }

  // fsync first: without it a crash soon after the rename can leave an empty
  // or partial file under the target's name on some filesystems.
  void commit() {
    if (::fsync(fd_) != 0) fail("syncing", errno);
    const int closed = ::close(fd_);
    fd_ = -1;
    if (closed != 0) fail("closing", errno);
    if (::rename(path_.c_str(), target_.c_str()) != 0) fail("renaming", errno);
    renamed_ = true;
  }

 private:
  [[noreturn]] void fail(const char* step, int error) const {
    throw Error("cannot write '" + target_ + "': " + std::strerror(error) + " (" + step + " its temporary file '" +
                path_ + "', which is removed; '" + target_ + "' is left as it was)");
  }

  std::string target_, path_;
  int fd_ = -1;
  bool renamed_ = false;
};

// Makes the rename itself durable. Best effort: some filesystems refuse to
// fsync a directory, and the file is complete either way.
void sync_parent_directory(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string directory = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string read_whole_file(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open " + what + " '" + path + "': " + std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw Error("cannot read " + what + " '" + path + "': " + std::strerror(error));
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  TemporaryFile file(path);
  file.write(bytes);
  file.commit();
  sync_parent_directory(path);
}

AppendedFile::AppendedFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open '" + path_ + "' to append to it: " + std::strerror(errno));
}

AppendedFile::~AppendedFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendedFile::append(const std::string& text) {
  if (const int error = write_all(fd_, text)) {
    throw Error("cannot write '" + path_ + "': " + std::strerror(error));
  }
}

void AppendedFile::close() {
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) throw Error("cannot close '" + path_ + "': " + std::strerror(errno));
}

}  // namespace enu
