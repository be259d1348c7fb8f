#include "gateway/delivery/directory.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "gateway/common/files.h"

namespace fcpgw::gateway::delivery {
namespace {

namespace fs = std::filesystem;

std::string safe(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    out.push_back(ok ? c : '_');
  }
  return out;
}

class DirectoryDestination final : public Destination {
 public:
  DirectoryDestination(std::string name, fs::path folder)
      : name_(std::move(name)), folder_(std::move(folder)) {}

  const std::string& name() const noexcept override { return name_; }

  Result deliver(const Payload& p, std::size_t worker) override {
    const std::string file = delivery_file_name(p);
    const fs::path target = folder_ / file;
    // One temporary name per worker: two workers never write the same delivery at once, and
    // a leftover from a crash is overwritten by the next attempt.
    const fs::path temp = folder_ / (".tmp-" + std::to_string(worker) + "-" + file);
    if (auto problem = write_file_atomically(target, p.body, temp, 0640)) {
      Result r;
      r.kind = Result::Kind::transient;
      r.code = "io";
      r.reason = folder_.string() + ": " + *problem;
      return r;
    }
    Result r;
    r.kind = Result::Kind::delivered;
    r.code = "written";
    r.reason = "written to " + target.string();
    r.response = file;
    return r;
  }

 private:
  std::string name_;
  fs::path folder_;
};

}  // namespace

std::string delivery_file_name(const Payload& p) {
  char id[24];
  std::snprintf(id, sizeof id, "%012lld", static_cast<long long>(p.delivery_id));
  std::string name = id;
  if (!p.message_type.empty()) name += "-" + safe(p.message_type, 40);
  if (!p.control_id.empty()) name += "-" + safe(p.control_id, 80);
  name += p.content_type == "er7" ? ".hl7" : ".json";
  return name;
}

std::unique_ptr<Destination> make_directory_destination(const config::Destination& config,
                                                        std::string& error) {
  std::error_code ec;
  const fs::path folder = fs::absolute(config.path, ec).lexically_normal();
  if (!ec) fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    error = "destinations." + config.name + ".path: cannot create or use \"" + config.path +
            "\": " + (ec ? ec.message() : "not a directory");
    return nullptr;
  }
  // Temporary files left by a process that died mid-write: their deliveries are still ready
  // in the journal and will be written again.
  for (const fs::directory_entry& e : fs::directory_iterator(folder, ec)) {
    if (e.path().filename().string().starts_with(".tmp-")) fs::remove(e.path(), ec);
  }
  return std::make_unique<DirectoryDestination>(config.name, folder);
}

}  // namespace fcpgw::gateway::delivery
