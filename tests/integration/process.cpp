#include "tests/integration/process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
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
  static std::atomic<int> serial{0};  // run() may be called from several threads at once
  auto err_file = std::filesystem::temp_directory_path() /
                  ("skyclass-stderr-" + std::to_string(::getpid()) + "-" +
                   std::to_string(serial.fetch_add(1)) + ".txt");
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

Background::Background(const std::string& command) {
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

Background::~Background() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::optional<int> Background::wait(double timeout_s) {
  if (exit_code_ || pid_ <= 0) return exit_code_;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

void Background::signal(int number) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, number);
}

int free_port(int socket_type) {
  const int fd = ::socket(AF_INET, socket_type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t size = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace skyclass::testing
