#pragma once
// fcpgw::base: the edit distance behind every "did you mean" (mapping names, configuration
// keys). Standard library only.

#include <cstddef>
#include <string_view>

namespace fcpgw::base {

/// Levenshtein distance: insertions, deletions and substitutions of single bytes. With
/// `ignore_case`, ASCII letters that differ only in case are equal.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b,
                                        bool ignore_case = false);

}  // namespace fcpgw::base
