#include "headend/sink.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace skyclass::headend {

void to_json(nlohmann::json& j, const SinkState& s) {
  j = nlohmann::json{{"name", s.name},
                     {"state", s.state},
                     {"bytes", s.bytes},
                     {"packets_dropped", s.packets_dropped},
                     {"last_error", s.last_error}};
}

FileSink::FileSink(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error(
        fmt::format("file:{}: cannot create the output: {}", path_, std::strerror(errno)));
  }
  state_.name = "file:" + path_;
  state_.state = "open";
}

FileSink::~FileSink() { close(); }

void FileSink::write(std::span<const std::uint8_t> packets) {
  if (packets.size() % 188 != 0) {
    throw std::invalid_argument(fmt::format("file:{}: {} bytes is not whole 188-byte packets",
                                            path_, packets.size()));
  }
  if (fd_ < 0) {
    state_.packets_dropped += packets.size() / 188;
    return;
  }
  std::size_t done = 0;
  while (done < packets.size()) {
    const ssize_t n = ::write(fd_, packets.data() + done, packets.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      state_.state = "failed";
      state_.last_error = std::strerror(errno);
      // Drop the rest of this write, but keep the file on a packet boundary.
      const std::size_t partial = done % 188;
      if (partial != 0 && ::ftruncate(fd_, static_cast<off_t>(state_.bytes - partial)) == 0) {
        state_.bytes -= partial;
        done -= partial;
      }
      state_.packets_dropped += (packets.size() - done) / 188;
      return;
    }
    done += static_cast<std::size_t>(n);
    state_.bytes += static_cast<std::uint64_t>(n);
  }
  if (state_.state == "failed") state_.state = "open";
}

void FileSink::close() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  if (state_.state == "open") state_.state = "closed";
}

std::unique_ptr<Sink> open_sink(const std::string& spec) {
  if (spec.starts_with("file:")) {
    const std::string path = spec.substr(5);
    if (path.empty()) {
      throw std::invalid_argument(
          fmt::format("--output '{}': expected file:PATH with a path after 'file:'", spec));
    }
    return std::make_unique<FileSink>(path);
  }
  const auto colon = spec.find(':');
  throw std::invalid_argument(fmt::format(
      "--output '{}': unknown sink '{}'; expected file:PATH", spec,
      colon == std::string::npos ? spec : spec.substr(0, colon)));
}

}  // namespace skyclass::headend
