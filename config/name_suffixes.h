// A cheap first look before the catalogue's RE2 set: bulk data sets ask the catalogue about
// every owner name, nearly all of which match nothing. Each pattern is read for the literal
// texts its matches must end with ("\.amazonaws\.com\." ends every AWS IoT name); a name that
// ends with none of them cannot match, and is answered without normalising it or running the
// set. Where a pattern's end cannot be read so, nothing is filtered.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotmap::config {

// The texts (lower case) one of which ends every whole-name match of the RE2 pattern `regex`,
// or nullopt when the pattern's end is not literal enough to tell (a quantifier, a class, an
// escape such as \x2e, a group with other than literal alternatives).
std::optional<std::vector<std::string>> literal_suffixes(std::string_view regex);

class SuffixFilter {
 public:
  // Adds a pattern's suffixes; a pattern without any turns the filter off. finish() after
  // the last one.
  void add(std::string_view regex);
  void finish();
  // False only when `name`, normalised as Catalogue::match does (lower case, one root dot),
  // ends with none of the suffixes. Names the normaliser refuses may go either way: they
  // match nothing anyway.
  bool may_match(std::string_view name) const;

 private:
  // Suffixes reversed; after finish() sorted, none a prefix of another.
  std::vector<std::string> reversed_;
  bool off_ = false;
};

}  // namespace iotmap::config
