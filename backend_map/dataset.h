// The backend map's input: what the resolver, passive DNS and the scanner saw, as plain data.
// Names and addresses are interned as small integer ids so that ten million observations fit
// in flat vectors of 16-byte rows; everything downstream (classification, footprint, hitlist)
// works on ids and sorts instead of maps of strings. No I/O here: the commands fill a Dataset
// from the store and hand it to the pure functions of classify.h and footprint.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/dns_name.h"
#include "lib/net.h"

namespace iotmap::backend_map {

// Days since 1970-01-01 (UTC).
using Day = int32_t;
std::string day_str(Day day);
// The day a Unix time (seconds) falls on.
Day day_of(int64_t unix_seconds);

// Where an (ip, name) link was learned; a bit set, since one link can come from several.
// kPassiveDns: passive-DNS records of provider names (and their CNAME chains); kAddressPdns:
// passive-DNS records found through the address (docs/backend-map.md, "Evidence"), which is
// how other sites on a provider's address become visible; kBulkDns: forward-DNS data sets.
enum Source : uint8_t {
  kActiveDns = 1,
  kPassiveDns = 2,
  kCertificate = 4,
  kAddressPdns = 8,
  kBulkDns = 16,
};
constexpr int kSourceBits = 5;
constexpr uint8_t kDnsSources = kActiveDns | kPassiveDns | kAddressPdns | kBulkDns;
// Sources that looked at the address itself rather than at provider names.
constexpr uint8_t kAddressSources = kAddressPdns | kBulkDns;
// "active_dns", "pdns", "cert", "pdns_reverse", "bulk", joined with '+' in that order; "" for 0.
std::string sources_str(uint8_t mask);
std::optional<Source> parse_source(std::string_view text);  // one of those words
// In words, for reasons: "active DNS", "passive DNS", "certificates",
// "passive DNS (reverse)", "bulk forward DNS".
const char* source_words(Source bit);

using NameId = uint32_t;
using IpId = uint32_t;
constexpr uint32_t kNone = UINT32_MAX;

// Interns strings; ids are dense from 0. Views stay valid for the interner's lifetime.
class StringTable {
 public:
  StringTable() = default;
  StringTable(const StringTable&) = delete;
  StringTable& operator=(const StringTable&) = delete;
  StringTable(StringTable&&) = default;
  StringTable& operator=(StringTable&&) = default;

  uint32_t intern(std::string_view s);
  uint32_t find(std::string_view s) const;  // kNone when absent
  std::string_view operator[](uint32_t id) const { return views_[id]; }
  // NUL-terminated, for C libraries.
  const char* c_str(uint32_t id) const { return views_[id].data(); }
  size_t size() const { return views_.size(); }

 private:
  // Open addressing, linear probing: each slot holds (hash >> 32) << 32 | (id + 1), 0 = empty.
  size_t slot_of(std::string_view s, uint64_t h) const;
  void grow();

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = 0, block_size_ = 0;
  std::vector<std::string_view> views_;
  std::vector<uint64_t> slots_;
};

// `text` in the backend map's spelling: lib/dns_name.h's DNS data name without the root dot;
// nullopt for text that is no name.
inline std::optional<std::string> map_name(std::string_view text) {
  return normalise_dns_name(text, nullptr, DnsNameChars::data, RootDot::without);
}

// False for a certificate name that can name no site: one label ("localhost", "router") or a
// name under the special-use TLDs .invalid and .localhost (RFC 6761). Servers put these in
// placeholder certificates (Google's front ends answer without SNI with "invalid2.invalid"),
// so they are no evidence of another organisation on the address. Takes a normal name.
bool names_a_site(std::string_view name);

struct Observation {
  Day day = 0;
  IpId ip = 0;
  NameId name = 0;
  uint8_t sources = 0;  // Source bits
};

// `name` is an alias (CNAME owner) of `target` on `day`, learned from `sources`.
struct CnameEdge {
  Day day = 0;
  NameId name = 0;
  NameId target = 0;
  uint8_t sources = 0;  // Source bits; 0: unknown (the alias takes its target's sources)
};

struct Certificate {
  std::string fingerprint;    // sha256 hex
  std::vector<NameId> names;  // CN and DNS SANs, deduplicated, sorted by id
};

// An IP presented certificate `cert` on `port` on `day` (a TLS scan result).
struct CertSighting {
  Day day = 0;
  IpId ip = 0;
  uint32_t cert = 0;
  uint16_t port = 0;
};

// A TLS / protocol probe result on an IP and port.
struct ServiceSighting {
  Day day = 0;
  IpId ip = 0;
  uint16_t port = 0;
  uint8_t protocol = 0;  // index into Dataset::protocols
  bool ok = false;       // the service answered (handshake or protocol reply)
};

// Everything the classifier and the footprint read. Fill it with the add_* calls; they
// normalise names and deduplicate nothing (the classifier merges duplicates by sorting).
struct Dataset {
  StringTable names;
  std::vector<IpAddress> ips;
  std::vector<Observation> observations;
  std::vector<CnameEdge> cnames;
  std::vector<Certificate> certs;
  std::vector<CertSighting> cert_sightings;
  std::vector<ServiceSighting> services;
  std::vector<std::string> protocols;  // "mqtt", "https", ...
  std::vector<NameId> domains;         // candidate names known without observations
  // PTR names per address (resolve --ptr): they name the host, never a served site; hints for
  // reasons and the footprint, never observations.
  std::unordered_map<IpId, std::vector<NameId>> ptr_names;

  // Names inside the backend map: lib/dns_name.h's DNS data names (the store's) without the
  // root dot, the registrable-domain code's spelling (map_name). kNone for text that is no name.
  NameId name(std::string_view text) {
    if (is_normal_dns_name(text, DnsNameChars::data, RootDot::without)) return names.intern(text);
    auto n = map_name(text);
    return n ? names.intern(*n) : kNone;
  }
  NameId find_name(std::string_view text) const {
    if (is_normal_dns_name(text, DnsNameChars::data, RootDot::without)) return names.find(text);
    auto n = map_name(text);
    return n ? names.find(*n) : kNone;
  }
  IpId ip(const IpAddress& address);
  IpId find_ip(const IpAddress& address) const;

  void observe(Day day, const IpAddress& ip, std::string_view name, Source source);
  void cname(Day day, std::string_view name, std::string_view target,
             uint8_t sources = kPassiveDns);
  // A resolution of `name` that reached `ip` through `chain` (CNAME targets in order): every
  // name of the chain resolved to the IP, so each becomes an observation, and the chain's
  // links become CNAME edges. The classifier only walks edges from a name to its aliases, so
  // chain names must be observed on the IP this way to bring other aliases of a CDN name in.
  void resolution(Day day, const IpAddress& ip, std::string_view name,
                  const std::vector<std::string>& chain, Source source);
  // Records a certificate (once per fingerprint) and its sighting. Its names that can name a
  // site (names_a_site) become the certificate's names and observations of source
  // kCertificate on that IP and day.
  void certificate(Day day, const IpAddress& ip, uint16_t port, std::string_view fingerprint,
                   const std::vector<std::string>& cert_names);
  void service(Day day, const IpAddress& ip, uint16_t port, std::string_view protocol, bool ok);
  void domain(std::string_view name) {
    if (NameId n = this->name(name); n != kNone) domains.push_back(n);
  }
  void ptr(const IpAddress& ip, std::string_view name);
  // The PTR names of `ip`, sorted, each once.
  std::vector<std::string_view> ptr_of(IpId ip) const;

 private:
  // Open addressing over `ips`, as in StringTable: (hash >> 32) << 32 | (id + 1).
  std::vector<uint64_t> ip_slots_;
  std::unordered_map<std::string, uint32_t> cert_index_;
};

}  // namespace iotmap::backend_map
