// Rapid7 Project Sonar SSL studies (opendata.rapid7.com, "ssl" and "more SSL"): each scan is a
// pair of gzip CSV files without a header,
//   *_certs.gz: "<sha1 of the DER, hex>,<base64 DER>", one line per certificate first seen,
//   *_hosts.gz: "<IPv4>,<sha1>", one line per address and the certificate it served.
// Neither carries a time or a port: the file name does (certs/dataset.h, sonar_file_hints).
#include "certs/certificate.h"
#include "certs/dataset.h"

namespace iotmap::certs::dataset {

Parsed parse_sonar(std::string_view line) {
  Parsed out;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto comma = line.find(',');
  if (comma == std::string_view::npos || line.find(',', comma + 1) != std::string_view::npos) {
    out.error = "not two comma-separated fields (a truncated line?)";
    return out;
  }
  std::string_view a = line.substr(0, comma), b = line.substr(comma + 1);
  if (b.size() == 40 && is_fingerprint(b)) {
    Record r;
    r.ip = std::string(a);
    r.leaf_ref = lower_hex(b);
    out.records.push_back(std::move(r));
  } else if (a.size() == 40 && is_fingerprint(a)) {
    auto der = base64_decode(b);
    if (!der || der->empty()) {
      out.error = "the certificate is not base64";
      return out;
    }
    out.certificate = CertificateLine{lower_hex(a), std::move(*der)};
  } else {
    out.error = "neither \"ip,sha1\" (hosts) nor \"sha1,base64\" (certs)";
  }
  return out;
}

}  // namespace iotmap::certs::dataset
