#pragma once
// ETSI EN 300 468 Annex A: the character coding of DVB text fields.
//
// Encoding writes UTF-8 (selector 0x15) or GB2312 (selector 0x13, EUC-CN bytes). A line break
// becomes the CR/LF control code (U+E08A in UTF-8, byte 0x8A in GB2312); other C0 controls are
// dropped. The selector byte counts in the byte limit, and truncation never splits a character.
//
// Decoding gives UTF-8 for every Annex A table real streams carry: the default table (ISO/IEC
// 6937 with the euro sign at 0xA4, Figure A.1), ISO/IEC 8859-5..15 (0x01..0x0B) and 8859-N
// (0x10 0x00 N), UCS-2 (0x11), KS X 1001 (0x12), GB2312 (0x13, read as GBK, its superset), Big5
// (0x14) and UTF-8 (0x15). Control code CR/LF gives '\n'; other control codes are dropped.
// Invalid or unsupported bytes give U+FFFD; decoding never throws.
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "mux/bytes.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

enum class TextEncoding { utf8, gb2312 };

// What to do with a character the target table cannot carry (only GB2312 can fail).
enum class Unmappable {
  error,    // fail, naming the character
  replace,  // write '?' instead (also for invalid UTF-8 input)
};

inline constexpr std::size_t kNoByteLimit = std::numeric_limits<std::size_t>::max();

// "utf-8" | "gb2312" (case-insensitive; "utf8" accepted).
Result<TextEncoding> parse_text_encoding(std::string_view name);

// Encodes UTF-8 text as an Annex A string, selector included; empty text gives no bytes. Fails on
// invalid UTF-8 input, and (with Unmappable::error) on a character GB2312 lacks.
Result<Bytes> encode_dvb_text(std::string_view utf8, TextEncoding encoding,
                              std::size_t max_bytes = kNoByteLimit,
                              Unmappable unmappable = Unmappable::error);

// Decodes an Annex A string to UTF-8.
std::string decode_dvb_text(ByteView text);

// A DVB text field exactly as carried, so decoding and re-encoding a table loses nothing.
struct DvbText {
  Bytes bytes;

  static Result<DvbText> from_utf8(std::string_view utf8, TextEncoding encoding,
                                   std::size_t max_bytes = kNoByteLimit,
                                   Unmappable unmappable = Unmappable::error);
  std::string utf8() const { return decode_dvb_text(bytes); }
  std::size_t size() const { return bytes.size(); }
  bool operator==(const DvbText&) const = default;
};

}  // namespace skyclass::mux
