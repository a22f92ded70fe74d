#include "headend/ts_file_writer.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace skyclass::headend {
namespace {

constexpr std::size_t kPacketBytes = 188;

[[noreturn]] void fail(const std::filesystem::path& target, const char* what, int error) {
  throw std::runtime_error(
      fmt::format("{}: {} failed: {}", target.string(), what, std::strerror(error)));
}

}  // namespace

TsFileWriter::TsFileWriter(std::filesystem::path target) : target_(std::move(target)) {
  const std::filesystem::path folder =
      target_.has_parent_path() ? target_.parent_path() : std::filesystem::path(".");
  temp_ = folder /
          fmt::format(".{}.{}.partial", target_.filename().string(), static_cast<long>(::getpid()));
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(target_, "creating the temporary file", errno);
}

TsFileWriter::~TsFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
  }
}

void TsFileWriter::write(std::span<const std::uint8_t> packets) {
  if (packets.size() % kPacketBytes != 0) {
    throw std::invalid_argument(fmt::format("{}: {} bytes is not a whole number of TS packets",
                                            target_.string(), packets.size()));
  }
  if (fd_ < 0) throw std::logic_error(fmt::format("{}: write after commit", target_.string()));
  std::size_t done = 0;
  while (done < packets.size()) {
    const ssize_t n = ::write(fd_, packets.data() + done, packets.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(target_, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  bytes_written_ += packets.size();
}

void TsFileWriter::commit() {
  if (::fsync(fd_) != 0) fail(target_, "fsync", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(target_, "close", errno);
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("{}: renaming {} into place failed: {}", target_.string(),
                                         temp_.string(), ec.message()));
  }
  committed_ = true;
}

}  // namespace skyclass::headend
