#pragma once
// Exact number handling shared by the seeded tools (skyclass-tsdamage, skyclass-linksim): option
// text like "0.5" or "1.5s" read as integers (no floating point, so a value means the same on
// every machine), and a 64-bit PRNG draw scaled to [0, n).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace skyclass::tools::text {

// floor(draw * n / 2^64): a value in [0, n) from one 64-bit draw.
inline std::uint64_t scale_draw(std::uint64_t draw, std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(draw) * n) >> 64);
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline std::uint64_t pow10(std::size_t n) {
  std::uint64_t value = 1;
  while (n-- > 0) value *= 10;
  return value;
}

// A decimal number "12", "1.5", ".25": integer part and fraction digits.
struct Decimal {
  std::uint64_t integer = 0;
  std::uint64_t fraction = 0;  // the fraction digits as an integer
  std::size_t fraction_digits = 0;
};

// False on anything else, or when a part has more digits than allowed.
inline bool parse_decimal(std::string_view text, std::size_t max_integer_digits,
                          std::size_t max_fraction_digits, Decimal& out) {
  out = Decimal{};
  const std::size_t dot = text.find('.');
  const std::string_view integer = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (integer.empty() && fraction.empty()) return false;
  if (integer.size() > max_integer_digits || fraction.size() > max_fraction_digits) return false;
  for (char c : integer) {
    if (!is_digit(c)) return false;
    out.integer = out.integer * 10 + static_cast<std::uint64_t>(c - '0');
  }
  for (char c : fraction) {
    if (!is_digit(c)) return false;
    out.fraction = out.fraction * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out.fraction_digits = fraction.size();
  return true;
}

}  // namespace skyclass::tools::text
