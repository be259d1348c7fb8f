#pragma once
// Internal: the standard segments a mapping may name and how many fields each has (HL7 v2.5.1,
// with the later fields of v2.8 where senders use them), so that the loader can reject a path
// such as `SCH-40` or `XYZ-1` before any message arrives. Z-segments are always allowed.

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace fcpgw::mappings {

struct SegmentDef {
  std::string_view id;
  std::size_t fields;
};

inline std::span<const SegmentDef> known_segments() noexcept {
  static constexpr SegmentDef kSegments[] = {
      {"ACC", 11}, {"AIG", 14}, {"AIL", 12}, {"AIP", 12}, {"AIS", 12}, {"AL1", 6},  {"ARQ", 25},
      {"AUT", 10}, {"CTD", 7},  {"DG1", 26}, {"DRG", 11}, {"ERR", 12}, {"EVN", 7},  {"FT1", 31},
      {"GT1", 57}, {"IN1", 53}, {"IN2", 72}, {"IN3", 28}, {"MRG", 7},  {"MSA", 6},  {"MSH", 25},
      {"NK1", 39}, {"NTE", 4},  {"OBR", 50}, {"OBX", 25}, {"ORC", 31}, {"PD1", 21}, {"PID", 39},
      {"PR1", 20}, {"PRD", 9},  {"PRT", 24}, {"PV1", 52}, {"PV2", 49}, {"RF1", 11}, {"RGS", 3},
      {"ROL", 12}, {"SCH", 27}, {"SFT", 6},  {"SPM", 30}, {"TQ1", 14}, {"TQ2", 10}, {"TXA", 28},
      {"ARV", 6},  {"UAC", 2},
  };
  return kSegments;
}

inline std::optional<std::size_t> segment_field_count(std::string_view id) noexcept {
  for (const auto& e : known_segments())
    if (e.id == id) return e.fields;
  return std::nullopt;
}

}  // namespace fcpgw::mappings
