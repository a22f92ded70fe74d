#pragma once
// Runs a real executable for an integration test and captures what it printed.
#include <string>

namespace skyclass::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `command` through /bin/sh; stdout and stderr are captured separately.
ProcessResult run(const std::string& command);

// Quotes one argument for /bin/sh.
std::string sh_quote(const std::string& text);

}  // namespace skyclass::testing
