#include "gateway/http/routes.h"

#include <gtest/gtest.h>

namespace fcpgw::gateway::http {
namespace {

using boost::beast::http::verb;

TEST(Routes, MatchesEachRoute) {
  EXPECT_EQ(match_route("/healthz").route, Route::healthz);
  EXPECT_EQ(match_route("/readyz").route, Route::readyz);
  EXPECT_EQ(match_route("/metrics").route, Route::metrics);
  EXPECT_EQ(match_route("/hl7v2").route, Route::hl7v2);
  EXPECT_EQ(match_route("/fhir").route, Route::fhir_root);
  EXPECT_EQ(match_route("/fhir/").route, Route::fhir_root);
  EXPECT_EQ(match_route("/fhir/metadata").route, Route::fhir_metadata);
  EXPECT_EQ(match_route("/fhir/$process-message").route, Route::fhir_process_message);
  EXPECT_EQ(match_route("/fhir/Appointment").route, Route::fhir_type);
  EXPECT_EQ(match_route("/fhir/ServiceRequest/abc").route, Route::fhir_instance);
  EXPECT_EQ(match_route("/fhir/Task/A-1.b").route, Route::fhir_instance);
}

TEST(Routes, FhirPathIsTheTargetBelowFhirWithItsQuery) {
  EXPECT_EQ(match_route("/fhir").fhir_path, "");
  EXPECT_EQ(match_route("/fhir/Appointment/12").fhir_path, "Appointment/12");
  EXPECT_EQ(match_route("/fhir/Task?identifier=a|b").fhir_path, "Task?identifier=a|b");
  EXPECT_EQ(match_route("/fhir/$process-message").fhir_path, "$process-message");
  EXPECT_EQ(match_route("/fhir/metadata").fhir_path, "");
  EXPECT_EQ(match_route("/healthz?x=1").route, Route::healthz);
}

TEST(Routes, UnknownPaths) {
  for (const char* t :
       {"/", "", "/fhir/Patient", "/fhir/Patient/1", "/fhir/Task/1/_history/2", "/fhir/Task/",
        "/fhir/Task/bad id", "/fhir/Task/a_b", "/fhirx", "/journal/", "/journal/0", "/journal/-1",
        "/journal/12a", "/journal/1234567890123456789", "/healthz/", "http://h/healthz"}) {
    EXPECT_EQ(match_route(t).route, Route::unknown) << t;
  }
  EXPECT_EQ(match_route("/fhir/Task/" + std::string(64, 'a')).route, Route::fhir_instance);
  EXPECT_EQ(match_route("/fhir/Task/" + std::string(65, 'a')).route, Route::unknown);
}

TEST(Routes, JournalId) {
  const RouteMatch m = match_route("/journal/42");
  EXPECT_EQ(m.route, Route::journal);
  EXPECT_EQ(m.journal_id, 42);
  EXPECT_EQ(match_route("/journal/123456789012345678").journal_id, 123456789012345678);
}

TEST(Routes, MethodsAndAllow) {
  EXPECT_TRUE(method_allowed(Route::fhir_type, verb::post));
  EXPECT_TRUE(method_allowed(Route::fhir_type, verb::put));
  EXPECT_FALSE(method_allowed(Route::fhir_instance, verb::post));
  EXPECT_TRUE(method_allowed(Route::fhir_instance, verb::put));
  EXPECT_FALSE(method_allowed(Route::fhir_root, verb::get));
  EXPECT_FALSE(method_allowed(Route::healthz, verb::head));
  EXPECT_EQ(allowed_methods(Route::fhir_type), "POST, PUT");
  EXPECT_EQ(allowed_methods(Route::journal), "GET");
}

TEST(Routes, PatternsCarryNoIds) {
  EXPECT_EQ(route_pattern(Route::fhir_instance), "/fhir/{type}/{id}");
  EXPECT_EQ(route_pattern(Route::journal), "/journal/{id}");
}

TEST(MediaTypes, FhirAndV2) {
  EXPECT_TRUE(is_fhir_media_type("application/fhir+json"));
  EXPECT_TRUE(is_fhir_media_type(" Application/Fhir+Json ; charset=utf-8"));
  EXPECT_TRUE(is_fhir_media_type("application/json;charset=UTF-8"));
  EXPECT_FALSE(is_fhir_media_type("application/fhir+xml"));
  EXPECT_FALSE(is_fhir_media_type("application/jsonx"));
  EXPECT_FALSE(is_fhir_media_type(""));
  EXPECT_TRUE(is_v2_media_type("x-application/hl7-v2+er7"));
  EXPECT_TRUE(is_v2_media_type("application/hl7-v2; charset=utf-8"));
  EXPECT_TRUE(is_v2_media_type("text/plain"));
  EXPECT_FALSE(is_v2_media_type("application/json"));
  EXPECT_EQ(media_type("a/b ; q=1"), "a/b");
}

}  // namespace
}  // namespace fcpgw::gateway::http
