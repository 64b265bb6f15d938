// What else points at the addresses of provider names (docs/backend-map.md, "Evidence"). The
// dedicated/shared rules ask for every name an address serves, so an import keeps, besides the
// records of provider names, every A/AAAA record whose address is a candidate address (one that
// a provider or device-service name resolved to in the window, from any source) and the CNAME
// records that lead to such names, whatever the names are. Those names do not become candidate
// names: nobody resolves them every hour.
//
// A data set lists records in any order (a CNAME may come before the record of its target), so
// the collector reads it in passes until a pass learns nothing new; memory holds the candidate
// addresses, the names on the provider names' CNAME chains and the records kept, never the file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/catalogue.h"
#include "db/rows.h"
#include "db/store.h"
#include "resolver/pdns.h"

namespace iotmap::resolver {

class AddressEvidence {
 public:
  using IsProvider = std::function<bool(const std::string& name)>;
  // `candidate_ips` in canonical text (lib/net.h); more come from the provider records seen.
  AddressEvidence(IsProvider is_provider, const std::vector<std::string>& candidate_ips);

  // Starts a pass over the data set; changed() then tells whether the pass learned anything.
  void begin_pass() { changed_ = false; }
  bool changed() const { return changed_; }
  // One record (names without the trailing dot, as parse_dnsdb_line gives them).
  void see(const PdnsRecord& r);

  size_t candidate_addresses() const { return ips_.size(); }
  size_t records() const { return kept_.size(); }
  // The records kept, as rows of the address_names table.
  std::vector<db::AddressNameRow> rows(const std::string& kind, const std::string& source) const;

 private:
  bool add_down(const std::string& name);
  bool add_point(const std::string& name, const std::string& ip);
  void keep(const std::string& ip, const PdnsRecord& r, const std::string& target);

  IsProvider is_provider_;
  std::unordered_set<std::string> down_;  // provider names and the names their CNAMEs reach
  std::unordered_set<std::string> ips_;   // candidate addresses
  // Names that reach candidate addresses (by A/AAAA, or CNAMEs to such names), with them.
  std::unordered_map<std::string, std::vector<std::string>> points_;
  // (ip, name, rrtype, target) -> (first, last)
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::pair<int64_t, int64_t>>
      kept_;
  bool changed_ = false;
};

// The provider and device-service names a forward-DNS data set names, as a record's owner or as
// a CNAME's target (a customer's alias into a provider name), with the last time each was seen:
// they become candidate names (source `bulk`), as passive DNS's provider names do. Memory holds
// these names only.
class ProviderNames {
 public:
  explicit ProviderNames(AddressEvidence::IsProvider is_provider)
      : is_provider_(std::move(is_provider)) {}
  void see(const PdnsRecord& r);
  // Names with a trailing dot, sorted, and the last time each was seen.
  std::vector<std::pair<std::string, int64_t>> names() const;

 private:
  void add(const std::string& name, int64_t seen);
  AddressEvidence::IsProvider is_provider_;
  std::unordered_map<std::string, int64_t> last_seen_;
};

// Reads the data set once per call of `read_once`, handing each record to the callback.
using RecordReader = std::function<void(const std::function<void(const PdnsRecord&)>&)>;

struct AddressImport {
  size_t passes = 0;
  size_t candidate_addresses = 0;
  size_t records = 0;     // rows kept in address_names
  bool converged = true;  // false: stopped after kMaxPasses with more to learn
  static constexpr size_t kMaxPasses = 8;
};

// Collects the address evidence of a data set into the store's address_names table under
// `kind` (pdns, pdns_rdata, bulk) and `source` (file name). Candidate addresses are the store's
// for [from, to) plus those of the data set's provider records.
AddressImport import_address_evidence(const RecordReader& read_once, int64_t from, int64_t to,
                                      const std::string& kind, const std::string& source,
                                      const config::Catalogue& cat, db::Store& store);

// A RecordReader over a DNSDB JSON-lines stream that can be read again (a file): each call
// rewinds it. Records outside `filter`'s window and types are skipped; its name filter is not
// used. Malformed lines are skipped silently: the forward import already reported them.
RecordReader dnsdb_reader(std::istream& in, const std::string& origin, PdnsFilter filter);

}  // namespace iotmap::resolver
