#include "gateway/cli/config_check.h"

#include "gateway/config/config.h"

namespace fcpgw::gateway {

namespace {

// "mllp 127.0.0.1:2575 tls mtls allow=2": where a listener listens and how it is guarded.
std::string listener_summary(std::string_view name, const config::Listener& l) {
  std::string s(name);
  if (!l.enabled) return s + " off";
  s.append(" ").append(l.host.find(':') != std::string::npos ? "[" + l.host + "]" : l.host);
  s.append(":").append(std::to_string(l.port));
  if (l.tls.enabled) s += l.tls.require_client_cert ? " tls+client-cert" : " tls";
  if (!l.allow.empty()) s += " allow=" + std::to_string(l.allow.size());
  return s;
}

}  // namespace

int run_config_check(const std::string& file, std::span<const std::string> sets, std::ostream& out,
                     std::ostream& err) {
  auto config = Config::load(file, sets);
  if (!config) {
    for (const ConfigError& e : config.error()) err << "fcpgw: " << to_string(e) << '\n';
    return 2;
  }
  const Config& c = *config;
  out << c.source() << ": ok\n";
  out << listener_summary("mllp", c.mllp.listener) << "; "
      << listener_summary("http", c.http.listener);
  if (c.http.listener.enabled) {
    out << " clients=" << c.http.clients.size()
        << (c.http.admin_token.empty() ? "" : " admin-token");
  }
  out << "; journal " << c.journal.path << "; log " << c.log.level << '\n';
  return 0;
}

}  // namespace fcpgw::gateway
