#pragma once
// Internal: the per-message state of a v2 -> FHIR translation (v2_to_fhir.cc). One V2Run is
// kept per thread so that its buffers are reused from message to message.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/message.h"
#include "mappings/plan.h"

namespace fcpgw::mappings {

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

struct V2Run {
  static constexpr int kMaxFrames = 16;

  V2Run(const Plan& p, const Mapping& m, const hl7v2::Message& message, std::string& o,
        std::vector<Issue>& is)
      : plan(p), mapping(m), msg(message), d(message.delimiters()), out(o), issues(is) {}

  const Plan& plan;
  const Mapping& mapping;
  const hl7v2::Message& msg;
  const hl7v2::Delimiters& d;
  std::string& out;
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
  bool message_shape = false;  ///< FHIR message: MessageHeader first, no entry requests
  TraceSink* trace = nullptr;  ///< Options::trace; null: no tracing (trace.cc)
  std::string trace_path;      ///< element path of the value being written, while tracing
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
      tmp_name, tmp_url;

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
  bool cx_system_value(const Resolved& r, std::string& sys, std::string& val);
  std::string_view national_system(std::string_view type, std::string_view aa_ns) const;
  void check_utf8();
  bool xcn_system_value(const Resolved& r, std::string& sys, std::string& val,
                        std::string_view rule);
  bool structure(Tf tf, const Resolved& r, std::string_view rule);
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
};

}  // namespace fcpgw::mappings
