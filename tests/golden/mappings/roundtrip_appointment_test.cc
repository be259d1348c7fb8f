// Property test: a few hundred random but valid SIU messages (S12, S13, S14, S15, S17, S26;
// seeded PRNG, the seed is in every failure trace and FCPGW_PROPERTY_SEED replays it) go
// v2 -> FHIR (fhir::validate: no errors) -> v2, and every field the two appointment mappings
// read and write comes back, compared field by field after unescaping; date-times are
// compared as instants, since FHIR -> v2 writes them with an explicit offset.
//
// The generator covers: placer and/or filler ids; every SCH-25 status that has a mapping (any
// case); timing in TQ1-7/8, TQ1-7 + TQ1-6, SCH-11.4/.5 or SCH-11.4 + SCH-9/SCH-10, with the
// duration in min, s, h or no unit; start/end with an explicit offset, or none (then the
// Europe/London rule for their own date, including the non-existent and repeated hours on both
// DST change days, or MSH-7's offset when it is not London's at MSH-7's instant, checked
// against the documented rule); no timing for the statuses that allow
// it; valid NHS numbers (with and without spaces) and local MRNs in any order; one or two
// patient names with UTF-8 and escaped delimiters; gender, date of birth; PD1 (ODS code in
// XON-3 or XON-10, GMP GP); PV1; AIS; AIL (name in PL-9, else PL-2); 0-2 AIPs with HCPC (typed
// or inferred from PH...) or GMC numbers; 0-3 NTEs after SCH (and NTEs after AIL/AIP, which
// must not become the appointment comment); SCH-6 for cancelled/no-show, SCH-7, SCH-8. S13/S14
// get the earlier Appointment as `previous` half the time (with a moved start for S13, with
// the same start written as another offset for S14); without it the event is S12.
//
// Fields that do not survive the round trip, by design (mappings/README.md, "Appointments:
// round trip"), and so are not compared:
// - MSH-3..MSH-7, MSH-10: the output is a new message from the gateway.
// - the event without `previous`: S13/S14 become S12; with S12-S14 the status decides first
//   (Cancelled -> S15, Noshow -> S26, Deleted -> S17).
// - SCH-25 Arrived (-> Started), Discontinued/Blocked/Overbook (no mapping: the event decides).
// - SCH-2 is written only from the filler id: a placer-only booking comes back with SCH-2 empty.
// - SCH-6/7/8.3 for local coding systems (L, 99xxx): the system is written as a URI and has
//   no v2 name to go back to; SCH-6 for statuses other than cancelled/noshow (app-4).
// - TQ1-6, SCH-10 units: the duration comes back in minutes (SCH-9, SCH-10 = min).
// - SCH-11 vs TQ1: both are written; AIS-4/AIL-6/AIP-6 are written from the start.
// - SCH-26, AIL-12, AIP-12, AIP-3.5 (suffix), AIP-4, PD1-4.6, PV1: read or ignored, not written.
// - PD1-3.3: the ODS code comes back in PD1-3.10; AIL-3.2: the name comes back in AIL-3.9.
// - PID-5.7 C (-> D) and NAV (-> TEMP), PID-8 A/N (-> O): several v2 codes share a FHIR code.
// - NTEs after SCH come back as one NTE (the texts joined by a line break).
// - The NHS number's spaces are removed.

#include <algorithm>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "hl7v2/message.h"
#include "hl7v2/types.h"
#include "roundtrip_support.h"

using namespace fcpgw;
using mappings::testing::find_segment;
using mappings::testing::Gen;

namespace {

// ---- dates: an independent oracle for the documented time-zone rule ----

std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = static_cast<int>(y - era * 400);
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int weekday(int y, int m, int d) {  // 0 = Sunday
  const std::int64_t z = days_from_civil(y, m, d);
  return static_cast<int>(((z % 7) + 11) % 7);
}

int last_sunday(int y, int m) {
  const int last = (m == 3 || m == 10) ? 31 : 30;
  return last - weekday(y, m, last);
}

struct Wall {
  int y = 2025, mo = 1, d = 1, h = 0, mi = 0;
};

std::int64_t wall_minutes(const Wall& w) {
  return days_from_civil(w.y, w.mo, w.d) * 1440 + w.h * 60 + w.mi;
}

Wall from_minutes(std::int64_t t) {
  std::int64_t days = t >= 0 ? t / 1440 : (t - 1439) / 1440;
  const int mod = static_cast<int>(t - days * 1440);
  // civil_from_days
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int doe = static_cast<int>(days - era * 146097);
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  Wall w;
  w.d = doy - (153 * mp + 2) / 5 + 1;
  w.mo = mp < 10 ? mp + 3 : mp - 9;
  w.y = static_cast<int>(yoe + era * 400 + (w.mo <= 2));
  w.h = mod / 60;
  w.mi = mod % 60;
  return w;
}

// Europe/London as mappings/README.md states it: BST from 01:00 UTC on the last Sunday of
// March to 01:00 UTC on the last Sunday of October; a wall time in the spring gap is GMT, one
// in the repeated autumn hour is BST (the first occurrence).
int london_offset(const Wall& w) {
  if (w.mo < 3 || w.mo > 10) return 0;
  if (w.mo > 3 && w.mo < 10) return 60;
  const int change = last_sunday(w.y, w.mo);
  if (w.d != change) return (w.mo == 3) == (w.d > change) ? 60 : 0;
  const int minute_of_day = w.h * 60 + w.mi;
  return w.mo == 3 ? (minute_of_day >= 120 ? 60 : 0) : (minute_of_day < 120 ? 60 : 0);
}

// The same rule at an instant given in UTC minutes: BST from 01:00 UTC on the last Sunday of
// March to 01:00 UTC on the last Sunday of October.
int london_offset_at_utc(std::int64_t t) {
  const int y = from_minutes(t).y;
  const std::int64_t begin = wall_minutes(Wall{y, 3, last_sunday(y, 3), 1, 0});
  const std::int64_t end = wall_minutes(Wall{y, 10, last_sunday(y, 10), 1, 0});
  return t >= begin && t < end ? 60 : 0;
}

std::string offset_text(int off) {
  char buf[32];
  const int a = off < 0 ? -off : off;
  std::snprintf(buf, sizeof buf, "%c%02d%02d", off < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

std::string dtm_text(const Wall& w, std::optional<int> off) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d00", w.y, w.mo, w.d, w.h, w.mi);
  return std::string(buf) + (off ? offset_text(*off) : "");
}

// A DTM written by the output, as UTC minutes; it must carry an offset.
std::optional<std::int64_t> instant_of(std::string_view dtm) {
  auto d = hl7v2::parse_dtm(dtm);
  if (!d || !d->offset_minutes || d->precision < hl7v2::DtmPrecision::minute) return std::nullopt;
  return days_from_civil(d->year, d->month, d->day) * 1440 + d->hour * 60 + d->minute -
         *d->offset_minutes;
}

std::string iso_utc(std::int64_t t) {
  const Wall w = from_minutes(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:00Z", w.y, w.mo, w.d, w.h, w.mi);
  return buf;
}

// ---- the generated message and what must come back ----

struct Practitioner {
  std::string id, family, given, given2, prefix, authority;  // authority as expected back
  std::string er7;
};

struct Case {
  std::string er7;
  std::string event, expected_event;
  std::string placer, filler;
  std::string status_out;  // SCH-25 expected back
  bool timing = false;
  bool rejected = false;            // no start/end where the status needs them (app-3)
  std::int64_t start = 0, end = 0;  // UTC minutes
  std::optional<int> minutes;       // expected SCH-9
  std::string cancel_code, cancel_text;
  std::string reason_code, reason_text, reason_system_out;
  std::string type_code, type_text, type_system_out;
  std::string note;  // expected NTE-3 (unescaped, joined)
  // PID
  std::string nhs, mrn, mrn_authority;
  bool nhs_first = true;
  struct Name {
    std::string family, given, given2, suffix, prefix, use;
  };
  std::vector<Name> names;  // unescaped expectations are made by the test from ER7 text
  std::string gender_out, dob;
  // PD1
  bool pd1 = false;
  std::string practice_name, practice_ods, gp_id, gp_family, gp_given;
  // AIS / AIL / AIP
  bool ais = false;
  std::string ail_id, ail_name;
  std::vector<Practitioner> aips;
  // previous version to pass (a change to make to the FHIR output), or none
  enum class Previous { none, moved, same_instant } previous = Previous::none;
};

struct Duration {
  std::string amount, unit;  // as sent
};

Duration duration_text(Gen& g, int minutes) {
  switch (g.pick(6)) {
    case 0:
      return {std::to_string(minutes), "min"};
    case 1:
      return {std::to_string(minutes), "MIN"};
    case 2:
      return {std::to_string(minutes * 60), "s"};
    case 3:
      if (minutes % 60 == 0) return {std::to_string(minutes / 60), "h"};
      return {std::to_string(minutes), "min^minutes^UCUM"};
    case 4:
      return {std::to_string(minutes), ""};
    default:
      return {std::to_string(minutes), "min^minutes^UCUM"};
  }
}

const std::vector<std::string> kOds = {"A81001", "B82005", "Y12345", "RX1", "RBA"};

Case make(Gen& g, int n) {
  Case c;
  static const std::vector<std::string> events = {"S12", "S13", "S14", "S15", "S17", "S26"};
  c.event = events[static_cast<std::size_t>(n) % events.size()];

  // MSH-7: with or without an offset (a time without offset elsewhere takes MSH-7's offset).
  Wall msh_wall{2024 + g.pick(2), 1 + g.pick(12), 1 + g.pick(28), 8 + g.pick(10), g.pick(60)};
  std::optional<int> msh_off;
  if (g.chance(30)) msh_off = g.one(std::vector<int>{0, 60, -300});
  // DOMAIN 1.1: MSH-7's offset is the sender's zone at that instant; offset-less times take it
  // only when it is not London's then (the sender is elsewhere), else London's on their date.
  std::optional<int> sender_off;
  if (msh_off && *msh_off != london_offset_at_utc(wall_minutes(msh_wall) - *msh_off))
    sender_off = msh_off;
  const std::string facility = g.one(kOds);

  // Status (SCH-25 as sent) and the FHIR status it gives.
  std::string sch25, status;
  struct S {
    const char* v2;
    const char* fhir;
  };
  static const std::vector<S> open = {{"", "booked"},
                                      {"Booked", "booked"},
                                      {"booked", "booked"},
                                      {"Pending", "pending"},
                                      {"Waitlist", "waitlist"},
                                      {"Started", "checked-in"},
                                      {"Complete", "fulfilled"},
                                      {"Cancelled", "cancelled"},
                                      {"Noshow", "noshow"},
                                      {"Deleted", "entered-in-error"}};
  if (c.event == "S15") {
    sch25 = g.one(std::vector<std::string>{"", "Cancelled", "Booked"});
    status = "cancelled";
  } else if (c.event == "S17") {
    sch25 = g.one(std::vector<std::string>{"", "Deleted", "Booked"});
    status = "entered-in-error";
  } else if (c.event == "S26") {
    sch25 = g.one(std::vector<std::string>{"", "Noshow", "Booked"});
    status = "noshow";
  } else {
    // The terminal statuses are rarer: most S12-S14 are open appointments.
    const S& s = g.chance(85) ? open[static_cast<std::size_t>(g.pick(7))]
                              : open[static_cast<std::size_t>(7 + g.pick(3))];
    sch25 = s.v2;
    status = s.fhir;
  }
  static const std::vector<std::pair<std::string, std::string>> status_to_v2 = {
      {"booked", "Booked"},      {"pending", "Pending"},         {"waitlist", "Waitlist"},
      {"checked-in", "Started"}, {"fulfilled", "Complete"},      {"cancelled", "Cancelled"},
      {"noshow", "Noshow"},      {"entered-in-error", "Deleted"}};
  for (const auto& [f, v] : status_to_v2)
    if (f == status) c.status_out = v;
  // app-3: only cancelled and waitlist appointments may lack start and end; for any other
  // status a message without them is rejected (101 at TQ1-7).
  const bool timing_optional = status == "waitlist" || status == "cancelled";
  c.timing = timing_optional ? g.chance(70) : !g.chance(5);
  c.rejected = !c.timing && !timing_optional;

  // Timing.
  std::string start_text, end_text;
  Duration dur;
  int timing_kind = 0;
  bool send_sch9 = false;
  if (c.timing) {
    for (;;) {
      Wall w;
      if (g.chance(15)) {  // a DST change day, in the small hours
        w.y = 2024 + g.pick(2);
        w.mo = g.coin() ? 3 : 10;
        w.d = last_sunday(w.y, w.mo);
        w.h = g.pick(3);
        w.mi = g.pick(60);
      } else {
        w = Wall{2024 + g.pick(2), 1 + g.pick(12), 1 + g.pick(28), 7 + g.pick(12),
                 g.one(std::vector<int>{0, 10, 15, 20, 30, 40, 45, 50})};
      }
      const int minutes = g.one(std::vector<int>{10, 15, 20, 30, 45, 60, 90, 120});
      std::optional<int> off;
      if (g.chance(25)) off = g.one(std::vector<int>{0, 60, -300, 330});
      const int eff = off ? *off : sender_off ? *sender_off : london_offset(w);
      c.start = wall_minutes(w) - eff;
      start_text = dtm_text(w, off);
      timing_kind = g.pick(5);
      const bool explicit_end = timing_kind == 0 || timing_kind == 2;
      if (explicit_end) {
        const Wall ew = from_minutes(wall_minutes(w) + minutes);
        const int eoff = off ? *off : sender_off ? *sender_off : london_offset(ew);
        c.end = wall_minutes(ew) - eoff;
        end_text = dtm_text(ew, off);
        if (c.end <= c.start) continue;  // across the spring gap: not a real booking
        send_sch9 = g.coin() && c.end - c.start == minutes;
        if (send_sch9) c.minutes = minutes;
      } else {
        c.end = c.start + minutes;
        c.minutes = minutes;
        send_sch9 = timing_kind != 1;
      }
      dur = duration_text(g, minutes);
      break;
    }
  }

  // Ids.
  const int ids = g.pick(4);  // 0: both, 1: placer only, 2-3: filler only / both
  if (ids != 2) c.placer = "PL-" + std::to_string(n) + "-" + g.digits(5);
  if (ids != 1) c.filler = "FL-" + std::to_string(n) + "-" + g.digits(6);

  // SCH-6 (only where the status allows it), SCH-7, SCH-8.
  if ((status == "cancelled" || status == "noshow") && g.coin()) {
    c.cancel_code = g.one(std::vector<std::string>{"PATREQ", "CLINIC", "ILL"});
    c.cancel_text = g.one(
        std::vector<std::string>{"Patient request", "Clinic closed \\T\\ moved", "Patient unwell"});
  }
  std::string reason_system;
  if (g.coin()) {
    const int k = g.pick(3);
    c.reason_code = k == 0 ? "ROUTINE" : k == 1 ? "FOLLOWUP" : "279039007";
    c.reason_text = k == 0 ? "Routine appointment" : k == 1 ? "A follow up visit" : "Low back pain";
    reason_system = k == 2 ? "SCT" : "HL70276";
    c.reason_system_out = reason_system;
  }
  if (g.coin()) {
    c.type_code = g.one(std::vector<std::string>{"Normal", "Tentative", "Complete"});
    c.type_text = "Appointment type " + c.type_code;
    c.type_system_out = "HL70277";
  }

  // NTEs after SCH.
  std::vector<std::string> notes;
  for (int i = 0, k = g.pick(4); i < k; ++i) notes.push_back(g.text());

  // Patient.
  if (g.chance(85)) c.nhs = g.nhs_number();
  if (c.nhs.empty() || g.coin()) {
    c.mrn = g.one(std::vector<std::string>{"E", "S1-", "M"}) + g.digits(7);
    c.mrn_authority = g.one(kOds);
  }
  c.nhs_first = g.coin();
  for (int i = 0, k = 1 + (g.chance(20) ? 1 : 0); i < k; ++i) {
    Case::Name nm;
    nm.family = g.name();
    nm.given = g.name();
    if (g.coin()) nm.given2 = g.name();
    if (g.chance(20)) nm.suffix = g.one(std::vector<std::string>{"Jr", "III"});
    if (g.coin()) nm.prefix = g.one(std::vector<std::string>{"Ms", "Mr", "Dr", "Mx"});
    nm.use = g.one(std::vector<std::string>{"", "L", "D", "N", "M", "A", "BAD", "TEMP"});
    c.names.push_back(nm);
  }
  const std::string gender = g.one(std::vector<std::string>{"", "F", "M", "O", "U", "f"});
  c.gender_out = gender == "f" ? "F" : gender;
  if (g.chance(80)) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d", 1930 + g.pick(90), 1 + g.pick(12),
                  1 + g.pick(28));
    c.dob = buf;
  }
  c.pd1 = g.chance(60);
  const int pd1_kind = g.pick(3);
  if (c.pd1) {
    c.practice_name = g.one(std::vector<std::string>{"Riverside Surgery", "Llan \\T\\ Dewi",
                                                     "Ty\\S\\n Practice", "Siân's Surgery"});
    c.practice_ods = g.one(kOds);
    if (g.coin()) {
      c.gp_id = "G" + g.digits(7);
      c.gp_family = g.name();
      c.gp_given = g.name();
    }
  }

  // AIS / AIL / AIP.
  c.ais = g.coin();
  std::string ail_pl;
  if (g.coin()) {
    c.ail_id = "FCP" + g.digits(2);
    const std::string room = "Room " + g.digits(1);
    if (g.coin()) {
      c.ail_name =
          g.one(std::vector<std::string>{"MSK Room 2", "Ystafell Siân", "Gym \\T\\ Rehab"});
      ail_pl = c.ail_id + "^" + room + "^^" + facility + "^^^^^" + c.ail_name;
    } else {
      c.ail_name = room;
      ail_pl = c.ail_id + "^" + room + "^^" + facility;
    }
  }
  for (int i = 0, k = g.pick(3); i < k; ++i) {
    Practitioner p;
    const int kind = g.pick(3);
    p.family = g.name();
    p.given = g.name();
    if (g.coin()) p.given2 = g.name();
    if (g.coin()) p.prefix = g.one(std::vector<std::string>{"Dr", "Mr", "Ms"});
    const std::string suffix = g.chance(20) ? "BSc" : "";
    std::string type;
    if (kind == 0) {  // HCPC, typed
      p.id = "PH" + g.digits(6);
      type = "HCPC";
      p.authority = "HCPC";
    } else if (kind == 1) {  // HCPC inferred from PH... (HL7 UK leaves XCN-9 empty)
      p.id = "PH" + g.digits(6);
      p.authority = "HCPC";
    } else {
      p.id = std::to_string(1 + g.pick(9)) + g.digits(6);
      type = "GMC";
      p.authority = "GMC";
    }
    if (i == 1 && p.id == c.aips[0].id) p.id += "9";
    p.er7 = p.id + "^" + p.family + "^" + p.given + "^" + p.given2 + "^" + suffix + "^" + p.prefix +
            "^^^" + type;
    c.aips.push_back(p);
  }

  // Previous version (S13/S14 only, with a time to compare).
  if ((c.event == "S13" || c.event == "S14") && c.timing && g.coin())
    c.previous = c.event == "S13" ? Case::Previous::moved : Case::Previous::same_instant;

  if (status == "cancelled") {
    c.expected_event = "S15";
  } else if (status == "noshow") {
    c.expected_event = "S26";
  } else if (status == "entered-in-error") {
    c.expected_event = "S17";
  } else if (c.previous == Case::Previous::moved) {
    c.expected_event = "S13";
  } else if (c.previous == Case::Previous::same_instant) {
    c.expected_event = "S14";
  } else {
    c.expected_event = "S12";
  }

  // ---- the message ----
  const std::string six = c.timing ? start_text : "";
  std::string m = "MSH|^~\\&|" + g.one(std::vector<std::string>{"EMISWeb", "SystmOne", "Vision"}) +
                  "|" + facility + "|FCPGW|RX1|" + dtm_text(msh_wall, msh_off) + "||SIU^" +
                  c.event + "^SIU_S12|C" + std::to_string(n) + "|P|2.5.1|||AL|NE||UNICODE UTF-8\r";
  std::string sch11;
  if (c.timing && (timing_kind == 2 || timing_kind == 3))
    sch11 = "^^^" + start_text + (timing_kind == 2 ? "^" + end_text : "");
  m += "SCH|" + c.placer + (c.placer.empty() ? "" : "^EMISWeb") + "|" + c.filler +
       (c.filler.empty() ? "" : "^FCPGW") + "||||" +
       (c.cancel_code.empty() ? "" : c.cancel_code + "^" + c.cancel_text + "^L") + "|" +
       (c.reason_code.empty() ? "" : c.reason_code + "^" + c.reason_text + "^" + reason_system) +
       "|" + (c.type_code.empty() ? "" : c.type_code + "^" + c.type_text + "^HL70277") + "|" +
       (send_sch9 ? dur.amount + "|" + dur.unit : "|") + "|" + sch11 + "|||||" +
       (c.aips.empty() ? "" : c.aips[0].er7) + "|||||||||" + sch25 + "\r";
  if (c.timing && (timing_kind == 0 || timing_kind == 1 || timing_kind == 4)) {
    m += "TQ1|1|||||";
    if (timing_kind == 1) {
      const auto caret = dur.unit.find('^');  // TQ1-6 is CQ: the unit CE goes in subcomponents
      std::string unit = dur.unit;
      if (caret != std::string::npos) unit = "min&minutes&UCUM";
      m += dur.amount + (unit.empty() ? "" : "^" + unit);
    }
    m += "|" + start_text + (timing_kind == 0 ? "|" + end_text : "") + "\r";
  }
  for (std::size_t i = 0; i < notes.size(); ++i)
    m += "NTE|" + std::to_string(i + 1) + "||" + notes[i] + "\r";
  std::string pid3;
  const std::string nhs_cx =
      c.nhs.empty()
          ? ""
          : (g.chance(30) ? c.nhs.substr(0, 3) + " " + c.nhs.substr(3, 3) + " " + c.nhs.substr(6)
                          : c.nhs) +
                "^^^NHS^NH";
  const std::string mrn_cx = c.mrn.empty() ? "" : c.mrn + "^^^" + c.mrn_authority + "^MR";
  if (c.nhs_first)
    pid3 = nhs_cx + (nhs_cx.empty() || mrn_cx.empty() ? "" : "~") + mrn_cx;
  else
    pid3 = mrn_cx + (nhs_cx.empty() || mrn_cx.empty() ? "" : "~") + nhs_cx;
  std::string pid5;
  for (const auto& nm : c.names) {
    if (!pid5.empty()) pid5 += "~";
    pid5 += nm.family + "^" + nm.given + "^" + nm.given2 + "^" + nm.suffix + "^" + nm.prefix +
            "^^" + nm.use;
  }
  m += "PID|1||" + pid3 + "||" + pid5 + "||" + c.dob + "|" + gender + "\r";
  if (c.pd1) {
    std::string xon = pd1_kind == 0 ? c.practice_name + "^^" + c.practice_ods
                                    : c.practice_name + "^^^^^^^^^" + c.practice_ods;
    m += "PD1|||" + xon + "|" +
         (c.gp_id.empty() ? "" : c.gp_id + "^" + c.gp_family + "^" + c.gp_given + "^^^Dr") + "\r";
  }
  if (g.coin()) m += "PV1|1|O\r";
  m += "RGS|1|A\r";
  if (c.ais)
    m += "AIS|1||1089221000000107^First contact physiotherapy^SCT|" + six + "|||" +
         (c.minutes ? std::to_string(*c.minutes) + "|min" : "") + "\r";
  if (!c.ail_id.empty()) {
    m += "AIL|1||" + ail_pl + "|||" + six + "||||||Booked\r";
    if (g.chance(30)) m += "NTE|1||Location note " + g.text() + "\r";
  }
  for (const auto& p : c.aips) {
    m += "AIP|1||" + p.er7 + "|" + (g.coin() ? "R1110^Physiotherapist^L" : "") + "||" + six +
         "||||||" + g.one(std::vector<std::string>{"", "Booked", "Pending"}) + "\r";
    if (g.chance(20)) m += "NTE|1||Practitioner note " + g.text() + "\r";
  }
  c.er7 = m;
  // Expected comment: the SCH NTEs, joined with a line break (unescaped by the test).
  for (std::size_t i = 0; i < notes.size(); ++i) c.note += (i ? "\n" : "") + notes[i];
  return c;
}

// Finds the Appointment in a Bundle (mutable), for making a previous version.
rapidjson::Value* appointment_in(rapidjson::Value& bundle) {
  if (!bundle.IsObject() || !bundle.HasMember("entry")) return nullptr;
  for (auto& e : bundle["entry"].GetArray())
    if (e.HasMember("resource") && e["resource"].HasMember("resourceType") &&
        std::string_view(e["resource"]["resourceType"].GetString()) == "Appointment")
      return &e["resource"];
  return nullptr;
}

}  // namespace

TEST(RoundTripAppointment, RandomSiuKeepsEveryMappedField) {
  const unsigned seed = mappings::testing::property_seed(20250611);
  Gen g(seed);
  const auto& engine = mappings::testing::shipped_engine();
  int per_event[6] = {};
  int rejected = 0;
  for (int n = 0; n < 360; ++n) {
    const Case c = make(g, n);
    SCOPED_TRACE("seed " + std::to_string(seed) + " (FCPGW_PROPERTY_SEED), case " +
                 std::to_string(n) + ":\n" + c.er7);
    for (int i = 0; i < 6; ++i)
      if (std::string_view("S12S13S14S15S17S26").substr(static_cast<std::size_t>(i) * 3, 3) ==
          c.event)
        ++per_event[i];
    auto in = hl7v2::Message::parse(c.er7);
    ASSERT_TRUE(in) << in.error().message;
    auto fhir_out = engine.v2_to_fhir(*in);
    if (c.rejected) {
      ASSERT_FALSE(fhir_out) << "no start/end with status " << c.status_out << " must be rejected";
      bool found = false;
      for (const auto& i : fhir_out.error())
        found = found || (i.location == "TQ1-7" && i.code == "101");
      EXPECT_TRUE(found) << "expected 101 at TQ1-7";
      ++rejected;
      continue;
    }
    ASSERT_TRUE(fhir_out) << fhir_out.error().front().location << " "
                          << fhir_out.error().front().message;
    auto doc = fhir::parse(fhir_out->output);
    ASSERT_TRUE(doc);
    mappings::testing::expect_valid_fhir(doc->root());

    // The earlier version: the same Bundle, with the start moved a day (S13) or the same
    // instants written in UTC (S14: not a change).
    std::optional<fhir::Document> prev;
    if (c.previous != Case::Previous::none) {
      prev.emplace(*fhir::parse(fhir_out->output));
      rapidjson::Value* appt = appointment_in(prev->root());
      ASSERT_NE(appt, nullptr);
      auto& alloc = prev->allocator();
      const std::string s = iso_utc(c.previous == Case::Previous::moved ? c.start - 1440 : c.start);
      const std::string e = iso_utc(c.previous == Case::Previous::moved ? c.end - 1440 : c.end);
      (*appt)["start"].SetString(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), alloc);
      (*appt)["end"].SetString(e.c_str(), static_cast<rapidjson::SizeType>(e.size()), alloc);
    }
    mappings::Options opt;
    opt.message_time = "2025-06-02T09:00:00+01:00";
    auto back = engine.fhir_to_v2(doc->root(), prev ? &prev->root() : nullptr, opt);
    ASSERT_TRUE(back) << back.error().front().location << " " << back.error().front().message;
    auto out = hl7v2::Message::parse(back->output);
    ASSERT_TRUE(out) << out.error().message;
    SCOPED_TRACE("output:\n" + back->output);

    auto val = [&](const std::optional<hl7v2::Segment>& s, std::size_t f, std::size_t rep,
                   std::size_t comp) {
      return s ? out->unescape(s->component(f, rep, comp)) : std::string("<no segment>");
    };
    auto unesc = [&](std::string_view er7) { return in->unescape(er7); };

    // Event and status.
    EXPECT_EQ(out->trigger_event(), c.expected_event);
    const auto sch = find_segment(*out, "SCH");
    ASSERT_TRUE(sch.has_value());
    EXPECT_EQ(val(sch, 25, 1, 1), c.status_out) << "SCH-25";

    // Ids.
    EXPECT_EQ(val(sch, 1, 1, 1), c.placer) << "SCH-1";
    // SCH-2 is the filler's id only: a placer-only booking keeps SCH-2 empty.
    EXPECT_EQ(val(sch, 2, 1, 1), c.filler) << "SCH-2";

    // Codes.
    EXPECT_EQ(val(sch, 6, 1, 1), c.cancel_code) << "SCH-6.1";
    EXPECT_EQ(val(sch, 6, 1, 2), unesc(c.cancel_text)) << "SCH-6.2";
    EXPECT_EQ(val(sch, 7, 1, 1), c.reason_code) << "SCH-7.1";
    EXPECT_EQ(val(sch, 7, 1, 2), c.reason_text) << "SCH-7.2";
    EXPECT_EQ(val(sch, 7, 1, 3), c.reason_system_out) << "SCH-7.3";
    EXPECT_EQ(val(sch, 8, 1, 1), c.type_code) << "SCH-8.1";
    EXPECT_EQ(val(sch, 8, 1, 2), c.type_text) << "SCH-8.2";
    EXPECT_EQ(val(sch, 8, 1, 3), c.type_system_out) << "SCH-8.3";

    // Timing: the same instants in SCH-11, TQ1 and the AIS/AIL/AIP starts; the duration.
    const auto tq1 = find_segment(*out, "TQ1");
    if (c.timing) {
      ASSERT_TRUE(tq1.has_value());
      EXPECT_EQ(instant_of(sch->component(11, 1, 4)), c.start) << "SCH-11.4";
      EXPECT_EQ(instant_of(sch->component(11, 1, 5)), c.end) << "SCH-11.5";
      EXPECT_EQ(instant_of(tq1->component(7, 1, 1)), c.start) << "TQ1-7";
      EXPECT_EQ(instant_of(tq1->component(8, 1, 1)), c.end) << "TQ1-8";
      EXPECT_EQ(val(sch, 9, 1, 1), std::to_string(c.minutes.value_or(c.end - c.start))) << "SCH-9";
      EXPECT_EQ(val(sch, 10, 1, 1), "min") << "SCH-10";
    } else {
      EXPECT_FALSE(tq1.has_value());
      EXPECT_EQ(val(sch, 11, 1, 4), "");
      EXPECT_EQ(val(sch, 9, 1, 1), "");
    }

    // NTE: exactly the SCH-level notes, joined.
    const auto nte = find_segment(*out, "NTE");
    EXPECT_EQ(nte.has_value(), !c.note.empty());
    if (nte) {
      EXPECT_EQ(val(nte, 3, 1, 1), unesc(c.note)) << "NTE-3";
    }
    EXPECT_FALSE(find_segment(*out, "NTE", 2).has_value());

    // PID.
    const auto pid = find_segment(*out, "PID");
    ASSERT_TRUE(pid.has_value());
    std::vector<std::vector<std::string>> ids;  // {value, authority, type}
    if (!c.nhs.empty()) ids.push_back({c.nhs, "NHS", "NH"});
    if (!c.mrn.empty()) {
      auto mrn = std::vector<std::string>{c.mrn, c.mrn_authority, "MR"};
      if (c.nhs_first)
        ids.push_back(mrn);
      else
        ids.insert(ids.begin(), mrn);
    }
    ASSERT_EQ(pid->repetition_count(3), ids.size()) << "PID-3 repetitions";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(val(pid, 3, i + 1, 1), ids[i][0]) << "PID-3[" << i + 1 << "].1";
      EXPECT_EQ(val(pid, 3, i + 1, 4), ids[i][1]) << "PID-3[" << i + 1 << "].4";
      EXPECT_EQ(val(pid, 3, i + 1, 5), ids[i][2]) << "PID-3[" << i + 1 << "].5";
    }
    ASSERT_EQ(pid->repetition_count(5), c.names.size()) << "PID-5 repetitions";
    // Written back legal name first (v2.5.1 PID-5), then the others in the order sent.
    auto names = c.names;
    std::stable_partition(names.begin(), names.end(), [](const auto& n) { return n.use == "L"; });
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto& nm = names[i];
      const std::size_t r = i + 1;
      EXPECT_EQ(val(pid, 5, r, 1), unesc(nm.family)) << "PID-5.1";
      EXPECT_EQ(val(pid, 5, r, 2), unesc(nm.given)) << "PID-5.2";
      EXPECT_EQ(val(pid, 5, r, 3), unesc(nm.given2)) << "PID-5.3";
      EXPECT_EQ(val(pid, 5, r, 4), nm.suffix) << "PID-5.4";
      EXPECT_EQ(val(pid, 5, r, 5), nm.prefix) << "PID-5.5";
      EXPECT_EQ(val(pid, 5, r, 7), nm.use) << "PID-5.7";
    }
    EXPECT_EQ(val(pid, 7, 1, 1), c.dob) << "PID-7";
    EXPECT_EQ(val(pid, 8, 1, 1), c.gender_out) << "PID-8";

    // PD1.
    const auto pd1 = find_segment(*out, "PD1");
    EXPECT_EQ(pd1.has_value(), c.pd1);
    if (pd1) {
      EXPECT_EQ(val(pd1, 3, 1, 1), unesc(c.practice_name)) << "PD1-3.1";
      EXPECT_EQ(val(pd1, 3, 1, 10), c.practice_ods) << "PD1-3.10";
      EXPECT_EQ(val(pd1, 4, 1, 1), c.gp_id) << "PD1-4.1";
      EXPECT_EQ(val(pd1, 4, 1, 2), unesc(c.gp_family)) << "PD1-4.2";
      EXPECT_EQ(val(pd1, 4, 1, 3), unesc(c.gp_given)) << "PD1-4.3";
    }

    // AIS.
    const auto ais = find_segment(*out, "AIS");
    EXPECT_EQ(ais.has_value(), c.ais);
    if (ais) {
      EXPECT_EQ(val(ais, 3, 1, 1), "1089221000000107");
      EXPECT_EQ(val(ais, 3, 1, 2), "First contact physiotherapy");
      EXPECT_EQ(val(ais, 3, 1, 3), "SCT");
      if (c.timing) {
        EXPECT_EQ(instant_of(ais->component(4, 1, 1)), c.start) << "AIS-4";
      }
    }

    // AIL.
    const auto ail = find_segment(*out, "AIL");
    EXPECT_EQ(ail.has_value(), !c.ail_id.empty());
    if (ail) {
      EXPECT_EQ(val(ail, 3, 1, 1), c.ail_id) << "AIL-3.1";
      EXPECT_EQ(val(ail, 3, 1, 9), unesc(c.ail_name)) << "AIL-3.9";
      if (c.timing) {
        EXPECT_EQ(instant_of(ail->component(6, 1, 1)), c.start) << "AIL-6";
      }
    }

    // AIP: one per practitioner, in order.
    for (std::size_t i = 0; i < c.aips.size(); ++i) {
      const auto& p = c.aips[i];
      const auto aip = find_segment(*out, "AIP", static_cast<int>(i) + 1);
      ASSERT_TRUE(aip.has_value()) << "AIP " << i + 1;
      EXPECT_EQ(val(aip, 3, 1, 1), p.id) << "AIP-3.1";
      EXPECT_EQ(val(aip, 3, 1, 2), unesc(p.family)) << "AIP-3.2";
      EXPECT_EQ(val(aip, 3, 1, 3), unesc(p.given)) << "AIP-3.3";
      EXPECT_EQ(val(aip, 3, 1, 4), unesc(p.given2)) << "AIP-3.4";
      EXPECT_EQ(val(aip, 3, 1, 6), p.prefix) << "AIP-3.6";
      EXPECT_EQ(val(aip, 3, 1, 9), p.authority) << "AIP-3.9";
      if (c.timing) {
        EXPECT_EQ(instant_of(aip->component(6, 1, 1)), c.start) << "AIP-6";
      }
    }
    EXPECT_FALSE(find_segment(*out, "AIP", static_cast<int>(c.aips.size()) + 1).has_value());
    if (::testing::Test::HasFailure()) return;  // report the first failing case only
  }
  for (int count : per_event) EXPECT_EQ(count, 60);
  EXPECT_GT(rejected, 0) << "the generator should also send messages that app-3 rejects";
}
