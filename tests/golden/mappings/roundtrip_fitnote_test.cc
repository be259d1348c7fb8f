// Property test: a few hundred random but valid fit-note MDM^T02 messages (seeded, so every run
// sees the same ones) go v2 -> FHIR document Bundle -> v2, and every mapped field comes back:
// patient identifiers and name, issuer, fit-note id, parent note, completion status, date of
// statement, and each OBX item (advice, period, tick boxes, reassessment, conditions, comments,
// date of assessment, method). Text carries UTF-8 and every v2 delimiter character.

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "fhir/json.h"
#include "fhir/validation.h"
#include "golden_support.h"
#include "hl7v2/message.h"

using namespace fcpgw;

namespace {

const mappings::Engine& engine() { return mappings::testing::shipped_engine(); }

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '|':
        out += "\\F\\";
        break;
      case '^':
        out += "\\S\\";
        break;
      case '&':
        out += "\\T\\";
        break;
      case '~':
        out += "\\R\\";
        break;
      case '\\':
        out += "\\E\\";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

struct Gen {
  std::mt19937 rng;
  explicit Gen(unsigned seed) : rng(seed) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool coin() { return uniform(0, 1) == 1; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(uniform(0, static_cast<int>(v.size()) - 1))];
  }
  std::string nhs_number() {
    for (;;) {
      std::string n;
      int sum = 0;
      for (int i = 0; i < 9; ++i) {
        const int d = uniform(i == 0 ? 1 : 0, 9);
        n.push_back(static_cast<char>('0' + d));
        sum += d * (10 - i);
      }
      int check = 11 - sum % 11;
      if (check == 11) check = 0;
      if (check == 10) continue;
      n.push_back(static_cast<char>('0' + check));
      return n;
    }
  }
  std::string date(int y, int m, int d) {
    char b[48];
    std::snprintf(b, sizeof b, "%04d%02d%02d", y, m, d);
    return b;
  }
  std::string text() {
    static const std::vector<std::string> words = {
        "lifting",  "Siân",        "café", "≤10kg",    "a|b",      "x^y",   "p&q",
        "r~s",      "back\\slash", "–",    "naïve",    "“quoted”", "hours", "Zoë",
        "mornings", "phased",      "£20",  "Ó Briain", "duties",   "ü",     "日本"};
    std::string s;
    const int n = uniform(1, 12);
    for (int i = 0; i < n; ++i) {
      if (i) s.push_back(' ');
      s += pick(words);
    }
    return s;
  }
};

const std::vector<std::pair<std::string, std::string>> kConditions = {
    {"279039007", "Low back pain"},          {"202708007", "Sciatica"},
    {"239873007", "Osteoarthritis of knee"}, {"202855006", "Lateral epicondylitis"},
    {"45326000", "Shoulder pain"},           {"81680005", "Neck pain"}};
const std::vector<std::string> kTicks = {"PHASED", "ALTHOURS", "AMENDED", "ADAPT"};
const std::vector<std::string> kMethods = {"F2F", "TEL", "VIDEO", "REPORT"};

std::string make_message(Gen& g, int i) {
  const int y = g.uniform(2023, 2025), m = g.uniform(1, 12), d = g.uniform(1, 28);
  const std::string day = g.date(y, m, d);
  const int hour = g.uniform(8, 17);
  const std::string hhmm = (hour < 10 ? "0" : "") + std::to_string(hour) + (g.coin() ? "15" : "45");
  const std::string id = "FN-B82005-" + std::to_string(100000 + i);
  std::vector<std::string> seg;
  seg.push_back("MSH|^~\\&|EMIS|B82005|FCPGW|NHS-FCP|" + day + hhmm + "||MDM^T02^MDM_T02|C" +
                std::to_string(i) + "|P|2.5.1|||AL|NE||UNICODE UTF-8");
  seg.push_back("EVN|T02|" + day + hhmm);
  const std::vector<std::string> family = {"Ó Briain", "Ní Bhriain", "Smith-Jones", "O'Neill",
                                           "Wójcik",   "Müller",     "Fitz&Co",     "Hart^ley"};
  const std::vector<std::string> given = {"Siân", "Zoë", "Éilís", "Gareth", "Anna|Marie", "Li"};
  seg.push_back("PID|1||" + g.nhs_number() + "^^^NHS^NH||" + esc(g.pick(family)) + "^" +
                esc(g.pick(given)) + "^^^^^L||19" + std::to_string(g.uniform(40, 99)) + "0612|" +
                (g.coin() ? "F" : "M"));
  seg.push_back("PV1|1|O");
  const std::string parent = g.uniform(0, 4) == 0 ? "FN-B82005-0" + std::to_string(i) : "";
  seg.push_back("TXA|1|MED3^Statement of fitness for work^L|TX|" + day + hhmm + "||" + day + hhmm +
                "|||PH" + std::to_string(g.uniform(100000, 999999)) + "^" + esc(g.pick(family)) +
                "^" + esc(g.pick(given)) + "^^^^^^HCPC|||" + id + "|" + parent + "||||" +
                (g.coin() ? "LA" : "AU") + "||AV");
  int k = 0;
  auto obx = [&](std::string type, std::string item, std::string value) {
    seg.push_back("OBX|" + std::to_string(++k) + "|" + type + "|" + item + "^" + item + "^L||" +
                  value + "||||||F");
  };
  const bool maybe = g.coin();
  obx("CE", "ADVICE",
      maybe ? "MAYBEFIT^May be fit for work taking account of advice^L" : "NOTFIT^Not fit^L");
  const int len = g.uniform(0, 88);
  // End date: start + len days, by calendar arithmetic on a day count.
  std::tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = m - 1;
  t.tm_mday = d + len;
  t.tm_hour = 12;
  std::mktime(&t);
  obx("DR", "PERIOD", day + "^" + g.date(t.tm_year + 1900, t.tm_mon + 1, t.tm_mday));
  for (const auto& tick : kTicks) {
    const int r = g.uniform(0, 2);  // 0 absent, 1 Y, 2 N
    if (r == 0) continue;
    obx("CE", tick, (r == 1 && maybe) ? "Y^Yes^HL70136" : "N^No^HL70136");
  }
  if (g.coin()) obx("CE", "REASSESS", g.coin() ? "Y^Yes^HL70136" : "N^No^HL70136");
  const int nc = g.uniform(1, 3);
  for (int c = 0; c < nc; ++c) {
    const auto& [code, text] = g.pick(kConditions);
    obx("CE", "CONDITION", code + "^" + text + "^SCT");
  }
  if (g.coin()) obx("TX", "COMMENTS", esc(g.text()));
  obx("TS", "ASSESSED", day + hhmm);
  if (g.coin()) obx("CE", "METHOD", g.pick(kMethods) + "^^L");
  std::string out;
  for (const auto& s : seg) out += s + "\r";
  return out;
}

// The mapped content of a fit-note message, decoded: "PID-3.1" -> values, "OBX:ADVICE" -> ...
std::multimap<std::string, std::string> record(const hl7v2::Message& msg) {
  std::multimap<std::string, std::string> r;
  auto put = [&](std::string key, std::string_view raw) {
    r.emplace(std::move(key), msg.unescape(raw));
  };
  const auto pid = msg.find("PID");
  const auto txa = msg.find("TXA");
  if (!pid || !txa) return r;
  put("PID-3.1", pid->component(3, 1, 1));
  put("PID-5.1", pid->component(5, 1, 1));
  put("PID-5.2", pid->component(5, 1, 2));
  put("PID-7", pid->field(7));
  put("PID-8", pid->field(8));
  put("TXA-2.1", txa->component(2, 1, 1));
  put("TXA-6", txa->field(6).substr(0, 12));  // the output adds seconds and the offset
  for (int c : {1, 2, 3, 9}) put("TXA-9." + std::to_string(c), txa->component(9, 1, c));
  put("TXA-12.1", txa->component(12, 1, 1));
  put("TXA-13.1", txa->component(13, 1, 1));
  put("TXA-17", txa->field(17));
  for (const auto& o : msg.all("OBX")) {
    const std::string item(o.component(3, 1, 1));
    put("OBX-2:" + item, o.field(2));
    if (item == "PERIOD") {
      put("OBX:PERIOD.start", o.component(5, 1, 1));
      put("OBX:PERIOD.end", o.component(5, 1, 2));
    } else if (item == "ASSESSED") {
      put("OBX:ASSESSED", o.field(5).substr(0, 12));
    } else if (item == "COMMENTS") {
      put("OBX:COMMENTS", o.field(5));
    } else if (item == "CONDITION") {
      put("OBX:CONDITION",
          std::string(o.component(5, 1, 1)) + "|" + std::string(o.component(5, 1, 3)));
    } else {
      put("OBX:" + item, o.component(5, 1, 1));
    }
    put("OBX-11:" + item, o.field(11));
  }
  return r;
}

}  // namespace

TEST(FitNoteRoundTrip, RandomValidFitNotesKeepEveryMappedField) {
  Gen g(20240415u);
  constexpr int kMessages = 300;
  for (int i = 0; i < kMessages; ++i) {
    const std::string er7 = make_message(g, i);
    SCOPED_TRACE("message " + std::to_string(i) + ":\n" + er7);
    auto in = hl7v2::Message::parse(er7);
    ASSERT_TRUE(in) << in.error().message;
    auto fwd = engine().v2_to_fhir(*in);
    ASSERT_TRUE(fwd) << fwd.error()[0].location << ": " << fwd.error()[0].message;
    ASSERT_EQ(fwd->mapping, "mdm-fitnote-to-fhir");
    auto doc = fhir::parse(fwd->output);
    ASSERT_TRUE(doc);
    for (const auto& issue : fhir::validate(doc->root()))
      ASSERT_FALSE(issue.severity == fhir::Severity::error) << issue.path << ": " << issue.message;
    auto back = engine().fhir_to_v2(doc->root());
    ASSERT_TRUE(back) << back.error()[0].location << ": " << back.error()[0].message;
    auto out = hl7v2::Message::parse(back->output);
    ASSERT_TRUE(out) << out.error().message;
    const auto want = record(*in);
    const auto got = record(*out);
    for (auto it = want.begin(); it != want.end(); it = want.upper_bound(it->first)) {
      const auto [a, b] = want.equal_range(it->first);
      const auto [c, d] = got.equal_range(it->first);
      std::multiset<std::string> x, y;
      for (auto p = a; p != b; ++p) x.insert(p->second);
      for (auto p = c; p != d; ++p) y.insert(p->second);
      // Empty inputs may be left out of the output.
      x.erase("");
      y.erase("");
      EXPECT_EQ(x, y) << it->first;
    }
  }
}
