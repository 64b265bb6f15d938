// IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) flow records, decoded by libfixbuf: IPFIX files
// (RFC 5655: IPFIX messages one after the other, as exporters and collectors save them) and a
// live UDP collector for IPFIX or NetFlow v9 (docs/detect.md, Input). libfixbuf reads the
// messages and the exporters' templates; this file only says which information elements make
// a Flow and when a flow started.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "detect/detector.h"
#include "detect/readers.h"
#include "lib/net.h"

namespace iotmap::detect {

enum class ExportProtocol { kIpfix, kNetflow9 };

// Whether the first bytes of a file are an IPFIX message header (version 10).
bool looks_like_ipfix(const unsigned char* data, size_t size);

// Reads IPFIX messages from `in` to its end; `name` names it in messages. Records of options
// templates are not flows (their systemInitTimeMilliseconds dates the exporter's
// flowStartSysUpTime). A record without addresses or a start time is counted and named
// ("NAME: record N: why"); a message libfixbuf cannot decode ends the reading, named with
// its number. In the stats, `lines` counts records.
ReadStats read_ipfix(std::FILE* in, const std::string& name,
                     const std::function<void(const Flow&)>& emit, size_t max_problems = 20);

// A UDP collector for IPFIX or NetFlow v9 on one address and port.
class FlowListener {
 public:
  // Binds the socket; throws std::runtime_error naming the address when it cannot.
  FlowListener(const IpAddress& address, uint16_t port, ExportProtocol protocol,
               size_t max_problems = 20);
  ~FlowListener();
  FlowListener(const FlowListener&) = delete;
  FlowListener& operator=(const FlowListener&) = delete;

  // Receives and emits flows until `until` passes or `stop` is raised (looked at every 100 ms,
  // so a signal handler's flag ends the run promptly). A datagram libfixbuf cannot decode is
  // named and skipped; the collector goes on with the next one.
  void run(const std::function<void(const Flow&)>& emit,
           std::chrono::steady_clock::time_point until, const std::atomic<bool>& stop);
  const ReadStats& stats() const;
  // "ADDR:PORT (ipfix|netflow9)", for messages.
  const std::string& name() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace iotmap::detect
