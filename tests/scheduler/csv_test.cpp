#include "scheduler/csv.hpp"

#include <gtest/gtest.h>

namespace skyclass::scheduler {
namespace {

std::vector<CsvRecord> parse(std::string_view text, Diagnostics& d) {
  return parse_csv(text, "t.csv", d);
}

TEST(Csv, StripsBomAndHandlesCrlf) {
  Diagnostics d;
  auto records = parse("\xEF\xBB\xBF" "a,b\r\n1,2\r\n", d);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(records[1].line, 2);
  EXPECT_FALSE(d.has_errors());
}

TEST(Csv, QuotedFieldsKeepCommasQuotesAndLineBreaks) {
  Diagnostics d;
  auto records = parse("x,y\n\"a, b\",\"say \"\"hi\"\"\"\n\"two\r\nlines\",z\nlast,row\n", d);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1].fields[0], "a, b");
  EXPECT_EQ(records[1].fields[1], "say \"hi\"");
  EXPECT_EQ(records[2].fields[0], "two\nlines");
  EXPECT_EQ(records[2].line, 3);
  EXPECT_EQ(records[3].line, 5) << "a record after a two-line field starts on line 5";
  EXPECT_FALSE(d.has_errors());
}

TEST(Csv, ChineseTextPassesThroughUnchanged) {
  Diagnostics d;
  auto records = parse("title\n《春夏秋冬》\n\"空中课堂，一年级\"\n", d);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].fields[0], "《春夏秋冬》");
  EXPECT_EQ(records[2].fields[0], "空中课堂，一年级");
}

TEST(Csv, BlankLinesAreSkippedButCounted) {
  Diagnostics d;
  auto records = parse("a\n\n\nb\n", d);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].line, 4);
}

TEST(Csv, ReportsUnterminatedQuoteAtItsStartLine) {
  Diagnostics d;
  parse("a,b\n1,\"open\n2,3\n", d);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.all()[0].line, 2);
  EXPECT_NE(d.all()[0].message.find("never closed"), std::string::npos);
}

TEST(Csv, ReportsQuoteInsideUnquotedField) {
  Diagnostics d;
  parse("a,b\n1,x\"y\n", d);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].to_string().substr(0, 18), "t.csv:2: field 2: ");
}

TEST(Csv, FindsInvalidUtf8) {
  EXPECT_EQ(find_invalid_utf8("空中课堂"), std::string::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xC4\xE3"), 2u);     // GB2312 bytes, not UTF-8
  EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);       // overlong '/'
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);   // a UTF-16 surrogate
  EXPECT_EQ(find_invalid_utf8("ok\xE4\xB8"), 2u);     // cut short
}

}  // namespace
}  // namespace skyclass::scheduler
