#include "scanner/ports.h"

#include <algorithm>

namespace iotmap::scanner {
namespace {

bool is_tcp(const config::PortSpec& s) { return s.protocol != "coap"; }

AppProtocol protocol_of(const config::PortSpec& s) {
  return app_protocol_from_string(s.protocol).value_or(AppProtocol::kNone);
}

}  // namespace

PortPlan merge_port_specs(uint16_t port, const std::vector<config::PortSpec>& specs) {
  PortPlan plan = default_port_plan(port);
  plan.alpn.clear();
  plan.alpn_protocols.clear();
  std::vector<const config::PortSpec*> tcp;
  for (const auto& s : specs)
    if (is_tcp(s) && s.port == port) tcp.push_back(&s);
  if (tcp.empty()) return plan;
  bool any_tls = std::any_of(tcp.begin(), tcp.end(), [](auto* s) { return s->tls; });
  bool any_plain = std::any_of(tcp.begin(), tcp.end(), [](auto* s) { return !s->tls; });
  plan.tls = any_tls && any_plain ? default_port_plan(port).tls : any_tls;
  std::vector<const config::PortSpec*> same;
  for (auto* s : tcp)
    if (s->tls == plan.tls) same.push_back(s);
  const config::PortSpec* fallback = nullptr;
  for (auto* s : same) {
    if (!s->alpn.empty()) {
      if (std::find(plan.alpn.begin(), plan.alpn.end(), s->alpn) == plan.alpn.end()) {
        plan.alpn.push_back(s->alpn);
        plan.alpn_protocols.push_back(protocol_of(*s));
      }
    } else if (fallback == nullptr || (protocol_of(*s) == AppProtocol::kHttp &&
                                       protocol_of(*fallback) != AppProtocol::kHttp)) {
      fallback = s;
    }
  }
  if (!plan.tls) {
    plan.alpn.clear();
    plan.alpn_protocols.clear();
  }
  if (fallback != nullptr)
    plan.protocol = protocol_of(*fallback);
  else if (!plan.alpn_protocols.empty())
    plan.protocol = plan.alpn_protocols.front();
  // Offering only x-amzn-mqtt-ca makes a strict HTTPS server (nginx) refuse the handshake;
  // where the port is also HTTPS, offer http/1.1 after it.
  if (!plan.alpn.empty() && plan.protocol == AppProtocol::kHttp &&
      std::find(plan.alpn.begin(), plan.alpn.end(), "http/1.1") == plan.alpn.end()) {
    plan.alpn.push_back("http/1.1");
    plan.alpn_protocols.push_back(AppProtocol::kHttp);
  }
  return plan;
}

PortPlanner::PortPlanner(const config::Catalogue& catalogue,
                         std::optional<std::vector<uint16_t>> only)
    : catalogue_(catalogue), only_(std::move(only)) {
  std::vector<const config::PortSpec*> every;
  for (const auto& p : catalogue_.providers())
    for (const auto& s : p.ports) every.push_back(&s);
  for (const auto& d : catalogue_.services())
    for (const auto& s : d.ports) every.push_back(&s);
  all_ = plans(every, false);
}

PortPlan PortPlanner::known(uint16_t port) const {
  auto it = std::find_if(all_.begin(), all_.end(), [&](const auto& p) { return p.port == port; });
  return it != all_.end() ? *it : default_port_plan(port);
}

std::vector<PortPlan> PortPlanner::plans(const std::vector<const config::PortSpec*>& specs,
                                         bool restrict) const {
  std::map<uint16_t, std::vector<config::PortSpec>> by_port;
  for (const auto* s : specs)
    if (is_tcp(*s)) by_port[s->port].push_back(*s);
  std::vector<PortPlan> out;
  if (restrict && only_) {
    // A port the target's providers do not list: what the whole catalogue says of it.
    for (uint16_t port : *only_) {
      auto it = by_port.find(port);
      out.push_back(it != by_port.end() ? merge_port_specs(port, it->second) : known(port));
    }
    return out;
  }
  for (const auto& [port, list] : by_port) out.push_back(merge_port_specs(port, list));
  return out;
}

std::vector<PortPlan> PortPlanner::operator()(const Target& target) const {
  std::vector<const config::PortSpec*> specs;
  std::vector<std::string> seen;
  for (const auto& name : target.names) {
    auto m = catalogue_.match(name);
    if (!m || std::find(seen.begin(), seen.end(), m->id) != seen.end()) continue;
    seen.push_back(m->id);
    if (m->kind == config::Match::Kind::provider) {
      if (const auto* p = catalogue_.provider(m->id))
        for (const auto& s : p->ports) specs.push_back(&s);
    } else if (const auto* d = catalogue_.service(m->id)) {
      for (const auto& s : d->ports) specs.push_back(&s);
    }
  }
  if (specs.empty() && !only_) return all_;
  return plans(specs, true);
}

}  // namespace iotmap::scanner
