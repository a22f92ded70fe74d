#pragma once
// FIFOs for the multiplexer's stages (PES packetiser, T-STD model) that stop allocating once they
// have grown to twice their working size: popping never frees, and when full with at least half of
// the storage consumed, the live part moves to the front instead of growing.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <vector>

namespace skyclass::mux::detail {

template <class T>
class VectorQueue {
 public:
  void reserve(std::size_t n) { items_.reserve(n); }
  // The live count is kept apart: size() of a vector divides by sizeof(T) on the hot path.
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return items_[head_ + i]; }
  const T& operator[](std::size_t i) const { return items_[head_ + i]; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  const T& back() const { return items_.back(); }

  void push_back(const T& item) {
    // Compacting only when at least half is dead keeps pushes amortised O(1).
    if (items_.size() == items_.capacity() && head_ * 2 >= items_.size() && head_ > 0) compact();
    items_.push_back(item);
    ++size_;
  }
  void pop_front() {
    if (empty()) throw std::logic_error("VectorQueue::pop_front on an empty queue");
    ++head_;
    if (--size_ == 0) clear();
  }
  void clear() {
    items_.clear();
    head_ = 0;
    size_ = 0;
  }

 private:
  void compact() {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  std::vector<T> items_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;  // items_.size() - head_
};

// Bytes addressed by their absolute position in everything ever appended.
class ByteFifo {
 public:
  void reserve(std::size_t n) { bytes_.reserve(n); }
  std::uint64_t begin_position() const { return discarded_; }
  std::uint64_t end_position() const { return discarded_ + (bytes_.size() - head_); }

  void append(std::span<const std::uint8_t> data) {
    const bool full = bytes_.size() + data.size() > bytes_.capacity();
    if (full && head_ > 0 && head_ * 2 >= bytes_.size()) compact();
    bytes_.insert(bytes_.end(), data.begin(), data.end());
  }
  // Copies out.size() bytes starting at absolute `position`.
  void copy(std::uint64_t position, std::span<std::uint8_t> out) const {
    if (position < discarded_ || position + out.size() > end_position()) {
      throw std::logic_error("ByteFifo::copy outside the stored bytes");
    }
    if (out.empty()) return;  // out.data() may be null
    std::memcpy(out.data(), bytes_.data() + head_ + (position - discarded_), out.size());
  }
  // Forgets every byte before absolute `position`.
  void discard_until(std::uint64_t position) {
    if (position < discarded_ || position > end_position()) {
      throw std::logic_error("ByteFifo::discard_until outside the stored bytes");
    }
    head_ += static_cast<std::size_t>(position - discarded_);
    discarded_ = position;
    if (head_ == bytes_.size()) {
      bytes_.clear();
      head_ = 0;
    }
  }

 private:
  void compact() {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  std::vector<std::uint8_t> bytes_;
  std::size_t head_ = 0;
  std::uint64_t discarded_ = 0;
};

}  // namespace skyclass::mux::detail
