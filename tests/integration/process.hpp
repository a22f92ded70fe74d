#pragma once
// Runs a real executable for an integration test and captures what it printed.
#include <optional>
#include <string>

#include <sys/types.h>

namespace skyclass::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `command` through /bin/sh; stdout and stderr are captured separately.
ProcessResult run(const std::string& command);

// Quotes one argument for /bin/sh.
std::string sh_quote(const std::string& text);

// A command run in the background through /bin/sh; killed (SIGKILL) when the object goes unless
// it has ended and been waited for.
class Background {
 public:
  explicit Background(const std::string& command);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // Its exit code, once it ends within `timeout_s`; nothing if it is still running.
  std::optional<int> wait(double timeout_s);
  void signal(int number);

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// A loopback port that was free a moment ago (SOCK_DGRAM or SOCK_STREAM).
int free_port(int socket_type);

}  // namespace skyclass::testing
