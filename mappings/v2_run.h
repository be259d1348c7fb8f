#pragma once
// Internal: the per-message state of a v2 -> FHIR translation. One V2Run is kept per thread so
// that its buffers are reused from message to message. Its member functions are defined in
// v2_access.cc (value access, locations, text), v2_conditions.cc (conditions, templates),
// v2_transforms.cc (dates, scalar and structure transforms, identifiers), v2_to_fhir.cc
// (producers, nodes, resources, the run) and trace.cc (tracing); `for_each` is below.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/message.h"
#include "mappings/plan.h"

namespace fcpgw::mappings {

/// `""`: the v2 null, an explicit "no value".
inline bool is_null_value(std::string_view v) { return v == "\"\""; }

/// The text before the first component or subcomponent separator (v2_transforms.cc).
std::string_view first_component(std::string_view v, const hl7v2::Delimiters& d);

/// Whether `v` passes the named valid check (an identifier check, `dtm`, `full-date`,
/// `dtm-time`; v2_conditions.cc).
bool run_check(std::string_view check, std::string_view v);

/// A v2 value located in the message: segment position (1-based, 0 = absent) and where.
struct Resolved {
  std::uint32_t seg_pos = 0;
  std::uint16_t field = 0;
  std::uint32_t rep = 1;
  std::uint16_t comp = 0;
  std::uint16_t sub = 0;
  std::string_view raw;  ///< trimmed raw ER7 (escapes kept); empty when absent or `""`
};

/// A binding made by `each`: a segment occurrence, optionally one repetition of one field.
struct Frame {
  std::uint32_t seg_key;
  std::uint32_t seg_pos;
  std::uint16_t field;  ///< 0: the whole segment
  std::uint32_t rep;
};

/// The Bundle being written: a cursor into a buffer that only grows (lent per thread, see
/// engine.cc), so that a write is a bounds check and a copy, without the call, capacity check
/// and terminator of std::string::append. The caller copies the result out at the end.
class JsonOut {
 public:
  std::size_t size() const noexcept { return n_; }
  const char* data() const noexcept { return p_; }
  /// Back to an earlier size (a mark): never grows.
  void resize(std::size_t n) noexcept { n_ = n; }
  char back() const noexcept { return p_[n_ - 1]; }
  void clear() noexcept { n_ = 0; }
  void push_back(char c) {
    if (n_ == cap_) grow(1);
    p_[n_++] = c;
  }
  /// Room for `k` more bytes, written by the caller: returns where they go.
  char* extend(std::size_t k) {
    if (cap_ - n_ < k) grow(k);
    char* const d = p_ + n_;
    n_ += k;
    return d;
  }
  void append(const char* s, std::size_t k) {
    char* const d = extend(k);
    // Short pieces (member names, punctuation) with fixed-size moves, no call.
    if (k <= 16) {
      if (k >= 8) {
        std::uint64_t a, b;
        std::memcpy(&a, s, 8);
        std::memcpy(&b, s + k - 8, 8);
        std::memcpy(d, &a, 8);
        std::memcpy(d + k - 8, &b, 8);
      } else if (k >= 4) {
        std::uint32_t a, b;
        std::memcpy(&a, s, 4);
        std::memcpy(&b, s + k - 4, 4);
        std::memcpy(d, &a, 4);
        std::memcpy(d + k - 4, &b, 4);
      } else if (k != 0) {
        d[0] = s[0];
        d[k / 2] = s[k / 2];
        d[k - 1] = s[k - 1];
      }
      return;
    }
    std::memcpy(d, s, k);
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  /// Exchanges the storage with `buf` (the per-thread buffer); the size starts at 0.
  void swap_storage(std::string& buf) noexcept {
    buf_.swap(buf);
    p_ = buf_.data();
    cap_ = buf_.size();
    n_ = 0;
  }

 private:
  [[gnu::noinline]] void grow(std::size_t k) {
    buf_.resize(std::max<std::size_t>({buf_.size() * 2, n_ + k, 16384}));
    p_ = buf_.data();
    cap_ = buf_.size();
  }
  std::string buf_;
  char* p_ = buf_.data();
  std::size_t n_ = 0;
  std::size_t cap_ = 0;
};

struct V2Run {
  static constexpr int kMaxFrames = 16;

  V2Run(const Plan& p, const Mapping& m, const hl7v2::Message& message, std::string& o,
        std::vector<Issue>& is)
      : plan(p), mapping(m), msg(message), d(message.delimiters()), result(o), issues(is) {}

  const Plan& plan;
  const Mapping& mapping;
  const hl7v2::Message& msg;
  const hl7v2::Delimiters& d;
  std::string& result;  ///< Translation::output: `out` is copied there at the end
  JsonOut out;
  std::vector<Issue>& issues;

  std::vector<std::uint32_t> keys;   // segment ids by position - 1
  std::vector<std::uint32_t> first;  // by plan slot: first position, 0 when none
  std::vector<Uuid> seen;            // fullUrls already written
  struct CachedId {
    static constexpr std::size_t kRefPrefix = 23;  // `{"reference":"urn:uuid:`
    static constexpr std::size_t kRefSize = kRefPrefix + 36 + 2;
    const ResourcePlan* resource;
    std::uint32_t binding;  // segment position the resource's each is bound to (0: none)
    bool conditional;
    Uuid id;
    std::string url;  // conditional-update url (kept: entries are reused across messages)
    /// `{"reference":"urn:uuid:<id>"}`, formatted once; fullUrl is the middle part.
    char ref[kRefSize];
  };
  std::vector<CachedId> ids;  // identities computed for this message (first ids_used valid)
  std::size_t ids_used = 0;
  Frame frames[kMaxFrames];
  int nframes = 0;
  ZoneDefault zone;
  std::string_view event;
  bool latin1 = false;
  bool failed = false;
  bool dropped_controls = false;  ///< a control character was left out of a FHIR string
  bool message_shape = false;     ///< FHIR message: MessageHeader first, no entry requests
  TraceSink* trace = nullptr;     ///< Options::trace; null: no tracing (trace.cc)
  std::string trace_path;         ///< element path of the value being written, while tracing
  // Split repetitions: where the components of each (segment, field, repetition) read start
  // and end, found on its first read in the message (rules read PID-5.1, PID-5.2, ... and
  // transforms read CX/XCN parts one by one). Direct-mapped; a collision only costs a rescan.
  static constexpr std::size_t kSplitSlots = 64;
  static constexpr std::size_t kSplitComponents = 24;
  struct SplitRep {
    std::uint32_t seg_pos;  // 0: slot unused in this message
    std::uint32_t rep;
    std::uint16_t field;
    std::uint16_t count;                  // components recorded in `end` (>= 1)
    bool more;                            // the repetition has more components than recorded
    std::uint32_t begin;                  // offset of the repetition in the message
    std::uint16_t end[kSplitComponents];  // end of component k + 1, from `begin`
  };
  mutable SplitRep split[kSplitSlots];
  /// Component `comp` (0: the whole repetition) of a repetition, raw, as
  /// hl7v2::Segment::component() gives it.
  std::string_view component(std::uint32_t seg_pos, std::uint16_t field, std::uint32_t rep,
                             std::size_t comp) const noexcept;
  /// component() when the repetition is not split yet: splits it (unless MSH-1/MSH-2).
  [[gnu::noinline]] std::string_view split_component(std::uint32_t seg_pos, std::uint16_t field,
                                                     std::uint32_t rep,
                                                     std::size_t comp) const noexcept;
  /// As hl7v2::Segment::subcomponent() (sub 0: the whole component).
  std::string_view subcomponent(std::uint32_t seg_pos, std::uint16_t field, std::uint32_t rep,
                                std::size_t comp, std::size_t sub) const noexcept;

  // Values of the plan's v2 paths already read in this message, by V2Ref::path (valid when
  // `stamp` matches; the table is per thread and outlives the run).
  struct PathMemo {
    std::uint32_t stamp = 0;
    std::uint32_t seg_pos = 0;
    std::uint32_t rep = 0;
    std::uint32_t begin = 0;  // offset of the trimmed raw value in the message
    std::uint32_t size = 0;
  };
  PathMemo* memo = nullptr;
  std::size_t memo_size = 0;
  std::uint32_t stamp = 0;

  // scratch buffers (reused)
  std::string tmp_a, tmp_b, tmp_text, tmp_hole, tmp_hole2, tmp_render, tmp_join, tmp_sys, tmp_val,
      tmp_name, tmp_url, tmp_json, tmp_code;

  void prepare();
  void run();

  Resolved resolve(const V2Ref& r) const noexcept;
  std::string_view part(const Resolved& r, std::size_t k) const noexcept;
  std::string_view subpart(const Resolved& r, std::size_t k, std::size_t sub) const noexcept;
  std::string location(const Resolved& r, int comp_override = -1) const;
  std::string_view sending_facility() const noexcept;
  void issue(Severity sev, std::string loc, std::string_view code, std::string_view message,
             std::string_view rule);

  void text_into(std::string& dst, std::string_view raw) const;
  void json_text(std::string_view raw);
  void json_plain(std::string_view text);

  bool eval(const Condition& c);
  template <typename F>
  void for_each(const Each& e, F&& body);
  bool render(const Template& t, std::string& dst, bool url);
  bool dtm(const Resolved& r, std::string_view text, hl7v2::Dtm& out, std::string_view rule);
  bool scalar(Tf tf, std::string_view v, std::string& dst, const Resolved& r, const Producer* p,
              std::string_view rule = {});
  void coding_system(std::string_view cs, std::string& dst);
  bool coding(const Resolved& r, std::size_t base);
  /// The entry of `t` for the codings of a CE/CWE as sent (the first triplet, else the
  /// alternate), each matched by its code, the system coding() writes for it, and MSH-4.
  const CodeTable::Entry* coded_entry(const CodeTable& t, const Resolved& r);
  /// Writes a table entry as a Coding: group.target, target code and display.
  /// The table's translation `e` is the alternate coding (CWE-4 to CWE-6) as sent.
  bool sent_as_alternate(const Resolved& r, const CodeTable::Entry& e);
  void table_coding(const CodeTable::Entry& e);
  bool cx_system_value(const Resolved& r, std::string& sys, std::string& val);
  std::string_view national_system(const Resolved& r) const;
  bool cx_nhs_number(const Resolved& r);
  bool cx_nhs_earlier(const Resolved& r, bool differ);
  /// True when the innermost binding of `r`'s segment is an `each` over `r`'s field.
  bool field_bound(const V2Ref& r) const noexcept;
  void check_utf8();
  void check_controls();
  /// Warns 102, with `message`, at each component (MSH from MSH-3) for which `bad` holds;
  /// `maybe` (true whenever `bad` could hold for a part of the text) skips clean segments,
  /// fields and repetitions without splitting them.
  void warn_components(bool (*maybe)(std::string_view, const hl7v2::Delimiters&),
                       bool (*bad)(std::string_view, const hl7v2::Delimiters&),
                       const std::string& message);
  bool xcn_system_value(const Resolved& r, std::string& sys, std::string& val,
                        std::string_view rule);
  bool structure(Tf tf, const Resolved& r, std::string_view rule, const CodeTable* table = nullptr);
  bool else_value(const Producer& p, std::string_view rule);
  bool produce(const Producer& p, std::string_view rule);
  bool value(const Node& n);
  void members(const Node& obj, int& count);
  /// The identity of `rp` in the current binding (computed once per message): index in `ids`.
  std::size_t identity(const ResourcePlan& rp);
  bool identity_uncached(const ResourcePlan& rp, Uuid& u, std::string* url);
  bool rejects(const std::vector<Reject>& list);
  void resource(const ResourcePlan& rp, int& entries);

  // Tracing (trace.cc), called only when `trace` is set.
  std::size_t trace_enter(std::string_view member);  ///< appends `.member`, returns the mark
  std::size_t trace_enter(int index);                ///< appends `[index]`, returns the mark
  void trace_value(const Node& n);                   ///< reports a leaf just written
  void trace_resource(const ResourcePlan& rp, int entry);
  void trace_skipped_resource(const ResourcePlan& rp);  ///< its `when` did not hold
  void trace_skipped(const Node& n);                    ///< a member whose `when` did not hold
  void trace_skipped_item(const Node& n);               ///< an array item whose `when` did not hold
  void trace_unwritten(const Node& n);  ///< a leaf whose rule ran and found no value
  std::string why_no_value(const Producer& p);
  std::string trace_item() const;  ///< `AIP[2]`: the segment the innermost `each` binds
};

// ---- iteration --------------------------------------------------------------------------

template <typename F>
void V2Run::for_each(const Each& e, F&& body) {
  const std::size_t n = keys.size();
  if (nframes >= kMaxFrames) return;
  switch (e.kind) {
    case EachKind::none:
      body();
      return;
    case EachKind::segments:
      for (std::size_t i = 0; i < n; ++i) {
        if (keys[i] != e.seg_key) continue;
        frames[nframes++] = Frame{e.seg_key, static_cast<std::uint32_t>(i + 1), 0, 0};
        const bool pass = !e.where || eval(*e.where);
        if (pass) body();
        --nframes;
        if (pass && e.first) return;
      }
      return;
    case EachKind::segments_after: {
      // The anchor: the bound segment with that id, else its first occurrence.
      std::uint32_t anchor = 0;
      for (int i = nframes - 1; i >= 0 && anchor == 0; --i)
        if (frames[i].seg_key == e.anchor_key) anchor = frames[i].seg_pos;
      if (anchor == 0)
        for (std::size_t i = 0; i < n && anchor == 0; ++i)
          if (keys[i] == e.anchor_key) anchor = static_cast<std::uint32_t>(i + 1);
      if (anchor == 0) return;
      for (std::size_t i = anchor; i < n; ++i) {
        if (keys[i] == e.seg_key) {
          frames[nframes++] = Frame{e.seg_key, static_cast<std::uint32_t>(i + 1), 0, 0};
          const bool pass = !e.where || eval(*e.where);
          if (pass) body();
          --nframes;
          if (pass && e.first) return;
          continue;
        }
        bool skip = false;
        for (auto k : e.skip_keys) skip = skip || keys[i] == k;
        if (!skip) break;
      }
      return;
    }
    case EachKind::field_reps: {
      Resolved r = resolve(e.field);
      if (r.seg_pos == 0) return;
      const std::size_t reps = msg.segment(r.seg_pos).repetition_count(e.field.field);
      for (std::size_t k = 1; k <= reps; ++k) {
        frames[nframes++] =
            Frame{e.seg_key, r.seg_pos, e.field.field, static_cast<std::uint32_t>(k)};
        body();
        --nframes;
      }
      return;
    }
    case EachKind::fhir_items:
      return;
  }
}

}  // namespace fcpgw::mappings
