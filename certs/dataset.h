// Certificate scan data sets, one parser per format, each reading one line of a file:
//   zgrab2  (certs/dataset_zgrab2.cpp): JSON lines of a ZGrab2 scan (the tls module, or any module
//           whose result carries a TLS handshake log).
//   censys  (certs/dataset_censys.cpp): Censys host records (services with leaf fingerprints) and
//           certificate records (fingerprint and raw DER) as JSON lines.
//   sonar   (certs/dataset_sonar.cpp): Rapid7 Sonar SSL, "sha1,base64-DER" lines of the certs files
//           and "ip,sha1" lines of the hosts files.
// A line gives records (address, port, time, chain), or a certificate that records name by its
// fingerprint, or nothing to import (a failed grab), or an error. Parsing is pure: no I/O, no
// throw. docs/certificates.md describes the fields read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotmap::certs::dataset {

struct Record {
  std::string ip;                  // as written; the importer checks it
  int port = 0;                    // 0: the line does not say
  int64_t time = 0;                // Unix seconds; 0: the line does not say
  std::vector<std::string> chain;  // DER, leaf first; empty when leaf_ref names the leaf
  std::string leaf_ref;            // lowercase hex fingerprint of a certificate line
};

struct CertificateLine {
  std::string ref;  // lowercase hex fingerprint the records use (Sonar: SHA-1, Censys: SHA-256)
  std::string der;
};

struct Parsed {
  std::vector<Record> records;
  std::optional<CertificateLine> certificate;
  std::string error;  // not empty: a malformed line, nothing else set
};

using Parser = Parsed (*)(std::string_view line);

Parsed parse_zgrab2(std::string_view line);
Parsed parse_censys(std::string_view line);
Parsed parse_sonar(std::string_view line);

// The parser of a format name (zgrab2, censys, sonar), nullptr for another name.
Parser parser(std::string_view format);

// What a Sonar file's name tells about its records, which carry neither time nor port:
// "20170102_ssl_8883_hosts.gz" was scanned on 2017-01-02 (time: its 00:00 UTC) on port 8883.
// 0 where the name does not say (Sonar's plain "..._ssl_hosts.gz" is port 443).
struct FileHints {
  int64_t time = 0;
  int port = 0;
};
FileHints sonar_file_hints(std::string_view path);

// True for 40 (SHA-1) or 64 (SHA-256) hex digits.
bool is_fingerprint(std::string_view text);
// Lowercase copy of an ASCII hex text.
std::string lower_hex(std::string_view text);

}  // namespace iotmap::certs::dataset
