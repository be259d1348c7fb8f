// The transform and valid-check catalogues: what the loader accepts and how it checks it.

#include "mappings/plan.h"

namespace fcpgw::mappings {

// ---- transform catalogue ----------------------------------------------------------------

const std::vector<TransformInfo>& transform_catalogue() {
  static const std::vector<TransformInfo> k = {
      {"dtm-instant", Tf::dtm_instant, false, false, true, false, {}, {}},
      {"dtm-datetime", Tf::dtm_datetime, false, false, true, false, {}, {}},
      {"dtm-date", Tf::dtm_date, false, false, true, false, {}, {}},
      {"dtm-instant-plus", Tf::dtm_instant_plus, false, false, true, false, {"amount", "unit"}, {}},
      {"duration-minutes", Tf::duration_minutes, false, true, true, false, {"unit"}, {}},
      {"integer", Tf::integer, false, true, true, false, {}, {}},
      {"positive-int", Tf::positive_int, false, true, true, false, {}, {}},
      {"decimal", Tf::decimal, false, true, true, false, {}, {}},
      {"boolean", Tf::boolean, false, true, true, false, {}, {}},
      {"trim", Tf::trim, false, false, true, true, {}, {}},
      {"upper", Tf::upper, false, false, true, true, {}, {}},
      {"lower", Tf::lower, false, false, true, true, {}, {}},
      {"uri-encode", Tf::uri_encode, false, false, true, true, {}, {}},
      {"oid-uri", Tf::oid_uri, false, false, true, false, {}, {}},
      {"xtn-phone", Tf::xtn_phone, false, false, true, false, {}, {}},
      {"nhs-number", Tf::nhs_number, false, false, true, true, {}, {}},
      {"ods-code", Tf::ods_code, false, false, true, true, {}, {}},
      {"cx-identifier",
       Tf::cx_identifier,
       true,
       false,
       true,
       false,
       {},
       {"v2-0203-identifier-type", "v2-assigning-authority-to-system",
        "v2-0203-to-national-system"}},
      {"xcn-identifier", Tf::xcn_identifier, true, false, true, false, {}, {}},
      {"ce-codeable-concept",
       Tf::ce_codeable_concept,
       true,
       false,
       true,
       false,
       {},
       {"v2-coding-system-to-uri"}},
      {"ce-coding", Tf::ce_coding, true, false, true, false, {}, {"v2-coding-system-to-uri"}},
      {"base64", Tf::base64, false, false, true, false, {}, {}},
      {"base64-encode", Tf::base64_encode, false, false, true, false, {}, {}},
      {"ed-content-type", Tf::ed_content_type, false, false, true, false, {}, {}},
      {"formatted-text", Tf::formatted_text, false, false, true, false, {}, {}},
      {"mime-ed-type", Tf::mime_ed_type, false, false, false, true, {}, {}},
      {"mime-ed-subtype", Tf::mime_ed_subtype, false, false, false, true, {}, {}},
      {"id-base-facility", Tf::id_base_facility, false, false, false, true, {}, {}},
      {"v2-coding-system",
       Tf::v2_coding_system,
       false,
       false,
       false,
       true,
       {},
       {"v2-coding-system-to-uri"}},
      {"search-identifier-system", Tf::search_identifier_system, false, false, false, true, {}, {}},
      {"search-identifier-value", Tf::search_identifier_value, false, false, false, true, {}, {}},
      {"fhir-dtm", Tf::fhir_dtm, false, false, false, true, {}, {}},
      {"minutes-between", Tf::minutes_between, false, false, false, true, {"end"}, {}},
  };
  return k;
}

const TransformInfo* find_transform(std::string_view name) {
  for (const auto& t : transform_catalogue())
    if (t.name == name) return &t;
  return nullptr;
}

const TransformInfo& transform_info(Tf id) {
  for (const auto& t : transform_catalogue())
    if (t.id == id) return t;
  return transform_catalogue().front();
}

const std::vector<ValidCheckInfo>& valid_check_catalogue() {
  static const std::vector<ValidCheckInfo> k = {
      {"nhs-number", true, true},
      {"ods-code", true, true},
      {"hcpc", true, true},
      {"hcpc-physiotherapist", true, true},
      {"gmc", true, true},
      {"gmp", true, true},
      {"oid", true, true},
      {"dtm", true, true},
      {"full-date", true, false},
      {"dtm-time", true, false},
      {"duration", true, false},
      {"cx-nhs-number", true, false},
      {"cx-nhs-number-conflict", true, false},
      {"cx-nhs-number-repeat", true, false},
      {"multi-line", false, true},
  };
  return k;
}

}  // namespace fcpgw::mappings
