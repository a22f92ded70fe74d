#pragma once
// FNV-1a: a tiny, stable, platform-independent hash for picking colours and pitches and for
// fingerprinting clip specs (not for security).
#include <cstdint>
#include <string_view>

namespace skyclass::tools {

constexpr std::uint32_t fnv1a32(std::string_view text) {
  std::uint32_t hash = 2166136261u;
  for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return hash;
}

constexpr std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return hash;
}

}  // namespace skyclass::tools
