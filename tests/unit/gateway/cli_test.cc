// In-process tests of the command line: argument errors and bad inputs. No sockets, no peers.
#include "gateway/cli/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/cli/golden_cases.h"
#include "test_support.h"

namespace fcpgw::gateway {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run;

class CliTest : public testing::TempDirTest {};

// ---- usage ----------------------------------------------------------------------------------

TEST_F(CliTest, NoCommandIsAUsageError) {
  auto r = run({});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("translate"));
}

TEST_F(CliTest, VersionAndHelp) {
  auto v = run({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_THAT(v.out, HasSubstr(std::string("fcpgw ") + std::string(version())));
  auto h = run({"help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_THAT(h.out, AllOf(HasSubstr("translate"), HasSubstr("validate")));
  auto th = run({"translate", "--help"});
  EXPECT_EQ(th.code, 0);
  EXPECT_THAT(th.out, AllOf(HasSubstr("--to"), HasSubstr("--previous")));
}

TEST_F(CliTest, UnknownCommandOrOption) {
  EXPECT_EQ(run({"frobnicate"}).code, 2);
  EXPECT_EQ(run({"translate", "--no-such-option", "x"}).code, 2);
}

TEST_F(CliTest, TranslateNeedsAFile) {
  auto r = run({"translate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("FILE"));
}

TEST_F(CliTest, TranslateRejectsUnknownDirection) {
  auto r = run({"translate", "--to", "xml", "x.hl7"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--to"));
}

TEST_F(CliTest, PrettyAndNdjsonExcludeEachOther) {
  auto r = run({"translate", "--pretty", "--ndjson", "x.hl7"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--pretty"));
}

TEST_F(CliTest, PrettyWithSeveralFilesIsRefused) {
  auto r = run({"translate", "--pretty", "a.hl7", "b.hl7"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--pretty"));
}

TEST_F(CliTest, PreviousWithSeveralFilesIsRefused) {
  auto r = run({"translate", "--previous", "p.json", "a.json", "b.json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--previous"));
}

TEST_F(CliTest, StdinOnlyOnce) { EXPECT_EQ(run({"validate", "-", "-"}).code, 2); }

TEST_F(CliTest, MaxInputBytesMustBePositive) {
  EXPECT_EQ(run({"validate", "--max-input-bytes", "0", "x.json"}).code, 2);
  EXPECT_EQ(run({"validate", "--max-input-bytes", "lots", "x.json"}).code, 2);
}

TEST_F(CliTest, MissingMappingsDirectoryIsNamed) {
  const std::string f = file("m.hl7", "MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5.1\r");
  auto r = run({"translate", "--mappings", path("nowhere"), f});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr(path("nowhere")), HasSubstr("does not exist")));
}

TEST_F(CliTest, BadMappingFileIsNamed) {
  fs::create_directories(dir_ / "maps");
  file("maps/broken-mapping.json", "{ \"mapping\": ");
  const std::string f = file("m.hl7", "MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5.1\r");
  auto r = run({"translate", "--mappings", path("maps"), f});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("mapping error"), HasSubstr("broken-mapping.json")));
  EXPECT_EQ(r.out, "");
}

// mappings/schema.json (the JSON Schema, for editors) is not read as mapping data; a file of
// that name in a subfolder is.
TEST_F(CliTest, SchemaAtTheMappingsRootIsNotMappingData) {
  fs::create_directories(dir_ / "maps" / "tables");
  file("maps/schema.json", R"({"$schema": "http://json-schema.org/draft-07/schema#"})");
  const std::string f = file("m.hl7", "MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5.1\r");
  auto r = run({"translate", "--mappings", path("maps"), f});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("holds no mapping files"), Not(HasSubstr("schema.json"))));
  file("maps/tables/schema.json", R"({"$schema": "http://json-schema.org/draft-07/schema#"})");
  r = run({"translate", "--mappings", path("maps"), f});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("tables/schema.json"), HasSubstr("neither a mapping file")));
}

// ---- bad inputs -----------------------------------------------------------------------------

TEST_F(CliTest, MissingFile) {
  auto r = run({"validate", path("absent.json")});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr(path("absent.json")), HasSubstr("no such file")));
}

TEST_F(CliTest, DirectoryInsteadOfFile) {
  auto r = run({"validate", dir_.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("is a directory"));
}

TEST_F(CliTest, EmptyInput) {
  auto r = run({"validate", file("empty.json", "")});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("empty input"));
  auto ws = run({"validate", file("blank.json", " \r\n\t\n")});
  EXPECT_EQ(ws.code, 2);
  EXPECT_THAT(ws.err, HasSubstr("empty input"));
}

TEST_F(CliTest, BinaryGarbageNamesTheByteNotTheContent) {
  std::string garbage("\n\x00\x01\x02SECRET", 10);
  auto r = run({"validate", file("bin.dat", garbage)});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("byte 1"), HasSubstr("0x00"), Not(HasSubstr("SECRET"))));
}

TEST_F(CliTest, InputAtTheLimitIsReadOneByteMoreIsRefused) {
  const std::string json = R"({"resourceType":"Basic","code":{"text":"x"}})";
  const std::string f = file("r.json", json);
  const std::string limit = std::to_string(json.size());
  auto at = run({"validate", "--max-input-bytes", limit, f});
  EXPECT_NE(at.code, 2) << at.err;
  auto over = run({"validate", "--max-input-bytes", std::to_string(json.size() - 1), f});
  EXPECT_EQ(over.code, 2);
  EXPECT_THAT(over.err, HasSubstr("larger than the limit of"));
}

TEST_F(CliTest, LargeInputIsRefusedWithoutReadingItAll) {
  // 64 MiB of JSON-looking data against a 1 MiB limit.
  const std::string f = path("big.json");
  {
    std::ofstream o(f, std::ios::binary);
    o << "{\"resourceType\":\"Basic\",\"x\":\"";
    const std::string block(1 << 20, 'a');
    for (int i = 0; i < 64; ++i) o << block;
    o << "\"}";
  }
  auto r = run({"validate", "--max-input-bytes", "1MiB", f});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("larger than the limit of 1048576 bytes"));
}

TEST_F(CliTest, MalformedJsonIsReportedWithPositionAndNoData) {
  auto r =
      run({"validate",
           file("bad.json",
                "{\"resourceType\":\"Patient\",\n\"name\":[{\"family\":\"JONESSMITH\"}] \"x\"}")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, AllOf(HasSubstr("OperationOutcome"), HasSubstr("line 2")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("JONESSMITH")));
}

TEST_F(CliTest, InvalidUtf8IsAFindingNotACrash) {
  auto r = run(
      {"validate", file("latin1.json",
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"M\xfcller\"}]}")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("OperationOutcome"));
}

TEST_F(CliTest, ValidateReportsValidationErrorsWithExit1) {
  auto r = run(
      {"validate", file("appt.json", R"({"resourceType":"Appointment","status":"not-a-status"})")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, AllOf(HasSubstr("\"resourceType\":\"OperationOutcome\""),
                           HasSubstr("Appointment.participant")));
}

TEST_F(CliTest, ValidateReportsAResourceTypeGivenAsANumber) {
  auto r = run({"validate", file("num.json", R"({"resourceType":-0})")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, AllOf(HasSubstr("\"resourceType\":\"OperationOutcome\""),
                           HasSubstr("resourceType is required and must be a string")));
  EXPECT_EQ(r.out.find('\xFF'), std::string::npos);
}

TEST_F(CliTest, ValidateAcceptsAValidResource) {
  const std::string appt = R"({"resourceType":"Appointment","status":"booked",
    "start":"2024-03-01T09:00:00Z","end":"2024-03-01T09:20:00Z",
    "participant":[{"actor":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"status":"accepted"},
                   {"actor":{"display":"Physiotherapist"},"status":"accepted"}]})";
  auto r = run({"validate", file("appt.json", appt)});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("OperationOutcome"));
}

TEST_F(CliTest, JsonWithUtf8BomIsRead) {
  const std::string appt =
      "\xEF\xBB\xBF"
      R"({"resourceType":"Appointment","status":"booked",
    "start":"2024-03-01T09:00:00Z","end":"2024-03-01T09:20:00Z",
    "participant":[{"actor":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},"status":"accepted"},
                   {"actor":{"display":"Physiotherapist"},"status":"accepted"}]})";
  auto r = run({"validate", file("bom.json", appt)});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_F(CliTest, TwoJsonDocumentsInOneFileAreMalformed) {
  auto r = run({"validate", file("two.json", "{\"resourceType\":\"Basic\"}\n{}\n")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("line 2"));
}

// ---- FHIR -> v2 ----------------------------------------------------------------------------

// An Appointment with its Patient contained; `family` and `nhs` are put in as they are.
std::string appointment_with_patient(const std::string& family, const std::string& nhs) {
  return R"({"resourceType":"Appointment","meta":{"lastUpdated":"2024-03-01T08:00:00Z"},
    "contained":[{"resourceType":"Patient","id":"p","identifier":[
      {"system":"https://fhir.nhs.uk/Id/nhs-number","value":")" +
         nhs + R"("}],"name":[{"family":")" + family + R"("}]}],
    "identifier":[{"system":"https://example.org/appt","value":"A1"}],
    "status":"booked","start":"2024-03-01T09:00:00Z","end":"2024-03-01T09:20:00Z",
    "participant":[{"actor":{"reference":"#p"},"status":"accepted"}]})";
}

TEST_F(CliTest, TranslateToV2WritesAValidAppointment) {
  auto r = run({"translate", "--to", "v2",
                file("ok.json", appointment_with_patient("JONES", "9434765919"))});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("SIU^S12"), HasSubstr("PID|1||9434765919^^^NHS^NH")));
}

TEST_F(CliTest, TranslateToV2RefusesInvalidFhirNamingPathsNotValues) {
  // A control character (it would go raw into the ER7) and a bad NHS check digit.
  auto r = run({"translate", "--to", "v2",
                file("bad.json", appointment_with_patient("JONES\\u0007SMITH", "9434765918"))});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, AllOf(HasSubstr("bad.json: error: "), HasSubstr(".name[0].family"),
                           HasSubstr(".identifier[0].value")));
  EXPECT_THAT(r.err, AllOf(Not(HasSubstr("JONES")), Not(HasSubstr("9434765918"))));
}

// ---- v2 -> FHIR ----------------------------------------------------------------------------

TEST_F(CliTest, FitNoteRenderedPdfIsCarriedAndOtherItemsAreReported) {
  const std::string mdm =
      "MSH|^~\\&|EMIS|B82005|FCPGW|NHS-FCP|20240415103000||MDM^T02^MDM_T02|FN1|P|2.5.1\r"
      "EVN|T02|20240415103000\r"
      "PID|1||9434765919^^^NHS^NH||JONES^Ann\r"
      "PV1|1|O\r"
      "TXA|1|MED3^Statement of fitness for work^L|TX|||20240415102500|||"
      "PH104233^Hartley^Joanne^^^^^^HCPC|||FN-1|||||AU||AV\r"
      "OBX|1|CE|ADVICE^Advice^L||NOTFIT^Not fit for work^L||||||F\r"
      "OBX|2|DR|PERIOD^Period covered^L||20240415^20240513||||||F\r"
      "OBX|3|ED|PDF^Rendered fit note^L||^AP^PDF^Base64^JVBERi0xLjQK||||||F\r"
      "OBX|4|ST|XRAY^Imaging^L||not a fit-note item||||||F\r";
  auto r = run({"translate", file("fn.hl7", mdm)});
  EXPECT_EQ(r.code, 0) << r.err;
  // The rendered note (ED) is carried as a DocumentReference; the unknown item is reported.
  EXPECT_THAT(
      r.out, AllOf(HasSubstr("\"resourceType\":\"DocumentReference\""), HasSubstr("JVBERi0xLjQK")));
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("warning: OBX[4]-3[1]: OBX-3 is not a fit-note item"),
                    Not(HasSubstr("OBX[1]")), Not(HasSubstr("OBX[2]")), Not(HasSubstr("OBX[3]"))));
}

}  // namespace
}  // namespace fcpgw::gateway

namespace fcpgw::gateway {
namespace {

// translate and validate agree: every input that a golden case says must be refused is refused
// by `translate` (exit 2) and reported as an error by `validate` (exit 1); every case that must
// translate does, and validates without errors.
TEST_F(CliTest, TranslateAndValidateAgreeOnEveryGoldenCase) {
  const fs::path golden = fs::path(FCPGW_SOURCE_DIR) / "mappings" / "golden";
  const std::string maps = (fs::path(FCPGW_SOURCE_DIR) / "mappings").string();
  int refused = 0;
  int accepted = 0;
  for (const auto& e : fs::recursive_directory_iterator(golden)) {
    const std::string name = e.path().filename().string();
    const bool v2 = name.ends_with(".hl7") && !name.ends_with(".expected.hl7");
    const bool fhir = name.ends_with(".json") && name.find(".expected") == std::string::npos &&
                      !name.ends_with(".previous.json") && !name.ends_with(".options.json");
    if (!v2 && !fhir) continue;
    if (name == kGoldenConstantsFile) continue;  // a folder's constants, not a case
    if (e.path().parent_path().filename() == kGoldenTablesFolder) continue;  // its code tables
    const std::string stem = e.path().string().substr(0, e.path().string().rfind('.'));
    const bool must_fail = fs::exists(stem + ".expected-error.json");
    std::vector<std::string> args{"translate", "--mappings", maps, "--quiet"};
    if (fs::exists(stem + ".previous.json")) {
      args.push_back("--previous");
      args.push_back(stem + ".previous.json");
    }
    args.push_back(e.path().string());
    SCOPED_TRACE(e.path().string());
    const auto t = run(args);
    const auto v = run({"validate", "--mappings", maps, e.path().string()});
    if (must_fail) {
      ++refused;
      EXPECT_EQ(t.code, 2) << t.err;
      EXPECT_EQ(v.code, 1) << v.out << v.err;
    } else {
      ++accepted;
      EXPECT_EQ(t.code, 0) << t.err;
      EXPECT_EQ(v.code, 0) << v.out << v.err;
    }
  }
  EXPECT_GT(refused, 30);
  EXPECT_GT(accepted, 90);
}

// --message-time makes `translate` give what the golden runner gives: the expected file of a
// case whose resource carries no time of its own matches byte for byte (but line ends).
TEST_F(CliTest, MessageTimeMatchesTheGoldenRunner) {
  const fs::path golden = fs::path(FCPGW_SOURCE_DIR) / "mappings" / "golden" / "appointments";
  const std::string input = (golden / "fhir_booked_no_last_updated.json").string();
  auto normal = [](std::string s) {
    std::string out;
    for (char c : s) {
      if (c == '\r') c = '\n';
      if (c == '\n' && out.ends_with('\n')) continue;
      out += c;
    }
    return out;
  };
  const auto t = run({"translate", "--lf", "--message-time", "2025-06-02T09:00:00+01:00", input});
  EXPECT_EQ(t.code, 0) << t.err;
  EXPECT_EQ(normal(t.out),
            normal(testing::read_file(golden / "fhir_booked_no_last_updated.expected.hl7")));
  const auto other = run({"translate", "--lf", "--message-time", "2030-01-31T23:59:59Z", input});
  EXPECT_THAT(other.out, HasSubstr("|20300131235959+0000|"));

  // A resource with a time of its own keeps it.
  const std::string own = (golden / "fhir_booked_bundle.json").string();
  const auto kept = run({"translate", "--lf", "--message-time", "2030-01-31T23:59:59Z", own});
  EXPECT_EQ(kept.code, 0) << kept.err;
  EXPECT_THAT(kept.out, Not(HasSubstr("2030")));

  const auto bad = run({"translate", "--message-time", "2025-06-02", input});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--message-time: expected a FHIR instant with its offset"));
  const auto v2 = run({"translate", "--message-time", "2025-06-02T09:00:00Z",
                       (golden / "s15_cancelled.hl7").string()});
  EXPECT_EQ(v2.code, 2);
  EXPECT_THAT(v2.err, HasSubstr("--message-time applies to FHIR -> v2 translation only"));
}

// --explain: what was not written and why, on stderr; the output is unchanged.
TEST_F(CliTest, ExplainNamesWhatWasNotWritten) {
  const fs::path golden = fs::path(FCPGW_SOURCE_DIR) / "mappings" / "golden" / "appointments";
  std::string text = testing::read_file(golden / "room_pl9_only.hl7");
  const auto at = text.find("AIL|1|A|");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, text.find_first_of("\r\n", at) - at, "AIL|1|A||CLINIC^Clinic room^L");
  const std::string room = file("room.hl7", text);
  const auto plain = run({"translate", room});
  const auto explained = run({"translate", "--explain", room});
  EXPECT_EQ(explained.code, 0) << explained.err;
  EXPECT_EQ(explained.out, plain.out);
  EXPECT_THAT(explained.err, HasSubstr("fcpgw: explain: " + room +
                                       ": message 1 (byte 0) "
                                       "(mapping siu-to-fhir)\n"));
  EXPECT_THAT(explained.err,
              HasSubstr("\n  resource location (Location) for AIL not written: when any(present "
                        "AIL-3.1, present AIL-3.2, present AIL-3.9, present AIL-3.4.1) did not "
                        "hold  (v2-to-fhir/siu.json: #location)\n"));
  EXPECT_THAT(explained.err, Not(HasSubstr("fcpgw: trace:")));
  for (const char* value : {"9434765919", "Briain", "19850214"})
    EXPECT_THAT(explained.err, Not(HasSubstr(value)));
  // Together with --trace, both.
  const auto both = run({"translate", "--explain", "--trace", room});
  EXPECT_THAT(both.err, AllOf(HasSubstr("fcpgw: trace:"), HasSubstr("fcpgw: explain:")));
}

}  // namespace
}  // namespace fcpgw::gateway
