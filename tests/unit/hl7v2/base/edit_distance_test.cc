// The edit distance behind "did you mean".
#include "hl7v2/base/edit_distance.h"

#include <gtest/gtest.h>

namespace fcpgw::base {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("dtm-instant", "dtm-instnat"), 2u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("port", "prot"), 2u);
}

TEST(EditDistance, CaseCountsUnlessIgnored) {
  EXPECT_EQ(edit_distance("Port", "port"), 1u);
  EXPECT_EQ(edit_distance("Port", "port", true), 0u);
  EXPECT_EQ(edit_distance("READ_TIMEOUT", "read_timout", true), 1u);
}

}  // namespace
}  // namespace fcpgw::base
