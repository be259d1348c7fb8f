#include "fhir/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <boost/throw_exception.hpp>
#include <cmath>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

namespace fcpgw::fhir {
namespace {

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseFullPrecisionFlag;

// Forwards SAX events to the Document while counting nesting depth.
struct DepthLimitedHandler {
  rapidjson::Document& doc;
  std::size_t max_depth;
  std::size_t depth = 0;
  bool too_deep = false;
  bool out_of_range = false;
  bool bad_surrogate = false;

  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned u) { return doc.Uint(u); }
  bool Int64(int64_t i) { return doc.Int64(i); }
  bool Uint64(uint64_t u) { return doc.Uint64(u); }
  bool Double(double d) {
    if (!std::isfinite(d)) {  // RapidJSON's full-precision path can yield inf for 2e308
      out_of_range = true;
      return false;
    }
    return doc.Double(d);
  }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return doc.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return no_surrogate(s, n) && doc.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    return no_surrogate(s, n) && doc.Key(s, n, copy);
  }
  // The input bytes are validated as UTF-8, but RapidJSON 1.1.0 decodes a lone low surrogate
  // escape (\udc00-\udfff) into an encoded surrogate (ED B0..BF xx), which is not UTF-8.
  bool no_surrogate(const char* s, rapidjson::SizeType n) {
    const char* end = s + n;
    for (const char* p = s;
         (p = static_cast<const char*>(std::memchr(p, 0xED, static_cast<std::size_t>(end - p)))) !=
         nullptr;
         ++p) {
      if (p + 1 < end && static_cast<unsigned char>(p[1]) >= 0xA0) {
        bad_surrogate = true;
        return false;
      }
    }
    return true;
  }
  bool StartObject() { return enter() && doc.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return doc.EndObject(n);
  }
  bool StartArray() { return enter() && doc.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    return doc.EndArray(n);
  }
  bool enter() {
    if (++depth > max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  }
};

struct ParseGenerator {
  std::string_view input;
  std::size_t max_depth;
  rapidjson::ParseResult result;
  bool too_deep = false;
  bool out_of_range = false;
  bool bad_surrogate = false;
  std::size_t end_offset = 0;

  bool operator()(rapidjson::Document& doc) {
    rapidjson::MemoryStream stream(input.data(), input.size());
    rapidjson::Reader reader;
    DepthLimitedHandler handler{doc, max_depth};
    result = reader.Parse<kParseFlags>(stream, handler);
    too_deep = handler.too_deep;
    out_of_range = handler.out_of_range;
    bad_surrogate = handler.bad_surrogate;
    end_offset = stream.Tell();
    return !result.IsError();
  }
};

void locate(std::string_view input, ParseError& e) {
  std::size_t line = 1, col = 1;
  const std::size_t end = std::min(e.offset, input.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (input[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  e.line = line;
  e.column = col;
}

ParseError make_error(std::string_view input, ParseError::Kind kind, std::size_t offset,
                      std::string_view what, std::string path = {}) {
  ParseError e;
  e.kind = kind;
  e.offset = offset;
  e.path = std::move(path);
  locate(input, e);
  e.message = std::string(to_string(kind)) + " at offset " + std::to_string(e.offset) + " (line " +
              std::to_string(e.line) + ", column " + std::to_string(e.column) +
              "): " + std::string(what);
  if (!e.path.empty()) e.message += " [" + e.path + "]";
  return e;
}

// Iterative walk looking for objects that repeat a member name.
struct Frame {
  const rapidjson::Value* value;
  int parent;
  const rapidjson::Value* key;  // member name in parent object, or null
  int index;                    // index in parent array, or -1
};

std::string frame_path(const std::vector<Frame>& frames, int at, std::string_view root_name) {
  std::vector<int> chain;
  for (int i = at; i > 0; i = frames[static_cast<std::size_t>(i)].parent) chain.push_back(i);
  std::string path(root_name);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Frame& f = frames[static_cast<std::size_t>(*it)];
    if (f.key) {
      path += '.';
      path.append(f.key->GetString(), f.key->GetStringLength());
    } else {
      path += '[' + std::to_string(f.index) + ']';
    }
  }
  return path;
}

const rapidjson::Value* find_duplicate(const rapidjson::Value& obj,
                                       std::vector<std::string_view>& scratch) {
  const auto n = obj.MemberCount();
  auto name = [](const rapidjson::Value& k) {
    return std::string_view(k.GetString(), k.GetStringLength());
  };
  if (n <= 12) {
    for (auto a = obj.MemberBegin(); a != obj.MemberEnd(); ++a)
      for (auto b = a + 1; b != obj.MemberEnd(); ++b)
        if (name(a->name) == name(b->name)) return &b->name;
    return nullptr;
  }
  scratch.clear();
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) scratch.push_back(name(m->name));
  std::sort(scratch.begin(), scratch.end());
  auto dup = std::adjacent_find(scratch.begin(), scratch.end());
  if (dup == scratch.end()) return nullptr;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m)
    if (name(m->name) == *dup) return &m->name;
  return nullptr;
}

}  // namespace

std::string_view to_string(ParseError::Kind kind) noexcept {
  switch (kind) {
    case ParseError::Kind::too_large:
      return "input too large";
    case ParseError::Kind::too_deep:
      return "nesting too deep";
    case ParseError::Kind::malformed:
      return "malformed JSON";
    case ParseError::Kind::invalid_utf8:
      return "invalid UTF-8";
    case ParseError::Kind::duplicate_key:
      return "duplicate key";
    case ParseError::Kind::not_an_object:
      return "not a JSON object";
  }
  return "parse error";
}

void throw_exception_from_error(const ParseError& e, const boost::source_location& loc) {
  boost::throw_exception(std::runtime_error(e.message), loc);
}

Document::Document() { doc_.SetObject(); }

std::string_view Document::resource_type() const noexcept {
  auto it = doc_.FindMember("resourceType");
  if (it == doc_.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

Document Document::clone() const {
  Document copy;
  copy.doc_.CopyFrom(doc_, copy.doc_.GetAllocator());
  return copy;
}

boost::system::result<Document, ParseError> parse(std::string_view json, const Limits& limits) {
  if (json.size() > limits.max_bytes) {
    return make_error(json, ParseError::Kind::too_large, limits.max_bytes,
                      "input is " + std::to_string(json.size()) + " bytes, limit is " +
                          std::to_string(limits.max_bytes));
  }
  Document out;
  ParseGenerator gen{json, limits.max_depth, {}};
  out.json().Populate(gen);
  if (gen.result.IsError()) {
    const std::size_t off = gen.result.Offset();
    if (gen.too_deep) {
      return make_error(json, ParseError::Kind::too_deep, off,
                        "nesting exceeds the limit of " + std::to_string(limits.max_depth));
    }
    if (gen.bad_surrogate)
      return make_error(json, ParseError::Kind::invalid_utf8, off,
                        "Unpaired low surrogate in \\u escape.");
    if (gen.out_of_range)
      return make_error(json, ParseError::Kind::malformed, off,
                        "Number too big to be stored in double.");
    const auto code = gen.result.Code();
    const auto kind = code == rapidjson::kParseErrorStringInvalidEncoding
                          ? ParseError::Kind::invalid_utf8
                          : ParseError::Kind::malformed;
    return make_error(json, kind, off, rapidjson::GetParseError_En(code));
  }
  if (gen.end_offset != json.size()) {
    return make_error(json, ParseError::Kind::malformed, gen.end_offset,
                      "unexpected NUL byte after the root value");
  }
  const rapidjson::Value& root = out.root();
  if (!root.IsObject()) {
    return make_error(json, ParseError::Kind::not_an_object, 0,
                      "the root value must be a JSON object");
  }
  // Duplicate member names: FHIR JSON forbids them.
  std::vector<Frame> frames;
  std::vector<std::string_view> scratch;
  frames.push_back({&root, -1, nullptr, -1});
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const rapidjson::Value& v = *frames[i].value;
    if (v.IsObject()) {
      if (const rapidjson::Value* dup = find_duplicate(v, scratch)) {
        std::string rt(out.resource_type());
        std::string path = frame_path(frames, static_cast<int>(i), rt.empty() ? "$" : rt);
        path += '.';
        path.append(dup->GetString(), dup->GetStringLength());
        return make_error(json, ParseError::Kind::duplicate_key, 0,
                          "member name repeated in one object", std::move(path));
      }
      for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m)
        if (m->value.IsObject() || m->value.IsArray())
          frames.push_back({&m->value, static_cast<int>(i), &m->name, -1});
    } else if (v.IsArray()) {
      int idx = 0;
      for (auto e = v.Begin(); e != v.End(); ++e, ++idx)
        if (e->IsObject() || e->IsArray()) frames.push_back({e, static_cast<int>(i), nullptr, idx});
    }
  }
  return out;
}

bool Writer::write_into_buffer(const rapidjson::Value& value, Format format) {
  buffer_.Clear();
  if (format == Format::pretty) {
    pretty_.Reset(buffer_);
    return value.Accept(pretty_);
  }
  compact_.Reset(buffer_);
  return value.Accept(compact_);
}

boost::system::result<std::string_view> Writer::write(const rapidjson::Value& value,
                                                      Format format) {
  if (!write_into_buffer(value, format)) return std::make_error_code(std::errc::invalid_argument);
  return std::string_view(buffer_.GetString(), buffer_.GetSize());
}

boost::system::result<void> Writer::append(const rapidjson::Value& value, std::string& out,
                                           Format format) {
  if (!write_into_buffer(value, format)) return std::make_error_code(std::errc::invalid_argument);
  out.append(buffer_.GetString(), buffer_.GetSize());
  return {};
}

boost::system::result<std::string> to_json(const rapidjson::Value& value, Format format) {
  thread_local Writer writer;
  auto r = writer.write(value, format);
  if (!r) return r.error();
  return std::string(*r);
}

bool json_equal(const rapidjson::Value& a, const rapidjson::Value& b) noexcept { return a == b; }

}  // namespace fcpgw::fhir
