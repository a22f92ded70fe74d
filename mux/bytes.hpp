#pragma once
// Big-endian byte helpers for MPEG-2 / DVB syntax. The reader is bounds-checked: reading past the
// end returns zeros, reads nothing, and latches `failed()`, so a decoder checks once per structure.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace skyclass::mux {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - position_; }
  std::size_t position() const { return position_; }
  bool failed() const { return failed_; }
  bool at_end() const { return remaining() == 0; }

  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(take(2)); }
  std::uint32_t u24() { return static_cast<std::uint32_t>(take(3)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(take(4)); }
  std::uint64_t u40() { return take(5); }

  // The next `count` bytes as a view into the input (empty and failed if fewer remain).
  ByteView bytes(std::size_t count) {
    if (!has(count)) return {};
    ByteView view = data_.subspan(position_, count);
    position_ += count;
    return view;
  }
  void skip(std::size_t count) { (void)bytes(count); }

 private:
  bool has(std::size_t count) {
    if (failed_ || count > remaining()) {
      failed_ = true;
      return false;
    }
    return true;
  }
  std::uint64_t take(std::size_t count) {
    if (!has(count)) return 0;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) value = (value << 8) | data_[position_ + i];
    position_ += count;
    return value;
  }

  ByteView data_;
  std::size_t position_ = 0;
  bool failed_ = false;
};

// Appends to a caller-owned vector; `patch_u16` fills in a length field once the loop is known.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  std::size_t size() const { return out_.size(); }
  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) { put(value, 2); }
  void u24(std::uint32_t value) { put(value, 3); }
  void u32(std::uint32_t value) { put(value, 4); }
  void u40(std::uint64_t value) { put(value, 5); }
  void bytes(ByteView data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void patch_u16(std::size_t position, std::uint16_t value) {
    out_.at(position) = static_cast<std::uint8_t>(value >> 8);
    out_.at(position + 1) = static_cast<std::uint8_t>(value);
  }

 private:
  void put(std::uint64_t value, int count) {
    for (int shift = 8 * (count - 1); shift >= 0; shift -= 8) {
      out_.push_back(static_cast<std::uint8_t>(value >> shift));
    }
  }

  Bytes& out_;
};

inline std::uint16_t read_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline void write_u16(std::uint8_t* p, std::uint16_t value) {
  p[0] = static_cast<std::uint8_t>(value >> 8);
  p[1] = static_cast<std::uint8_t>(value);
}

}  // namespace skyclass::mux
