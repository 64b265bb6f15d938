// What one certificate tells iotmap, whoever found it (a scan, `scan - --grab-only`, an imported
// data set): the provider names in it, after the post-filters (certs/providers.h), and whether
// the manufacturer rule calls it a device's (certs/devices.h).
#pragma once

#include <optional>
#include <vector>

#include "certs/devices.h"
#include "certs/providers.h"

namespace iotmap::certs {

struct Verdict {
  std::vector<NameMatch> names;
  std::optional<DeviceCertificate> device;
  // Whether iotmap keeps the certificate's sightings from a data set.
  bool relevant() const { return !names.empty() || device.has_value(); }
};

Verdict judge(const Certificate& c, const NameMatcher& matcher,
              const KeywordList& keywords = default_keywords());

}  // namespace iotmap::certs
