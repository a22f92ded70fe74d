#pragma once
// A transport stream file that appears whole or not at all: packets go to a hidden temporary file
// beside the target (".NAME.<pid>.partial"), which commit() flushes to disk and renames into
// place. Destroyed without commit(), the temporary file is removed and the target is untouched.
#include <cstdint>
#include <filesystem>
#include <span>

namespace skyclass::headend {

class TsFileWriter {
 public:
  // Throws std::runtime_error naming the target when the temporary file cannot be created.
  explicit TsFileWriter(std::filesystem::path target);
  ~TsFileWriter();
  TsFileWriter(const TsFileWriter&) = delete;
  TsFileWriter& operator=(const TsFileWriter&) = delete;

  // Appends whole 188-byte packets (throws std::invalid_argument for a partial one, and
  // std::runtime_error naming the target on a write error).
  void write(std::span<const std::uint8_t> packets);
  // fsync, close and rename onto the target.
  void commit();

  std::uint64_t bytes_written() const { return bytes_written_; }
  const std::filesystem::path& temp_path() const { return temp_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  std::uint64_t bytes_written_ = 0;
  bool committed_ = false;
};

}  // namespace skyclass::headend
