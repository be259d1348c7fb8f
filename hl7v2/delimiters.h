#pragma once
// ER7 delimiters (MSH-1 and MSH-2) and the escape sequences that protect them in text.

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

namespace fcpgw::hl7v2 {

/// The separators of one message. Defaults are the standard `|^~\&`.
struct Delimiters {
  char field = '|';         ///< MSH-1
  char component = '^';     ///< MSH-2 character 1
  char repetition = '~';    ///< MSH-2 character 2
  char escape = '\\';       ///< MSH-2 character 3
  char subcomponent = '&';  ///< MSH-2 character 4
  char truncation = '\0';   ///< MSH-2 character 5 (v2.7 `#`), or '\0' when MSH-2 has 4 characters

  /// True when `c` is one of the separators, the escape character or the truncation character.
  [[nodiscard]] constexpr bool is_special(char c) const noexcept {
    return c == field || c == component || c == repetition || c == escape || c == subcomponent ||
           (truncation != '\0' && c == truncation);
  }
  /// The MSH-2 value: 4 characters, or 5 when a truncation character is set.
  [[nodiscard]] std::string encoding_characters() const;
  friend constexpr bool operator==(const Delimiters&, const Delimiters&) = default;
};

/// Appends `raw` to `out` with escape sequences decoded: `\F\ \S\ \T\ \R\ \E\` give the
/// delimiter, `\P\` the truncation character (when set), `\Xhh..\` the bytes given in hex.
/// `\H\`, `\N\`, `\Z..\`, formatting escapes (`\.br\`), unknown, malformed (odd or non-hex
/// `\X`) and unterminated sequences are copied verbatim. Escapes never nest. Never fails.
void unescape_append(std::string& out, std::string_view raw, const Delimiters& d);

/// What unescape_append does with the escapes that format text rather than stand for
/// characters.
enum class FormattingEscapes : unsigned char {
  keep,  ///< copied verbatim, as the 3-argument unescape_append does
  /// rendered as plain text: `\.br\` becomes LF; `\H\`, `\N\` (highlighting), `\Z..\` (local)
  /// and the other formatting commands (`\.sp\`, `\.in+4\`, ...) are dropped
  plain_text,
};

/// unescape_append with a choice for the formatting escapes; the character escapes, `\Xhh..\`
/// and the malformed or unterminated sequences behave as in the 3-argument form.
void unescape_append(std::string& out, std::string_view raw, const Delimiters& d,
                     FormattingEscapes formatting);

/// Returns `raw` with escape sequences decoded (see unescape_append).
[[nodiscard]] std::string unescape(std::string_view raw, const Delimiters& d);

/// True when `raw` contains the escape character, i.e. unescape() could change it.
[[nodiscard]] inline bool has_escape(std::string_view raw, const Delimiters& d) noexcept {
  return raw.find(d.escape) != std::string_view::npos;
}

/// Appends `text` to `out` in ER7 form: every delimiter becomes its escape (`\F\`, `\S\`,
/// `\T\`, `\R\`, `\E\`, `\P\` for the truncation character when set), and CR / LF become
/// `\X0D\` / `\X0A\` so that the text can never end a segment.
void escape_append(std::string& out, std::string_view text, const Delimiters& d);

/// Returns `text` escaped for ER7 (see escape_append).
[[nodiscard]] std::string escape(std::string_view text, const Delimiters& d);

/// Returns part `n` (1-based) of `s` split at `sep`; empty when absent (n == 0 too).
[[nodiscard]] std::string_view nth_part(std::string_view s, char sep, std::size_t n) noexcept;

/// Number of parts of `s` split at `sep` (1 for an empty string).
[[nodiscard]] std::size_t count_parts(std::string_view s, char sep) noexcept;

/// A forward range over the parts of `s` split at `sep`, walked once (linear, no allocation):
/// `for (std::string_view rep : Split(seg.field(3), d.repetition))`. An empty string yields
/// one empty part, like count_parts().
class Split {
 public:
  class iterator {
   public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    std::string_view operator*() const noexcept { return part_; }
    iterator& operator++() noexcept {
      if (next_ > rest_.size()) {
        done_ = true;
      } else {
        advance();
      }
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.done_ == b.done_ && (a.done_ || a.part_.data() == b.part_.data());
    }

   private:
    friend class Split;
    iterator(std::string_view s, char sep) : rest_(s), sep_(sep), done_(false) { advance(); }
    void advance() noexcept {
      rest_ = rest_.substr(next_ > rest_.size() ? rest_.size() : next_);
      const std::size_t at = rest_.find(sep_);
      part_ = rest_.substr(0, at);
      next_ = at == std::string_view::npos ? rest_.size() + 1 : at + 1;
    }
    std::string_view rest_;
    std::string_view part_;
    std::size_t next_ = 0;
    char sep_ = 0;
    bool done_ = true;
  };
  /// Splits `s` at `sep`.
  Split(std::string_view s, char sep) noexcept : s_(s), sep_(sep) {}
  /// First part.
  [[nodiscard]] iterator begin() const noexcept { return iterator(s_, sep_); }
  /// Past the last part.
  [[nodiscard]] iterator end() const noexcept { return iterator(); }

 private:
  std::string_view s_;
  char sep_;
};

}  // namespace fcpgw::hl7v2
