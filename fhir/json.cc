#include "fhir/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/internal/dtoa.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <boost/throw_exception.hpp>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "hl7v2/base/utf8.h"

namespace fcpgw::fhir {
namespace {

// Input that is valid UTF-8 throughout (checked up front, fast) is parsed without RapidJSON's
// per-character validation; anything else goes through the validating parser so that the
// error (kind, offset) is RapidJSON's.
constexpr unsigned kFastParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
constexpr unsigned kParseFlags = kFastParseFlags | rapidjson::kParseValidateEncodingFlag;

// Whether the text has a \u escape that may encode a surrogate (\uD800-\uDFFF).
bool may_escape_surrogate(std::string_view s) noexcept {
  for (std::size_t i = s.find('\\'); i != std::string_view::npos; i = s.find('\\', i + 2)) {
    if (i + 2 < s.size() && s[i + 1] == 'u' && (s[i + 2] == 'd' || s[i + 2] == 'D')) return true;
  }
  return false;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool number_grammar(std::string_view s) noexcept {
  std::size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n || !is_digit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && is_digit(s[i])) ++i;
  }
  if (i < n && s[i] == '.') {
    if (++i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) ++i;
  }
  return i == n;
}

// Exact decimal value of a JSON number text: value = 0.digits x 10^exp, digits without
// leading or trailing zeros; zero has no digits (and no sign).
struct Decimal {
  bool neg = false;
  std::string digits;
  long long exp = 0;
  bool operator==(const Decimal&) const = default;
};

Decimal decimal_of(std::string_view s) {
  Decimal d;
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') d.neg = true, ++i;
  long long int_digits = 0, frac_zeros = 0;
  bool seen = false;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (!seen && s[i] == '0') continue;
    seen = true;
    d.digits += s[i];
    ++int_digits;
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && is_digit(s[i]); ++i) {
      if (!seen && s[i] == '0') {
        ++frac_zeros;
        continue;
      }
      seen = true;
      d.digits += s[i];
    }
  }
  long long e = 0;
  bool eneg = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    for (; i < s.size() && is_digit(s[i]); ++i) e = std::min(e * 10 + (s[i] - '0'), 1LL << 50);
  }
  while (!d.digits.empty() && d.digits.back() == '0') d.digits.pop_back();
  if (d.digits.empty()) return Decimal{};
  d.exp = int_digits - frac_zeros + (eneg ? -e : e);
  return d;
}

// How a JSON number text (grammar already checked) is stored.
struct Number {
  enum Kind { uint64, int64, real, raw, overflow } kind = raw;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  double d = 0;
};

// Parses `s` into the double nearest to it; underflow gives a signed zero, overflow false.
bool to_double(std::string_view s, double& out) noexcept {
  double d = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec == std::errc::result_out_of_range) {
    if (decimal_of(s).exp > 0) return false;
    out = s[0] == '-' ? -0.0 : 0.0;
    return true;
  }
  if (r.ec != std::errc() || !std::isfinite(d)) return false;
  out = d;
  return true;
}

Number classify(std::string_view s) noexcept {
  Number n;
  const bool neg = s[0] == '-';
  if (s.find_first_of(".eE") == std::string_view::npos) {
    // Integer: exact when it fits 64 bits; "-0" is kept raw (the writer would print 0).
    const std::size_t first = neg ? 1 : 0;
    std::uint64_t u = 0;
    bool fits = s.size() - first <= 20 && !(neg && s.size() == 2 && s[1] == '0');
    for (std::size_t k = first; fits && k < s.size(); ++k)
      fits = !__builtin_mul_overflow(u, 10u, &u) &&
             !__builtin_add_overflow(u, static_cast<unsigned>(s[k] - '0'), &u);
    if (fits && !neg) {
      n.kind = Number::uint64;
      n.u = u;
      return n;
    }
    if (fits && u <= (1ULL << 63)) {
      n.kind = Number::int64;
      n.i = u == (1ULL << 63) ? INT64_MIN : -static_cast<std::int64_t>(u);
      return n;
    }
    n.kind = to_double(s, n.d) ? Number::raw : Number::overflow;
    return n;
  }
  if (!to_double(s, n.d)) {
    n.kind = Number::overflow;
    return n;
  }
  // Ordinary when the writer (RapidJSON's shortest round-trip dtoa) reproduces the text.
  char buf[40];
  const char* end = rapidjson::internal::dtoa(n.d, buf);
  n.kind =
      std::string_view(buf, static_cast<std::size_t>(end - buf)) == s ? Number::real : Number::raw;
  return n;
}

// Forwards SAX events to the Document while counting nesting depth.
struct DepthLimitedHandler {
  rapidjson::Document& doc;
  std::size_t max_depth;
  std::size_t depth = 0;
  bool too_deep = false;
  bool out_of_range = false;
  bool bad_surrogate = false;

  bool check_surrogates = true;
  std::string scratch{};

  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  // kParseNumbersAsStringsFlag: every number arrives here as its text.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    const Number num = classify({s, n});
    switch (num.kind) {
      case Number::uint64:
        return doc.Uint64(num.u);
      case Number::int64:
        return doc.Int64(num.i);
      case Number::real:
        return doc.Double(num.d);
      case Number::raw: {
        char buf[64];
        char* p = buf;
        if (n + 1 > sizeof buf) {
          scratch.resize(n + 1);
          p = scratch.data();
        }
        p[0] = kRawNumberMark;
        std::memcpy(p + 1, s, n);
        return doc.String(p, n + 1, true);
      }
      case Number::overflow:
        break;
    }
    out_of_range = true;
    return false;
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
    if (!check_surrogates) return true;
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
    thread_local rapidjson::Reader reader;  // keeps its scratch stack between parses
    DepthLimitedHandler handler{doc, max_depth};
    handler.check_surrogates = may_escape_surrogate(input);
    if (base::valid_utf8(input))
      result = reader.Parse<kFastParseFlags>(stream, handler);
    else
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

// SAX pass that finds the first repeated member name in document order: its element path and
// the offset of its opening quote. Run only after the DOM walk has found a duplicate (the
// DOM no longer knows where its names were), so it costs nothing on good input.
struct DuplicateFinder {
  struct Level {
    bool object;
    std::size_t path_end;                        // length of `path` up to this container
    int next_index = 0;                          // arrays: index of the next item
    std::set<std::string, std::less<>> names{};  // objects: names seen so far
    std::string name{};                          // objects: name of the current member
  };
  std::string_view input;
  const rapidjson::MemoryStream* stream;
  std::string path;
  std::vector<Level> stack{};
  bool found = false;
  std::size_t offset = 0;

  // Extends `path` to the value about to start in the current container.
  void value() {
    if (stack.empty()) return;
    Level& l = stack.back();
    path.resize(l.path_end);
    if (l.object) {
      path += '.';
      path += l.name;
    } else {
      path += '[';
      path += std::to_string(l.next_index++);
      path += ']';
    }
  }
  bool Null() { return value(), true; }
  bool Bool(bool) { return value(), true; }
  bool Int(int) { return value(), true; }
  bool Uint(unsigned) { return value(), true; }
  bool Int64(int64_t) { return value(), true; }
  bool Uint64(uint64_t) { return value(), true; }
  bool Double(double) { return value(), true; }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return value(), true; }
  bool String(const char*, rapidjson::SizeType, bool) { return value(), true; }
  bool StartObject() { return enter(true); }
  bool StartArray() { return enter(false); }
  bool EndObject(rapidjson::SizeType) { return leave(); }
  bool EndArray(rapidjson::SizeType) { return leave(); }
  bool enter(bool object) {
    value();
    stack.push_back(Level{object, path.size()});
    return true;
  }
  bool leave() {
    stack.pop_back();
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    Level& l = stack.back();
    const std::string_view name(s, n);
    if (!l.names.insert(std::string(name)).second) {
      found = true;
      path.resize(l.path_end);
      path += '.';
      path += name;
      // The reader has just consumed the closing quote; the opening one is the nearest quote
      // before it that is not escaped (preceded by an even number of backslashes).
      std::size_t q = stream->Tell() - 1;
      while (q > 0) {
        --q;
        if (input[q] != '"') continue;
        std::size_t k = q;
        while (k > 0 && input[k - 1] == '\\') --k;
        if ((q - k) % 2 == 0) break;
      }
      offset = q;
      return false;  // stop here
    }
    l.name.assign(name);
    return true;
  }
};

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
  if (it == doc_.MemberEnd() || !is_string(it->value)) return {};
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
        const std::string root_name = rt.empty() ? "$" : rt;
        // Where the repeated name is: a second pass over the text, in document order.
        rapidjson::MemoryStream stream(json.data(), json.size());
        DuplicateFinder finder{json, &stream, root_name};
        rapidjson::Reader reader;
        reader.Parse<kFastParseFlags>(stream, finder);
        if (finder.found)
          return make_error(json, ParseError::Kind::duplicate_key, finder.offset,
                            "member name repeated in one object", std::move(finder.path));
        std::string path = frame_path(frames, static_cast<int>(i), root_name);
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

namespace {

// Value::Accept, except that raw numbers are emitted verbatim as JSON numbers.
template <typename Handler>
bool emit(const rapidjson::Value& v, Handler& h) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return h.Null();
    case rapidjson::kFalseType:
      return h.Bool(false);
    case rapidjson::kTrueType:
      return h.Bool(true);
    case rapidjson::kObjectType:
      if (!h.StartObject()) return false;
      for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
        if (!h.Key(m->name.GetString(), m->name.GetStringLength(), false)) return false;
        if (!emit(m->value, h)) return false;
      }
      return h.EndObject(v.MemberCount());
    case rapidjson::kArrayType:
      if (!h.StartArray()) return false;
      for (auto e = v.Begin(); e != v.End(); ++e)
        if (!emit(*e, h)) return false;
      return h.EndArray(v.Size());
    case rapidjson::kStringType:
      if (is_raw_number(v)) {
        const auto t = raw_number_text(v);
        return h.RawValue(t.data(), t.size(), rapidjson::kNumberType);
      }
      return h.String(v.GetString(), v.GetStringLength(), false);
    case rapidjson::kNumberType:
      if (v.IsDouble()) return h.Double(v.GetDouble());
      if (v.IsInt()) return h.Int(v.GetInt());
      if (v.IsUint()) return h.Uint(v.GetUint());
      if (v.IsInt64()) return h.Int64(v.GetInt64());
      return h.Uint64(v.GetUint64());
  }
  return false;
}

bool number_equal(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsDouble() && b.IsDouble()) return a.GetDouble() == b.GetDouble();
    if (!a.IsDouble() && !b.IsDouble()) {
      if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
      if (a.IsUint64() && b.IsUint64()) return a.GetUint64() == b.GetUint64();
      return false;
    }
  }
  const std::string ta = number_text(a), tb = number_text(b);
  return !ta.empty() && !tb.empty() && decimal_of(ta) == decimal_of(tb);
}

bool equal(const rapidjson::Value& a, const rapidjson::Value& b) {
  const bool an = is_number(a), bn = is_number(b);
  if (an || bn) return an && bn && number_equal(a, b);
  if (a.GetType() != b.GetType()) return false;
  switch (a.GetType()) {
    case rapidjson::kObjectType: {
      if (a.MemberCount() != b.MemberCount()) return false;
      for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
        auto o = b.FindMember(m->name);
        if (o == b.MemberEnd() || !equal(m->value, o->value)) return false;
      }
      return true;
    }
    case rapidjson::kArrayType: {
      if (a.Size() != b.Size()) return false;
      for (rapidjson::SizeType i = 0; i < a.Size(); ++i)
        if (!equal(a[i], b[i])) return false;
      return true;
    }
    case rapidjson::kStringType:
      return a.GetStringLength() == b.GetStringLength() &&
             std::memcmp(a.GetString(), b.GetString(), a.GetStringLength()) == 0;
    default:  // null, true, false
      return true;
  }
}

}  // namespace

bool is_raw_number(const rapidjson::Value& v) noexcept {
  return v.IsString() && v.GetStringLength() >= 2 && v.GetString()[0] == kRawNumberMark &&
         number_grammar({v.GetString() + 1, v.GetStringLength() - 1});
}

bool is_string(const rapidjson::Value& v) noexcept { return v.IsString() && !is_raw_number(v); }

bool is_number(const rapidjson::Value& v) noexcept { return v.IsNumber() || is_raw_number(v); }

std::string_view raw_number_text(const rapidjson::Value& v) noexcept {
  if (!is_raw_number(v)) return {};
  return {v.GetString() + 1, v.GetStringLength() - 1};
}

std::string number_text(const rapidjson::Value& v) {
  if (!v.IsNumber()) return std::string(raw_number_text(v));
  char buf[40];
  char* end = buf;
  if (v.IsDouble()) {
    if (!std::isfinite(v.GetDouble())) return {};
    end = rapidjson::internal::dtoa(v.GetDouble(), buf);
  } else if (v.IsInt64()) {
    end = std::to_chars(buf, buf + sizeof buf, v.GetInt64()).ptr;
  } else {
    end = std::to_chars(buf, buf + sizeof buf, v.GetUint64()).ptr;
  }
  return std::string(buf, end);
}

std::optional<double> number_value(const rapidjson::Value& v) noexcept {
  if (v.IsNumber()) return v.GetDouble();
  const auto t = raw_number_text(v);
  double d = 0;
  if (t.empty() || !to_double(t, d)) return std::nullopt;
  return d;
}

bool set_number(rapidjson::Value& v, std::string_view text,
                rapidjson::Document::AllocatorType& allocator) {
  if (!number_grammar(text)) return false;
  const Number num = classify(text);
  switch (num.kind) {
    case Number::uint64:
      v.SetUint64(num.u);
      return true;
    case Number::int64:
      v.SetInt64(num.i);
      return true;
    case Number::real:
      v.SetDouble(num.d);
      return true;
    case Number::raw: {
      std::string marked(1, kRawNumberMark);
      marked += text;
      v.SetString(marked.data(), static_cast<rapidjson::SizeType>(marked.size()), allocator);
      return true;
    }
    case Number::overflow:
      break;
  }
  return false;
}

bool Writer::write_into_buffer(const rapidjson::Value& value, Format format) {
  buffer_.Clear();
  if (format == Format::pretty) {
    pretty_.Reset(buffer_);
    return emit(value, pretty_);
  }
  compact_.Reset(buffer_);
  return emit(value, compact_);
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

bool json_equal(const rapidjson::Value& a, const rapidjson::Value& b) noexcept {
  try {
    return equal(a, b);
  } catch (...) {  // std::bad_alloc while comparing mixed numbers
    return false;
  }
}

}  // namespace fcpgw::fhir
