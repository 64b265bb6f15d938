#include "db/schema.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotmap::db {
namespace {

// The migration steps, oldest first. Step i takes a database from version i to i + 1.
// Never edit a step that has shipped: append a new one (ALTER TABLE, CREATE INDEX, ...).
//
// Conventions (docs/schema.md): times are Unix seconds UTC; calendar days are 'YYYY-MM-DD'
// text; names are lowercase with a trailing dot; IPs are canonical text (lib/net.h); lists are
// JSON arrays of strings. Every table that a stage may write twice for the same hour, scan or
// day has a natural unique key, so re-running a stage adds nothing twice.
constexpr std::string_view kSteps[] = {
    // Version 1: the whole first schema.
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,                       -- resolve|scan|classify|daily|hourly|fetch|merge
  started_at INTEGER NOT NULL,
  finished_at INTEGER,                      -- NULL while running (or killed)
  status TEXT NOT NULL DEFAULT 'running',   -- running|ok|failed|partial
  covers TEXT NOT NULL DEFAULT '',          -- 'YYYY-MM-DD' or 'YYYY-MM-DDTHH' the run is about
  host TEXT NOT NULL DEFAULT '',
  vantage TEXT NOT NULL DEFAULT '',
  shard TEXT NOT NULL DEFAULT '',           -- 'I/N', '' when unsharded
  seed INTEGER,
  target_count INTEGER,
  rate REAL,
  config TEXT NOT NULL DEFAULT '',
  counts TEXT NOT NULL DEFAULT '{}',        -- JSON object of counters
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_kind_started ON runs(kind, started_at);

CREATE TABLE vantage_points (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  location TEXT NOT NULL DEFAULT '',
  client_subnet TEXT NOT NULL DEFAULT '',
  resolvers TEXT NOT NULL DEFAULT '[]'      -- JSON array of "ip:port"
);

CREATE TABLE names (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (name = lower(name) AND substr(name, -1) = '.'),
  provider TEXT NOT NULL DEFAULT '',        -- provider or service id from the catalogue
  region TEXT NOT NULL DEFAULT '',
  first_seen INTEGER,
  last_seen INTEGER
);
CREATE INDEX names_provider ON names(provider);

CREATE TABLE name_sources (
  name_id INTEGER NOT NULL REFERENCES names(id) ON DELETE CASCADE,
  source TEXT NOT NULL,                     -- catalogue|pdns|cert|cli|ct
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (name_id, source)
) WITHOUT ROWID;

CREATE TABLE resolutions (
  id INTEGER PRIMARY KEY,
  hour INTEGER NOT NULL,                    -- start of the UTC hour
  name_id INTEGER NOT NULL REFERENCES names(id),
  qtype TEXT NOT NULL,                      -- A|AAAA
  vantage_id INTEGER NOT NULL REFERENCES vantage_points(id),
  status TEXT NOT NULL,                     -- NOERROR|NXDOMAIN|NODATA|SERVFAIL|TIMEOUT|...
  rcode INTEGER,                            -- NULL when no response arrived
  cname_chain TEXT NOT NULL DEFAULT '[]',   -- JSON array, in order from the queried name
  min_ttl INTEGER,
  resolver TEXT NOT NULL DEFAULT '',
  rtt_ms REAL,
  resolved_at INTEGER NOT NULL,
  run_id INTEGER REFERENCES runs(id),
  UNIQUE (hour, name_id, qtype, vantage_id)
);
CREATE INDEX resolutions_name ON resolutions(name_id, hour);

CREATE TABLE resolution_answers (
  resolution_id INTEGER NOT NULL REFERENCES resolutions(id) ON DELETE CASCADE,
  ip TEXT NOT NULL,
  ttl INTEGER NOT NULL,
  PRIMARY KEY (resolution_id, ip)
) WITHOUT ROWID;
CREATE INDEX resolution_answers_ip ON resolution_answers(ip);

CREATE TABLE pdns (
  id INTEGER PRIMARY KEY,
  rrname TEXT NOT NULL,
  rrtype TEXT NOT NULL,
  rdata TEXT NOT NULL,
  time_first INTEGER NOT NULL,
  time_last INTEGER NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  UNIQUE (rrname, rrtype, rdata)
);
CREATE INDEX pdns_rdata ON pdns(rdata, rrtype);

CREATE TABLE certificates (
  sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  subject_dn TEXT NOT NULL DEFAULT '',
  issuer_dn TEXT NOT NULL DEFAULT '',
  common_name TEXT NOT NULL DEFAULT '',
  dns_sans TEXT NOT NULL DEFAULT '[]',
  ip_sans TEXT NOT NULL DEFAULT '[]',
  not_before INTEGER,
  not_after INTEGER,
  key_type TEXT NOT NULL DEFAULT '',
  key_bits INTEGER,
  signature_algorithm TEXT NOT NULL DEFAULT '',
  self_signed INTEGER NOT NULL DEFAULT 0 CHECK (self_signed IN (0, 1)),
  der BLOB,
  first_seen INTEGER
);

CREATE TABLE cert_names (
  sha256 TEXT NOT NULL REFERENCES certificates(sha256) ON DELETE CASCADE,
  name TEXT NOT NULL,                       -- CN or SAN, lowercase with a trailing dot
  provider TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (sha256, name)
) WITHOUT ROWID;
CREATE INDEX cert_names_name ON cert_names(name);

CREATE TABLE tls_observations (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  ip TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  sni TEXT NOT NULL DEFAULT '',             -- '' when no SNI was sent
  observed_at INTEGER NOT NULL,
  status TEXT NOT NULL,                     -- ok|timeout|refused|tls_error|client_cert_required|...
  tls_version TEXT NOT NULL DEFAULT '',
  cipher TEXT NOT NULL DEFAULT '',
  alpn TEXT NOT NULL DEFAULT '',
  leaf_sha256 TEXT REFERENCES certificates(sha256),
  chain TEXT NOT NULL DEFAULT '[]',         -- JSON array of sha256, leaf first
  protocol TEXT NOT NULL DEFAULT 'none',    -- mqtt|amqp|http|none
  protocol_result TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  UNIQUE (run_id, ip, port, sni)
);
CREATE INDEX tls_observations_ip ON tls_observations(ip, port);
CREATE INDEX tls_observations_leaf ON tls_observations(leaf_sha256, observed_at);
CREATE INDEX tls_observations_time ON tls_observations(observed_at);

CREATE TABLE scan_checkpoints (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id),
  shard TEXT NOT NULL DEFAULT '',
  seed INTEGER NOT NULL,
  targets_digest TEXT NOT NULL DEFAULT '',  -- identifies the target list
  target_count INTEGER NOT NULL,
  next_index INTEGER NOT NULL,              -- next position in the permuted target order
  done_count INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE ip_verdicts (
  date TEXT NOT NULL,
  ip TEXT NOT NULL,
  provider TEXT NOT NULL,
  verdict_threshold TEXT NOT NULL,          -- dedicated|shared|unknown
  verdict_exclusive TEXT NOT NULL,          -- dedicated|shared|unknown
  reason TEXT NOT NULL DEFAULT '',
  names_total INTEGER NOT NULL DEFAULT 0,
  names_not_matching INTEGER NOT NULL DEFAULT 0,
  registrable_domains INTEGER NOT NULL DEFAULT 0,
  sources INTEGER NOT NULL DEFAULT 0,       -- bitmask: 1 active DNS, 2 passive DNS, 4 TLS
  sources_text TEXT NOT NULL DEFAULT '',
  run_id INTEGER REFERENCES runs(id),
  PRIMARY KEY (date, ip, provider)
) WITHOUT ROWID;
CREATE INDEX ip_verdicts_ip ON ip_verdicts(ip, date);

CREATE TABLE domain_verdicts (
  date TEXT NOT NULL,
  provider TEXT NOT NULL,
  domain TEXT NOT NULL,
  verdict TEXT NOT NULL,                    -- dedicated|shared|unknown
  reason TEXT NOT NULL DEFAULT '',
  ips_total INTEGER NOT NULL DEFAULT 0,
  ips_exclusive INTEGER NOT NULL DEFAULT 0,
  run_id INTEGER REFERENCES runs(id),
  PRIMARY KEY (date, provider, domain)
) WITHOUT ROWID;

CREATE TABLE hitlist (
  date TEXT NOT NULL,
  provider TEXT NOT NULL,
  domain TEXT NOT NULL,
  ip TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  protocol TEXT NOT NULL,                   -- mqtt|amqp|https|coap|...
  infrastructure TEXT NOT NULL,             -- dedicated|shared|unknown
  level TEXT NOT NULL DEFAULT '',           -- backend|platform|manufacturer|product
  domain_class TEXT NOT NULL DEFAULT '',    -- primary|support
  sources TEXT NOT NULL DEFAULT '',
  first_seen INTEGER,
  last_seen INTEGER,
  PRIMARY KEY (date, provider, domain, ip, port, protocol)
) WITHOUT ROWID;
CREATE INDEX hitlist_ip ON hitlist(ip, port);

CREATE TABLE footprint (
  date TEXT NOT NULL,
  provider TEXT NOT NULL,
  ipv4 INTEGER NOT NULL DEFAULT 0,
  ipv6 INTEGER NOT NULL DEFAULT 0,
  ases INTEGER NOT NULL DEFAULT 0,
  prefixes_v4 INTEGER NOT NULL DEFAULT 0,   -- IPv4 /24s
  prefixes_v6 INTEGER NOT NULL DEFAULT 0,   -- IPv6 /56s
  strategy TEXT NOT NULL DEFAULT '',        -- DI|PR|DI+PR
  detail TEXT NOT NULL DEFAULT '{}',        -- JSON
  PRIMARY KEY (date, provider)
) WITHOUT ROWID;

CREATE TABLE fetches (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  url TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  status TEXT NOT NULL,                     -- ok|not_modified|failed
  etag TEXT NOT NULL DEFAULT '',
  last_modified TEXT NOT NULL DEFAULT '',
  sha256 TEXT NOT NULL DEFAULT '',
  bytes INTEGER NOT NULL DEFAULT 0,
  path TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fetches_source ON fetches(source, fetched_at);

CREATE TABLE optout (
  prefix TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL
);

-- For people at the sqlite3 shell: one readable line per resolution.
CREATE VIEW resolutions_readable AS
SELECT strftime('%Y-%m-%dT%H', r.hour, 'unixepoch') AS hour, n.name, r.qtype,
       v.name AS vantage, r.status, r.rcode, r.cname_chain,
       (SELECT group_concat(a.ip, ' ') FROM resolution_answers a WHERE a.resolution_id = r.id)
         AS addresses,
       r.min_ttl, r.resolver, r.rtt_ms, r.run_id
FROM resolutions r JOIN names n ON n.id = r.name_id JOIN vantage_points v ON v.id = r.vantage_id;
)sql",
    // Version 2: what a resolution's reply said beyond its answers: the client subnet the
    // resolver echoed with its scope (RFC 7871), the TTL of each CNAME link, and for error
    // rows what happened. ADD COLUMN with a constant default rewrites no row.
    R"sql(
ALTER TABLE resolutions ADD COLUMN ecs TEXT NOT NULL DEFAULT '';
ALTER TABLE resolutions ADD COLUMN ecs_scope INTEGER;
ALTER TABLE resolutions ADD COLUMN cname_ttls TEXT NOT NULL DEFAULT '[]';
ALTER TABLE resolutions ADD COLUMN detail TEXT NOT NULL DEFAULT '';
DROP VIEW resolutions_readable;
CREATE VIEW resolutions_readable AS
SELECT strftime('%Y-%m-%dT%H', r.hour, 'unixepoch') AS hour, n.name, r.qtype,
       v.name AS vantage, r.status, r.rcode, r.cname_chain,
       (SELECT group_concat(a.ip, ' ') FROM resolution_answers a WHERE a.resolution_id = r.id)
         AS addresses,
       r.min_ttl, r.resolver, r.rtt_ms, r.run_id, r.ecs, r.ecs_scope, r.cname_ttls, r.detail
FROM resolutions r JOIN names n ON n.id = r.name_id JOIN vantage_points v ON v.id = r.vantage_id;
)sql",
    // Version 3: the passive-DNS files `iotmap resolve` has imported, so that the hourly run
    // skips a file whose content (and the filter it was read with) has not changed.
    R"sql(
CREATE TABLE pdns_files (
  path TEXT PRIMARY KEY,                    -- absolute path of the file
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  sha256 TEXT NOT NULL,                     -- of the content at the import
  filter TEXT NOT NULL DEFAULT '',          -- window, record types, catalogue digest
  imported_at INTEGER NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,       -- records kept by that import
  run_id INTEGER REFERENCES runs(id)
);
)sql",
    // Version 4: what else points at the addresses of provider names. Records of any name whose
    // address is a candidate address (A/AAAA), the CNAMEs that lead to such names, and PTR names
    // of candidate addresses, kept so that the classifier sees every site an address serves.
    R"sql(
CREATE TABLE address_names (
  ip TEXT NOT NULL,                         -- the candidate address the record is about
  name TEXT NOT NULL CHECK (name = lower(name) AND substr(name, -1) = '.'),
  rrtype TEXT NOT NULL,                     -- A|AAAA|CNAME|PTR
  target TEXT NOT NULL DEFAULT '',          -- CNAME: the name it points to; '' otherwise
  time_first INTEGER NOT NULL,
  time_last INTEGER NOT NULL,
  kind TEXT NOT NULL,                       -- pdns|pdns_rdata|bulk|ptr
  source TEXT NOT NULL DEFAULT '',          -- file name, 'dnsdb', vantage point; the first one's
  PRIMARY KEY (ip, name, rrtype, target, kind)
);
CREATE INDEX address_names_time ON address_names(time_last, time_first);
)sql",
    // Version 5: per IP verdict, how many of the names counted against the provider each source
    // linked to the address, and every source that saw the address (the evidence coverage of a
    // day is the share of verdict addresses that passive DNS by address or bulk data covered).
    R"sql(
ALTER TABLE ip_verdicts ADD COLUMN sharing_active_dns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ip_verdicts ADD COLUMN sharing_pdns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ip_verdicts ADD COLUMN sharing_cert INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ip_verdicts ADD COLUMN sharing_pdns_reverse INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ip_verdicts ADD COLUMN sharing_bulk INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ip_verdicts ADD COLUMN address_sources INTEGER NOT NULL DEFAULT 0;
)sql",
    // Version 6: what `iotmap detect` found in flow records (docs/detect.md). Subscribers are
    // never stored in clear: `subscriber` is a keyed hash ("h:...") or a /24 or /48 prefix, and
    // `lines` the number of source addresses behind it. period: 'day' or 'YYYY-MM-DDTHH'.
    R"sql(
CREATE TABLE detections (
  date TEXT NOT NULL,
  period TEXT NOT NULL,
  subscriber TEXT NOT NULL,
  service TEXT NOT NULL,
  level TEXT NOT NULL,
  rule TEXT NOT NULL,                       -- haystack|guo-heidemann|backend
  d REAL NOT NULL DEFAULT 0,
  matched INTEGER NOT NULL,
  primary_matched INTEGER NOT NULL,
  n INTEGER NOT NULL,
  threshold INTEGER NOT NULL,
  domains TEXT NOT NULL DEFAULT '[]',       -- JSON array of the domains reached
  lines INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (date, period, subscriber, service)
);
CREATE TABLE detection_traffic (
  date TEXT NOT NULL,
  service TEXT NOT NULL,
  lines INTEGER NOT NULL,                   -- sources that exchanged traffic with the service
  flows INTEGER NOT NULL,
  bytes_up INTEGER NOT NULL,                -- subscriber to server
  bytes_down INTEGER NOT NULL,
  ports TEXT NOT NULL DEFAULT '{}',         -- JSON object: server port -> bytes both ways
  PRIMARY KEY (date, service)
);
CREATE TABLE detection_days (
  date TEXT PRIMARY KEY,
  flows INTEGER NOT NULL,
  matched INTEGER NOT NULL,                 -- flows that reached a hitlist endpoint
  scanners INTEGER NOT NULL,                -- sources left out as scanners
  rule TEXT NOT NULL,
  d REAL NOT NULL,
  subscribers TEXT NOT NULL,                -- hash|prefix: what `subscriber` holds
  detected_at INTEGER NOT NULL
);
)sql",
    // Version 7: certificates as device evidence and certificate datasets (issue 16). A device
    // certificate is a leaf that the manufacturer rule (certs/devices.h) calls a device, one row
    // per day, address, port and certificate, from a scan or an import. cert_imports records each
    // dataset file `iotmap import certs` read, by content digest, so that a rerun skips it.
    R"sql(
CREATE TABLE device_certificates (
  date TEXT NOT NULL,                       -- UTC day of the observation
  ip TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  sha256 TEXT NOT NULL,                     -- the leaf (certificates.sha256)
  manufacturer TEXT NOT NULL,
  product TEXT NOT NULL DEFAULT '',
  signer TEXT NOT NULL CHECK (signer IN ('self', 'maker_ca')),
  source TEXT NOT NULL,                     -- scan|import: the first that saw it that day
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  run_id INTEGER REFERENCES runs(id),       -- the first run that saw it that day
  PRIMARY KEY (date, ip, port, sha256)
) WITHOUT ROWID;
CREATE INDEX device_certificates_run ON device_certificates(run_id);
CREATE TABLE cert_imports (
  sha256 TEXT NOT NULL,                     -- of the file's bytes as read (gzip: compressed)
  format TEXT NOT NULL,                     -- zgrab2|censys|sonar
  path TEXT NOT NULL,                       -- as given; '-' for stdin
  bytes INTEGER NOT NULL,
  imported_at INTEGER NOT NULL,
  counts TEXT NOT NULL DEFAULT '{}',        -- JSON object: records, kept, malformed, ...
  run_id INTEGER REFERENCES runs(id),
  PRIMARY KEY (sha256, format)
) WITHOUT ROWID;
)sql",
    // Version 8: the hitlist keeps each name's catalogue entry, the unit of the detection rule's
    // N, as classify saw it, so that detect and `export hitlist --format rules` on an old day
    // count that day's N whatever the catalogue says now. '' on the rows of days classified
    // before: readers fall back to the current catalogue and say so.
    R"sql(
ALTER TABLE hitlist ADD COLUMN entry TEXT NOT NULL DEFAULT '';
)sql",
};

constexpr int kLatest = static_cast<int>(std::size(kSteps));

int read_version(Database& db) {
  int version = 0;
  db.cached("PRAGMA user_version").each([&](Statement& s) {
    version = static_cast<int>(s.int64(0));
  });
  return version;
}

Error too_new(const Database& db, int version) {
  return Error(db.path() + ": schema version " + std::to_string(version) +
               " is newer than this iotmap knows (" + std::to_string(kLatest) +
               "); use a newer iotmap for this database");
}

// Table names come from sqlite_schema, never from users; quote them anyway so that any name
// SQLite accepts counts.
std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

int latest_version() { return kLatest; }

int stored_version(Database& db) { return read_version(db); }

void require_known_version(Database& db) {
  if (int v = read_version(db); v > kLatest) throw too_new(db, v);
}

Migration migrate(Database& db) {
  Migration m;
  m.from = read_version(db);
  if (m.from > kLatest) throw too_new(db, m.from);
  for (int v = m.from; v < kLatest; ++v) {
    Transaction tx(db, "migration to schema version " + std::to_string(v + 1));
    // Another process may have migrated between our read and our write lock: look again
    // under the lock so that no step is applied twice.
    int now = read_version(db);
    if (now > v) {
      if (now > kLatest) throw too_new(db, now);
      v = now - 1;
      continue;
    }
    try {
      db.exec(kSteps[v]);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " (migration to schema version " + std::to_string(v + 1) +
                  ")");
    }
    // user_version lives in the file header, which the transaction covers: a failed step
    // leaves the version where it was.
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
  m.to = read_version(db);
  return m;
}

std::vector<std::pair<std::string, int64_t>> row_counts(Database& db) {
  std::vector<std::string> tables;
  Statement list(db,
                 "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                 "ORDER BY name");
  list.each([&](Statement& s) { tables.push_back(s.text(0)); });
  std::vector<std::pair<std::string, int64_t>> counts;
  for (const auto& t : tables) {
    Statement count(db, "SELECT count(*) FROM " + quoted(t));
    count.each([&](Statement& s) { counts.emplace_back(t, s.int64(0)); });
  }
  return counts;
}

}  // namespace iotmap::db
