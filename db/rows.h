// The plain records that go into and come out of the store (db/store.h), one per table.
// docs/schema.md says what each field means. Conventions: times are Unix seconds UTC, days are
// "YYYY-MM-DD", names are normalised by the store (lowercase, trailing dot), IPs are
// canonicalised by the store, and an empty std::optional is SQL NULL.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace iotmap::db {

// Bits of IpVerdictRow::sources: where the classifier learned of the IP.
enum SourceBits : int64_t {
  kSourceActiveDns = 1,
  kSourcePassiveDns = 2,
  kSourceTls = 4,
  kSourcePdnsReverse = 8,  // passive DNS found through the address (address_names)
  kSourceBulk = 16,        // forward-DNS data sets
};

struct RunInfo {
  std::string kind;    // resolve|scan|classify|daily|hourly|fetch|merge
  std::string covers;  // "YYYY-MM-DD" or "YYYY-MM-DDTHH"
  std::string host;    // empty: this host's name
  std::string vantage;
  std::string shard;  // "I/N"
  std::optional<int64_t> seed;
  std::optional<int64_t> target_count;
  std::optional<double> rate;
  std::string config;  // a one-line summary of the settings that shape the run
  std::string message;
  int64_t started_at = 0;  // 0: now
};

// A run as stored: what begin_run was given plus how it ended.
struct RunRecord {
  int64_t id = 0;
  RunInfo info;
  std::optional<int64_t> finished_at;
  std::string status;  // running|ok|failed|partial
  std::map<std::string, int64_t> counts;
};

struct VantagePointRow {
  std::string name;
  std::string location;
  std::string client_subnet;           // "" when none
  std::vector<std::string> resolvers;  // "ip:port"
};

// A candidate name and where it came from. upsert_names widens first/last seen.
struct NameRow {
  std::string name;
  std::string provider;  // "" keeps what is stored
  std::string region;    // "" keeps what is stored
  std::string source;    // catalogue|pdns|cert|cli|ct
  int64_t seen_at = 0;
  int64_t id = 0;  // names.id, filled by Store::candidate_names; upsert_names ignores it
};

struct AnswerRow {
  std::string ip;
  int64_t ttl = 0;
};

// The final outcome of one query: one per (hour, name, qtype, vantage point).
struct ResolutionRow {
  int64_t hour = 0;  // start of the UTC hour
  std::string name;
  int64_t name_id = 0;  // names.id of `name` when the caller has it (saves a lookup); 0: unknown
  std::string qtype;    // A|AAAA
  std::string vantage;  // vantage point name; created if unknown
  std::string status;   // NOERROR|NXDOMAIN|NODATA|SERVFAIL|REFUSED|TIMEOUT|MALFORMED|...
  std::optional<int> rcode;
  std::vector<std::string> cname_chain;  // in order, starting after the queried name
  std::vector<AnswerRow> answers;
  std::optional<int64_t> min_ttl;
  std::string resolver;  // "ip:port" that answered
  std::optional<double> rtt_ms;
  int64_t resolved_at = 0;
  std::optional<int64_t> run_id;
  std::string ecs;                  // client subnet echoed by the resolver ("" when none)
  std::optional<int> ecs_scope;     // its scope prefix length
  std::vector<int64_t> cname_ttls;  // TTL of each cname_chain link, same order
  std::string detail;               // for error rows: what happened, in words
};

// One (ip, name) pair seen in resolutions: the name resolved to the IP, directly or through
// its CNAME chain.
struct IpNameRow {
  std::string ip;
  std::string name;
  std::string provider;
  std::vector<std::string> cname_chain;
};

struct PdnsRow {
  std::string rrname;
  std::string rrtype;
  std::string rdata;
  int64_t time_first = 0;
  int64_t time_last = 0;
  std::string source;
};

struct CertificateRow {
  std::string sha256;  // lowercase hex of the DER
  std::string subject_dn;
  std::string issuer_dn;
  std::string common_name;
  std::vector<std::string> dns_sans;
  std::vector<std::string> ip_sans;
  std::optional<int64_t> not_before;
  std::optional<int64_t> not_after;
  std::string key_type;  // rsa|ec|ed25519|...
  std::optional<int64_t> key_bits;
  std::string signature_algorithm;
  bool self_signed = false;
  std::vector<uint8_t> der;
  int64_t first_seen = 0;
};

struct CertNameRow {
  std::string sha256;
  std::string name;
  std::string provider;
};

// One connection: an (ip, port, sni) probed in a scan run.
struct TlsObservationRow {
  int64_t run_id = 0;
  std::string ip;
  int port = 0;
  std::string sni;  // "" when none was sent
  int64_t observed_at = 0;
  std::string status;  // ok|timeout|refused|tls_error|client_cert_required|...
  std::string tls_version;
  std::string cipher;
  std::string alpn;
  std::string leaf_sha256;         // "" when no certificate arrived
  std::vector<std::string> chain;  // sha256 of each certificate, leaf first
  std::string protocol = "none";   // mqtt|amqp|http|none
  std::string protocol_result;     // CONNACK code, AMQP server properties, HTTP status + Server
  std::string error;
};

struct ScanCheckpoint {
  int64_t run_id = 0;
  std::string shard;
  int64_t seed = 0;
  std::string targets_digest;
  int64_t target_count = 0;
  int64_t next_index = 0;
  int64_t done_count = 0;
  int64_t updated_at = 0;  // 0: now
};

struct IpVerdictRow {
  std::string ip;
  std::string provider;
  std::string verdict_threshold;  // dedicated|shared|unknown
  std::string verdict_exclusive;  // dedicated|shared|unknown
  std::string reason;
  int64_t names_total = 0;
  int64_t names_not_matching = 0;
  int64_t registrable_domains = 0;
  int64_t sources = 0;  // SourceBits
  std::string sources_text;
  std::optional<int64_t> run_id;
  // Of names_not_matching, how many each source linked to the address (a name several sources
  // saw counts under each).
  int64_t sharing_active_dns = 0, sharing_pdns = 0, sharing_cert = 0, sharing_pdns_reverse = 0,
          sharing_bulk = 0;
  int64_t address_sources = 0;  // SourceBits: every source that saw the address that day
};

struct DomainVerdictRow {
  std::string provider;
  std::string domain;
  std::string verdict;  // dedicated|shared|unknown
  std::string reason;
  int64_t ips_total = 0;
  int64_t ips_exclusive = 0;
  std::optional<int64_t> run_id;
};

struct HitlistRow {
  std::string provider;
  std::string domain;
  std::string ip;
  int port = 0;
  std::string protocol;
  std::string infrastructure;  // dedicated|shared|unknown
  std::string level;           // backend|platform|manufacturer|product
  std::string domain_class;    // primary|support
  std::string sources;
  std::optional<int64_t> first_seen;
  std::optional<int64_t> last_seen;
  // The catalogue entry the name counts under in the rule's N (backend_map::catalogue_entry) when
  // classify ran; "" on days classified before schema version 8.
  std::string entry;
};

// What `iotmap detect` found (docs/detect.md): subscriber is a pseudonym, never an address.
struct DetectionRow {
  std::string period;  // "day" or "YYYY-MM-DDTHH"
  std::string subscriber;
  std::string service, level, rule;
  double d = 0;
  int64_t matched = 0, primary_matched = 0, n = 0, threshold = 0;
  std::vector<std::string> domains;
  int64_t lines = 1;
};

struct DetectionTrafficRow {
  std::string service;
  int64_t lines = 0, flows = 0, bytes_up = 0, bytes_down = 0;
  std::string ports = "{}";  // JSON object text
};

struct DetectionDayRow {
  int64_t flows = 0, matched = 0, scanners = 0;
  std::string rule;
  double d = 0;
  std::string subscribers;
  int64_t detected_at = 0;
};

struct FootprintRow {
  std::string provider;
  int64_t ipv4 = 0;
  int64_t ipv6 = 0;
  int64_t ases = 0;
  int64_t prefixes_v4 = 0;    // /24s
  int64_t prefixes_v6 = 0;    // /56s
  std::string strategy;       // DI, PR, other joined with '+'
  std::string detail = "{}";  // JSON text
};

struct FetchRow {
  std::string source;
  std::string url;
  int64_t fetched_at = 0;
  std::string status;  // ok|not_modified|failed
  std::string etag;
  std::string last_modified;
  std::string sha256;
  int64_t bytes = 0;
  std::string path;
};

struct OptoutRow {
  std::string prefix;
  std::string reason;
  int64_t added_at = 0;  // 0: now
};

// A passive-DNS file as `iotmap resolve` last imported it.
struct PdnsFileRow {
  std::string path;  // absolute
  int64_t size = 0;
  int64_t mtime = 0;
  std::string sha256;  // of the content
  std::string filter;  // what decided which records were kept (resolver::pdns_filter_key)
  int64_t imported_at = 0;
  int64_t records = 0;  // records kept
  std::optional<int64_t> run_id;
};

// A record that points a name at a candidate address (table address_names): an A/AAAA record
// of the address, a CNAME leading to a name that has one, or a PTR name of the address.
struct AddressNameRow {
  std::string ip;      // canonical
  std::string name;    // normalised, trailing dot
  std::string rrtype;  // A|AAAA|CNAME|PTR
  std::string target;  // CNAME target (normalised), "" otherwise
  int64_t time_first = 0;
  int64_t time_last = 0;
  std::string kind;    // pdns|pdns_rdata|bulk|ptr
  std::string source;  // file name, "dnsdb", ...
};

// A leaf certificate the manufacturer rule calls a device's (certs/devices.h), seen at an
// address and port on a day. Upserts on (date, ip, port, sha256) widen first/last seen.
struct DeviceCertificateRow {
  std::string date;  // "YYYY-MM-DD" of first_seen
  std::string ip;
  int port = 0;
  std::string sha256;
  std::string manufacturer;
  std::string product;
  std::string signer;  // self|maker_ca
  std::string source;  // scan|import
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  std::optional<int64_t> run_id;
};

// A certificate dataset file `iotmap import certs` read.
struct CertImportRow {
  std::string sha256;  // of the bytes read
  std::string format;  // zgrab2|censys|sonar
  std::string path;    // as given, "-" for stdin
  int64_t bytes = 0;
  int64_t imported_at = 0;
  std::map<std::string, int64_t> counts;
  std::optional<int64_t> run_id;
};

// A name in the leaf certificates of some TLS observations, with the first and last time one
// of them was observed.
struct ObservedCertName {
  std::string name;
  int64_t first_seen = 0;
  int64_t last_seen = 0;
};

}  // namespace iotmap::db
