#include "certs/judge.h"

namespace iotmap::certs {

Verdict judge(const Certificate& c, const NameMatcher& matcher, const KeywordList& keywords) {
  Verdict v;
  if (matcher) v.names = match_names(c, matcher);
  v.device = device_certificate(c, keywords);
  return v;
}

}  // namespace iotmap::certs
