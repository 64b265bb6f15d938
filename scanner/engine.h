// The scan engine (zgrab2-style): worker threads, one libevent loop each, one per core by
// default; each keeps up to its share of max_in_flight connections open, starting a new one
// whenever the shared Dispatcher allows (blocklist, global rate, spacing per address and per
// /24 or /48). Results go to the caller's sink on the calling thread, in batches, with the
// checkpoint watermark.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "ethics/policy.h"
#include "scanner/grab.h"
#include "scanner/permutation.h"
#include "scanner/targets.h"
#include "scanner/tls.h"

namespace iotmap::scanner {

struct EngineOptions {
  double rate = 100;  // connection starts per second; the policy's rate caps it
  int max_in_flight = 1000;
  int timeout_ms = 8000;
  int per_ip_spacing_ms = 1000;
  int per_prefix_spacing_ms = 100;
  uint64_t max_bytes = 256 * 1024;
  int workers = 0;    // 0: one per core
  size_t window = 0;  // 0: max(65536, 4 x max_in_flight)
  std::string user_agent = "iotmap/0.1";
  // kCertificate: connections no application probe follows stop after the server's Certificate.
  TlsMode tls_mode = TlsMode::kFull;
  // kAfterDecoding only in tests, to run the fallback (tls.h).
  CertificateStop certificate_stop = CertificateStop::kBeforeDecoding;
  int batch_ms = 250;                       // how often the sink is called while results come in
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by a signal handler) to stop early

  static EngineOptions from(const config::ScanSettings& s);
};

// Where a scan starts: the first step not delivered, plus steps above it already delivered.
struct ResumePoint {
  uint64_t next_step = 0;
  std::vector<uint64_t> done_above;
};

// Called on the thread that runs the scan with the results completed since the last call (any
// order) and the watermark: every step below it has now been delivered. May throw; the scan
// then stops (connections in flight end at their deadline) and the exception propagates.
using ScanSink = std::function<void(std::vector<GrabResult>& batch, uint64_t watermark)>;

struct ScanSummary {
  uint64_t steps = 0;      // in this shard
  uint64_t delivered = 0;  // results handed to the sink by this call
  uint64_t watermark = 0;  // the final checkpoint
  bool stopped = false;    // ended early (stop flag or sink error)
  double seconds = 0;
  double rate = 0;  // the effective connection rate
  std::map<std::string, uint64_t> by_status;
};

// Runs the shard's steps from `resume` to the end (or until stopped). Throws
// std::invalid_argument when no positive rate is given by either the options or the policy.
ScanSummary run_scan(const TaskSet& tasks, const ScanOrder& order, const ResumePoint& resume,
                     const ethics::Policy& policy, const EngineOptions& options,
                     const ScanSink& sink);

}  // namespace iotmap::scanner
