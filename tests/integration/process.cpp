#include "tests/integration/process.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace skyclass::testing {

std::string sh_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

ProcessResult run(const std::string& command) {
  ProcessResult result;
  auto err_file = std::filesystem::temp_directory_path() /
                  ("skyclass-stderr-" + std::to_string(::getpid()) + ".txt");
  std::string full = command + " 2>" + sh_quote(err_file.string());
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return result;
  char buffer[65536];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(err_file);
  std::ostringstream err;
  err << in.rdbuf();
  result.err = err.str();
  std::filesystem::remove(err_file);
  return result;
}

}  // namespace skyclass::testing
