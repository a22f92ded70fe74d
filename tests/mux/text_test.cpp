#include "mux/text.hpp"

#include <gtest/gtest.h>

#include <random>

namespace skyclass::mux {
namespace {

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Bytes encoded(std::string_view utf8, TextEncoding encoding, std::size_t max_bytes = kNoByteLimit) {
  auto result = encode_dvb_text(utf8, encoding, max_bytes);
  EXPECT_TRUE(result.ok()) << result.error();
  return result.ok() ? result.value() : Bytes{};
}

// --- encoding --------------------------------------------------------------------------------

TEST(DvbTextEncode, Utf8HasSelector0x15) {
  Bytes expected = {0x15};
  Bytes chinese = bytes_of("空中课堂");
  expected.insert(expected.end(), chinese.begin(), chinese.end());
  EXPECT_EQ(encoded("空中课堂", TextEncoding::utf8), expected);
}

TEST(DvbTextEncode, Gb2312HasSelector0x13AndEucCnBytes) {
  // 空 BFD5, 中 D6D0, 课 BFCE, 堂 CCC3 (GB 2312-80 row/cell + 0xA0)
  EXPECT_EQ(encoded("空中课堂", TextEncoding::gb2312),
            (Bytes{0x13, 0xBF, 0xD5, 0xD6, 0xD0, 0xBF, 0xCE, 0xCC, 0xC3}));
  EXPECT_EQ(encoded("CETV-4 空中课堂", TextEncoding::gb2312).size(), 1u + 7 + 8);
}

TEST(DvbTextEncode, ChineseRoundTripsInBothEncodings) {
  const std::string title = "小学三年级 数学：分数的初步认识（一）";
  EXPECT_EQ(decode_dvb_text(encoded(title, TextEncoding::utf8)), title);
  EXPECT_EQ(decode_dvb_text(encoded(title, TextEncoding::gb2312)), title);
}

TEST(DvbTextEncode, CharacterOutsideGb2312IsAnErrorNamingIt) {
  auto result = encode_dvb_text("数学課", TextEncoding::gb2312);  // 課 is traditional
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().find("U+8AB2"), std::string::npos) << result.error();
  EXPECT_NE(result.error().find("課"), std::string::npos) << result.error();
  EXPECT_NE(result.error().find("character 3"), std::string::npos) << result.error();
}

TEST(DvbTextEncode, ReplaceFallbackWritesQuestionMark) {
  auto result = encode_dvb_text("数学課😀", TextEncoding::gb2312, kNoByteLimit, Unmappable::replace);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(decode_dvb_text(result.value()), "数学??");
}

TEST(DvbTextEncode, InvalidUtf8InputIsAnError) {
  auto result = encode_dvb_text("ab\xFF", TextEncoding::utf8);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().find("offset 2"), std::string::npos) << result.error();
}

TEST(DvbTextEncode, TruncatesOnCharacterBoundaryCountingTheSelector) {
  // Each Chinese character is 3 bytes in UTF-8 and 2 in GB2312.
  EXPECT_EQ(encoded("空中课堂", TextEncoding::utf8, 9).size(), 7u);
  EXPECT_EQ(decode_dvb_text(encoded("空中课堂", TextEncoding::utf8, 9)), "空中");
  EXPECT_EQ(encoded("空中课堂", TextEncoding::utf8, 10).size(), 10u);
  EXPECT_EQ(decode_dvb_text(encoded("空中课堂", TextEncoding::gb2312, 6)), "空中");
  EXPECT_EQ(encoded("空中课堂", TextEncoding::gb2312, 6).size(), 5u);
  EXPECT_TRUE(encoded("空中课堂", TextEncoding::utf8, 3).empty()) << "not even one character fits";
  EXPECT_TRUE(encoded("", TextEncoding::utf8).empty());
}

TEST(DvbTextEncode, LineBreakBecomesCrLfControlCode) {
  EXPECT_EQ(encoded("a\nb", TextEncoding::utf8), (Bytes{0x15, 'a', 0xEE, 0x82, 0x8A, 'b'}));
  EXPECT_EQ(encoded("a\r\nb", TextEncoding::gb2312), (Bytes{0x13, 'a', 0x8A, 'b'}));
  EXPECT_EQ(encoded("a\tb", TextEncoding::utf8), (Bytes{0x15, 'a', 'b'})) << "other C0 dropped";
  EXPECT_EQ(decode_dvb_text(encoded("第一课\n第二课", TextEncoding::utf8)), "第一课\n第二课");
  EXPECT_EQ(decode_dvb_text(encoded("第一课\n第二课", TextEncoding::gb2312)), "第一课\n第二课");
}

TEST(DvbTextEncode, ParsesEncodingNames) {
  EXPECT_EQ(parse_text_encoding("UTF-8").value(), TextEncoding::utf8);
  EXPECT_EQ(parse_text_encoding("gb2312").value(), TextEncoding::gb2312);
  auto bad = parse_text_encoding("big5");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("big5"), std::string::npos);
}

// --- decoding --------------------------------------------------------------------------------

TEST(DvbTextDecode, DefaultTableAscii) {
  EXPECT_EQ(decode_dvb_text(bytes_of("CETV News")), "CETV News");
  EXPECT_EQ(decode_dvb_text({}), "");
}

TEST(DvbTextDecode, DefaultTableUpperHalfAndEuro) {
  EXPECT_EQ(decode_dvb_text(Bytes{'5', 0xA4}), "5€") << "0xA4 is the euro sign in Figure A.1";
  EXPECT_EQ(decode_dvb_text(Bytes{0xA9, 'x', 0xBA}), "‘x”");
  EXPECT_EQ(decode_dvb_text(Bytes{0xE9, 0xFB, 0xD3, 0xD4}), "Øß©™");
}

TEST(DvbTextDecode, DefaultTableDiacriticsCompose) {
  EXPECT_EQ(decode_dvb_text(Bytes{'C', 'a', 'f', 0xC2, 'e'}), "Café");
  EXPECT_EQ(decode_dvb_text(Bytes{'M', 0xC8, 'u', 'n', 'c', 'h', 'e', 'n'}), "München");
  EXPECT_EQ(decode_dvb_text(Bytes{0xCF, 'S'}), "Š");
  EXPECT_EQ(decode_dvb_text(Bytes{'a', 0xC2}), "a\uFFFD") << "dangling diacritic";
}

TEST(DvbTextDecode, ControlCodes) {
  EXPECT_EQ(decode_dvb_text(Bytes{'a', 0x8A, 'b'}), "a\nb");
  EXPECT_EQ(decode_dvb_text(Bytes{0x86, 'b', 'o', 'l', 'd', 0x87}), "bold") << "emphasis dropped";
  EXPECT_EQ(decode_dvb_text(Bytes{0x11, 0x00, 'a', 0xE0, 0x8A, 0x00, 'b'}), "a\nb");
  EXPECT_EQ(decode_dvb_text(Bytes{0x15, 'a', 0xEE, 0x82, 0x86, 'b'}), "ab");
}

TEST(DvbTextDecode, Iso8859ViaOneByteSelectors) {
  EXPECT_EQ(decode_dvb_text(Bytes{0x01, 0xB0, 0xD1}), "Аб");  // 8859-5 Cyrillic
  EXPECT_EQ(decode_dvb_text(Bytes{0x03, 0xC1}), "Α");         // 8859-7 Greek
  EXPECT_EQ(decode_dvb_text(Bytes{0x05, 0xDD}), "İ");         // 8859-9 Turkish
  EXPECT_EQ(decode_dvb_text(Bytes{0x0B, 0xA4}), "€");         // 8859-15
}

TEST(DvbTextDecode, Iso8859ViaThreeByteSelector) {
  EXPECT_EQ(decode_dvb_text(Bytes{0x10, 0x00, 0x01, 'a', 0xE9}), "aé");  // 8859-1
  EXPECT_EQ(decode_dvb_text(Bytes{0x10, 0x00, 0x02, 0xA3}), "Ł");        // 8859-2
  EXPECT_EQ(decode_dvb_text(Bytes{0x10, 0x00, 0x0F, 0xA4}), "€");        // 8859-15
  EXPECT_EQ(decode_dvb_text(Bytes{0x10, 0x00}), "\uFFFD");
  EXPECT_EQ(decode_dvb_text(Bytes{0x10, 0x01, 0x02, 'x'}), "\uFFFDx");
}

TEST(DvbTextDecode, Ucs2) {
  EXPECT_EQ(decode_dvb_text(Bytes{0x11, 0x00, 'A', 0x4E, 0x2D, 0x65, 0x87}), "A中文");
  EXPECT_EQ(decode_dvb_text(Bytes{0x11, 0x4E, 0x2D, 0x65}), "中\uFFFD") << "odd byte";
  EXPECT_EQ(decode_dvb_text(Bytes{0x11, 0xD8, 0x3D, 0xDE, 0x00}), "😀");
  EXPECT_EQ(decode_dvb_text(Bytes{0x11, 0xDE, 0x00, 0x00, 'x'}), "\uFFFDx");
}

TEST(DvbTextDecode, KsX1001) {
  EXPECT_EQ(decode_dvb_text(Bytes{0x12, 0xC7, 0xD1, 0xB0, 0xA1, 'k'}), "한가k");
}

TEST(DvbTextDecode, Gb2312) {
  EXPECT_EQ(decode_dvb_text(Bytes{0x13, 0xBF, 0xD5, 0xD6, 0xD0, '4'}), "空中4");
  EXPECT_EQ(decode_dvb_text(Bytes{0x13, 0xBF}), "\uFFFD") << "truncated pair";
  EXPECT_EQ(decode_dvb_text(Bytes{0x13, 0xD6, 0xD0, 0x8A, 0xD6, 0xD0}), "中\n中");
}

TEST(DvbTextDecode, Big5) {
  EXPECT_EQ(decode_dvb_text(Bytes{0x14, 0xA4, 0xA4, 0xA4, 0xE5}), "中文");
}

TEST(DvbTextDecode, Utf8InvalidBytesBecomeReplacement) {
  EXPECT_EQ(decode_dvb_text(Bytes{0x15, 'o', 'k', 0xFF, 'x'}), "ok\uFFFDx");
  EXPECT_EQ(decode_dvb_text(Bytes{0x15, 0xE4, 0xB8}), "\uFFFD\uFFFD") << "truncated sequence";
  EXPECT_EQ(decode_dvb_text(Bytes{0x15, 0xC0, 0x80}), "\uFFFD\uFFFD") << "overlong NUL";
  EXPECT_EQ(decode_dvb_text(Bytes{0x15, 0xED, 0xA0, 0x80}), "\uFFFD\uFFFD\uFFFD") << "surrogate";
}

TEST(DvbTextDecode, UnsupportedSelectors) {
  EXPECT_EQ(decode_dvb_text(Bytes{0x1F, 0x01, 0x55, 0x66}), "\uFFFD") << "compressed text";
  EXPECT_EQ(decode_dvb_text(Bytes{0x17, 'h', 'i'}), "\uFFFDhi") << "reserved selector";
}

TEST(DvbTextDecode, RandomBytesNeverThrowAndGiveValidUtf8) {
  std::mt19937 rng(42);
  for (int round = 0; round < 5000; ++round) {
    Bytes text(rng() % 40);
    for (auto& b : text) b = static_cast<std::uint8_t>(rng());
    if (!text.empty() && round % 2 == 0) text[0] = static_cast<std::uint8_t>(rng() % 0x20);
    std::string utf8;
    ASSERT_NO_THROW(utf8 = decode_dvb_text(text));
    // The output must itself be clean: re-encoding it as UTF-8 succeeds.
    ASSERT_TRUE(encode_dvb_text(utf8, TextEncoding::utf8).ok()) << round;
  }
}

TEST(DvbText, FromUtf8KeepsBytesAndDecodes) {
  auto text = DvbText::from_utf8("中国教育电视台", TextEncoding::gb2312);
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_EQ(text->bytes.front(), 0x13);
  EXPECT_EQ(text->utf8(), "中国教育电视台");
  EXPECT_FALSE(DvbText::from_utf8("課", TextEncoding::gb2312).ok());
}

}  // namespace
}  // namespace skyclass::mux
