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
  auto add = [&](Severity sev, IssueType type, std::string_view path, std::string_view msg) {
    Value issue(rapidjson::kObjectType);
    issue.AddMember("severity", sref(to_string(sev)), alloc);
    issue.AddMember("code", sref(to_string(type)), alloc);
    if (!msg.empty())
      issue.AddMember("diagnostics",
                      Value(msg.data(), static_cast<rapidjson::SizeType>(msg.size()), alloc),
                      alloc);
    if (!path.empty()) {
      Value expr(rapidjson::kArrayType);
      expr.PushBack(Value(path.data(), static_cast<rapidjson::SizeType>(path.size()), alloc),
                    alloc);
      issue.AddMember("expression", expr, alloc);
    }
    list.PushBack(issue, alloc);
  };
  for (const Issue& i : issues) add(i.severity, i.type, i.path, i.message);
  if (issues.empty())
    add(Severity::information, IssueType::informational, {}, "No issues detected");
  out.AddMember("issue", list, alloc);
}

Document operation_outcome(std::span<const Issue> issues) {
  Document doc;
  operation_outcome(issues, doc.json(), doc.allocator());
  return doc;
}

}  // namespace fcpgw::fhir
