#include "gateway/service/translate.h"

#include <utility>
#include <vector>

#include "fhir/json.h"
#include "hl7v2/message.h"

namespace fcpgw::gateway::service {
namespace {

std::string describe(const std::vector<mappings::Issue>& issues) {
  std::string text;
  for (const mappings::Issue& i : issues) {
    if (i.severity != mappings::Severity::error) continue;
    if (!text.empty()) text += "; ";
    if (!i.location.empty()) text += i.location + ": ";
    text += i.message;
    if (!i.rule.empty()) text += " (" + i.rule + ")";
  }
  return text.empty() ? "not translated" : text;
}

}  // namespace

Translator::Translator(std::shared_ptr<const mappings::Engine> engine, AcceptLimits limits)
    : engine_(std::move(engine)), limits_(limits) {}

Translated Translator::translate(const TranslateRequest& r) const {
  Translated out;
  mappings::Options options;
  options.bundle =
      r.message_bundle ? mappings::Options::Bundle::message : mappings::Options::Bundle::transaction;
  options.message_time = std::string(r.message_time);
  boost::system::result<mappings::Translation, std::vector<mappings::Issue>> t =
      std::vector<mappings::Issue>{};
  if (r.content_type == "er7") {
    auto msg = hl7v2::Message::parse(std::string(r.raw), limits_.v2);
    if (!msg) {
      out.problem = "the stored message no longer parses: " + msg.error().message;
      return out;
    }
    t = engine_->v2_to_fhir(*msg, options);
  } else if (r.content_type == "fhir-json") {
    auto doc = fhir::parse(r.raw, limits_.fhir);
    if (!doc) {
      out.problem = "the stored resource no longer parses: " + doc.error().message;
      return out;
    }
    t = engine_->fhir_to_v2(doc->root(), nullptr, options);
  } else {
    out.problem = "a message of content type \"" + std::string(r.content_type) +
                  "\" cannot be translated";
    return out;
  }
  if (!t) {
    out.problem = describe(t.error());
    return out;
  }
  if (!r.mapping.empty() && t->mapping != r.mapping) {
    out.problem = "the route names mapping \"" + std::string(r.mapping) + "\", but \"" +
                  t->mapping + "\" takes this message";
    return out;
  }
  out.ok = true;
  out.output = std::move(t->output);
  out.content_type = std::move(t->content_type);
  out.mapping = std::move(t->mapping);
  return out;
}

}  // namespace fcpgw::gateway::service
