#include "gateway/http/outcome.h"

#include <gtest/gtest.h>

namespace fcpgw::gateway::http {
namespace {

std::string json_quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(Outcome, OneIssue) {
  EXPECT_EQ(operation_outcome("error", "not-found", "no such path"),
            R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",)"
            R"("code":"not-found","diagnostics":"no such path"}]})");
}

TEST(Outcome, Escapes) {
  EXPECT_EQ(json_quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quoted("\n\r\t"), R"("\n\r\t")");
  EXPECT_EQ(json_quoted(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(json_quoted(std::string("a\0b", 3)), R"("a\u0000b")");
}

TEST(Outcome, Utf8KeptAndInvalidBytesReplaced) {
  EXPECT_EQ(json_quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(json_quoted("\xff"), R"("\ufffd")");
  EXPECT_EQ(json_quoted("\xc3"), R"("\ufffd")");                                // truncated
  EXPECT_EQ(json_quoted("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong
  EXPECT_EQ(json_quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate
  EXPECT_EQ(json_quoted("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
}

}  // namespace
}  // namespace fcpgw::gateway::http
