// A descriptor known by the file it named when it was recorded, so that a later descriptor with the same
// number (closed and reused behind its owner's back) is never taken for it: the pipe ends the exit watch
// handed to JavaScript, the /dev/null spawn keeps open.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

namespace canfork::core {

struct KnownFd {
  int fd = -1;
  dev_t device = 0;
  ino_t inode = 0;

  // `fd` with the file it names now; fd -1 when it names none.
  static KnownFd Of(int fd) {
    struct stat status;
    if (fd < 0 || fstat(fd, &status) != 0) return {};
    return {fd, status.st_dev, status.st_ino};
  }

  // Whether `fd` still names the file it named when recorded.
  bool NamesSameFile() const {
    struct stat status;
    return fd >= 0 && fstat(fd, &status) == 0 && status.st_dev == device && status.st_ino == inode;
  }
};

}  // namespace canfork::core
