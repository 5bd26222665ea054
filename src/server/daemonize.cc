#include "server/daemonize.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace pykv::server {

Status Daemonize() {
  const pid_t pid = ::fork();
  if (pid < 0)
    return Status::IoError(std::string("Can't daemonize: fork: ") + std::strerror(errno));
  // The parent's only job was to start the daemon; _exit skips atexit handlers and stdio
  // flushing that belong to the child now.
  if (pid > 0) ::_exit(0);
  if (::setsid() < 0) {
    return Status::IoError(std::string("Can't daemonize: setsid: ") + std::strerror(errno));
  }
  const int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    ::dup2(fd, STDIN_FILENO);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) ::close(fd);
  }
  return Status::Ok();
}

}  // namespace pykv::server
