// Which ports to probe on a target, from the provider catalogue: the ports of the providers
// and device services its names belong to, or every TCP port of the catalogue for a target
// without a known name. `--ports` narrows that to the ports given.
//
// The store keeps one observation per (ip, port, SNI), so each port gets one plan even when the
// catalogue lists it several times:
// - TLS or not: where the entries disagree, the port's conventional use decides (1883, 5672 and
//   80 are plain, every other port TLS);
// - ALPN: every ALPN value the entries require is offered (x-amzn-mqtt-ca for MQTT on 443),
//   followed by http/1.1 when the port is also HTTPS, and the probe follows the one the server
//   selects (a server that refuses them all gets a second connection without ALPN);
// - otherwise the probe is HTTP when an entry says http(s), else the first entry's protocol.
// CoAP (UDP) entries are left out: the scanner speaks TCP.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "config/catalogue.h"
#include "scanner/targets.h"

namespace iotmap::scanner {

// IPv6 hitlist addresses without a resolved name are scanned on these (docs/method.md section 2);
// the info page names them.
inline const std::vector<uint16_t> kHitlistPorts = {443, 8883, 1883, 5671};

// One plan for `port` from the catalogue entries for it (all of the same port number).
PortPlan merge_port_specs(uint16_t port, const std::vector<config::PortSpec>& specs);

class PortPlanner {
 public:
  // `only`: when set, the ports to probe (plans from the catalogue where it knows the port,
  // else default_port_plan).
  PortPlanner(const config::Catalogue& catalogue, std::optional<std::vector<uint16_t>> only);
  std::vector<PortPlan> operator()(const Target& target) const;

 private:
  // One plan per port of `specs`; with `restrict`, one per port of `only_` instead.
  std::vector<PortPlan> plans(const std::vector<const config::PortSpec*>& specs,
                              bool restrict) const;
  PortPlan known(uint16_t port) const;  // the catalogue-wide plan, else default_port_plan

  config::Catalogue catalogue_;
  std::optional<std::vector<uint16_t>> only_;
  std::vector<PortPlan> all_;  // every catalogue TCP port, merged over all entries
};

}  // namespace iotmap::scanner
