#include "mappings/json_source.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <vector>

#include "hl7v2/base/utf8.h"

namespace fcpgw::mappings {

TextPosition text_position(std::string_view text, std::size_t offset) noexcept {
  TextPosition p;
  if (offset > text.size()) offset = text.size();
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else if (!base::utf8_continuation(text[i])) {
      ++p.column;
    }
  }
  return p;
}

std::string to_string(const TextPosition& p) {
  return "line " + std::to_string(p.line) + ", column " + std::to_string(p.column);
}

namespace {

// The text as a RapidJSON input stream that the reader does not copy while it reads a string
// (StringStream is: its position is then stale in the handler's Key()).
struct TextStream {
  using Ch = char;
  explicit TextStream(const char* text) : head_(text), at_(text) {}
  Ch Peek() const { return *at_; }
  Ch Take() { return *at_++; }
  std::size_t Tell() const { return static_cast<std::size_t>(at_ - head_); }
  // Never written to (the reader parses in place only with kParseInsituFlag).
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }

 private:
  const char* head_;
  const char* at_;
};

// Finds the first key repeated in an object, with where both occurrences start.
class DuplicateKeys : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DuplicateKeys> {
 public:
  DuplicateKeys(std::string_view text, const TextStream& in) : text_(text), in_(in) {}

  bool StartObject() {
    objects_.emplace_back();
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    objects_.pop_back();
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    const std::string_view key(s, n);
    const std::size_t at = key_start();
    for (const auto& [k, first] : objects_.back())
      if (k == key) {
        found = "duplicate key '" + std::string(key) + "' at " +
                to_string(text_position(text_, at)) + " (first at " +
                to_string(text_position(text_, first)) + ")";
        return false;  // stop: one is enough to refuse the file
      }
    objects_.back().emplace_back(std::string(key), at);
    return true;
  }

  std::string found;

 private:
  // The offset of the opening quote of the key just read: the reader stands after its closing
  // quote; a quote preceded by an odd number of backslashes is part of the key.
  std::size_t key_start() const {
    std::size_t i = in_.Tell();
    if (i >= 1) --i;  // the closing quote
    while (i > 0) {
      --i;
      if (text_[i] != '"') continue;
      std::size_t slashes = 0;
      while (slashes < i && text_[i - 1 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 0) return i;
    }
    return 0;
  }

  std::string_view text_;
  const TextStream& in_;
  std::vector<std::vector<std::pair<std::string, std::size_t>>> objects_;
};

}  // namespace

std::optional<std::string> parse_source(std::string_view text, rapidjson::Document& doc) {
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError())
    return "not valid JSON at " + to_string(text_position(text, doc.GetErrorOffset())) + ": " +
           rapidjson::GetParseError_En(doc.GetParseError());
  // The text is valid JSON, so a second, SAX, reading only looks for repeated keys. It reads
  // up to a NUL, which JSON text cannot hold outside strings, where it is escaped.
  const std::string copy(text);
  TextStream in(copy.c_str());
  DuplicateKeys keys(copy, in);
  rapidjson::Reader reader;
  reader.Parse(in, keys);
  if (!keys.found.empty()) return keys.found;
  return std::nullopt;
}

}  // namespace fcpgw::mappings
