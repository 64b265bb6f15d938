// What a scan probes. Targets come from files or the command line: IPv4 and IPv6 addresses,
// CIDR prefixes (expanded, up to a cap), IPv6 hitlists (one address per line, '#' comments),
// and `ip,name[,name...]` lines whose names are sent as SNI. A file or stdin may also be zmap's
// output: its default (one address per line) is a target list as it is; its csv output (a
// header naming the fields, saddr among them) gives the saddr of each row whose success field,
// if there is one, is 1. A malformed line is reported with file:line and skipped; the rest is
// read.
//
// A target with its ports and names becomes tasks: one (ip, port, SNI) connection each.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net.h"
#include "scanner/probe.h"

namespace iotmap::scanner {

struct Target {
  IpAddress ip;
  std::vector<std::string> names;  // lowercase, no trailing dot, sorted, unique
};

struct TargetError {
  std::string where;  // "file:line", or the file alone when it cannot be read
  std::string message;
};

struct TargetList {
  std::vector<Target> targets;
  std::vector<TargetError> errors;
  uint64_t lines = 0;  // lines read that held a target or an error
  // The most targets accepted in all (scan.max_targets): a line or address that would pass it
  // is not expanded, `full` is set and nothing more is read. Checked before each expansion, so
  // a list far over the cap never gets the memory it would take.
  uint64_t max_targets = UINT64_MAX;
  bool full = false;

  // Reads one line; `where` is "file:line" for errors.
  void add_line(std::string_view line, const std::string& where, uint64_t cidr_cap);
  // Reads every line of `text` (a target list or zmap's csv output); errors name origin:line.
  void add_text(std::string_view text, const std::string& origin, uint64_t cidr_cap);
  // Reads a file; an unreadable file is an error naming it.
  void add_file(const std::string& path, uint64_t cidr_cap);
  void add(const IpAddress& ip, std::vector<std::string> names = {});
  // Sorts by address and merges duplicates (their names are united). Call once after reading.
  void normalize();
};

// A host name as SNI wants it: lib/dns_name.h's host name without the root dot (RFC 6066: no
// trailing dot in SNI) and without a wildcard (no host is named "*"). Empty when `text` is not
// such a name.
std::string sni_name(std::string_view text);

// How to probe one port: whether TLS comes first, the ALPN protocols to offer (e.g.
// "x-amzn-mqtt-ca" for MQTT on 443), and the application protocol to probe: the one paired
// with the ALPN protocol the server selected, else `protocol`.
struct PortPlan {
  uint16_t port = 0;
  AppProtocol protocol = AppProtocol::kNone;
  bool tls = true;
  std::vector<std::string> alpn;
  std::vector<AppProtocol> alpn_protocols;  // parallel to alpn; missing entries: `protocol`

  AppProtocol protocol_for(std::string_view negotiated_alpn) const;
  // Whether an application probe can follow the handshake, whatever ALPN the server picks.
  bool may_probe() const;
  auto operator<=>(const PortPlan&) const = default;
};

// The usual protocol of a well-known IoT port, for `--ports` without a catalogue entry:
// 1883 MQTT, 8883 MQTT over TLS, 5672 AMQP, 5671 AMQP over TLS, 80 HTTP, 443/8443/8943 HTTPS;
// any other port is a TLS certificate grab without an application probe. No ALPN is offered.
PortPlan default_port_plan(uint16_t port);

struct Task {
  uint32_t target = 0;  // index into TaskSet::targets
  uint16_t plan = 0;    // index into TaskSet::plans
  int32_t name = -1;    // index into the target's names, or -1: no SNI
};

struct TaskSet {
  std::vector<Target> targets;
  std::vector<PortPlan> plans;
  std::vector<Task> tasks;
  uint64_t names_left_out = 0;  // (target, name) pairs over TaskOptions::max_names: not probed

  const IpAddress& ip(const Task& t) const { return targets[t.target].ip; }
  const PortPlan& plan(const Task& t) const { return plans[t.plan]; }
  // "" when the task sends no SNI.
  std::string_view sni(const Task& t) const;
  // A digest of every task, so a checkpoint is only resumed over the same work.
  std::string digest() const;
};

struct TaskOptions {
  bool without_sni = true;  // one connection without SNI per TLS port
  bool with_names = true;   // one connection per known name per TLS port
  // At most this many names per address get their own connection (the first in sorted
  // order), so that an address shared by many names sees at most 1 + max_names connections
  // per TLS port (ETHICS.md).
  size_t max_names = 4;
};

// Tasks for every target on each of the ports `ports_for` gives it: on TLS ports one without
// SNI and one per name up to max_names (as the options say; at least one per port), on plain
// ports one.
TaskSet build_tasks(std::vector<Target> targets,
                    const std::function<std::vector<PortPlan>(const Target&)>& ports_for,
                    const TaskOptions& options);

}  // namespace iotmap::scanner
