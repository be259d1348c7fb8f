#include "fhir/validation.h"

namespace fcpgw::fhir {

void operation_outcome(std::span<const Issue> issues, rapidjson::Value& out,
                       rapidjson::Document::AllocatorType& alloc) {
  using rapidjson::StringRef;
  using rapidjson::Value;
  out.SetObject();
  out.AddMember("resourceType", "OperationOutcome", alloc);
  Value list(rapidjson::kArrayType);
  auto sref = [](std::string_view s) { return StringRef(s.data(), s.size()); };
  auto copy = [&](std::string_view s) {
    return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
  };
  auto one = [&](std::string_view s) {
    Value list(rapidjson::kArrayType);
    list.PushBack(copy(s), alloc);
    return list;
  };
  auto add = [&](const Issue& i) {
    Value issue(rapidjson::kObjectType);
    issue.AddMember("severity", sref(to_string(i.severity)), alloc);
    issue.AddMember("code", sref(to_string(i.type)), alloc);
    if (!i.details_code.empty()) {
      Value coding(rapidjson::kObjectType);
      if (!i.details_system.empty()) coding.AddMember("system", copy(i.details_system), alloc);
      coding.AddMember("code", copy(i.details_code), alloc);
      Value codings(rapidjson::kArrayType);
      codings.PushBack(coding, alloc);
      Value details(rapidjson::kObjectType);
      details.AddMember("coding", codings, alloc);
      issue.AddMember("details", details, alloc);
    }
    if (!i.message.empty()) issue.AddMember("diagnostics", copy(i.message), alloc);
    if (!i.location.empty()) issue.AddMember("location", one(i.location), alloc);
    if (!i.path.empty()) issue.AddMember("expression", one(i.path), alloc);
    list.PushBack(issue, alloc);
  };
  for (const Issue& i : issues) add(i);
  if (issues.empty()) {
    Issue none;
    none.severity = Severity::information;
    none.type = IssueType::informational;
    none.message = "No issues detected";
    add(none);
  }
  out.AddMember("issue", list, alloc);
}

Document operation_outcome(std::span<const Issue> issues) {
  Document doc;
  operation_outcome(issues, doc.json(), doc.allocator());
  return doc;
}

}  // namespace fcpgw::fhir
