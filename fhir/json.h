#pragma once
// FHIR R4 JSON reading and writing on top of RapidJSON.
//
// A resource is kept as JSON: fhir::Document owns a rapidjson::Document whose root is the
// resource object. Parsing is iterative (no recursion on input nesting), bounded by Limits,
// rejects duplicate keys (FHIR JSON forbids them) and invalid UTF-8, and reports every
// problem with the byte offset, line:column and, where it applies, the element path.
//
// Numbers keep their exact text (FHIR R4 JSON: a decimal's precision is significant, so 1.50
// must stay 1.50, and integers may exceed 2^53). Representation:
//  - a number whose text is exactly what the writer produces for its value (5, -3, 1.5,
//    37.0, 0.001, 9007199254740993) is an ordinary RapidJSON number: IsNumber() is true;
//  - any other number (1.50, 80.00, 0.00012000, 1e3, -0, 123456789012345678901234) is a
//    "raw number": a string Value holding kRawNumberMark followed by the exact JSON text.
//    The mark (byte 0xFF) never occurs in parsed text (strings are validated UTF-8), so a raw
//    number is never confused with a JSON string.
// Use is_number()/number_text()/number_value() to read numbers of either kind, and
// set_number() to build one from text. Writer emits a raw number as a JSON number with its
// text verbatim; json_equal() compares numbers by exact decimal value (1.50 == 1.5, 1 == 1.0,
// 0.1 != 0.10000000000000001), so a round trip is equal in value AND identical in text.

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <boost/system/result.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fcpgw::fhir {

/// Bounds applied while parsing untrusted JSON.
struct Limits {
  std::size_t max_bytes = 16u * 1024u * 1024u;  ///< input larger than this is refused unread
  std::size_t max_depth = 64;  ///< nesting of objects+arrays; the root object is depth 1
};

/// Why a JSON text could not be turned into a Document.
struct ParseError {
  enum class Kind {
    too_large,      ///< input longer than Limits::max_bytes
    too_deep,       ///< nesting deeper than Limits::max_depth
    malformed,      ///< not well-formed JSON (RapidJSON's reason in `message`)
    invalid_utf8,   ///< a string is not valid UTF-8
    duplicate_key,  ///< an object repeats a member name (`path` names it)
    not_an_object,  ///< the root value is not a JSON object
  };
  Kind kind = Kind::malformed;
  /// Byte offset in the input where the problem was detected; for a duplicate key, the opening
  /// quote of the repeated name (the first repetition in document order).
  std::size_t offset = 0;
  std::size_t line = 1;    ///< 1-based line of `offset`
  std::size_t column = 1;  ///< 1-based column (in bytes) of `offset`
  std::string path;        ///< FHIRPath-style element path when known (e.g. duplicate keys)
  /// Readable one-line description, e.g.
  /// "malformed JSON at offset 17 (line 2, column 5): Missing a colon after a name of object
  /// member."
  std::string message;
};

/// Short stable name of a ParseError::Kind ("too-large", "malformed", ...).
std::string_view to_string(ParseError::Kind kind) noexcept;

/// Lets boost::system::result<T, ParseError>::value() throw (only for callers that want it).
[[noreturn]] void throw_exception_from_error(const ParseError& e,
                                             const boost::source_location& loc);

/// A FHIR resource (or any JSON object) held as a RapidJSON DOM. Movable, not copyable
/// (use clone() for a deep copy). The root is always a JSON object.
class Document {
 public:
  /// An empty JSON object `{}`.
  Document();
  Document(Document&&) noexcept = default;
  Document& operator=(Document&&) noexcept = default;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  /// The root object (mutable: build or edit resources in place with allocator()).
  rapidjson::Value& root() noexcept { return doc_; }
  const rapidjson::Value& root() const noexcept { return doc_; }
  /// The owning rapidjson::Document (its allocator owns every string and node).
  rapidjson::Document& json() noexcept { return doc_; }
  const rapidjson::Document& json() const noexcept { return doc_; }
  rapidjson::Document::AllocatorType& allocator() noexcept { return doc_.GetAllocator(); }

  /// Value of root "resourceType" when it is a string, else empty.
  std::string_view resource_type() const noexcept;

  /// Deep copy into a new Document.
  Document clone() const;

 private:
  rapidjson::Document doc_;
};

/// Parses FHIR JSON (UTF-8) into a Document. Iterative, bounded by `limits`; fails on
/// malformed JSON, invalid UTF-8, duplicate keys, a non-object root, or a limit overrun.
/// Does not validate against FHIR definitions: see validation.h.
boost::system::result<Document, ParseError> parse(std::string_view json, const Limits& limits = {});

/// Output layout of the writer.
enum class Format { compact, pretty };

/// Reusable JSON writer: keeps one buffer across calls so that serialising on the hot path
/// does not allocate once the buffer has grown. Not thread-safe; use one per thread.
class Writer {
 public:
  Writer() = default;
  /// Serialises `value` (usually Document::root()). The returned view points into the
  /// writer's buffer and is valid until the next call. Fails (errc::invalid_argument) only
  /// for values JSON cannot express: NaN/Infinity numbers, and (compact format) strings that
  /// are not valid UTF-8.
  boost::system::result<std::string_view> write(const rapidjson::Value& value,
                                                Format format = Format::compact);
  /// Same as write() but appends to `out`.
  boost::system::result<void> append(const rapidjson::Value& value, std::string& out,
                                     Format format = Format::compact);

 private:
  using Compact = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                    rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;
  // RapidJSON 1.1.0's PrettyWriter only compiles with the default write flags.
  using Pretty = rapidjson::PrettyWriter<rapidjson::StringBuffer>;
  bool write_into_buffer(const rapidjson::Value& value, Format format);
  rapidjson::StringBuffer buffer_;
  Compact compact_{buffer_};
  Pretty pretty_{buffer_};
};

/// Convenience: serialise into a new string (uses a thread-local Writer).
boost::system::result<std::string> to_json(const rapidjson::Value& value,
                                           Format format = Format::compact);

/// Deep JSON equality: objects compare as unordered member sets, arrays in order, numbers
/// (ordinary or raw) by exact decimal value (1 == 1.0 == 1.00, -0 == 0), strings byte-wise; a
/// number never equals a string. Used by round-trip and golden tests.
bool json_equal(const rapidjson::Value& a, const rapidjson::Value& b) noexcept;

/// First byte of a raw number's string storage (see the comment at the top of this file).
inline constexpr char kRawNumberMark = '\xFF';

/// True when `v` is a raw number (a number kept as its exact text).
bool is_raw_number(const rapidjson::Value& v) noexcept;

/// True when `v` is a JSON string. Use this, not IsString(), wherever a value comes from parsed
/// input: a raw number is stored as a string too.
bool is_string(const rapidjson::Value& v) noexcept;

/// True when `v` is a JSON number of either kind (IsNumber() or is_raw_number()).
bool is_number(const rapidjson::Value& v) noexcept;

/// The exact JSON text of a raw number (without the mark); empty when `v` is not raw.
std::string_view raw_number_text(const rapidjson::Value& v) noexcept;

/// The JSON text the writer emits for a number of either kind ("1.50", "5", "37.0"); empty
/// when `v` is not a number (or is a non-finite double).
std::string number_text(const rapidjson::Value& v);

/// The value of a number of either kind as a double (nearest; raw numbers below the double
/// range give 0). nullopt when `v` is not a number.
std::optional<double> number_value(const rapidjson::Value& v) noexcept;

/// Makes `v` the JSON number written as `text` (RFC 8259 grammar, e.g. "1.50", "-3", "2e-3"),
/// keeping the text exactly: an ordinary number when the writer would reproduce the text, a
/// raw number otherwise. Returns false (and leaves `v` unchanged) when `text` is not a JSON
/// number or its magnitude exceeds the double range.
bool set_number(rapidjson::Value& v, std::string_view text,
                rapidjson::Document::AllocatorType& allocator);

}  // namespace fcpgw::fhir
