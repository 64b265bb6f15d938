// Flows in, detections out. The detector keeps, per source address and day (and hour), only the
// hitlist domains the source reached and the hitlist addresses it contacted (capped at the
// scanner threshold), so its memory grows with the hitlist and the active sources, not with the
// flows. Sources are kept in clear only in memory; what leaves it is named by the caller's
// pseudonym (detect/privacy.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "detect/rules.h"
#include "lib/net.h"

namespace iotmap::detect {

// One flow record. Unidirectional records (NetFlow, nfdump) fill bytes/packets only;
// bidirectional ones (Zeek) also the reverse direction.
struct Flow {
  int64_t start = 0;  // Unix seconds, UTC
  IpAddress src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t protocol = 0;                             // IP protocol number
  uint64_t bytes = 0, packets = 0;                  // src -> dst
  uint64_t reverse_bytes = 0, reverse_packets = 0;  // dst -> src
};

struct Options {
  double d = 0.4;
  DeviceRule device_rule = DeviceRule::kHaystack;
};

// One detection of a service behind one source in one hour or day.
struct Detection {
  IpAddress source;
  int32_t day = 0;
  int64_t hour = -1;  // Unix seconds of the hour's start; -1 for the whole day
  std::string service, level;
  std::string rule;  // haystack | guo-heidemann | backend
  double d = 0;      // D for haystack, 0 otherwise
  uint32_t matched = 0, primary_matched = 0, n = 0, threshold = 0;
  std::vector<std::string> domains;  // the catalogue entries reached (Service::domains), sorted
};

// Traffic between the (non-scanner) sources and one service's endpoints in one day.
struct Traffic {
  int32_t day = 0;
  std::string service;
  uint64_t sources = 0, flows = 0, bytes_up = 0, bytes_down = 0;
  std::map<uint16_t, uint64_t> port_bytes;  // server port -> bytes both ways
};

struct Counts {
  uint64_t flows = 0, matched = 0, no_hitlist = 0;
  std::map<int32_t, uint64_t> flows_by_day, matched_by_day;
};

class Detector {
 public:
  // `hitlist_for(day)`: the hitlist of that day, or nullptr when none is stored. Called once per
  // day; the pointer must stay valid while the detector lives.
  using HitlistFor = std::function<const Hitlist*(int32_t day)>;
  // `scanner_threshold`: distinct hitlist addresses in a day that make a source a scanner
  // (the backend study's 100); 0 excludes no one.
  Detector(HitlistFor hitlist_for, uint32_t scanner_threshold)
      : hitlist_for_(std::move(hitlist_for)), scanner_threshold_(scanner_threshold) {}

  void add(const Flow& flow);
  // Per source and day and per source and hour, the detections under `options`, scanners left
  // out, the hierarchy applied; sorted by day, hour, source, service.
  std::vector<Detection> detections(const Options& options) const;
  // Per day and service, scanners left out.
  std::vector<Traffic> traffic() const;
  // The (day, source) pairs excluded as scanners.
  std::vector<std::pair<int32_t, IpAddress>> scanners() const;
  const Counts& counts() const { return counts_; }
  std::vector<int32_t> days_without_hitlist() const;

 private:
  struct Reached {                                    // what one source reached in one period
    std::set<std::pair<uint32_t, uint32_t>> domains;  // (service, domain)
  };
  struct SourceDay {
    std::set<IpAddress> addresses;  // hitlist addresses contacted, capped
    bool capped = false;
    Reached day;
    std::map<int64_t, Reached> hours;
  };
  struct Volume {
    uint64_t flows = 0, up = 0, down = 0;
    std::map<uint16_t, uint64_t> ports;
  };
  const Hitlist* hitlist(int32_t day);
  bool is_scanner(const SourceDay& s) const;
  void evaluate(const Hitlist& h, const Reached& r, const Options& o, Detection base,
                std::vector<Detection>& out) const;

  HitlistFor hitlist_for_;
  uint32_t scanner_threshold_ = 100;
  std::map<int32_t, const Hitlist*> hitlists_;
  std::map<std::pair<int32_t, IpAddress>, SourceDay> sources_;
  // (day, source, service) -> volume
  std::map<std::tuple<int32_t, IpAddress, uint32_t>, Volume> volume_;
  Counts counts_;
};

// The UTC day of Unix time t (days since 1970-01-01).
int32_t day_of(int64_t t);

// The values of D a sweep "FROM:TO:STEP" names, each rounded to 1e-9 so that 0.1 x 3 is 0.3.
// Throws std::invalid_argument naming the text when it is not such a sweep within (0, 1].
std::vector<double> sweep_values(const std::string& text);

}  // namespace iotmap::detect
