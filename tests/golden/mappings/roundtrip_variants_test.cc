// Round trips of the sender variants (mappings/golden/appointments/{id,contact,time,room}_*,
// referrals/prd_*): v2 -> FHIR -> v2 keeps every mapped field in the writer's form, so the
// variant a sender chose (NHS number by NHSNBR or OID, a number in XTN parts, a room without
// PL.1, a service in PRD-2) is not lost on the way back.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "hl7v2/message.h"
#include "roundtrip_support.h"

using namespace fcpgw;
using fcpgw::mappings::testing::find_segment;
using fcpgw::mappings::testing::golden_dir;
using fcpgw::mappings::testing::read_file;
using fcpgw::mappings::testing::shipped_engine;

namespace {

struct RoundTrip {
  std::string er7;  // the message written back
  hl7v2::Message out;
};

// The golden input `family/name.hl7` to FHIR (valid) and back to v2.
RoundTrip round_trip(const std::string& family, const std::string& name) {
  const std::string text = read_file(golden_dir(family) / (name + ".hl7"));
  auto in = hl7v2::Message::parse(text);
  EXPECT_TRUE(in);
  auto fhir_out = shipped_engine().v2_to_fhir(*in);
  EXPECT_TRUE(fhir_out) << name;
  auto doc = fhir::parse(fhir_out->output);
  EXPECT_TRUE(doc);
  mappings::testing::expect_valid_fhir(doc->root());
  mappings::Options opt;
  opt.message_time = "2025-06-02T09:00:00+01:00";
  auto back = shipped_engine().fhir_to_v2(doc->root(), nullptr, opt);
  EXPECT_TRUE(back) << name << ": " << (back ? "" : back.error().front().message);
  auto out = hl7v2::Message::parse(back->output);
  EXPECT_TRUE(out);
  return {back->output, std::move(*out)};
}

// All repetitions of field `f` of the first `seg`, unescaped, as written.
std::vector<std::string> reps(const RoundTrip& r, std::string_view seg, std::size_t f) {
  std::vector<std::string> v;
  const auto s = find_segment(r.out, seg);
  if (!s) return v;
  for (std::size_t i = 1; i <= s->repetition_count(f); ++i)
    v.push_back(std::string(s->repetition(f, i)));
  return v;
}

}  // namespace

TEST(RoundTripVariants, NationalNumberInAnySenderFormComesBackAsHl7UkNhs) {
  for (const char* name :
       {"id_nhs_authority_without_type", "id_lorenzo_nhsnbr", "id_nhs_oid_authority",
        "id_type_nh_only", "id_v23_pid2_bare", "id_v23_pid2_marked_and_pid3"}) {
    SCOPED_TRACE(name);
    const auto r = round_trip("appointments", name);
    const auto ids = reps(r, "PID", 3);
    EXPECT_NE(std::find(ids.begin(), ids.end(), "9434765919^^^NHS^NH"), ids.end()) << r.er7;
    // Local identifiers keep an ODS authority and never gain an invented one.
    for (const auto& id : ids) EXPECT_EQ(id.find("^^^NHSNBR"), std::string::npos) << id;
  }
  const auto r = round_trip("appointments", "id_no_invented_assigner");
  EXPECT_EQ(reps(r, "PID", 3), (std::vector<std::string>{"LOC-1^^^^MR", "LOC-2^^^^PI",
                                                         "LOC-3^^^^MR", "9434765919^^^NHS^NH"}));
}

TEST(RoundTripVariants, ContactDetailsKeepTheirValueUseAndField) {
  const auto r = round_trip("appointments", "contact_xtn_parts_mobile_work_address_use");
  EXPECT_EQ(reps(r, "PID", 13),
            (std::vector<std::string>{"+44 1632 960123^PRN^PH", "07700 900123^PRN^CP",
                                      "01904 555123^PRN^PH", "^NET^Internet^sian@example.org"}));
  EXPECT_EQ(reps(r, "PID", 14), (std::vector<std::string>{"0113 4960000 ext. 12^WPN^PH",
                                                          "^NET^Internet^s.briain@work.example"}));
  const auto addr = reps(r, "PID", 11);
  ASSERT_EQ(addr.size(), 3u);
  EXPECT_EQ(addr[0].substr(addr[0].rfind('^') + 1), "H");
  EXPECT_EQ(addr[1].substr(addr[1].rfind('^') + 1), "M");  // postal
  EXPECT_EQ(addr[2].substr(addr[2].rfind('^') + 1), "BA");
}

TEST(RoundTripVariants, TimingFromAnyPlaceComesBackAsInstants) {
  struct Want {
    const char* name;
    const char* start;
    const char* end;
  };
  for (const Want& w :
       {Want{"time_sch11_tq3_duration_only", "20241215141000+0000", "20241215143000+0000"},
        Want{"time_ais_start_and_duration_only", "20241215141000+0000", "20241215144000+0000"},
        Want{"time_aip_start_and_duration_only", "20241215141000+0000", "20241215143000+0000"},
        Want{"time_sent_in_bst_for_gmt_appointment", "20241104093000+0000", "20241104095000+0000"},
        Want{"time_sent_in_gmt_for_bst_appointment", "20250402093000+0100", "20250402095000+0100"},
        Want{"time_sender_in_another_zone", "20241215091000-0500", "20241215093000-0500"}}) {
    SCOPED_TRACE(w.name);
    const auto r = round_trip("appointments", w.name);
    const auto tq1 = find_segment(r.out, "TQ1");
    ASSERT_TRUE(tq1) << r.er7;
    EXPECT_EQ(tq1->field(7), w.start);
    EXPECT_EQ(tq1->field(8), w.end);
  }
}

TEST(RoundTripVariants, RoomWithoutPointOfCareIsKept) {
  for (const auto& [name, room] : std::vector<std::pair<const char*, const char*>>{
           {"room_pl2_only", "FCP Room 2"}, {"room_pl9_only", "Physio room, Leeds Road"}}) {
    SCOPED_TRACE(name);
    const auto r = round_trip("appointments", name);
    const auto ail = find_segment(r.out, "AIL");
    ASSERT_TRUE(ail) << r.er7;
    EXPECT_EQ(r.out.unescape(ail->component(3, 1, 9)), room);
  }
}

TEST(RoundTripVariants, ProvidersComeBackInTheirRoles) {
  {
    const auto r = round_trip("referrals", "prd_rt_service_with_ods");
    const auto rt = find_segment(r.out, "PRD", 2);
    ASSERT_TRUE(rt) << r.er7;
    EXPECT_EQ(rt->component(1, 1, 1), "RT");
    EXPECT_EQ(rt->component(4, 1, 4), "RR8");
    EXPECT_EQ(rt->component(4, 1, 9), "Leeds Community MSK Service");
    EXPECT_EQ(rt->field(7), "RR8^ODS");
  }
  {
    const auto r = round_trip("referrals", "prd_pp_gp_and_practice_no_pd1");
    std::vector<std::string> pp;
    for (int n = 1; n <= 6; ++n)
      if (const auto s = find_segment(r.out, "PRD", n); s && s->component(1, 1, 1) == "PP")
        pp.push_back(std::string(s->field(7)));
    EXPECT_EQ(pp, (std::vector<std::string>{"B82005^ODS", "G1234567^GMP"})) << r.er7;
  }
}

// All fields `f` of every `seg`, unescaped, in message order.
static std::vector<std::string> each_field(const RoundTrip& r, std::string_view seg,
                                           std::size_t f) {
  std::vector<std::string> v;
  for (std::size_t i = 1; i <= r.out.segment_count(); ++i) {
    const auto s = r.out.segment(i);
    if (s.id() == seg) v.push_back(std::string(s.field(f)));
  }
  return v;
}

TEST(RoundTripVariants, ResourceRoleComesBackInAip4) {
  // A role the table knows comes back as its ParticipationType code (read again the same), a
  // sender's own role as sent, with its local coding system (L), no role as ATND (what it was
  // read as).
  auto r = round_trip("appointments", "aip_roles_table_local_and_none");
  EXPECT_EQ(each_field(r, "AIP", 4),
            (std::vector<std::string>{"ATND", "OBS^Student observer^L", "ATND", "CON"}))
      << r.er7;
  r = round_trip("appointments", "s12_fcp_booking_bst");
  EXPECT_EQ(each_field(r, "AIP", 4), (std::vector<std::string>{"R1110^Physiotherapist^L"})) << r.er7;
}

TEST(RoundTripVariants, PatientInstructionsAndOrderNumbersComeBack) {
  auto r = round_trip("appointments", "s12_nte_patient_instructions_pi");
  EXPECT_EQ(each_field(r, "NTE", 4),
            (std::vector<std::string>{"", "PI^Patient Instructions^HL70364"}))
      << r.er7;
  r = round_trip("appointments", "s12_sch26_ubrn_namespaces_and_filler_order");
  EXPECT_EQ(reps(r, "SCH", 26), (std::vector<std::string>{"000044556677^UBRN", "PO-881"})) << r.er7;
  EXPECT_EQ(reps(r, "SCH", 27), (std::vector<std::string>{"FO-17"})) << r.er7;
  r = round_trip("appointments", "s12_sch26_ubrn_universal_id");
  EXPECT_EQ(reps(r, "SCH", 26), (std::vector<std::string>{"000044556688^UBRN"})) << r.er7;
  r = round_trip("referrals", "i12_nte_patient_instructions_pi");
  const auto types = each_field(r, "NTE", 4);
  EXPECT_EQ(std::count(types.begin(), types.end(), "PI^Patient Instructions^HL70364"), 1) << r.er7;
}

TEST(RoundTripVariants, FitNoteSentInAnyCodingComesBackAsMed3) {
  for (const char* name :
       {"med3_systmone_99tpp", "med3_snomed_concept", "med3_local_code_text_fit_note",
        "med3_text_only", "med3_alternate_coding_emed3"}) {
    SCOPED_TRACE(name);
    const auto r = round_trip("fitnotes", name);
    EXPECT_EQ(each_field(r, "TXA", 2),
              (std::vector<std::string>{"MED3^Statement of fitness for work^L"}))
        << r.er7;
  }
}

TEST(RoundTripVariants, ReferralCategoryComesBackInRf15) {
  const auto r = round_trip("referrals", "i12_ers_ubrn_in_rf1_6");
  const auto rf1 = find_segment(r.out, "RF1");
  ASSERT_TRUE(rf1);
  EXPECT_EQ(std::string(rf1->field(5)), "O^Outpatient^HL70284") << r.er7;
}

TEST(RoundTripVariants, RoomLabelBesidePointOfCareAndDescriptionIsKept) {
  const auto r = round_trip("appointments", "room_pl1_pl2_pl9");
  const auto ail = find_segment(r.out, "AIL");
  ASSERT_TRUE(ail);
  EXPECT_EQ(std::string(ail->field(3)), "FCP-R3^Room 3^^B82018^^^^^Physio Room 3") << r.er7;
}

TEST(RoundTripVariants, RoomAtAnotherSiteKeepsItsFacility) {
  // PL.4 of a room is its site (Location.partOf by ODS site code), which need not be MSH-4.
  const auto r = round_trip("appointments", "room_site_other_than_sender");
  const auto ail = find_segment(r.out, "AIL");
  ASSERT_TRUE(ail);
  EXPECT_EQ(std::string(ail->field(3)), "MSK2^^^RR801^^^^^Physiotherapy outpatients, St James")
      << r.er7;
}

TEST(RoundTripVariants, DocumentTimesComeBack) {
  // TXA-4 (activity) is read into context.period.start and comes back beside TXA-6 (origination,
  // DocumentReference.date); the OBX-14 of a referral's ED document is its date.
  const auto doc = round_trip("documents", "fcp_letter_pdf_ed");
  const auto txa = find_segment(doc.out, "TXA");
  ASSERT_TRUE(txa);
  EXPECT_EQ(std::string(txa->field(4)), "20240415103500+0100") << doc.er7;
  const auto ref = round_trip("referrals", "i12_obx_ed_pdf_letter");
  EXPECT_EQ(each_field(ref, "OBX", 14),
            (std::vector<std::string>{"", "20250611143000+0100"}))
      << ref.er7;
}

TEST(RoundTripVariants, LocalReferralTypeComesBackInRf13) {
  // An RF1-3 in the practice's own coding system (99TPP) is read into category as sent and
  // written back from it, with its coding system.
  const auto r = round_trip("local-codes", "ref_i12_rf1_3_local_mapped");
  const auto rf1 = find_segment(r.out, "RF1");
  ASSERT_TRUE(rf1);
  EXPECT_EQ(std::string(rf1->component(3, 1, 1)), "PHYSIO") << r.er7;
  EXPECT_EQ(std::string(rf1->component(3, 1, 3)), "99TPP") << r.er7;
}
