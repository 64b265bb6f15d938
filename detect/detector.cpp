#include "detect/detector.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace iotmap::detect {

int32_t day_of(int64_t t) { return static_cast<int32_t>(t >= 0 ? t / 86400 : (t - 86399) / 86400); }

namespace {

int64_t hour_of(int64_t t) { return (t >= 0 ? t / 3600 : (t - 3599) / 3600) * 3600; }

// A service is kept when it passed its rule and its parent, and the parent's parent, are kept.
// A chain longer than the level hierarchy (a cycle in a hand-written catalogue) is not kept.
bool kept(const std::vector<Service>& services, const std::vector<char>& passed, uint32_t s) {
  for (int depth = 0; depth < 8; ++depth) {
    if (!passed[s]) return false;
    const std::string& parent = services[s].parent;
    if (parent.empty()) return true;
    auto it = std::find_if(services.begin(), services.end(),
                           [&](const Service& x) { return x.id == parent; });
    if (it == services.end()) return false;  // the parent has no endpoint that day
    s = uint32_t(it - services.begin());
  }
  return false;
}

}  // namespace

const Hitlist* Detector::hitlist(int32_t day) {
  auto [it, fresh] = hitlists_.try_emplace(day, nullptr);
  if (fresh) it->second = hitlist_for_(day);
  return it->second;
}

void Detector::add(const Flow& f) {
  ++counts_.flows;
  const int32_t day = day_of(f.start);
  ++counts_.flows_by_day[day];
  const Hitlist* h = hitlist(day);
  if (h == nullptr) {
    ++counts_.no_hitlist;
    return;
  }
  // The subscriber is the side that is not the hitlist endpoint: records of the server's
  // answers (unidirectional NetFlow) count for the client they go to.
  const IpAddress *source = &f.src, *server = &f.dst;
  uint16_t port = f.dst_port;
  uint64_t up = f.bytes, down = f.reverse_bytes;
  auto hits = h->find(f.dst, f.dst_port, f.protocol);
  if (hits.empty()) {
    hits = h->find(f.src, f.src_port, f.protocol);
    if (hits.empty()) return;
    std::swap(source, server);
    port = f.src_port;
    std::swap(up, down);
  }
  ++counts_.matched;
  ++counts_.matched_by_day[day];
  SourceDay& s = sources_[{day, *source}];
  if (scanner_threshold_ > 0 && !s.capped) {
    s.addresses.insert(*server);
    s.capped = s.addresses.size() >= scanner_threshold_;
  }
  Reached& hour = s.hours[hour_of(f.start)];
  std::vector<uint32_t> counted;  // a flow's volume counts once per service
  for (const auto& hit : hits) {
    s.day.domains.insert({hit.service, hit.domain});
    hour.domains.insert({hit.service, hit.domain});
    if (std::find(counted.begin(), counted.end(), hit.service) != counted.end()) continue;
    counted.push_back(hit.service);
    Volume& v = volume_[{day, *source, hit.service}];
    ++v.flows;
    v.up += up;
    v.down += down;
    v.ports[port] += up + down;
  }
}

bool Detector::is_scanner(const SourceDay& s) const {
  return scanner_threshold_ > 0 && s.addresses.size() >= scanner_threshold_;
}

void Detector::evaluate(const Hitlist& h, const Reached& r, const Options& o, Detection base,
                        std::vector<Detection>& out) const {
  const auto& services = h.services();
  std::vector<Detection> found(services.size(), base);
  std::vector<char> passed(services.size(), 0);
  for (const auto& [s, d] : r.domains) {
    found[s].domains.push_back(services[s].domains[d]);
    found[s].matched++;
    if (services[s].primary[d]) found[s].primary_matched++;
  }
  for (uint32_t s = 0; s < services.size(); ++s) {
    Detection& x = found[s];
    if (x.matched == 0) continue;
    const Service& svc = services[s];
    x.service = svc.id;
    x.level = svc.level;
    x.n = uint32_t(svc.domains.size());
    bool primary_needed = false;
    if (svc.level == "backend") {
      x.rule = "backend";
      x.threshold = 1;
    } else if (o.device_rule == DeviceRule::kHaystack) {
      x.rule = "haystack";
      x.d = o.d;
      x.threshold = haystack_threshold(o.d, x.n);
      primary_needed = true;
    } else {
      x.rule = "guo-heidemann";
      x.threshold = guo_heidemann_threshold(x.n);
    }
    passed[s] = x.matched >= x.threshold && (!primary_needed || x.primary_matched > 0);
  }
  for (uint32_t s = 0; s < services.size(); ++s) {
    if (!kept(services, passed, s)) continue;
    std::sort(found[s].domains.begin(), found[s].domains.end());
    out.push_back(std::move(found[s]));
  }
}

std::vector<Detection> Detector::detections(const Options& options) const {
  std::vector<Detection> out;
  for (const auto& [key, s] : sources_) {
    if (is_scanner(s)) continue;
    const Hitlist& h = *hitlists_.at(key.first);
    Detection base;
    base.source = key.second;
    base.day = key.first;
    evaluate(h, s.day, options, base, out);
    for (const auto& [hour, reached] : s.hours) {
      base.hour = hour;
      evaluate(h, reached, options, base, out);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Detection& a, const Detection& b) {
    return std::tie(a.day, a.hour, a.source, a.service) <
           std::tie(b.day, b.hour, b.source, b.service);
  });
  return out;
}

std::vector<Traffic> Detector::traffic() const {
  std::map<std::pair<int32_t, std::string>, Traffic> by;
  for (const auto& [key, v] : volume_) {
    const auto& [day, source, service] = key;
    if (is_scanner(sources_.at({day, source}))) continue;
    const std::string& id = hitlists_.at(day)->services()[service].id;
    Traffic& t = by[{day, id}];
    t.day = day;
    t.service = id;
    ++t.sources;
    t.flows += v.flows;
    t.bytes_up += v.up;
    t.bytes_down += v.down;
    for (const auto& [port, bytes] : v.ports) t.port_bytes[port] += bytes;
  }
  std::vector<Traffic> out;
  for (auto& [key, t] : by) out.push_back(std::move(t));
  return out;
}

std::vector<std::pair<int32_t, IpAddress>> Detector::scanners() const {
  std::vector<std::pair<int32_t, IpAddress>> out;
  for (const auto& [key, s] : sources_)
    if (is_scanner(s)) out.push_back(key);
  return out;
}

std::vector<int32_t> Detector::days_without_hitlist() const {
  std::vector<int32_t> out;
  for (const auto& [day, h] : hitlists_)
    if (h == nullptr) out.push_back(day);
  return out;
}

std::vector<double> sweep_values(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("--sweep '" + text + "': " + why);
  };
  double v[3] = {0, 0, 0};
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    size_t end = i < 2 ? text.find(':', start) : text.size();
    if (end == std::string::npos) throw bad("want FROM:TO:STEP, e.g. 0.1:1.0:0.1");
    const char* b = text.data() + start;
    const char* e = text.data() + end;
    auto [stop, ec] = std::from_chars(b, e, v[i]);
    if (b == e || ec != std::errc() || stop != e || !std::isfinite(v[i]))
      throw bad("want FROM:TO:STEP, e.g. 0.1:1.0:0.1");
    start = end + 1;
  }
  if (!(v[0] > 0 && v[0] <= v[1] && v[1] <= 1)) throw bad("want 0 < FROM <= TO <= 1");
  if (!(v[2] > 0) || (v[1] - v[0]) / v[2] > 1000) throw bad("want STEP > 0, at most 1000 steps");
  std::vector<double> out;
  for (int i = 0;; ++i) {
    double d = std::round((v[0] + i * v[2]) * 1e9) / 1e9;
    if (d > v[1] + 1e-9) break;
    out.push_back(d);
  }
  return out;
}

}  // namespace iotmap::detect
