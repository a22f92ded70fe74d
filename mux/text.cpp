#include "mux/text.hpp"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>

namespace skyclass::mux {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kCrLfTwoByte = 0xE08A;  // Table A.2: control codes 0xE080..0xE09F
constexpr std::uint8_t kCrLf = 0x8A;
constexpr std::uint8_t kSelectorUtf8 = 0x15;
constexpr std::uint8_t kSelectorGb2312 = 0x13;

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Reads one code point at `pos` and advances past it; on an invalid, overlong, surrogate or
// truncated sequence advances one byte and returns nothing.
std::optional<char32_t> next_utf8(ByteView s, std::size_t& pos) {
  std::uint8_t lead = s[pos];
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  int extra = lead < 0xC2 ? -1 : lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : lead < 0xF5 ? 3 : -1;
  if (extra < 0 || s.size() - pos <= static_cast<std::size_t>(extra)) {
    ++pos;
    return std::nullopt;
  }
  char32_t cp = lead & (0x3F >> extra);
  for (int i = 1; i <= extra; ++i) {
    std::uint8_t next = s[pos + static_cast<std::size_t>(i)];
    if ((next & 0xC0) != 0x80) {
      ++pos;
      return std::nullopt;
    }
    cp = cp << 6 | (next & 0x3F);
  }
  constexpr char32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return std::nullopt;
  }
  pos += static_cast<std::size_t>(extra) + 1;
  return cp;
}

ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// --- iconv ---------------------------------------------------------------------------------------

class IconvConverter {
 public:
  IconvConverter(const char* to, const char* from) : cd_(iconv_open(to, from)) {}
  ~IconvConverter() {
    if (valid()) iconv_close(cd_);
  }
  IconvConverter(const IconvConverter&) = delete;
  IconvConverter& operator=(const IconvConverter&) = delete;

  bool valid() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

  // Converts all of `in` and appends it to `out`; on any error leaves `out` as it was.
  bool convert(ByteView in, std::string& out) {
    if (!valid()) return false;
    iconv(cd_, nullptr, nullptr, nullptr, nullptr);
    auto* in_ptr = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    std::size_t in_left = in.size();
    std::string converted;
    std::array<char, 64> chunk;
    while (in_left > 0) {
      char* out_ptr = chunk.data();
      std::size_t out_left = chunk.size();
      std::size_t rc = iconv(cd_, &in_ptr, &in_left, &out_ptr, &out_left);
      converted.append(chunk.data(), static_cast<std::size_t>(out_ptr - chunk.data()));
      if (rc == static_cast<std::size_t>(-1) && errno != E2BIG) return false;
    }
    out += converted;
    return true;
  }

 private:
  iconv_t cd_;
};

// iconv descriptors are not thread-safe; one cache per thread.
IconvConverter& converter(const char* to, const char* from) {
  thread_local std::map<std::pair<std::string, std::string>, std::unique_ptr<IconvConverter>> cache;
  auto& slot = cache[{to, from}];
  if (!slot) slot = std::make_unique<IconvConverter>(to, from);
  return *slot;
}

// --- decoding ------------------------------------------------------------------------------------

// A decoded code point: CR/LF control codes become '\n', other controls vanish.
void append_code_point(std::string& out, char32_t cp) {
  if (cp == kCrLfTwoByte || cp == '\n') {
    out += '\n';
  } else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp >= 0xE080 && cp <= 0xE09F)) {
    return;
  } else {
    append_utf8(out, cp);
  }
}

void append_control(std::string& out, std::uint8_t code) {
  if (code == kCrLf) out += '\n';  // 0x86/0x87 emphasis and reserved codes carry no text
}

using UpperHalf = std::array<char32_t, 96>;  // code points of bytes 0xA0..0xFF; 0 = undefined

// Figure A.1: ISO/IEC 6937 plus the euro sign at 0xA4. 0xC1..0xCF are diacritics (see below).
constexpr UpperHalf kDefaultUpper = {
    0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x20AC, 0x00A5, 0,      0x00A7,  // A0
    0x00A4, 0x2018, 0x201C, 0x00AB, 0x2190, 0x2191, 0x2192, 0x2193,  // A8
    0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00D7, 0x00B5, 0x00B6, 0x00B7,  // B0
    0x00F7, 0x2019, 0x201D, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF,  // B8
    0,      0,      0,      0,      0,      0,      0,      0,       // C0
    0,      0,      0,      0,      0,      0,      0,      0,       // C8
    0x2015, 0x00B9, 0x00AE, 0x00A9, 0x2122, 0x266A, 0x00AC, 0x00A6,  // D0
    0,      0,      0,      0,      0x215B, 0x215C, 0x215D, 0x215E,  // D8
    0x2126, 0x00C6, 0x0110, 0x00AA, 0x0126, 0,      0x0132, 0x013F,  // E0
    0x0141, 0x00D8, 0x0152, 0x00BA, 0x00DE, 0x0166, 0x014A, 0x0149,  // E8
    0x0138, 0x00E6, 0x0111, 0x00F0, 0x0127, 0x0131, 0x0133, 0x0140,  // F0
    0x0142, 0x00F8, 0x0153, 0x00DF, 0x00FE, 0x0167, 0x014B, 0x00AD,  // F8
};

// Combining marks of the non-spacing diacritics 0xC0..0xCF (0 = undefined).
constexpr std::array<char32_t, 16> kDiacriticMarks = {
    0,      0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0306, 0x0307,
    0x0308, 0,      0x030A, 0x0327, 0,      0x030B, 0x0328, 0x030C,
};

void decode_single_byte(std::uint8_t byte, const UpperHalf& upper, std::string& out) {
  if (byte < 0x20 || byte == 0x7F) return;
  if (byte < 0x80) {
    out += static_cast<char>(byte);
  } else if (byte < 0xA0) {
    append_control(out, byte);
  } else {
    char32_t cp = upper[byte - 0xA0];
    append_utf8(out, cp != 0 ? cp : kReplacement);
  }
}

// A diacritic at text[i] applies to the letter after it. Returns the extra bytes used.
std::size_t decode_diacritic(ByteView text, std::size_t i, std::string& out) {
  char32_t mark = kDiacriticMarks[text[i] - 0xC0];
  bool has_base = i + 1 < text.size() && text[i + 1] >= 0x20 && text[i + 1] < 0x7F;
  if (mark == 0 || !has_base) {
    append_utf8(out, kReplacement);
    return 0;
  }
  // glibc's ISO6937 converter knows the precomposed letters; otherwise base + combining mark.
  if (!converter("UTF-8", "ISO6937").convert(text.subspan(i, 2), out)) {
    out += static_cast<char>(text[i + 1]);
    append_utf8(out, mark);
  }
  return 1;
}

void decode_default_table(ByteView text, std::string& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] >= 0xC0 && text[i] <= 0xCF) {
      i += decode_diacritic(text, i, out);
    } else {
      decode_single_byte(text[i], kDefaultUpper, out);
    }
  }
}

UpperHalf build_iso8859_upper(int part) {
  UpperHalf upper{};
  std::string charset = fmt::format("ISO-8859-{}", part);
  IconvConverter& conv = converter("UTF-32BE", charset.c_str());
  for (int byte = 0xA0; byte <= 0xFF; ++byte) {
    std::uint8_t in = static_cast<std::uint8_t>(byte);
    std::string utf32;
    if (conv.convert(ByteView(&in, 1), utf32) && utf32.size() == 4) {
      ByteView b = as_bytes(utf32);
      upper[byte - 0xA0] = char32_t{b[0]} << 24 | char32_t{b[1]} << 16 | b[2] << 8 | b[3];
    }
  }
  return upper;
}

const UpperHalf& iso8859_upper(int part) {
  thread_local std::array<std::optional<UpperHalf>, 17> tables;
  static const UpperHalf kUnknown{};
  if (part < 1 || part > 16 || part == 12) return kUnknown;
  auto& table = tables[static_cast<std::size_t>(part)];
  if (!table) table = build_iso8859_upper(part);
  return *table;
}

void decode_iso8859(ByteView text, int part, std::string& out) {
  const UpperHalf& upper = iso8859_upper(part);
  for (std::uint8_t byte : text) decode_single_byte(byte, upper, out);
}

void decode_ucs2(ByteView text, std::string& out) {
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    char32_t unit = char32_t{text[i]} << 8 | text[i + 1];
    bool high = unit >= 0xD800 && unit <= 0xDBFF;
    if (high && i + 3 < text.size()) {
      char32_t low = char32_t{text[i + 2]} << 8 | text[i + 3];
      if (low >= 0xDC00 && low <= 0xDFFF) {
        append_code_point(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
        i += 2;
        continue;
      }
    }
    append_code_point(out, unit >= 0xD800 && unit <= 0xDFFF ? kReplacement : unit);
  }
  if (text.size() % 2 != 0) append_utf8(out, kReplacement);
}

void decode_utf8(ByteView text, std::string& out) {
  for (std::size_t pos = 0; pos < text.size();) {
    auto cp = next_utf8(text, pos);
    append_code_point(out, cp.value_or(kReplacement));
  }
}

struct DoubleByteTable {
  const char* charset;
  std::uint8_t lead_min;
  bool c1_controls;  // bytes 0x80..0x9F are Annex A control codes (EUC tables)
};

void decode_double_byte(ByteView text, const DoubleByteTable& table, std::string& out) {
  IconvConverter& conv = converter("UTF-8", table.charset);
  for (std::size_t i = 0; i < text.size();) {
    std::uint8_t byte = text[i];
    if (byte < 0x80 || (table.c1_controls && byte < 0xA0)) {
      decode_single_byte(byte, kDefaultUpper, out);
      ++i;
    } else if (byte >= table.lead_min && i + 1 < text.size() &&
               conv.convert(text.subspan(i, 2), out)) {
      i += 2;
    } else {
      append_utf8(out, kReplacement);
      ++i;
    }
  }
}

// 0x10 0x00 N: ISO/IEC 8859-N. Returns false if the three bytes are not a valid selector.
bool decode_iso8859_long_selector(ByteView text, std::string& out) {
  if (text.size() < 3 || text[1] != 0x00 || text[2] == 0 || text[2] > 15 || text[2] == 12) {
    return false;
  }
  decode_iso8859(text.subspan(3), text[2], out);
  return true;
}

}  // namespace

std::string decode_dvb_text(ByteView text) {
  std::string out;
  if (text.empty()) return out;
  std::uint8_t selector = text[0];
  ByteView rest = text.subspan(1);
  if (selector >= 0x20) {
    decode_default_table(text, out);
  } else if (selector >= 0x01 && selector <= 0x0B) {
    decode_iso8859(rest, selector + 4, out);  // 0x01 = 8859-5 .. 0x0B = 8859-15
  } else if (selector == 0x10) {
    if (!decode_iso8859_long_selector(text, out)) {
      append_utf8(out, kReplacement);
      decode_default_table(text.subspan(std::min<std::size_t>(3, text.size())), out);
    }
  } else if (selector == 0x11) {
    decode_ucs2(rest, out);
  } else if (selector == 0x12) {
    decode_double_byte(rest, {"EUC-KR", 0xA1, true}, out);
  } else if (selector == kSelectorGb2312) {
    decode_double_byte(rest, {"GBK", 0xA1, true}, out);
  } else if (selector == 0x14) {
    decode_double_byte(rest, {"BIG5", 0x81, false}, out);
  } else if (selector == kSelectorUtf8) {
    decode_utf8(rest, out);
  } else if (selector == 0x1F) {
    append_utf8(out, kReplacement);  // encoding_type_id: compressed text we cannot expand
  } else {
    append_utf8(out, kReplacement);  // reserved selector: keep what the default table can read
    decode_default_table(rest, out);
  }
  return out;
}

// --- encoding ------------------------------------------------------------------------------------

namespace {

struct CharEncoder {
  TextEncoding encoding;
  Unmappable unmappable;

  // The bytes of one input character, or an error naming it.
  Result<std::string> encode(char32_t cp, std::string_view utf8_char, std::size_t index) const {
    std::string out;
    bool line_break = cp == '\n' || cp == '\r';
    if (line_break) {
      if (encoding == TextEncoding::utf8) {
        append_utf8(out, kCrLfTwoByte);
      } else {
        out += static_cast<char>(kCrLf);
      }
      return out;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return out;  // other controls are dropped
    if (encoding == TextEncoding::utf8 || cp < 0x80) return std::string(utf8_char);
    if (converter("GB2312", "UTF-8").convert(as_bytes(utf8_char), out)) return out;
    if (unmappable == Unmappable::replace) return std::string("?");
    return make_error("text: GB2312 has no code for U+{:04X} '{}' (character {})",
                      static_cast<std::uint32_t>(cp), utf8_char, index + 1);
  }
};

}  // namespace

Result<Bytes> encode_dvb_text(std::string_view utf8, TextEncoding encoding, std::size_t max_bytes,
                              Unmappable unmappable) {
  Bytes out;
  if (utf8.empty() || max_bytes < 2) return out;
  out.push_back(encoding == TextEncoding::utf8 ? kSelectorUtf8 : kSelectorGb2312);
  CharEncoder encoder{encoding, unmappable};
  ByteView input = as_bytes(utf8);
  for (std::size_t pos = 0, index = 0; pos < input.size(); ++index) {
    std::size_t start = pos;
    auto cp = next_utf8(input, pos);
    if (!cp && unmappable == Unmappable::error) {
      return make_error("text: invalid UTF-8 byte 0x{:02X} at offset {}", input[start], start);
    }
    if (!cp) cp = U'?';
    if (*cp == '\r' && pos < input.size() && input[pos] == '\n') continue;  // CR LF is one break
    auto encoded = encoder.encode(*cp, *cp == U'?' ? "?" : utf8.substr(start, pos - start), index);
    if (!encoded) return encoded.take_error();
    if (out.size() + encoded->size() > max_bytes) break;  // truncate on a character boundary
    out.insert(out.end(), encoded->begin(), encoded->end());
  }
  if (out.size() == 1) out.clear();  // nothing but the selector
  return out;
}

Result<DvbText> DvbText::from_utf8(std::string_view utf8, TextEncoding encoding,
                                   std::size_t max_bytes, Unmappable unmappable) {
  auto bytes = encode_dvb_text(utf8, encoding, max_bytes, unmappable);
  if (!bytes) return bytes.take_error();
  return DvbText{std::move(bytes).value()};
}

Result<TextEncoding> parse_text_encoding(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "utf-8" || lower == "utf8") return TextEncoding::utf8;
  if (lower == "gb2312") return TextEncoding::gb2312;
  return make_error("text_encoding: '{}' is not one of utf-8, gb2312", name);
}

}  // namespace skyclass::mux
