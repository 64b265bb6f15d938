// bench_classify: classifies synthetic resolution rows and reports wall time and peak RSS.
//
// The synthetic week imitates what iotmap stores: provider names of three catalogue providers
// (AWS IoT, Azure IoT Hub, Alibaba) resolving to one or two addresses of their provider's pool,
// with daily churn; passive DNS repeating part of it; a tenth of the names CNAMEd to a cloud VM
// name (one per address); a few provider names and many unrelated sites CNAMEd into CDN edge
// names served by a small set of CDN addresses (hundreds of names each); TLS scan results on
// part of the addresses. One "row" is one resolution: (day, ip, name, CNAME chain, source).
//
//   bench_classify [--rows N] [--names N] [--ips N] [--days N] [--seed N]
//                  [--lookup catalogue|suffix] [--write FILE] [--input FILE]
// --write writes the rows as TSV (day, ip, name, chain joined by ',', source) and exits;
// --input classifies such a file instead of generating rows in memory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "backend_map/catalogue_view.h"
#include "backend_map/classify.h"
#include "backend_map/footprint.h"
#include "backend_map/hitlist.h"
#include "lib/date.h"

using namespace iotmap;
using namespace iotmap::backend_map;

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
  bool chance(double p) { return double(next() >> 11) / double(1ull << 53) < p; }
};

uint64_t mix(uint64_t a, uint64_t b) {
  Rng r{a * 0x2545F4914F6CDD1Dull + b};
  return r.next();
}

struct Options {
  uint64_t rows = 10'000'000, names = 1'000'000, ips = 300'000;
  int days = 7;
  uint64_t seed = 1;
  std::string lookup = "catalogue", write, input;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

long peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

const char* kAwsRegions[] = {"us-east-1",    "us-east-2",      "us-west-2",      "eu-west-1",
                             "eu-central-1", "ap-northeast-1", "ap-southeast-1", "ap-south-1"};
const char* kAliRegions[] = {"cn-shanghai", "cn-beijing", "ap-southeast-1", "eu-central-1"};

// The synthetic world: name i and address j are functions of their index.
struct World {
  Options o;
  uint64_t provider_names, site_names, cdn_ips, edges;

  explicit World(const Options& opt) : o(opt) {
    site_names = o.names / 10;  // unrelated sites behind the CDN
    provider_names = o.names - site_names;
    cdn_ips = std::max<uint64_t>(1, o.ips / 600);
    edges = std::max<uint64_t>(1, cdn_ips / 2);
  }
  std::string name(uint64_t i) const {
    char buf[96];
    if (i >= provider_names) {
      std::snprintf(buf, sizeof buf, "www.site%llu.test", (unsigned long long)(i - provider_names));
      return buf;
    }
    uint64_t h = mix(o.seed, i);
    switch (i % 3) {
      case 0:
        std::snprintf(buf, sizeof buf, "a%011llx-ats.iot.%s.amazonaws.com",
                      (unsigned long long)(h & 0xFFFFFFFFFFFull), kAwsRegions[h % 8]);
        break;
      case 1:
        std::snprintf(buf, sizeof buf, "hub%llu.azure-devices.net", (unsigned long long)i);
        break;
      default:
        std::snprintf(buf, sizeof buf, "pk%llx.iot-as-mqtt.%s.aliyuncs.com",
                      (unsigned long long)(h & 0xFFFFFFFFull), kAliRegions[h % 4]);
    }
    return buf;
  }
  // Provider p's pool is a third of the non-CDN addresses.
  uint64_t pool_ip(uint64_t i, uint64_t k) const {
    uint64_t pool = (o.ips - cdn_ips) / 3;
    return (i % 3) * pool + mix(i, k) % pool;
  }
  IpAddress address(uint64_t j) const {
    if (j >= o.ips - cdn_ips) return IpAddress::from_v4(0xCB000000u + uint32_t(j));  // CDN block
    if (j % 16 == 15) {  // a sixteenth of the provider addresses are IPv6
      IpAddress a = IpAddress::from_v4(0);
      a.v6 = true;
      a.bytes = {0x20,
                 0x01,
                 0x0d,
                 0xb8,
                 uint8_t(j % 3),
                 0,
                 0,
                 0,
                 0,
                 0,
                 0,
                 0,
                 0,
                 uint8_t(j >> 16),
                 uint8_t(j >> 8),
                 uint8_t(j)};
      return a;
    }
    return IpAddress::from_v4(0x0A000000u + uint32_t(j));
  }
};

// Calls emit(day, ip index, name index, chain names, source) for o.rows rows.
template <typename Emit>
void generate(const World& w, Emit&& emit) {
  Rng rng{w.o.seed};
  const uint64_t per_day = w.o.rows / uint64_t(w.o.days);
  std::vector<std::string> chain;
  for (int day = 0; day < w.o.days; ++day) {
    uint64_t produced = 0;
    uint64_t budget = day == w.o.days - 1 ? w.o.rows - per_day * uint64_t(w.o.days - 1) : per_day;
    for (uint64_t i = 0; produced < budget; i = (i + 1) % w.o.names) {
      uint64_t kind = mix(i, 77) % 100;
      chain.clear();
      uint64_t ip;
      Source src = kActiveDns;
      if (i >= w.provider_names || kind < 2) {
        // A site or a provider name behind the CDN: name -> edge name -> a CDN address.
        uint64_t edge = mix(i, 5) % w.edges;
        chain.push_back("e" + std::to_string(edge) + ".cdn.example");
        ip = w.o.ips - w.cdn_ips + (edge * 2 + rng.below(2)) % w.cdn_ips;
        if (i >= w.provider_names) src = kPassiveDns;
      } else {
        // Its home address, a second one for a fifth of the names, and 5% daily churn.
        uint64_t k = rng.chance(0.2) ? 1 : 0;
        if (rng.chance(0.05)) k = 2 + uint64_t(day);
        ip = w.pool_ip(i, k);
        if (kind < 12) chain.push_back("vm-" + std::to_string(ip) + ".cloudapp.net");
        if (rng.chance(0.3)) src = kPassiveDns;
      }
      emit(day, ip, i, chain, src);
      ++produced;
    }
  }
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << a << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--rows")
      o.rows = std::stoull(value());
    else if (a == "--names")
      o.names = std::stoull(value());
    else if (a == "--ips")
      o.ips = std::stoull(value());
    else if (a == "--days")
      o.days = std::stoi(value());
    else if (a == "--seed")
      o.seed = std::stoull(value());
    else if (a == "--lookup")
      o.lookup = value();
    else if (a == "--write")
      o.write = value();
    else if (a == "--input")
      o.input = value();
    else {
      std::cerr << "usage: bench_classify [--rows N] [--names N] [--ips N] [--days N] [--seed N] "
                   "[--lookup catalogue|suffix] [--write FILE] [--input FILE]\n";
      std::exit(2);
    }
  }
  if (o.days < 1 || o.ips < 1200 || o.names < 10) {
    std::cerr << "need --days >= 1, --ips >= 1200, --names >= 10\n";
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  World w(o);
  const Day first = *parse_date("2022-02-28");

  if (!o.write.empty()) {
    std::ofstream out(o.write);
    std::string line;
    generate(w, [&](int day, uint64_t ip, uint64_t name, const std::vector<std::string>& chain,
                    Source src) {
      line = day_str(first + day) + '\t' + w.address(ip).str() + '\t' + w.name(name) + '\t';
      for (size_t k = 0; k < chain.size(); ++k) line += (k ? "," : "") + chain[k];
      line += '\t';
      line += sources_str(src);
      line += '\n';
      out << line;
    });
    return out.good() ? 0 : 1;
  }

  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpu_seconds();
  Dataset d;
  uint64_t rows = 0;
  if (!o.input.empty()) {
    std::ifstream in(o.input);
    std::string line;
    std::vector<std::string> chain;
    while (std::getline(in, line)) {
      std::string_view l = line;
      std::string_view f[5];
      for (int k = 0; k < 5; ++k) {
        size_t tab = l.find('\t');
        f[k] = l.substr(0, tab);
        l = tab == std::string_view::npos ? std::string_view{} : l.substr(tab + 1);
      }
      auto day = parse_date(f[0]);
      auto ip = IpAddress::parse(f[1]);
      auto src = parse_source(f[4]);
      if (!day || !ip || !src) continue;
      chain.clear();
      for (std::string_view c = f[3]; !c.empty();) {
        size_t comma = c.find(',');
        chain.emplace_back(c.substr(0, comma));
        c = comma == std::string_view::npos ? std::string_view{} : c.substr(comma + 1);
      }
      d.resolution(*day, *ip, f[2], chain, *src);
      ++rows;
    }
  } else {
    // Addresses and names interned up front, as a store reader would meet them.
    std::vector<IpId> ip_ids(o.ips);
    for (uint64_t j = 0; j < o.ips; ++j) ip_ids[j] = d.ip(w.address(j));
    std::vector<NameId> name_ids(o.names);
    for (uint64_t i = 0; i < o.names; ++i) name_ids[i] = d.name(w.name(i));
    generate(w, [&](int day, uint64_t ip, uint64_t name, const std::vector<std::string>& chain,
                    Source src) {
      d.resolution(first + day, d.ips[ip_ids[ip]], d.names[name_ids[name]], chain, src);
      ++rows;
    });
  }
  // TLS results on a third of the provider addresses.
  for (uint64_t j = 0; j < o.ips; j += 3)
    d.service(first + o.days - 1, w.address(j), 8883, "mqtt", true);
  double t_load = seconds_since(t0), c_load = cpu_seconds() - c0;
  long rss_load = peak_rss_mib();

  CatalogueView view;
  if (o.lookup == "catalogue") {
    view = view_of(config::Catalogue::embedded());
  } else {
    view.providers = {{"aws", "Amazon AWS", {}, {}, {}},
                      {"azure", "Azure", {}, {}, {}},
                      {"alibaba", "Alibaba", {}, {}, {}}};
    view.lookup = [](std::string_view n) -> NameMatch {
      if (n.ends_with(".amazonaws.com")) return {0, -1};
      if (n.ends_with(".azure-devices.net")) return {1, -1};
      if (n.ends_with(".aliyuncs.com")) return {2, -1};
      return {};
    };
  }

  auto t1 = std::chrono::steady_clock::now();
  double c1 = cpu_seconds();
  ClassifyOptions co;
  co.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  co.providers = &view.providers;
  auto cls = classify(d, view.lookup, first, first + o.days - 1, co);
  double t_classify = seconds_since(t1), c_classify = cpu_seconds() - c1;
  long rss_classify = peak_rss_mib();

  auto t2 = std::chrono::steady_clock::now();
  double c2 = cpu_seconds();
  HitlistOptions ho;
  ho.date = first + o.days - 1;
  auto hitlist = build_hitlist(d, cls, view.providers, ho);
  FootprintInputs fi;
  fi.providers = &view.providers;
  auto fp = compute_footprint(d, cls, fi);
  double t_after = seconds_since(t2), c_after = cpu_seconds() - c2;

  size_t ded = 0, shared = 0, unknown = 0, shared_ips = 0;
  for (const auto& v : cls.domains)
    (v.exclusive == Verdict::kDedicated ? ded
     : v.exclusive == Verdict::kShared  ? shared
                                        : unknown)++;
  for (const auto& r : cls.ip_days) shared_ips += r.exclusive == Verdict::kShared;

  std::printf(
      "rows %llu, observations %zu, cname edges %zu, names %zu, ips %zu, days %d, lookup %s\n",
      (unsigned long long)rows, d.observations.size(), d.cnames.size(), d.names.size(),
      d.ips.size(), o.days, o.lookup.c_str());
  std::printf(
      "ip-days %zu (%zu shared), domains %zu: %zu dedicated, %zu shared, %zu unknown; hitlist rows "
      "%zu; "
      "footprint providers %zu\n",
      cls.ip_days.size(), shared_ips, cls.domains.size(), ded, shared, unknown, hitlist.size(),
      fp.providers.size());
  std::printf(
      "load %.1f s wall / %.1f s CPU (peak RSS %ld MiB); classify %.1f s wall / %.1f s CPU (peak "
      "RSS %ld "
      "MiB); hitlist+footprint %.1f s wall / %.1f s CPU; total %.1f s wall; peak RSS %ld MiB\n",
      t_load, c_load, rss_load, t_classify, c_classify, rss_classify, t_after, c_after,
      seconds_since(t0), peak_rss_mib());
  return 0;
}
