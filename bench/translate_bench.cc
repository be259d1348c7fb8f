// Throughput of the translation hot path, one core:
//   v2 parse, SIU^S12 -> FHIR transaction Bundle (JSON text), FHIR Appointment Bundle -> SIU^S12,
//   FHIR JSON parse + validation.
// Inputs: bench/data/siu_s12_uk.hl7 (a UK FCP booking shaped like practice-system traffic) and
// ms_SIU-S12-01.hl7 from the shared corpus (3.5 KB, v2.8). Results go in bench/README.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "fhir/json.h"
#include "fhir/validation.h"
#include "hl7v2/message.h"
#include "mappings/engine.h"

namespace {

namespace fs = std::filesystem;
using fcpgw::mappings::Engine;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const Engine& engine() {
  static const Engine instance = [] {
    std::vector<fcpgw::mappings::SourceFile> files;
    for (const auto& entry : fs::recursive_directory_iterator(FCPGW_MAPPINGS_DIR)) {
      const auto& p = entry.path();
      if (!entry.is_regular_file() || p.extension() != ".json") continue;
      if (p.string().find("/golden/") != std::string::npos) continue;
      // The JSON Schema of the files, for editors: not mapping data (as `fcpgw` reads the folder).
      if (p.parent_path() == fs::path(FCPGW_MAPPINGS_DIR) && p.filename() == "schema.json")
        continue;
      files.push_back({fs::relative(p, FCPGW_MAPPINGS_DIR).generic_string(), read_file(p)});
    }
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    auto loaded = Engine::load(files);
    if (!loaded) throw std::runtime_error("mappings failed to load");
    return *loaded;
  }();
  return instance;
}

std::string input(const char* which) {
  if (std::string_view(which) == "uk")
    return read_file(fs::path(FCPGW_BENCH_DATA_DIR) / "siu_s12_uk.hl7");
  return read_file(fs::path(FCPGW_CORPUS_DIR) / "v2" / "ms_SIU-S12-01.hl7");
}

void set_counters(benchmark::State& state, std::size_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_v2_parse(benchmark::State& state, const char* which) {
  const std::string text = input(which);
  for (auto _ : state) {
    auto msg = fcpgw::hl7v2::Message::parse(text);
    benchmark::DoNotOptimize(msg);
  }
  set_counters(state, text.size());
}

void BM_siu_s12_to_bundle(benchmark::State& state, const char* which) {
  const std::string text = input(which);
  const Engine& e = engine();
  fcpgw::mappings::Translation out;
  for (auto _ : state) {
    auto msg = fcpgw::hl7v2::Message::parse(text);
    if (!msg || !e.v2_to_fhir(*msg, out)) {
      state.SkipWithError("translation failed");
      break;
    }
    benchmark::DoNotOptimize(out.output.data());
  }
  set_counters(state, text.size());
}

// The FHIR transaction Bundle built from the UK booking (empty when it cannot be built).
std::string uk_bundle_json() {
  auto msg = fcpgw::hl7v2::Message::parse(input("uk"));
  if (!msg) return {};
  auto bundle = engine().v2_to_fhir(*msg);
  return bundle ? bundle->output : std::string();
}

// The FHIR side of the round trip: the Bundle produced from the UK booking, back to SIU^S12.
void BM_appointment_to_siu(benchmark::State& state) {
  const Engine& e = engine();
  const std::string json = uk_bundle_json();
  if (json.empty()) {
    state.SkipWithError("could not build the input Bundle");
    return;
  }
  auto doc = fcpgw::fhir::parse(json);
  if (!doc) {
    state.SkipWithError("could not parse the input Bundle");
    return;
  }
  // The Bundle carries no meta.lastUpdated, so MSH-7 comes from the caller's message time.
  fcpgw::mappings::Options options;
  options.message_time = "2026-03-16T09:15:02+00:00";
  for (auto _ : state) {
    auto out = e.fhir_to_v2(doc->json(), nullptr, options);
    if (!out) {
      state.SkipWithError("translation failed");
      break;
    }
    benchmark::DoNotOptimize(out->output.data());
  }
  set_counters(state, json.size());
}

// Parse + validate the same Bundle, as an HTTP listener would for inbound FHIR.
void BM_fhir_parse_validate(benchmark::State& state) {
  const std::string json = uk_bundle_json();
  if (json.empty()) {
    state.SkipWithError("could not build the input Bundle");
    return;
  }
  for (auto _ : state) {
    auto doc = fcpgw::fhir::parse(json);
    auto outcome = fcpgw::fhir::validate(doc->json());
    benchmark::DoNotOptimize(outcome);
  }
  set_counters(state, json.size());
}

}  // namespace

BENCHMARK_CAPTURE(BM_v2_parse, uk_fcp_booking, "uk");
BENCHMARK_CAPTURE(BM_v2_parse, corpus_ms_siu_s12_01, "corpus");
BENCHMARK_CAPTURE(BM_siu_s12_to_bundle, uk_fcp_booking, "uk");
BENCHMARK_CAPTURE(BM_siu_s12_to_bundle, corpus_ms_siu_s12_01, "corpus");
BENCHMARK(BM_appointment_to_siu);
BENCHMARK(BM_fhir_parse_validate);

BENCHMARK_MAIN();
